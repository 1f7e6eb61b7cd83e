//! Sync with the central server (`config sync`): the wire format both sides share (`wire`).
pub mod wire;
