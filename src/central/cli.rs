//! The central's command line, parsed into a `Command`. Pure: arguments in, a command or a
//! message saying what to fix out (the binary runs it).

use std::net::SocketAddr;

use lexopt::prelude::*;

pub const DEFAULT_LISTEN: &str = "0.0.0.0:8080";

pub const USAGE: &str = "\
hotspotd-central: the central server of a hotspotd fleet (PostgreSQL at DATABASE_URL)

usage:
  hotspotd-central run [--listen ADDR]         serve routers, M-Pesa and operators (default 0.0.0.0:8080)
  hotspotd-central router add --name NAME      register a router; prints `ID KEY` for its `config sync`
  hotspotd-central router list                 the routers, their last sync and backlog
  hotspotd-central operator add --name NAME    prints a bearer token for the operator API and /fleet
  hotspotd-central paybill urls --base URL     the C2B validation and confirmation URLs to register
  hotspotd-central --help

environment:
  DATABASE_URL   postgres://user:password@host:port/database (required)
  RUST_LOG       error | warn | info (default) | debug
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run { listen: SocketAddr },
    RouterAdd { name: String },
    RouterList,
    OperatorAdd { name: String },
    PaybillUrls { base: String },
    Help,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Args(#[from] lexopt::Error),
    #[error("`{0}` is not an address to listen on (e.g. 0.0.0.0:8080 or 127.0.0.1:9000)")]
    BadListen(String),
    #[error("{0} needs --{1}")]
    Missing(&'static str, &'static str),
    #[error("unknown command `{0}` (see --help)")]
    Unknown(String),
    #[error("--base must start with http:// or https:// (e.g. --base https://central.example.com)")]
    BadBase,
}

/// Reads `args` (without the program name).
pub fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Command, CliError> {
    let mut parser = lexopt::Parser::from_args(args);
    let mut words: Vec<String> = Vec::new();
    let mut listen: Option<String> = None;
    let mut name: Option<String> = None;
    let mut base: Option<String> = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Long("listen") => listen = Some(parser.value()?.string()?),
            Long("name") => name = Some(parser.value()?.string()?),
            Long("base") => base = Some(parser.value()?.string()?),
            Value(word) => words.push(word.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] | ["help"] => Ok(Command::Help),
        ["run"] => {
            let text = listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
            let listen = text.parse().map_err(|_| CliError::BadListen(text.clone()))?;
            Ok(Command::Run { listen })
        }
        ["router", "add"] => Ok(Command::RouterAdd { name: name.ok_or(CliError::Missing("router add", "name"))? }),
        ["router", "list"] => Ok(Command::RouterList),
        ["operator", "add"] => Ok(Command::OperatorAdd { name: name.ok_or(CliError::Missing("operator add", "name"))? }),
        ["paybill", "urls"] => {
            let base = base.ok_or(CliError::Missing("paybill urls", "base"))?;
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return Err(CliError::BadBase);
            }
            Ok(Command::PaybillUrls { base: base.trim_end_matches('/').to_owned() })
        }
        other => Err(CliError::Unknown(other.join(" "))),
    }
}

/// The two C2B URLs to register with Daraja: (validation, confirmation).
pub fn paybill_urls(base: &str, secret: &str) -> (String, String) {
    (format!("{base}/pay/c2b/{secret}/validate"), format!("{base}/pay/c2b/{secret}/confirm"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, CliError> {
        parse(args.iter().map(std::ffi::OsString::from))
    }

    #[test]
    fn commands_read_as_documented() {
        assert_eq!(p(&["run"]).unwrap(), Command::Run { listen: DEFAULT_LISTEN.parse().unwrap() });
        assert_eq!(p(&["run", "--listen", "127.0.0.1:9"]).unwrap(), Command::Run { listen: "127.0.0.1:9".parse().unwrap() });
        assert_eq!(p(&["router", "add", "--name", "shop 1"]).unwrap(), Command::RouterAdd { name: "shop 1".into() });
        assert_eq!(p(&["router", "list"]).unwrap(), Command::RouterList);
        assert_eq!(p(&["operator", "add", "--name=ann"]).unwrap(), Command::OperatorAdd { name: "ann".into() });
        assert_eq!(p(&["paybill", "urls", "--base", "https://c.example/"]).unwrap(), Command::PaybillUrls { base: "https://c.example".into() });
        assert_eq!(p(&["--help"]).unwrap(), Command::Help);
        assert!(matches!(p(&["router", "add"]), Err(CliError::Missing(..))));
        assert!(matches!(p(&["run", "--listen", "nowhere"]), Err(CliError::BadListen(_))));
        assert!(matches!(p(&["explode"]), Err(CliError::Unknown(_))));
    }
}
