//! The dynamic-authorization client (RFC 5176): ends a NAS session (Disconnect-Request) or
//! gives it new limits (CoA-Request) by a blocking UDP exchange with the NAS's `das_port`.
//! Implements `sessions::NasControl`; `Sessions` and the disconnect job call it off the
//! runtime thread.
//!
//! Each exchange binds its own ephemeral socket, connected to the NAS (the kernel drops
//! datagrams from anyone else), sends the signed request and retransmits the identical
//! octets after 1 s, 2 s and 4 s of silence, giving up 4 s after the last. Only a reply from
//! the NAS's address and port, with our identifier, the matching ACK/NAK code and a valid
//! Response Authenticator (and Message-Authenticator if present) counts. It owns no state
//! between exchanges beyond the identifier counter; it decides nothing about sessions.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::crypto;
use super::dialect::{self, Vendor};
use super::dictionary::*;
use super::packet::{Code, Packet, PacketRef, MAX_LEN};
use super::Nas;
use crate::sessions::enforcement::{NasControl, NasError, NasLimits, NasSession};

/// How long to wait after each send: the first try, then the retransmissions.
pub const DEFAULT_WAITS: [Duration; 4] = [Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4), Duration::from_secs(4)];

pub struct DasClient {
    /// The configured NASes by name.
    nases: HashMap<String, Nas>,
    /// How long to wait for a reply after each send (one send per entry).
    waits: Vec<Duration>,
    /// Identifiers of successive requests (only the low 8 bits go out).
    next_identifier: AtomicU32,
}

impl DasClient {
    pub fn new(nases: Vec<Nas>) -> DasClient {
        DasClient::with_timeouts(nases, DEFAULT_WAITS.to_vec())
    }

    /// `waits`: how long to wait after each send, e.g. `[1 s, 2 s, 4 s, 4 s]` (at least one).
    pub fn with_timeouts(nases: Vec<Nas>, waits: Vec<Duration>) -> DasClient {
        let waits = if waits.is_empty() { DEFAULT_WAITS.to_vec() } else { waits };
        let start = crypto::random_authenticator()[0];
        DasClient { nases: nases.into_iter().map(|n| (n.name.clone(), n)).collect(), waits, next_identifier: AtomicU32::new(u32::from(start)) }
    }

    fn nas(&self, name: &str) -> Result<&Nas, NasError> {
        let nas = self.nases.get(name).ok_or_else(|| NasError::UnknownNas(name.to_string()))?;
        if nas.das_port == 0 {
            return Err(NasError::NoDynamicAuthorization { nas: nas.name.clone() });
        }
        Ok(nas)
    }

    /// Sends `request` (identifier set here) until the NAS answers it or the waits run out.
    fn exchange(&self, nas: &Nas, mut request: Packet) -> Result<(), NasError> {
        let (ack, nak) = match request.code {
            Code::CoaRequest => (Code::CoaAck, Code::CoaNak),
            _ => (Code::DisconnectAck, Code::DisconnectNak),
        };
        request.identifier = self.next_identifier.fetch_add(1, Ordering::Relaxed) as u8;
        let secret = nas.secret.as_bytes();
        let raw = crypto::encode_request(&request, secret);
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(&raw[4..20]);
        let peer = SocketAddr::new(nas.address, nas.das_port);
        let no_answer = |source: io::Error| NasError::NoAnswer { nas: nas.name.clone(), source };
        let socket = bind_connected(peer).map_err(no_answer)?;
        let mut buf = [0u8; MAX_LEN];
        let mut last_error = None;
        for wait in &self.waits {
            if let Err(e) = socket.send(&raw) {
                last_error = Some(e);
            }
            let deadline = Instant::now() + *wait;
            while let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
                socket.set_read_timeout(Some(left)).map_err(no_answer)?;
                match socket.recv_from(&mut buf) {
                    Ok((n, from)) if from == peer => match answer(&buf[..n], request.identifier, &authenticator, secret, ack, nak) {
                        Some(Ok(())) => return Ok(()),
                        Some(Err(cause)) => return Err(NasError::Refused { nas: nas.name.clone(), cause }),
                        None => log::debug!("ignored a datagram from NAS {} that is no valid answer to request {}", nas.name, request.identifier),
                    },
                    Ok(_) => {}
                    Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => break,
                    Err(e) => {
                        // E.g. an ICMP port unreachable from an earlier send: wait on, a little
                        // at a time (replies queue in the socket meanwhile).
                        last_error = Some(e);
                        std::thread::sleep(left.min(Duration::from_millis(100)));
                    }
                }
            }
        }
        let total: Duration = self.waits.iter().sum();
        let source = last_error.unwrap_or_else(|| io::Error::new(io::ErrorKind::TimedOut, format!("no valid reply from {peer} to {} sends over {} ms", self.waits.len(), total.as_millis())));
        Err(no_answer(source))
    }
}

