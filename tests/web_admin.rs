//! The operator's web admin and the portal in a real browser (headless Chromium over
//! WebDriver, `tests/browser`), against the real daemon in the network-namespace lab (real
//! nft, the fake Daraja on the lab's internet host): issue 13 §4.
//!
//! The operator's browser runs inside the router's namespace and opens the admin on the
//! router's uplink address (`ADMIN`), which is not on the hotspot side; a hotspot user's
//! browser runs inside a client namespace and opens the portal as a phone would. Pages are
//! found through the contract's hooks (`main#page-<name>`, `#revenue-today`, `svg.qr`, …),
//! never through their wording (except the Swahili check, which is about the words).
//!
//! Every page visited is kept as a screenshot under `target/browser-screenshots/<test>/`;
//! the paths are printed (`--nocapture` shows them). Run as root (the lab):
//! `cargo test --test web_admin -- --nocapture`; `scripts/test.sh` installs Chromium,
//! chromedriver and zbarimg, and without them these tests fail saying so.

mod browser;
mod lab;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use browser::{decode_qr, Browser, BrowserOptions};
use lab::daraja::{mpesa_config, FakeDaraja};
use lab::portal::{assert_captive, assert_online, form_post, internet_ok, login_ok};
use lab::{wait_until, Lab, LabOptions, TcpProbe, PORTAL_URL, ROUTER_WAN_IP};
use serde_json::Value;

/// Where the operator opens the admin: the router's uplink address (in the lab the only
/// address of the router that is not on the hotspot side).
const ADMIN: &str = "http://198.51.100.1:2051";
const ADMIN_PORT: u16 = 2051;
const PASSWORD: &str = "chai-na-mandazi-42";
/// The portal as the printed QR codes name it (no `portal_url` configured).
const PORTAL_BASE: &str = "http://10.77.0.1:2050";

// ------------------------------------------------------------------ lab and browsers

/// A lab whose daemon also serves the admin on `ADMIN`, with the operator password set.
fn admin_lab(clients: usize, extra: Vec<String>) -> Option<Lab> {
    let mut extra_config = vec![format!("option admin_listen '{ROUTER_WAN_IP}:{ADMIN_PORT}'")];
    extra_config.extend(extra);
    let lab = Lab::with(LabOptions { clients, extra_config, ..LabOptions::default() })?;
    set_admin_password(&lab, PASSWORD);
    Some(lab)
}

