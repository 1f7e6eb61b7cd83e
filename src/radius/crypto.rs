//! The shared-secret cryptography of RADIUS: Request and Response Authenticators (RFC 2865
//! §3, RFC 2866 §3, RFC 5176 §2.3), Message-Authenticator (HMAC-MD5, RFC 3579 §3.2 and
//! RFC 5176 §3.3), User-Password hiding (RFC 2865 §5.2) and CHAP (RFC 1994, RFC 2865
//! §5.3). Encoding a packet to send goes through here so that every packet we send is signed
//! and carries a Message-Authenticator (BlastRADIUS, CVE-2024-3596).
//!
//! Pure apart from `random_authenticator` (which reads the system's randomness). Checks
//! never panic on a peer's bytes: a malformed packet is simply not valid.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};

use super::dictionary::MESSAGE_AUTHENTICATOR;
use super::packet::{push_attribute, set_length, Code, Packet, PacketRef, MAX_LEN, MIN_LEN};

type HmacMd5 = Hmac<Md5>;

/// What a packet's Message-Authenticator says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAuthenticator {
    Absent,
    Valid,
    /// Wrong, not 16 octets, present twice, or the packet is malformed.
    Invalid,
}

/// Checks the Message-Authenticator of `raw`. `request_authenticator`: for a reply, the
/// authenticator of the request it answers; `None` for a request (an Access-Request's own
/// authenticator is used, an Accounting, Disconnect or CoA request's is taken as zeros, as
/// FreeRADIUS computes it).
pub fn check_message_authenticator(raw: &[u8], secret: &[u8], request_authenticator: Option<&[u8; 16]>) -> MessageAuthenticator {
    let Ok(packet) = PacketRef::parse(raw) else {
        return MessageAuthenticator::Invalid;
    };
    let raw = packet.raw();
    let mut found = None;
    let mut offset = MIN_LEN;
    for (kind, value) in packet.attributes() {
        if kind == MESSAGE_AUTHENTICATOR {
            if found.is_some() || value.len() != 16 {
                return MessageAuthenticator::Invalid;
            }
            found = Some(offset + 2);
        }
        offset += 2 + value.len();
    }
    let Some(at) = found else {
        return MessageAuthenticator::Absent;
    };
    let authenticator = match request_authenticator {
        Some(a) => *a,
        None if packet.code().has_computed_request_authenticator() => [0; 16],
        None => packet.authenticator(),
    };
    let valid_over = |authenticator: &[u8; 16]| {
        let mut mac = hmac(secret);
        mac.update(&raw[..4]);
        mac.update(authenticator);
        mac.update(&raw[MIN_LEN..at]);
        mac.update(&[0; 16]);
        mac.update(&raw[at + 16..]);
        mac.verify_slice(&raw[at..at + 16]).is_ok()
    };
    // No RFC defines it for an Accounting-Response: FreeRADIUS signs one over a zero
    // authenticator, others over the request's. Either will do (the Response Authenticator
    // is checked as well).
    let valid = valid_over(&authenticator) || (packet.code() == Code::AccountingResponse && valid_over(&[0; 16]));
    if valid {
        MessageAuthenticator::Valid
    } else {
        MessageAuthenticator::Invalid
    }
}

/// The Request Authenticator of an Accounting, Disconnect or CoA request:
/// MD5(Code+ID+Length+16 zero octets+Attributes+Secret).
pub fn request_authenticator_valid(raw: &[u8], secret: &[u8]) -> bool {
    let Ok(packet) = PacketRef::parse(raw) else {
        return false;
    };
    let raw = packet.raw();
    let expected = md5_of(&[&raw[..4], &[0; 16], &raw[MIN_LEN..], secret]);
    constant_time_eq(&expected, &raw[4..20])
}