impl NasControl for DasClient {
    fn disconnect(&self, session: &NasSession) -> Result<(), NasError> {
        let nas = self.nas(&session.nas)?;
        self.exchange(nas, disconnect_request(session, unix_now()))
    }

    fn change(&self, session: &NasSession, limits: &NasLimits) -> Result<(), NasError> {
        let nas = self.nas(&session.nas)?;
        self.exchange(nas, coa_request(session, nas.vendor, limits, unix_now()))
    }
}

/// A Disconnect-Request naming the session (identifier and authenticator are set when sent).
pub fn disconnect_request(session: &NasSession, event_timestamp: u32) -> Packet {
    let mut packet = Packet::new(Code::DisconnectRequest, 0, [0; 16]);
    identify(&mut packet, session, event_timestamp);
    packet
}

/// A CoA-Request naming the session, with its new Session-Timeout, data left and speeds in
/// the NAS's dialect.
pub fn coa_request(session: &NasSession, vendor: Vendor, limits: &NasLimits, event_timestamp: u32) -> Packet {
    let mut packet = Packet::new(Code::CoaRequest, 0, [0; 16]);
    identify(&mut packet, session, event_timestamp);
    dialect::push_limits(&mut packet, vendor, limits);
    packet
}

/// The session identification RFC 5176 §3 describes, MAC in MikroTik's `AA:BB:…` spelling.
fn identify(packet: &mut Packet, session: &NasSession, event_timestamp: u32) {
    packet.push_str(USER_NAME, &session.username);
    packet.push_str(ACCT_SESSION_ID, &session.acct_session_id);
    if let Some(mac) = session.mac {
        let b = mac.0;
        packet.push_str(CALLING_STATION_ID, &format!("{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}", b[0], b[1], b[2], b[3], b[4], b[5]));
    }
    if let Some(ip) = session.ip {
        packet.push(FRAMED_IP_ADDRESS, ip.octets().to_vec());
    }
    packet.push_u32(EVENT_TIMESTAMP, event_timestamp);
}

/// `Some(Ok)` for a valid ACK, `Some(Err(cause))` for a valid NAK, `None` for anything else.
fn answer(raw: &[u8], identifier: u8, request_authenticator: &[u8; 16], secret: &[u8], ack: Code, nak: Code) -> Option<Result<(), u32>> {
    let reply = PacketRef::parse(raw).ok()?;
    if reply.identifier() != identifier || !(reply.code() == ack || reply.code() == nak) {
        return None;
    }
    if !crypto::reply_valid(raw, request_authenticator, secret) {
        return None;
    }
    if reply.code() == ack {
        Some(Ok(()))
    } else {
        Some(Err(reply.get_u32(ERROR_CAUSE).unwrap_or(0)))
    }
}

fn bind_connected(peer: SocketAddr) -> io::Result<UdpSocket> {
    let socket = match peer {
        SocketAddr::V4(_) => UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?,
        SocketAddr::V6(_) => UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0))?,
    };
    socket.connect(peer)?;
    Ok(socket)
}

