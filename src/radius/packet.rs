//! RADIUS packets as data (RFC 2865 §3, §5): the code, identifier, authenticator and
//! attributes, decoded from a datagram and encoded back. Pure: no sockets, no secrets (the
//! authenticators and Message-Authenticator are `crypto`'s), no dictionary beyond the
//! Vendor-Specific layout (RFC 2865 §5.26).
//!
//! Decoding never panics on what a peer sends: every length is checked and a bad one is a
//! `DecodeError`. It costs one walk to validate and count, then one allocation for the
//! attribute list and one per value; `PacketRef` reads a datagram in place with no
//! allocation at all, for hot paths that only look attributes up.

use super::dictionary::VENDOR_SPECIFIC;

/// The smallest and largest packets RFC 2865 §3 allows.
pub const MIN_LEN: usize = 20;
pub const MAX_LEN: usize = 4096;
/// The most octets one attribute value can hold (its length octet counts 2 of 255).
pub const MAX_VALUE_LEN: usize = 253;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Code {
    AccessRequest = 1,
    AccessAccept = 2,
    AccessReject = 3,
    AccountingRequest = 4,
    AccountingResponse = 5,
    AccessChallenge = 11,
    DisconnectRequest = 40,
    DisconnectAck = 41,
    DisconnectNak = 42,
    CoaRequest = 43,
    CoaAck = 44,
    CoaNak = 45,
}

impl Code {
    pub fn from_u8(code: u8) -> Option<Code> {
        Some(match code {
            1 => Code::AccessRequest,
            2 => Code::AccessAccept,
            3 => Code::AccessReject,
            4 => Code::AccountingRequest,
            5 => Code::AccountingResponse,
            11 => Code::AccessChallenge,
            40 => Code::DisconnectRequest,
            41 => Code::DisconnectAck,
            42 => Code::DisconnectNak,
            43 => Code::CoaRequest,
            44 => Code::CoaAck,
            45 => Code::CoaNak,
            _ => return None,
        })
    }

    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// A request whose authenticator is computed like an Accounting-Request's (RFC 2866
    /// §3, RFC 5176 §2.3) rather than random.
    pub fn has_computed_request_authenticator(self) -> bool {
        matches!(self, Code::AccountingRequest | Code::DisconnectRequest | Code::CoaRequest)
    }

    /// A request (as opposed to a reply to one).
    pub fn is_request(self) -> bool {
        matches!(self, Code::AccessRequest | Code::AccountingRequest | Code::DisconnectRequest | Code::CoaRequest)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub kind: u8,
    pub value: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub code: Code,
    pub identifier: u8,
    pub authenticator: [u8; 16],
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("a datagram of {len} octets is shorter than the 20-octet RADIUS header")]
    TooShort { len: usize },
    #[error("the Length field says {field} octets but the datagram has {datagram} (RADIUS allows 20 to 4096)")]
    Length { field: usize, datagram: usize },
    #[error("the attribute at octet {offset} has length {length} (at least 2)")]
    AttributeLength { offset: usize, length: u8 },
    #[error("the attribute at octet {offset} has length {length}, past the packet's end at {end}")]
    AttributeOverrun { offset: usize, length: u8, end: usize },
    #[error("unknown RADIUS code {0}")]
    UnknownCode(u8),
}

/// A datagram checked as a RADIUS packet, read in place. Octets past its Length field are
/// not part of it.
#[derive(Debug, Clone, Copy)]
pub struct PacketRef<'a> {
    raw: &'a [u8],
    code: Code,
    attribute_count: usize,
}

