//! Enforcement: who the kernel lets through. The desired state is data (`Policy` plus the
//! authorised devices), applied whole at start and changed one atomic batch at a time.
//!
//! Backends: `nft` (our own table `inet hotspotd`, the only code that writes nft syntax) and
//! `none` (enforces nothing; logs each change, for the demo and development). Calls block
//! (they run `nft`): async callers use `spawn_blocking`.

mod nft;
mod none;

pub use nft::NftFirewall;
pub use none::NoFirewall;

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
}

/// A device as the firewall knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Device {
    pub ip: Ipv4Addr,
    pub mac: MacAddr,
}

/// A device allowed through for `timeout_secs` more seconds; the kernel removes it then,
/// whether or not the daemon is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorised {
    pub device: Device,
    pub timeout_secs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    #[error("cannot run `{program}` (is nftables installed? set `option firewall 'none'` to run without enforcement)")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("nft rejected the change: {stderr}")]
    Rejected { stderr: String },
    #[error("interface name `{0}` is not valid (letters, digits, `.`, `-`, `_`; at most 15)")]
    BadInterface(String),
}

pub trait Firewall: Send + Sync {
    /// Replaces the whole rule set with `policy` and exactly `clients`, atomically: devices
    /// already authorised stay authorised throughout.
    fn install(&self, policy: &Policy, clients: &[Authorised]) -> Result<(), FirewallError>;

    /// In one atomic change: removes `revoke`, then adds or refreshes `authorise`.
    fn update(&self, authorise: &[Authorised], revoke: &[Device]) -> Result<(), FirewallError>;

    /// Whether our rules are in place (another tool may have flushed the rule set).
    fn is_installed(&self) -> Result<bool, FirewallError>;
}
