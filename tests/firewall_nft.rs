//! The nft backend against the real `nft`, each test in a fresh network namespace: whether
//! our table is missing is decided by a listing (not by the words of nft's stderr), and a
//! whole-table install is checked afterwards (as talpid-core checks its own table).
//!
//! Each test re-runs itself inside `ip netns exec` (so nft, tc and ip all act in the new
//! namespace, and the host's rule set is never touched); the outer run creates and removes
//! the namespace and reports the inner run's result. Needs root and nft, unless
//! HOTSPOTD_SKIP_NETNS=1.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use hotspotd::firewall::{Authorised, Device, Firewall, FirewallError, NftFirewall, Policy, Rate, Traffic};
use hotspotd::netaddr::MacAddr;

static NAMESPACES: AtomicUsize = AtomicUsize::new(0);

/// Set in the inner run.
const INNER: &str = "HOTSPOTD_FIREWALL_TEST_INNER";

/// `true` in the inner run (go ahead); in the outer run, runs `test` in a new namespace,
/// with `path_front` (if any) first on PATH, and returns `false`.
fn in_namespace(test: &str, path_front: Option<&PathBuf>) -> bool {
    if std::env::var_os(INNER).is_some() {
        return true;
    }
    if std::env::var("HOTSPOTD_SKIP_NETNS").is_ok_and(|v| v == "1") {
        eprintln!("SKIP: HOTSPOTD_SKIP_NETNS=1, {test} not run");
        return false;
    }
    let ns = format!("hsfw{}x{}", std::process::id(), NAMESPACES.fetch_add(1, Ordering::SeqCst));
    let ok = Command::new("ip").args(["netns", "add", &ns]).status().is_ok_and(|s| s.success());
    assert!(ok, "cannot create namespace {ns} (these tests need root and iproute2; HOTSPOTD_SKIP_NETNS=1 skips them)");
    let mut path = std::env::var("PATH").unwrap_or_default();
    if let Some(front) = path_front {
        path = format!("{}:{path}", front.display());
    }
    let out = Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(INNER, "1")
        .env("PATH", path)
        .output();
    let _ = Command::new("ip").args(["netns", "del", &ns]).status();
    let out = out.expect("run the test inside the namespace");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("1 passed"), "{test} inside {ns} failed:\n{text}");
    false
}

fn policy() -> Policy {
    Policy { interface: "br-test".into(), portal_port: 2050, walled_garden: Vec::new(), admin_port: None }
}

fn device(n: u8) -> Authorised {
    Authorised {
        device: Device { ip: [10, 77, 0, n].into(), mac: MacAddr([2, 0, 0, 0, 0, n]) },
        timeout_secs: 600,
        session_id: n as i64,
        counted: Traffic { up: 1000 + n as u64, down: 5000 + n as u64 },
        reset_counters: true,
        quota: None,
        rate: Rate::default(),
    }
}

fn nft(args: &[&str]) {
    let out = Command::new("nft").args(args).output().unwrap();
    assert!(out.status.success(), "nft {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_missing_table_reads_as_nothing_counted_and_a_broken_one_as_an_error() {
    if !in_namespace("a_missing_table_reads_as_nothing_counted_and_a_broken_one_as_an_error", None) {
        return;
    }
    let firewall = NftFirewall::new(policy());
    // No table: nothing counted, and the listing says so.
    assert!(!firewall.is_installed().unwrap());
    assert_eq!(firewall.read_usage().unwrap().devices.len(), 0);

    firewall.install(&[device(11), device(12)]).unwrap();
    assert!(firewall.is_installed().unwrap());
    let reading = firewall.read_usage().unwrap();
    assert_eq!(reading.devices[&[10, 77, 0, 11].into()], Traffic { up: 1011, down: 5011 });

    // A table of ours without its counter sets is not "missing": the refusal is an error
    // (matching nft's "No such file or directory" took it for an empty table).
    nft(&["delete", "table", "inet", "hotspotd"]);
    nft(&["add", "table", "inet", "hotspotd"]);
    match firewall.read_usage() {
        Err(FirewallError::Rejected { stderr }) => assert!(!stderr.is_empty()),
        other => panic!("a table without its sets must be an error, got {other:?}"),
    }
}

/// An `nft` that applies batches with the real one, then deletes our table: another tool
/// flushing the rule set just after our batch.
fn flushing_nft() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hotspotd-flushing-nft-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let real = Command::new("sh").args(["-c", "command -v nft"]).output().unwrap();
    let real = String::from_utf8_lossy(&real.stdout).trim().to_string();
    assert!(!real.is_empty(), "no nft on PATH");
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = -f ]; then '{real}' \"$@\" || exit; exec '{real}' delete table inet hotspotd; fi\nexec '{real}' \"$@\"\n"
    );
    std::fs::write(dir.join("nft"), script).unwrap();
    std::fs::set_permissions(dir.join("nft"), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn an_install_whose_table_is_gone_afterwards_fails() {
    let name = "an_install_whose_table_is_gone_afterwards_fails";
    if std::env::var_os(INNER).is_none() {
        let wrapper = flushing_nft();
        in_namespace(name, Some(&wrapper));
        let _ = std::fs::remove_dir_all(&wrapper);
        return;
    }
    match NftFirewall::new(policy()).install(&[device(11)]) {
        Err(FirewallError::NotInstalled { table }) => assert_eq!(table, "hotspotd"),
        other => panic!("nft exited 0 but the table is gone: expected NotInstalled, got {other:?}"),
    }
}
