//! Shared harness for the payment tests: the real `hotspotd` binary on loopback with a real
//! SQLite file, `scripts/fake-daraja.py` as Daraja and `scripts/fake-sms.py` as Africa's
//! Talking, each on a free port. The daemon can be killed with SIGKILL and restarted on the
//! same port and database. Every process is a child of the test: dropped, it is killed (the
//! fakes also exit when this process dies, since they watch their stdin).
//!
//! Used by tests/payments.rs and tests/payments_crash.rs (`mod upstream;`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use hotspotd::http_client::HttpClient;
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};

pub const KEY: &str = "fakeConsumerKey";
pub const SECRET: &str = "fakeConsumerSecret42";
pub const SHORTCODE: &str = "174379";
pub const PASSKEY: &str = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";
pub const AT_USER: &str = "myshop";
pub const AT_KEY: &str = "atsk_fake_0123456789abcdef";
/// The payer in most tests, as typed and as the account's username.
pub const PHONE: &str = "0712345678";
pub const MSISDN: &str = "254712345678";

/// A running python fake: killed when dropped; it also exits when our end of its stdin
/// closes (this process died).
pub struct Fake {
    child: Child,
    stdin: Option<ChildStdin>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    http: HttpClient,
}

/// Runs `script` so that it exits when its stdin closes. fake-sms.py does this itself
/// (`--parent-stdin`); fake-daraja.py has no such option, so a thread in the same python
/// process watches stdin and exits.
fn start_fake(script: &str, args: &[&str], parent_stdin: bool, log: &Path) -> Fake {
    let path = format!("{}/scripts/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new("python3");
    if parent_stdin {
        command.arg(&path).args(args).arg("--parent-stdin");
    } else {
        command
            .arg("-c")
            .arg(
                "import os, runpy, sys, threading\n\
                 def watch():\n    sys.stdin.buffer.read()\n    os._exit(0)\n\
                 threading.Thread(target=watch, daemon=True).start()\n\
                 sys.argv = sys.argv[1:]\n\
                 runpy.run_path(sys.argv[0], run_name='__main__')\n",
            )
            .arg(&path)
            .args(args);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        // Tracebacks of connections reset by a killed daemon would drown the test output.
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start python3 {path} (these tests need python3): {e}"));
    let stdin = child.stdin.take();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("the fake's first line");
    let address =
        line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{script} said {line:?}")).to_owned();
    Fake { child, stdin, base: format!("http://{address}"), http: HttpClient::new(Duration::from_secs(30)) }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Fake {
    /// A GET of any size (the daemon's HTTP client stops at 64 KB; the fakes' records grow).
    pub fn get(&self, path: &str) -> Value {
        let address = self.base.strip_prefix("http://").unwrap();
        let mut stream = TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| panic!("GET {path}: {answer}"));
        assert!(head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"), "GET {path}: {head}");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        let answer =
            self.http.post(&format!("{}{path}", self.base), &[], "application/json", body.to_string().as_bytes()).unwrap();
        assert_eq!(answer.status, 200, "POST {path}: {}", answer.body);
        serde_json::from_str(&answer.body).unwrap()
    }
}

/// fake-daraja.py, with the keys the daemon's config names.
pub struct Daraja(pub Fake);

impl Daraja {
    /// Its stderr goes to `log`.
    pub fn start(log: &Path) -> Daraja {
        Daraja(start_fake(
            "fake-daraja.py",
            &["--port", "0", "--consumer-key", KEY, "--consumer-secret", SECRET, "--shortcode", SHORTCODE, "--passkey", PASSKEY],
            false,
            log,
        ))
    }

    /// The next push resolves with `result_code` after `after_queries` "being processed"
    /// answers (`None`: pending until a callback or `resolve`).
    pub fn plan(&self, result_code: i64, after_queries: Option<u32>) {
        self.0.post("/_fake/plan", json!({ "result_code": result_code, "after_queries": after_queries }));
    }

    /// What every push without its own plan does.
    pub fn default_plan(&self, result_code: i64, after_queries: Option<u32>) {
        self.0.post("/_fake/plan", json!({ "result_code": result_code, "after_queries": after_queries, "default": true }));
    }

    pub fn resolve(&self, checkout: &str, result_code: i64) {
        self.0.post("/_fake/resolve", json!({ "checkout_request_id": checkout, "result_code": result_code }));
    }

    /// Makes the fake POST a callback for `checkout` to the CallBackURL it was given.
    /// `extra` is merged in (`resolve`, `amount`, `receipt`, …).
    pub fn callback(&self, checkout: &str, result_code: i64, extra: Value) -> Value {
        let mut body = json!({ "checkout_request_id": checkout, "result_code": result_code });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body[k] = v;
        }
        self.0.post("/_fake/callback", body)
    }

    pub fn pushes(&self) -> Vec<Value> {
        serde_json::from_value(self.0.get("/_fake/pushes")).unwrap()
    }

    pub fn stats(&self) -> Value {
        self.0.get("/_fake/stats")
    }

    pub fn down(&self, down: bool) {
        self.0.post("/_fake/down", json!({ "down": down }));
    }

    /// The next `count` API calls answer `status` (Daraja's error body).
    pub fn fail(&self, status: u16, count: u32) {
        self.0.post("/_fake/fail", json!({ "status": status, "count": count }));
    }
}

/// fake-sms.py, taking Africa's Talking requests with our key.
pub struct Sms(pub Fake);

impl Sms {
    /// Its stderr goes to `log`.
    pub fn start(log: &Path) -> Sms {
        Sms(start_fake("fake-sms.py", &["--port", "0", "--at-key", AT_KEY], true, log))
    }

    pub fn plan(&self, plan: Value) {
        self.0.post("/_fake/plan", plan);
    }

    /// Every request the gateway received (delivered or refused), oldest first.
    pub fn requests(&self) -> Vec<Value> {
        serde_json::from_value(self.0.get("/_fake/messages")).unwrap()
    }

    /// The messages the gateway accepted (answered 2xx), oldest first.
    pub fn delivered(&self) -> Vec<Value> {
        self.requests().into_iter().filter(|m| m["answered"].as_u64().is_some_and(|s| (200..300).contains(&s))).collect()
    }
}

/// How a test wants the daemon configured.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Give Daraja our own callback URL (`http://127.0.0.1:PORT/api/payments/callback`).
    pub callbacks: bool,
    pub poll_interval: u32,
    pub timeout: u32,
    pub log_level: &'static str,
    /// Extra lines for `config mpesa 'mpesa'` (e.g. `"\toption prompts_per_hour '100'\n"`).
    pub mpesa_extra: &'static str,
}

impl Default for Options {
    fn default() -> Options {
        Options { callbacks: false, poll_interval: 1, timeout: 30, log_level: "info", mpesa_extra: "" }
    }
}

/// A payment as a test knows it: its row id (database, log lines) and the token its status
/// pages are reached by (what the portal gave the payer: `/pay/<token>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRef {
    pub id: i64,
    pub token: String,
}

