//! Data caps and usage accounting as users and operators see them, in the namespace lab with
//! real nft: a capped download stops at the cap (kernel quota, between polls), the session
//! ends with reason `quota` and an audit row holding the totals, devices of one account
//! share its cap, live figures match the kernel's counters, and a restart (clean, kill -9,
//! or with the kernel table lost) keeps the bytes already used.
//!
//! Budget (DESIGN.md): overshoot ≤ 1 % of the cap or 64 KB, whichever is larger.
//! Needs root, nft, iproute2, curl and python3; HOTSPOTD_SKIP_NETNS=1 skips them.

mod lab;

use std::thread;
use std::time::Duration;

use lab::portal::*;
use lab::usage::{audit_row, session_row};
use lab::{wait_until, Lab, LabOptions, INTERNET_IP};
use serde_json::Value;

const MB: u64 = 1_000_000;
/// A little more than the default usage poll interval (3 s).
const ONE_POLL: Duration = Duration::from_millis(3500);

/// The larger of 1 % of the cap and 64 KB.
fn allowed_overshoot(cap: u64) -> u64 {
    (cap / 100).max(64 * 1024)
}

fn lab_with(clients: usize, extra: &[&str]) -> Option<Lab> {
    Lab::with(LabOptions { clients, extra_config: extra.iter().map(|s| s.to_string()).collect(), ..LabOptions::default() })
}

/// Waits until session `id` has ended and its audit row holds final totals.
fn wait_ended(lab: &Lab, id: i64) -> (String, Option<String>, i64, i64) {
    let ended = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        session_row(&lab.db(), id).0 == "ended" && audit_row(&lab.db(), id).is_some()
    });
    assert!(ended.is_some(), "session {id} did not end: {:?}\n{}", session_row(&lab.db(), id), lab.nft_text());
    // The end is recorded at once; its last bytes follow within a reading.
    thread::sleep(ONE_POLL);
    session_row(&lab.db(), id)
}

#[test]
fn a_1_mb_cap_stops_a_5_mb_download_at_the_cap_and_says_why() {
    let Some(lab) = lab_with(1, &[]) else { return };
    let package = lab.package_add("1 MB", 3600, &["--data-mb", "1"]);
    let code = lab.vouchers(&package, 1).remove(0);
    let v = login_ok(&lab, 1, &code);
    assert_eq!(v["bytes_remaining"].as_u64(), Some(MB), "login reply: {v}");
    let id = lab.session_id(1);

    let got = lab.download(1, 5 * MB, 20);
    assert!(got <= MB + allowed_overshoot(MB), "downloaded {got} bytes through a 1 MB cap");
    assert!(got >= MB * 9 / 10, "the cap cut early: only {got} bytes of 1 MB arrived");

    let (status, reason, bytes_in, bytes_out) = wait_ended(&lab, id);
    assert_eq!((status.as_str(), reason.as_deref()), ("ended", Some("quota")));
    let total = (bytes_in + bytes_out) as u64;
    eprintln!("1 MB cap, 5 MB download: the client received {got} bytes; the session counted {total} ({bytes_out} down, {bytes_in} up)");
    assert!(total <= MB, "the kernel let {total} bytes through a {MB}-byte cap");
    assert!(bytes_out as u64 >= got, "session records {bytes_out} bytes down, the client received {got}");
    let (method, why, audit_in, audit_out) = audit_row(&lab.db(), id).expect("audit row");
    assert_eq!((method.as_str(), why.as_str()), ("quota", "quota"));
    assert_eq!((audit_in, audit_out), (bytes_in, bytes_out), "the audit row holds the session's totals");
    let status: String = lab.db().query_row("SELECT status FROM hotspot_users WHERE username = ?1", [&code], |r| r.get(0)).unwrap();
    assert_eq!(status, "exhausted");

    // The phone is captive again, and the portal says why and offers packages.
    assert_captive(&lab, 1, "after the data cap");
    let v = check_session(&lab, 1);
    assert_eq!((v["active"].as_bool(), v["ended"].as_str()), (Some(false), Some("quota")), "{v}");
    let splash = lab.client_http(1, &["-L", &format!("http://{INTERNET_IP}/")]);
    assert!(splash.body.contains("data bundle is used up"), "splash: {}", describe(&splash));
    assert!(splash.body.contains("1 MB"), "splash offers the packages: {}", describe(&splash));
    let again = api_login_voucher(&lab, 1, &code);
    assert_eq!(again.status, 403, "{}", describe(&again));
    assert!(error_message(&json(&again, "login")).contains("used all the data"), "{}", describe(&again));
}

