//! A wall-clock jump of a day, forward or back, in the middle of a session neither cuts it
//! nor extends it: the daemon's remaining time runs on the monotonic clock (as the kernel's
//! set timeouts do) and running deadlines move with the jump.
//!
//! The jump is real to the daemon: it runs under libfaketime (Debian package `faketime`),
//! whose offset file the test rewrites mid-session, so every `clock_gettime(CLOCK_REALTIME)`
//! it makes jumps, as on a router whose NTP client steps the clock, while the test machine's
//! own clock is left alone. Monotonic clocks are not faked.
//!
//! Needs root, nft, iproute2, curl, python3 and libfaketime; HOTSPOTD_SKIP_NETNS=1 skips.

mod lab;

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use lab::portal::*;
use lab::{Lab, LabOptions};

const PACKAGE_SECS: u64 = 20;

fn libfaketime() -> PathBuf {
    let candidates = ["/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime", "/usr/lib/faketime"];
    candidates
        .iter()
        .map(|dir| Path::new(dir).join("libfaketime.so.1"))
        .find(|p| p.exists())
        .expect("libfaketime not found: apt-get install -y faketime")
}

/// A lab whose daemon's wall clock is `offset file` + real time.
fn lab_with_movable_clock() -> Option<(Lab, PathBuf)> {
    if std::env::var("HOTSPOTD_SKIP_NETNS").as_deref() == Ok("1") {
        eprintln!("SKIP: HOTSPOTD_SKIP_NETNS=1");
        return None;
    }
    let offset = std::env::temp_dir().join(format!("hotspotd-clock-{}-{:?}", std::process::id(), thread::current().id()));
    std::fs::write(&offset, "+0\n").unwrap();
    let env = vec![
        ("LD_PRELOAD".to_string(), libfaketime().display().to_string()),
        ("FAKETIME_TIMESTAMP_FILE".to_string(), offset.display().to_string()),
        ("FAKETIME_NO_CACHE".to_string(), "1".to_string()),
        ("FAKETIME_DONT_FAKE_MONOTONIC".to_string(), "1".to_string()),
    ];
    let lab = Lab::with(LabOptions { clients: 1, daemon_env: env, ..LabOptions::default() })?;
    Some((lab, offset))
}

/// Logs in to a 20 s package, jumps the daemon's clock by `jump` 4 s in, and checks that
/// the client keeps exactly its paid time.
fn a_jump_neither_cuts_nor_extends(jump: &str) {
    let Some((lab, offset)) = lab_with_movable_clock() else { return };
    let package = lab.package_add("Twenty seconds", PACKAGE_SECS, &[]);
    let code = lab.vouchers(&package, 1).remove(0);
    let sent = Instant::now();
    login_ok(&lab, 1, &code);
    let answered = Instant::now();

    thread::sleep(Duration::from_secs(4));
    std::fs::write(&offset, format!("{jump}\n")).unwrap();
    // Give the daemon's once-a-second check time to see the jump.
    thread::sleep(Duration::from_secs(3));
    assert_online(&lab, 1, &format!("7 s into a 20 s package, after a {jump} clock jump"));
    let v = check_session(&lab, 1);
    let left = seconds_remaining(&v, "seconds_remaining");
    let expected = PACKAGE_SECS as i64 - answered.elapsed().as_secs() as i64;
    assert!((left - expected).abs() <= 2, "after a {jump} jump: {left} s left, expected about {expected}: {v}");
    assert!(lab.daemon_log().contains("wall clock jumped"), "the daemon noticed the jump:\n{}", lab.daemon_log());

    // Cut when the paid time is up: not early, not a day late.
    let mut cut_at = None;
    while answered.elapsed() < Duration::from_secs(PACKAGE_SECS + 10) {
        let t = Instant::now();
        if !internet_ok(&lab, 1) {
            cut_at = Some(t);
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    let cut_at = cut_at.unwrap_or_else(|| panic!("after a {jump} jump the client was never cut"));
    let duration = Duration::from_secs(PACKAGE_SECS);
    eprintln!("{jump} jump: access cut {:?} after login", cut_at - answered);
    assert!(cut_at.saturating_duration_since(answered + duration) <= Duration::from_secs(2), "cut late after a {jump} jump");
    assert!((sent + duration).saturating_duration_since(cut_at) <= Duration::from_secs(1), "cut early after a {jump} jump");

    // The daemon agrees: the session is over and the account expired.
    thread::sleep(Duration::from_secs(2));
    let v = check_session(&lab, 1);
    assert_eq!(v["active"].as_bool(), Some(false), "after expiry: {v}");
    assert_eq!(v["ended"].as_str(), Some("expired"), "after expiry: {v}");
    let _ = std::fs::remove_file(&offset);
}

#[test]
fn a_clock_jump_a_day_forward_neither_cuts_nor_extends_a_session() {
    a_jump_neither_cuts_nor_extends("+1d");
}

#[test]
fn a_clock_jump_a_day_back_neither_cuts_nor_extends_a_session() {
    a_jump_neither_cuts_nor_extends("-1d");
}