/// `hotspotd admin password` in the router, the password on its stdin.
fn set_admin_password(lab: &Lab, password: &str) {
    let config = lab.config_path().to_string_lossy().into_owned();
    let mut child = Command::new("ip")
        .args(["netns", "exec", lab.router_ns(), env!("CARGO_BIN_EXE_hotspotd"), "--config", &config])
        .args(["admin", "password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hotspotd admin password");
    child.stdin.take().expect("its stdin").write_all(format!("{password}\n").as_bytes()).expect("write the password");
    let out = child.wait_with_output().expect("hotspotd admin password");
    assert!(
        out.status.success(),
        "`hotspotd admin password` failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The operator's browser, in the router's namespace.
fn operator(lab: &Lab, test: &str) -> Browser {
    Browser::start(test, BrowserOptions { netns: Some(lab.router_ns().into()), width: 1280, height: 900, ..Default::default() })
}

/// A hotspot user's phone-sized browser in client `n`'s namespace.
fn phone(lab: &Lab, n: usize, test: &str, accept_language: Option<&str>) -> Browser {
    Browser::start(
        test,
        BrowserOptions {
            netns: Some(lab.client_ns(n).into()),
            accept_language: accept_language.map(String::from),
            width: 412,
            height: 915,
        },
    )
}

fn admin_url(path: &str) -> String {
    format!("{ADMIN}{path}")
}

/// Open `path` of the admin and check it is the page `name` (`main#page-<name>`), status 200.
fn open(b: &Browser, path: &str, name: &str) {
    b.goto(&admin_url(path));
    b.find(&format!("main#page-{name}"));
    assert_eq!(b.status(), 200, "GET {path}\n{}", b.page_excerpt());
}

/// Log in with `password` through the login form (from wherever the browser is).
fn submit_password(b: &Browser, password: &str) {
    b.goto(&admin_url("/login"));
    b.find("main#page-login");
    b.fill("form#login input#password", password);
    b.submit("form#login");
}

/// Log in with the right password: the login page is gone (the dashboard is checked where
/// it is the subject).
fn log_in(b: &Browser) {
    submit_password(b, PASSWORD);
    assert_logged_in(b);
}

/// After the login form was sent with the right password: no login page, no refusal.
fn assert_logged_in(b: &Browser) {
    let status = b.status();
    let hint = if status == 403 {
        "\n(a 403 on the login form itself: a real browser sends `Origin: null` on a same-origin POST \
         when the page's Referrer-Policy is `no-referrer`; the admin's Origin check must accept \
         what Chromium sends)"
    } else {
        ""
    };
    assert!(
        b.try_find("main#page-login").is_none() && !matches!(status, 401 | 403 | 429),
        "the right password did not log in (status {status}, {}){hint}\n{}",
        b.url(),
        b.page_excerpt()
    );
}

/// Online devices as the CLI sees them (`hotspotd --json clients`).
fn clients_json(lab: &Lab) -> Vec<Value> {
    let out = lab.cli(&["--json", "clients"]);
    serde_json::from_str::<Value>(&out).unwrap_or_else(|e| panic!("clients --json: {e}: {out}")).as_array().cloned().unwrap_or_default()
}

fn seconds_left(lab: &Lab, mac: &str) -> i64 {
    let rows = clients_json(lab);
    let row = rows.iter().find(|r| r["mac"].as_str().map(|m| m.eq_ignore_ascii_case(mac)) == Some(true));
    let row = row.unwrap_or_else(|| panic!("{mac} is not online: {rows:?}"));
    row["seconds_left"].as_i64().expect("seconds_left")
}

/// Every voucher the daemon holds (`hotspotd --json voucher list --all`).
fn voucher_count(lab: &Lab) -> usize {
    let out = lab.cli(&["--json", "voucher", "list", "--all"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("voucher list --json: {e}: {out}"));
    v.as_array().map(Vec::len).unwrap_or_else(|| panic!("voucher list --json is not a list: {out}"))
}

/// Pays `package` with M-Pesa from client `n`'s splash page (curl, as a browser posts the
/// form) and waits until the fake Daraja's confirmation puts it online.
fn pay(lab: &Lab, daraja: &FakeDaraja, n: usize, package: &str, phone: &str) {
    daraja.control("/_fake/plan", r#"{"result_code": 0, "after_queries": 1}"#);
    let r = form_post(lab, n, &format!("{PORTAL_URL}pay"), &[("package_id", package), ("phone", phone)]);
    assert_eq!(r.status, 303, "paying from client {n}: {}", lab::portal::describe(&r));
    let online = wait_until(Duration::from_secs(20), Duration::from_millis(300), || internet_ok(lab, n));
    assert!(online.is_some(), "client {n}'s payment did not put it online:\n{}", lab.daemon_log());
}

// ------------------------------------------------------------------ tests

/// The harness itself against the portal's splash page, from a lab client.
#[test]
fn harness_opens_the_splash_from_a_client() {
    let Some(lab) = Lab::up(1) else { return };
    let b = phone(&lab, 1, "harness", None);
    b.goto(PORTAL_URL);
    assert_eq!(b.status(), 200, "{}", b.page_excerpt());
    assert!(b.find("html").attr("lang").is_some(), "the splash names its language");
    assert_eq!(b.find("input#voucher").attr("name").as_deref(), Some("voucher"));
    assert!(!b.find_all("form").is_empty());
    b.screenshot("splash");
}

/// Log in (a wrong password is refused, the right one opens the dashboard), the dashboard
/// counts two M-Pesa payments made through the fake Daraja, and a burst of wrong passwords
/// is answered 429.
#[test]
fn operator_logs_in_and_sees_todays_mpesa_revenue() {
    let test = "login-dashboard";
    let Some(lab) = admin_lab(2, mpesa_config(1)) else { return };
    let daraja = FakeDaraja::start(&lab);
    let hour = lab.package_add("1 hour", 3600, &["--price", "20"]);
    let day = lab.package_add("1 day", 86_400, &["--price", "50"]);
    let b = operator(&lab, test);

    // Not logged in: every page leads to the login form.
    b.goto(&admin_url("/"));
    b.find("main#page-login");
    assert!(b.url().ends_with("/login"), "/ without a session should land on /login, not {}", b.url());
    b.screenshot("login");

    submit_password(&b, "not-the-password");
    assert_eq!(b.status(), 401, "a wrong password (403: see log_in's note on Origin)\n{}", b.page_excerpt());
    assert!(!b.find(".error").text().trim().is_empty(), "a wrong password shows why");
    b.find("main#page-login");
    b.screenshot("login-wrong");

    log_in(&b);
    b.find("main#page-dashboard");
    let cookies = b.cookies();
    let session = cookies.iter().find(|c| c["httpOnly"] == Value::Bool(true)).unwrap_or_else(|| panic!("no HttpOnly cookie: {cookies:?}"));
    assert_eq!(session["sameSite"], "Strict", "the session cookie: {session}");

    pay(&lab, &daraja, 1, &hour, "0712 345 678");
    pay(&lab, &daraja, 2, &day, "0722 000 111");
    open(&b, "/", "dashboard");
    let revenue = b.find("#revenue-today").text();
    assert!(revenue.contains("70"), "revenue today after paying 20 + 50 should read 70, reads {revenue:?}");
    let charts: Vec<String> = b.find_all("svg.chart").iter().filter_map(|c| c.attr("id")).collect();
    for id in ["chart-revenue", "chart-devices", "chart-data"] {
        assert!(charts.iter().any(|c| c == id), "no svg.chart#{id} on the dashboard (has {charts:?})");
    }
    b.screenshot("dashboard");

    open(&b, "/payments", "payments");
    let text = b.page_text();
    assert!(text.contains("254712345678") || text.contains("0712"), "the payments page lists the payer:\n{text}");
    b.screenshot("payments");
    open(&b, "/system", "system");
    b.screenshot("system");

    // Logged out, a burst of wrong passwords is stopped: 429, and then even the right one.
    b.delete_cookies();
    let mut tries = 0;
    while tries < 10 {
        tries += 1;
        submit_password(&b, &format!("guess-{tries}"));
        if b.status() == 429 {
            break;
        }
        assert_eq!(b.status(), 401, "wrong password {tries}\n{}", b.page_excerpt());
    }
    assert_eq!(b.status(), 429, "10 wrong passwords in a row were never limited");
    assert!(tries <= 6, "limited only after {tries} tries");
    assert!(!b.find(".error").text().trim().is_empty(), "the 429 page says to wait");
    b.screenshot("login-429");
    submit_password(&b, PASSWORD);
    assert_eq!(b.status(), 429, "while limited, even the right password waits");
    let r = lab.router_http(&["-d", "password=x", &admin_url("/login")]);
    assert_eq!(r.status, 429, "the same address by curl");
    let wait: u64 = r.header("retry-after").and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!(wait > 0, "a 429 says when to come back (Retry-After): {:?}", r.headers);
}

/// A batch of 12 made through the form prints 12 codes and 12 QR codes on A4 and on the
/// roll; each QR decodes to the portal's login URL with its code; a phone opening one has
/// the code filled in and gets online with one tap.
#[test]
fn printed_vouchers_carry_qr_codes_that_log_a_phone_in() {
    let test = "vouchers";
    let Some(lab) = admin_lab(1, Vec::new()) else { return };
    let package = lab.package_add("Day pass", 86_400, &["--price", "50"]);
    let b = operator(&lab, test);
    log_in(&b);

    open(&b, "/vouchers", "vouchers");
    b.find(&format!("form#voucher-create select[name=package_id] option[value='{package}']")).click();
    b.fill("form#voucher-create input[name=count]", "12");
    b.fill("form#voucher-create input[name=batch]", "till-1");
    b.submit("form#voucher-create");
    b.wait_for("main#page-batch");
    assert!(b.url().contains("/vouchers/batch?name=till-1"), "after creating, the batch page: {}", b.url());
    b.screenshot("batch");
    open(&b, "/vouchers", "vouchers");
    b.screenshot("vouchers");

    let mut codes = Vec::new();
    for layout in ["a4", "roll"] {
        open(&b, &format!("/vouchers/print?batch=till-1&layout={layout}&per_page=12"), "print");
        let vouchers = b.find_all(".voucher");
        assert_eq!(vouchers.len(), 12, "{layout}: vouchers on the sheet");
        assert_eq!(b.find_all(".voucher .code").len(), 12, "{layout}: codes");
        assert_eq!(b.find_all(".voucher svg.qr").len(), 12, "{layout}: QR codes");
        b.screenshot(&format!("print-{layout}"));
        let mut here = Vec::new();
        for (i, v) in vouchers.iter().enumerate() {
            let code = v.find(".code").text().trim().to_string();
            let png = b.element_screenshot(&v.find("svg.qr"), &format!("qr-{layout}-{:02}", i + 1), 12.0, 4.0);
            let decoded = decode_qr(&png);
            let want = format!("{PORTAL_BASE}/v/{code}");
            assert_eq!(decoded, vec![want], "{layout} voucher {}: QR of {code} ({})", i + 1, png.display());
            here.push(code);
        }
        if codes.is_empty() {
            codes = here;
        } else {
            assert_eq!(codes, here, "the roll prints the same batch as the A4 sheet");
        }
    }
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 12, "12 different codes: {codes:?}");

    // Forged posts change nothing: the create form without its token (403), and the same
    // form, token and all, posted from a page of another origin (no session cookie goes
    // with it: SameSite=Strict; and its Origin is not the admin's).
    let vouchers_now = || voucher_count(&lab);
    let before = vouchers_now();
    open(&b, "/vouchers", "vouchers");
    b.find(&format!("form#voucher-create select[name=package_id] option[value='{package}']")).click();
    b.fill("form#voucher-create input[name=count]", "5");
    b.fill("form#voucher-create input[name=batch]", "forged");
    let token = b.find("form#voucher-create input[name=csrf]").value();
    b.script("arguments[0].querySelectorAll('input[name=csrf]').forEach(e => e.remove());", &[b.find("form#voucher-create").arg()]);
    b.submit("form#voucher-create");
    assert_eq!(b.status(), 403, "a form without its CSRF token\n{}", b.page_excerpt());
    b.screenshot("csrf-refused");
    let elsewhere = format!(
        "data:text/html,<form id=f method=post action='{ADMIN}/vouchers'><input name=csrf value={token}>\
         <input name=package_id value={package}><input name=count value=5><input name=batch value=forged2>\
         <button type=submit>go</button></form>"
    );
    b.goto(&elsewhere);
    b.submit("form#f");
    println!("a post from another origin: status {}, {}", b.status(), b.url());
    b.screenshot("csrf-other-origin");
    assert!(
        b.url().ends_with("/login") || b.status() == 403,
        "a post from another origin should meet the login page or a 403, met {} ({})\n{}",
        b.url(),
        b.status(),
        b.page_excerpt()
    );
    assert_eq!(vouchers_now(), before, "forged posts created vouchers");

    // The first QR's URL, opened on a phone in the hotspot: code filled in, one tap, online.
    assert_captive(&lab, 1, "before the voucher");
    let p = phone(&lab, 1, test, None);
    p.goto(&format!("{PORTAL_BASE}/v/{}", codes[0]));
    assert_eq!(p.find("input#voucher").value(), codes[0], "the splash has the code filled in");
    p.screenshot("splash-voucher-filled");
    p.submit("form:has(input#voucher)");
    p.screenshot("splash-after-voucher");
    assert_online(&lab, 1, "after submitting the QR code's voucher");
}

/// The operator extends a logged-in customer's account and kicks a device, and the lab
/// (real nft) shows both; a form posted without its CSRF token changes nothing; a hotspot
/// client cannot open the admin port.
#[test]
fn operator_extends_and_kicks_a_customer() {
    let test = "customers";
    let Some(lab) = admin_lab(2, Vec::new()) else { return };
    let package = lab.package_add("1 hour", 3600, &["--price", "20"]);
    lab.cli(&["user", "add", "--package", &package, "--username", "amina", "--password", "siri-yangu", "--phone", "0712345678"]);
    let r = lab::portal::api_login_user(&lab, 1, "amina", "siri-yangu");
    assert_eq!(r.status, 200, "amina logs in: {}", lab::portal::describe(&r));
    assert_online(&lab, 1, "amina");
    let codes = lab.vouchers(&package, 1);
    login_ok(&lab, 2, &codes[0]);
    let mac = lab.client_mac(1);

    // The admin port is closed to hotspot clients, logged in or not.
    for (n, host) in [(1, ROUTER_WAN_IP), (1, lab::PORTAL_IP), (2, ROUTER_WAN_IP)] {
        let probe = lab.client_tcp(n, host, ADMIN_PORT, 2.0);
        assert!(!matches!(probe, TcpProbe::Open(_)), "client {n} reached the admin on {host}:{ADMIN_PORT}");
    }

    let b = operator(&lab, test);
    log_in(&b);
    open(&b, "/customers?q=amina", "customers");
    assert!(b.page_text().contains("amina"), "search finds amina\n{}", b.page_excerpt());
    b.screenshot("customers");

    // Extend by an hour: her device's time left grows by about that.
    open(&b, "/customers/amina", "customer");
    b.screenshot("customer");
    let before = seconds_left(&lab, &mac);
    b.find("form#extend input[name=mb]");
    b.fill("form#extend input[name=minutes]", "60");
    b.submit("form#extend");
    let after = seconds_left(&lab, &mac);
    assert!(after >= before + 3500, "extending by 60 minutes: {before} s left before, {after} s after");

    // The same form without its CSRF token is refused and changes nothing.
    open(&b, "/customers/amina", "customer");
    b.fill("form#extend input[name=minutes]", "600");
    b.script("arguments[0].querySelectorAll('input[name=csrf]').forEach(e => e.remove());", &[b.find("form#extend").arg()]);
    b.submit("form#extend");
    assert_eq!(b.status(), 403, "a form without its token\n{}", b.page_excerpt());
    b.screenshot("csrf-refused");
    let unchanged = seconds_left(&lab, &mac);
    assert!(unchanged <= after, "the refused form changed the time left: {after} → {unchanged}");

    // The audit on the System page has the extension (who, what), not the refused one.
    open(&b, "/system", "system");
    let audit = b.page_text();
    assert!(audit.contains("minutes=60"), "the extension is in the audit:\n{audit}");
    assert!(!audit.contains("minutes=600"), "the refused form is not in the audit as a change:\n{audit}");

    // Kick her device from the devices page: it is captive again at once.
    open(&b, "/devices", "devices");
    b.screenshot("devices");
    b.emulate_phone(390, 844);
    open(&b, "/devices", "devices");
    b.screenshot("phone-devices");
    let (content, viewport) = b.widths();
    assert!(content <= viewport + 1.0, "the devices table on a phone: {content} px wide on a {viewport} px screen");
    b.emulate_phone(1280, 900);
    b.submit(&format!("tr[data-mac='{mac}'] form.kick"));
    b.find("main");
    assert_captive(&lab, 1, "after the operator kicked it");
    assert_online(&lab, 2, "the other device, not kicked");
    assert!(b.try_find(&format!("tr[data-mac='{mac}']")).is_none(), "the kicked device is still listed");
}

/// The operator's other pages, each kept as a screenshot, with the language switch; the
/// settings (venue name, logo upload) brand the splash a phone sees.
#[test]
fn every_admin_page_opens() {
    let test = "pages";
    let Some(lab) = admin_lab(1, Vec::new()) else { return };
    let package = lab.package_add("1 hour", 3600, &["--price", "20"]);
    let b = operator(&lab, test);
    log_in(&b);
    let mut missing = Vec::new();
    for (path, name) in [
        ("/", "dashboard"),
        ("/devices", "devices"),
        ("/customers", "customers"),
        ("/payments", "payments"),
        ("/vouchers", "vouchers"),
        ("/packages", "packages"),
        (&format!("/packages/{package}") as &str, "package"),
        ("/settings", "settings"),
        ("/system", "system"),
    ] {
        b.goto(&admin_url(path));
        let shot = if name == "package" { "package-edit" } else { name };
        b.screenshot(shot);
        if b.try_find(&format!("main#page-{name}")).is_none() || b.status() != 200 {
            missing.push(format!("{path} (status {}, no main#page-{name})", b.status()));
        }
        if b.try_find("a.lang-en").is_none() || b.try_find("a.lang-sw").is_none() {
            missing.push(format!("{path} (no language switch a.lang-en / a.lang-sw)"));
        }
    }
    assert!(missing.is_empty(), "admin pages missing or failing: {missing:?}");

    // On a phone (390 px) the pages fit the screen's width.
    b.emulate_phone(390, 844);
    let mut too_wide = Vec::new();
    for (path, name) in [("/", "dashboard"), ("/devices", "devices"), ("/customers", "customers"), ("/payments", "payments"), ("/vouchers", "vouchers"), ("/packages", "packages"), ("/settings", "settings"), ("/system", "system")] {
        open(&b, path, name);
        b.screenshot(&format!("phone-{name}"));
        let (content, viewport) = b.widths();
        if content > viewport + 1.0 {
            too_wide.push(format!("{path}: {content} px wide on a {viewport} px screen"));
        }
    }
    assert!(too_wide.is_empty(), "pages wider than a phone: {too_wide:?}");
    b.emulate_phone(1280, 900);

    // The switch turns the admin to Swahili and back.
    open(&b, "/", "dashboard");
    let before = b.script("return performance.timeOrigin;", &[]);
    b.find("a.lang-sw").click();
    b.wait_navigated(&before);
    b.find("main#page-dashboard");
    assert_eq!(b.find("html").attr("lang").as_deref(), Some("sw"), "the admin in Swahili");
    assert!(b.page_text().contains("Mapato"), "Swahili words on the dashboard\n{}", b.page_excerpt());
    b.screenshot("dashboard-sw");
    let before = b.script("return performance.timeOrigin;", &[]);
    b.find("a.lang-en").click();
    b.wait_navigated(&before);
    assert_eq!(b.find("html").attr("lang").as_deref(), Some("en"), "and back to English");

    // Settings brand the splash: a venue name, and a logo uploaded through the file field
    // (a small PNG: a screenshot of the page's heading).
    open(&b, "/settings", "settings");
    b.fill("form#settings input[name=venue_name]", "Mama Mboga Wi-Fi");
    b.submit("form#settings");
    b.find("main#page-settings");
    let logo = b.element_screenshot(&b.find("main h1"), "logo-upload", 4.0, 1.0);
    b.find("form#logo-upload input[name=logo]").send_keys(&logo.to_string_lossy());
    b.submit("form#logo-upload");
    assert!(b.find("img#logo").prop("naturalWidth").as_u64().unwrap_or(0) > 0, "the uploaded logo shows\n{}", b.page_excerpt());
    b.screenshot("settings-branded");
    let p = phone(&lab, 1, "pages", None);
    p.goto(PORTAL_URL);
    assert!(p.page_text().contains("Mama Mboga Wi-Fi"), "the splash carries the venue's name\n{}", p.page_excerpt());
    assert!(p.find("img.logo").prop("naturalWidth").as_u64().unwrap_or(0) > 0, "the splash shows the logo");
    p.screenshot("splash-branded");
}

/// A phone that asks for Swahili gets the splash in Swahili, and the switch brings English.
#[test]
fn splash_speaks_swahili_when_asked_and_switches_back() {
    let test = "splash-language";
    let Some(lab) = Lab::up(1) else { return };
    lab.package_add("Saa moja", 3600, &["--price", "20"]);
    let p = phone(&lab, 1, test, Some("sw-KE,sw"));
    p.goto(PORTAL_URL);
    assert_eq!(p.find("html").attr("lang").as_deref(), Some("sw"), "Accept-Language sw\n{}", p.page_excerpt());
    let text = p.page_text();
    assert!(text.contains("Nunua") || text.contains("Vocha"), "Swahili words on the splash:\n{text}");
    p.screenshot("splash-sw");

    let before = p.script("return performance.timeOrigin;", &[]);
    p.find("a.lang-en").click();
    p.wait_navigated(&before);
    assert_eq!(p.find("html").attr("lang").as_deref(), Some("en"), "after the switch\n{}", p.page_excerpt());
    assert!(p.page_text().to_lowercase().contains("voucher"), "English words after the switch");
    p.screenshot("splash-en");
    let before = p.script("return performance.timeOrigin;", &[]);
    p.find("a.lang-sw").click();
    p.wait_navigated(&before);
    assert_eq!(p.find("html").attr("lang").as_deref(), Some("sw"), "and back to Swahili");
}

/// The README's first command, `hotspotd run --demo`, as a newcomer tries it: the printed
/// admin address and password open a dashboard full of sample data marked as demo. The demo
/// runs inside a lab namespace (its loopback ports 2050, 2051, 1812 collide with nobody).
#[test]
fn the_demo_shows_its_dashboard_in_a_browser() {
    let test = "demo";
    let Some(lab) = Lab::up(1) else { return };
    let dir = lab.dir().join("demo");
    std::fs::create_dir_all(&dir).expect("demo dir");
    // Its output goes to a file: a pipe read only up to the admin line would break its later
    // prints.
    let out_path = dir.join("demo.out");
    let out = std::fs::File::create(&out_path).expect("demo output file");
    let mut demo = Command::new("ip")
        .args(["netns", "exec", lab.client_ns(1), env!("CARGO_BIN_EXE_hotspotd"), "run", "--demo"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .expect("start hotspotd run --demo");
    let mut said = String::new();
    let mut admin = None;
    wait_until(Duration::from_secs(20), Duration::from_millis(100), || {
        said = std::fs::read_to_string(&out_path).unwrap_or_default();
        admin = said.lines().find_map(|line| {
            let rest = line.strip_prefix("web admin: ")?;
            let url = rest.split_whitespace().next()?.trim_end_matches('/').to_string();
            Some((url, rest.split('\'').nth(1)?.to_string()))
        });
        admin.is_some()
    });
    let (url, password) = admin.unwrap_or_else(|| panic!("the demo does not print its web admin:\n{said}"));
    let b = Browser::start(test, BrowserOptions { netns: Some(lab.client_ns(1).into()), width: 1280, height: 900, ..Default::default() });
    let ready = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        b.try_goto(&format!("{url}/login")).is_ok() && b.try_find("main#page-login").is_some()
    });
    assert!(ready.is_some(), "the demo's admin did not answer at {url}");
    b.fill("form#login input#password", &password);
    b.submit("form#login");
    assert_logged_in(&b);
    b.find("main#page-dashboard");
    b.find("#demo-banner");
    let revenue = b.find("#revenue-today").text();
    assert!(revenue.chars().any(|c| c.is_ascii_digit()), "the demo's revenue today: {revenue:?}");
    b.screenshot("dashboard");
    b.goto(&format!("{}/", url.replace(":2051", ":2050")));
    b.find("input#voucher");
    b.screenshot("splash");
    drop(b);
    let _ = demo.kill();
    let _ = demo.wait();
}
