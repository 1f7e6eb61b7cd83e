//! Test helpers for the central server (`hotspotd-central`, feature `central`): a private
//! PostgreSQL cluster (stopped and removed on drop), central processes on free loopback
//! ports (start, kill -9, restart), the CLI's `router add` / `operator add`, a signed
//! exchange client built on `sync::wire`, and a small HTTP client over std::net for the
//! operator API and the M-Pesa endpoints.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use hotspotd::sync::wire::{self, ExchangeRequest, ExchangeResponse, RequestHead, RouterStatus, WireEvent, EXCHANGE_PATH};

pub const BIN: &str = env!("CARGO_BIN_EXE_hotspotd-central");

static UNIQUE: AtomicU32 = AtomicU32::new(0);

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/postgres-private.sh")
}

fn scratch_dir(what: &str) -> PathBuf {
    let n = UNIQUE.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("hotspotd-{what}-{}-{n}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A private PostgreSQL cluster with the database `hotspotd`.
pub struct Cluster {
    pub dir: PathBuf,
    pub url: String,
}

impl Cluster {
    pub fn start() -> Cluster {
        let dir = scratch_dir("pg");
        let port = free_port();
        let out = Command::new(script()).arg("start").arg(dir.join("data")).arg(port.to_string()).output().expect("run postgres-private.sh");
        assert!(out.status.success(), "cannot start PostgreSQL: {}", String::from_utf8_lossy(&out.stderr));
        let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        Cluster { dir, url }
    }

    /// One SQL statement's result, as `psql -tA` prints it (trimmed).
    pub fn sql(&self, query: &str) -> String {
        let psql = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| d.filter_map(Result::ok).map(|e| e.path().join("bin/psql")).find(|p| p.exists()))
            .unwrap_or_else(|| PathBuf::from("psql"));
        let out = Command::new(psql).arg(&self.url).arg("-tAc").arg(query).output().expect("run psql");
        assert!(out.status.success(), "{query}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    pub fn count(&self, query: &str) -> i64 {
        self.sql(query).parse().unwrap_or_else(|_| panic!("{query} is not a count"))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").arg(self.dir.join("data")).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the central's CLI against `db`.
pub fn cli(db: &str, args: &[&str]) -> Output {
    Command::new(BIN).args(args).env("DATABASE_URL", db).env("RUST_LOG", "warn").output().expect("run hotspotd-central")
}

/// `router add --name NAME`: (id, key).
pub fn router_add(db: &str, name: &str) -> (i64, String) {
    let out = cli(db, &["router", "add", "--name", name]);
    assert!(out.status.success(), "router add: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let (id, key) = text.trim().split_once(' ').expect("ID KEY");
    (id.parse().unwrap(), key.to_owned())
}

/// `operator add --name NAME`: the token.
pub fn operator_add(db: &str, name: &str) -> String {
    let out = cli(db, &["operator", "add", "--name", name]);
    assert!(out.status.success(), "operator add: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The C2B secret, read from `paybill urls`.
pub fn c2b_secret(db: &str) -> String {
    let out = cli(db, &["paybill", "urls", "--base", "https://central.test"]);
    assert!(out.status.success(), "paybill urls: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let start = text.find("/pay/c2b/").unwrap() + "/pay/c2b/".len();
    text[start..].split('/').next().unwrap().to_owned()
}

/// A running `hotspotd-central run` on a loopback port.
pub struct Central {
    child: Option<Child>,
    pub db: String,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl Central {
    pub fn start(db: &str) -> Central {
        Central::start_on(db, format!("127.0.0.1:{}", free_port()).parse().unwrap())
    }

    /// On a chosen address (e.g. one a router was configured with while the central was down).
    pub fn start_on(db: &str, addr: SocketAddr) -> Central {
        let log = std::env::temp_dir().join(format!("hotspotd-central-{}.log", addr.port()));
        let mut central = Central { child: None, db: db.to_owned(), addr, log };
        central.spawn();
        central
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(&self.log).unwrap();
        let child = Command::new(BIN)
            .args(["run", "--listen", &self.addr.to_string()])
            .env("DATABASE_URL", &self.db)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start hotspotd-central");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(self.addr).is_err() {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("hotspotd-central exited ({status}): {}", std::fs::read_to_string(&self.log).unwrap_or_default());
            }
            assert!(Instant::now() < deadline, "hotspotd-central did not listen on {}", self.addr);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// kill -9, no goodbye.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// kill -9 and start again on the same port.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }
}

impl Drop for Central {
    fn drop(&mut self) {
        self.kill9();
        // Kept when a test failed (its path is in `log`), for reading.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// An HTTP response read off the wire.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request on its own connection (`Connection: close`).
pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(70))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before reading a body it refuses.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        assert!(!raw.is_empty(), "no response: {e}");
    }
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())).collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap().trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
            rest = &rest[line_end + 2 + size + 2..];
        }
        body = out;
    }
    Response { status, headers, body }
}

/// The operator API with a bearer token.
pub struct Api {
    pub addr: SocketAddr,
    pub token: String,
}

impl Api {
    pub fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, &[("Authorization", &format!("Bearer {}", self.token))], b"")
    }

    pub fn post(&self, path: &str, body: &str) -> Response {
        request(self.addr, "POST", path, &[("Authorization", &format!("Bearer {}", self.token)), ("Content-Type", "application/json")], body.as_bytes())
    }
}

/// What an exchange came back with.
#[derive(Debug)]
pub struct Exchanged {
    pub status: u16,
    pub body: Vec<u8>,
    /// The response carries a signature that verifies for this request (router, stream,
    /// counter, status, body).
    pub signature_ok: bool,
}

impl Exchanged {
    pub fn response(&self) -> ExchangeResponse {
        assert_eq!(self.status, 200, "{}", String::from_utf8_lossy(&self.body));
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// Sends `body` as an exchange with the given head and signature, as is.
pub fn exchange_raw(addr: SocketAddr, router: i64, stream: &str, counter: u64, signature: &str, body: &[u8]) -> Response {
    let (r, c) = (router.to_string(), counter.to_string());
    let headers = [
        (wire::HEADER_ROUTER, r.as_str()),
        (wire::HEADER_STREAM, stream),
        (wire::HEADER_COUNTER, c.as_str()),
        (wire::HEADER_SIGNATURE, signature),
        ("Content-Type", "application/json"),
    ];
    request(addr, "POST", EXCHANGE_PATH, &headers, body)
}

/// A correctly signed exchange of `req`.
pub fn exchange(addr: SocketAddr, router: i64, key: &str, stream: &str, counter: u64, req: &ExchangeRequest) -> Exchanged {
    let body = serde_json::to_vec(req).unwrap();
    exchange_bytes(addr, router, key, stream, counter, &body)
}

/// A correctly signed exchange of any bytes.
pub fn exchange_bytes(addr: SocketAddr, router: i64, key: &str, stream: &str, counter: u64, body: &[u8]) -> Exchanged {
    let head = RequestHead { method: "POST", path: EXCHANGE_PATH, router, stream, counter };
    let signature = wire::sign_request(key.as_bytes(), &head, body);
    let response = exchange_raw(addr, router, stream, counter, &signature, body);
    let signature_ok = response
        .header(wire::HEADER_SIGNATURE)
        .is_some_and(|sig| wire::response_signed(key.as_bytes(), &head, response.status, &response.body, sig));
    Exchanged { status: response.status, body: response.body, signature_ok }
}

/// An `ExchangeRequest` carrying `events` as `(seq, event JSON)`, the router's clock trusted.
pub fn request_with(events: &[(i64, &str)], wait_secs: u32) -> ExchangeRequest {
    ExchangeRequest {
        events: events
            .iter()
            .map(|(seq, json)| WireEvent {
                seq: *seq,
                at: 1_700_000_000 + seq,
                clock_trusted: true,
                event: serde_json::value::RawValue::from_string((*json).to_owned()).unwrap(),
            })
            .collect(),
        status: RouterStatus { version: "test".into(), devices_online: 3, clock_trusted: true, router_time: 1_700_000_000, backlog: events.len() as i64, ..RouterStatus::default() },
        wait_secs,
    }
}
