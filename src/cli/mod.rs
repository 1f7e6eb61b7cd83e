//! The command line: parsing arguments into a `Command` (this file), sending the operator's
//! operations to the running daemon or running them here when it is not (`execute.rs`), and
//! showing the answer as text or, with `--json`, as JSON (`render.rs`). No SQL or nft here:
//! the operations are `admin`'s. Usage errors say what to type instead.

pub mod admin_password;
mod execute;
pub mod render;

pub use execute::{execute, CliError};

use std::path::PathBuf;

use lexopt::prelude::*;

use crate::admin::Request;
use crate::store::catalog::NewPackage;

pub const USAGE: &str = "\
hotspotd — paid Wi-Fi hotspot daemon for OpenWrt

Usage: hotspotd [--config FILE] [--demo] [--json] COMMAND

Commands:
  run [--demo]                      run the daemon in the foreground (SIGTERM stops it)
  package add --name N --price P --duration SECONDS
              [--data-mb M] [--down-kbps K] [--up-kbps K] [--devices D]
                                    add a package; prints its id
  package list                      list packages
  voucher create --package ID [--count N] [--batch NAME]
                                    create vouchers; prints one code per line
  voucher list [--all]              list unused vouchers (--all: every voucher)
  voucher revoke CODE               withdraw an unused voucher (e.g. a lost sheet)
  user add --package ID [--username U] [--password P] [--phone NUMBER]
                                    create an account; prints `USERNAME PASSWORD`
  user disable USERNAME             stop an account logging in; its devices go offline now
  user enable USERNAME              let a disabled account log in again
  clients                           devices online: MAC, IP, user, time left
  deauth MAC                        end a device's session now
  status                            what the hotspot holds and enforces
  clock synced                      record that NTP has set the clock (the NTP hotplug hook)
  jobs                              pending and failed jobs, with their errors
  jobs retry ID                     put a failed job back in the queue
  payments [--limit N]              the latest payments (50) and their state
  admin password                    set the web admin's password: one line from stdin, at
                                    least 8 characters (`option admin_listen` turns the web
                                    admin on; works with or without the daemon running)

Options:
  --config FILE   UCI configuration (default /etc/config/hotspotd)
  --demo          use the embedded demo setup (./hotspotd-data, portal on 127.0.0.1:2050,
                  no firewall, sample packages and vouchers)
  --json          print what a command returns as JSON (for scripts)

While the daemon runs, commands go through it (its control socket), so it stays the one
writer of the firewall and of usage; when it does not run, they work on the database
directly.
  --version, --help
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run,
    /// An operator's operation (`admin`).
    Operation(Request),
    /// `hotspotd admin password`: set the web admin's password from stdin.
    AdminPassword,
    Help,
    Version,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub config: Option<PathBuf>,
    pub demo: bool,
    /// Print the operation's answer as JSON.
    pub json: bool,
    pub command: Command,
}

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("{0}")]
    Parse(#[from] lexopt::Error),
    #[error("missing command")]
    NoCommand,
    #[error("unknown command `{0}`")]
    UnknownCommand(String),
    #[error("`{command}` needs {option}")]
    Missing { command: &'static str, option: &'static str },
    #[error("{option}: `{value}` is not {expected}")]
    BadValue { option: &'static str, value: String, expected: &'static str },
}

fn number<T: std::str::FromStr>(option: &'static str, value: String, expected: &'static str) -> Result<T, UsageError> {
    value.parse().map_err(|_| UsageError::BadValue { option, value, expected })
}

fn positive<T: std::str::FromStr + PartialOrd + Default>(
    option: &'static str,
    value: String,
    expected: &'static str,
) -> Result<T, UsageError> {
    let parsed: T = number(option, value.clone(), expected)?;
    if parsed > T::default() {
        Ok(parsed)
    } else {
        Err(UsageError::BadValue { option, value, expected })
    }
}

/// Parses `hotspotd`'s arguments (without the program name).
pub fn parse<I>(args: I) -> Result<Invocation, UsageError>
where
    I: IntoIterator,
    I::Item: Into<std::ffi::OsString>,
{
    let mut parser = lexopt::Parser::from_args(args);
    let mut config = None;
    let mut demo = false;
    let mut json = false;
    let mut words: Vec<String> = Vec::new();
    let mut options: Vec<(String, Option<String>)> = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("config") => config = Some(PathBuf::from(parser.value()?)),
            Long("demo") => demo = true,
            Long("json") => json = true,
            Long("help") | Short('h') => return Ok(Invocation { config, demo, json, command: Command::Help }),
            Long("version") | Short('V') => return Ok(Invocation { config, demo, json, command: Command::Version }),
            Long("all") => options.push(("all".into(), None)),
            Long(name) => {
                let name = name.to_owned();
                let value = parser.value()?.string()?;
                options.push((name, Some(value)));
            }
            Value(word) => words.push(word.string()?),
            other => return Err(other.unexpected().into()),
        }
    }
    let command = command_of(&words, options)?;
    Ok(Invocation { config, demo, json, command })
}

