//! Typed configuration read from the UCI file (`/etc/config/hotspotd`, or `--config PATH`),
//! plus the embedded demo defaults. Every error says which file, line and `section.option`
//! is wrong and what a valid value looks like. Reading the file is the only I/O here.

mod radius;
mod radius_upstream;
mod sync;
mod reader;
mod upstream;
pub mod uci;

use reader::SectionReader;
pub use radius::RadiusConfig;
pub use radius_upstream::RadiusUpstreamConfig;
pub use sync::SyncConfig;
pub use upstream::{MpesaConfig, MpesaMode, Secret, SmsConfig, SmsProvider, TransactionType};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::netaddr::Ipv4Cidr;

/// Where the daemon looks when `--config` is not given (the OpenWrt location).
pub const DEFAULT_PATH: &str = "/etc/config/hotspotd";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirewallKind {
    /// Enforce with our own nftables table `inet hotspotd`.
    Nft,
    /// Enforce nothing; log what is authorised (demo, development).
    None,
}

impl std::fmt::Display for FirewallKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FirewallKind::Nft => "nft",
            FirewallKind::None => "none",
        })
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Client-facing interface (e.g. `br-lan`); only its traffic is captured.
    pub interface: String,
    /// Portal HTTP address.
    pub listen: SocketAddr,
    /// The operator's web admin (`option admin_listen`, e.g. the LAN address
    /// `192.168.1.1:2051`); `None`: no web admin.
    pub admin_listen: Option<SocketAddr>,
    /// The venue's offset from UTC in seconds (`option utc_offset '+03:00'`): where the admin's
    /// days and hours begin.
    pub utc_offset_secs: i32,
    pub database: PathBuf,
    pub firewall: FirewallKind,
    /// URL clients are sent to; `None`: `http://<address the client reached>/`.
    pub portal_url: Option<String>,
    /// Venue information page advertised in the RFC 8908 API.
    pub venue_info_url: Option<String>,
    /// Failed logins per device (MAC, and address) per minute before we answer 429.
    pub login_attempts_per_minute: u32,
    /// Failed logins per minute from all devices together before only devices with a clean
    /// record may try.
    pub login_attempts_total: u32,
    /// Concurrent portal connections; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Time a client gets to send its request headers.
    pub header_timeout: Duration,
    /// Addresses reachable before login (payment hosts, the operator's site).
    pub walled_garden: Vec<Ipv4Cidr>,
    pub log_level: log::LevelFilter,
    /// Country calling code for phone numbers typed without one (Kenya: 254).
    pub country_code: String,
    /// How often the `CheckExpiredSessions` job runs.
    pub expiry_check_interval: Duration,
    /// How often old log rows are deleted.
    pub cleanup_interval: Duration,
    /// How often the kernel's byte counters are read (one `nft -j` listing).
    pub usage_poll_interval: Duration,
    /// How often usage is written to the database (and at session end and shutdown).
    pub usage_checkpoint_interval: Duration,
    /// Per-checkpoint usage rows older than this are folded into hourly rows.
    pub usage_detail: Duration,
    /// Hourly usage rows older than this are deleted.
    pub usage_keep: Duration,
    /// Certificate authorities trusted for HTTPS upstreams (PEM).
    pub ca_bundle: PathBuf,
    /// The daemon's local control socket: operator commands reach the running daemon
    /// through it (one writer for the firewall and usage). Default: beside the database.
    pub control_socket: PathBuf,
    /// Things worth telling the operator about the file (options no longer used), logged at
    /// start.
    pub notices: Vec<String>,
    pub mpesa: MpesaConfig,
    pub sms: SmsConfig,
    /// Our RADIUS server for NAS devices (`None`: off).
    pub radius: Option<RadiusConfig>,
    /// The key that seals account passwords for RADIUS CHAP (`credentials::sealed`), kept
    /// outside the database. Default: `password.key` beside the database; made at first start.
    pub password_key_file: PathBuf,
    /// `config radius_upstream`: the central RADIUS server (`None`: none).
    pub radius_upstream: Option<RadiusUpstreamConfig>,
    /// `config sync`: the central server (`None`: none).
    pub sync: Option<SyncConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The parse error is part of the message (not a separate cause): "FILE line N: …".
    #[error("{path} {error}")]
    Syntax { path: PathBuf, error: uci::ParseError },
    #[error("{path} line {line}: {key}: {message}")]
    Invalid { path: PathBuf, line: usize, key: String, message: String },
    #[error("{path}: no `config hotspotd 'main'` section; add one (see openwrt/files/hotspotd.config)")]
    NoMainSection { path: PathBuf },
}