/// A reply to a request whose authenticator was `request_authenticator`: a
/// Message-Authenticator (any already among the attributes is replaced), then the Response
/// Authenticator. An Accounting-Response gets no Message-Authenticator: RFC 2866 has none,
/// and clients disagree on how to compute one (FreeRADIUS's radclient over a zero
/// authenticator, others over the request's), so any would be refused by some.
pub fn encode_reply(reply: &Packet, request_authenticator: &[u8; 16], secret: &[u8]) -> Vec<u8> {
    let mut raw = if reply.code == Code::AccountingResponse {
        let mut raw = encode_without_message_authenticator(reply, request_authenticator, MAX_LEN);
        set_length(&mut raw);
        raw
    } else {
        encode_with_message_authenticator(reply, request_authenticator, secret)
    };
    sign_response(&mut raw, request_authenticator, secret);
    raw
}

/// A request to send. An Access-Request keeps `request.authenticator` (make it with
/// `random_authenticator`, and hide the password with it) and gets a Message-Authenticator;
/// an Accounting, Disconnect or CoA request gets a Message-Authenticator over a zero
/// authenticator, then its computed Request Authenticator.
pub fn encode_request(request: &Packet, secret: &[u8]) -> Vec<u8> {
    if request.code.has_computed_request_authenticator() {
        let mut raw = encode_with_message_authenticator(request, &[0; 16], secret);
        let authenticator = md5_of(&[&raw, secret]);
        raw[4..20].copy_from_slice(&authenticator);
        raw
    } else {
        encode_with_message_authenticator(request, &request.authenticator, secret)
    }
}

/// A reply's Response Authenticator, and its Message-Authenticator if it has one.
pub fn reply_valid(raw: &[u8], request_authenticator: &[u8; 16], secret: &[u8]) -> bool {
    let Ok(packet) = PacketRef::parse(raw) else {
        return false;
    };
    let raw = packet.raw();
    let expected = md5_of(&[&raw[..4], request_authenticator, &raw[MIN_LEN..], secret]);
    constant_time_eq(&expected, &raw[4..20]) && check_message_authenticator(raw, secret, Some(request_authenticator)) != MessageAuthenticator::Invalid
}

/// User-Password (RFC 2865 §5.2): padded with NULs to a multiple of 16 octets (at most
/// 128; a longer password is cut), each block XORed with MD5(secret + previous block).
pub fn hide_password(password: &[u8], secret: &[u8], authenticator: &[u8; 16]) -> Vec<u8> {
    let len = password.len().min(128);
    let mut out = vec![0u8; len.div_ceil(16).max(1) * 16];
    out[..len].copy_from_slice(&password[..len]);
    let mut previous = *authenticator;
    for block in out.chunks_mut(16) {
        let pad = md5_of(&[secret, &previous]);
        block.iter_mut().zip(pad).for_each(|(b, p)| *b ^= p);
        previous.copy_from_slice(block);
    }
    out
}

