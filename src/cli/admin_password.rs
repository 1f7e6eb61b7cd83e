//! `hotspotd admin password`: reads the web admin's new password from stdin (one line; not
//! echoed when stdin is a terminal), hashes it slowly (`webadmin::password`) and stores it in
//! the database's settings, with a row in the audit. It writes the database directly, daemon
//! running or not: the daemon reads the hash at each login, so the change holds at once.

use std::io::{BufRead, Write};

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::store::{self, audit, settings, StoreError};
use crate::webadmin::password::{self, PasswordError};

/// Longest line read (a password is far shorter).
const MAX_LINE_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum AdminPasswordError {
    #[error("cannot read the password from stdin")]
    Read(#[source] std::io::Error),
    #[error("no password given: type it and press Enter, or pipe it in (`echo 'my secret' | hotspotd admin password`)")]
    Empty,
    #[error("the password is longer than {MAX_LINE_BYTES} bytes")]
    TooLong,
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the output")]
    Output(#[source] std::io::Error),
}

/// Reads, checks, hashes and stores the password; tells `out` where to log in.
pub fn run(config: &Config, input: &mut impl BufRead, out: &mut impl Write) -> Result<(), AdminPasswordError> {
    let typed = read_line(input)?;
    password::check_new(&typed)?;
    let stored = password::hash(&typed)?;
    let conn = store::open(&config.database)?;
    settings::set(&conn, settings::ADMIN_PASSWORD, &stored)?;
    audit::record(&conn, SystemClock.now(), "cli", "password changed", "")?;
    let where_ = match config.admin_listen {
        Some(addr) => format!("log in at http://{addr}/"),
        None => "the web admin is off: set `option admin_listen` (e.g. '192.168.1.1:2051') and restart hotspotd".into(),
    };
    writeln!(out, "admin password set; {where_}").map_err(AdminPasswordError::Output)
}

/// One line without its line ending.
fn read_line(input: &mut impl BufRead) -> Result<String, AdminPasswordError> {
    let mut line = String::new();
    std::io::Read::take(&mut *input, MAX_LINE_BYTES as u64 + 1).read_line(&mut line).map_err(AdminPasswordError::Read)?;
    if line.len() > MAX_LINE_BYTES {
        return Err(AdminPasswordError::TooLong);
    }
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.is_empty() {
        return Err(AdminPasswordError::Empty);
    }
    Ok(line)
}

/// Reads the password from the terminal without echoing it (or from a pipe as it is).
pub fn run_on_stdin(config: &Config) -> Result<(), AdminPasswordError> {
    let stdin = std::io::stdin();
    let echo = Echo::off_if_terminal();
    if echo.is_some() {
        eprint!("New web admin password (at least {} characters): ", password::MIN_LEN);
    }
    let result = read_line(&mut stdin.lock());
    if echo.is_some() {
        eprintln!();
    }
    drop(echo);
    let typed = result?;
    run(config, &mut std::io::Cursor::new(typed), &mut std::io::stdout().lock())
}

/// The terminal's echo, turned off while this lives.
struct Echo(libc::termios);

impl Echo {
    fn off_if_terminal() -> Option<Echo> {
        // SAFETY: plain termios calls on fd 0 with a zeroed struct the kernel fills.
        unsafe {
            if libc::isatty(0) != 1 {
                return None;
            }
            let mut term: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut term) != 0 {
                return None;
            }
            let saved = term;
            term.c_lflag &= !libc::ECHO;
            (libc::tcsetattr(0, libc::TCSANOW, &term) == 0).then_some(Echo(saved))
        }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `off_if_terminal`.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_read_without_its_ending_and_checked() {
        assert_eq!(read_line(&mut "nenosiri-zuri\r\nmore".as_bytes()).unwrap(), "nenosiri-zuri");
        assert!(matches!(read_line(&mut "\n".as_bytes()), Err(AdminPasswordError::Empty)));
        assert!(matches!(read_line(&mut "x".repeat(2000).as_bytes()), Err(AdminPasswordError::TooLong)));
        let dir = std::env::temp_dir().join(format!("hotspotd-admin-pw-{}", std::process::id()));
        let config = Config { database: dir.join("h.db"), ..Config::demo(&dir) };
        let err = run(&config, &mut "short\n".as_bytes(), &mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "the password is too short: use at least 8 characters");
        let mut out = Vec::new();
        run(&config, &mut "long enough\n".as_bytes(), &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().starts_with("admin password set; log in at http://127.0.0.1:2051/"));
        let conn = store::open(&config.database).unwrap();
        let stored = settings::get(&conn, settings::ADMIN_PASSWORD).unwrap().unwrap();
        assert!(password::verify("long enough", &stored));
        assert_eq!(audit::latest(&conn, 1).unwrap()[0].action, "password changed");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
