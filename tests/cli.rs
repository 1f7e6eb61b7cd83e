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

#[test]
fn scheduled_jobs_run_at_their_configured_intervals() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("hotspotd-cli-schedule-{}", std::process::id()));
    let config_text = format!(
        "config hotspotd 'main'\n\toption listen '127.0.0.1:{port}'\n\toption database '{}'\n\t\
         option firewall 'none'\n\toption sync_interval '10'\n\toption expiry_check_interval '5'\n",
        dir.join("db/hotspotd.db").display()
    );
    let s = setup("schedule", Some(&config_text));
    let log = std::fs::File::create(s.dir.join("daemon.log")).unwrap();
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_hotspotd"))
        .args(["--config", s.config.to_str().unwrap(), "run"])
        .stderr(log)
        .spawn()
        .unwrap();
    // `status` shows when SyncRadiusAccounting last ran ("checked at UNIX-TIME").
    let checked_at = || -> Option<i64> {
        let status = String::from_utf8(run(&s.config, &["status"]).stdout).ok()?;
        let line = status.lines().find(|l| l.starts_with("sync:"))?;
        line.split("checked at ").nth(1)?.split(')').next()?.parse().ok()
    };
    let wait_for = |pred: &dyn Fn(i64) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Some(at) = checked_at().filter(|at| pred(*at)) {
                return at;
            }
            if std::time::Instant::now() > deadline {
                let log = std::fs::read_to_string(s.dir.join("daemon.log")).unwrap_or_default();
                let status = String::from_utf8_lossy(&run(&s.config, &["status"]).stdout).into_owned();
                panic!("the sync job did not run in time\nstatus:\n{status}\ndaemon log:\n{log}");
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
    };
    let first = wait_for(&|_| true);
    let second = wait_for(&|at| at > first);
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert!((9..=12).contains(&(second - first)), "sync_interval '10' ran {} s apart", second - first);
    let jobs = stdout(&run(&s.config, &["jobs"]));
    let failed = jobs.split("FAILED").nth(1).unwrap();
    assert_eq!(failed.lines().count(), 2, "no failed jobs: {jobs}");
}
