//! M-Pesa from the open Wi-Fi, as an abuser would try it: prompts on demand to any number,
//! and other people's payment pages. The real daemon on loopback with a real SQLite file and
//! the fake Daraja (harness: tests/upstream); several devices are loopback addresses
//! 127.N.0.x (tests/device: device N, MAC 02:7f:NN:00:00:00, whatever x).
//!
//! Limits under test (defaults): per device (MAC) and per phone number, one prompt open at a
//! time and five started per hour; refused with 429 + Retry-After before any row is written
//! or any call to Daraja is made.

mod device;
mod upstream;

use std::net::Ipv4Addr;
use std::time::Duration;

use serde_json::{json, Value};
use upstream::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn number(n: u32) -> String {
    format!("07{:08}", 10_000_000 + n)
}

/// `POST /api/payments/mpesa` from `from`.
fn pay_from(h: &Hotspot, from: Ipv4Addr, package: i64, phone: &str) -> device::Answer {
    device::post_json(from, h.addr, "/api/payments/mpesa", &json!({ "package_id": package, "phone": phone }).to_string())
}

fn rows(h: &Hotspot) -> i64 {
    h.count("SELECT count(*) FROM payments")
}

/// A 429 that says how long to wait, in seconds, within `range`.
fn assert_refused(answer: &device::Answer, range: std::ops::RangeInclusive<u64>, words: &str) {
    assert_eq!(answer.status, 429, "{answer:?}");
    let wait: u64 = answer.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!(range.contains(&wait), "Retry-After {wait} not in {range:?}: {answer:?}");
    let error = answer.json()["error"].as_str().unwrap().to_owned();
    assert!(error.contains(words), "{error}");
}

#[test]
fn prompts_are_limited_per_device_and_per_number_before_anything_is_written_or_sent() {
    let h = Hotspot::start("prompt-open", Options::default());
    let package = h.package("1 hour", 10, 3600);
    h.daraja.default_plan(0, None); // every prompt stays open (nobody answers)

    // The report: one address asks for 20 prompts to 20 numbers in a row. One goes out.
    let me = device::addr(1, 1);
    let answers: Vec<device::Answer> = (0..20).map(|n| pay_from(&h, me, package, &number(n))).collect();
    assert_eq!(answers[0].status, 201, "{:?}", answers[0]);
    for answer in &answers[1..] {
        assert_refused(answer, 1..=30, "still waiting");
    }
    assert_eq!((rows(&h), h.daraja.pushes().len()), (1, 1), "nothing written, nothing sent for the refused ones");

    // The same device from another address is the same device.
    assert_refused(&pay_from(&h, device::addr(1, 7), package, &number(99)), 1..=30, "this device");
    // Another device, to the number that has a prompt open: refused for the number.
    let other = device::addr(3, 1);
    assert_refused(&pay_from(&h, other, package, &number(0)), 1..=30, "that phone number");
    // …to a number of its own: goes out.
    assert_eq!(pay_from(&h, other, package, &number(50)).status, 201);
    assert_eq!((rows(&h), h.daraja.pushes().len()), (2, 2));

    // The HTML form says it on the splash page, with the same status and wait.
    let form = device::post_form(me, h.addr, "/pay", &format!("package_id={package}&phone={}", number(77)));
    assert_eq!(form.status, 429, "{form:?}");
    assert!(form.header("retry-after").is_some(), "{form:?}");
    assert!(form.body.contains("still waiting") && form.body.contains("action=\"/login\""), "{}", form.body);

    // A burst from one device at once: exactly one prompt, whatever the interleaving.
    let burst: Vec<_> = (0..12)
        .map(|n| {
            let (addr, number) = (h.addr, number(200 + n));
            std::thread::spawn(move || {
                let body = json!({ "package_id": package, "phone": number }).to_string();
                device::post_json(device::addr(4, 1 + n as u8), addr, "/api/payments/mpesa", &body).status
            })
        })
        .collect();
    let statuses: Vec<u16> = burst.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|&s| s == 201 || s == 429), "{statuses:?}");
    assert_eq!((rows(&h), h.daraja.pushes().len()), (3, 3));

    // Everyone else is served meanwhile.
    assert_eq!(device::get(device::addr(5, 1), h.addr, "/").status, 200);

    // Once the open prompt is answered, the device may try again.
    let first = h.db().query_row("SELECT checkout_request_id FROM payments WHERE id = 1", [], |r| r.get::<_, String>(0)).unwrap();
    h.daraja.resolve(&first, 1032);
    h.wait_until(secs(10), "the first prompt cancelled", || h.count("SELECT count(*) FROM payments WHERE id = 1 AND status = 'cancelled'") == 1);
    assert_eq!(pay_from(&h, me, package, &number(1)).status, 201);
}

