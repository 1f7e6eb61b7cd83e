//! Paying with M-Pesa in the network-namespace lab, as a phone user lives it: the router
//! (real nft) reaches "Daraja" — scripts/fake-daraja.py running on the internet host — over
//! its uplink; the phone pays from the splash page and is online without typing anything;
//! the credentials it was shown log a second device in.

mod lab;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lab::portal::*;
use lab::{wait_until, Lab, LabOptions, INTERNET_IP, PORTAL_URL};
use serde_json::Value;

const DARAJA_PORT: u16 = 8000;
const KEY: &str = "lab-key";
const SECRET: &str = "lab-secret";
const PASSKEY: &str = "lab-passkey";

/// The fake Daraja inside the internet namespace; killed on drop.
struct FakeDaraja(Child);

impl Drop for FakeDaraja {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_fake_daraja(lab: &Lab) -> FakeDaraja {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fake-daraja.py");
    let port = DARAJA_PORT.to_string();
    let mut child = Command::new("ip")
        .args(["netns", "exec", lab.internet_ns(), "python3", script, "--bind", INTERNET_IP, "--port", &port])
        .args(["--consumer-key", KEY, "--consumer-secret", SECRET, "--shortcode", "174379", "--passkey", PASSKEY])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start fake-daraja.py");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on"), "fake Daraja did not start: {line:?}");
    FakeDaraja(child)
}

/// Tells the fake (from inside the internet namespace) how the next prompt ends.
fn plan_next_push(lab: &Lab, plan: &str) {
    let url = format!("http://{INTERNET_IP}:{DARAJA_PORT}/_fake/plan");
    let out = Command::new("ip")
        .args(["netns", "exec", lab.internet_ns(), "curl", "-sf", "--max-time", "5", "-d", plan, &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "fake plan failed");
}

#[test]
fn paying_puts_the_device_online_without_typing() {
    let mpesa = [
        "config mpesa 'mpesa'".to_string(),
        "option enabled '1'".into(),
        format!("option base_url 'http://{INTERNET_IP}:{DARAJA_PORT}'"),
        format!("option consumer_key '{KEY}'"),
        format!("option consumer_secret '{SECRET}'"),
        "option shortcode '174379'".into(),
        format!("option passkey '{PASSKEY}'"),
        "option poll_interval '1'".into(),
    ];
    let Some(lab) = Lab::with(LabOptions { clients: 2, extra_config: mpesa.to_vec(), ..LabOptions::default() }) else { return };
    let _daraja = start_fake_daraja(&lab);
    let package = lab.package_add("Day pass", 86_400, &["--price", "20", "--devices", "2"]);
    plan_next_push(&lab, r#"{"result_code": 0, "after_queries": 1}"#);
    assert_captive(&lab, 1, "before paying");

    // The splash page offers M-Pesa; the phone submits the form like a browser.
    let splash = lab.client_http(1, &[PORTAL_URL]);
    assert!(splash.body.contains("action=\"/pay\""), "no M-Pesa form on the splash page");
    let r = form_post(&lab, 1, &format!("{PORTAL_URL}pay"), &[("package_id", &package), ("phone", "0712 345 678")]);
    assert_eq!(r.status, 303, "paying: {}", describe(&r));
    let page_url = format!("{PORTAL_URL}{}", r.header("location").expect("Location").trim_start_matches('/'));
    let waiting = lab.client_http(1, &[&page_url]);
    assert!(waiting.body.contains("M-Pesa PIN"), "the payment page should ask for the PIN: {}", describe(&waiting));
    assert!(waiting.body.contains("http-equiv=\"refresh\""), "the payment page must refresh itself");

    // Nothing typed: the page turns to "Paid!" and the device is online.
    let paid = wait_until(Duration::from_secs(20), Duration::from_millis(300), || {
        lab.client_http(1, &[&page_url]).body.contains("Paid!")
    });
    assert!(paid.is_some(), "the payment was not confirmed: {}", lab.daemon_log());
    assert_online(&lab, 1, "the paying device, without logging in");
    let v = check_session(&lab, 1);
    assert_eq!(v["username"], Value::String("254712345678".into()), "{v}");
    assert!(v["seconds_remaining"].as_i64().unwrap() > 86_000, "{v}");

    // The paying device is shown its credentials; another device is not.
    let api = format!("{PORTAL_URL}api/payments/{}", page_url.rsplit('/').next().unwrap());
    let mine = json(&lab.client_http(1, &[&api]), "payment status");
    let password = mine["password"].as_str().expect("the payer sees the password").to_string();
    let theirs = json(&lab.client_http(2, &[&api]), "payment status (other device)");
    assert!(theirs.get("password").is_none(), "another device must not see the password: {theirs}");

    // With them, a second device of the payer gets online (the package allows two).
    assert_captive(&lab, 2, "second device before logging in");
    let r = api_login_user(&lab, 2, "254712345678", &password);
    assert_eq!(r.status, 200, "second device login: {}", describe(&r));
    assert_online(&lab, 2, "second device with the paid account");
}