#[test]
fn uploads_count_against_the_cap_too() {
    let Some(lab) = lab_with(1, &[]) else { return };
    let package = lab.package_add("1 MB", 3600, &["--data-mb", "1"]);
    let code = lab.vouchers(&package, 1).remove(0);
    login_ok(&lab, 1, &code);
    let id = lab.session_id(1);
    let sent = lab.upload(1, 3 * MB, 20);
    let (_, reason, bytes_in, bytes_out) = wait_ended(&lab, id);
    assert_eq!(reason.as_deref(), Some("quota"), "a 3 MB upload through a 1 MB cap (curl sent {sent})");
    assert!((bytes_in + bytes_out) as u64 <= MB, "{bytes_in} up + {bytes_out} down through a 1 MB cap");
    assert!(bytes_in as u64 >= MB * 9 / 10, "the upload was counted: {bytes_in} bytes up");
}

#[test]
fn two_devices_share_a_2_mb_cap() {
    let Some(lab) = lab_with(2, &[]) else { return };
    let package = lab.package_add("2 MB, 2 devices", 3600, &["--data-mb", "2", "--devices", "2"]);
    let code = lab.vouchers(&package, 1).remove(0);
    login_ok(&lab, 1, &code);
    login_ok(&lab, 2, &code);
    let ids = [lab.session_id(1), lab.session_id(2)];

    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| lab.download(1, 5 * MB, 20));
        let b = s.spawn(|| lab.download(2, 5 * MB, 20));
        (a.join().unwrap(), b.join().unwrap())
    });
    let cap = 2 * MB;
    eprintln!("2 MB cap shared by two devices: they received {a} + {b} = {} bytes", a + b);
    assert!(a + b <= cap + allowed_overshoot(cap), "two devices downloaded {a} + {b} bytes through one 2 MB cap");
    assert!(a + b >= cap * 9 / 10, "the shared cap cut early: {a} + {b}");

    let mut total = 0;
    for id in ids {
        let (_, reason, bytes_in, bytes_out) = wait_ended(&lab, id);
        assert_eq!(reason.as_deref(), Some("quota"), "session {id}");
        total += (bytes_in + bytes_out) as u64;
    }
    assert!(total <= cap, "the sessions record {total} bytes under a {cap}-byte cap");
    assert_captive(&lab, 1, "device 1 after the shared cap");
    assert_captive(&lab, 2, "device 2 after the shared cap");
}

#[test]
fn live_usage_matches_the_kernel_counters_within_one_poll() {
    let Some(lab) = lab_with(1, &[]) else { return };
    let package = lab.package_add("Unlimited hour", 3600, &[]);
    let code = lab.vouchers(&package, 1).remove(0);
    login_ok(&lab, 1, &code);

    let got = lab.download(1, 3 * MB, 20);
    let sent = lab.upload(1, MB, 20);
    assert_eq!((got, sent), (3 * MB, MB), "unlimited package moves everything");
    // After one poll, what the portal says is what the kernel counted.
    thread::sleep(ONE_POLL);
    let (up, down) = lab.kernel_counters(1);
    let v = check_session(&lab, 1);
    assert_eq!(v["bytes_downloaded"].as_u64(), Some(down), "check-session vs kernel: {v}");
    assert_eq!(v["bytes_uploaded"].as_u64(), Some(up), "check-session vs kernel: {v}");
    assert!(down >= 3 * MB && up >= MB, "the kernel counted {down} down, {up} up");
    assert!(down < 3 * MB + 3 * MB / 10, "counted {down} bytes for a 3 MB download: headers and ACKs only");
    assert_eq!(v["bytes_remaining"], Value::Null, "no cap: {v}");

    // Live while a download runs: the figure grows between polls.
    let mut stream = lab.client_spawn(1, &["curl", "-s", "-o", "/dev/null", &format!("http://{INTERNET_IP}/stream")]);
    thread::sleep(ONE_POLL);
    let during = check_session(&lab, 1)["bytes_downloaded"].as_u64().unwrap();
    thread::sleep(ONE_POLL);
    let later = check_session(&lab, 1)["bytes_downloaded"].as_u64().unwrap();
    assert!(stream.running(), "the stream runs for 30 s");
    assert!(during > down && later > during, "live usage grows: {down} → {during} → {later}");

    // The status page shows the same figures.
    let page = lab.client_http(1, &["http://10.77.0.1:2050/status"]);
    assert!(page.body.contains("id=\"data-used\""), "status page: {}", describe(&page));
}

