//! The RADIUS codec and the server's reading of NAS packets (`src/radius/`), which every
//! datagram on ports 1812/1813 reaches: decoding never panics, the borrowing and the owning
//! decoder agree, what decodes re-encodes to the same attributes, a packet we sign passes
//! its checks and one altered byte does not, and the server's readers turn anything into a
//! request or a counted drop, never a panic.

use std::net::{IpAddr, Ipv4Addr};

use hotspotd::netaddr::MacAddr;
use hotspotd::radius::crypto::{self, MessageAuthenticator};
use hotspotd::radius::dialect::Vendor;
use hotspotd::radius::packet::{Packet, PacketRef};
use hotspotd::radius::server::{accounting, auth};
use hotspotd::radius::Nas;

const SECRET: &[u8] = b"property-secret";

fn nas(require_message_authenticator: bool) -> Nas {
    Nas {
        name: "prop".into(),
        address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        secret: String::from_utf8(SECRET.to_vec()).unwrap(),
        vendor: Vendor::Mikrotik,
        require_message_authenticator,
        das_port: 0,
    }
}

/// Any datagram: both decoders agree, a decoded packet re-encodes to the same attributes,
/// and the checks and the server's readers answer without panicking.
pub fn check_datagram(raw: &[u8]) {
    let owned = Packet::decode(raw);
    let borrowed = PacketRef::parse(raw);
    assert_eq!(owned.is_ok(), borrowed.is_ok(), "the decoders disagree on {raw:02x?}");
    if let (Ok(packet), Ok(view)) = (&owned, &borrowed) {
        assert_eq!(view.to_packet(), *packet, "{raw:02x?}");
        let again = Packet::decode(&packet.encode()).expect("what decoded re-encodes to a packet");
        assert_eq!(again.attributes, packet.attributes, "{raw:02x?}");
    }
    let _ = crypto::check_message_authenticator(raw, SECRET, None);
    let _ = crypto::request_authenticator_valid(raw, SECRET);
    let _ = crypto::reply_valid(raw, &[7; 16], SECRET);
    for required in [true, false] {
        let _ = auth::read(raw, &nas(required));
        let _ = accounting::read(raw, &nas(required));
    }
}

/// A request we sign from any decodable datagram passes its checks, and any one byte
/// changed (past the header's code) makes it fail them.
pub fn check_signed(raw: &[u8], flip_at: usize) {
    let Ok(packet) = Packet::decode(raw) else { return };
    if !packet.code.is_request() {
        return;
    }
    let signed = crypto::encode_request(&packet, SECRET);
    assert_eq!(crypto::check_message_authenticator(&signed, SECRET, None), MessageAuthenticator::Valid, "{signed:02x?}");
    let computed = packet.code.has_computed_request_authenticator();
    if computed {
        assert!(crypto::request_authenticator_valid(&signed, SECRET), "{signed:02x?}");
    }
    let at = 1 + flip_at % (signed.len() - 1);
    let mut altered = signed.clone();
    altered[at] ^= 0x5a;
    // What a receiver checks: the Message-Authenticator, and for Accounting, Disconnect and
    // CoA requests also the Request Authenticator (the MA of those covers zeros in its place).
    let still = crypto::check_message_authenticator(&altered, SECRET, None) == MessageAuthenticator::Valid
        && (!computed || crypto::request_authenticator_valid(&altered, SECRET));
    assert!(!still, "byte {at} of {signed:02x?} changed and the packet still checks out");
}

/// A Calling-Station-Id in any spelling: when it reads as a MAC, that MAC's own spellings
/// read as the same device.
pub fn check_calling_station(text: &str) {
    if let Some(mac) = MacAddr::from_calling_station(text) {
        let colons = mac.to_string();
        for form in [colons.clone(), colons.to_ascii_uppercase(), colons.replace(':', "-"), colons.replace(':', "")] {
            assert_eq!(MacAddr::from_calling_station(&form), Some(mac), "{text:?} read as {mac}, but {form:?} did not");
        }
    }
}
