//! The captive loop as a user lives it, end to end: the real `hotspotd` binary with real
//! nft in a network-namespace router (tests/lab), clients that curl the "internet" host,
//! the portal, the JSON API and the CLI. Each test builds its own lab, so they run in
//! parallel (`cargo test --test captive_loop -- --test-threads=2`).
//!
//! Needs root, nft, iproute2, curl and python3; HOTSPOTD_SKIP_NETNS=1 skips them.
//! Behaviour checked is the contract in the hotspotd README/issue 2 and
//! shared/specs/captive-portal.md.

mod lab;

use std::thread;
use std::time::{Duration, Instant};

use lab::portal::*;
use lab::{wait_until, Lab, TcpProbe, GARDEN_IP, INTERNET_IP, PORTAL_URL};
use serde_json::Value;

// ------------------------------------------------------------------------ before login

#[test]
fn unauthenticated_http_is_redirected_to_the_portal() {
    let Some(lab) = Lab::up(1) else { return };
    lab.package_add("Hour", 3600, &[]);

    let r = lab.client_http(1, &[&format!("http://{INTERNET_IP}/")]);
    assert_redirected_to_portal(&r, "plain HTTP to the internet host before login");
    let r = lab.client_http(1, &[&format!("http://{INTERNET_IP}/some/deep/page?x=1")]);
    assert_redirected_to_portal(&r, "deep link before login");

    // Following the redirect lands on the splash page with the voucher and login forms.
    let r = lab.client_http(1, &["-L", &format!("http://{INTERNET_IP}/")]);
    assert_eq!(r.status, 200, "splash page after following the redirect: {}", describe(&r));
    let page = r.body.to_lowercase();
    assert!(page.contains("<form"), "splash page has no form: {}", describe(&r));
    assert!(page.contains("voucher"), "splash page has no voucher field: {}", describe(&r));
    assert!(page.contains("password"), "splash page has no username/password form: {}", describe(&r));
    assert!(page.contains("hour"), "splash page does not list the package: {}", describe(&r));

    // RFC 8908 API says captive.
    let r = lab.client_http(1, &["-H", "Accept: application/captive+json", API_CAPTIVE]);
    assert_eq!(r.status, 200, "/api/captive: {}", describe(&r));
    assert!(
        r.header("content-type").unwrap_or("").starts_with("application/captive+json"),
        "/api/captive content type: {:?}",
        r.header("content-type")
    );
    let v = json(&r, "/api/captive");
    assert_eq!(v["captive"], Value::Bool(true), "/api/captive before login: {v}");
    assert!(v["user-portal-url"].is_string(), "/api/captive has no user-portal-url: {v}");
}

#[test]
fn os_detection_probes_are_redirected_before_login() {
    let Some(lab) = Lab::up(1) else { return };
    let probes = [
        ("Android", "connectivitycheck.gstatic.com", "/generate_204", ANDROID_UA),
        ("Android (google gen_204)", "www.google.com", "/gen_204", ANDROID_UA),
        ("Android (play)", "play.googleapis.com", "/generate_204", ANDROID_UA),
        ("iOS", "captive.apple.com", "/hotspot-detect.html", IOS_UA),
        ("Windows", "www.msftconnecttest.com", "/connecttest.txt", WINDOWS_UA),
        ("Windows redirect", "www.msftconnecttest.com", "/redirect", WINDOWS_UA),
        ("Firefox", "detectportal.firefox.com", "/canonical.html", "Mozilla/5.0 Firefox/128.0"),
    ];
    for (platform, host, path, ua) in probes {
        let r = probe(&lab, 1, host, path, ua);
        assert_redirected_to_portal(&r, &format!("{platform} probe http://{host}{path}"));
    }
}

