//! (temporary, until the frame from helper-core is merged)
pub mod qr;
pub mod multipart;