#[test]
fn the_cap_holds_across_a_kill_9_restart() {
    let Some(lab) = lab_with(1, &[]) else { return };
    let package = lab.package_add("2 MB", 3600, &["--data-mb", "2"]);
    let code = lab.vouchers(&package, 1).remove(0);
    login_ok(&lab, 1, &code);
    let id = lab.session_id(1);
    assert_eq!(lab.download(1, MB, 20), MB);
    // Nothing is checkpointed yet (every minute by default): the kernel's counters survive
    // the daemon, and the new daemon resumes from them.
    thread::sleep(ONE_POLL);
    lab.kill_daemon("KILL");
    lab.restart_daemon();
    let v = check_session(&lab, 1);
    assert!(v["bytes_downloaded"].as_u64().unwrap() >= MB, "usage after restart: {v}");
    assert!(v["bytes_remaining"].as_u64().unwrap() <= MB, "data left after restart: {v}");

    let more = lab.download(1, 5 * MB, 20);
    assert!(MB + more <= 2 * MB + allowed_overshoot(2 * MB), "{MB} + {more} bytes through a 2 MB cap across a restart");
    let (_, reason, bytes_in, bytes_out) = wait_ended(&lab, id);
    assert_eq!(reason.as_deref(), Some("quota"));
    assert!((bytes_in + bytes_out) as u64 <= 2 * MB);
}

