//! Running the kernel's configuration tools (`nft`, `tc`, `ip`): spawn, feed the batch on
//! stdin, and return stdout, or stderr when the tool refused, all within a deadline: past it
//! the child is killed and the run reported as `FirewallError::TimedOut`. Each backend turns
//! a refusal into its own error variant.
//!
//! Must not block past the deadline, whatever the child does: stdin is written and
//! stdout/stderr read through non-blocking pipes multiplexed with poll(2), on the calling
//! thread (a child that stops reading its batch cannot hold a `write` forever, and one that
//! fills stdout while we write cannot deadlock us). No helper threads, no shell.

use std::io::{ErrorKind, Read, Write};
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::FirewallError;

// How long each kind of run may take before its child is killed. Each is far beyond a
// healthy run on the slowest router we target (a 24Kc mips at 650 MHz is 10-20x slower than
// the x86 figures below); only a hung tool (a stuck kernel lock, a stopped process) reaches
// one. The shorter ones guard paths that others wait on.

/// One change batch (`nft -f -`: a login, logout, expiry, cap): 20 ms p50 and 41 ms p99 on
/// x86 with 2,000 devices (scripts/bench-login.sh), well under a second on mips. Logins
/// queue behind it (the sessions' lock), so it must be short.
pub const CHANGE: Duration = Duration::from_secs(5);
/// The whole table in one batch (at start, after the table was lost, after a refusal):
/// thousands of elements; 0.28 s with 2,001 devices on x86, seconds on mips. Nothing at
/// shutdown waits for it, and a start that fails is retried by procd.
pub const TABLE: Duration = Duration::from_secs(20);
/// A listing (`nft -j` counters: 0.19 s with 5,000 devices on x86; `nft list tables`). It runs
/// on the reading thread, so only the next usage poll waits for it; a revoke's last reading
/// (under the sessions' lock) is given up after this and the revoke goes ahead.
pub const LISTING: Duration = Duration::from_secs(10);
/// A tc batch (a few lines per device changed) or the shaping base (two HTB roots, filters).
pub const SHAPING: Duration = Duration::from_secs(5);
/// One `ip link` command.
pub const LINK: Duration = Duration::from_secs(2);

/// Largest stdout kept: a listing of 5,000 devices is about 1 MB.
const MAX_STDOUT_BYTES: usize = 8 << 20;
/// Largest stderr kept (the rest is read and dropped).
const MAX_STDERR_BYTES: usize = 16 << 10;
/// How long a killed child may take to die before we stop waiting for it.
const KILL_GRACE: Duration = Duration::from_secs(1);

/// How a run ended badly.
#[derive(Debug)]
pub enum Failure {
    /// The tool could not be run to the end: not started, its pipes failed, it was killed at
    /// the deadline, or it wrote more than we keep.
    Run(FirewallError),
    /// It ran and refused; its stderr, trimmed.
    Refused(String),
}

/// Runs `program args`, with `script` on stdin (or none), and returns its stdout; kills it
/// after `limit`.
pub fn run(program: &str, args: &[&str], script: Option<&str>, limit: Duration) -> Result<String, Failure> {
    let started = Instant::now();
    let deadline = started + limit;
    let io_err = |source| Failure::Run(FirewallError::Pipe { program: program.to_owned(), source });
    let mut child = Command::new(program)
        .args(args)
        .stdin(if script.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Failure::Run(FirewallError::Spawn { program: program.to_owned(), source }))?;
    let output = match exchange(&mut child, script.unwrap_or_default().as_bytes(), deadline) {
        Ok(output) => output,
        Err(failed) => {
            kill(&mut child, program);
            return Err(match failed {
                Exchange::Io(source) => io_err(source),
                Exchange::Oversized => {
                    Failure::Run(FirewallError::Oversized { program: program.to_owned(), limit_bytes: MAX_STDOUT_BYTES })
                }
                Exchange::TimedOut => Failure::Run(FirewallError::TimedOut { program: program.to_owned(), after: started.elapsed() }),
            });
        }
    };
    let status = match wait_until(&mut child, deadline) {
        Ok(Some(status)) => status,
        Ok(None) => {
            kill(&mut child, program);
            return Err(Failure::Run(FirewallError::TimedOut { program: program.to_owned(), after: started.elapsed() }));
        }
        Err(source) => {
            kill(&mut child, program);
            return Err(io_err(source));
        }
    };
    if status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(Failure::Refused(String::from_utf8_lossy(&output.stderr).trim().to_owned()))
    }
}

