//! The daemon's local control socket: how operator commands reach the running daemon, so
//! that one process writes the firewall and usage. A Unix socket beside the database (or
//! `option control_socket`), mode 0600: only root talks to it.
//!
//! The protocol is one JSON line each way per connection: the command sends a `Call` (an
//! `admin::Request` and whether it wants JSON: `{"json":false,"request":{"kick":{"mac":
//! "02:00:00:00:00:01"}}}`), the daemon carries it out and answers with what the command
//! prints (`{"output":"…"}`, rendered by `cli::render`, the same code a command uses when it
//! runs an operation itself) or `{"error":"message"}`, and closes. `server.rs` is the
//! daemon's side, `client.rs` the command's.

pub mod client;
pub mod server;

use serde::{Deserialize, Serialize};

use crate::admin::Request;

/// What a command asks the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Answer with the reply as JSON rather than as text for a terminal.
    pub json: bool,
    pub request: Request,
}

/// Largest request the daemon reads (a request is a few hundred bytes).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Largest answer the command reads (10,000 voucher codes, the whole job list).
pub const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;

/// The daemon's answer to one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// What the command prints.
    Output(String),
    /// What went wrong, in the words the command prints.
    Error(String),
}