#[test]
fn five_prompts_an_hour_per_device_and_per_number_even_across_a_restart() {
    let mut h = Hotspot::start("prompt-hourly", Options::default());
    let package = h.package("1 hour", 10, 3600);
    h.daraja.default_plan(1032, Some(0)); // each prompt is cancelled at the first query

    let pay_and_settle = |h: &Hotspot, from: Ipv4Addr, phone: &str| {
        let answer = pay_from(h, from, package, phone);
        assert_eq!(answer.status, 201, "{answer:?}");
        let token = answer.json()["id"].as_str().unwrap().to_owned();
        let pay = PaymentRef { id: h.id_of(&token), token };
        h.wait_status(&pay, "cancelled", secs(15));
    };

    // One device, five numbers (a payer who keeps cancelling): the sixth is refused.
    let me = device::addr(9, 1);
    for n in 0..5 {
        pay_and_settle(&h, me, &number(n));
    }
    let sixth = pay_from(&h, me, package, &number(5));
    assert_refused(&sixth, 3500..=3600, "too many M-Pesa prompts");
    // One number, five devices: the sixth device is refused for the number.
    for d in 1..=5 {
        pay_and_settle(&h, device::addr(d, 1), &number(100));
    }
    assert_refused(&pay_from(&h, device::addr(6, 1), package, &number(100)), 3400..=3600, "that phone number");
    let (written, sent) = (rows(&h), h.daraja.pushes().len());
    assert_eq!((written, sent), (10, 10));

    // Counted from the database: a restart forgets nothing.
    h.restart();
    assert_refused(&pay_from(&h, device::addr(9, 9), package, &number(6)), 3400..=3600, "too many M-Pesa prompts");
    assert_refused(&pay_from(&h, device::addr(7, 1), package, &number(100)), 3400..=3600, "that phone number");
    assert_eq!((rows(&h), h.daraja.pushes().len()), (written, sent));
    // Others still pay.
    pay_and_settle(&h, device::addr(8, 1), &number(300));
}

