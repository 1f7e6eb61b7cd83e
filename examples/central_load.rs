//! Load generator for the central server (`scripts/bench-central.sh`, issue 12 §4): N
//! simulated routers against one or more `hotspotd-central` processes, plus an operator who
//! sends a command to a random router every second. Run as
//! `cargo run --release --features central --example central_load -- --routers FILE
//! --central HOST:PORT [--central HOST:PORT…] --token TOKEN [options]`.
//!
//! Each router (a line `ID KEY` of `--routers`, as `hotspotd-central router add` prints
//! them) keeps one HTTP/1.1 connection to its central (router i goes to central i mod K) and
//! behaves as a real router's sync loop does, one exchange at a time: while it has nothing to
//! send it holds a long-poll exchange open (`wait_secs` 50, or less when its next batch is
//! due sooner); every `--interval` seconds (the first one at a random offset, so the fleet is
//! spread evenly) it sends a realistic batch — payments started and confirmed or failed, the
//! accounts and sessions they opened, sessions ended, one usage row — as
//! `store::outbox::Event` JSON with its own stream, increasing counters and sequence numbers,
//! signed with its key. Every response's signature is checked against the request it
//! answers, and `acked_seq` must be exactly the highest sequence number sent. Each item is
//! applied once by id and answered with a `command_result` event, sent at once.
//!
//! The operator posts `{"kind":"kick","mac":…}` to `POST /api/v1/routers/{id}/commands`
//! (`--commands-per-sec`, default 1, central chosen round robin) and the time from the post
//! to the moment that router's exchange hands it the item is the command delivery latency.
//!
//! Routers connect during the first `--ramp` seconds; figures count what starts in the
//! `--seconds` that follow. The last line on stdout is the result as `key=value` pairs;
//! progress goes to stderr every 10 s.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hotspotd::store::accounts::AccountSource;
use hotspotd::store::outbox::Event;
use hotspotd::store::payments::{PaymentFailure, PaymentStatus};
use hotspotd::store::sessions::{EndMethod, EndReason};
use hotspotd::sync::wire::{
    response_signed, sign_request, ExchangeRequest, ExchangeResponse, Order, RequestHead, RouterStatus, WireEvent, EXCHANGE_PATH,
    HEADER_COUNTER, HEADER_ROUTER, HEADER_SIGNATURE, HEADER_STREAM, MAX_BATCH_EVENTS,
};
use serde_json::value::RawValue;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

/// The command line.
struct Options {
    routers_file: String,
    centrals: Vec<SocketAddr>,
    token: String,
    seconds: u64,
    ramp_secs: u64,
    interval_secs: u64,
    wait_secs: u32,
    commands_per_sec: f64,
    /// Routers' connections come from this many loopback addresses (127.0.0.2…), for a
    /// central that caps connections per address; 0: the kernel picks.
    source_ips: u32,
    threads: usize,
}

fn options() -> Result<Options, lexopt::Error> {
    use lexopt::prelude::*;
    let mut o = Options {
        routers_file: String::new(),
        centrals: Vec::new(),
        token: String::new(),
        seconds: 180,
        ramp_secs: 30,
        interval_secs: 60,
        wait_secs: 50,
        commands_per_sec: 1.0,
        source_ips: 0,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("routers") => o.routers_file = parser.value()?.string()?,
            Long("central") => o.centrals.push(parser.value()?.parse()?),
            Long("token") => o.token = parser.value()?.string()?,
            Long("seconds") => o.seconds = parser.value()?.parse()?,
            Long("ramp") => o.ramp_secs = parser.value()?.parse()?,
            Long("interval") => o.interval_secs = parser.value()?.parse()?,
            Long("wait") => o.wait_secs = parser.value()?.parse()?,
            Long("commands-per-sec") => o.commands_per_sec = parser.value()?.parse()?,
            Long("source-ips") => o.source_ips = parser.value()?.parse()?,
            Long("threads") => o.threads = parser.value()?.parse()?,
            _ => return Err(arg.unexpected()),
        }
    }
    if o.routers_file.is_empty() || o.centrals.is_empty() {
        return Err("--routers FILE and at least one --central HOST:PORT are required".into());
    }
    Ok(o)
}