fn unix_now() -> u32 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs().min(u64::from(u32::MAX)) as u32).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::Rate;
    use crate::netaddr::MacAddr;
    use crate::radius::crypto::{check_message_authenticator, encode_reply, MessageAuthenticator};
    use std::sync::mpsc;
    use std::thread;

    const SECRET: &str = "das-secret";

    /// What the fake NAS does with the n-th datagram it receives: the datagrams to send back,
    /// each from its main socket (`true`) or from another one (`false`).
    type Script = Box<dyn Fn(usize, &Packet) -> Vec<(bool, Vec<u8>)> + Send>;

    /// A NAS on a loopback port that checks each request as RFC 5176 says and answers per
    /// `script`; every request's octets come out of the channel.
    fn fake_nas(script: Script) -> (u16, mpsc::Receiver<Vec<u8>>) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let other = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            for n in 0.. {
                let Ok((len, from)) = socket.recv_from(&mut buf) else { return };
                let raw = buf[..len].to_vec();
                assert!(crypto::request_authenticator_valid(&raw, SECRET.as_bytes()), "request authenticator");
                assert_eq!(check_message_authenticator(&raw, SECRET.as_bytes(), None), MessageAuthenticator::Valid);
                let request = Packet::decode(&raw).unwrap();
                for (main, reply) in script(n, &request) {
                    let _ = if main { socket.send_to(&reply, from) } else { other.send_to(&reply, from) };
                }
                if tx.send(raw).is_err() {
                    return;
                }
            }
        });
        (port, rx)
    }

    fn reply(request: &Packet, code: Code, cause: Option<u32>, secret: &str) -> Vec<u8> {
        let mut p = Packet::new(code, request.identifier, [0; 16]);
        if let Some(cause) = cause {
            p.push_u32(ERROR_CAUSE, cause);
        }
        encode_reply(&p, &request.authenticator, secret.as_bytes())
    }

    fn client(port: u16, vendor: Vendor) -> DasClient {
        let nas = |name: &str, das_port| Nas { name: name.into(), address: Ipv4Addr::LOCALHOST.into(), secret: SECRET.into(), vendor, require_message_authenticator: true, das_port };
        DasClient::with_timeouts(vec![nas("till-1", port), nas("no-das", 0)], vec![Duration::from_millis(300); 3])
    }

    fn session(nas: &str) -> NasSession {
        NasSession { nas: nas.into(), acct_session_id: "81000007".into(), username: "alice".into(), mac: Some(MacAddr([0xaa, 0xbb, 0xcc, 0x0d, 0x0e, 0x0f])), ip: Some(Ipv4Addr::new(10, 5, 0, 9)) }
    }

    #[test]
    fn a_disconnect_ack_ends_the_exchange() {
        let (port, requests) = fake_nas(Box::new(|_, r| vec![(true, reply(r, Code::DisconnectAck, None, SECRET))]));
        client(port, Vendor::Mikrotik).disconnect(&session("till-1")).unwrap();
        let request = Packet::decode(&requests.recv().unwrap()).unwrap();
        assert_eq!(request.code, Code::DisconnectRequest);
        assert_eq!(request.get_str(USER_NAME), Some("alice"));
        assert_eq!(request.get_str(ACCT_SESSION_ID), Some("81000007"));
        assert_eq!(request.get_str(CALLING_STATION_ID), Some("AA:BB:CC:0D:0E:0F"));
        assert_eq!(request.get(FRAMED_IP_ADDRESS), Some(&[10, 5, 0, 9][..]));
        let now = unix_now();
        assert!(request.get_u32(EVENT_TIMESTAMP).is_some_and(|t| t <= now && t + 5 > now));
        assert!(request.get(SESSION_TIMEOUT).is_none());
    }

    #[test]
    fn a_coa_nak_is_refused_with_its_error_cause() {
        let (port, requests) = fake_nas(Box::new(|_, r| vec![(true, reply(r, Code::CoaNak, Some(ERROR_CAUSE_SESSION_CONTEXT_NOT_FOUND), SECRET))]));
        let limits = NasLimits { session_timeout_secs: 600, data_left_bytes: Some(1_000_000), rate: Rate { up_kbps: Some(512), down_kbps: Some(2048) } };
        match client(port, Vendor::Mikrotik).change(&session("till-1"), &limits) {
            Err(NasError::Refused { nas, cause }) => assert_eq!((nas.as_str(), cause), ("till-1", 503)),
            other => panic!("{other:?}"),
        }
        let request = Packet::decode(&requests.recv().unwrap()).unwrap();
        assert_eq!(request.code, Code::CoaRequest);
        assert_eq!(request.get_u32(SESSION_TIMEOUT), Some(600));
        assert_eq!(request.vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT), Some(1_000_000));
        assert_eq!(request.vendor(VENDOR_MIKROTIK, MIKROTIK_RATE_LIMIT), Some(&b"512k/2048k"[..]));
        assert_eq!(request.get_str(CALLING_STATION_ID), Some("AA:BB:CC:0D:0E:0F"));

        // A NAK without Error-Cause is cause 0.
        let (port, _requests) = fake_nas(Box::new(|_, r| vec![(true, reply(r, Code::DisconnectNak, None, SECRET))]));
        assert!(matches!(client(port, Vendor::Chilli).disconnect(&session("till-1")), Err(NasError::Refused { cause: 0, .. })));
    }

    #[test]
    fn only_a_valid_answer_from_the_nas_counts() {
        let (port, requests) = fake_nas(Box::new(|_, r| {
            let mut wrong_id = r.clone();
            wrong_id.identifier = r.identifier.wrapping_add(1);
            vec![
                (false, reply(r, Code::DisconnectAck, None, SECRET)),      // from another port
                (true, reply(r, Code::DisconnectAck, None, "not-the-secret")), // bad authenticator
                (true, reply(&wrong_id, Code::DisconnectAck, None, SECRET)), // another request's
                (true, reply(r, Code::CoaAck, None, SECRET)),             // the wrong kind of ACK
                (true, b"garbage".to_vec()),
                (true, reply(r, Code::DisconnectNak, Some(ERROR_CAUSE_SESSION_CONTEXT_NOT_REMOVABLE), SECRET)),
            ]
        }));
        match client(port, Vendor::Generic).disconnect(&session("till-1")) {
            Err(NasError::Refused { cause: 504, .. }) => {}
            other => panic!("{other:?}"),
        }
        requests.recv_timeout(Duration::from_secs(1)).unwrap();
        assert!(requests.recv_timeout(Duration::from_millis(300)).is_err(), "answered at the first send: no retransmission");
    }

    #[test]
    fn silence_retransmits_the_same_octets_then_gives_up() {
        let (port, requests) = fake_nas(Box::new(|_, _| Vec::new()));
        let started = Instant::now();
        match client(port, Vendor::Wispr).disconnect(&session("till-1")) {
            Err(e @ NasError::NoAnswer { .. }) => assert!(crate::error_chain(&e).contains("3 sends over 900 ms"), "{}", crate::error_chain(&e)),
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() >= Duration::from_millis(900));
        let sent: Vec<Vec<u8>> = requests.try_iter().collect();
        assert_eq!(sent.len(), 3);
        assert!(sent.iter().all(|s| *s == sent[0]), "a retransmission is the identical packet");

        // The answer to a retransmission counts.
        let (port, requests) = fake_nas(Box::new(|n, r| if n == 2 { vec![(true, reply(r, Code::DisconnectAck, None, SECRET))] } else { Vec::new() }));
        client(port, Vendor::Wispr).disconnect(&session("till-1")).unwrap();
        assert_eq!((0..3).filter(|_| requests.recv_timeout(Duration::from_secs(1)).is_ok()).count(), 3);
    }

    #[test]
    fn a_nas_without_das_port_or_unknown_is_said_so() {
        let das = client(9, Vendor::Mikrotik);
        assert!(matches!(das.disconnect(&session("no-das")), Err(NasError::NoDynamicAuthorization { nas }) if nas == "no-das"));
        assert!(matches!(das.disconnect(&session("gone")), Err(NasError::UnknownNas(n)) if n == "gone"));
        let limits = NasLimits { session_timeout_secs: 1, data_left_bytes: None, rate: Rate::default() };
        assert!(matches!(das.change(&session("no-das"), &limits), Err(NasError::NoDynamicAuthorization { .. })));
    }
}