/// The report: a second address counted `GET /api/payments/1, 2, 3…` and read the first
/// payer's username and password. Now a payment's pages are named by a random token; old
/// numeric URLs are gone (404); a device that is not the payer sees the status but never the
/// credentials, even with the token.
#[test]
fn payment_pages_are_reached_by_their_token_and_only_the_payer_sees_the_login() {
    let h = Hotspot::start("payment-pages", Options::default());
    let package = h.package("1 hour", 10, 3600);
    h.daraja.plan(0, Some(0));
    let payer = device::addr(6, 1);
    let started = pay_from(&h, payer, package, PHONE);
    assert_eq!(started.status, 201, "{started:?}");
    let token = started.json()["id"].as_str().unwrap().to_owned();
    assert!(token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    let mut polls = 0;
    let password = loop {
        let answer = device::get(payer, h.addr, &format!("/api/payments/{token}")).json();
        if let Some(password) = answer["password"].as_str() {
            break password.to_owned();
        }
        polls += 1;
        assert!(polls < 200, "not set up: {answer}\n{}", h.log_tail(30));
        std::thread::sleep(Duration::from_millis(100));
    };

    // A second device counting ids gets nothing: no page, no JSON, for any id.
    let snoop = device::addr(2, 1);
    for id in 0..=5 {
        for path in [format!("/api/payments/{id}"), format!("/pay/{id}")] {
            let answer = device::get(snoop, h.addr, &path);
            assert_eq!(answer.status, 404, "{path}: {answer:?}");
            assert!(!answer.body.contains(MSISDN) && !answer.body.contains(&password), "{path}: {answer:?}");
        }
    }
    // Nor does a guessed token.
    let guessed = device::get(snoop, h.addr, &format!("/api/payments/{}", "0".repeat(32)));
    assert_eq!(guessed.status, 404, "{guessed:?}");

    // With the token (a shared link), the status, but not the login.
    for path in [format!("/api/payments/{token}"), format!("/pay/{token}")] {
        let answer = device::get(snoop, h.addr, &path);
        assert_eq!(answer.status, 200, "{path}: {answer:?}");
        assert!(!answer.body.contains(&password), "{path}: another device sees the password: {}", answer.body);
        assert!(!answer.body.contains(MSISDN), "{path}: another device sees the username: {}", answer.body);
        assert!(!answer.body.contains("This device is online"), "{path}: {}", answer.body);
    }
    let json: Value = device::get(snoop, h.addr, &format!("/api/payments/{token}")).json();
    assert_eq!(json["status"], "confirmed", "{json}");
    assert!(json.get("username").is_none() && json.get("password").is_none(), "{json}");

    // The payer, from any of its addresses, sees its login on both pages.
    for from in [payer, device::addr(6, 2)] {
        let mine = device::get(from, h.addr, &format!("/api/payments/{token}")).json();
        assert_eq!((mine["username"].as_str(), mine["password"].as_str()), (Some(MSISDN), Some(password.as_str())), "{mine}");
        let page = device::get(from, h.addr, &format!("/pay/{token}"));
        assert!(page.body.contains(&password) && page.body.contains("This device is online"), "{}", page.body);
    }
    // The form sends the payer to the token's page.
    h.daraja.plan(1032, Some(0));
    let form = device::post_form(payer, h.addr, "/pay", &format!("package_id={package}&phone={PHONE}"));
    assert_eq!(form.status, 303, "{form:?}");
    let location = form.header("location").unwrap();
    let form_token = location.strip_prefix("/pay/").unwrap_or_else(|| panic!("{location}"));
    assert!(form_token.len() == 32 && form_token != token, "{location}");
    assert_eq!(device::get(payer, h.addr, location).status, 200);
}

/// The limit queries read a device's and a number's newest rows through an index, so they
/// stay cheap however many payments the router has seen. (Our SQLite is built without
/// EXPLAIN; Python's is not: it plans the daemon's own queries on the daemon's database.)
#[test]
fn the_limit_queries_use_an_index() {
    let h = Hotspot::start("prompt-index", Options::default());
    let script = "import sqlite3, sys\n\
                  db = sqlite3.connect(sys.argv[1])\n\
                  for sql in sys.argv[2:]:\n    print(' / '.join(r[-1] for r in db.execute('EXPLAIN QUERY PLAN ' + sql, ('k', 0, 1, 5))))\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&h.db_path)
        .args([hotspotd::store::payments::RECENT_PROMPTS_OF_DEVICE, hotspotd::store::payments::RECENT_PROMPTS_OF_NUMBER])
        .output()
        .expect("python3");
    let plans = String::from_utf8_lossy(&out.stdout);
    let plans: Vec<&str> = plans.lines().collect();
    assert_eq!(plans.len(), 2, "{plans:?} {}", String::from_utf8_lossy(&out.stderr));
    assert!(plans[0].contains("USING INDEX payments_mac (mac=? AND created_at>? AND created_at<?)"), "{}", plans[0]);
    assert!(plans[1].contains("USING INDEX payments_phone (phone=? AND created_at>? AND created_at<?)"), "{}", plans[1]);
    assert!(!plans.iter().any(|p| p.contains("TEMP B-TREE")), "no sort: {plans:?}");
}