/// The daemon, its files and its two fakes.
pub struct Hotspot {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub db_path: PathBuf,
    pub log_path: PathBuf,
    pub addr: SocketAddr,
    child: Option<Child>,
    http: HttpClient,
    pub daraja: Daraja,
    pub sms: Sms,
    /// Daemon starts so far (1 after `start`).
    pub starts: u32,
}

impl Drop for Hotspot {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("kept {} for a look (daemon log: {})", self.dir.display(), self.log_path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Hotspot {
    /// Starts both fakes and the daemon (`name` keeps each test's files apart).
    pub fn start(name: &str, options: Options) -> Hotspot {
        let dir = std::env::temp_dir().join(format!("hotspotd-pay-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let daraja = Daraja::start(&dir.join("fake-daraja.log"));
        let sms = Sms::start(&dir.join("fake-sms.log"));
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let config = dir.join("hotspotd.config");
        let db_path = dir.join("hotspotd.db");
        let callback_url =
            if options.callbacks { format!("http://{addr}/api/payments/callback") } else { String::new() };
        let text = format!(
            "config hotspotd 'main'\n\
             \toption interface 'lo'\n\
             \toption listen '{addr}'\n\
             \toption database '{db}'\n\
             \toption firewall 'none'\n\
             \toption log_level '{level}'\n\
             \toption login_attempts '100'\n\
             \n\
             config mpesa 'mpesa'\n\
             \toption enabled '1'\n\
             \toption mode 'daraja'\n\
             \toption base_url '{daraja}'\n\
             \toption consumer_key '{KEY}'\n\
             \toption consumer_secret '{SECRET}'\n\
             \toption shortcode '{SHORTCODE}'\n\
             \toption passkey '{PASSKEY}'\n\
             \toption callback_url '{callback_url}'\n\
             \toption account_reference 'Hotspot'\n\
             \toption poll_interval '{poll}'\n\
             \toption timeout '{timeout}'\n\
             {mpesa_extra}\
             \n\
             config sms 'sms'\n\
             \toption provider 'africastalking'\n\
             \toption username '{AT_USER}'\n\
             \toption api_key '{AT_KEY}'\n\
             \toption base_url '{sms}'\n",
            db = db_path.display(),
            level = options.log_level,
            daraja = daraja.0.base,
            sms = sms.0.base,
            poll = options.poll_interval,
            timeout = options.timeout,
            mpesa_extra = options.mpesa_extra,
        );
        std::fs::write(&config, text).unwrap();
        let log_path = dir.join("daemon.log");
        let mut hotspot = Hotspot {
            dir,
            config,
            db_path,
            log_path,
            addr,
            child: None,
            http: HttpClient::new(Duration::from_secs(30)),
            daraja,
            sms,
            starts: 0,
        };
        hotspot.start_daemon();
        hotspot
    }

    /// Starts the daemon (stderr appended to `daemon.log`) and waits for its portal.
    pub fn start_daemon(&mut self) {
        assert!(self.child.is_none(), "the daemon is already running");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log_path).unwrap();
        self.starts += 1;
        let child = Command::new(env!("CARGO_BIN_EXE_hotspotd"))
            .arg("--config")
            .arg(&self.config)
            .arg("run")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start hotspotd");
        self.child = Some(child);
        // A fresh client: pooled connections to the old process are dead.
        self.http = HttpClient::new(Duration::from_secs(30));
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(self.addr).is_err() {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("hotspotd exited at start ({status}):\n{}", self.log_tail(30));
            }
            assert!(Instant::now() < deadline, "the portal did not start on {}:\n{}", self.addr, self.log_tail(30));
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kill -9`: no shutdown, no flushing; whatever SQLite committed stays.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        }
    }

    pub fn restart(&mut self) {
        self.kill9();
        self.start_daemon();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    // ---- the command line -------------------------------------------------------------

    /// `hotspotd --config F ARGS…`; its stdout (it must succeed).
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_hotspotd")).arg("--config").arg(&self.config).args(args).output().unwrap();
        assert!(out.status.success(), "hotspotd {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// `hotspotd package add`; its id.
    pub fn package(&self, name: &str, price: i64, duration_secs: i64) -> i64 {
        let out = self.cli(&["package", "add", "--name", name, "--price", &price.to_string(), "--duration", &duration_secs.to_string()]);
        out.trim().parse().unwrap_or_else(|_| panic!("package add printed {out:?}"))
    }

    /// `hotspotd jobs`.
    pub fn jobs(&self) -> String {
        self.cli(&["jobs"])
    }

    // ---- the portal over HTTP ---------------------------------------------------------

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let answer = self.http.get(&self.url(path), &[]).unwrap_or_else(|e| panic!("GET {path}: {e:?}"));
        (answer.status, serde_json::from_str(&answer.body).unwrap_or_else(|_| panic!("GET {path}: {}", answer.body)))
    }

    /// A page as a browser gets it (HTML).
    pub fn page(&self, path: &str) -> (u16, String) {
        let answer = self.http.get(&self.url(path), &[]).unwrap_or_else(|e| panic!("GET {path}: {e:?}"));
        (answer.status, answer.body)
    }

    pub fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let answer = self
            .http
            .post(&self.url(path), &[], "application/json", body.as_bytes())
            .unwrap_or_else(|e| panic!("POST {path}: {e:?}"));
        (answer.status, serde_json::from_str(&answer.body).unwrap_or_else(|_| panic!("POST {path}: {}", answer.body)))
    }

    /// `POST /api/payments/mpesa` from this device (127.0.0.1).
    pub fn pay(&self, package_id: i64, phone: &str) -> (u16, Value) {
        self.post("/api/payments/mpesa", &json!({ "package_id": package_id, "phone": phone }).to_string())
    }

    /// Pays and expects the prompt to be sent; the payment as the payer was told of it.
    pub fn pay_ok(&self, package_id: i64, phone: &str) -> PaymentRef {
        let (status, answer) = self.pay(package_id, phone);
        assert_eq!(status, 201, "{answer}");
        assert_eq!(answer["status"], "pending", "{answer}");
        let token = answer["id"].as_str().unwrap_or_else(|| panic!("the id to poll is the view token: {answer}")).to_owned();
        PaymentRef { id: self.id_of(&token), token }
    }

    /// The row id of the payment whose view token is `token`.
    pub fn id_of(&self, token: &str) -> i64 {
        self.db().query_row("SELECT id FROM payments WHERE view_token = ?1", [token], |r| r.get(0)).unwrap()
    }

    /// `GET /api/payments/{token}` from this device.
    pub fn payment(&self, payment: &PaymentRef) -> Value {
        let (status, answer) = self.get(&format!("/api/payments/{}", payment.token));
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// Polls the payment until `done` says so; the last answer.
    pub fn wait_payment(&self, payment: &PaymentRef, within: Duration, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let answer = self.payment(payment);
            if done(&answer) {
                return answer;
            }
            assert!(
                Instant::now() < deadline,
                "payment {}: not {what} within {within:?}: {answer}\n{}",
                payment.id,
                self.log_tail(40)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the payment has left `pending` with `status`.
    pub fn wait_status(&self, payment: &PaymentRef, status: &str, within: Duration) -> Value {
        let answer = self.wait_payment(payment, within, status, |p| p["status"] != "pending");
        assert_eq!(answer["status"], status, "{answer}");
        answer
    }

    /// `POST /api/hotspot/check-session` from this device.
    pub fn check_session(&self) -> Value {
        let (status, answer) = self.post("/api/hotspot/check-session", "");
        assert_eq!(status, 200, "{answer}");
        answer
    }

    // ---- the database, read-only ------------------------------------------------------

    pub fn db(&self) -> Connection {
        let conn = Connection::open_with_flags(&self.db_path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn checkout_of(&self, payment_id: i64) -> String {
        self.db()
            .query_row("SELECT checkout_request_id FROM payments WHERE id = ?1", [payment_id], |r| r.get(0))
            .unwrap()
    }

    pub fn token_of(&self, payment_id: i64) -> String {
        self.db().query_row("SELECT callback_token FROM payments WHERE id = ?1", [payment_id], |r| r.get(0)).unwrap()
    }

    /// Waits until `cond` holds (checked every 100 ms).
    pub fn wait_until(&self, within: Duration, what: &str, mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + within;
        while !cond() {
            assert!(Instant::now() < deadline, "not {what} within {within:?}\n{}", self.log_tail(40));
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the job queue is empty (every job done or failed).
    pub fn wait_jobs_done(&self, within: Duration) {
        self.wait_until(within, "all jobs done", || self.count("SELECT count(*) FROM jobs") == 0);
    }
}

/// The password in a credentials SMS (`Password: X` or `Pass: X`).
pub fn password_in(message: &str) -> Option<String> {
    let words: Vec<&str> = message.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| w[0] == "Password:" || w[0] == "Pass:")
        .map(|w| w[1].to_owned())
}