#[test]
fn https_is_reset_and_other_traffic_is_blocked_before_login() {
    let Some(lab) = Lab::up(1) else { return };

    let started = Instant::now();
    let https = lab.client_tcp(1, INTERNET_IP, 443, 3.0);
    let took = started.elapsed();
    assert_eq!(https, TcpProbe::Refused, "TCP 443 before login should be reset");
    assert!(took < Duration::from_millis(1500), "TCP 443 reset should be quick, took {took:?}");

    let other = lab.client_tcp(1, INTERNET_IP, 8080, 2.0);
    assert!(!matches!(other, TcpProbe::Open(_)), "TCP 8080 before login must be blocked, got {other:?}");
    assert!(!lab.client_ping(1, INTERNET_IP, 1.0), "ping to the internet host before login must be blocked");
}

#[test]
fn walled_garden_is_reachable_before_login() {
    let Some(lab) = Lab::up(1) else { return };
    let r = lab.client_http(1, &["--max-time", "3", &format!("http://{GARDEN_IP}/")]);
    assert!(
        r.status == 200 && r.is_from_internet(),
        "walled-garden host {GARDEN_IP}:80 should be reachable before login, got {}",
        describe(&r)
    );
    let tls = lab.client_tcp(1, GARDEN_IP, 443, 3.0);
    assert_eq!(tls, TcpProbe::Open("tls?".into()), "walled-garden host {GARDEN_IP}:443 before login");
    // ...while the rest of the internet stays closed.
    assert_captive(&lab, 1, "non-garden host before login");
}

// ------------------------------------------------------------------------ vouchers

#[test]
fn voucher_form_login_opens_the_internet() {
    let Some(lab) = Lab::up(1) else { return };
    let package = lab.package_add("Hour", 3600, &[]);
    let code = lab.vouchers(&package, 1).remove(0);
    assert!(
        code.len() == 8 && code.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'9').contains(&b)),
        "voucher code should be 8 chars A-Z/2-9, got {code:?}"
    );

    let r = form_post(&lab, 1, FORM_LOGIN, &[("voucher", &code)]);
    assert_eq!(r.status, 303, "form login with a valid voucher: {}", describe(&r));
    let location = r.header("location").unwrap_or("");
    assert!(location.ends_with("/status"), "form login should redirect to /status, got {location:?}");
    let r = lab.client_http(1, &[STATUS_PAGE]);
    assert_eq!(r.status, 200, "status page after login: {}", describe(&r));

    assert_online(&lab, 1, "after voucher form login");
    let r = probe(&lab, 1, "connectivitycheck.gstatic.com", "/generate_204", ANDROID_UA);
    assert!(
        r.status == 204 && r.is_from_internet(),
        "Android probe after login should be the real 204, got {}",
        describe(&r)
    );
    let r = probe(&lab, 1, "captive.apple.com", "/hotspot-detect.html", IOS_UA);
    assert!(
        r.status == 200 && r.body == APPLE_SUCCESS && r.is_from_internet(),
        "iOS probe after login should be the real Success page, got {}",
        describe(&r)
    );
    let r = probe(&lab, 1, "www.msftconnecttest.com", "/connecttest.txt", WINDOWS_UA);
    assert!(
        r.status == 200 && r.body == "Microsoft Connect Test" && r.is_from_internet(),
        "Windows probe after login, got {}",
        describe(&r)
    );
    assert_eq!(lab.client_tcp(1, INTERNET_IP, 443, 3.0), TcpProbe::Open("tls?".into()), "TCP 443 after login");
    assert_eq!(lab.client_tcp(1, INTERNET_IP, 8080, 3.0), TcpProbe::Open("tls?".into()), "TCP 8080 after login");
    assert!(lab.client_ping(1, INTERNET_IP, 2.0), "ping after login should get a reply");

    // The router shows it: nft set element for (ip, mac), CLI lists the session.
    assert!(set_has_client(&lab, "clients", 1), "client not in nft set clients:\n{}", lab.nft_text());
    let clients = lab.cli(&["clients"]);
    assert!(
        clients.to_lowercase().contains(&lab.client_mac(1)) && clients.contains(&lab.client_ip(1)),
        "`hotspotd clients` should list {} {}, printed:\n{clients}",
        lab.client_mac(1),
        lab.client_ip(1)
    );
}

