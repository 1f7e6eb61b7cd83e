//! hotspotd: an offline-first paid Wi-Fi hotspot daemon for OpenWrt routers.
//!
//! The parts:
//! - `config`: the UCI file → typed `Config` (and the demo defaults).
//! - `store`: the SQLite database, its migrations, and the query functions by table.
//! - `access`: the pure entitlement rules (who may be online, from how many devices, until when).
//! - `accounts`: account operations across tables (password reset).
//! - `jobs`: the durable job queue, its worker, and one file per kind of job.
//! - `schedule`: recurring work on a timer (expiry check, clean-up), not durable jobs.
//! - `admin`: the operator's operations as data (CLI, control socket, later the web admin).
//! - `control`: the daemon's local control socket, through which commands reach it.
//! - `credentials`: voucher codes and passwords (generation, hashing, normalising).
//! - `sessions`: login, logout, expiry, data caps and restore — database first, then firewall.
//! - `ledger`: live per-session usage in memory (pure; the usage task in `sessions` feeds it).
//! - `firewall`: the nftables table `inet hotspotd` and tc speed limits (or `none`).
//! - `portal`: the captive portal HTTP server (splash, status, JSON API, RFC 8908).
//! - `webadmin`: the operator's web admin (second listener: login, pages, audit).
//! - `payments`: M-Pesa STK push and the payment → account flow.
//! - `radius`: the RADIUS codec, server for NAS devices, Disconnect/CoA client and central-server client.
//! - `sms`: credential delivery (Africa's Talking, Twilio, webhook).
//! - `daemon`: `hotspotd run` — starts the tasks above and stops them on SIGTERM.
//! - `branding`: the venue's name, colours, logo, terms and default language (splash, print).
//! - `cli`: parsing the command line and showing operations' answers as text or JSON.
//! - `http_client`: blocking HTTP(S) to upstream services, run off the runtime thread.
//! - `clock`: the daemon's timeline, which wall-clock jumps do not move.
//! - `netaddr`, `phone`, `logging`, `words` (states stored as words): small shared pieces.
//! - `json_fields`: hand-written JSON decoders for our enums (smaller than serde's derive).

pub mod access;
pub mod accounts;
pub mod admin;
pub mod branding;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod config;
pub mod control;
pub mod credentials;
pub mod daemon;
pub mod demo;
pub mod firewall;
pub mod http_client;
pub mod i18n;
pub mod jobs;
pub mod json_fields;
pub mod ledger;
pub mod logging;
pub mod netaddr;
pub mod payments;
pub mod phone;
pub mod portal;
pub mod radius;
pub mod schedule;
pub mod sessions;
pub mod sms;
pub mod store;
pub mod sync;
pub mod webadmin;
#[cfg(feature = "central")]
pub mod central;
pub mod words;

/// An error and all its causes on one line: `cannot open the database x: unable to open`.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cause = e.source();
    }
    out
}