#[test]
fn a_clean_restart_and_a_lost_kernel_table_keep_the_used_bytes() {
    let Some(lab) = lab_with(1, &["option usage_checkpoint_interval '5'"]) else { return };
    let package = lab.package_add("10 MB", 3600, &["--data-mb", "10"]);
    let code = lab.vouchers(&package, 1).remove(0);
    login_ok(&lab, 1, &code);
    let id = lab.session_id(1);

    assert_eq!(lab.download(1, 2 * MB, 20), 2 * MB);
    lab.kill_daemon("TERM"); // saves usage on the way out
    let (_, _, _, saved) = session_row(&lab.db(), id);
    let checkpointed: i64 =
        lab.db().query_row("SELECT bytes_out FROM session_usage WHERE session_id = ?1", [id], |r| r.get(0)).unwrap();
    assert!(checkpointed as u64 >= 2 * MB, "SIGTERM checkpointed {checkpointed} bytes (session row {saved})");
    lab.restart_daemon();
    let v = check_session(&lab, 1);
    assert!(v["bytes_downloaded"].as_u64().unwrap() >= 2 * MB, "after SIGTERM restart: {v}");

    // Power loss: the daemon dies and the kernel table is gone; the last checkpoint remains.
    assert_eq!(lab.download(1, MB, 20), MB);
    thread::sleep(Duration::from_secs(7)); // one checkpoint (5 s) has passed
    lab.kill_daemon("KILL");
    let out = lab.router_exec(&["nft", "delete", "table", "inet", "hotspotd"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    lab.restart_daemon();
    let v = check_session(&lab, 1);
    let down = v["bytes_downloaded"].as_u64().unwrap();
    assert!(down >= 3 * MB, "after losing the kernel table, usage comes from the checkpoint: {v}");
    let left = v["bytes_remaining"].as_u64().unwrap();
    assert!(left <= 7 * MB, "the account still counts what was used: {v}");
    // And the new table counts on from there.
    assert_eq!(lab.download(1, MB, 20), MB);
    thread::sleep(ONE_POLL);
    assert!(lab.kernel_counters(1).1 >= 4 * MB);
    // The usage log holds deltas that add up to the session's total.
    thread::sleep(Duration::from_secs(6));
    let logged: i64 =
        lab.db().query_row("SELECT sum(bytes_out_delta) FROM data_usage_logs WHERE session_id = ?1", [id], |r| r.get(0)).unwrap();
    let total: i64 = lab.db().query_row("SELECT bytes_out FROM session_usage WHERE session_id = ?1", [id], |r| r.get(0)).unwrap();
    assert_eq!(logged, total, "usage log deltas add up to the checkpointed total");
}

/// Pays for `package` with the demo M-Pesa provider (approves after a few seconds) and waits
/// until the paying device is online with more data than `more_than` left.
fn pay_and_wait(lab: &Lab, package: &str, more_than: u64) -> Value {
    let r = api_post(lab, 1, "http://10.77.0.1:2050/api/payments/mpesa", &format!(r#"{{"package_id":{package},"phone":"0712345678"}}"#));
    assert_eq!(r.status, 201, "payment: {}", describe(&r));
    let mut last = Value::Null;
    let topped_up = wait_until(Duration::from_secs(30), Duration::from_millis(500), || {
        last = check_session(lab, 1);
        last["active"].as_bool() == Some(true) && last["bytes_remaining"].as_u64().unwrap_or(0) > more_than
    });
    assert!(topped_up.is_some(), "after paying, still {last}\n{}", lab.daemon_log());
    last
}

#[test]
fn a_top_up_raises_the_cap_in_place_and_a_new_bundle_starts_afresh() {
    let demo = ["config mpesa 'mpesa'", "option enabled '1'", "option mode 'demo'"];
    let Some(lab) = lab_with(1, &demo) else { return };
    let package = lab.package_add("1 MB bundle", 86_400, &["--data-mb", "1"]);

    pay_and_wait(&lab, &package, 0);
    let first = lab.session_id(1);
    assert_eq!(lab.download(1, 600_000, 20), 600_000);
    thread::sleep(ONE_POLL);
    // A second bundle while the first is running adds its megabyte to what is left.
    let v = pay_and_wait(&lab, &package, MB);
    assert_eq!(lab.session_id(1), first, "topping up keeps the device's session: {v}");
    let got = lab.download(1, 5 * MB, 20);
    assert!(600_000 + got <= 2 * MB + allowed_overshoot(2 * MB), "600 KB + {got} bytes through two 1 MB bundles");
    assert!(600_000 + got >= 2 * MB * 9 / 10, "the raised cap cut early: 600 KB + {got}");
    let (_, reason, _, _) = wait_ended(&lab, first);
    assert_eq!(reason.as_deref(), Some("quota"));

    // Used up, then a new bundle: it starts from zero (no old count left in the kernel).
    pay_and_wait(&lab, &package, 0);
    let got = lab.download(1, 5 * MB, 20);
    assert!(got >= MB * 9 / 10 && got <= MB + allowed_overshoot(MB), "a fresh 1 MB bundle moved {got} bytes");
}

#[test]
fn an_ended_session_keeps_its_last_bytes_and_the_next_one_counts_from_zero() {
    let Some(lab) = lab_with(1, &[]) else { return };
    let package = lab.package_add("Unlimited day", 86_400, &["--devices", "1"]);
    let code = lab.vouchers(&package, 1).remove(0);
    login_ok(&lab, 1, &code);
    let first = lab.session_id(1);
    // Logging out right after a download (no poll, no checkpoint since): the bytes are read
    // from the kernel just before its counters go.
    assert_eq!(lab.download(1, 2 * MB, 20), 2 * MB);
    let r = api_post(&lab, 1, API_LOGOUT, "{}");
    assert_eq!(r.status, 200, "{}", describe(&r));
    let (status, _, _, down) = session_row(&lab.db(), first);
    assert_eq!(status, "ended");
    assert!(down as u64 >= 2 * MB, "logout recorded {down} bytes down of a 2 MB download");
    assert_eq!(audit_row(&lab.db(), first).map(|a| a.3), Some(down), "the audit row has the same total");

    // Back at once on the same address: a new session, counting from zero.
    login_ok(&lab, 1, &code);
    let second = lab.session_id(1);
    assert_ne!(second, first);
    assert_eq!(check_session(&lab, 1)["bytes_downloaded"].as_u64(), Some(0));
    assert_eq!(lab.download(1, MB, 20), MB);
    thread::sleep(ONE_POLL);
    let v = check_session(&lab, 1);
    let now = v["bytes_downloaded"].as_u64().unwrap();
    assert!((MB..MB + MB / 10).contains(&now), "the new session counts only its own 1 MB: {v}");

    // The operator's deauth does the same from its own process.
    assert_eq!(lab.download(1, MB, 20), MB);
    lab.cli(&["deauth", &lab.client_mac(1)]);
    let (_, reason, _, down) = session_row(&lab.db(), second);
    assert_eq!(reason.as_deref(), Some("admin"));
    assert!(down as u64 >= 2 * MB, "deauth recorded {down} bytes down of 2 MB");
}

#[test]
fn an_unlimited_package_bought_on_top_of_a_capped_one_lifts_the_cap() {
    let demo = ["config mpesa 'mpesa'", "option enabled '1'", "option mode 'demo'"];
    let Some(lab) = lab_with(1, &demo) else { return };
    let bundle = lab.package_add("1 MB bundle", 86_400, &["--data-mb", "1"]);
    let unlimited = lab.package_add("Unlimited day", 86_400, &[]);
    pay_and_wait(&lab, &bundle, 0);
    assert_eq!(lab.download(1, 600_000, 20), 600_000);
    let r = api_post(&lab, 1, "http://10.77.0.1:2050/api/payments/mpesa", &format!(r#"{{"package_id":{unlimited},"phone":"0712345678"}}"#));
    assert_eq!(r.status, 201, "payment: {}", describe(&r));
    let lifted = wait_until(Duration::from_secs(30), Duration::from_millis(500), || check_session(&lab, 1)["bytes_remaining"].is_null());
    assert!(lifted.is_some(), "the cap was not lifted: {}", check_session(&lab, 1));
    assert_eq!(lab.download(1, 5 * MB, 20), 5 * MB, "no cap any more");
}