#[test]
fn voucher_api_login_opens_the_internet() {
    let Some(lab) = Lab::up(1) else { return };
    let package = lab.package_add("Hour", 3600, &[]);
    let code = lab.vouchers(&package, 1).remove(0);

    let v = login_ok(&lab, 1, &code);
    let left = seconds_remaining(&v, "seconds_remaining");
    assert!((3590..=3600).contains(&left), "login seconds_remaining should be ~3600, got {left}");
    assert!(v["package"].is_object(), "login reply should describe the package: {v}");

    assert_online(&lab, 1, "after voucher API login");
    let r = probe(&lab, 1, "connectivitycheck.gstatic.com", "/generate_204", ANDROID_UA);
    assert!(
        r.status == 204 && r.is_from_internet(),
        "Android probe after login should be the real 204, got {}",
        describe(&r)
    );

    let r = lab.client_http(1, &["-H", "Accept: application/captive+json", API_CAPTIVE]);
    let v = json(&r, "/api/captive after login");
    assert_eq!(v["captive"], Value::Bool(false), "/api/captive after login: {v}");
    let left = seconds_remaining(&v, "seconds-remaining");
    assert!((3590..=3600).contains(&left), "/api/captive seconds-remaining should be ~3600, got {left}");

    // The nft element's timeout is the remaining session time.
    let elements = nft_set_elements(&lab, "clients");
    let ip = lab.client_ip(1);
    let (_, timeout, expires) = elements
        .iter()
        .find(|(val, _, _)| val.to_string().contains(&ip))
        .unwrap_or_else(|| panic!("client not in nft set clients:\n{}", lab.nft_text()))
        .clone();
    let expires =
        expires.or(timeout).unwrap_or_else(|| panic!("nft element for {ip} has no timeout:\n{}", lab.nft_text()));
    assert!((3585..=3600).contains(&expires), "nft element should expire in ~3600 s, expires in {expires}");
}

#[test]
fn device_limit_allows_two_devices_and_refuses_the_third() {
    let Some(lab) = Lab::up(3) else { return };
    let package = lab.package_add("Two devices", 3600, &["--devices", "2"]);
    let code = lab.vouchers(&package, 1).remove(0);

    login_ok(&lab, 1, &code);
    login_ok(&lab, 2, &code);
    assert_online(&lab, 1, "first device");
    assert_online(&lab, 2, "second device on the same voucher");

    let r = api_login_voucher(&lab, 3, &code);
    assert_eq!(r.status, 403, "third device beyond the limit of 2: {}", describe(&r));
    let message = error_message(&json(&r, "third device")).to_lowercase();
    assert!(message.contains("device"), "refusal should mention the device limit, said {message:?}");
    assert_captive(&lab, 3, "third device after refusal");
    // The first two are unaffected.
    assert_online(&lab, 1, "first device after the third was refused");
    assert_online(&lab, 2, "second device after the third was refused");
}

#[test]
fn voucher_time_is_shared_by_devices_and_a_freed_slot_can_be_reused() {
    // MAC randomisation: the entitlement belongs to the voucher, not the device. A new
    // device gets the time that is left (not a fresh package), and only once a slot is free.
    let Some(lab) = Lab::up(2) else { return };
    let package = lab.package_add("One device", 3600, &["--devices", "1"]);
    let code = lab.vouchers(&package, 1).remove(0);

    login_ok(&lab, 1, &code);
    thread::sleep(Duration::from_millis(2500));
    let r = api_login_voucher(&lab, 2, &code);
    assert_eq!(r.status, 403, "second device on a 1-device voucher while the first is online: {}", describe(&r));
    assert!(
        error_message(&json(&r, "device limit")).to_lowercase().contains("device"),
        "refusal should mention the device limit: {}",
        r.body
    );
    assert_captive(&lab, 2, "refused second device");

    let r = api_post(&lab, 1, API_LOGOUT, "{}");
    assert_eq!(r.status, 200, "logout of the first device: {}", describe(&r));
    let v = login_ok(&lab, 2, &code);
    let left = seconds_remaining(&v, "seconds_remaining");
    assert!(
        (3585..=3598).contains(&left),
        "the new device should get the voucher's remaining time (~3597 s), not a fresh hour: got {left}"
    );
    assert_online(&lab, 2, "new device after the first logged out");
    assert_captive(&lab, 1, "first device after logout");
}