impl Config {
    /// Reads and validates a UCI file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Config::parse(&text, path)
    }

    /// Validates UCI text; `path` only labels errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let sections = uci::parse(text)
            .map_err(|error| ConfigError::Syntax { path: path.to_owned(), error })?;
        let main = sections
            .iter()
            .find(|s| s.kind == "hotspotd" && s.name.as_deref() == Some("main"))
            .ok_or_else(|| ConfigError::NoMainSection { path: path.to_owned() })?;
        let reader = SectionReader { path, section: main };
        reader.check_known(KNOWN_OPTIONS)?;
        let defaults = Config::defaults();
        let mut notices: Vec<String> = main
            .option("sync_interval")
            .map(|e| format!("{} line {}: main.sync_interval is no longer used; remove it", path.display(), e.line))
            .into_iter()
            .collect();
        let database = reader.string("database")?.map(PathBuf::from).unwrap_or(defaults.database);
        let radius = RadiusConfig::from_sections(path, &sections, &mut notices)?;
        Ok(Config {
            radius,
            password_key_file: reader.string("password_key_file")?.map(PathBuf::from).unwrap_or_else(|| key_beside(&database)),
            interface: reader.string("interface")?.unwrap_or(defaults.interface),
            listen: reader.parsed("listen", "an address:port such as 10.0.0.1:2050")?
                .unwrap_or(defaults.listen),
            admin_listen: reader.parsed("admin_listen", "an address:port such as 192.168.1.1:2051 (or empty: no web admin)")?,
            utc_offset_secs: match reader.option("utc_offset") {
                None => defaults.utc_offset_secs,
                Some(e) => parse_utc_offset(&e.value)
                    .ok_or_else(|| reader.invalid(e, format!("`{}` is not an offset such as +03:00 or -05:30", e.value)))?,
            },
            control_socket: reader.string("control_socket")?.map(PathBuf::from).unwrap_or_else(|| socket_beside(&database)),
            notices,
            database,
            firewall: match reader.option("firewall") {
                None => defaults.firewall,
                Some(e) => match e.value.as_str() {
                    "nft" => FirewallKind::Nft,
                    "none" => FirewallKind::None,
                    other => return Err(reader.invalid(e, format!("`{other}` is not `nft` or `none`"))),
                },
            },
            portal_url: reader.url("portal_url")?,
            venue_info_url: reader.url("venue_info_url")?,
            login_attempts_per_minute: reader
                .parsed_in("login_attempts", 1..=1000, "a whole number from 1 to 1000")?
                .unwrap_or(defaults.login_attempts_per_minute),
            login_attempts_total: reader
                .parsed_in("login_attempts_total", 1..=100_000, "a whole number from 1 to 100000")?
                .unwrap_or(defaults.login_attempts_total),
            max_connections: reader
                .parsed_in("max_connections", 4..=4096, "a whole number from 4 to 4096")?
                .unwrap_or(defaults.max_connections),
            header_timeout: reader.seconds("header_timeout", 1..=300, defaults.header_timeout)?,
            walled_garden: main
                .list("walled_garden")
                .map(|e| e.value.parse().map_err(|m| reader.invalid(e, m)))
                .collect::<Result<_, _>>()?,
            log_level: match reader.option("log_level") {
                None => defaults.log_level,
                Some(e) => e.value.parse().map_err(|_| {
                    reader.invalid(e, "expected error, warn, info, debug or trace".into())
                })?,
            },
            country_code: match reader.option("country_code") {
                None => defaults.country_code,
                Some(e) if (1..=3).contains(&e.value.len()) && e.value.chars().all(|c| c.is_ascii_digit()) => e.value.clone(),
                Some(e) => return Err(reader.invalid(e, format!("`{}` is not a calling code such as 254", e.value))),
            },
            expiry_check_interval: reader.seconds("expiry_check_interval", 5..=3600, defaults.expiry_check_interval)?,
            cleanup_interval: reader.seconds("cleanup_interval", 60..=604_800, defaults.cleanup_interval)?,
            usage_poll_interval: reader.seconds("usage_poll_interval", 1..=60, defaults.usage_poll_interval)?,
            usage_checkpoint_interval: reader.seconds("usage_checkpoint_interval", 5..=3600, defaults.usage_checkpoint_interval)?,
            usage_detail: reader
                .parsed_in("usage_detail_hours", 1..=720, "a whole number of hours from 1 to 720")?
                .map_or(defaults.usage_detail, |h: u64| Duration::from_secs(h * 3600)),
            usage_keep: reader
                .parsed_in("usage_keep_days", 1..=3650, "a whole number of days from 1 to 3650")?
                .map_or(defaults.usage_keep, |d: u64| Duration::from_secs(d * 86_400)),
            ca_bundle: reader.string("ca_bundle")?.map(PathBuf::from).unwrap_or(defaults.ca_bundle),
            mpesa: MpesaConfig::from_section(path, find(&sections, "mpesa"))?,
            sms: SmsConfig::from_section(path, find(&sections, "sms"))?,
            radius_upstream: RadiusUpstreamConfig::from_sections(path, &sections)?,
            sync: SyncConfig::from_section(path, find(&sections, "sync"))?,
        })
    }

    /// Values used for every option the file leaves out.
    pub fn defaults() -> Config {
        Config {
            interface: "br-lan".into(),
            listen: SocketAddr::from(([0, 0, 0, 0], 2050)),
            admin_listen: None,
            utc_offset_secs: 3 * 3600,
            database: PathBuf::from("/etc/hotspotd/hotspotd.db"),
            firewall: FirewallKind::Nft,
            portal_url: None,
            venue_info_url: None,
            login_attempts_per_minute: 5,
            login_attempts_total: 60,
            max_connections: 128,
            header_timeout: Duration::from_secs(10),
            walled_garden: Vec::new(),
            log_level: log::LevelFilter::Info,
            country_code: "254".into(),
            expiry_check_interval: Duration::from_secs(60),
            cleanup_interval: Duration::from_secs(6 * 3600),
            usage_poll_interval: Duration::from_secs(3),
            usage_checkpoint_interval: Duration::from_secs(60),
            usage_detail: Duration::from_secs(6 * 3600),
            usage_keep: Duration::from_secs(14 * 86_400),
            ca_bundle: PathBuf::from(crate::http_client::DEFAULT_CA_BUNDLE),
            control_socket: socket_beside(Path::new("/etc/hotspotd/hotspotd.db")),
            notices: Vec::new(),
            mpesa: MpesaConfig::disabled(),
            sms: SmsConfig::none(),
            radius: None,
            password_key_file: key_beside(Path::new("/etc/hotspotd/hotspotd.db")),
            radius_upstream: None,
            sync: None,
        }
    }

    /// The embedded demo: data under `dir`, portal on loopback, nothing enforced.
    pub fn demo(dir: &Path) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 2050)),
            admin_listen: Some(SocketAddr::from(([127, 0, 0, 1], 2051))),
            database: dir.join("hotspotd.db"),
            control_socket: socket_beside(&dir.join("hotspotd.db")),
            password_key_file: key_beside(&dir.join("hotspotd.db")),
            firewall: FirewallKind::None,
            interface: "lo".into(),
            mpesa: MpesaConfig::demo(),
            ..Config::defaults()
        }
    }
}

