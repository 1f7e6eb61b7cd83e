//! The web admin (placeholder until the frame from helper-core is merged).

pub mod charts;
