//! The RADIUS sections: `config radius 'radius'` (our server for NAS devices) and one
//! `config nas` per NAS allowed to use it. A NAS is known by the one address its packets come
//! from (FreeRADIUS's BlastRADIUS advice: one secret per address, never a subnet).

use std::net::IpAddr;
use std::path::Path;

use super::{uci, ConfigError, SectionReader};
use crate::radius::dialect::Vendor;
use crate::radius::Nas;

/// Our RADIUS server, when enabled.
#[derive(Debug, Clone)]
pub struct RadiusConfig {
    /// Address the two sockets bind.
    pub listen: IpAddr,
    pub auth_port: u16,
    pub acct_port: u16,
    /// Acct-Interim-Interval sent in every Access-Accept (seconds, ≥ 60).
    pub interim_interval: u32,
    pub nases: Vec<Nas>,
}

const RADIUS_OPTIONS: &[&str] = &["enabled", "listen", "auth_port", "acct_port", "interim_interval"];
const NAS_OPTIONS: &[&str] = &["name", "address", "secret", "vendor", "require_message_authenticator", "das_port"];

const VENDORS: &[(&str, Vendor)] =
    &[("mikrotik", Vendor::Mikrotik), ("chilli", Vendor::Chilli), ("wispr", Vendor::Wispr), ("generic", Vendor::Generic)];

impl RadiusConfig {
    /// Reads `config radius` and the `config nas` sections; `None` when there is no radius
    /// section or it is disabled. `notices` gets what is worth a warning.
    pub(super) fn from_sections(path: &Path, sections: &[uci::Section], notices: &mut Vec<String>) -> Result<Option<RadiusConfig>, ConfigError> {
        let nas_sections: Vec<&uci::Section> = sections.iter().filter(|s| s.kind == "nas").collect();
        let Some(section) = sections.iter().find(|s| s.kind == "radius") else {
            if !nas_sections.is_empty() {
                notices.push(format!("{}: `config nas` sections are ignored: there is no `config radius 'radius'` section with `option enabled '1'`", path.display()));
            }
            return Ok(None);
        };
        let reader = SectionReader { path, section };
        reader.check_known(RADIUS_OPTIONS)?;
        if !reader.boolean("enabled")?.unwrap_or(true) {
            return Ok(None);
        }
        let config = RadiusConfig {
            listen: reader.parsed("listen", "an IP address such as 0.0.0.0 or 192.168.88.2")?.unwrap_or(IpAddr::from([0, 0, 0, 0])),
            auth_port: reader.parsed_in("auth_port", 1..=65535, "a port from 1 to 65535")?.unwrap_or(1812),
            acct_port: reader.parsed_in("acct_port", 1..=65535, "a port from 1 to 65535")?.unwrap_or(1813),
            interim_interval: reader.parsed_in("interim_interval", 60..=86_400, "seconds, from 60 to 86400")?.unwrap_or(300),
            nases: nas_sections.into_iter().map(|s| nas(path, s)).collect::<Result<_, _>>()?,
        };
        if config.auth_port == config.acct_port {
            let entry = reader.option("acct_port").or(reader.option("auth_port")).expect("equal ports were both read from the file");
            return Err(reader.invalid(entry, "auth_port and acct_port must differ".into()));
        }
        for (i, a) in config.nases.iter().enumerate() {
            if let Some(b) = config.nases[i + 1..].iter().find(|b| b.address == a.address || b.name == a.name) {
                let what = if b.address == a.address { format!("address {}", a.address) } else { format!("name `{}`", a.name) };
                return Err(ConfigError::Invalid {
                    path: path.to_owned(),
                    line: 0,
                    key: "nas".into(),
                    message: format!("NAS `{}` and NAS `{}` have the same {what}: each NAS needs its own name and address", a.name, b.name),
                });
            }
        }
        if config.nases.is_empty() {
            notices.push(format!("{}: RADIUS is enabled but no `config nas` section allows a NAS to use it", path.display()));
        }
        Ok(Some(config))
    }

    /// The NAS whose packets come from `address`.
    pub fn nas_at(&self, address: IpAddr) -> Option<&Nas> {
        self.nases.iter().find(|n| n.address == address)
    }
}

