//! "Pay with M-Pesa" end to end, as a payer and an operator see it: the real daemon binary
//! on loopback with a real SQLite file, `scripts/fake-daraja.py` as Daraja and
//! `scripts/fake-sms.py` as Africa's Talking (harness: tests/upstream/mod.rs). The paying
//! client is 127.0.0.1, whose MAC the daemon takes as 00:00:00:00:00:00, so being logged
//! in after paying shows in `POST /api/hotspot/check-session`.
//!
//! Each test starts its own fakes and daemon on free ports. Needs `python3`.

mod upstream;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use upstream::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Waits for `n` SMS accepted by the gateway, then checks no more arrive for a moment.
fn exactly_sms(h: &Hotspot, n: usize) -> Vec<Value> {
    h.wait_until(secs(20), &format!("{n} SMS delivered"), || h.sms.delivered().len() >= n);
    std::thread::sleep(Duration::from_millis(1500));
    let delivered = h.sms.delivered();
    assert_eq!(delivered.len(), n, "{delivered:#?}");
    delivered
}

/// How many accounts, credential rows and account-job runs ("account … ready") exist.
fn accounts(h: &Hotspot) -> i64 {
    h.count("SELECT count(*) FROM hotspot_users")
}

fn account_jobs_run(h: &Hotspot, payment_id: i64) -> usize {
    h.log().matches(&format!("payment {payment_id}: account ")).count()
}

/// Waits until the payment is confirmed and its account is made (the payer's answer).
fn wait_paid(h: &Hotspot, pay: &PaymentRef) -> Value {
    h.wait_status(pay, "confirmed", secs(15));
    h.wait_payment(pay, secs(10), "set up", |p| p["username"].is_string())
}