/// The password from a User-Password value, trailing NULs stripped; `None` if the value is
/// not 16 to 128 octets in whole blocks.
pub fn unhide_password(hidden: &[u8], secret: &[u8], authenticator: &[u8; 16]) -> Option<Vec<u8>> {
    if hidden.is_empty() || hidden.len() > 128 || hidden.len() % 16 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(hidden.len());
    let mut previous: &[u8] = authenticator;
    for block in hidden.chunks(16) {
        let pad = md5_of(&[secret, previous]);
        out.extend(block.iter().zip(pad).map(|(c, p)| c ^ p));
        previous = block;
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    Some(out)
}

/// CHAP-Password = ident ‖ MD5(ident ‖ password ‖ challenge); the challenge is
/// CHAP-Challenge, or the Request Authenticator when that is absent.
pub fn chap_valid(chap_password: &[u8], challenge: &[u8], password: &[u8]) -> bool {
    if chap_password.len() != 17 {
        return false;
    }
    let expected = md5_of(&[&chap_password[..1], password, challenge]);
    constant_time_eq(&expected, &chap_password[1..])
}

/// 16 random octets for an Access-Request's authenticator.
pub fn random_authenticator() -> [u8; 16] {
    let mut out = [0u8; 16];
    if crate::credentials::random_bytes(&mut out).is_ok() {
        return out;
    }
    // No /dev/urandom (it is always there on Linux): unpredictable enough for a nonce that
    // only has to differ between requests.
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    md5_of(&[&nanos.to_be_bytes(), &count.to_be_bytes(), &std::process::id().to_be_bytes()])
}

/// Sets the Response Authenticator of an encoded reply (RFC 2865 §3):
/// MD5(Code+ID+Length+RequestAuthenticator+Attributes+Secret).
pub(crate) fn sign_response(raw: &mut [u8], request_authenticator: &[u8; 16], secret: &[u8]) {
    let authenticator = md5_of(&[&raw[..4], request_authenticator, &raw[MIN_LEN..], secret]);
    raw[4..20].copy_from_slice(&authenticator);
}

/// The packet with `authenticator` in its header and a Message-Authenticator computed over
/// that (the packet's own Message-Authenticator attributes are dropped).
fn encode_with_message_authenticator(packet: &Packet, authenticator: &[u8; 16], secret: &[u8]) -> Vec<u8> {
    let mut raw = encode_without_message_authenticator(packet, authenticator, MAX_LEN - 18);
    raw.extend_from_slice(&[MESSAGE_AUTHENTICATOR, 18]);
    let at = raw.len();
    raw.extend_from_slice(&[0; 16]);
    set_length(&mut raw);
    let mut mac = hmac(secret);
    mac.update(&raw);
    raw[at..at + 16].copy_from_slice(&mac.finalize().into_bytes());
    raw
}

/// Header (Length not yet set) and attributes up to `limit` octets, Message-Authenticators
/// left out.
fn encode_without_message_authenticator(packet: &Packet, authenticator: &[u8; 16], limit: usize) -> Vec<u8> {
    let mut raw = Vec::with_capacity(MIN_LEN + 18 + packet.attributes.iter().map(|a| 2 + a.value.len()).sum::<usize>());
    raw.extend_from_slice(&[packet.code.as_u8(), packet.identifier, 0, 0]);
    raw.extend_from_slice(authenticator);
    for a in packet.attributes.iter().filter(|a| a.kind != MESSAGE_AUTHENTICATOR) {
        push_attribute(&mut raw, a.kind, &a.value, limit);
    }
    raw
}

fn hmac(secret: &[u8]) -> HmacMd5 {
    // HMAC takes a key of any length: this cannot fail.
    <HmacMd5 as Mac>::new_from_slice(secret).expect("HMAC accepts any key length")
}

fn md5_of(parts: &[&[u8]]) -> [u8; 16] {
    let mut md5 = Md5::new();
    for part in parts {
        md5.update(part);
    }
    md5.finalize().into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radius::dictionary::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    const SECRET: &[u8] = b"xyzzy5461";
    const REQUEST: &str = "01000038 0f403f9473978057bd83d5cb98f4227a 01066e656d6f 02120dbe708d93d413ce3196e43f782a0aee 0406c0a80110 0506 00000003";
    const ACCEPT: &str = "0200002686fe220e7624ba2a1005f6bf9b55e0b20606000000010f06000000000e06c0a80103";

    #[test]
    fn rfc2865_section_7_1_vectors() {
        let raw = hex(REQUEST);
        let request = Packet::decode(&raw).unwrap();
        assert_eq!((request.code, request.identifier), (Code::AccessRequest, 0));
        assert_eq!(request.get_str(USER_NAME), Some("nemo"));
        assert_eq!(request.get(NAS_IP_ADDRESS), Some(&[192, 168, 1, 16][..]));
        assert_eq!(request.get_u32(NAS_PORT), Some(3));
        let password = unhide_password(request.get(USER_PASSWORD).unwrap(), SECRET, &request.authenticator).unwrap();
        assert_eq!(password, b"arctangent");
        assert_eq!(hide_password(b"arctangent", SECRET, &request.authenticator), request.get(USER_PASSWORD).unwrap());
        assert_eq!(request.encode(), raw, "decode then encode gives the same octets");
        assert_eq!(check_message_authenticator(&raw, SECRET, None), MessageAuthenticator::Absent);

        let mut accept = Packet::new(Code::AccessAccept, 0, [0; 16]);
        accept.push_u32(SERVICE_TYPE, 1);
        accept.push_u32(15, 0); // Login-Service: Telnet
        accept.push(14, vec![192, 168, 1, 3]); // Login-IP-Host
        let mut ours = accept.encode();
        sign_response(&mut ours, &request.authenticator, SECRET);
        assert_eq!(ours, hex(ACCEPT));
        assert!(reply_valid(&hex(ACCEPT), &request.authenticator, SECRET));
        assert!(!reply_valid(&hex(ACCEPT), &request.authenticator, b"wrong"));
        assert!(!reply_valid(&hex(ACCEPT), &[0; 16], SECRET));
    }

    #[test]
    fn passwords_of_every_length_round_trip() {
        let auth = [7u8; 16];
        for len in [0, 1, 15, 16, 17, 32, 100, 128] {
            let password = vec![b'p'; len];
            let hidden = hide_password(&password, b"s", &auth);
            assert_eq!(hidden.len(), len.div_ceil(16).max(1) * 16);
            assert_eq!(unhide_password(&hidden, b"s", &auth).unwrap(), password);
        }
        assert_eq!(hide_password(&[b'x'; 200], b"s", &auth).len(), 128);
        assert_eq!(unhide_password(&[0; 15], b"s", &auth), None);
        assert_eq!(unhide_password(&[], b"s", &auth), None);
        assert_eq!(unhide_password(&[0; 144], b"s", &auth), None);
    }

    /// The Message-Authenticator as RFC 3579 defines it, computed here independently.
    fn expected_ma(raw: &[u8], authenticator: &[u8; 16], secret: &[u8]) -> [u8; 16] {
        let mut copy = raw.to_vec();
        copy[4..20].copy_from_slice(authenticator);
        let p = Packet::decode(raw).unwrap();
        let mut offset = 20;
        for a in &p.attributes {
            if a.kind == MESSAGE_AUTHENTICATOR {
                copy[offset + 2..offset + 18].fill(0);
            }
            offset += 2 + a.value.len();
        }
        let mut mac = HmacMd5::new_from_slice(secret).unwrap();
        mac.update(&copy);
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn message_authenticator_on_requests_and_replies() {
        let auth = random_authenticator();
        assert_ne!(auth, random_authenticator());
        let mut request = Packet::new(Code::AccessRequest, 9, auth);
        request.push_str(USER_NAME, "nemo");
        request.push(USER_PASSWORD, hide_password(b"pw", b"s3cret", &auth));
        let raw = encode_request(&request, b"s3cret");
        let decoded = Packet::decode(&raw).unwrap();
        assert_eq!(decoded.authenticator, auth, "an Access-Request keeps its random authenticator");
        assert_eq!(decoded.get(MESSAGE_AUTHENTICATOR).unwrap(), expected_ma(&raw, &auth, b"s3cret"));
        assert_eq!(check_message_authenticator(&raw, b"s3cret", None), MessageAuthenticator::Valid);
        assert_eq!(check_message_authenticator(&raw, b"other", None), MessageAuthenticator::Invalid);
        let mut bent = raw.clone();
        bent[24] ^= 1; // a letter of the User-Name
        assert_eq!(check_message_authenticator(&bent, b"s3cret", None), MessageAuthenticator::Invalid);
        assert_eq!(check_message_authenticator(&raw[..10], b"s3cret", None), MessageAuthenticator::Invalid);

        let mut reply = Packet::new(Code::AccessAccept, 9, [0; 16]);
        reply.push_u32(SESSION_TIMEOUT, 3600);
        reply.push(MESSAGE_AUTHENTICATOR, vec![1; 16]); // a stale one is replaced, not kept
        let raw_reply = encode_reply(&reply, &auth, b"s3cret");
        let decoded = Packet::decode(&raw_reply).unwrap();
        assert_eq!(decoded.get_all(MESSAGE_AUTHENTICATOR).count(), 1);
        assert_eq!(decoded.get(MESSAGE_AUTHENTICATOR).unwrap(), expected_ma(&raw_reply, &auth, b"s3cret"));
        assert_eq!(check_message_authenticator(&raw_reply, b"s3cret", Some(&auth)), MessageAuthenticator::Valid);
        assert!(reply_valid(&raw_reply, &auth, b"s3cret"));
        assert!(!reply_valid(&raw_reply, &[1; 16], b"s3cret"));
        let mut bent = raw_reply.clone();
        let n = bent.len();
        bent[n - 1] ^= 1; // the Message-Authenticator itself
        assert!(!reply_valid(&bent, &auth, b"s3cret"));

        // An Accounting-Response carries none; one signed either way is accepted.
        let mut response = Packet::new(Code::AccountingResponse, 9, [0; 16]);
        response.push(MESSAGE_AUTHENTICATOR, vec![0; 16]);
        let raw_response = encode_reply(&response, &auth, b"s3cret");
        assert_eq!(raw_response.len(), 20);
        assert!(reply_valid(&raw_response, &auth, b"s3cret"));
        for ma_over in [[0u8; 16], auth] {
            let mut signed = encode_with_message_authenticator(&Packet::new(Code::AccountingResponse, 9, [0; 16]), &ma_over, b"s3cret");
            sign_response(&mut signed, &auth, b"s3cret");
            assert!(reply_valid(&signed, &auth, b"s3cret"));
            let n = signed.len();
            signed[n - 1] ^= 1;
            sign_response(&mut signed, &auth, b"s3cret");
            assert!(!reply_valid(&signed, &auth, b"s3cret"));
        }

        // Accounting, Disconnect and CoA requests: MA over a zero authenticator, then the computed one.
        for code in [Code::AccountingRequest, Code::DisconnectRequest, Code::CoaRequest] {
            let mut request = Packet::new(code, 3, [0xEE; 16]);
            request.push_str(ACCT_SESSION_ID, "81000001");
            let raw = encode_request(&request, b"s3cret");
            assert!(request_authenticator_valid(&raw, b"s3cret"));
            assert!(!request_authenticator_valid(&raw, b"other"));
            assert_eq!(Packet::decode(&raw).unwrap().get(MESSAGE_AUTHENTICATOR).unwrap(), expected_ma(&raw, &[0; 16], b"s3cret"));
            assert_eq!(check_message_authenticator(&raw, b"s3cret", None), MessageAuthenticator::Valid);
        }
    }

    #[test]
    fn chap_with_challenge_and_with_the_request_authenticator() {
        let md5 = |parts: &[&[u8]]| md5_of(parts);
        let challenge = b"0123456789abcdef".to_vec();
        let mut chap = vec![0x2a];
        chap.extend_from_slice(&md5(&[&[0x2a], b"arctangent", &challenge]));
        assert!(chap_valid(&chap, &challenge, b"arctangent"));
        assert!(!chap_valid(&chap, &challenge, b"arctangenT"));
        assert!(!chap_valid(&chap[..16], &challenge, b"arctangent"));

        // No CHAP-Challenge: the Request Authenticator is the challenge.
        let auth = random_authenticator();
        let mut request = Packet::new(Code::AccessRequest, 1, auth);
        let mut chap = vec![7];
        chap.extend_from_slice(&md5(&[&[7], b"pw", &auth]));
        request.push(CHAP_PASSWORD, chap);
        let decoded = Packet::decode(&encode_request(&request, b"s")).unwrap();
        let challenge = decoded.get(CHAP_CHALLENGE).map(<[u8]>::to_vec).unwrap_or(decoded.authenticator.to_vec());
        assert!(chap_valid(decoded.get(CHAP_PASSWORD).unwrap(), &challenge, b"pw"));
    }
}