fn command_of(words: &[String], options: Vec<(String, Option<String>)>) -> Result<Command, UsageError> {
    let mut opts = Options(options);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let request = match words.as_slice() {
        [] => return Err(UsageError::NoCommand),
        ["run"] => {
            return match opts.0.first() {
                Some((name, _)) => Err(lexopt::Error::UnexpectedOption(format!("--{name}")).into()),
                None => Ok(Command::Run),
            }
        }
        ["package", "add"] => {
            let c = "package add";
            Request::PackageAdd(NewPackage {
                name: opts.take("name").ok_or(UsageError::Missing { command: c, option: "--name N" })?,
                price: number(
                    "--price",
                    opts.take("price").ok_or(UsageError::Missing { command: c, option: "--price P" })?,
                    "a whole amount such as 20",
                )
                .and_then(|p: i64| {
                    if p >= 0 { Ok(p) } else { Err(UsageError::BadValue { option: "--price", value: p.to_string(), expected: "zero or more" }) }
                })?,
                duration_secs: positive(
                    "--duration",
                    opts.take("duration").ok_or(UsageError::Missing { command: c, option: "--duration SECONDS" })?,
                    "a number of seconds above 0, such as 3600",
                )?,
                data_limit_bytes: opts
                    .take("data-mb")
                    .map(|v| positive::<i64>("--data-mb", v, "megabytes above 0, such as 500"))
                    .transpose()?
                    .map(|mb| mb * 1_000_000),
                down_kbps: opts.take("down-kbps").map(|v| positive("--down-kbps", v, "kbit/s above 0")).transpose()?,
                up_kbps: opts.take("up-kbps").map(|v| positive("--up-kbps", v, "kbit/s above 0")).transpose()?,
                max_devices: opts
                    .take("devices")
                    .map(|v| positive("--devices", v, "a number of devices from 1"))
                    .transpose()?
                    .unwrap_or(1),
            })
        }
        ["admin", "password"] => {
            return match opts.0.first() {
                Some((name, _)) => Err(lexopt::Error::UnexpectedOption(format!("--{name}")).into()),
                None => Ok(Command::AdminPassword),
            }
        }
        ["package", "list"] => Request::PackageList,
        ["voucher", "create"] => Request::VoucherCreate {
            package_id: number(
                "--package",
                opts.take("package").ok_or(UsageError::Missing { command: "voucher create", option: "--package ID" })?,
                "a package id (see `hotspotd package list`)",
            )?,
            count: opts
                .take("count")
                .map(|v| number::<u32>("--count", v, "a count from 1 to 10000"))
                .transpose()?
                .map(|n| if (1..=10_000).contains(&n) { Ok(n) } else { Err(UsageError::BadValue { option: "--count", value: n.to_string(), expected: "a count from 1 to 10000" }) })
                .transpose()?
                .unwrap_or(1),
            batch: opts.take("batch"),
        },
        ["voucher", "list"] => Request::VoucherList { all: opts.flag("all") },
        ["voucher", "revoke", code] => Request::VoucherRevoke { code: code.to_string() },
        ["voucher", "revoke"] => return Err(UsageError::Missing { command: "voucher revoke", option: "a voucher code" }),
        ["user", "add"] => Request::UserAdd {
            package_id: number(
                "--package",
                opts.take("package").ok_or(UsageError::Missing { command: "user add", option: "--package ID" })?,
                "a package id (see `hotspotd package list`)",
            )?,
            username: opts.take("username"),
            password: opts.take("password"),
            phone: opts.take("phone"),
        },
        ["user", "disable", name] => Request::UserDisable { username: name.to_string() },
        ["user", "enable", name] => Request::UserEnable { username: name.to_string() },
        ["user", "disable" | "enable"] => return Err(UsageError::Missing { command: "user disable|enable", option: "a username" }),
        ["clients"] => Request::Clients,
        ["status"] => Request::Status,
        ["clock", "synced"] => Request::ClockSynced,
        ["jobs"] => Request::Jobs,
        ["jobs", "retry", id] => Request::JobRetry { id: number("jobs retry", id.to_string(), "a failed job id (see `hotspotd jobs`)")? },
        ["payments"] => Request::Payments {
            limit: opts.take("limit").map(|v| positive("--limit", v, "a number of payments from 1")).transpose()?.unwrap_or(50),
        },
        ["deauth", mac] => Request::Kick {
            mac: mac.parse().map_err(|_| UsageError::BadValue {
                option: "deauth",
                value: mac.to_string(),
                expected: "a MAC address such as 02:00:00:00:00:01",
            })?,
        },
        ["deauth"] => return Err(UsageError::Missing { command: "deauth", option: "a MAC address" }),
        other => return Err(UsageError::UnknownCommand(other.join(" "))),
    };
    if let Some((name, _)) = opts.0.first() {
        return Err(lexopt::Error::UnexpectedOption(format!("--{name}")).into());
    }
    Ok(Command::Operation(request))
}

