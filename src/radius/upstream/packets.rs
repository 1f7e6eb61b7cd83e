//! The packets hotspotd sends the central server and what it reads from its answers: pure
//! (no sockets, no database), taking `now`. Accounting-Requests are built from a queued row
//! at each send (so Acct-Delay-Time says how late this very packet is); the Access-Request of
//! the authentication fallback carries the password hidden with its own authenticator; an
//! Access-Accept becomes the limits of a local account.

use std::net::Ipv4Addr;

use crate::netaddr::MacAddr;
use crate::radius::dialect;
use crate::radius::dictionary::*;
use crate::radius::packet::{Code, Packet};
use crate::radius::crypto;

use super::queue::Queued;

/// NAS-Port-Type Wireless-802.11 (RFC 2865 §5.41): every session here is a Wi-Fi client.
const PORT_WIRELESS: u32 = 19;
/// Service-Type Login-User, as hotspot NAS devices send in their Access-Requests.
const SERVICE_LOGIN: u32 = 1;

/// How the router names itself to the central server, in every packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// NAS-Identifier (`radius_upstream.nas_identifier`).
    pub nas_identifier: String,
    /// NAS-IP-Address: the router's address towards the central (`None`: unknown). FreeRADIUS
    /// keys its accounting rows and Accounting-On/-Off on it, so it should stay the same.
    pub nas_ip: Option<Ipv4Addr>,
}

/// A MAC as RFC 3580 §3.21 spells Calling-Station-Id (`AA-BB-CC-DD-EE-FF`), which is also
/// how CoovaChilli writes it into FreeRADIUS's `radacct`. Anything else is passed as it is.
pub fn calling_station_id(mac: &str) -> String {
    match mac.parse::<MacAddr>() {
        Ok(MacAddr(b)) => format!("{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X}", b[0], b[1], b[2], b[3], b[4], b[5]),
        Err(_) => mac.to_owned(),
    }
}

fn clamp_u32(v: i64) -> u32 {
    v.clamp(0, u32::MAX as i64) as u32
}

fn push_identity(p: &mut Packet, identity: &Identity) {
    p.push_str(NAS_IDENTIFIER, &identity.nas_identifier);
    if let Some(ip) = identity.nas_ip {
        p.push(NAS_IP_ADDRESS, ip.octets().to_vec());
    }
}

/// The Accounting-Request for a queued row, sent at `now` (not yet signed: see
/// `crypto::encode_request`).
pub fn accounting_request(q: &Queued, identity: &Identity, identifier: u8, now: i64) -> Packet {
    let mut p = Packet::new(Code::AccountingRequest, identifier, [0; 16]);
    p.push_u32(ACCT_STATUS_TYPE, q.status_type);
    p.push_str(ACCT_SESSION_ID, &q.acct_session_id);
    p.push_str(USER_NAME, &q.username);
    push_identity(&mut p, identity);
    p.push_u32(NAS_PORT_TYPE, PORT_WIRELESS);
    p.push_str(CALLING_STATION_ID, &calling_station_id(&q.mac));
    if let Ok(ip) = q.ip.parse::<Ipv4Addr>() {
        p.push(FRAMED_IP_ADDRESS, ip.octets().to_vec());
    }
    if let Some(class) = q.class.as_ref().filter(|c| !c.is_empty() && c.len() <= 253) {
        p.push(CLASS, class.clone());
    }
    if q.status_type != super::queue::START {
        p.push_u32(ACCT_INPUT_OCTETS, q.input_bytes as u32);
        p.push_u32(ACCT_INPUT_GIGAWORDS, (q.input_bytes >> 32).min(u32::MAX as u64) as u32);
        p.push_u32(ACCT_OUTPUT_OCTETS, q.output_bytes as u32);
        p.push_u32(ACCT_OUTPUT_GIGAWORDS, (q.output_bytes >> 32).min(u32::MAX as u64) as u32);
        p.push_u32(ACCT_SESSION_TIME, q.session_time.unwrap_or(0));
    }
    if let Some(cause) = q.terminate_cause {
        p.push_u32(ACCT_TERMINATE_CAUSE, cause);
    }
    p.push_u32(EVENT_TIMESTAMP, clamp_u32(q.event_at));
    p.push_u32(ACCT_DELAY_TIME, clamp_u32(now - q.created_at));
    p
}