#[test]
fn wrong_voucher_is_refused_clearly_then_rate_limited() {
    let Some(lab) = Lab::up(2) else { return };
    let package = lab.package_add("Hour", 3600, &[]);
    let _real = lab.vouchers(&package, 1);

    // login_attempts is 5 in the lab config: five clear refusals, then 429.
    for attempt in 1..=5 {
        let r = api_login_voucher(&lab, 1, "WRONG234");
        assert_eq!(r.status, 401, "wrong voucher, attempt {attempt}: {}", describe(&r));
        let message = error_message(&json(&r, "wrong voucher"));
        assert!(message.len() >= 5, "401 should carry a human message, got {:?}", r.body);
    }
    let r = api_login_voucher(&lab, 1, "WRONG234");
    assert_eq!(r.status, 429, "6th wrong voucher within a minute should be rate limited: {}", describe(&r));
    assert!(!error_message(&json(&r, "rate limited")).is_empty(), "429 should carry a message: {}", r.body);
    assert_captive(&lab, 1, "after failed voucher attempts");

    // Another client is not punished for client 1's attempts; the HTML form answers 4xx.
    let r = form_post(&lab, 2, FORM_LOGIN, &[("voucher", "NOPE2345")]);
    assert!(
        (400..500).contains(&r.status) && r.status != 429,
        "wrong voucher via the form (client 2, first try) should be a 4xx error page: {}",
        describe(&r)
    );
    assert!(
        r.header("content-type").unwrap_or("").contains("text/html") && !r.body.trim().is_empty(),
        "form failure should be an HTML error page: {}",
        describe(&r)
    );
    assert_captive(&lab, 2, "after a wrong form voucher");

    // Malformed JSON is a 400 with a message, not a crash.
    let r = api_post(&lab, 2, API_LOGIN, "{not json");
    assert_eq!(r.status, 400, "malformed JSON login: {}", describe(&r));
    assert!(!error_message(&json(&r, "bad json")).is_empty(), "400 should carry a message: {}", r.body);
}

#[test]
fn check_session_reports_time_left() {
    let Some(lab) = Lab::up(1) else { return };
    let package = lab.package_add("Hour", 3600, &[]);
    let code = lab.vouchers(&package, 1).remove(0);

    let before = check_session(&lab, 1);
    assert_eq!(before["active"], Value::Bool(false), "check-session before login: {before}");

    login_ok(&lab, 1, &code);
    thread::sleep(Duration::from_millis(1500));
    let v = check_session(&lab, 1);
    assert_eq!(v["active"], Value::Bool(true), "check-session after login: {v}");
    let left = seconds_remaining(&v, "seconds_remaining");
    assert!((3590..=3599).contains(&left), "seconds_remaining 1.5 s after login should be ~3598, got {left}");
}

#[test]
fn logout_blocks_the_client_again() {
    let Some(lab) = Lab::up(1) else { return };
    let package = lab.package_add("Hour", 3600, &[]);
    let code = lab.vouchers(&package, 1).remove(0);

    let r = form_post(&lab, 1, FORM_LOGIN, &[("voucher", &code)]);
    assert_eq!(r.status, 303, "form login: {}", describe(&r));
    assert_online(&lab, 1, "after login");

    let r = form_post(&lab, 1, FORM_LOGOUT, &[]);
    assert_eq!(r.status, 303, "form logout: {}", describe(&r));
    let location = r.header("location").unwrap_or("");
    assert!(location == "/" || location == PORTAL_URL, "logout should redirect to /, got {location:?}");
    assert_captive(&lab, 1, "after form logout");
    assert!(!set_has_client(&lab, "clients", 1), "client still in nft set after logout:\n{}", lab.nft_text());
    assert_eq!(check_session(&lab, 1)["active"], Value::Bool(false), "check-session after logout");

    // The same voucher logs the device back in (time left is kept), and the API logout works.
    login_ok(&lab, 1, &code);
    assert_online(&lab, 1, "after logging in again with the same voucher");
    let r = api_post(&lab, 1, API_LOGOUT, "{}");
    assert_eq!(r.status, 200, "API logout: {}", describe(&r));
    assert_eq!(json(&r, "API logout")["ok"], Value::Bool(true), "API logout reply: {}", r.body);
    assert_captive(&lab, 1, "after API logout");
}

