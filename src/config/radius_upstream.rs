//! `config radius_upstream 'central'`: the central RADIUS server (FreeRADIUS + SQL) this
//! router reports every session to and asks about accounts it does not know. Absent, or
//! with neither `accounting` nor `authentication` on: hotspotd speaks to no central server.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use super::{uci, ConfigError, SectionReader};

#[derive(Clone, PartialEq, Eq)]
pub struct RadiusUpstreamConfig {
    pub server: IpAddr,
    pub auth_port: u16,
    pub acct_port: u16,
    /// Shared secret with the central server (never logged: `Debug` hides it).
    pub secret: String,
    /// Forward every session's accounting (store-and-forward).
    pub accounting: bool,
    /// Ask the central server about usernames the router does not know.
    pub authentication: bool,
    /// NAS-Identifier in every packet (the router's name on the central server).
    pub nas_identifier: String,
}

impl fmt::Debug for RadiusUpstreamConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RadiusUpstreamConfig")
            .field("server", &self.server)
            .field("auth_port", &self.auth_port)
            .field("acct_port", &self.acct_port)
            .field("secret", &"(secret)")
            .field("accounting", &self.accounting)
            .field("authentication", &self.authentication)
            .field("nas_identifier", &self.nas_identifier)
            .finish()
    }
}

const KNOWN: &[&str] = &["server", "auth_port", "acct_port", "secret", "accounting", "authentication", "nas_identifier"];

impl RadiusUpstreamConfig {
    /// The first `config radius_upstream` section (named or not); `None` if there is none.
    pub fn from_sections(path: &Path, sections: &[uci::Section]) -> Result<Option<RadiusUpstreamConfig>, ConfigError> {
        let Some(section) = sections.iter().find(|s| s.kind == "radius_upstream") else { return Ok(None) };
        let r = SectionReader { path, section };
        r.check_known(KNOWN)?;
        let first = section.entries.first();
        let required = |key: &str| -> ConfigError {
            let line = first.map_or(0, |e| e.line);
            let name = section.name.as_deref().unwrap_or("radius_upstream");
            ConfigError::Invalid { path: path.to_owned(), line, key: format!("{name}.{key}"), message: "is required".into() }
        };
        let server: IpAddr = r.parsed("server", "an IP address such as 203.0.113.10")?.ok_or_else(|| required("server"))?;
        let secret = r.string("secret")?.ok_or_else(|| required("secret"))?;
        let port = |key: &str, default: u16| -> Result<u16, ConfigError> {
            Ok(r.parsed_in(key, 1..=65535, "a port number from 1 to 65535")?.unwrap_or(default))
        };
        Ok(Some(RadiusUpstreamConfig {
            server,
            auth_port: port("auth_port", 1812)?,
            acct_port: port("acct_port", 1813)?,
            secret,
            accounting: r.boolean("accounting")?.unwrap_or(true),
            authentication: r.boolean("authentication")?.unwrap_or(false),
            nas_identifier: r.string("nas_identifier")?.unwrap_or_else(|| "hotspotd".into()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<RadiusUpstreamConfig>, ConfigError> {
        RadiusUpstreamConfig::from_sections(Path::new("/etc/config/hotspotd"), &uci::parse(text).unwrap())
    }

    #[test]
    fn reads_the_section_and_hides_the_secret() {
        let c = parse(
            "config radius_upstream 'central'\n option server '203.0.113.10'\n option secret 's3cret'\n \
             option acct_port '1850'\n option authentication '1'\n option nas_identifier 'shop-1'\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!((c.server.to_string().as_str(), c.auth_port, c.acct_port), ("203.0.113.10", 1812, 1850));
        assert!(c.accounting && c.authentication);
        assert_eq!(c.nas_identifier, "shop-1");
        assert!(!format!("{c:?}").contains("s3cret"));
        assert!(parse("config hotspotd 'main'\n").unwrap().is_none());
    }

    #[test]
    fn a_missing_server_or_secret_is_named() {
        let e = parse("config radius_upstream 'central'\n option secret 'x'\n").unwrap_err();
        assert!(e.to_string().contains("central.server: is required"), "{e}");
        let e = parse("config radius_upstream 'central'\n option server 'nowhere'\n option secret 'x'\n").unwrap_err();
        assert!(e.to_string().contains("is not an IP address"), "{e}");
    }
}
