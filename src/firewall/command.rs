//! Running the kernel's configuration tools (`nft`, `tc`, `ip`): spawn, feed the batch on
//! stdin, and return stdout, or stderr when the tool refused. Each backend turns a refusal
//! into its own error variant.

use std::io::Write as _;
use std::process::{Command, Stdio};

use super::FirewallError;

/// How a run ended badly.
pub enum Failure {
    /// The tool could not be started (or waited for).
    Spawn(FirewallError),
    /// It ran and refused; its stderr, trimmed.
    Refused(String),
}

/// Runs `program args`, with `script` on stdin (or none), and returns its stdout.
pub fn run(program: &str, args: &[&str], script: Option<&str>) -> Result<String, Failure> {
    let spawn_err = |source| Failure::Spawn(FirewallError::Spawn { program: program.to_owned(), source });
    let mut child = Command::new(program)
        .args(args)
        .stdin(if script.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_err)?;
    if let (Some(script), Some(mut stdin)) = (script, child.stdin.take()) {
        // The tools read the whole batch before applying it; a write error shows in the exit code.
        let _ = stdin.write_all(script.as_bytes());
    }
    let output = child.wait_with_output().map_err(spawn_err)?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(Failure::Refused(String::from_utf8_lossy(&output.stderr).trim().to_owned()))
    }
}