impl<'a> PacketRef<'a> {
    /// Checks the header and every attribute's length (RFC 2865 §3, §5).
    pub fn parse(raw: &'a [u8]) -> Result<PacketRef<'a>, DecodeError> {
        if raw.len() < MIN_LEN {
            return Err(DecodeError::TooShort { len: raw.len() });
        }
        let field = usize::from(u16::from_be_bytes([raw[2], raw[3]]));
        if !(MIN_LEN..=MAX_LEN).contains(&field) || field > raw.len() {
            return Err(DecodeError::Length { field, datagram: raw.len() });
        }
        let code = Code::from_u8(raw[0]).ok_or(DecodeError::UnknownCode(raw[0]))?;
        let raw = &raw[..field];
        let mut offset = MIN_LEN;
        let mut attribute_count = 0;
        while offset < raw.len() {
            if offset + 2 > raw.len() {
                return Err(DecodeError::AttributeOverrun { offset, length: 0, end: raw.len() });
            }
            let length = raw[offset + 1];
            if length < 2 {
                return Err(DecodeError::AttributeLength { offset, length });
            }
            if offset + usize::from(length) > raw.len() {
                return Err(DecodeError::AttributeOverrun { offset, length, end: raw.len() });
            }
            offset += usize::from(length);
            attribute_count += 1;
        }
        Ok(PacketRef { raw, code, attribute_count })
    }

    /// The packet's octets (up to its Length field).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    pub fn code(&self) -> Code {
        self.code
    }

    pub fn identifier(&self) -> u8 {
        self.raw[1]
    }

    pub fn authenticator(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out.copy_from_slice(&self.raw[4..20]);
        out
    }

    /// Each attribute as (type, value), in order.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes { rest: &self.raw[MIN_LEN..] }
    }

    pub fn get(&self, kind: u8) -> Option<&'a [u8]> {
        self.get_all(kind).next()
    }

    pub fn get_all(&self, kind: u8) -> impl Iterator<Item = &'a [u8]> {
        self.attributes().filter(move |(k, _)| *k == kind).map(|(_, v)| v)
    }

    pub fn get_u32(&self, kind: u8) -> Option<u32> {
        self.get(kind).and_then(as_u32)
    }

    pub fn get_str(&self, kind: u8) -> Option<&'a str> {
        self.get(kind).and_then(|v| std::str::from_utf8(v).ok())
    }

    pub fn vendor(&self, vendor_id: u32, vendor_type: u8) -> Option<&'a [u8]> {
        self.get_all(VENDOR_SPECIFIC).find_map(|v| vendor_value(v, vendor_id, vendor_type))
    }

    pub fn vendor_u32(&self, vendor_id: u32, vendor_type: u8) -> Option<u32> {
        self.vendor(vendor_id, vendor_type).and_then(as_u32)
    }

    pub fn octets(&self, octets_kind: u8, gigawords_kind: u8) -> Option<u64> {
        combine_gigawords(self.get_u32(octets_kind), self.get_u32(gigawords_kind))
    }

    /// The owned packet.
    pub fn to_packet(&self) -> Packet {
        let mut attributes = Vec::with_capacity(self.attribute_count);
        attributes.extend(self.attributes().map(|(kind, value)| Attribute { kind, value: value.to_vec() }));
        Packet { code: self.code, identifier: self.identifier(), authenticator: self.authenticator(), attributes }
    }
}

/// The attributes of a checked packet as (type, value).
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attributes<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        // `PacketRef::parse` checked every length; `get` keeps a corrupt slice from panicking.
        let (&kind, rest) = self.rest.split_first()?;
        let length = usize::from(*rest.first()?);
        let value = self.rest.get(2..length)?;
        self.rest = &self.rest[length..];
        Some((kind, value))
    }
}

impl Packet {
    pub fn new(code: Code, identifier: u8, authenticator: [u8; 16]) -> Packet {
        Packet { code, identifier, authenticator, attributes: Vec::new() }
    }

    /// RFC 2865 §3: 20 to 4096 octets; octets past the Length field are ignored.
    pub fn decode(raw: &[u8]) -> Result<Packet, DecodeError> {
        PacketRef::parse(raw).map(|p| p.to_packet())
    }

