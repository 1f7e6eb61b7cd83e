//! The properties of hotspotd's parsers of outside input, in one place for both runners:
//! the stable property tests (`tests/parser_properties.rs`, proptest, run by `cargo test`)
//! and the cargo-fuzz targets (`fuzz/fuzz_targets/`, nightly, `scripts/fuzz.sh`), which
//! build this folder as their library. Each `check_*` takes plain input, runs the parser and
//! panics with the input when a property fails: round trips where the parser has an inverse
//! (or a small writer here), otherwise "no panic" plus invariants a user would check.
//!
//! Owns the properties only: generators live with each runner. Must not use `crate::`
//! paths (this folder is a module of a test crate and the root of the fuzz library).
//!
//! A new parser of outside input gets a file here and a target in `fuzz/`.

#![allow(dead_code)] // each runner uses its own subset

pub mod arp;
pub mod callback;
pub mod config;
pub mod daraja;
pub mod form;
pub mod host;
pub mod json_bodies;
pub mod netaddr;
pub mod nft_usage;
pub mod phone;
pub mod radius;
pub mod routing;
pub mod sms;
pub mod uci;

/// Splits fuzz input into `n` parts at 0xff bytes (never valid UTF-8, so never inside text
/// a part should hold); missing parts are empty.
pub fn split_input(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut parts: Vec<&[u8]> = data.splitn(n, |&b| b == 0xff).collect();
    parts.resize(n, &[]);
    parts
}