#[test]
fn a_confirmed_payment_logs_the_payer_in_shows_the_password_and_sends_one_sms() {
    let h = Hotspot::start("success", Options::default());
    let package = h.package("1 hour", 10, 3600);
    assert_eq!(h.check_session()["active"], false);
    h.daraja.plan(0, Some(1));

    let (status, answer) = h.pay(package, PHONE);
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["status"], "pending");
    assert!(answer["message"].as_str().unwrap().contains("M-Pesa PIN"), "{answer}");
    // The id to poll is the payment's view token, not its row id.
    let token = answer["id"].as_str().expect("a token").to_owned();
    assert_eq!(token.len(), 32, "{answer}");
    let pay = PaymentRef { id: h.id_of(&token), token };
    let id = pay.id;

    // The prompt Daraja got: the package's price, the payer's number, no callback URL of ours.
    let pushes = h.daraja.pushes();
    assert_eq!(pushes.len(), 1);
    let push = &pushes[0]["request"];
    assert_eq!((push["Amount"].as_i64(), push["PhoneNumber"].as_str()), (Some(10), Some(MSISDN)), "{push}");
    assert!(pushes[0]["callback_url"].as_str().unwrap().starts_with("https://callback.invalid/"), "{}", pushes[0]);

    let paid = wait_paid(&h, &pay);
    assert_eq!(paid["message"], "Paid! This device is online.", "{paid}");
    assert_eq!(paid["username"], MSISDN, "the account is the phone number: {paid}");
    let password = paid["password"].as_str().expect("the paying device is shown its password").to_owned();
    assert!(password.len() >= 6, "{paid}");

    // Online without typing anything.
    let session = h.check_session();
    assert_eq!(session["active"], true, "{session}");
    assert_eq!(session["username"], MSISDN);
    let left = session["seconds_remaining"].as_i64().unwrap();
    assert!((3500..=3600).contains(&left), "{session}");

    // Exactly one SMS, to the payer, with the username and the password.
    let sms = exactly_sms(&h, 1);
    assert_eq!(sms[0]["to"], "+254712345678", "{}", sms[0]);
    let text = sms[0]["message"].as_str().unwrap();
    assert!(text.contains(MSISDN), "{text}");
    assert_eq!(password_in(text).as_deref(), Some(password.as_str()), "{text}");

    // Once sent, the plaintext is gone from the database…
    h.wait_jobs_done(secs(10));
    let db = h.db();
    let (cred_status, plain, wiped, cred_payment): (String, Option<String>, Option<i64>, Option<i64>) = db
        .query_row("SELECT status, password_plain, wiped_at, payment_id FROM hotspot_credentials", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!((cred_status.as_str(), plain, wiped.is_some(), cred_payment), ("sent", None, true, Some(id)));
    // …while the paying device, back on its payment page, still sees its new login.
    let again = h.payment(&pay);
    assert_eq!(again["password"].as_str(), Some(password.as_str()), "{again}");
    let page = hotspotd::http_client::HttpClient::new(secs(5)).get(&format!("http://{}/pay/{}", h.addr, pay.token), &[]).unwrap();
    assert!(page.body.contains(&password) && page.body.contains(MSISDN), "{}", page.body);

    // One account, made by the payment, with the package's time; the payment points at it.
    let (user_id, username, source, duration): (i64, String, String, i64) = db
        .query_row("SELECT id, username, source, duration_secs FROM hotspot_users", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!((username.as_str(), source.as_str(), duration), (MSISDN, "payment", 3600));
    assert_eq!(accounts(&h), 1);
    let (pay_status, pay_user): (String, Option<i64>) =
        db.query_row("SELECT status, user_id FROM payments WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((pay_status.as_str(), pay_user), ("confirmed", Some(user_id)));
    assert_eq!(h.count("SELECT count(*) FROM failed_jobs"), 0, "{}", h.jobs());

    // The password works for the payer's other devices.
    let (status, login) =
        h.post("/api/hotspot/login", &json!({ "username": MSISDN, "password": password }).to_string());
    assert_eq!(status, 200, "{login}");
    // The operator sees it too.
    let listed = h.cli(&["payments"]);
    assert!(listed.contains("confirmed") && listed.contains(MSISDN), "{listed}");
}

#[test]
fn declined_prompts_fail_with_the_payers_reason_and_create_nothing() {
    let h = Hotspot::start("declined", Options::default());
    let package = h.package("1 hour", 10, 3600);
    let cases = [
        (1032, "cancelled", "cancelled", "You cancelled the M-Pesa prompt"),
        (2001, "failed", "wrong_pin", "PIN was wrong"),
        (1, "failed", "insufficient_funds", "balance is too low"),
    ];
    for (code, status, reason, words) in cases {
        h.daraja.plan(code, Some(1));
        let pay = h.pay_ok(package, PHONE);
        let id = pay.id;
        let answer = h.wait_status(&pay, status, secs(15));
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(words), "result {code}: {answer}");
        assert!(message.contains("No money was taken"), "result {code}: {answer}");
        assert_eq!(answer["reason"], reason, "{answer}");
        assert!(answer.get("username").is_none() && answer.get("password").is_none(), "{answer}");
        let code_stored: String =
            h.db().query_row("SELECT result_code FROM payments WHERE id = ?1", [id], |r| r.get(0)).unwrap();
        assert_eq!(code_stored, code.to_string());
    }
    // Nothing was bought: no account, no credentials, no SMS, not online.
    std::thread::sleep(secs(1));
    assert_eq!(accounts(&h), 0);
    assert_eq!(h.count("SELECT count(*) FROM hotspot_credentials"), 0);
    assert_eq!(h.count("SELECT count(*) FROM jobs WHERE kind IN ('CreateHotspotUser', 'SendCredentialsSms')"), 0);
    assert!(h.sms.requests().is_empty());
    assert_eq!(h.check_session()["active"], false);
    let listed = h.cli(&["payments"]);
    for reason in ["cancelled", "wrong_pin", "insufficient_funds"] {
        assert!(listed.contains(reason), "{listed}");
    }
}

#[test]
fn a_prompt_answered_late_is_confirmed_by_polling_alone() {
    let h = Hotspot::start("polling", Options::default());
    let package = h.package("1 hour", 10, 3600);
    h.daraja.plan(0, Some(3)); // "being processed" three times, then paid
    let started = Instant::now();
    let pay = h.pay_ok(package, PHONE);
    // While the payer has not answered, the page says to enter the PIN.
    std::thread::sleep(Duration::from_millis(1500));
    let waiting = h.payment(&pay);
    assert_eq!(waiting["status"], "pending", "{waiting}");
    assert!(waiting["message"].as_str().unwrap().contains("enter your M-Pesa PIN to pay KES 10"), "{waiting}");
    assert_eq!(h.check_session()["active"], false);

    let paid = wait_paid(&h, &pay);
    assert!(started.elapsed() >= secs(2), "answered after three 1 s polls, not {:?}", started.elapsed());
    assert_eq!(paid["username"], MSISDN);
    assert!(h.daraja.stats()["queries"].as_i64().unwrap() >= 4, "{}", h.daraja.stats());
    assert!(h.daraja.pushes()[0]["callback_url"].as_str().unwrap().starts_with("https://callback.invalid/"));
    assert_eq!(h.check_session()["active"], true);
    exactly_sms(&h, 1);
    assert_eq!(accounts(&h), 1);
}

#[test]
fn a_callback_confirms_at_once_without_waiting_for_the_poll() {
    // Polls a minute apart: only the callback can make this quick.
    let h = Hotspot::start("callback", Options { callbacks: true, poll_interval: 60, ..Options::default() });
    let package = h.package("1 hour", 10, 3600);
    h.daraja.plan(0, None); // pending until the callback
    let pay = h.pay_ok(package, PHONE);
    let id = pay.id;
    let token = h.token_of(id);
    let push = &h.daraja.pushes()[0];
    assert_eq!(push["callback_url"], format!("http://{}/api/payments/callback/{token}", h.addr), "{push}");
    std::thread::sleep(secs(2));
    assert_eq!(h.payment(&pay)["status"], "pending");

    let sent = Instant::now();
    let delivery = h.daraja.callback(&h.checkout_of(id), 0, json!({ "receipt": "QCB4XY7Z1A" }));
    assert_eq!((delivery["delivered"].as_bool(), delivery["status"].as_u64()), (Some(true), Some(200)), "{delivery}");
    assert!(delivery["body"].as_str().unwrap().contains("Accepted"), "{delivery}");
    let paid = wait_paid(&h, &pay);
    assert!(sent.elapsed() < secs(5), "confirmed {:?} after the callback", sent.elapsed());
    assert_eq!(paid["receipt"], "QCB4XY7Z1A", "the receipt the callback reported: {paid}");
    assert_eq!(h.check_session()["active"], true);
    exactly_sms(&h, 1);
    assert_eq!(accounts(&h), 1);
}

#[test]
fn a_callback_ahead_of_the_query_credits_only_once_the_query_agrees() {
    let h = Hotspot::start("early-callback", Options { callbacks: true, ..Options::default() });
    let package = h.package("1 hour", 10, 3600);
    h.daraja.plan(0, None);
    let pay = h.pay_ok(package, PHONE);
    let id = pay.id;
    let checkout = h.checkout_of(id);
    // The callback says "paid" while the query API still says "being processed".
    let delivery = h.daraja.callback(&checkout, 0, json!({ "resolve": false, "receipt": "QEA1RL2Y3C" }));
    assert!(delivery["body"].as_str().unwrap().contains("Accepted"), "{delivery}");
    let queries_before = h.daraja.stats()["queries"].as_i64().unwrap();
    let until = Instant::now() + secs(3);
    while Instant::now() < until {
        let p = h.payment(&pay);
        assert_eq!(p["status"], "pending", "credited on the callback's word alone: {p}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(h.daraja.stats()["queries"].as_i64().unwrap() >= queries_before + 2, "kept asking");
    let (status, receipt): (String, Option<String>) = h
        .db()
        .query_row("SELECT status, callback_receipt FROM payments WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((status.as_str(), receipt.as_deref()), ("pending", Some("QEA1RL2Y3C")));
    assert_eq!(accounts(&h), 0);
    assert_eq!(h.check_session()["active"], false);

    // Now the query says paid: credited, once.
    h.daraja.resolve(&checkout, 0);
    let paid = wait_paid(&h, &pay);
    assert_eq!(paid["receipt"], "QEA1RL2Y3C", "{paid}");
    exactly_sms(&h, 1);
    h.wait_jobs_done(secs(10));
    assert_eq!(accounts(&h), 1);
    assert_eq!(h.count(&format!("SELECT count(*) FROM hotspot_credentials WHERE payment_id = {id}")), 1);
    assert_eq!(account_jobs_run(&h, id), 1);
}

/// Daraja's callback body for a payment (what a forger would have to produce).
fn stk_callback(checkout: &str, amount: i64, phone: &str, receipt: &str) -> String {
    json!({"Body": {"stkCallback": {
        "MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": checkout,
        "ResultCode": 0, "ResultDesc": "The service request is processed successfully.",
        "CallbackMetadata": {"Item": [
            {"Name": "Amount", "Value": amount}, {"Name": "MpesaReceiptNumber", "Value": receipt},
            {"Name": "Balance"}, {"Name": "TransactionDate", "Value": 20250101120000u64},
            {"Name": "PhoneNumber", "Value": phone.parse::<u64>().unwrap()}]}}}})
    .to_string()
}

#[test]
fn forged_callbacks_change_nothing_and_the_daemon_keeps_serving() {
    let h = Hotspot::start("forged", Options { callbacks: true, ..Options::default() });
    let package = h.package("1 hour", 10, 3600);
    h.daraja.plan(0, None);
    let pay = h.pay_ok(package, PHONE);
    let id = pay.id;
    let (checkout, token) = (h.checkout_of(id), h.token_of(id));
    let at = |token: &str| format!("/api/payments/callback/{token}");
    let forgeries = [
        ("unknown CheckoutRequestID", at(&token), stk_callback("ws_CO_000000000000000001", 10, MSISDN, "QFA0000001")),
        ("wrong amount", at(&token), stk_callback(&checkout, 1, MSISDN, "QFA0000002")),
        ("wrong token", at("0123456789abcdef0123456789abcdef"), stk_callback(&checkout, 10, MSISDN, "QFA0000003")),
        ("token of another shape", at("x"), stk_callback(&checkout, 10, MSISDN, "QFA0000004")),
        ("someone else's phone", at(&token), stk_callback(&checkout, 10, "254799999999", "QFA0000005")),
        (
            "the other callback path, wrong token",
            format!("/api/payments/mpesa/callback/{}", "f".repeat(32)),
            stk_callback(&checkout, 10, MSISDN, "QFA0000006"),
        ),
    ];
    for (what, path, body) in &forgeries {
        let (status, answer) = h.post(path, body);
        assert_eq!((status, answer["ResultCode"].as_i64()), (200, Some(1)), "{what}: {answer}");
    }
    let (status, answer) = h.post(&at(&token), "{\"Body\": \"not a callback\"}");
    assert_eq!(status, 400, "malformed: {answer}");
    let (status, _) = h.post("/api/payments/callback/", &stk_callback(&checkout, 10, MSISDN, "QFA0000007"));
    assert_eq!(status, 404, "no token at all");

    // Nothing changed: still pending, no receipt recorded, no account, not online.
    std::thread::sleep(secs(2));
    let (status, receipt): (String, Option<String>) = h
        .db()
        .query_row("SELECT status, callback_receipt FROM payments WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((status.as_str(), receipt), ("pending", None));
    assert_eq!(accounts(&h), 0);
    assert_eq!(h.check_session()["active"], false);
    assert!(h.log().matches("M-Pesa callback rejected").count() >= forgeries.len(), "{}", h.log_tail(20));
    // The daemon still serves, and the real payment still goes through, once.
    let (status, packages) = h.get("/api/packages");
    assert_eq!(status, 200, "{packages}");
    h.daraja.resolve(&checkout, 0);
    let paid = wait_paid(&h, &pay);
    assert!(paid["receipt"].is_null(), "no forged receipt kept: {paid}");
    exactly_sms(&h, 1);
    assert_eq!(accounts(&h), 1);
}

#[test]
fn the_same_callback_replayed_credits_once() {
    let h = Hotspot::start("replay", Options { callbacks: true, ..Options::default() });
    let package = h.package("1 hour", 10, 3600);
    h.daraja.plan(0, None);
    let pay = h.pay_ok(package, PHONE);
    let id = pay.id;
    let checkout = h.checkout_of(id);
    // Five deliveries of the same callback, back to back (the first resolves the prompt).
    let answers: Vec<String> =
        (0..5).map(|_| h.daraja.callback(&checkout, 0, json!({}))["body"].as_str().unwrap().to_owned()).collect();
    assert!(answers[0].contains("Accepted"), "{answers:?}");
    wait_paid(&h, &pay);
    h.wait_jobs_done(secs(10));
    // And five more once credited: all turned away.
    for _ in 0..5 {
        let answer = h.daraja.callback(&checkout, 0, json!({}));
        assert!(answer["body"].as_str().unwrap().contains("Rejected"), "{answer}");
    }
    std::thread::sleep(secs(2));
    assert_eq!(accounts(&h), 1);
    let duration: i64 = h.db().query_row("SELECT duration_secs FROM hotspot_users", [], |r| r.get(0)).unwrap();
    assert_eq!(duration, 3600, "one extension");
    assert_eq!(h.count("SELECT count(*) FROM hotspot_credentials"), 1);
    assert_eq!(h.count("SELECT count(*) FROM payments WHERE receipt_number = 'NLJ7RT61SV'"), 1);
    assert_eq!(account_jobs_run(&h, id), 1, "one CreateHotspotUser made the account");
    exactly_sms(&h, 1);
    let left = h.check_session()["seconds_remaining"].as_i64().unwrap();
    assert!((3500..=3600).contains(&left), "{left}");
}

#[test]
fn daraja_down_or_failing_gives_a_clear_503_and_leaves_nothing_pending() {
    let h = Hotspot::start("daraja-down", Options::default());
    let package = h.package("1 hour", 10, 3600);
    let unavailable = |what: &str| {
        let started = Instant::now();
        let (status, answer) = h.pay(package, PHONE);
        assert!(started.elapsed() < secs(10), "{what}: answered after {:?}", started.elapsed());
        assert_eq!(status, 503, "{what}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains("unavailable") && error.contains("voucher"), "{what}: {error}");
    };
    h.daraja.down(true);
    unavailable("connection closed");
    // The splash page now says so and offers the voucher form instead of the M-Pesa form.
    let (status, splash) = h.page("/");
    assert_eq!(status, 200);
    assert!(splash.contains("M-Pesa payments are unavailable right now"), "{splash}");
    assert!(splash.contains("action=\"/login\"") && !splash.contains("action=\"/pay\""), "{splash}");
    h.daraja.down(false);
    h.daraja.fail(500, 1); // the token request
    unavailable("HTTP 500 on the token");
    // Back to normal: a prompt goes out (and the token is cached for the next one).
    h.daraja.plan(1032, Some(0));
    let through = h.pay_ok(package, PHONE);
    h.wait_status(&through, "cancelled", secs(15));
    assert!(h.page("/").1.contains("action=\"/pay\""), "the M-Pesa form is back once Daraja answers");
    h.daraja.fail(500, 1); // now the push itself
    unavailable("HTTP 500 on the push");

    let db = h.db();
    let mut stmt = db.prepare("SELECT status, coalesce(failure, '') FROM payments ORDER BY id").unwrap();
    let rows: Vec<(String, String)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    for (i, row) in rows.iter().enumerate() {
        if i == 2 {
            continue; // the one that went through
        }
        assert_eq!((row.0.as_str(), row.1.as_str()), ("failed", "unavailable"), "payment {}: {rows:?}", i + 1);
    }
    assert_eq!(h.count("SELECT count(*) FROM payments WHERE status = 'pending' AND checkout_request_id IS NULL"), 0);
}

#[test]
fn sms_gateway_failures_are_retried_until_one_sms_is_delivered() {
    let h = Hotspot::start("sms-retry", Options::default());
    let package = h.package("1 hour", 10, 3600);
    h.sms.plan(json!({ "fail_next": 2, "fail_status": 500 }));
    h.daraja.plan(0, Some(0));
    let pay = h.pay_ok(package, PHONE);
    let paid = wait_paid(&h, &pay);
    assert_eq!(h.check_session()["active"], true, "online while the SMS waits");
    // While it waits, the operator sees the job and why.
    h.wait_until(secs(10), "the first failure", || !h.sms.requests().is_empty());
    h.wait_until(secs(5), "the retry listed", || {
        let jobs = h.jobs();
        jobs.contains("SendCredentialsSms") && jobs.contains("500")
    });
    let delivered = exactly_sms(&h, 1);
    let requests = h.sms.requests();
    assert_eq!(requests.iter().map(|r| r["answered"].as_u64().unwrap()).collect::<Vec<_>>(), [500, 500, 201]);
    assert_eq!(password_in(delivered[0]["message"].as_str().unwrap()).as_deref(), paid["password"].as_str());
    h.wait_jobs_done(secs(5));
    assert_eq!(h.count("SELECT count(*) FROM failed_jobs"), 0);
    assert_eq!(h.count("SELECT count(*) FROM hotspot_credentials WHERE status = 'sent' AND password_plain IS NULL"), 1);
}

#[test]
fn a_permanent_sms_refusal_fails_the_job_with_its_reason() {
    let h = Hotspot::start("sms-permanent", Options::default());
    let package = h.package("1 hour", 10, 3600);
    h.sms.plan(json!({ "recipient_status": 403 }));
    h.daraja.plan(0, Some(0));
    let pay = h.pay_ok(package, PHONE);
    let paid = wait_paid(&h, &pay);
    h.wait_until(secs(15), "the SMS job failed", || h.count("SELECT count(*) FROM failed_jobs") == 1);
    let jobs = h.jobs();
    let failed = jobs.split("FAILED").nth(1).unwrap();
    assert!(failed.contains("SendCredentialsSms") && failed.contains("InvalidPhoneNumber"), "{jobs}");
    std::thread::sleep(secs(2));
    assert_eq!(h.sms.requests().len(), 1, "not retried");
    let status: String = h.db().query_row("SELECT status FROM hotspot_credentials", [], |r| r.get(0)).unwrap();
    assert_eq!(status, "failed");
    // The payer is online and still sees the login on the payment page.
    assert_eq!(h.check_session()["active"], true);
    assert_eq!(h.payment(&pay)["password"], paid["password"]);

    // The operator fixes the cause and retries the job: the SMS goes out once.
    h.sms.plan(json!({ "recipient_status": 101 }));
    let failed_id: i64 = h.db().query_row("SELECT id FROM failed_jobs", [], |r| r.get(0)).unwrap();
    let out = h.cli(&["jobs", "retry", &failed_id.to_string()]);
    assert!(out.contains("queued again"), "{out}");
    // (The gateway answered 2xx to the refused one too: its refusal is per recipient.)
    let delivered = exactly_sms(&h, 2);
    assert_eq!(password_in(delivered[1]["message"].as_str().unwrap()).as_deref(), paid["password"].as_str());
    assert_eq!(h.count("SELECT count(*) FROM hotspot_credentials WHERE status = 'sent' AND password_plain IS NULL"), 1);
    assert_eq!(h.count("SELECT count(*) FROM failed_jobs"), 0);
}

#[test]
fn a_second_purchase_from_the_same_phone_stacks() {
    let h = Hotspot::start("stacking", Options::default());
    let hour = h.package("1 hour", 10, 3600);
    let two_hours = h.package("2 hours", 20, 7200);
    h.daraja.plan(0, Some(0));
    let first = h.pay_ok(hour, PHONE);
    let first_password = wait_paid(&h, &first)["password"].as_str().unwrap().to_owned();
    exactly_sms(&h, 1);
    h.daraja.plan(0, Some(0));
    let second = h.pay_ok(two_hours, "+254 712 345 678");
    let paid = wait_paid(&h, &second);
    assert_eq!(paid["username"], MSISDN, "the same account");
    let second_password = paid["password"].as_str().unwrap().to_owned();
    assert_ne!(first_password, second_password, "each purchase sets a new password");

    let left = h.check_session()["seconds_remaining"].as_i64().unwrap();
    assert!((10800 - 60..=10800).contains(&left), "time adds up: {left}");
    assert_eq!(accounts(&h), 1);
    let duration: i64 = h.db().query_row("SELECT duration_secs FROM hotspot_users", [], |r| r.get(0)).unwrap();
    assert_eq!(duration, 10800);
    assert_eq!(h.count("SELECT count(DISTINCT payment_id) FROM hotspot_credentials"), 2);
    let sms = exactly_sms(&h, 2);
    assert_eq!(password_in(sms[1]["message"].as_str().unwrap()).as_deref(), Some(second_password.as_str()));
    assert!(sms.iter().all(|m| m["to"] == "+254712345678"));
    // Only the newest password opens the account.
    let login = |password: &str| h.post("/api/hotspot/login", &json!({ "username": MSISDN, "password": password }).to_string()).0;
    assert_eq!(login(&second_password), 200);
    assert_eq!(login(&first_password), 401);
}

#[test]
fn a_forgotten_password_is_replaced_by_sms_without_telling_who_is_a_customer() {
    let h = Hotspot::start("forgot", Options::default());
    let package = h.package("1 hour", 10, 3600);
    h.daraja.plan(0, Some(0));
    let pay = h.pay_ok(package, PHONE);
    wait_paid(&h, &pay);
    let first = exactly_sms(&h, 1);
    let old_password = password_in(first[0]["message"].as_str().unwrap()).expect("password in the SMS");

    // The payer asks for a new password, typing the number another way.
    let (status, answer) = h.post("/api/hotspot/forgot-password", r#"{"phone":"+254 712 345 678"}"#);
    assert_eq!(status, 200, "{answer}");
    let generic = answer["message"].as_str().unwrap().to_owned();
    assert!(generic.contains("new password is on its way"), "{generic}");
    let second = exactly_sms(&h, 2);
    let new_password = password_in(second[1]["message"].as_str().unwrap()).expect("password in the SMS");
    assert_ne!(new_password, old_password);
    let login = |password: &str| h.post("/api/hotspot/login", &json!({ "username": "254712345678", "password": password }).to_string()).0;
    // A reset someone else asked for must not lock the customer out: the old password works
    // until the new one is first used, which retires it.
    assert_eq!(login(&old_password), 200, "the old password still works");
    assert_eq!(login(&new_password), 200, "the new one does");
    assert_eq!(login(&old_password), 401, "the old one is retired once the new one was used");
    assert_eq!(login(&new_password), 200);

    // A number without an account gets the same answer and no SMS; a bad number a hint.
    let (status, answer) = h.post("/api/hotspot/forgot-password", r#"{"phone":"0798765432"}"#);
    assert_eq!((status, answer["message"].as_str().unwrap()), (200, generic.as_str()));
    let (status, answer) = h.post("/api/hotspot/forgot-password", r#"{"phone":"12"}"#);
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("like 0712345678"), "{answer}");
    // Asking again and again from one device is refused (each request may send an SMS):
    // three per ten minutes (the malformed number did not count).
    assert_eq!(h.post("/api/hotspot/forgot-password", r#"{"phone":"0712345678"}"#).0, 200);
    let (status, answer) = h.post("/api/hotspot/forgot-password", r#"{"phone":"0712345678"}"#);
    assert_eq!(status, 429, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("Wait"), "{answer}");
    exactly_sms(&h, 3);
}

/// The outbox events of payment `id`'s story, as `op`s of the `payment` entity, and every
/// entity that has events.
fn outbox_of(h: &Hotspot, id: i64) -> (Vec<String>, Vec<String>) {
    let db = h.db();
    let ops = db
        .prepare("SELECT op FROM sync_outbox WHERE entity = 'payment' AND entity_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([id], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let entities = db
        .prepare("SELECT DISTINCT entity || '/' || op FROM sync_outbox ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (ops, entities)
}

#[test]
fn a_payment_and_what_it_bought_are_recorded_for_the_central_server() {
    let h = Hotspot::start("outbox", Options::default());
    let package = h.package("1 hour", 10, 3600);
    h.daraja.plan(0, Some(0));
    let paid = h.pay_ok(package, PHONE);
    wait_paid(&h, &paid);
    h.daraja.plan(1032, Some(0));
    let cancelled = h.pay_ok(package, PHONE);
    h.wait_status(&cancelled, "cancelled", secs(15));
    h.wait_jobs_done(secs(10));
    let (ops, entities) = outbox_of(&h, paid.id);
    assert_eq!(ops, ["started", "confirmed"]);
    assert_eq!(outbox_of(&h, cancelled.id).0, ["started", "failed"]);
    for expected in ["account/created", "session/started"] {
        assert!(entities.iter().any(|e| e == expected), "no {expected} event: {entities:?}");
    }
    // The confirmed payment's event carries what the central needs, and no password.
    let payload: String = h
        .db()
        .query_row("SELECT payload FROM sync_outbox WHERE entity = 'payment' AND op = 'confirmed'", [], |r| r.get(0))
        .unwrap();
    let event: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!((event["amount"].as_i64(), event["phone"].as_str()), (Some(10), Some(MSISDN)), "{event}");
    let all: Vec<String> =
        h.db().prepare("SELECT payload FROM sync_outbox").unwrap().query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
    let sms = exactly_sms(&h, 1);
    let password = password_in(sms[0]["message"].as_str().unwrap()).unwrap();
    assert!(all.iter().all(|p| !p.contains(&password)), "a password reached the outbox");
}