fn nas(path: &Path, section: &uci::Section) -> Result<Nas, ConfigError> {
    let reader = SectionReader { path, section };
    reader.check_known(NAS_OPTIONS)?;
    let missing = |key: &str, example: &str| ConfigError::Invalid {
        path: path.to_owned(),
        line: section.line,
        key: format!("nas.{key}"),
        message: format!("every `config nas` needs `option {key}` (e.g. '{example}')"),
    };
    let name = reader.string("name")?.or_else(|| section.name.clone()).ok_or_else(|| missing("name", "till-1"))?;
    if name == "local" || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        let entry = reader.option("name").expect("a bad name came from the file");
        return Err(reader.invalid(entry, format!("`{name}` must be letters, digits, - _ . and not `local`")));
    }
    let address = reader.parsed("address", "an IP address (one per NAS, not a subnet)")?.ok_or_else(|| missing("address", "192.168.88.1"))?;
    let secret = reader.secret("secret")?;
    if secret.is_empty() {
        return Err(missing("secret", "a long random string, the same as on the NAS"));
    }
    Ok(Nas {
        name,
        address,
        secret: secret.expose().to_owned(),
        vendor: reader.choice("vendor", VENDORS)?.unwrap_or(Vendor::Generic),
        require_message_authenticator: reader.boolean("require_message_authenticator")?.unwrap_or(true),
        das_port: reader.parsed_in("das_port", 0..=65535, "a port from 1 to 65535, or 0 for none")?.unwrap_or(3799),
    })
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    const MAIN: &str = "config hotspotd 'main'\n option firewall 'none'\n";

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(&format!("{MAIN}{text}"), Path::new("/etc/config/hotspotd")).map_err(|e| crate::error_chain(&e))
    }

    #[test]
    fn reads_the_server_and_its_nases() {
        let config = parse(
            "config radius 'radius'\n option enabled '1'\n option listen '127.0.0.1'\n option auth_port '11812'\n option acct_port '11813'\n option interim_interval '120'\n\
             config nas\n option name 'till-1'\n option address '192.168.88.1'\n option secret 's3cret'\n option vendor 'mikrotik'\n\
             config nas 'bus'\n option address '10.0.0.2'\n option secret 'x'\n option vendor 'chilli'\n option require_message_authenticator '0'\n option das_port '0'\n",
        )
        .unwrap();
        let radius = config.radius.unwrap();
        assert_eq!((radius.listen.to_string().as_str(), radius.auth_port, radius.acct_port, radius.interim_interval), ("127.0.0.1", 11812, 11813, 120));
        let till = radius.nas_at("192.168.88.1".parse().unwrap()).unwrap();
        assert_eq!((till.name.as_str(), till.vendor.as_str(), till.require_message_authenticator, till.das_port), ("till-1", "mikrotik", true, 3799));
        let bus = radius.nas_at("10.0.0.2".parse().unwrap()).unwrap();
        assert_eq!((bus.name.as_str(), bus.vendor.as_str(), bus.require_message_authenticator, bus.das_port), ("bus", "chilli", false, 0));
        assert!(!format!("{radius:?}").contains("s3cret"), "secrets never reach a log line");
    }

    #[test]
    fn off_unless_enabled_and_bad_entries_say_what_to_fix() {
        assert!(parse("").unwrap().radius.is_none());
        assert!(parse("config radius 'radius'\n option enabled '0'\n").unwrap().radius.is_none());
        let ignored = parse("config nas\n option name 'a'\n option address '10.0.0.1'\n option secret 's'\n").unwrap();
        assert!(ignored.radius.is_none() && ignored.notices.iter().any(|n| n.contains("are ignored")), "{:?}", ignored.notices);
        let cases = [
            ("config radius 'radius'\n option interim_interval '30'\n", "radius.interim_interval: `30` is out of range"),
            ("config radius 'radius'\nconfig nas\n option name 'a'\n option secret 's'\n", "needs `option address`"),
            ("config radius 'radius'\nconfig nas\n option name 'a'\n option address '10.0.0.0/24'\n option secret 's'\n", "is not an IP address"),
            ("config radius 'radius'\nconfig nas\n option name 'a'\n option address '10.0.0.1'\n", "needs `option secret`"),
            ("config radius 'radius'\nconfig nas\n option name 'a'\n option address '10.0.0.1'\n option secret 's'\n option vendor 'cisco'\n", "`cisco` is not one of `mikrotik`"),
            (
                "config radius 'radius'\nconfig nas\n option name 'a'\n option address '10.0.0.1'\n option secret 's'\nconfig nas\n option name 'b'\n option address '10.0.0.1'\n option secret 't'\n",
                "the same address 10.0.0.1",
            ),
            ("config radius 'radius'\n option auth_port '1812'\n option acct_port '1812'\n", "must differ"),
            ("config radius 'radius'\nconfig nas\n option name 'local'\n option address '10.0.0.1'\n option secret 's'\n", "not `local`"),
        ];
        for (text, needle) in cases {
            let message = parse(text).unwrap_err();
            assert!(message.contains(needle), "{text:?} gave {message}");
        }
    }
}