/// Accounting-On (at start) or Accounting-Off (at a clean stop): `status` is
/// `ACCT_STATUS_ACCOUNTING_ON` or `_OFF`.
pub fn accounting_on_off(status: u32, identity: &Identity, identifier: u8, event_at: i64, now: i64) -> Packet {
    let mut p = Packet::new(Code::AccountingRequest, identifier, [0; 16]);
    p.push_u32(ACCT_STATUS_TYPE, status);
    push_identity(&mut p, identity);
    p.push_u32(EVENT_TIMESTAMP, clamp_u32(event_at));
    p.push_u32(ACCT_DELAY_TIME, clamp_u32(now - event_at));
    p
}

/// A PAP Access-Request (with `authenticator` random, the password hidden with it; the
/// Message-Authenticator is added by `crypto::encode_request`).
pub fn access_request(username: &str, password: &str, identity: &Identity, mac: Option<MacAddr>, identifier: u8, authenticator: [u8; 16], secret: &[u8]) -> Packet {
    let mut p = Packet::new(Code::AccessRequest, identifier, authenticator);
    p.push_str(USER_NAME, username);
    p.push(USER_PASSWORD, crypto::hide_password(password.as_bytes(), secret, &authenticator));
    push_identity(&mut p, identity);
    p.push_u32(SERVICE_TYPE, SERVICE_LOGIN);
    p.push_u32(NAS_PORT_TYPE, PORT_WIRELESS);
    if let Some(mac) = mac {
        p.push_str(CALLING_STATION_ID, &calling_station_id(&mac.to_string()));
    }
    p
}

/// What an Access-Accept from the central server grants, as a local account's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentralGrant {
    /// Session-Timeout, or `DEFAULT_DURATION_SECS` when the central sends none.
    pub duration_secs: i64,
    /// Any dialect's data quota (`None`: unlimited).
    pub data_limit_bytes: Option<i64>,
    pub down_kbps: Option<i64>,
    pub up_kbps: Option<i64>,
    /// Class, echoed in the accounting of the account's sessions.
    pub class: Option<Vec<u8>>,
}

/// The time an account gets when the central server's Access-Accept has no Session-Timeout:
/// a day (the router must not vouch for it forever on its own).
pub const DEFAULT_DURATION_SECS: i64 = 86_400;

