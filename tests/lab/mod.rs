//! Network-namespace lab for integration tests: a hotspot router running the real
//! `hotspotd` binary with real nft, Wi-Fi clients behind it, and an "internet" host.
//!
//! Same topology as `scripts/lab.sh`, built with unique namespace names per [`Lab`] so
//! tests can run in parallel threads of one process:
//!
//! ```text
//! <tag>c1  eth0 02:00:00:00:00:01 10.77.0.11/24 --+
//! <tag>c2  eth0 02:00:00:00:00:02 10.77.0.12/24 --+-- lanN ports of br-lan 10.77.0.1/24
//!                                                       <tag>r: ip_forward=1, hotspotd on :2050
//!                                                       wan0 198.51.100.1/24
//! <tag>i   eth0 198.51.100.2/24 (+ .10/32 walled-garden host) -- scripts/lab-internet.py
//! ```
//!
//! Interface names live inside each namespace, so they are the same in every lab; the
//! veth pairs are created directly inside their namespaces (`ip -n R link add lanN type
//! veth peer name eth0 netns C`), so no name ever appears in the root namespace and two
//! labs cannot collide. Addresses are only ever those of the lab's own namespaces.
//!
//! Everything (daemon, web server, namespaces, temp dir) is torn down in `Drop`, also when
//! the test panics; a panicking test prints the tail of the daemon log and the nft table
//! first, and keeps the temp dir (its path is printed).
//!
//! Needs root, `ip`, `nft`, `curl`, `python3`. Without them [`Lab::up`] panics with a clear
//! message, unless `HOTSPOTD_SKIP_NETNS=1`, in which case it prints a skip line and returns
//! `None` (the test then returns early). `HOTSPOTD_BIN=PATH` tests another build of the
//! binary; `HOTSPOTD_LAB_KEEP=1` keeps each lab's temp dir.
//!
//! Files: this one (topology, daemon, teardown), `client.rs` (curl, TCP, ping from a
//! namespace), `portal.rs` (user-level checks: login, online/captive, nft sets), `usage.rs`
//! (moving bytes, kernel counters, the daemon's database), `daraja.rs` (the fake Daraja on the
//! internet host). Std only, except `portal.rs` and
//! `usage.rs`, which use serde_json and rusqlite from hotspotd's own [dependencies]: no
//! dev-dependencies.

#![allow(dead_code)]

mod client;
pub mod daraja;
pub mod portal;
pub mod usage;

#[allow(unused_imports)]
pub use client::{Background, HttpResponse, TcpProbe};

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::thread;
use std::time::{Duration, Instant};

pub const PORTAL_IP: &str = "10.77.0.1";
pub const PORTAL_PORT: u16 = 2050;
/// Where the portal is, as a client sees it (and as the 302 `Location` should say).
pub const PORTAL_URL: &str = "http://10.77.0.1:2050/";
pub const ROUTER_WAN_IP: &str = "198.51.100.1";
pub const INTERNET_IP: &str = "198.51.100.2";
/// A second address of the internet host, listed in the walled garden.
pub const GARDEN_IP: &str = "198.51.100.10";
/// `curl --max-time` used when the caller gives none.
pub const CURL_MAX_TIME_SECS: &str = "5";
/// How long the daemon may take to answer on the portal port after `run`.
const DAEMON_READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a signalled daemon may take to exit.
const DAEMON_EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Prefix of every namespace a lab creates: `hst<pid>x<n>` + role.
const NS_PREFIX: &str = "hst";

static LAB_COUNTER: AtomicUsize = AtomicUsize::new(0);
static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);
/// Serialises namespace creation/deletion: concurrent `ip netns add` can race on the
/// first mount of /run/netns.
static NETNS_LOCK: Mutex<()> = Mutex::new(());
static STALE_CLEANUP: Once = Once::new();

/// What to build.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// Number of client namespaces (1-based in every helper).
    pub clients: usize,
    /// Extra UCI lines for the `config hotspotd 'main'` section, e.g.
    /// `"option login_attempts '3'"`. Later options override the defaults.
    pub extra_config: Vec<String>,
    /// Extra environment for the daemon (e.g. a preloaded library that moves its clock).
    pub daemon_env: Vec<(String, String)>,
}

impl Default for LabOptions {
    fn default() -> Self {
        LabOptions { clients: 1, extra_config: Vec::new(), daemon_env: Vec::new() }
    }
}

