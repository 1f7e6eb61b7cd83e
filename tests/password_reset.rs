//! "Forgot my password" from the open Wi-Fi, where anyone may type a customer's number: the
//! real daemon on loopback with the fake Daraja and the fake SMS gateway (tests/upstream),
//! devices as loopback addresses (tests/device: 127.N.0.x is device N).
//!
//! A reset sends a new password that works beside the old one until it is first used; the
//! requests are limited per device (MAC, whatever its address) and per number.

mod device;
mod upstream;

use std::time::Duration;

use serde_json::{json, Value};
use upstream::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The customer: paid from this machine (device 0); the password of the purchase SMS.
fn customer(h: &Hotspot) -> String {
    let out = h.cli(&["package", "add", "--name", "1 day", "--price", "20", "--duration", "86400", "--devices", "10"]);
    let package: i64 = out.trim().parse().unwrap();
    h.daraja.plan(0, Some(0));
    let pay = h.pay_ok(package, PHONE);
    h.wait_payment(&pay, secs(20), "set up", |p| p["password"].is_string())["password"].as_str().unwrap().to_owned()
}

fn sms_count(h: &Hotspot, n: usize) -> Vec<Value> {
    h.wait_until(secs(20), &format!("{n} SMS"), || h.sms.delivered().len() >= n);
    std::thread::sleep(Duration::from_millis(1500));
    let delivered = h.sms.delivered();
    assert_eq!(delivered.len(), n, "{delivered:#?}");
    delivered
}

fn forgot(h: &Hotspot, device: u8, address: u8, phone: &str) -> device::Answer {
    device::post_json(device::addr(device, address), h.addr, "/api/hotspot/forgot-password", &json!({ "phone": phone }).to_string())
}

/// Logs in as the customer from `device`.
fn login(h: &Hotspot, device: u8, password: &str) -> u16 {
    let body = json!({ "username": MSISDN, "password": password }).to_string();
    device::post_json(device::addr(device, 1), h.addr, "/api/hotspot/login", &body).status
}

#[test]
fn a_reset_someone_else_asked_for_does_not_lock_the_customer_out() {
    let h = Hotspot::start("reset-pending", Options::default());
    let old = customer(&h);
    sms_count(&h, 1);

    // A stranger (device 7) who knows the number asks for a new password, twice.
    assert_eq!(forgot(&h, 7, 1, PHONE).status, 200);
    let first_reset = password_in(sms_count(&h, 2)[1]["message"].as_str().unwrap()).unwrap();
    // The customer's password still works, on any of their devices, as often as they like.
    for device in [1, 2, 1] {
        assert_eq!(login(&h, device, &old), 200, "device {device}");
    }
    // A second reset replaces the first new password (only the newest SMS counts); the old
    // password still works.
    assert_eq!(forgot(&h, 7, 1, PHONE).status, 200);
    let second_reset = password_in(sms_count(&h, 3)[2]["message"].as_str().unwrap()).unwrap();
    assert_eq!(login(&h, 3, &first_reset), 401, "a superseded reset password");
    assert_eq!(login(&h, 3, &old), 200);
    // The customer, holding the SMS, uses the new password: now it is the password, and the
    // old one is retired.
    assert_eq!(login(&h, 4, &second_reset), 200);
    assert_eq!(login(&h, 5, &old), 401, "the old password after the new one was used");
    assert_eq!(login(&h, 5, &second_reset), 200);
    let pending: Option<String> =
        h.db().query_row("SELECT pending_password_hash FROM hotspot_users", [], |r| r.get(0)).unwrap();
    assert_eq!(pending, None);
}