pub fn grant_from_accept(accept: &Packet) -> CentralGrant {
    let limits = dialect::limits_from_reply(accept);
    let positive = |v: Option<u64>| v.filter(|&v| v > 0).map(|v| v.min(i64::MAX as u64) as i64);
    CentralGrant {
        duration_secs: positive(limits.session_timeout_secs).unwrap_or(DEFAULT_DURATION_SECS),
        data_limit_bytes: positive(limits.data_bytes),
        down_kbps: limits.rate.down_kbps.filter(|&k| k > 0).map(i64::from),
        up_kbps: limits.rate.up_kbps.filter(|&k| k > 0).map(i64::from),
        class: accept.get(CLASS).map(<[u8]>::to_vec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radius::upstream::queue::{INTERIM, START, STOP};

    fn identity() -> Identity {
        Identity { nas_identifier: "shop-1".into(), nas_ip: Some(Ipv4Addr::new(192, 0, 2, 7)) }
    }

    fn queued(status_type: u32) -> Queued {
        Queued {
            id: 1,
            session_id: 9,
            status_type,
            acct_session_id: "00000009".into(),
            username: "amina".into(),
            mac: "02:7f:0a:00:00:01".into(),
            ip: "10.0.0.11".into(),
            input_bytes: (3 << 32) + 17,
            output_bytes: 5_000_000_000,
            session_time: Some(700),
            terminate_cause: Some(1),
            class: Some(b"plan-7".to_vec()),
            event_at: 1_800_000_700,
            created_at: 1_800_000_700,
            attempts: 0,
        }
    }

    #[test]
    fn a_stop_carries_octets_gigawords_cause_and_delay() {
        let p = accounting_request(&queued(STOP), &identity(), 42, 1_800_000_790);
        assert_eq!((p.code, p.identifier), (Code::AccountingRequest, 42));
        assert_eq!(p.get_u32(ACCT_STATUS_TYPE), Some(STOP));
        assert_eq!(p.get_str(ACCT_SESSION_ID), Some("00000009"));
        assert_eq!(p.get_str(USER_NAME), Some("amina"));
        assert_eq!(p.get_str(NAS_IDENTIFIER), Some("shop-1"));
        assert_eq!(p.get(NAS_IP_ADDRESS), Some(&[192, 0, 2, 7][..]));
        assert_eq!(p.get_str(CALLING_STATION_ID), Some("02-7F-0A-00-00-01"));
        assert_eq!(p.get(FRAMED_IP_ADDRESS), Some(&[10, 0, 0, 11][..]));
        assert_eq!(p.get_u32(ACCT_INPUT_OCTETS), Some(17));
        assert_eq!(p.get_u32(ACCT_INPUT_GIGAWORDS), Some(3));
        assert_eq!(p.octets(ACCT_INPUT_OCTETS, ACCT_INPUT_GIGAWORDS), Some((3 << 32) + 17));
        assert_eq!(p.octets(ACCT_OUTPUT_OCTETS, ACCT_OUTPUT_GIGAWORDS), Some(5_000_000_000));
        assert_eq!(p.get_u32(ACCT_SESSION_TIME), Some(700));
        assert_eq!(p.get_u32(ACCT_TERMINATE_CAUSE), Some(1));
        assert_eq!(p.get_u32(EVENT_TIMESTAMP), Some(1_800_000_700));
        assert_eq!(p.get_u32(ACCT_DELAY_TIME), Some(90));
        assert_eq!(p.get(CLASS), Some(&b"plan-7"[..]));
        // Signed: the Request Authenticator verifies, and a Message-Authenticator is there.
        let raw = crypto::encode_request(&p, b"s3cret");
        assert!(crypto::request_authenticator_valid(&raw, b"s3cret"));
        assert_eq!(crypto::check_message_authenticator(&raw, b"s3cret", None), crypto::MessageAuthenticator::Valid);
    }

    #[test]
    fn a_start_has_no_counters_and_an_interim_no_cause() {
        let mut q = queued(START);
        q.terminate_cause = None;
        let p = accounting_request(&q, &identity(), 1, q.created_at);
        assert_eq!(p.get_u32(ACCT_INPUT_OCTETS), None);
        assert_eq!(p.get_u32(ACCT_SESSION_TIME), None);
        assert_eq!(p.get_u32(ACCT_DELAY_TIME), Some(0));
        let mut q = queued(INTERIM);
        q.terminate_cause = None;
        let p = accounting_request(&q, &Identity { nas_ip: None, ..identity() }, 1, q.created_at - 5);
        assert_eq!(p.get_u32(ACCT_TERMINATE_CAUSE), None);
        assert_eq!(p.get(NAS_IP_ADDRESS), None);
        assert_eq!(p.get_u32(ACCT_DELAY_TIME), Some(0), "a clock behind the row never makes a huge delay");
    }

    #[test]
    fn the_password_is_hidden_and_recoverable_with_the_secret() {
        let auth = [7u8; 16];
        let p = access_request("amina", "pass word", &identity(), Some(MacAddr([2, 0, 0, 0, 0, 1])), 3, auth, b"s3cret");
        let hidden = p.get(USER_PASSWORD).unwrap();
        assert_ne!(hidden, b"pass word");
        assert_eq!(crypto::unhide_password(hidden, b"s3cret", &auth).unwrap(), b"pass word");
        let raw = crypto::encode_request(&p, b"s3cret");
        assert_eq!(&raw[4..20], &auth);
        assert_eq!(crypto::check_message_authenticator(&raw, b"s3cret", None), crypto::MessageAuthenticator::Valid);
    }

    #[test]
    fn an_accept_becomes_limits_and_keeps_its_class() {
        let mut accept = Packet::new(Code::AccessAccept, 3, [0; 16]);
        accept.push_u32(SESSION_TIMEOUT, 7200);
        accept.push(CLASS, b"plan-7".to_vec());
        accept.push_vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT, 5);
        accept.push_vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT_GIGAWORDS, 1);
        let g = grant_from_accept(&accept);
        assert_eq!((g.duration_secs, g.data_limit_bytes), (7200, Some((1 << 32) + 5)));
        assert_eq!(g.class.as_deref(), Some(&b"plan-7"[..]));
        let bare = grant_from_accept(&Packet::new(Code::AccessAccept, 3, [0; 16]));
        assert_eq!((bare.duration_secs, bare.data_limit_bytes, bare.class), (DEFAULT_DURATION_SECS, None, None));
    }

    #[test]
    fn macs_are_spelt_as_rfc_3580_says() {
        assert_eq!(calling_station_id("aa:bb:cc:dd:ee:0f"), "AA-BB-CC-DD-EE-0F");
        assert_eq!(calling_station_id("not a mac"), "not a mac");
    }
}
