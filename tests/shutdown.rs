//! Stopping: SIGTERM ends the daemon within 8 s whatever is in flight (procd kills at 10 s),
//! with the usage checkpoint written; an idle daemon is gone in well under a second.
//! Figures are printed (scripts/bench-shutdown.sh measures them on a release build); the
//! bounds are generous.

mod lab;

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lab::daraja::{mpesa_config, FakeDaraja};
use lab::portal::*;
use lab::{Lab, LabOptions, PORTAL_URL};
use rusqlite::{params, Connection};

fn binary() -> PathBuf {
    match std::env::var_os("HOTSPOTD_BIN") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_hotspotd")),
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn an_idle_daemon_stops_in_well_under_a_second() {
    let dir = std::env::temp_dir().join(format!("hotspotd-idle-stop-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.join("hotspotd.config");
    std::fs::write(
        &config,
        format!(
            "config hotspotd 'main'\n\toption interface 'lo'\n\toption listen '127.0.0.1:{port}'\n\
             \toption database '{}'\n\toption firewall 'none'\n",
            dir.join("hotspotd.db").display()
        ),
    )
    .unwrap();
    let mut daemon = Command::new(binary())
        .arg("--config")
        .arg(&config)
        .arg("run")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("daemon.log")).unwrap())
        .spawn()
        .unwrap();
    let ready = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(ready.elapsed() < Duration::from_secs(15), "the portal did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A browser's keep-alive connection, idle, as the portal usually has some.
    let mut browser = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(browser, "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_secs(1));

    let signalled = Instant::now();
    assert!(Command::new("kill").args(["-s", "TERM", &daemon.id().to_string()]).status().unwrap().success());
    let status = loop {
        if let Some(status) = daemon.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(10) {
            let _ = daemon.kill();
            panic!("the idle daemon did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let took = signalled.elapsed();
    let log = std::fs::read_to_string(dir.join("daemon.log")).unwrap_or_default();
    println!("idle daemon: stopped {:.0} ms after SIGTERM ({status})", took.as_secs_f64() * 1e3);
    assert!(status.success(), "{status}\n{log}");
    assert!(took < Duration::from_secs(1), "an idle daemon took {took:?} to stop\n{log}");
    assert!(!log.contains("still busy"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An `nft` in front of the real one whose listings (`nft -j …`) hang while `hang` exists in
/// its folder: a usage reading stuck in the kernel. Changes go through.
fn hanging_nft() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hotspotd-hanging-nft-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let real = Command::new("sh").args(["-c", "command -v nft"]).output().unwrap();
    let real = String::from_utf8_lossy(&real.stdout).trim().to_string();
    assert!(!real.is_empty(), "no nft on PATH");
    let script = format!(
        "#!/bin/sh\nfor a in \"$@\"; do\n  if [ \"$a\" = -j ] && [ -e '{}' ]; then exec sleep 600; fi\ndone\nexec '{real}' \"$@\"\n",
        dir.join("hang").display()
    );
    let path = dir.join("nft");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn sigterm_mid_upstream_call_and_hung_reading_stops_within_8_s_with_usage_saved() {
    let wrapper = hanging_nft();
    let path = format!("{}:{}", wrapper.display(), std::env::var("PATH").unwrap_or_default());
    let mut config = mpesa_config(1);
    config.insert(0, "option usage_poll_interval '1'".into());
    let options = LabOptions { clients: 2, extra_config: config, daemon_env: vec![("PATH".into(), path)] };
    let Some(lab) = Lab::with(options) else { return };
    let daraja = FakeDaraja::start(&lab);
    let package = lab.package_add("Hour", 3600, &[]);
    let code = lab.vouchers(&package, 1).remove(0);

    // A device online that has downloaded something the daemon has read but not yet saved
    // (the periodic checkpoint is a minute away).
    login_ok(&lab, 1, &code);
    let session = lab.session_id(1);
    let got = lab.download(1, 300_000, 10);
    assert!(got >= 300_000, "downloaded {got}");
    let seen = lab::wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        check_session(&lab, 1)["bytes_downloaded"].as_i64().unwrap_or(0) >= 300_000
    });
    assert!(seen.is_some(), "the daemon never read the download");

    // Daraja now accepts calls and never answers: payments being asked about, and a payer's
    // prompt under way.
    daraja.hang(true);
    let conn = Connection::open(lab.dir().join("hotspotd.db")).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let now = unix_now();
    for n in 0..4 {
        conn.execute(
            "INSERT INTO payments (provider, phone, package_id, amount, status, checkout_request_id, callback_token, created_at, updated_at)
             VALUES ('mpesa', ?1, ?2, 10, 'pending', ?3, ?4, ?5, ?5)",
            params![format!("2547100000{n:02}"), package, format!("ws_CO_hang_{n}"), format!("tok{n}"), now],
        )
        .unwrap();
    }
    drop(conn);
    let pay = format!("curl -s -o /dev/null -m 60 -H 'Content-Type: application/json' --data-raw '{{\"package_id\":{package},\"phone\":\"0712345678\"}}' {PORTAL_URL}api/payments/mpesa");
    let _payer = lab.client_spawn(2, &["sh", "-c", &pay]);
    // And the kernel's counters stop answering: the next usage reading hangs.
    std::fs::write(wrapper.join("hang"), "").unwrap();
    std::thread::sleep(Duration::from_secs(3));

    let wall_at_stop = unix_now();
    let signalled = Instant::now();
    let status = lab.kill_daemon("TERM");
    let took = signalled.elapsed();
    let log = lab.daemon_log();
    println!("busy daemon: stopped {:.0} ms after SIGTERM ({status})", took.as_secs_f64() * 1e3);
    assert!(took < Duration::from_secs(8), "SIGTERM took {took:?}\n{log}");
    assert!(log.contains("usage saved for"), "no last checkpoint in the log\n{log}");

    let db = lab.db();
    let saved: i64 = db
        .query_row("SELECT bytes_out FROM session_usage WHERE session_id = ?1", [session], |r| r.get(0))
        .unwrap_or_else(|e| panic!("no usage saved for session {session}: {e}\n{log}"));
    assert!(saved >= 300_000, "the checkpoint holds {saved} bytes downloaded, not the 300,000 read before the stop");
    let checkpoint: String = db.query_row("SELECT value FROM settings WHERE key = 'clock_checkpoint'", [], |r| r.get(0)).unwrap();
    let at: i64 = checkpoint.split_whitespace().nth(2).and_then(|t| t.parse().ok()).unwrap_or(0);
    assert!(at >= wall_at_stop - 1, "the last clock checkpoint ({checkpoint}) predates the stop ({wall_at_stop})");
    let _ = std::fs::remove_dir_all(&wrapper);
}