    /// The packet's octets as they stand (authenticator as set, attributes in order). An
    /// attribute that would take the packet past 4096 octets is left out. `crypto` signs.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MIN_LEN + self.attributes.iter().map(|a| 2 + a.value.len()).sum::<usize>());
        out.extend_from_slice(&[self.code.as_u8(), self.identifier, 0, 0]);
        out.extend_from_slice(&self.authenticator);
        for a in &self.attributes {
            push_attribute(&mut out, a.kind, &a.value, MAX_LEN);
        }
        set_length(&mut out);
        out
    }

    pub fn get(&self, kind: u8) -> Option<&[u8]> {
        self.get_all(kind).next()
    }

    pub fn get_all(&self, kind: u8) -> impl Iterator<Item = &[u8]> {
        self.attributes.iter().filter(move |a| a.kind == kind).map(|a| a.value.as_slice())
    }

    pub fn get_u32(&self, kind: u8) -> Option<u32> {
        self.get(kind).and_then(as_u32)
    }

    pub fn get_str(&self, kind: u8) -> Option<&str> {
        self.get(kind).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The first value of a vendor's attribute (RFC 2865 §5.26 layout: vendor id, then
    /// type, length, value; several sub-attributes in one Vendor-Specific are read too).
    pub fn vendor(&self, vendor_id: u32, vendor_type: u8) -> Option<&[u8]> {
        self.get_all(VENDOR_SPECIFIC).find_map(|v| vendor_value(v, vendor_id, vendor_type))
    }

    pub fn vendor_u32(&self, vendor_id: u32, vendor_type: u8) -> Option<u32> {
        self.vendor(vendor_id, vendor_type).and_then(as_u32)
    }

    /// A value longer than 253 octets is split over several attributes of the same type
    /// (as Reply-Message and EAP-Message are read back: concatenated).
    pub fn push(&mut self, kind: u8, value: impl Into<Vec<u8>>) {
        let value = value.into();
        if value.len() <= MAX_VALUE_LEN {
            return self.attributes.push(Attribute { kind, value });
        }
        for chunk in value.chunks(MAX_VALUE_LEN) {
            self.attributes.push(Attribute { kind, value: chunk.to_vec() });
        }
    }

    pub fn push_u32(&mut self, kind: u8, value: u32) {
        self.push(kind, value.to_be_bytes().to_vec());
    }

    pub fn push_str(&mut self, kind: u8, value: &str) {
        self.push(kind, value.as_bytes().to_vec());
    }

    /// One Vendor-Specific attribute holding one sub-attribute; a value is cut at the 247
    /// octets that fit.
    pub fn push_vendor(&mut self, vendor_id: u32, vendor_type: u8, value: impl Into<Vec<u8>>) {
        let value = value.into();
        let value = &value[..value.len().min(MAX_VALUE_LEN - 6)];
        let mut vsa = Vec::with_capacity(6 + value.len());
        vsa.extend_from_slice(&vendor_id.to_be_bytes());
        vsa.push(vendor_type);
        vsa.push((2 + value.len()) as u8);
        vsa.extend_from_slice(value);
        self.attributes.push(Attribute { kind: VENDOR_SPECIFIC, value: vsa });
    }

    pub fn push_vendor_u32(&mut self, vendor_id: u32, vendor_type: u8, value: u32) {
        self.push_vendor(vendor_id, vendor_type, value.to_be_bytes().to_vec());
    }

    /// A 64-bit counter from its low 32 bits and its Gigawords attribute (RFC 2869 §5.1):
    /// gigawords·2³² + octets. `None` when the octets attribute is absent.
    pub fn octets(&self, octets_kind: u8, gigawords_kind: u8) -> Option<u64> {
        combine_gigawords(self.get_u32(octets_kind), self.get_u32(gigawords_kind))
    }
}

fn combine_gigawords(octets: Option<u32>, gigawords: Option<u32>) -> Option<u64> {
    octets.map(|o| (u64::from(gigawords.unwrap_or(0)) << 32) | u64::from(o))
}

