//! The client side towards the operator's central RADIUS server (`config radius_upstream`,
//! a FreeRADIUS with `radcheck` / `radreply` / `radacct`):
//!
//! - `queue`: the accounting outbox in SQLite, written in the same transaction as each
//!   session change (through `store::outbox::record`), with its coalescing rules and the
//!   status `hotspotd status` shows;
//! - `packets`: the pure part — the Accounting-Requests, Accounting-On/-Off and PAP
//!   Access-Requests sent, and what an Access-Accept grants;
//! - `forwarder`: the daemon task that sends the outbox in order and deletes only what the
//!   central acknowledged (store-and-forward: days offline and restarts lose nothing);
//! - `fallback`: asking the central about an account the router does not know
//!   (`Sessions::ask_central` turns an Accept into a local account).

pub mod fallback;
pub mod forwarder;
pub mod packets;
pub mod queue;

pub use fallback::{CentralAuth, FallbackError, Verdict};

/// Interim-Update interval for the central server's accounting, in seconds, when there is
/// no `config radius` section (else its `interim_interval`, the one NAS devices get too).
pub const INTERIM_SECS: u32 = 300;