struct Output {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

enum Exchange {
    TimedOut,
    Oversized,
    Io(std::io::Error),
}

/// Writes `input` to the child's stdin (then closes it) while reading its stdout and stderr
/// until both close, never blocking past `deadline`.
fn exchange(child: &mut Child, input: &[u8], deadline: Instant) -> Result<Output, Exchange> {
    // As plain files, so the three pipes are handled alike.
    let mut stdin = child.stdin.take().map(|p| File::from(OwnedFd::from(p)));
    let mut stdout = child.stdout.take().map(|p| File::from(OwnedFd::from(p)));
    let mut stderr = child.stderr.take().map(|p| File::from(OwnedFd::from(p)));
    for fd in [stdin.as_ref().map(|s| s.as_raw_fd()), stdout.as_ref().map(|s| s.as_raw_fd()), stderr.as_ref().map(|s| s.as_raw_fd())]
        .into_iter()
        .flatten()
    {
        set_nonblocking(fd).map_err(Exchange::Io)?;
    }
    let mut out = Output { stdout: Vec::new(), stderr: Vec::new() };
    let mut written = 0;
    if input.is_empty() {
        stdin = None;
    }
    let mut chunk = [0u8; 16 * 1024];
    while stdin.is_some() || stdout.is_some() || stderr.is_some() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Exchange::TimedOut);
        }
        let mut fds = Vec::with_capacity(3);
        let watch = |fd: i32, events| libc::pollfd { fd, events, revents: 0 };
        fds.push(watch(stdin.as_ref().map_or(-1, |s| s.as_raw_fd()), libc::POLLOUT));
        fds.push(watch(stdout.as_ref().map_or(-1, |s| s.as_raw_fd()), libc::POLLIN));
        fds.push(watch(stderr.as_ref().map_or(-1, |s| s.as_raw_fd()), libc::POLLIN));
        // Round up so a sub-millisecond remainder does not spin.
        let timeout_ms = left.as_millis().saturating_add(1).min(i32::MAX as u128) as libc::c_int;
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs for the whole call;
        // negative fds are ignored by poll(2).
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
        if ready < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(Exchange::Io(e));
        }
        if fds[0].revents != 0 {
            if let Some(pipe) = stdin.as_mut() {
                match pipe.write(&input[written..]) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
                    // The child closed its stdin: it exits and its status says why.
                    Err(_) => written = input.len(),
                }
                if written >= input.len() {
                    stdin = None; // EOF for the child
                }
            }
        }
        for (i, pipe, buf, cap) in [(1, &mut stdout, &mut out.stdout, MAX_STDOUT_BYTES), (2, &mut stderr, &mut out.stderr, MAX_STDERR_BYTES)] {
            if fds[i].revents == 0 {
                continue;
            }
            let Some(reader) = pipe.as_mut() else { continue };
            loop {
                match reader.read(&mut chunk) {
                    Ok(0) => {
                        *pipe = None;
                        break;
                    }
                    Ok(n) if buf.len() + n > cap => {
                        if i == 1 {
                            return Err(Exchange::Oversized);
                        }
                        let keep = cap - buf.len();
                        buf.extend_from_slice(&chunk[..keep]);
                    }
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(Exchange::Io(e)),
                }
            }
        }
    }
    Ok(out)
}

/// Waits for the child to exit; `None` if it is still running at `deadline`. (Its pipes are
/// closed by now, so this is the short gap between closing them and exiting.)
fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<std::process::ExitStatus>> {
    let mut pause = Duration::from_micros(200);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// SIGKILL and reap. A child stuck in the kernel may not die at once: it is waited for at
/// most `KILL_GRACE`, then left behind (logged) rather than blocking the caller.
fn kill(child: &mut Child, program: &str) {
    let _ = child.kill();
    match wait_until(child, Instant::now() + KILL_GRACE) {
        Ok(Some(_)) => {}
        _ => log::error!("`{program}` (pid {}) did not die after SIGKILL; left behind", child.id()),
    }
}

fn set_nonblocking(fd: libc::c_int) -> std::io::Result<()> {
    // SAFETY: fcntl on a pipe descriptor we own; F_GETFL/F_SETFL touch only its flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed_out(result: Result<String, Failure>) -> Duration {
        match result {
            Err(Failure::Run(FirewallError::TimedOut { program, after })) => {
                assert!(!program.is_empty());
                after
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    #[test]
    fn a_hung_tool_is_killed_at_its_deadline_and_reported() {
        let started = Instant::now();
        let after = timed_out(run("sleep", &["30"], None, Duration::from_millis(300)));
        let elapsed = started.elapsed();
        assert!(after >= Duration::from_millis(300), "{after:?}");
        // Killed and reaped: back well before the 30 s the tool wanted.
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
        let message = FirewallError::TimedOut { program: "sleep".into(), after }.to_string();
        assert!(message.contains("sleep") && message.contains("killed"), "{message}");
    }

    #[test]
    fn a_tool_that_never_reads_its_batch_cannot_block_the_write() {
        // 4 MB is far more than a pipe holds: a blocking write would hang until sleep exits.
        let batch = "x".repeat(4 << 20);
        let started = Instant::now();
        timed_out(run("sleep", &["30"], Some(&batch), Duration::from_millis(300)));
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    }

    #[test]
    fn a_big_batch_and_a_big_answer_flow_at_once() {
        // cat echoes while we still write: needs stdin and stdout served together.
        let batch: String = (0..200_000).map(|i| format!("{i}\n")).collect();
        let out = run("cat", &[], Some(&batch), Duration::from_secs(10)).unwrap();
        assert_eq!(out.len(), batch.len());
        assert!(out == batch);
    }

    #[test]
    fn a_refusal_returns_stderr_and_a_missing_tool_is_a_spawn_error() {
        match run("sh", &["-c", "echo oops >&2; echo out; exit 3"], None, Duration::from_secs(5)) {
            Err(Failure::Refused(stderr)) => assert_eq!(stderr, "oops"),
            other => panic!("{other:?}"),
        }
        match run("/nonexistent/nft", &[], None, Duration::from_secs(5)) {
            Err(Failure::Run(FirewallError::Spawn { program, .. })) => assert_eq!(program, "/nonexistent/nft"),
            other => panic!("{other:?}"),
        }
        assert_eq!(run("sh", &["-c", "cat; echo done"], Some("in\n"), Duration::from_secs(5)).unwrap(), "in\ndone\n");
    }

    #[test]
    fn a_tool_that_closes_its_pipes_but_stays_is_still_killed() {
        let started = Instant::now();
        timed_out(run("sh", &["-c", "exec >&- 2>&-; sleep 30"], None, Duration::from_millis(300)));
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    }
}
