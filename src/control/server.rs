//! The daemon's side of the control socket: binds it (refusing to start when another daemon
//! already answers on it), serves each connection as one request and one answer through
//! `admin::Admin`, a few at a time, and removes the socket at shutdown. Requests that change
//! something are written to the audit (`who` = `cli`) once they succeed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::{Answer, Call, MAX_REQUEST_BYTES};
use crate::admin::Admin;

/// Connections served at once; more wait in the kernel's backlog.
const CONCURRENT: usize = 4;
/// Time a command gets to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest an operation may take before the command is told so (it carries on).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(60);
/// Time operations in hand get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("another hotspotd is running on this database (it answers on {0}); stop it first")]
    AlreadyRunning(PathBuf),
    #[error("cannot create the control socket {path}")]
    Bind {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The bound socket; the file is removed when this is dropped.
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds the control socket at `path`. A socket file nobody answers on (left by a daemon
/// that was killed) is replaced; one a live daemon answers on is an error.
pub fn bind(path: &Path) -> Result<ControlSocket, BindError> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(BindError::AlreadyRunning(path.to_owned()));
        }
        let _ = std::fs::remove_file(path);
    }
    let bind_err = |source| BindError::Bind { path: path.to_owned(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(bind_err)?;
    }
    let listener = UnixListener::bind(path).map_err(bind_err)?;
    let socket = ControlSocket { listener, path: path.to_owned() };
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(bind_err)?;
    Ok(socket)
}

/// Serves requests until `stopped`, then lets those in hand finish (briefly).
pub async fn serve(socket: ControlSocket, admin: Admin, mut stopped: watch::Receiver<bool>) {
    let admin = Arc::new(admin);
    let permits = Arc::new(Semaphore::new(CONCURRENT));
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = stopped.changed() => break,
        };
        let stream = tokio::select! {
            accepted = socket.listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    log::warn!("control socket: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        // Reap finished connections so the set stays as small as the permits.
        while connections.try_join_next().is_some() {}
        let admin = admin.clone();
        connections.spawn(async move {
            let _permit = permit;
            if let Err(e) = serve_one(stream, &admin).await {
                log::debug!("control socket: {e}");
            }
        });
    }
    if tokio::time::timeout(SHUTDOWN_GRACE, async { while connections.join_next().await.is_some() {} }).await.is_err() {
        connections.abort_all();
    }
}

/// One request, one answer.
async fn serve_one(stream: UnixStream, admin: &Admin) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = Vec::new();
    let read = tokio::time::timeout(READ_TIMEOUT, BufReader::new(read).take(MAX_REQUEST_BYTES as u64 + 1).read_until(b'\n', &mut line)).await;
    let answer = match read {
        Err(_) => Answer::Error("no request within 5 s".into()),
        Ok(Err(e)) => return Err(e),
        Ok(Ok(_)) if line.len() > MAX_REQUEST_BYTES => Answer::Error(format!("request larger than {MAX_REQUEST_BYTES} bytes")),
        Ok(Ok(_)) => match crate::json_fields::from_bytes::<Call>(&line) {
            Err(e) => Answer::Error(format!("not a request this hotspotd understands ({e}); are the command and the daemon the same version?")),
            Ok(call) => {
                let entry = crate::admin::audit_entry(&call.request);
                match tokio::time::timeout(OPERATION_TIMEOUT, admin.execute(call.request)).await {
                    Ok(Ok(reply)) => {
                        if let Some((action, detail)) = entry {
                            if let Err(e) = admin.record_audit("cli".into(), action.into(), detail).await {
                                log::error!("control socket: cannot write the audit: {}", crate::error_chain(&e));
                            }
                        }
                        Answer::Output(crate::cli::render::output(&reply, call.json))
                    }
                    Ok(Err(e)) => Answer::Error(crate::error_chain(&e)),
                    Err(_) => Answer::Error("the operation took longer than a minute; see the daemon's log".into()),
                }
            }
        },
    };
    let mut bytes = serde_json::to_vec(&answer).unwrap_or_else(|e| format!("{{\"error\":\"cannot encode the answer: {e}\"}}").into_bytes());
    bytes.push(b'\n');
    write.write_all(&bytes).await?;
    write.shutdown().await
}
