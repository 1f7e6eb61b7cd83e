//! `config sync 'sync'`: the central server this router reports to and takes orders from
//! (`src/sync/`). Absent, or without `url`: the router syncs with no one.

use std::path::Path;
use std::time::Duration;

use super::{uci, ConfigError, SectionReader, Secret};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// The central's base URL (`https://central.example.com`); the exchange path is added.
    pub url: String,
    /// This router's id at the central (`hotspotd-central router add` prints it).
    pub router_id: i64,
    /// The shared key `router add` printed with the id (never logged).
    pub key: Secret,
    /// How long an idle exchange may wait at the central for news, and the longest pause
    /// between exchanges; retries after a failure back off up to it.
    pub interval: Duration,
    /// The operator's M-Pesa paybill number: when set, the portal offers paying from the
    /// M-Pesa menu with an account number the central routes back to this router.
    pub paybill: Option<String>,
}

const KNOWN: &[&str] = &["url", "router_id", "key", "interval", "paybill"];

impl SyncConfig {
    /// `config sync` (named `sync` or unnamed); `None` if absent or its `url` is empty.
    pub fn from_section(path: &Path, section: Option<&uci::Section>) -> Result<Option<SyncConfig>, ConfigError> {
        let Some(section) = section else { return Ok(None) };
        let r = SectionReader { path, section };
        r.check_known(KNOWN)?;
        let Some(url) = r.url("url")? else { return Ok(None) };
        let line = section.entries.first().map_or(0, |e| e.line);
        let required = |key: &str, what: &str| ConfigError::Invalid {
            path: path.to_owned(),
            line,
            key: format!("sync.{key}"),
            message: format!("is required with sync.url: {what}"),
        };
        let router_id = r
            .parsed_in("router_id", 1..=9_999_999_999_999, "the router id `hotspotd-central router add` printed")?
            .ok_or_else(|| required("router_id", "the id `hotspotd-central router add` printed"))?;
        let key = r.secret("key")?;
        if key.is_empty() {
            return Err(required("key", "the key `hotspotd-central router add` printed beside the id"));
        }
        let paybill = match r.option("paybill").filter(|e| !e.value.is_empty()) {
            None => None,
            Some(e) if (5..=7).contains(&e.value.len()) && e.value.bytes().all(|b| b.is_ascii_digit()) => Some(e.value.clone()),
            Some(e) => return Err(r.invalid(e, format!("`{}` is not a paybill number (5 to 7 digits)", e.value))),
        };
        Ok(Some(SyncConfig { url, router_id, key, interval: r.seconds("interval", 5..=3600, Duration::from_secs(60))?, paybill }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<SyncConfig>, ConfigError> {
        let sections = uci::parse(text).unwrap();
        SyncConfig::from_section(Path::new("/etc/config/hotspotd"), sections.iter().find(|s| s.kind == "sync"))
    }

    #[test]
    fn reads_the_section_and_hides_the_key() {
        let c = parse("config sync 'sync'\n\toption url 'https://central.example.com'\n\toption router_id '17'\n\toption key 'abc'\n\toption paybill '600638'\n")
            .unwrap()
            .unwrap();
        assert_eq!((c.router_id, c.interval, c.paybill.as_deref()), (17, Duration::from_secs(60), Some("600638")));
        assert!(!format!("{c:?}").contains("abc"));
        assert_eq!(parse("config sync 'sync'\n\toption interval '30'\n").unwrap(), None, "no url: no sync");
    }

    #[test]
    fn errors_say_what_to_write() {
        let e = parse("config sync 'sync'\n\toption url 'https://c.example'\n\toption key 'k'\n").unwrap_err().to_string();
        assert!(e.contains("sync.router_id") && e.contains("router add"), "{e}");
        let e = parse("config sync 'sync'\n\toption url 'https://c.example'\n\toption router_id '3'\n").unwrap_err().to_string();
        assert!(e.contains("sync.key"), "{e}");
        let e = parse("config sync 'sync'\n\toption url 'https://c.example'\n\toption router_id '3'\n\toption key 'k'\n\toption paybill 'x1'\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("paybill"), "{e}");
        let e = parse("config sync 'sync'\n\toption url 'https://c.example'\n\toption router_id '3'\n\toption key 'k'\n\toption interval '1'\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("interval"), "{e}");
    }
}
