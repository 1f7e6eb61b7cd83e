//! The command line as operators and other tools use it: the exact output forms, exit codes,
//! and errors that say what to fix. Real binary, real SQLite file, no daemon needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Setup {
    dir: PathBuf,
    config: PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn setup(name: &str, config_text: Option<&str>) -> Setup {
    let dir = std::env::temp_dir().join(format!("hotspotd-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("hotspotd.config");
    let default = format!(
        "config hotspotd 'main'\n\toption listen '127.0.0.1:2999'\n\toption database '{}'\n\toption firewall 'none'\n",
        dir.join("db/hotspotd.db").display()
    );
    std::fs::write(&config, config_text.map(str::to_owned).unwrap_or(default)).unwrap();
    Setup { dir, config }
}

fn run(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotspotd"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn package_voucher_and_user_commands_print_their_documented_forms() {
    let s = setup("forms", None);
    let id = stdout(&run(&s.config, &["package", "add", "--name", "1 hour", "--price", "10", "--duration", "3600"]));
    assert_eq!(id, "1\n", "package add prints the id alone");
    let id2 = stdout(&run(
        &s.config,
        &["package", "add", "--name", "Day", "--price", "50", "--duration", "86400", "--data-mb", "1000", "--down-kbps", "2048", "--up-kbps", "512", "--devices", "2"],
    ));
    assert_eq!(id2, "2\n");
    let list = stdout(&run(&s.config, &["package", "list"]));
    assert!(list.contains("1 hour") && list.contains("KES 10") && list.contains("1 GB") && list.contains("2048/512"), "{list}");

    let codes = stdout(&run(&s.config, &["voucher", "create", "--package", "1", "--count", "5"]));
    let codes: Vec<&str> = codes.lines().collect();
    assert_eq!(codes.len(), 5);
    assert!(codes.iter().all(|c| c.len() == 8 && c.chars().all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit())), "{codes:?}");
    let listed = stdout(&run(&s.config, &["voucher", "list"]));
    assert!(codes.iter().all(|c| listed.contains(c)), "{listed}");

    let user = stdout(&run(&s.config, &["user", "add", "--package", "2", "--username", "amina", "--password", "sunny-day"]));
    assert_eq!(user, "amina sunny-day\n");
    let generated = stdout(&run(&s.config, &["user", "add", "--package", "2"]));
    assert_eq!(generated.split_whitespace().count(), 2, "{generated}");

    let clients = stdout(&run(&s.config, &["clients"]));
    assert_eq!(clients.lines().count(), 1, "only the header while nobody is online: {clients}");
    let status = stdout(&run(&s.config, &["status"]));
    assert!(status.contains("2 on sale") && status.contains("5 unused"), "{status}");
    assert!(status.contains("NOT trusted: never confirmed by NTP"), "{status}");
    stdout(&run(&s.config, &["clock", "synced"]));
    let status = stdout(&run(&s.config, &["status"]));
    assert!(status.contains("trusted: synchronised by NTP"), "{status}");
}

#[test]
fn mistakes_are_explained_with_the_right_exit_code() {
    let s = setup("mistakes", None);
    let cases: [(&[&str], i32, &str); 6] = [
        (&["fly"], 2, "unknown command `fly`"),
        (&["package", "add", "--name", "x", "--price", "1"], 2, "needs --duration SECONDS"),
        (&["voucher", "create", "--package", "42"], 1, "no package with id 42"),
        (&["deauth", "02:00:00:00:00:09"], 1, "02:00:00:00:00:09 has no active session"),
        (&["deauth", "not-a-mac"], 2, "is not a MAC address"),
        (&["user", "add", "--package", "7"], 1, "no package with id 7"),
    ];
    for (args, code, needle) in cases {
        let out = run(&s.config, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    let help = run(&s.config, &["--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("voucher create --package ID"));
    let version = run(&s.config, &["--version"]);
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("hotspotd "));
}

#[test]
fn a_bad_config_file_is_rejected_with_its_line() {
    let s = setup("badconfig", Some("config hotspotd 'main'\n\toption listen '10.0.0.1'\n"));
    let out = run(&s.config, &["run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("line 2: main.listen: `10.0.0.1` is not an address:port"), "{stderr}");

    let missing = run(&s.dir.join("nope.config"), &["status"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read config file"), "missing file");
}

/// A plaintext password created two days ago, which the expiry check wipes.
fn stale_credential(db: &Path, account: i64) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let two_days_ago = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 - 2 * 86_400;
    conn.execute(
        "INSERT INTO hotspot_credentials (user_id, username, password_plain, created_at) VALUES (?1, 'amina', 'k7mx3q', ?2)",
        rusqlite::params![account, two_days_ago],
    )
    .unwrap();
    conn.last_insert_rowid()
}

fn wiped(db: &Path, credential: i64) -> bool {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    conn.query_row("SELECT password_plain IS NULL FROM hotspot_credentials WHERE id = ?1", [credential], |r| r.get(0)).unwrap()
}

#[test]
fn recurring_work_runs_at_its_configured_interval() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("hotspotd-cli-schedule-{}", std::process::id()));
    let db = dir.join("db/hotspotd.db");
    let config_text = format!(
        "config hotspotd 'main'\n\toption listen '127.0.0.1:{port}'\n\toption database '{}'\n\t\
         option firewall 'none'\n\toption expiry_check_interval '5'\n\toption sync_interval '300'\n",
        db.display()
    );
    let s = setup("schedule", Some(&config_text));
    stdout(&run(&s.config, &["package", "add", "--name", "Day", "--price", "50", "--duration", "86400"]));
    stdout(&run(&s.config, &["user", "add", "--package", "1", "--username", "amina", "--password", "sunny-day"]));
    let log = std::fs::File::create(s.dir.join("daemon.log")).unwrap();
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_hotspotd"))
        .args(["--config", s.config.to_str().unwrap(), "run"])
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let wait_wiped = |credential: i64| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !wiped(&db, credential) {
            if std::time::Instant::now() > deadline {
                let log = std::fs::read_to_string(s.dir.join("daemon.log")).unwrap_or_default();
                panic!("the expiry check did not wipe credential {credential} in time\ndaemon log:\n{log}");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        std::time::Instant::now()
    };
    // The first run comes at start; the next one `expiry_check_interval` later.
    let first = wait_wiped(stale_credential(&db, 1));
    let second = wait_wiped(stale_credential(&db, 1));
    let _ = daemon.kill();
    let _ = daemon.wait();
    let apart = second.duration_since(first).as_secs_f64();
    assert!((3.5..=7.0).contains(&apart), "expiry_check_interval '5' ran {apart:.1} s apart");
    let log = std::fs::read_to_string(s.dir.join("daemon.log")).unwrap_or_default();
    assert!(!log.contains("failed"), "recurring work failed:\n{log}");
    assert!(log.contains("main.sync_interval is no longer used"), "an old option is named, not refused:\n{log}");
}

/// The daemon on `s`'s config, its stderr in `daemon.log`; killed when dropped.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_daemon(s: &Setup, name: &str) -> Daemon {
    let log = std::fs::File::create(s.dir.join(name)).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_hotspotd"))
        .args(["--config", s.config.to_str().unwrap(), "run"])
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    Daemon(child)
}

fn setup_with_port(name: &str) -> (Setup, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("hotspotd-cli-{name}-{}", std::process::id()));
    let text = format!(
        "config hotspotd 'main'\n\toption interface 'lo'\n\toption listen '127.0.0.1:{port}'\n\toption database '{}'\n\toption firewall 'none'\n",
        dir.join("db/hotspotd.db").display()
    );
    (setup(name, Some(&text)), port)
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "not {what} in time");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn curl_post(port: u16, path: &str, body: &str) -> String {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "-H", "Content-Type: application/json", "-d", body])
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn commands_go_through_the_running_daemon_which_stays_the_one_writer() {
    let (s, port) = setup_with_port("daemon");
    stdout(&run(&s.config, &["package", "add", "--name", "Hour", "--price", "10", "--duration", "3600"]));
    let code = stdout(&run(&s.config, &["voucher", "create", "--package", "1"])).trim().to_owned();
    let offline = stdout(&run(&s.config, &["status"]));
    assert!(offline.contains("daemon:        not running"), "{offline}");

    let _daemon = start_daemon(&s, "daemon.log");
    wait_for("the daemon answering", || String::from_utf8_lossy(&run(&s.config, &["status"]).stdout).contains("daemon:        running"));
    // A second daemon on the same database is refused, and says why.
    let second = Command::new(env!("CARGO_BIN_EXE_hotspotd")).args(["--config", s.config.to_str().unwrap(), "run"]).output().unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second.stderr).contains("another hotspotd is running on this database"), "{second:?}");

    // This machine logs in on the portal (loopback: the device 00:00:00:00:00:00).
    let answer = curl_post(port, "/api/hotspot/login", &format!("{{\"voucher\":\"{code}\"}}"));
    assert!(answer.contains("\"ok\":true"), "{answer}");
    let clients: serde_json::Value = serde_json::from_str(&stdout(&run(&s.config, &["--json", "clients"]))).unwrap();
    assert_eq!(clients.as_array().map(Vec::len), Some(1), "{clients}");
    assert_eq!(clients[0]["username"], code.as_str(), "{clients}");
    assert_eq!(clients[0]["enforcer"], "local", "{clients}");

    // `deauth` is carried out by the daemon: its log says so, and the device is offline.
    let out = stdout(&run(&s.config, &["deauth", "00:00:00:00:00:00"]));
    assert_eq!(out, "ended the session of 00:00:00:00:00:00\n");
    let log = std::fs::read_to_string(s.dir.join("daemon.log")).unwrap();
    assert!(log.contains("00:00:00:00:00:00 disconnected by the operator"), "the daemon did not do it:\n{log}");
    let session = curl_post(port, "/api/hotspot/check-session", "");
    assert!(session.contains("\"active\":false"), "{session}");
    let again = run(&s.config, &["deauth", "00:00:00:00:00:00"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("has no active session"));

    // The list commands' JSON, for scripts.
    let packages: serde_json::Value = serde_json::from_str(&stdout(&run(&s.config, &["--json", "package", "list"]))).unwrap();
    assert_eq!(packages[0]["name"], "Hour", "{packages}");
    let status: serde_json::Value = serde_json::from_str(&stdout(&run(&s.config, &["--json", "status"]))).unwrap();
    assert_eq!(status["daemon_running"], true, "{status}");
    assert!(status["sync_backlog"].as_i64().unwrap() >= 4, "package, voucher, account, session events: {status}");
}

#[test]
fn garbage_on_the_control_socket_gets_an_error_and_the_daemon_carries_on() {
    use std::io::{Read, Write};
    let (s, _port) = setup_with_port("garbage");
    let _daemon = start_daemon(&s, "daemon.log");
    let socket = s.dir.join("db/hotspotd.db.sock");
    wait_for("the control socket", || std::os::unix::net::UnixStream::connect(&socket).is_ok());
    let metadata = std::fs::metadata(&socket).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600, "only root may talk to the daemon");
    for garbage in [&b"garbage\n"[..], b"{\"json\":false,\"request\":{\"kick\":{\"mac\":\"nope\"}}}\n", b"{\"json\":true,\"request\":\"self_destruct\"}\n", &[0xff; 100_000][..]] {
        let mut stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let _ = stream.write_all(garbage);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("{\"error\":"), "{answer}");
    }
    assert!(stdout(&run(&s.config, &["status"])).contains("daemon:        running"));
}