#[test]
fn short_package_is_cut_within_two_seconds_of_expiry() {
    let Some(lab) = Lab::up(1) else { return };
    let duration = Duration::from_secs(4);
    let package = lab.package_add("Four seconds", duration.as_secs(), &[]);
    let code = lab.vouchers(&package, 1).remove(0);

    let sent = Instant::now();
    login_ok(&lab, 1, &code);
    let answered = Instant::now();
    assert_online(&lab, 1, "right after login to a 4 s package");

    // Poll every 200 ms; record when the internet host stops answering.
    let mut cut_at = None;
    while answered.elapsed() < duration + Duration::from_secs(10) {
        let t = Instant::now();
        if !internet_ok(&lab, 1) {
            cut_at = Some(t);
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    let cut_at = cut_at.unwrap_or_else(|| {
        panic!("access was never cut: still online {:?} after a {duration:?} package", answered.elapsed())
    });
    let late = cut_at.saturating_duration_since(answered + duration);
    let early = (sent + duration).saturating_duration_since(cut_at);
    eprintln!("expiry: access cut {:?} after login answered ({duration:?} package)", cut_at - answered);
    assert!(late <= Duration::from_secs(2), "access cut {late:?} after expiry (budget 2 s)");
    assert!(early <= Duration::from_secs(1), "access cut {early:?} before the paid time was up");
    assert_captive(&lab, 1, "after expiry");

    // Logging in again with the spent voucher is refused (403 expired).
    let r = api_login_voucher(&lab, 1, &code);
    assert_eq!(r.status, 403, "login with an expired voucher: {}", describe(&r));
    assert!(!error_message(&json(&r, "expired voucher")).is_empty(), "403 should carry a message");
}

// ------------------------------------------------------------------------ restarts

/// Client 1 holds an hour, client 2 a few seconds. The daemon dies by `signal`; while it
/// is down the kernel keeps forwarding client 1 and cuts client 2 on time; after `run`
/// again client 1 is still online without logging in, client 2 stays out.
fn restart_keeps_entitled_clients(signal: &str) {
    let Some(lab) = Lab::up(2) else { return };
    let hour = lab.package_add("Hour", 3600, &[]);
    let short_secs = 6;
    let short = lab.package_add("Six seconds", short_secs, &[]);
    let long_code = lab.vouchers(&hour, 1).remove(0);
    let short_code = lab.vouchers(&short, 1).remove(0);

    login_ok(&lab, 1, &long_code);
    login_ok(&lab, 2, &short_code);
    let short_login = Instant::now();
    assert_online(&lab, 1, "long-package client before the restart");
    assert_online(&lab, 2, "short-package client before the restart");

    let status = lab.kill_daemon(signal);
    if signal == "TERM" {
        assert!(status.success(), "SIGTERM should stop the daemon cleanly (exit 0), got {status}");
    }
    let table = lab.router_exec(&["nft", "list", "table", "inet", "hotspotd"]);
    assert!(table.status.success(), "the nft table must stay in place after SIG{signal}");
    assert!(internet_ok(&lab, 1), "with the daemon down (SIG{signal}) the kernel should keep forwarding client 1");

    // Let client 2's package run out while the daemon is down.
    let expiry = short_login + Duration::from_secs(short_secs) + Duration::from_millis(2500);
    thread::sleep(expiry.saturating_duration_since(Instant::now()));
    assert!(!internet_ok(&lab, 2), "client 2's package expired while the daemon was down: the kernel should cut it");
    assert!(internet_ok(&lab, 1), "client 1 still online while the daemon is down");

    lab.restart_daemon();
    assert_online(&lab, 1, "long-package client after the restart, without logging in again");
    let v = check_session(&lab, 1);
    assert_eq!(v["active"], Value::Bool(true), "client 1 check-session after restart: {v}");
    let left = seconds_remaining(&v, "seconds_remaining");
    assert!((3570..=3600).contains(&left), "client 1 should have ~an hour left after restart, got {left}");

    // Client 2 must not get access back, not even briefly while state is restored.
    let regained = wait_until(Duration::from_secs(2), Duration::from_millis(200), || internet_ok(&lab, 2));
    assert!(regained.is_none(), "client 2's expired package got access back after the restart (SIG{signal})");
    assert_captive(&lab, 2, "expired client after the restart");
    assert_eq!(check_session(&lab, 2)["active"], Value::Bool(false), "client 2 check-session after restart");
    assert!(internet_ok(&lab, 1), "client 1 still online at the end");
}

#[test]
fn sigterm_restart_keeps_entitled_clients_online() {
    restart_keeps_entitled_clients("TERM");
}

#[test]
fn kill_9_restart_keeps_entitled_clients_online() {
    restart_keeps_entitled_clients("KILL");
}

// ------------------------------------------------------------------------ operator and accounts

#[test]
fn cli_deauth_cuts_the_client_within_a_second() {
    let Some(lab) = Lab::up(2) else { return };
    let package = lab.package_add("Hour", 3600, &["--devices", "2"]);
    let code = lab.vouchers(&package, 1).remove(0);
    login_ok(&lab, 1, &code);
    login_ok(&lab, 2, &code);
    assert_online(&lab, 1, "before deauth");
    assert_online(&lab, 2, "other device before deauth");

    let started = Instant::now();
    lab.cli(&["deauth", &lab.client_mac(1)]);
    let cut = wait_until(Duration::from_secs(3), Duration::from_millis(100), || !internet_ok(&lab, 1));
    let cut = cut.map(|_| started.elapsed());
    eprintln!("deauth: client cut {cut:?} after the CLI started");
    assert!(
        cut.is_some_and(|t| t <= Duration::from_secs(1)),
        "`deauth MAC` should cut the client within 1 s, cut after {cut:?}"
    );
    assert_captive(&lab, 1, "after deauth");
    assert!(!set_has_client(&lab, "clients", 1), "deauthed client still in nft set:\n{}", lab.nft_text());
    assert_online(&lab, 2, "the other device after deauth of client 1");
    let clients = lab.cli(&["clients"]).to_lowercase();
    assert!(!clients.contains(&lab.client_mac(1)), "`clients` still lists the deauthed MAC:\n{clients}");
}

/// A download is running when the client is logged out / deauthorised: it must stop,
/// not carry on over the already-open connection.
fn running_download_is_cut(how: &str) {
    let Some(lab) = Lab::up(1) else { return };
    let package = lab.package_add("Hour", 3600, &[]);
    let code = lab.vouchers(&package, 1).remove(0);
    login_ok(&lab, 1, &code);
    assert_online(&lab, 1, "before the download");

    let file = lab.dir().join("download.bin");
    let file_s = file.to_string_lossy().into_owned();
    let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let url = format!("http://{INTERNET_IP}/stream");
    let _download = lab.client_spawn(1, &["curl", "-s", "--max-time", "20", "-o", &file_s, &url]);
    let started = wait_until(Duration::from_secs(5), Duration::from_millis(50), || size() > 20_000);
    assert!(started.is_some(), "the download did not start (got {} bytes)", size());

    match how {
        "logout" => {
            let r = api_post(&lab, 1, API_LOGOUT, "{}");
            assert_eq!(r.status, 200, "API logout: {}", describe(&r));
        }
        "deauth" => {
            lab.cli(&["deauth", &lab.client_mac(1)]);
        }
        other => unreachable!("{other}"),
    }
    thread::sleep(Duration::from_millis(500));
    let at_cut = size();
    thread::sleep(Duration::from_secs(2));
    let grown = size() - at_cut;
    assert!(
        grown <= 4096,
        "after {how} the running download kept flowing: {grown} more bytes in 2 s (server sends ~100 KB in 2 s)"
    );
    assert_captive(&lab, 1, &format!("after {how}"));
}

#[test]
fn logout_cuts_a_running_download() {
    running_download_is_cut("logout");
}

#[test]
fn deauth_cuts_a_running_download() {
    running_download_is_cut("deauth");
}

#[test]
fn username_password_login_works_and_wrong_password_is_refused() {
    let Some(lab) = Lab::up(2) else { return };
    let package = lab.package_add("Hour", 3600, &[]);
    let out = lab.cli(&["user", "add", "--package", &package, "--username", "alice", "--password", "s3cret-pw"]);
    assert_eq!(out.trim(), "alice s3cret-pw", "`user add` should print USERNAME PASSWORD");

    // Wrong password first: refused, still captive.
    let r = api_login_user(&lab, 2, "alice", "wrong-pw");
    assert_eq!(r.status, 401, "wrong password via the API: {}", describe(&r));
    assert!(!error_message(&json(&r, "wrong password")).is_empty(), "401 should carry a message: {}", r.body);
    let r = form_post(&lab, 2, FORM_LOGIN, &[("username", "alice"), ("password", "wrong-pw")]);
    assert!((400..500).contains(&r.status), "wrong password via the form should be 4xx: {}", describe(&r));
    assert_captive(&lab, 2, "after a wrong password");

    // Right password via the form.
    let r = form_post(&lab, 1, FORM_LOGIN, &[("username", "alice"), ("password", "s3cret-pw")]);
    assert_eq!(r.status, 303, "form login with username/password: {}", describe(&r));
    assert_online(&lab, 1, "after username/password login");

    // Generated credentials work through the JSON API.
    let out = lab.cli(&["user", "add", "--package", &package]);
    let parts: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(parts.len(), 2, "`user add` without names should print USERNAME PASSWORD, printed {out:?}");
    let r = api_login_user(&lab, 2, parts[0], parts[1]);
    assert_eq!(r.status, 200, "API login with generated credentials: {}", describe(&r));
    assert_online(&lab, 2, "after login with generated credentials");
}

// ------------------------------------------------------------------------ living with firewall4

#[test]
fn firewall_reloads_do_not_drop_authorised_clients() {
    let Some(lab) = Lab::up(2) else { return };
    let hour = lab.package_add("Hour", 3600, &[]);
    let code = lab.vouchers(&hour, 1).remove(0);
    login_ok(&lab, 1, &code);
    assert_online(&lab, 1, "before any reload");

    // firewall4's reload rebuilds only its own table `inet fw4`, atomically; ours must stay.
    let fw4 = "add table inet fw4\ndelete table inet fw4\ntable inet fw4 {\n\tchain forward {\n\t\t\
               type filter hook forward priority filter; policy accept;\n\t}\n}\n";
    for _ in 0..3 {
        let out = lab.router_exec(&["sh", "-c", &format!("printf '{fw4}' | nft -f -")]);
        assert!(out.status.success(), "fw4-style reload failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert_online(&lab, 1, "after three firewall4-style reloads");
    assert_captive(&lab, 2, "unauthenticated client after the reloads");

    // Something wipes every table (`nft flush ruleset`): the daemon notices and puts its table
    // back from the database, with the authorised client still in it.
    let out = lab.router_exec(&["nft", "flush", "ruleset"]);
    assert!(out.status.success());
    let table_back = || lab.router_exec(&["nft", "list", "table", "inet", "hotspotd"]).status.success();
    let back = wait_until(Duration::from_secs(15), Duration::from_millis(250), table_back);
    assert!(back.is_some(), "the daemon did not re-install its table after `nft flush ruleset`");
    assert!(set_has_client(&lab, "clients", 1), "the re-installed table lost the authorised client");
    assert_online(&lab, 1, "after the table was re-installed");
    assert_captive(&lab, 2, "unauthenticated client after the table was re-installed");
    assert!(lab.daemon_log().contains("re-installed"), "the daemon should log that it re-installed the table");
}
