//! The wire under `Browser`: one W3C WebDriver request as JSON over plain HTTP/1.1 to
//! chromedriver's loopback port, from inside a network namespace when chromedriver runs in
//! one. Owns the namespace threads (`setns`), the HTTP framing and the W3C error shape; knows
//! nothing of sessions or pages. Std only, plus serde_json and libc.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::io::AsRawFd;
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// One WebDriver call (a navigation waits for the page load).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A failed WebDriver call: the HTTP status and the W3C error object.
#[derive(Debug)]
pub struct CallError {
    pub status: u16,
    pub error: String,
    pub message: String,
}

/// `method path` with a JSON `body` to chromedriver on `127.0.0.1:port` in `netns`: the
/// reply's `value`, or the W3C error (`status` 0: no HTTP answer).
pub fn request(netns: Option<&str>, port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, CallError> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = connect(netns, port).map_err(|e| CallError { status: 0, error: "connect".into(), message: e })?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let io = |e: std::io::Error| CallError { status: 0, error: "io".into(), message: e.to_string() };
    stream.write_all(request.as_bytes()).map_err(io)?;
    // chromedriver may keep the connection open despite `Connection: close`: read until the
    // response is complete, not until EOF.
    let mut raw = Vec::new();
    let mut chunk = [0u8; 65536];
    let (status, payload) = loop {
        if let Some(done) = parse_response(&raw) {
            break done;
        }
        // A signal to the test process (a child exiting) may interrupt the read: retry.
        let n = match stream.read(&mut chunk) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            read => read.map_err(io)?,
        };
        if n == 0 {
            let message = String::from_utf8_lossy(&raw).into_owned();
            return Err(CallError { status: 0, error: "bad reply".into(), message });
        }
        raw.extend_from_slice(&chunk[..n]);
    };
    let v: Value = serde_json::from_slice(&payload).map_err(|e| CallError {
        status,
        error: "not JSON".into(),
        message: format!("{e}: {}", String::from_utf8_lossy(&payload)),
    })?;
    let value = v.get("value").cloned().unwrap_or(v);
    if status >= 400 {
        return Err(CallError {
            status,
            error: value["error"].as_str().unwrap_or("").to_string(),
            message: value["message"].as_str().unwrap_or("").chars().take(600).collect(),
        });
    }
    Ok(value)
}

/// A connection to `127.0.0.1:port` made from inside `netns` (the socket stays there).
fn connect(netns: Option<&str>, port: u16) -> Result<TcpStream, String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let stream = in_netns(netns, move || {
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| format!("connect {addr}: {e}"))
    })??;
    stream.set_read_timeout(Some(CALL_TIMEOUT)).map_err(|e| e.to_string())?;
    Ok(stream)
}

/// Run `f` on a thread that has entered network namespace `ns` (`/run/netns/<ns>`, as
/// `ip netns` names them); `None`: on a plain thread.
pub fn in_netns<T: Send + 'static>(ns: Option<&str>, f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let ns = ns.map(String::from);
    thread::spawn(move || -> Result<T, String> {
        if let Some(ns) = ns {
            let path = format!("/run/netns/{ns}");
            let file = fs::File::open(&path).map_err(|e| format!("open {path}: {e}"))?;
            // SAFETY: setns on this thread only, with a descriptor we hold open.
            let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            if rc != 0 {
                return Err(format!("setns {path}: {}", std::io::Error::last_os_error()));
            }
        }
        Ok(f())
    })
    .join()
    .map_err(|_| "the namespace thread panicked".to_string())?
}

/// A TCP port free on loopback in `ns` just now (chromedriver binds it next).
pub fn free_port(ns: Option<&str>) -> u16 {
    in_netns(ns, || TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).map(|a| a.port()))
        .and_then(|r| r.map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("find a free port for chromedriver: {e}"))
}

/// (status, body) of a raw HTTP/1.1 response once all of it is in `raw` (Content-Length or
/// chunked), body de-chunked; `None` while incomplete.
fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let body = &raw[split + 4..];
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if !chunked {
        let length = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok())?
        });
        return match length {
            Some(n) => body.get(..n).map(|b| (status, b.to_vec())),
            None => None,
        };
    }
    let (mut out, mut rest) = (Vec::new(), body);
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Some((status, out));
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}