/// A 4-octet big-endian integer (Integer, Date and IPv4 address values).
pub fn as_u32(value: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(value).ok().map(u32::from_be_bytes)
}

/// The value of `vendor_type` inside one Vendor-Specific value, if it is that vendor's.
fn vendor_value(vsa: &[u8], vendor_id: u32, vendor_type: u8) -> Option<&[u8]> {
    if vsa.len() < 4 || vsa[..4] != vendor_id.to_be_bytes() {
        return None;
    }
    let mut rest = &vsa[4..];
    while rest.len() >= 2 {
        let length = usize::from(rest[1]);
        if length < 2 || length > rest.len() {
            return None;
        }
        if rest[0] == vendor_type {
            return Some(&rest[2..length]);
        }
        rest = &rest[length..];
    }
    None
}

/// Appends one attribute unless it would take the packet past `limit` octets.
pub(crate) fn push_attribute(out: &mut Vec<u8>, kind: u8, value: &[u8], limit: usize) {
    let value = &value[..value.len().min(MAX_VALUE_LEN)];
    if out.len() + 2 + value.len() > limit {
        return;
    }
    out.push(kind);
    out.push((2 + value.len()) as u8);
    out.extend_from_slice(value);
}

/// Writes the Length field from the buffer's length (at most 4096 by construction).
pub(crate) fn set_length(out: &mut [u8]) {
    let len = (out.len().min(usize::from(u16::MAX)) as u16).to_be_bytes();
    out[2] = len[0];
    out[3] = len[1];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radius::dictionary::*;

    fn header(code: u8, len: u16) -> Vec<u8> {
        let mut raw = vec![code, 7];
        raw.extend_from_slice(&len.to_be_bytes());
        raw.extend_from_slice(&[0xAA; 16]);
        raw
    }

    #[test]
    fn malformed_datagrams_are_errors_not_panics() {
        assert_eq!(Packet::decode(&[1, 2, 0]), Err(DecodeError::TooShort { len: 3 }));
        assert_eq!(Packet::decode(&header(1, 30)), Err(DecodeError::Length { field: 30, datagram: 20 }));
        assert_eq!(Packet::decode(&header(1, 19)), Err(DecodeError::Length { field: 19, datagram: 20 }));
        let mut big = header(1, 5000);
        big.resize(5000, 0);
        assert!(matches!(Packet::decode(&big), Err(DecodeError::Length { field: 5000, .. })));
        assert_eq!(Packet::decode(&header(99, 20)), Err(DecodeError::UnknownCode(99)));
        for bad_len in [0u8, 1] {
            let mut raw = header(4, 23);
            raw.extend_from_slice(&[USER_NAME, bad_len, b'x']);
            assert_eq!(Packet::decode(&raw), Err(DecodeError::AttributeLength { offset: 20, length: bad_len }));
        }
        let mut raw = header(4, 24);
        raw.extend_from_slice(&[USER_NAME, 9, b'a', b'b']);
        assert_eq!(Packet::decode(&raw), Err(DecodeError::AttributeOverrun { offset: 20, length: 9, end: 24 }));
        let mut raw = header(4, 21);
        raw.push(USER_NAME);
        assert!(matches!(Packet::decode(&raw), Err(DecodeError::AttributeOverrun { offset: 20, .. })));
        // Every truncation and every length octet of a real packet: an error or a packet, never a panic.
        let mut good = Packet::new(Code::AccountingRequest, 1, [3; 16]);
        good.push_str(USER_NAME, "nemo");
        good.push_vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT, 5);
        let raw = good.encode();
        for n in 0..raw.len() {
            let _ = Packet::decode(&raw[..n]);
            for b in 0..=255u8 {
                let mut bent = raw.clone();
                bent[n] = b;
                if let Ok(p) = Packet::decode(&bent) {
                    let _ = (p.vendor(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT), p.get_str(USER_NAME));
                }
            }
        }
    }

    #[test]
    fn octets_past_the_length_field_are_ignored() {
        let mut raw = header(5, 20);
        raw.extend_from_slice(&[1, 2, 3]);
        let p = Packet::decode(&raw).unwrap();
        assert_eq!((p.code, p.identifier, p.attributes.len()), (Code::AccountingResponse, 7, 0));
    }

    #[test]
    fn attributes_round_trip_with_vendor_ones_and_gigawords() {
        let mut p = Packet::new(Code::AccountingRequest, 42, [9; 16]);
        p.push_str(USER_NAME, "nemo");
        p.push_u32(ACCT_INPUT_OCTETS, 5);
        p.push_u32(ACCT_INPUT_GIGAWORDS, 2);
        p.push_u32(ACCT_OUTPUT_OCTETS, 0xFFFF_FFFF);
        p.push_vendor(VENDOR_MIKROTIK, MIKROTIK_RATE_LIMIT, &b"512k/2048k"[..]);
        p.push_vendor_u32(VENDOR_CHILLI, CHILLI_BANDWIDTH_MAX_UP, 512);
        p.push(REPLY_MESSAGE, vec![b'r'; 300]);
        let raw = p.encode();
        assert_eq!(usize::from(u16::from_be_bytes([raw[2], raw[3]])), raw.len());
        let back = Packet::decode(&raw).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.get_str(USER_NAME), Some("nemo"));
        assert_eq!(back.octets(ACCT_INPUT_OCTETS, ACCT_INPUT_GIGAWORDS), Some(2 * (1u64 << 32) + 5));
        assert_eq!(back.octets(ACCT_OUTPUT_OCTETS, ACCT_OUTPUT_GIGAWORDS), Some(0xFFFF_FFFF));
        assert_eq!(back.octets(ACCT_SESSION_TIME, ACCT_OUTPUT_GIGAWORDS), None);
        assert_eq!(back.vendor(VENDOR_MIKROTIK, MIKROTIK_RATE_LIMIT), Some(&b"512k/2048k"[..]));
        assert_eq!(back.vendor_u32(VENDOR_CHILLI, CHILLI_BANDWIDTH_MAX_UP), Some(512));
        assert_eq!(back.vendor(VENDOR_CHILLI, CHILLI_BANDWIDTH_MAX_DOWN), None);
        assert_eq!(back.vendor(VENDOR_WISPR, CHILLI_BANDWIDTH_MAX_UP), None);
        assert_eq!(back.get_all(REPLY_MESSAGE).map(<[u8]>::len).collect::<Vec<_>>(), [253, 47]);
        let view = PacketRef::parse(&raw).unwrap();
        assert_eq!(view.octets(ACCT_INPUT_OCTETS, ACCT_INPUT_GIGAWORDS), Some(2 * (1u64 << 32) + 5));
        assert_eq!(view.vendor_u32(VENDOR_CHILLI, CHILLI_BANDWIDTH_MAX_UP), Some(512));
        assert_eq!((view.code(), view.identifier(), view.get_str(USER_NAME)), (Code::AccountingRequest, 42, Some("nemo")));
        // Several sub-attributes in one Vendor-Specific (as some NASes send them).
        let mut q = Packet::new(Code::AccessAccept, 1, [0; 16]);
        q.push(VENDOR_SPECIFIC, [&VENDOR_MIKROTIK.to_be_bytes()[..], &[MIKROTIK_TOTAL_LIMIT, 6, 0, 0, 0, 9, MIKROTIK_TOTAL_LIMIT_GIGAWORDS, 6, 0, 0, 0, 1]].concat());
        assert_eq!(q.vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT_GIGAWORDS), Some(1));
    }

    #[test]
    fn codes_round_trip() {
        for n in 0..=255u8 {
            if let Some(c) = Code::from_u8(n) {
                assert_eq!(c.as_u8(), n);
            }
        }
        assert_eq!(Code::from_u8(43), Some(Code::CoaRequest));
        assert_eq!(Code::from_u8(12), None);
    }
}
