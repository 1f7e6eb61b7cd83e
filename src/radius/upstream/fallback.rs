//! Asking the central server about a username and password the router does not know (PAP
//! Access-Request with Message-Authenticator). Short: three sends a second apart, so a dead
//! central costs one login at most ~3 s and nothing else (a tokio socket of its own per
//! question; at most `AT_ONCE` questions in flight, more are answered "no answer" at once).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

use super::packets::{self, CentralGrant, Identity};
use crate::config::RadiusUpstreamConfig;
use crate::netaddr::MacAddr;
use crate::radius::crypto;
use crate::radius::packet::{Code, Packet};

/// Questions to the central server in flight at once.
const AT_ONCE: usize = 4;
/// Each send waits this long for the answer; three sends in all.
const WAIT: Duration = Duration::from_secs(1);
const SENDS: usize = 3;

/// What the central server said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept(CentralGrant),
    Reject,
}

#[derive(Debug, thiserror::Error)]
pub enum FallbackError {
    #[error("cannot reach the central RADIUS server {server}")]
    Socket {
        server: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("no answer from the central RADIUS server {server} within {} s", WAIT.as_secs() * SENDS as u64)]
    NoAnswer { server: SocketAddr },
    #[error("too many questions to the central RADIUS server at once")]
    Busy,
}

/// The authentication side of `config radius_upstream` (when `authentication` is on).
pub struct CentralAuth {
    server: SocketAddr,
    secret: Vec<u8>,
    nas_identifier: String,
    permits: Semaphore,
}

impl CentralAuth {
    pub fn new(config: &RadiusUpstreamConfig) -> CentralAuth {
        CentralAuth {
            server: SocketAddr::new(config.server, config.auth_port),
            secret: config.secret.clone().into_bytes(),
            nas_identifier: config.nas_identifier.clone(),
            permits: Semaphore::new(AT_ONCE),
        }
    }

    /// Asks the central server whether `username` / `password` may log in.
    pub async fn check(&self, username: &str, password: &str, mac: Option<MacAddr>) -> Result<Verdict, FallbackError> {
        let _permit = self.permits.try_acquire().map_err(|_| FallbackError::Busy)?;
        let server = self.server;
        let socket_err = |source| FallbackError::Socket { server, source };
        let any: SocketAddr = match server.ip() {
            IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            IpAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let socket = UdpSocket::bind(any).await.map_err(socket_err)?;
        socket.connect(server).await.map_err(socket_err)?;
        let nas_ip = match socket.local_addr() {
            Ok(SocketAddr::V4(a)) if !a.ip().is_unspecified() => Some(*a.ip()),
            _ => None,
        };
        let identity = Identity { nas_identifier: self.nas_identifier.clone(), nas_ip };
        let authenticator = crypto::random_authenticator();
        let identifier = authenticator[0];
        let request = packets::access_request(username, password, &identity, mac, identifier, authenticator, &self.secret);
        let raw = crypto::encode_request(&request, &self.secret);
        let mut buf = vec![0u8; 4096];
        for _ in 0..SENDS {
            // A send error (no route, port closed) is the same as silence: try again.
            let _ = socket.send(&raw).await;
            let deadline = tokio::time::Instant::now() + WAIT;
            while let Ok(received) = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
                let Ok(n) = received else { break };
                let answer = &buf[..n];
                if n < 20 || answer[1] != identifier || !crypto::reply_valid(answer, &authenticator, &self.secret) {
                    continue;
                }
                let Ok(packet) = Packet::decode(answer) else { continue };
                match packet.code {
                    Code::AccessAccept => return Ok(Verdict::Accept(packets::grant_from_accept(&packet))),
                    Code::AccessReject => return Ok(Verdict::Reject),
                    // A challenge (more than PAP needed) is a refusal here.
                    Code::AccessChallenge => return Ok(Verdict::Reject),
                    _ => continue,
                }
            }
            // An ICMP "port unreachable" ends recv early: wait out the rest of the second.
            tokio::time::sleep_until(deadline).await;
        }
        Err(FallbackError::NoAnswer { server })
    }
}