/// `+03:00`, `-05:30`, `+3`, `0`: seconds east of UTC (at most 14 hours).
fn parse_utc_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => (1, text),
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
    ((0..=14).contains(&hours) && (0..60).contains(&minutes)).then_some(sign * (hours * 3600 + minutes * 60))
}

/// The default control socket of the daemon that owns `database`: `DATABASE.sock`, so every
/// database has its own daemon socket and the commands find it from the same config.
fn socket_beside(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".sock");
    PathBuf::from(name)
}

/// The default password key file: `password.key` in the database's directory.
fn key_beside(database: &Path) -> PathBuf {
    database.parent().unwrap_or(Path::new(".")).join("password.key")
}

/// The section `config KIND 'KIND'` (e.g. `config mpesa 'mpesa'`), or the first anonymous one.
fn find<'a>(sections: &'a [uci::Section], kind: &str) -> Option<&'a uci::Section> {
    sections.iter().find(|s| s.kind == kind && s.name.as_deref().is_none_or(|n| n == kind))
}

/// Options of `config hotspotd 'main'`. The last three are read by the init and uci-defaults
/// scripts, not by the daemon.
const KNOWN_OPTIONS: &[&str] = &[
    "interface",
    "listen",
    "admin_listen",
    "utc_offset",
    "database",
    "firewall",
    "portal_url",
    "venue_info_url",
    "login_attempts",
    "login_attempts_total",
    "max_connections",
    "header_timeout",
    "log_level",
    "walled_garden",
    "country_code",
    "expiry_check_interval",
    // No longer used (a warning says so): kept known so an upgraded router's config starts.
    "sync_interval",
    "cleanup_interval",
    "usage_poll_interval",
    "usage_checkpoint_interval",
    "usage_detail_hours",
    "usage_keep_days",
    "ca_bundle",
    "control_socket",
    "password_key_file",
    "enabled",
    "configured",
    "dhcp_captive_api",
    "dhcp_pool",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/config/hotspotd"))
    }

    #[test]
    fn reads_the_shipped_sample() {
        let text = include_str!("../../openwrt/files/hotspotd.config");
        let config = parse(text).unwrap();
        assert_eq!(config.firewall, FirewallKind::Nft);
        assert_eq!(config.interface, "br-lan");
    }

    #[test]
    fn reads_options_and_lists() {
        let config = parse(
            "config hotspotd 'main'\n option interface 'wlan0'\n option listen '10.1.0.1:8080'\n \
             option database '/tmp/h.db'\n option firewall 'none'\n list walled_garden '198.51.100.9/24'\n \
             option login_attempts '3'\n",
        )
        .unwrap();
        assert_eq!(config.interface, "wlan0");
        assert_eq!(config.listen, "10.1.0.1:8080".parse().unwrap());
        assert_eq!(config.admin_listen, None);
        assert_eq!(config.utc_offset_secs, 3 * 3600);
        assert_eq!(config.database, PathBuf::from("/tmp/h.db"));
        assert_eq!(config.firewall, FirewallKind::None);
        assert_eq!(config.walled_garden[0].to_string(), "198.51.100.0/24");
        assert_eq!(config.login_attempts_per_minute, 3);
    }

    #[test]
    fn bad_values_name_line_and_option() {
        let cases = [
            ("config hotspotd 'main'\n option listen 'nowhere'\n", "line 2: main.listen: `nowhere` is not an address:port"),
            ("config hotspotd 'main'\n option admin_listen 'lan'\n", "line 2: main.admin_listen: `lan` is not an address:port such as 192.168.1.1:2051 (or empty: no web admin)"),
            ("config hotspotd 'main'\n option utc_offset '+3h'\n", "line 2: main.utc_offset: `+3h` is not an offset such as +03:00"),
            ("config hotspotd 'main'\n\n option firewall 'iptables'\n", "line 3: main.firewall: `iptables` is not `nft` or `none`"),
            ("config hotspotd 'main'\n list walled_garden 'example.com'\n", "line 2: main.walled_garden: `example.com` is not an IPv4"),
            ("config hotspotd 'main'\n option login_attempts '0'\n", "line 2: main.login_attempts: `0` is out of range"),
            ("config hotspotd 'main'\n option portal_url 'portal.lan'\n", "must start with http://"),
            ("config hotspotd 'other'\n", "no `config hotspotd 'main'` section"),
            ("config hotspotd 'main'\n option listne '1.2.3.4:80'\n", "line 2: main.listne: unknown option (known: interface, listen"),
            ("config hotspotd 'main'\n option listen '1.2.3.4:1\n", "line 2: missing closing single quote"),
        ];
        for (text, needle) in cases {
            let message = crate::error_chain(&parse(text).unwrap_err());
            assert!(message.contains(needle), "{text:?} gave {message}");
            assert!(message.starts_with("/etc/config/hotspotd"), "{message}");
        }
    }
}