/// Long options left to be claimed by a command.
struct Options(Vec<(String, Option<String>)>);

impl Options {
    /// The value of `--name`; given more than once, the last one wins.
    fn take(&mut self, name: &str) -> Option<String> {
        let mut value = None;
        self.0.retain(|(n, v)| {
            let hit = n == name && v.is_some();
            if hit {
                value = v.clone();
            }
            !hit
        });
        value
    }

    fn flag(&mut self, name: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|(n, v)| !(n == name && v.is_none()));
        self.0.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(args: &str) -> Result<Invocation, UsageError> {
        parse(args.split_whitespace())
    }

    #[test]
    fn parses_the_documented_forms() {
        let inv = cmd("--config /tmp/h run").unwrap();
        assert_eq!(inv.config, Some(PathBuf::from("/tmp/h")));
        assert_eq!(inv.command, Command::Run);
        let inv = cmd("run --demo").unwrap();
        assert!(inv.demo);
        let inv = cmd("package add --name Hour --price 20 --duration 3600 --data-mb 500 --devices 2").unwrap();
        let Command::Operation(Request::PackageAdd(p)) = inv.command else { panic!() };
        assert_eq!((p.price, p.duration_secs, p.data_limit_bytes, p.max_devices), (20, 3600, Some(500_000_000), 2));
        let op = |args: &str| match cmd(args).unwrap().command {
            Command::Operation(request) => request,
            other => panic!("{args}: {other:?}"),
        };
        assert_eq!(op("voucher create --package 3 --count 5"), Request::VoucherCreate { package_id: 3, count: 5, batch: None });
        assert_eq!(op("status"), Request::Status);
        assert_eq!(op("jobs retry 12"), Request::JobRetry { id: 12 });
        assert_eq!(op("jobs"), Request::Jobs);
        assert_eq!(op("clients"), Request::Clients);
        let Request::PackageAdd(p) = op("package add --name X --price 10 --duration 60 --price 20") else { panic!() };
        assert_eq!(p.price, 20, "the last of a repeated option wins");
        assert_eq!(op("voucher list --all"), Request::VoucherList { all: true });
        assert_eq!(op("voucher revoke ab12-cd34"), Request::VoucherRevoke { code: "ab12-cd34".into() });
        assert_eq!(op("payments --limit 5"), Request::Payments { limit: 5 });
        assert_eq!(op("deauth 02:00:00:00:00:01"), Request::Kick { mac: "02:00:00:00:00:01".parse().unwrap() });
        let inv = cmd("--json clients").unwrap();
        assert!(inv.json);
        assert_eq!(cmd("admin password").unwrap().command, Command::AdminPassword);
        assert!(cmd("admin password --force x").is_err());
    }

    #[test]
    fn usage_errors_say_what_is_wrong() {
        let cases = [
            ("", "missing command"),
            ("fly", "unknown command `fly`"),
            ("package add --name X --price 5", "needs --duration SECONDS"),
            ("package add --name X --price 5 --duration 0", "--duration: `0` is not a number of seconds above 0"),
            ("package add --name X --price -5 --duration 10", "--price"),
            ("voucher create --package x", "--package: `x` is not a package id"),
            ("voucher create --package 1 --count 0", "--count: `0`"),
            ("deauth nope", "`nope` is not a MAC address"),
            ("package list --colour red", "--colour"),
        ];
        for (args, needle) in cases {
            let message = cmd(args).unwrap_err().to_string();
            assert!(message.contains(needle), "{args:?} gave {message}");
        }
    }
}