#[test]
fn reset_requests_are_limited_per_device_and_per_number() {
    let h = Hotspot::start("reset-limits", Options::default());
    let _old = customer(&h);
    sms_count(&h, 1);

    // Per device: three requests in ten minutes, whatever addresses it uses (numbers without
    // an account count too: the device cannot tell them apart, and neither may we answer
    // differently).
    for address in 1..=3 {
        let answer = forgot(&h, 8, address, &format!("07990000{address:02}"));
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    let refused = forgot(&h, 8, 4, PHONE);
    assert_eq!(refused.status, 429, "{refused:?}");
    let wait: u64 = refused.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((500..=600).contains(&wait), "{refused:?}");
    assert!(refused.json()["error"].as_str().unwrap().contains("Too many password requests"), "{refused:?}");
    // The HTML form says the same.
    let form = device::post_form(device::addr(8, 5), h.addr, "/forgot", &format!("phone={PHONE}"));
    assert_eq!(form.status, 429, "{form:?}");
    assert!(form.header("retry-after").is_some() && form.body.contains("Too many password requests"), "{}", form.body);
    assert_eq!(h.sms.delivered().len(), 1, "no SMS for numbers without an account, none once refused");

    // Per number: three new passwords an hour (the purchase's counts), whoever asks. Every
    // device gets the same answer; the SMS stop.
    for device in 10..15 {
        let answer = forgot(&h, device, 1, PHONE);
        assert_eq!(answer.status, 200, "{answer:?}");
        assert!(answer.json()["message"].as_str().unwrap().contains("on its way"), "{answer:?}");
    }
    sms_count(&h, 3);
}

#[test]
fn the_sms_is_written_in_the_operators_language() {
    let h = Hotspot::start("reset-swahili", Options::default());
    // The operator picks Swahili while the daemon runs: the next SMS reads it as it goes out.
    let conn = rusqlite::Connection::open(&h.db_path).unwrap();
    conn.busy_timeout(secs(10)).unwrap();
    conn.execute("INSERT INTO settings (key, value) VALUES ('default_language', 'sw')", []).unwrap();
    drop(conn);
    customer(&h);
    let delivered = sms_count(&h, 1);
    let message = delivered[0]["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("Akaunti yako ya Wi-Fi\nJina: {MSISDN}\nNenosiri: ")), "{message}");
    assert!(message.contains("\nMuda: siku 1"), "{message}");
    assert!(message.chars().count() <= 160 && message.is_ascii(), "one GSM-7 segment: {message:?}");
    let password = message.split_whitespace().skip_while(|w| *w != "Nenosiri:").nth(1).unwrap().to_owned();
    assert_eq!(login(&h, 1, &password), 200, "the password in the Swahili SMS works");

    // A new password asked for from the portal comes in Swahili too.
    assert_eq!(forgot(&h, 2, 1, PHONE).status, 200);
    let reset = sms_count(&h, 2)[1]["message"].as_str().unwrap().to_owned();
    assert!(reset.starts_with("Akaunti yako ya Wi-Fi\nJina: "), "{reset}");
}

#[test]
fn the_sms_speaks_the_language_of_the_page_that_paid_or_asked() {
    let h = Hotspot::start("reset-language", Options::default());
    let out = h.cli(&["package", "add", "--name", "1 day", "--price", "20", "--duration", "86400", "--devices", "10"]);
    let package: i64 = out.trim().parse().unwrap();
    h.daraja.plan(0, Some(0));
    // Paid from a phone whose browser asks for Swahili: the login comes in Swahili.
    let body = json!({ "package_id": package, "phone": PHONE }).to_string();
    let paid = device::request(device::addr(1, 1), h.addr, "POST", "/api/payments/mpesa", &["Accept-Language: sw-KE,sw;q=0.9"], Some(("application/json", &body)));
    assert_eq!(paid.status, 201, "{paid:?}");
    let first = sms_count(&h, 1)[0]["message"].as_str().unwrap().to_owned();
    assert!(first.contains("Akaunti yako ya Wi-Fi") && first.contains("Nenosiri: "), "{first}");
    // A reset asked with no language preference: the operator's default (English) as it goes out.
    assert_eq!(forgot(&h, 2, 1, PHONE).status, 200);
    let second = sms_count(&h, 2)[1]["message"].as_str().unwrap().to_owned();
    assert!(second.contains("Your Wi-Fi login") && password_in(&second).is_some(), "{second}");
    // One asked after choosing Swahili with the switch (its cookie).
    let asked = device::request(device::addr(3, 1), h.addr, "POST", "/api/hotspot/forgot-password", &["Cookie: lang=sw"], Some(("application/json", &json!({ "phone": PHONE }).to_string())));
    assert_eq!(asked.status, 200, "{asked:?}");
    let third = sms_count(&h, 3)[2]["message"].as_str().unwrap().to_owned();
    assert!(third.contains("Akaunti yako ya Wi-Fi"), "{third}");
}