/// A small PRNG (xorshift64*): load shape only, nothing secret.
struct Rng(u64);

impl Rng {
    fn seeded(salt: u64) -> Rng {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        Rng((nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What went wrong, counted by kind.
#[derive(Clone, Copy)]
enum Failure {
    Connect = 0,
    /// The central closed a kept-alive connection before answering (its connection
    /// lifetime, or it went away).
    Closed,
    Io,
    Timeout,
    Status,
    Signature,
    Ack,
    Body,
    Command,
}
const FAILURE_NAMES: [&str; 9] = ["connect", "closed", "io", "timeout", "status", "signature", "ack", "body", "command"];

/// Everything the routers and the operator count, shared.
struct Figures {
    failures: [AtomicU64; 9],
    /// Latency (µs) of exchanges that carried events, started inside the window.
    sync_us: Mutex<Vec<u64>>,
    /// Events the central acknowledged, of exchanges started inside the window.
    events_acked: AtomicU64,
    /// Events acknowledged over the whole run (ramp included), to compare with the database.
    events_total: AtomicU64,
    exchanges: AtomicU64,
    connected: AtomicI64,
    /// Command id → (router, when posted), for commands posted inside the window.
    posted: Mutex<HashMap<i64, (i64, Instant)>>,
    /// Command id → (router, when first handed out).
    delivered: Mutex<HashMap<i64, (i64, Instant)>>,
    /// A sample status / first failure of each kind, to say what went wrong in words.
    first_failure: Mutex<HashMap<usize, String>>,
}

impl Figures {
    fn fail(&self, kind: Failure, words: impl FnOnce() -> String) {
        self.failures[kind as usize].fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_failure.lock().unwrap();
        first.entry(kind as usize).or_insert_with(words);
    }
}

/// The run's clock: routers connect during [start, window_start), figures count
/// [window_start, window_end).
#[derive(Clone, Copy)]
struct Timing {
    start: Instant,
    window_start: Instant,
    window_end: Instant,
    interval: Duration,
    wait_secs: u32,
}

impl Timing {
    fn in_window(&self, at: Instant) -> bool {
        at >= self.window_start && at < self.window_end
    }
}

/// One HTTP/1.1 response as far as we need it.
struct Response {
    status: u16,
    signature: Option<String>,
    close: bool,
    body: Vec<u8>,
}

type Conn = BufReader<TcpStream>;

async fn connect(target: SocketAddr, source: Option<Ipv4Addr>) -> std::io::Result<Conn> {
    let stream = match source {
        Some(ip) => {
            let socket = TcpSocket::new_v4()?;
            socket.bind(SocketAddr::new(ip.into(), 0))?;
            socket.connect(target).await?
        }
        None => TcpStream::connect(target).await?,
    };
    stream.set_nodelay(true)?;
    Ok(BufReader::with_capacity(4096, stream))
}

/// Sends one request (head lines without the final blank line) and reads the answer.
async fn round_trip(conn: &mut Conn, head: &str, body: &[u8]) -> std::io::Result<Response> {
    let mut request = Vec::with_capacity(head.len() + body.len() + 64);
    request.extend_from_slice(head.as_bytes());
    request.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    request.extend_from_slice(body);
    conn.get_mut().write_all(&request).await?;
    read_response(conn).await
}

fn bad(words: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, words.to_string())
}

async fn read_response(conn: &mut Conn) -> std::io::Result<Response> {
    let mut line = String::new();
    if conn.read_line(&mut line).await? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("no status line"))?;
    let (mut length, mut chunked, mut close, mut signature) = (None, false, false, None);
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Err(bad("headers cut short"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else { return Err(bad("bad header")) };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        match name.as_str() {
            "content-length" => length = Some(value.parse::<usize>().map_err(|_| bad("bad content-length"))?),
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            n if n == HEADER_SIGNATURE => signature = Some(value.to_string()),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            conn.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16).map_err(|_| bad("bad chunk size"))?;
            let mut chunk = vec![0; size + 2];
            conn.read_exact(&mut chunk).await?;
            if size == 0 {
                break; // no trailers from hyper
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        conn.read_exact(&mut body).await?;
    } else {
        conn.read_to_end(&mut body).await?;
        close = true;
    }
    Ok(Response { status, signature, close, body })
}

/// One simulated router: its identity, its outbox, and what it has applied.
struct Router {
    id: i64,
    key: Vec<u8>,
    stream: String,
    counter: u64,
    next_seq: i64,
    /// Sent or not, not yet acknowledged: (seq, router time, event JSON).
    outbox: Vec<(i64, i64, String)>,
    applied: HashSet<i64>,
    next_payment: i64,
    next_account: i64,
    next_session: i64,
    /// (session, account, bytes up, bytes down, started at).
    sessions: Vec<(i64, i64, i64, i64, i64)>,
    rng: Rng,
    booted: i64,
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn mac_of(router: i64, n: u64) -> String {
    format!("02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (router >> 16) & 255, (router >> 8) & 255, router & 255, (n >> 8) & 255, n & 255)
}

impl Router {
    fn new(id: i64, key: String) -> Router {
        let mut rng = Rng::seeded(id as u64);
        let stream: String = (0..12).map(|_| char::from_digit(rng.below(36) as u32, 36).unwrap()).collect();
        Router {
            id,
            key: key.into_bytes(),
            stream,
            counter: 0,
            next_seq: 1,
            outbox: Vec::new(),
            applied: HashSet::new(),
            next_payment: 1,
            next_account: 1,
            next_session: 1,
            sessions: Vec::new(),
            rng,
            booted: unix_now() - 86_400,
        }
    }

    fn record(&mut self, event: &Event) {
        let json = serde_json::to_string(event).expect("events serialise");
        self.outbox.push((self.next_seq, unix_now(), json));
        self.next_seq += 1;
    }

    /// A minute of a busy shop: 1–3 payments (one in five fails; the others open an account
    /// and a session), 0–2 sessions ending, and the usage checkpoint.
    fn make_batch(&mut self) {
        let now = unix_now();
        for _ in 0..1 + self.rng.below(3) {
            let payment_id = self.next_payment;
            self.next_payment += 1;
            let phone = format!("2547{:08}", self.rng.below(100_000_000));
            let (package_id, amount) = [(1, 20), (2, 50), (3, 100)][self.rng.below(3) as usize];
            self.record(&Event::PaymentStarted { payment_id, provider: "mpesa".into(), phone: phone.clone(), package_id, amount, currency: "KES".into() });
            if self.rng.below(5) == 0 {
                self.record(&Event::PaymentFailed { payment_id, status: PaymentStatus::Failed, failure: PaymentFailure::Cancelled });
                continue;
            }
            let receipt = format!("T{:09}", self.rng.below(1_000_000_000));
            self.record(&Event::PaymentConfirmed { payment_id, receipt: Some(receipt), amount, phone: phone.clone() });
            let account_id = self.next_account;
            self.next_account += 1;
            let username = format!("u{account_id}");
            self.record(&Event::AccountCreated { account_id, username: username.clone(), source: AccountSource::Payment, package_id, phone: Some(phone) });
            let session_id = self.next_session;
            self.next_session += 1;
            let n = session_id as u64;
            self.record(&Event::SessionStarted {
                session_id,
                account_id,
                username,
                mac: mac_of(self.id, n),
                ip: format!("10.1.{}.{}", (n >> 8) & 255, n & 255),
                enforcer: "local".into(),
                expires_at: now + 3600,
            });
            self.sessions.push((session_id, account_id, 0, 0, now));
        }
        let ending = (self.rng.below(3) as usize).min(self.sessions.len()).max(self.sessions.len().saturating_sub(20));
        for (session_id, account_id, up, down, started) in self.sessions.drain(..ending).collect::<Vec<_>>() {
            self.record(&Event::SessionEnded {
                session_id,
                account_id,
                method: EndMethod::Expiry,
                reason: EndReason::Expired,
                bytes_up: up,
                bytes_down: down,
                duration_secs: now - started,
            });
        }
        for s in &mut self.sessions {
            s.2 += self.rng.below(5_000_000) as i64;
            s.3 += self.rng.below(50_000_000) as i64;
        }
        let sessions = self.sessions.iter().map(|s| [s.0, s.2, s.3]).collect();
        self.record(&Event::Usage { at: now, sessions });
    }

    fn status(&self) -> RouterStatus {
        let now = unix_now();
        RouterStatus {
            version: "0.1.0-bench".into(),
            uptime_secs: now - self.booted,
            devices_online: self.sessions.len() as i64,
            clock_trusted: true,
            router_time: now,
            db_bytes: 2_000_000,
            backlog: self.outbox.len() as i64,
        }
    }
}

/// What one exchange achieved.
struct Exchanged {
    items: Vec<(i64, Order)>,
    acked: u64,
}

/// One signed exchange on `conn` (connecting first if needed), checked end to end.
async fn exchange(
    router: &mut Router,
    conn: &mut Option<Conn>,
    target: SocketAddr,
    source: Option<Ipv4Addr>,
    wait_secs: u32,
    figures: &Figures,
) -> Result<Exchanged, (Failure, String)> {
    let sending = router.outbox.len().min(MAX_BATCH_EVENTS);
    let events = router.outbox[..sending]
        .iter()
        .map(|(seq, at, json)| WireEvent { seq: *seq, at: *at, clock_trusted: true, event: RawValue::from_string(json.clone()).expect("valid JSON") })
        .collect();
    let request = ExchangeRequest { events, status: router.status(), wait_secs };
    let body = serde_json::to_vec(&request).expect("requests serialise");
    router.counter += 1;
    let head = RequestHead { method: "POST", path: EXCHANGE_PATH, router: router.id, stream: &router.stream, counter: router.counter };
    let signature = sign_request(&router.key, &head, &body);
    let lines = format!(
        "POST {EXCHANGE_PATH} HTTP/1.1\r\nhost: {target}\r\ncontent-type: application/json\r\n{HEADER_ROUTER}: {}\r\n{HEADER_STREAM}: {}\r\n{HEADER_COUNTER}: {}\r\n{HEADER_SIGNATURE}: {signature}\r\n",
        router.id, router.stream, router.counter
    );
    if conn.is_none() {
        let fresh = connect(target, source).await.map_err(|e| (Failure::Connect, format!("{target}: {e}")))?;
        figures.connected.fetch_add(1, Ordering::Relaxed);
        *conn = Some(fresh);
    }
    let limit = Duration::from_secs(u64::from(wait_secs) + 20);
    let answer = tokio::time::timeout(limit, round_trip(conn.as_mut().expect("connected"), &lines, &body)).await;
    let response = match answer {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            drop_conn(conn, figures);
            let kind = if e.kind() == std::io::ErrorKind::UnexpectedEof { Failure::Closed } else { Failure::Io };
            return Err((kind, e.to_string()));
        }
        Err(_) => {
            drop_conn(conn, figures);
            return Err((Failure::Timeout, format!("no answer within {}s", limit.as_secs())));
        }
    };
    if response.close {
        drop_conn(conn, figures);
    }
    let words = || String::from_utf8_lossy(&response.body).chars().take(200).collect::<String>();
    if response.status != 200 {
        return Err((Failure::Status, format!("{} {}", response.status, words())));
    }
    let signed = response.signature.as_deref().is_some_and(|sig| response_signed(&router.key, &head, 200, &response.body, sig));
    if !signed {
        return Err((Failure::Signature, format!("router {}: response signature missing or wrong", router.id)));
    }
    let parsed: ExchangeResponse = serde_json::from_slice(&response.body).map_err(|e| (Failure::Body, format!("{e}: {}", words())))?;
    let expected = (sending > 0).then(|| router.outbox[sending - 1].0).or_else(|| (router.next_seq > 1).then(|| router.next_seq - 1));
    let acked = match (parsed.acked_seq, expected) {
        (got, want) if got == want => {
            let upto = got.unwrap_or(0);
            let before = router.outbox.len();
            router.outbox.retain(|(seq, _, _)| *seq > upto);
            (before - router.outbox.len()) as u64
        }
        (got, want) => return Err((Failure::Ack, format!("router {}: acked_seq {got:?}, expected {want:?}", router.id))),
    };
    Ok(Exchanged { items: parsed.items.into_iter().map(|i| (i.id, i.body)).collect(), acked })
}

fn drop_conn(conn: &mut Option<Conn>, figures: &Figures) {
    if conn.take().is_some() {
        figures.connected.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A router's sync loop until the window ends.
async fn run_router(mut router: Router, target: SocketAddr, source: Option<Ipv4Addr>, timing: Timing, figures: Arc<Figures>) {
    let starts_after = timing.window_start - timing.start;
    tokio::time::sleep(starts_after.mul_f64(router.rng.unit())).await;
    let mut next_batch = timing.window_start + timing.interval.mul_f64(router.rng.unit());
    let mut conn: Option<Conn> = None;
    while Instant::now() < timing.window_end {
        let now = Instant::now();
        let wait_secs = if !router.outbox.is_empty() || now >= next_batch {
            if now >= next_batch {
                router.make_batch();
                next_batch += timing.interval;
                if next_batch <= now {
                    next_batch = now + timing.interval;
                }
            }
            0
        } else {
            let until = (next_batch - now).as_secs() as u32;
            if until == 0 {
                tokio::time::sleep_until((next_batch).into()).await;
                continue;
            }
            until.min(timing.wait_secs)
        };
        let started = Instant::now();
        let carried = wait_secs == 0;
        match exchange(&mut router, &mut conn, target, source, wait_secs, &figures).await {
            Ok(done) => {
                let finished = Instant::now();
                figures.exchanges.fetch_add(1, Ordering::Relaxed);
                figures.events_total.fetch_add(done.acked, Ordering::Relaxed);
                if timing.in_window(started) {
                    figures.events_acked.fetch_add(done.acked, Ordering::Relaxed);
                    if carried {
                        figures.sync_us.lock().unwrap().push((finished - started).as_micros() as u64);
                    }
                }
                for (id, order) in done.items {
                    if !router.applied.insert(id) {
                        continue;
                    }
                    figures.delivered.lock().unwrap().entry(id).or_insert((router.id, finished));
                    let (ok, detail) = match order {
                        Order::Kick { mac: Some(_), .. } => (true, String::new()),
                        other => (false, format!("bench: unexpected {other:?}")),
                    };
                    router.record(&Event::CommandResult { command_id: id, ok, detail });
                }
            }
            Err((kind, words)) => {
                figures.fail(kind, || words);
                // A closed keep-alive connection: a real router reconnects at once.
                if !matches!(kind, Failure::Closed) {
                    let pause = 500 + router.rng.below(1500);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            }
        }
    }
    drop_conn(&mut conn, &figures);
}

/// The operator: a kick for a random router every `1/rate` seconds inside the window.
async fn run_operator(routers: Arc<Vec<i64>>, centrals: Vec<SocketAddr>, token: String, rate: f64, timing: Timing, figures: Arc<Figures>) {
    if rate <= 0.0 {
        return;
    }
    tokio::time::sleep_until(timing.window_start.into()).await;
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut rng = Rng::seeded(0xC0FFEE);
    let mut tick = tokio::time::interval(period);
    let mut n = 0u64;
    // Stop posting a few seconds before the end so that the last ones can arrive.
    while Instant::now() + Duration::from_secs(5) < timing.window_end {
        tick.tick().await;
        let router = routers[rng.below(routers.len() as u64) as usize];
        let target = centrals[(n % centrals.len() as u64) as usize];
        n += 1;
        let mac = mac_of(router, 60_000 + rng.below(5_000));
        let (token, figures) = (token.clone(), figures.clone());
        tokio::spawn(async move {
            let body = format!(r#"{{"kind":"kick","mac":"{mac}"}}"#);
            let head = format!(
                "POST /api/v1/routers/{router}/commands HTTP/1.1\r\nhost: {target}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\nconnection: close\r\n"
            );
            let posted = Instant::now();
            let answer = async {
                let mut conn = connect(target, None).await?;
                round_trip(&mut conn, &head, body.as_bytes()).await
            };
            match tokio::time::timeout(Duration::from_secs(10), answer).await {
                Ok(Ok(r)) if r.status == 201 => {
                    let id = serde_json::from_slice::<serde_json::Value>(&r.body).ok().and_then(|v| v["id"].as_i64());
                    match id {
                        Some(id) => {
                            figures.posted.lock().unwrap().insert(id, (router, posted));
                        }
                        None => figures.fail(Failure::Command, || format!("201 without an id: {}", String::from_utf8_lossy(&r.body))),
                    }
                }
                Ok(Ok(r)) => figures.fail(Failure::Command, || format!("{} {}", r.status, String::from_utf8_lossy(&r.body))),
                Ok(Err(e)) => figures.fail(Failure::Command, || e.to_string()),
                Err(_) => figures.fail(Failure::Command, || "no answer within 10 s".into()),
            }
        });
    }
}

fn percentile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

fn read_routers(path: &str) -> Result<Vec<(i64, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut words = l.split_whitespace();
            let id = words.next().and_then(|w| w.parse().ok());
            let key = words.next();
            match (id, key) {
                (Some(id), Some(key)) => Ok((id, key.to_string())),
                _ => Err(format!("{path}: not `ID KEY`: {l}")),
            }
        })
        .collect()
}

fn main() {
    let options = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("central_load: {e}");
            std::process::exit(2);
        }
    };
    let routers = match read_routers(&options.routers_file) {
        Ok(r) if !r.is_empty() => r,
        Ok(_) => {
            eprintln!("central_load: {} holds no routers", options.routers_file);
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("central_load: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(options.threads).enable_all().build().expect("a runtime");
    runtime.block_on(run(options, routers));
}

async fn run(options: Options, routers: Vec<(i64, String)>) {
    let start = Instant::now();
    let window_start = start + Duration::from_secs(options.ramp_secs);
    let timing = Timing {
        start,
        window_start,
        window_end: window_start + Duration::from_secs(options.seconds),
        interval: Duration::from_secs(options.interval_secs),
        wait_secs: options.wait_secs,
    };
    let figures = Arc::new(Figures {
        failures: Default::default(),
        sync_us: Mutex::new(Vec::new()),
        events_acked: AtomicU64::new(0),
        events_total: AtomicU64::new(0),
        exchanges: AtomicU64::new(0),
        connected: AtomicI64::new(0),
        posted: Mutex::new(HashMap::new()),
        delivered: Mutex::new(HashMap::new()),
        first_failure: Mutex::new(HashMap::new()),
    });
    let ids = Arc::new(routers.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    let count = routers.len();
    for (i, (id, key)) in routers.into_iter().enumerate() {
        let target = options.centrals[i % options.centrals.len()];
        let source = (options.source_ips > 0 && target.ip().is_loopback()).then(|| Ipv4Addr::new(127, 0, 0, 2 + (i as u32 % options.source_ips) as u8));
        tokio::spawn(run_router(Router::new(id, key), target, source, timing, figures.clone()));
    }
    tokio::spawn(run_operator(ids, options.centrals.clone(), options.token.clone(), options.commands_per_sec, timing, figures.clone()));
    eprintln!(
        "central_load: {count} routers against {:?}: connecting over {} s, then measuring {} s",
        options.centrals, options.ramp_secs, options.seconds
    );
    let mut report = tokio::time::interval_at((start + Duration::from_secs(10)).into(), Duration::from_secs(10));
    let mut reported = 0;
    while Instant::now() < timing.window_end {
        report.tick().await;
        let failures: u64 = figures.failures.iter().map(|f| f.load(Ordering::Relaxed)).sum();
        // The syncs that finished since the last line: where a stall shows.
        let mut recent = {
            let all = figures.sync_us.lock().unwrap();
            let recent = all[reported..].to_vec();
            reported = all.len();
            recent
        };
        recent.sort_unstable();
        eprintln!(
            "central_load: t={:>4}s connected={} exchanges={} events_acked={} commands_delivered={} failures={failures} last_10s: syncs={} p50_ms={:.0} p99_ms={:.0} max_ms={:.0}",
            start.elapsed().as_secs(),
            figures.connected.load(Ordering::Relaxed),
            figures.exchanges.load(Ordering::Relaxed),
            figures.events_acked.load(Ordering::Relaxed),
            figures.delivered.lock().unwrap().len(),
            recent.len(),
            percentile(&recent, 0.5),
            percentile(&recent, 0.99),
            percentile(&recent, 1.0),
        );
    }
    let connected_at_end = figures.connected.load(Ordering::Relaxed);
    let mut sync = std::mem::take(&mut *figures.sync_us.lock().unwrap());
    sync.sort_unstable();
    let posted = figures.posted.lock().unwrap().clone();
    let delivered = figures.delivered.lock().unwrap().clone();
    let mut command_us = Vec::new();
    let mut misrouted = 0;
    for (id, (router, at)) in &posted {
        if let Some((to, when)) = delivered.get(id) {
            if to != router {
                misrouted += 1;
            }
            command_us.push(when.saturating_duration_since(*at).as_micros() as u64);
        }
    }
    command_us.sort_unstable();
    let failures: Vec<u64> = figures.failures.iter().map(|f| f.load(Ordering::Relaxed)).collect();
    for (kind, words) in figures.first_failure.lock().unwrap().iter() {
        eprintln!("central_load: first {} failure: {words}", FAILURE_NAMES[*kind]);
    }
    let mut line = format!(
        "routers={count} centrals={} seconds={} connected_at_end={connected_at_end} events={} events_total={} events_per_s={:.1} syncs={} sync_p50_ms={:.1} sync_p99_ms={:.1} sync_max_ms={:.1} commands_posted={} commands_delivered={} commands_misrouted={misrouted} command_p50_ms={:.1} command_p99_ms={:.1} command_max_ms={:.1}",
        options.centrals.len(),
        options.seconds,
        figures.events_acked.load(Ordering::Relaxed),
        figures.events_total.load(Ordering::Relaxed),
        figures.events_acked.load(Ordering::Relaxed) as f64 / options.seconds as f64,
        sync.len(),
        percentile(&sync, 0.50),
        percentile(&sync, 0.99),
        percentile(&sync, 1.0),
        posted.len(),
        command_us.len(),
        percentile(&command_us, 0.50),
        percentile(&command_us, 0.99),
        percentile(&command_us, 1.0),
    );
    line.push_str(&format!(" errors={}", failures.iter().sum::<u64>()));
    for (name, n) in FAILURE_NAMES.iter().zip(&failures) {
        line.push_str(&format!(" err_{name}={n}"));
    }
    println!("{line}");
    std::process::exit(0);
}