pub struct Lab {
    tag: String,
    router: String,
    internet: String,
    clients: Vec<String>,
    /// Namespaces actually created, in order, for teardown.
    created: Vec<String>,
    dir: PathBuf,
    config: PathBuf,
    log: PathBuf,
    bin: PathBuf,
    daemon: Mutex<Option<Child>>,
    daemon_env: Vec<(String, String)>,
    internet_server: Option<Child>,
}

impl Lab {
    /// Build a lab with `clients` clients and default config, daemon running.
    /// `None` only when HOTSPOTD_SKIP_NETNS=1.
    pub fn up(clients: usize) -> Option<Lab> {
        Lab::with(LabOptions { clients, ..LabOptions::default() })
    }

    pub fn with(options: LabOptions) -> Option<Lab> {
        if std::env::var("HOTSPOTD_SKIP_NETNS").map(|v| v == "1").unwrap_or(false) {
            eprintln!("SKIP: HOTSPOTD_SKIP_NETNS=1, network-namespace lab test not run");
            return None;
        }
        if let Err(why) = check_prerequisites() {
            panic!(
                "the network-namespace lab cannot run: {why}.\n\
                 These tests need root, iproute2 (ip), nftables (nft), curl and python3.\n\
                 Set HOTSPOTD_SKIP_NETNS=1 to skip them explicitly."
            );
        }
        assert!(options.clients >= 1 && options.clients <= 200, "clients must be 1..=200");
        STALE_CLEANUP.call_once(remove_stale_namespaces);

        let n = LAB_COUNTER.fetch_add(1, Ordering::SeqCst);
        let tag = format!("{NS_PREFIX}{}x{n}", std::process::id());
        let dir = std::env::temp_dir().join(format!("hotspotd-lab-{tag}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let mut lab = Lab {
            router: format!("{tag}r"),
            internet: format!("{tag}i"),
            clients: (1..=options.clients).map(|i| format!("{tag}c{i}")).collect(),
            created: Vec::new(),
            config: dir.join("hotspotd.conf"),
            log: dir.join("daemon.log"),
            dir,
            tag,
            bin: daemon_binary(),
            daemon: Mutex::new(None),
            daemon_env: options.daemon_env.clone(),
            internet_server: None,
        };
        // From here on a panic drops `lab`, which removes whatever was created so far.
        lab.build_topology();
        lab.start_internet();
        lab.write_config(&options.extra_config);
        lab.start_daemon();
        Some(lab)
    }

    // ---------------------------------------------------------------- accessors

    pub fn router_ns(&self) -> &str {
        &self.router
    }
    pub fn internet_ns(&self) -> &str {
        &self.internet
    }
    pub fn client_ns(&self, n: usize) -> &str {
        assert!(n >= 1 && n <= self.clients.len(), "no client {n} in this lab");
        &self.clients[n - 1]
    }
    pub fn client_mac(&self, n: usize) -> String {
        client_mac(n)
    }
    pub fn client_ip(&self, n: usize) -> String {
        client_ip(n)
    }
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn config_path(&self) -> &Path {
        &self.config
    }
    pub fn daemon_log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    // ---------------------------------------------------------------- router

    /// `hotspotd --config F ARGS` inside the router namespace; panics unless it exits 0.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.cli_output(args);
        if !out.status.success() {
            panic!(
                "`hotspotd {}` failed ({}):\nstdout: {}\nstderr: {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `hotspotd --config F ARGS` inside the router namespace, whatever its exit code.
    pub fn cli_output(&self, args: &[&str]) -> Output {
        let bin = self.bin.to_string_lossy().into_owned();
        let config = self.config.to_string_lossy().into_owned();
        let mut argv = vec![bin.as_str(), "--config", config.as_str()];
        argv.extend_from_slice(args);
        netns_exec(&self.router, &argv)
    }

    /// Run a command inside the router namespace.
    pub fn router_exec(&self, argv: &[&str]) -> Output {
        netns_exec(&self.router, argv)
    }

    /// Run a command inside the internet host's namespace.
    pub fn internet_exec(&self, argv: &[&str]) -> Output {
        netns_exec(&self.internet, argv)
    }

    /// Drops every packet sent to these TCP ports of the internet host (an nft table in its
    /// namespace): a service there is as unreachable as over a dead uplink, and every call
    /// to it waits for its timeout instead of being refused at once.
    pub fn blackhole(&self, ports: &[u16]) {
        let list = ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", ");
        let chain = "{ type filter hook input priority 0 ; }";
        let rule = format!("tcp dport {{ {list} }} drop");
        for argv in [
            vec!["nft", "add", "table", "inet", "blackhole"],
            vec!["nft", "add", "chain", "inet", "blackhole", "input", chain],
            vec!["nft", "add", "rule", "inet", "blackhole", "input", &rule],
        ] {
            let out = self.internet_exec(&argv);
            assert!(out.status.success(), "{}: {}", argv.join(" "), String::from_utf8_lossy(&out.stderr));
        }
    }

    /// `nft -j list table inet hotspotd` in the router; panics if the table is missing.
    pub fn nft_json(&self) -> String {
        let out = self.router_exec(&["nft", "-j", "list", "table", "inet", "hotspotd"]);
        if !out.status.success() {
            panic!("nft -j list table inet hotspotd failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `nft list table inet hotspotd` as text (for messages); the error text if missing.
    pub fn nft_text(&self) -> String {
        let out = self.router_exec(&["nft", "list", "table", "inet", "hotspotd"]);
        if out.status.success() {
            String::from_utf8_lossy(&out.stdout).into_owned()
        } else {
            format!("(no table: {})", String::from_utf8_lossy(&out.stderr).trim())
        }
    }

    /// Create a package with the CLI; returns its id. `extra` e.g. `["--devices", "2"]`.
    pub fn package_add(&self, name: &str, duration_secs: u64, extra: &[&str]) -> String {
        let duration = duration_secs.to_string();
        let mut args = vec!["package", "add", "--name", name, "--price", "10", "--duration", &duration];
        args.extend_from_slice(extra);
        let out = self.cli(&args);
        let id = out.trim().to_string();
        assert!(
            !id.is_empty() && !id.contains(char::is_whitespace),
            "`package add` must print the new id alone, printed {out:?}"
        );
        id
    }

    /// Create `count` vouchers for `package`; returns the codes.
    pub fn vouchers(&self, package: &str, count: usize) -> Vec<String> {
        let count_s = count.to_string();
        let out = self.cli(&["voucher", "create", "--package", package, "--count", &count_s]);
        let codes: Vec<String> = out.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        assert_eq!(codes.len(), count, "`voucher create --count {count}` printed {out:?}");
        codes
    }

    // ---------------------------------------------------------------- daemon

    /// Pid of the running daemon, if any.
    pub fn daemon_pid(&self) -> Option<u32> {
        let mut guard = self.daemon_guard();
        match guard.as_mut() {
            Some(child) => match child.try_wait() {
                Ok(None) => Some(child.id()),
                _ => None,
            },
            None => None,
        }
    }

    /// Send `signal` ("TERM", "INT", "KILL", ...) to the daemon and wait for it to exit.
    /// Panics if it is not running or does not exit within 10 s.
    pub fn kill_daemon(&self, signal: &str) -> ExitStatus {
        let mut guard = self.daemon_guard();
        let mut child = guard.take().expect("kill_daemon: the daemon is not running");
        if let Ok(Some(status)) = child.try_wait() {
            panic!("kill_daemon: the daemon had already exited ({status})\n{}", self.log_tail(40));
        }
        let out = Command::new("kill").args(["-s", signal, &child.id().to_string()]).output().expect("run kill");
        assert!(out.status.success(), "kill -s {signal}: {}", String::from_utf8_lossy(&out.stderr));
        let deadline = Instant::now() + DAEMON_EXIT_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the daemon did not exit within {:?} of SIG{signal}\n{}",
                    DAEMON_EXIT_TIMEOUT,
                    self.log_tail(40)
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Start the daemon again (after `kill_daemon`) and wait until the portal answers.
    pub fn restart_daemon(&self) {
        self.start_daemon();
    }

    /// Start `hotspotd --config F run` in the router and wait until the portal answers.
    pub fn start_daemon(&self) {
        let mut guard = self.daemon_guard();
        if let Some(child) = guard.as_mut() {
            if let Ok(None) = child.try_wait() {
                panic!("start_daemon: the daemon is already running (pid {})", child.id());
            }
        }
        let log = File::options().create(true).append(true).open(&self.log).expect("open daemon log");
        let log_err = log.try_clone().expect("clone log handle");
        let child = Command::new("ip")
            .args(["netns", "exec", &self.router])
            .arg(&self.bin)
            .arg("--config")
            .arg(&self.config)
            .arg("run")
            .env("RUST_BACKTRACE", "1")
            .envs(self.daemon_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.bin.display()));
        *guard = Some(child);
        drop(guard);
        self.wait_daemon_ready();
    }

    fn wait_daemon_ready(&self) {
        let deadline = Instant::now() + DAEMON_READY_TIMEOUT;
        loop {
            {
                let mut guard = self.daemon_guard();
                let child = guard.as_mut().expect("daemon child");
                if let Ok(Some(status)) = child.try_wait() {
                    guard.take();
                    drop(guard);
                    panic!("hotspotd exited during startup ({status}):\n{}", self.log_tail(40));
                }
            }
            let r = self.router_http(&["--max-time", "1", PORTAL_URL]);
            if r.status != 0 {
                break;
            }
            if Instant::now() > deadline {
                panic!(
                    "hotspotd did not answer on {PORTAL_URL} within {:?}:\n{}",
                    DAEMON_READY_TIMEOUT,
                    self.log_tail(40)
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
        // Give the firewall a moment if the portal came up before the nft table.
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            let out = self.router_exec(&["nft", "list", "table", "inet", "hotspotd"]);
            if out.status.success() {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    // ---------------------------------------------------------------- internals

    fn daemon_guard(&self) -> MutexGuard<'_, Option<Child>> {
        self.daemon.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn log_tail(&self, lines: usize) -> String {
        let log = self.daemon_log();
        let all: Vec<&str> = log.lines().collect();
        let start = all.len().saturating_sub(lines);
        format!("--- daemon log ({}), last {} lines ---\n{}", self.log.display(), lines, all[start..].join("\n"))
    }

    fn add_ns(&mut self, name: &str) {
        run_ok(&["ip", "netns", "add", name]);
        self.created.push(name.to_string());
        run_ok(&["ip", "-n", name, "link", "set", "lo", "up"]);
    }

    fn build_topology(&mut self) {
        let _lock = NETNS_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let (r, i) = (self.router.clone(), self.internet.clone());
        self.add_ns(&r);
        self.add_ns(&i);
        run_ok(&["ip", "-n", &r, "link", "add", "br-lan", "type", "bridge"]);
        run_ok(&["ip", "-n", &r, "addr", "add", &format!("{PORTAL_IP}/24"), "dev", "br-lan"]);
        run_ok(&["ip", "-n", &r, "link", "set", "br-lan", "up"]);
        run_ok(&["ip", "netns", "exec", &r, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);

        for n in 1..=self.clients.len() {
            let c = self.clients[n - 1].clone();
            let port = format!("lan{n}");
            self.add_ns(&c);
            run_ok(&["ip", "-n", &r, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &c]);
            run_ok(&["ip", "-n", &r, "link", "set", &port, "master", "br-lan"]);
            run_ok(&["ip", "-n", &r, "link", "set", &port, "up"]);
            run_ok(&["ip", "-n", &c, "link", "set", "eth0", "address", &client_mac(n)]);
            run_ok(&["ip", "-n", &c, "addr", "add", &format!("{}/24", client_ip(n)), "dev", "eth0"]);
            run_ok(&["ip", "-n", &c, "link", "set", "eth0", "up"]);
            run_ok(&["ip", "-n", &c, "route", "add", "default", "via", PORTAL_IP]);
        }

        run_ok(&["ip", "-n", &r, "link", "add", "wan0", "type", "veth", "peer", "name", "eth0", "netns", &i]);
        run_ok(&["ip", "-n", &r, "addr", "add", &format!("{ROUTER_WAN_IP}/24"), "dev", "wan0"]);
        run_ok(&["ip", "-n", &r, "link", "set", "wan0", "up"]);
        run_ok(&["ip", "-n", &i, "addr", "add", &format!("{INTERNET_IP}/24"), "dev", "eth0"]);
        run_ok(&["ip", "-n", &i, "addr", "add", &format!("{GARDEN_IP}/32"), "dev", "eth0"]);
        run_ok(&["ip", "-n", &i, "link", "set", "eth0", "up"]);
        run_ok(&["ip", "-n", &i, "route", "add", "10.77.0.0/24", "via", ROUTER_WAN_IP]);
    }

    fn start_internet(&mut self) {
        let log = File::create(self.dir.join("internet.log")).expect("create internet log");
        let log_err = log.try_clone().expect("clone log handle");
        let child = Command::new("ip")
            .args(["netns", "exec", &self.internet, "python3", "-u", &script_path("lab-internet.py")])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .expect("spawn lab-internet.py");
        self.internet_server = Some(child);
        let url = format!("http://{INTERNET_IP}/");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.router_http(&["--max-time", "1", &url]).status == 200 {
                return;
            }
            if let Some(Ok(Some(status))) = self.internet_server.as_mut().map(|c| c.try_wait()) {
                panic!(
                    "lab-internet.py exited ({status}): {}",
                    fs::read_to_string(self.dir.join("internet.log")).unwrap_or_default()
                );
            }
            if Instant::now() > deadline {
                panic!("the lab internet server did not answer at {url} from the router");
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn write_config(&self, extra: &[String]) {
        let mut text = format!(
            "config hotspotd 'main'\n\
             \toption interface 'br-lan'\n\
             \toption listen '{PORTAL_IP}:{PORTAL_PORT}'\n\
             \toption database '{}'\n\
             \toption firewall 'nft'\n\
             \toption login_attempts '5'\n\
             \toption log_level 'debug'\n\
             \tlist walled_garden '{GARDEN_IP}/32'\n",
            self.dir.join("hotspotd.db").display()
        );
        for line in extra {
            text.push('\t');
            text.push_str(line.trim());
            text.push('\n');
        }
        fs::write(&self.config, text).expect("write lab config");
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let panicking = thread::panicking();
        if panicking {
            eprintln!("=== lab {} failed; state kept in {} ===", self.tag, self.dir.display());
            eprintln!("{}", self.log_tail(60));
            if self.created.contains(&self.router) {
                eprintln!("--- nft table ---\n{}", self.nft_text());
            }
        }
        if let Some(mut child) = self.daemon_guard().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(mut child) = self.internet_server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _lock = NETNS_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        for ns in self.created.iter().rev() {
            delete_namespace(ns);
        }
        drop(_lock);
        if !panicking && std::env::var_os("HOTSPOTD_LAB_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

// -------------------------------------------------------------------- free helpers

pub fn client_mac(n: usize) -> String {
    format!("02:00:00:00:00:{n:02x}")
}

pub fn client_ip(n: usize) -> String {
    format!("10.77.0.{}", 10 + n)
}

/// Poll `check` every `every` until it returns true or `timeout` passes; returns how long
/// it took, or None on timeout.
pub fn wait_until(timeout: Duration, every: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if check() {
            return Some(start.elapsed());
        }
        if start.elapsed() > timeout {
            return None;
        }
        thread::sleep(every);
    }
}

/// The binary under test: `HOTSPOTD_BIN` if set (e.g. a release or cross build), else
/// the one cargo built for this test run.
fn daemon_binary() -> PathBuf {
    match std::env::var_os("HOTSPOTD_BIN") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_hotspotd")),
    }
}

fn script_path(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(name).to_string_lossy().into_owned()
}

fn netns_exec(ns: &str, argv: &[&str]) -> Output {
    Command::new("ip")
        .args(["netns", "exec", ns])
        .args(argv)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("ip netns exec {ns} {}: {e}", argv.join(" ")))
}

fn run_ok(argv: &[&str]) -> Output {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", argv.join(" ")));
    if !out.status.success() {
        panic!("`{}` failed ({}): {}", argv.join(" "), out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    out
}

fn check_prerequisites() -> Result<(), String> {
    let status = fs::read_to_string("/proc/self/status").map_err(|e| format!("read /proc/self/status: {e}"))?;
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .ok_or("no Uid line in /proc/self/status")?;
    if euid != "0" {
        return Err(format!("not running as root (euid {euid})"));
    }
    for (tool, arg) in [("ip", "-V"), ("nft", "--version"), ("curl", "--version"), ("python3", "--version")] {
        match Command::new(tool).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status() {
            Ok(s) if s.success() => {}
            Ok(s) => return Err(format!("`{tool} {arg}` failed ({s})")),
            Err(e) => return Err(format!("`{tool}` not found ({e})")),
        }
    }
    Ok(())
}

fn delete_namespace(ns: &str) {
    // End whatever still runs inside (only lab processes run there), or the namespace
    // would outlive `ip netns del`.
    if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Command::new("kill").args(["-s", "KILL", pid]).output();
        }
    }
    for _ in 0..20 {
        match Command::new("ip").args(["netns", "del", ns]).output() {
            Ok(out) if out.status.success() => return,
            _ => thread::sleep(Duration::from_millis(50)),
        }
    }
    eprintln!("lab: could not delete namespace {ns}; remove it with `ip netns del {ns}`");
}

/// Remove namespaces left by an earlier test process that was killed before its Drop ran
/// (`hst<pid>x<n>...` whose pid no longer exists).
fn remove_stale_namespaces() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else { return };
    let _lock = NETNS_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(name) = line.split_whitespace().next() else { continue };
        let Some(rest) = name.strip_prefix(NS_PREFIX) else { continue };
        let Some((pid, _)) = rest.split_once('x') else { continue };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if pid != std::process::id().to_string() && !Path::new("/proc").join(pid).exists() {
            delete_namespace(name);
        }
    }
}
