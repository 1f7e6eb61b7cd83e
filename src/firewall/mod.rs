//! Enforcement: who the kernel lets through, how much, and how fast. The desired state is
//! data (`Policy` plus the authorised devices with their counters, caps and rates), applied
//! whole at start and changed one atomic batch at a time; the kernel's counters are read
//! back in one listing per poll.
//!
//! Backends: `nft` (our own table `inet hotspotd`, the only code that writes nft syntax, with
//! `tc` shaping for speed limits) and `none` (enforces and counts nothing; logs each change,
//! for the demo and development). Calls block (they run `nft`/`tc`, each within a deadline,
//! `command.rs`): the daemon makes them on the firewall's own threads (`worker.rs`), never
//! on the blocking pool that upstream HTTP uses.

mod command;
mod nft;
pub mod nft_usage;
mod none;
mod tc;
pub mod worker;

pub use tc::describe as describe_shaping;

pub use nft::NftFirewall;
pub use none::NoFirewall;
pub use worker::FirewallWorker;

use std::collections::HashMap;
use std::net::Ipv4Addr;

use crate::netaddr::{Ipv4Cidr, MacAddr};

/// The fixed part of the rules, from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Client-facing interface; only its traffic is captured.
    pub interface: String,
    /// Unauthenticated clients' tcp/80 goes to this local port (the portal).
    pub portal_port: u16,
    /// Reachable before login.
    pub walled_garden: Vec<Ipv4Cidr>,
    /// The web admin's TCP port (`option admin_listen`): dropped when it arrives from the
    /// client-facing interface. `None`: no web admin.
    pub admin_port: Option<u16>,
}

/// A device as the firewall knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Device {
    pub ip: Ipv4Addr,
    pub mac: MacAddr,
}

/// Bytes a device sent (`up`, the `bytes_in` columns) and received (`down`, `bytes_out`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    pub up: u64,
    pub down: u64,
}

impl Traffic {
    pub fn total(self) -> u64 {
        self.up.saturating_add(self.down)
    }

    /// Each direction's larger value (counters only grow).
    pub fn max(self, other: Traffic) -> Traffic {
        Traffic { up: self.up.max(other.up), down: self.down.max(other.down) }
    }

    /// What `self` has that `earlier` had not (never negative).
    pub fn since(self, earlier: Traffic) -> Traffic {
        Traffic { up: self.up.saturating_sub(earlier.up), down: self.down.saturating_sub(earlier.down) }
    }
}

/// An account's data cap as the kernel enforces it: one quota shared by all the account's
/// devices, so their traffic together stops at the byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub account_id: i64,
    pub limit_bytes: u64,
    /// Bytes the account has used so far (counted against the limit).
    pub used_bytes: u64,
}

/// Per-device speed ceilings in kbit/s; `None`: not limited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rate {
    pub down_kbps: Option<u32>,
    pub up_kbps: Option<u32>,
}

/// A device allowed through for `timeout_secs` more seconds (the kernel removes it then,
/// whether or not the daemon is running), with its byte counters and its account's quota
/// and speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorised {
    pub device: Device,
    pub timeout_secs: u64,
    pub session_id: i64,
    /// Bytes the session has used so far: counters created now start from here.
    pub counted: Traffic,
    /// Set the address's counters to `counted` even if they exist (a new session, or one
    /// that moved to this address). Otherwise existing counters keep counting (a refresh).
    pub reset_counters: bool,
    /// `None`: the account has no data cap.
    pub quota: Option<Quota>,
    pub rate: Rate,
}

/// A device whose access ends, with its counters: read them first (`read_usage`), they go
/// with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revoked {
    pub device: Device,
    pub session_id: i64,
    pub account_id: i64,
    /// The account has a data cap (the device is in the quota map).
    pub capped: bool,
    /// No other device of the account stays online: its shared quota goes too.
    pub last_of_account: bool,
}

/// An account quota as the kernel holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaState {
    pub limit_bytes: u64,
    /// Bytes that met the quota, including any it refused once the cap was reached.
    pub used_bytes: u64,
}

impl QuotaState {
    /// The cap is reached: the kernel is dropping this account's traffic.
    pub fn is_exhausted(&self) -> bool {
        self.used_bytes >= self.limit_bytes
    }
}

/// What the kernel has counted, read in one listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageReading {
    /// Per device address: bytes its session has moved since it started (counters start
    /// from the session's recorded totals).
    pub devices: HashMap<Ipv4Addr, Traffic>,
    /// Per account (by id).
    pub quotas: HashMap<i64, QuotaState>,
}

#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    #[error("cannot run `{program}` (is it installed? set `option firewall 'none'` to run without enforcement)")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{program}` did not finish within {after:.1?}; killed")]
    TimedOut { program: String, after: std::time::Duration },
    #[error("cannot exchange data with `{program}`")]
    Pipe {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{program}` wrote more than {limit_bytes} bytes; killed")]
    Oversized { program: String, limit_bytes: usize },
    #[error("nft accepted the table but `table inet {table}` is not there afterwards (another tool removed it?)")]
    NotInstalled { table: &'static str },
    #[error("nft rejected the change: {stderr}")]
    Rejected { stderr: String },
    #[error("tc rejected the speed limits: {stderr} (are kmod-sched-core and kmod-ifb installed?)")]
    ShaperRejected { stderr: String },
    #[error("cannot understand nft's listing of the counters")]
    Listing(#[source] nft_usage::ListingError),
    #[error("interface name `{0}` is not valid (letters, digits, `.`, `-`, `_`; at most 15)")]
    BadInterface(String),
}

pub trait Firewall: Send + Sync {
    /// Replaces the whole rule set with exactly `clients`, atomically: devices already
    /// authorised stay authorised throughout; counters and quotas start from the values given.
    fn install(&self, clients: &[Authorised]) -> Result<(), FirewallError>;

    /// In one atomic change: removes `revoke`, then adds or refreshes `authorise` (a refresh
    /// keeps the device's counters and its account quota's count; it may change the cap).
    fn update(&self, authorise: &[Authorised], revoke: &[Revoked]) -> Result<(), FirewallError>;

    /// Whether our rules are in place (another tool may have flushed the rule set).
    fn is_installed(&self) -> Result<bool, FirewallError>;

    /// Every device's byte counters and every account's quota. Empty if the backend counts
    /// nothing or the table is missing.
    fn read_usage(&self) -> Result<UsageReading, FirewallError>;
}
