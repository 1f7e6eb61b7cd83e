//! The command's side of the control socket: sends one request to the running daemon and
//! reads its answer. "No daemon" (no socket file, or nobody answering on it) is told apart
//! from every other failure, so the command runs the operation itself only then.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Answer, Call, MAX_ANSWER_BYTES};

/// Longest the command waits for the daemon's answer (creating 10,000 vouchers takes a few
/// seconds on a router).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No daemon runs on this database: the command may do the work itself.
    #[error("no hotspotd daemon answers on {0}")]
    NotRunning(PathBuf),
    #[error("cannot talk to the daemon on {path} (run as root?)")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the daemon's answer could not be read (are the command and the daemon the same version?)")]
    Garbled(#[source] serde_json::Error),
    /// The daemon carried out the request and it failed: its message.
    #[error("{0}")]
    Refused(String),
}

/// Sends `call` to the daemon listening on `path` and returns what the command prints.
pub fn call(path: &Path, call: &Call) -> Result<String, ControlError> {
    let io = |source| ControlError::Io { path: path.to_owned(), source };
    let mut stream = match UnixStream::connect(path) {
        Ok(stream) => stream,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) => {
            return Err(ControlError::NotRunning(path.to_owned()))
        }
        Err(e) => return Err(io(e)),
    };
    stream.set_read_timeout(Some(ANSWER_TIMEOUT)).map_err(io)?;
    let mut line = serde_json::to_vec(call).map_err(ControlError::Garbled)?;
    line.push(b'\n');
    stream.write_all(&line).map_err(io)?;
    let mut answer = Vec::new();
    BufReader::new(stream.take(MAX_ANSWER_BYTES)).read_until(b'\n', &mut answer).map_err(io)?;
    match crate::json_fields::from_bytes::<Answer>(&answer).map_err(ControlError::Garbled)? {
        Answer::Output(output) => Ok(output),
        Answer::Error(message) => Err(ControlError::Refused(message)),
    }
}
