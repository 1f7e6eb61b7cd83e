//! RADIUS: the codec hotspotd speaks with NAS devices and a central server, and the
//! dynamic-authorization client (RFC 5176) that ends or changes NAS sessions.
//!
//! - `packet`: packets as data, decoded and encoded (pure).
//! - `crypto`: authenticators, Message-Authenticator, User-Password hiding, CHAP (pure).
//! - `dictionary`: the attribute numbers and values we use (pure).
//! - `dialect`: a package's limits in each NAS family's attributes, and back (pure).
//! - `das`: Disconnect-Request and CoA-Request to a NAS over UDP (`NasControl`).
//!
//! The server for NAS devices (`server`) and the client of the central server (`upstream`)
//! build on these.

pub mod crypto;
pub mod das;
pub mod dialect;
pub mod dictionary;
pub mod packet;
pub mod server;
pub mod upstream;

use std::net::IpAddr;

/// A NAS from `config nas` (built by the config code). `Debug` never shows the secret.
#[derive(Clone)]
pub struct Nas {
    /// `option name`: how sessions and logs name it.
    pub name: String,
    /// The one address its packets come from and its Disconnect/CoA requests go to.
    pub address: IpAddr,
    pub secret: String,
    pub vendor: dialect::Vendor,
    /// Drop its Access-Requests that lack a valid Message-Authenticator (BlastRADIUS).
    pub require_message_authenticator: bool,
    /// Its RFC 5176 port (3799 as a rule); 0: it takes no Disconnect/CoA.
    pub das_port: u16,
}

impl std::fmt::Debug for Nas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nas")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("secret", &"(secret)")
            .field("vendor", &self.vendor)
            .field("require_message_authenticator", &self.require_message_authenticator)
            .field("das_port", &self.das_port)
            .finish()
    }
}
