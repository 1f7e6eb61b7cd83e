//! What the RADIUS server has done since the daemon started, for `hotspotd status`: answers
//! given and packets dropped, by cause. Counters only (no per-packet memory); `AtomicU32`
//! because the router is 32-bit MIPS (no 64-bit atomics); they wrap after 4 billion.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use serde::Serialize;

/// Why a datagram got no answer (each has its counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// From an address that is no `config nas`.
    UnknownNas,
    /// An Accounting-Request whose Request Authenticator does not match the NAS's secret.
    BadAuthenticator,
    /// An Access-Request without a Message-Authenticator from a NAS that must send one
    /// (BlastRADIUS), or with a wrong one.
    MessageAuthenticator,
    /// Not a RADIUS packet we take: bad lengths, a code this port does not serve, a missing
    /// User-Name, an unknown Acct-Status-Type.
    Malformed,
    /// The NAS's queue was full (it sends faster than we record).
    QueueFull,
    /// The database could not record it (the NAS retransmits).
    NotRecorded,
}

/// The counters, shared by the server's tasks and the status report.
#[derive(Debug)]
pub struct Stats {
    auth_addr: SocketAddr,
    acct_addr: SocketAddr,
    nases: usize,
    accepted: AtomicU32,
    rejected: AtomicU32,
    accounting_recorded: AtomicU32,
    duplicates: AtomicU32,
    unknown_nas: AtomicU32,
    bad_authenticator: AtomicU32,
    message_authenticator: AtomicU32,
    malformed: AtomicU32,
    queue_full: AtomicU32,
    not_recorded: AtomicU32,
}

fn bump(counter: &AtomicU32, n: u32) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Stats {
    /// Counters for a server on these addresses, serving `nases` NASes.
    pub fn new(auth_addr: SocketAddr, acct_addr: SocketAddr, nases: usize) -> Stats {
        let zero = || AtomicU32::new(0);
        Stats {
            auth_addr,
            acct_addr,
            nases,
            accepted: zero(),
            rejected: zero(),
            accounting_recorded: zero(),
            duplicates: zero(),
            unknown_nas: zero(),
            bad_authenticator: zero(),
            message_authenticator: zero(),
            malformed: zero(),
            queue_full: zero(),
            not_recorded: zero(),
        }
    }

    /// Where the server listens and what it has done so far.
    pub fn status(&self) -> Status {
        Status { auth: self.auth_addr.to_string(), accounting: self.acct_addr.to_string(), nases: self.nases, counters: self.snapshot() }
    }

    pub fn accepted(&self) {
        bump(&self.accepted, 1);
    }

    pub fn rejected(&self) {
        bump(&self.rejected, 1);
    }

    pub fn accounting_recorded(&self, n: u32) {
        bump(&self.accounting_recorded, n);
    }

    /// A retransmission answered from the duplicate cache (or still being decided).
    pub fn duplicate(&self) {
        bump(&self.duplicates, 1);
    }

    pub fn dropped(&self, why: Dropped, n: u32) {
        let counter = match why {
            Dropped::UnknownNas => &self.unknown_nas,
            Dropped::BadAuthenticator => &self.bad_authenticator,
            Dropped::MessageAuthenticator => &self.message_authenticator,
            Dropped::Malformed => &self.malformed,
            Dropped::QueueFull => &self.queue_full,
            Dropped::NotRecorded => &self.not_recorded,
        };
        bump(counter, n);
    }

    /// The counters now.
    pub fn snapshot(&self) -> Counters {
        let get = |c: &AtomicU32| c.load(Ordering::Relaxed);
        Counters {
            accepted: get(&self.accepted),
            rejected: get(&self.rejected),
            accounting_recorded: get(&self.accounting_recorded),
            duplicates: get(&self.duplicates),
            dropped_unknown_nas: get(&self.unknown_nas),
            dropped_bad_authenticator: get(&self.bad_authenticator),
            dropped_message_authenticator: get(&self.message_authenticator),
            dropped_malformed: get(&self.malformed),
            dropped_queue_full: get(&self.queue_full),
            dropped_not_recorded: get(&self.not_recorded),
        }
    }
}

/// The RADIUS server in the status report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// The authentication socket (`0.0.0.0:1812`).
    pub auth: String,
    pub accounting: String,
    /// NASes configured.
    pub nases: usize,
    #[serde(flatten)]
    pub counters: Counters,
}

/// The counters at one moment (in the status report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Access-Accepts sent.
    pub accepted: u32,
    /// Access-Rejects sent.
    pub rejected: u32,
    /// Accounting-Requests recorded and answered.
    pub accounting_recorded: u32,
    /// Retransmissions answered from the duplicate cache (RFC 5080), or dropped while the
    /// first copy was still being decided.
    pub duplicates: u32,
    pub dropped_unknown_nas: u32,
    /// Accounting-Requests with a wrong Request Authenticator (wrong secret).
    pub dropped_bad_authenticator: u32,
    /// Access-Requests with a missing (where required) or wrong Message-Authenticator.
    pub dropped_message_authenticator: u32,
    pub dropped_malformed: u32,
    pub dropped_queue_full: u32,
    /// Not recorded: the database failed (the NAS retransmits).
    pub dropped_not_recorded: u32,
}

impl Counters {
    pub fn dropped(&self) -> u32 {
        [
            self.dropped_unknown_nas,
            self.dropped_bad_authenticator,
            self.dropped_message_authenticator,
            self.dropped_malformed,
            self.dropped_queue_full,
            self.dropped_not_recorded,
        ]
        .iter()
        .fold(0u32, |sum, n| sum.wrapping_add(*n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_has_its_counter() {
        let stats = Stats::new(SocketAddr::from(([127, 0, 0, 1], 1812)), SocketAddr::from(([127, 0, 0, 1], 1813)), 2);
        stats.accepted();
        stats.rejected();
        stats.rejected();
        stats.accounting_recorded(256);
        stats.duplicate();
        for (why, n) in [(Dropped::UnknownNas, 1), (Dropped::BadAuthenticator, 2), (Dropped::MessageAuthenticator, 3), (Dropped::Malformed, 4), (Dropped::QueueFull, 5), (Dropped::NotRecorded, 6)] {
            stats.dropped(why, n);
        }
        let c = stats.snapshot();
        assert_eq!((c.accepted, c.rejected, c.accounting_recorded, c.duplicates), (1, 2, 256, 1));
        assert_eq!(
            [c.dropped_unknown_nas, c.dropped_bad_authenticator, c.dropped_message_authenticator, c.dropped_malformed, c.dropped_queue_full, c.dropped_not_recorded],
            [1, 2, 3, 4, 5, 6]
        );
        assert_eq!(c.dropped(), 21);
        let status = stats.status();
        assert_eq!((status.auth.as_str(), status.nases), ("127.0.0.1:1812", 2));
    }
}
