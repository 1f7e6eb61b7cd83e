//! The central server alone, against a real PostgreSQL cluster and the real binary: events
//! stored once, replays and forgeries refused with nothing changed, signed responses bound
//! to their request, commands delivered by long-poll (also through another process, by
//! NOTIFY) and finished by the router's result, the M-Pesa endpoints (C2B validate/confirm,
//! the STK relay) stored once and handed to the router.
#![cfg(feature = "central")]

mod central;

use std::time::{Duration, Instant};

use central::{exchange, exchange_bytes, exchange_raw, operator_add, request, request_with, router_add, Api, Central, Cluster};
use hotspotd::sync::wire::{self, account_number, Order, RequestHead, EXCHANGE_PATH};

const STARTED: &str = r#"{"event":"payment_started","payment_id":1,"provider":"mpesa","phone":"254708374149","package_id":1,"amount":50,"currency":"KES"}"#;
const CONFIRMED: &str = r#"{"event":"payment_confirmed","payment_id":1,"receipt":"NLJ7RT61SV","amount":50,"phone":"254708374149"}"#;
const SESSION: &str = r#"{"event":"session_started","session_id":1,"account_id":1,"username":"u1","mac":"02:00:00:00:00:01","ip":"10.0.0.2","enforcer":"local","expires_at":1700003600}"#;
const VOUCHER: &str = r#"{"event":"voucher_redeemed","voucher_id":1,"code":"ABCD","account_id":2,"mac":"02:00:00:00:00:02","price":20,"currency":"KES"}"#;

fn result_event(id: i64, ok: bool, detail: &str) -> String {
    serde_json::json!({ "event": "command_result", "command_id": id, "ok": ok, "detail": detail }).to_string()
}

#[test]
fn events_are_stored_once_and_the_response_is_signed_for_its_request() {
    let pg = Cluster::start();
    let (router, key) = router_add(&pg.url, "shop-1");
    let central = Central::start(&pg.url);

    let first = exchange(central.addr, router, &key, "s1", 1, &request_with(&[(1, STARTED), (2, CONFIRMED), (3, SESSION)], 0));
    assert!(first.signature_ok, "the response verifies");
    assert_eq!(first.response().acked_seq, Some(3));
    // Resent in part (the answer was lost), with one new event.
    let again = exchange(central.addr, router, &key, "s1", 2, &request_with(&[(2, CONFIRMED), (3, SESSION), (4, VOUCHER)], 0));
    assert_eq!(again.response().acked_seq, Some(4));
    assert_eq!(pg.count("SELECT count(*) FROM router_events"), 4);
    assert_eq!(pg.sql("SELECT status || ' ' || receipt FROM payments"), "confirmed NLJ7RT61SV");
    assert_eq!(pg.sql("SELECT method || ' ' || amount FROM sales ORDER BY method"), "stk 50\nvoucher 20");
    assert_eq!(pg.sql("SELECT version || ' ' || devices_online || ' ' || (last_seen IS NOT NULL) FROM routers"), "test 3 true");

    // The signature binds the response to this request's counter: another counter's
    // head does not verify it.
    let head = |counter| RequestHead { method: "POST", path: EXCHANGE_PATH, router, stream: "s1", counter };
    let body = serde_json::to_vec(&request_with(&[], 0)).unwrap();
    let sig = wire::sign_request(key.as_bytes(), &head(3), &body);
    let raw = exchange_raw(central.addr, router, "s1", 3, &sig, &body);
    let rsig = raw.header(wire::HEADER_SIGNATURE).unwrap();
    assert!(wire::response_signed(key.as_bytes(), &head(3), 200, &raw.body, rsig));
    assert!(!wire::response_signed(key.as_bytes(), &head(2), 200, &raw.body, rsig));

    // Another stream (the router's database was replaced) starts its own counters and sequence.
    let fresh = exchange(central.addr, router, &key, "s2", 1, &request_with(&[(1, VOUCHER)], 0));
    assert_eq!(fresh.response().acked_seq, Some(1));
    assert_eq!(pg.count("SELECT count(*) FROM router_events"), 5);

    // The API shows what was projected.
    let api = Api { addr: central.addr, token: operator_add(&pg.url, "ann") };
    let payments = api.get(&format!("/api/v1/payments?router={router}")).json();
    assert_eq!(payments[0]["receipt"], "NLJ7RT61SV");
    assert_eq!(payments[0]["started_at"], 1_700_000_001);
    let sessions = api.get("/api/v1/sessions?since=1700000000&limit=10").json();
    assert_eq!(sessions[0]["mac"], "02:00:00:00:00:01");
    let routers = api.get("/api/v1/routers").json();
    assert_eq!(routers[0]["online"], true);
    assert_eq!(routers[0]["version"], "test");
    assert_eq!(api.get("/api/v1/payments?limit=0").status, 400);

    // The fleet page: a login form, then (with the cookie) the routers and today's revenue
    // (the sales above are from 2023, past the page's 14 days).
    let mut today = request_with(&[(1, VOUCHER)], 0);
    today.events[0].at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    exchange(central.addr, router, &key, "s3", 1, &today).response();
    let form = request(central.addr, "GET", "/fleet", &[], b"");
    assert_eq!(form.status, 200);
    assert!(form.text().contains("name=token"));
    let form_type = [("Content-Type", "application/x-www-form-urlencoded")];
    assert_eq!(request(central.addr, "POST", "/fleet/login", &form_type, b"token=wrong").status, 401);
    let login = request(central.addr, "POST", "/fleet/login", &form_type, format!("token={}", api.token).as_bytes());
    assert_eq!(login.status, 303);
    let cookie = login.header("set-cookie").unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let pair = cookie.split(';').next().unwrap();
    let fleet = request(central.addr, "GET", "/fleet", &[("Cookie", pair)], b"").text();
    assert!(fleet.contains("shop-1") && fleet.contains("online"), "{fleet}");
    assert!(fleet.contains("<td class=n>0</td><td class=n>0</td><td class=n>20</td><td class=n>20</td>"), "{fleet}");
}

#[test]
fn replayed_forged_and_altered_requests_are_refused_and_change_nothing() {
    let pg = Cluster::start();
    let (router, key) = router_add(&pg.url, "shop-1");
    let central = Central::start(&pg.url);
    let ok = exchange(central.addr, router, &key, "s1", 5, &request_with(&[(1, STARTED)], 0));
    assert_eq!(ok.status, 200);
    let snapshot = || {
        pg.sql("SELECT (SELECT count(*) FROM router_events) || ' ' || (SELECT last_counter FROM router_streams) || ' ' || (SELECT last_seen FROM routers)")
    };
    let before = snapshot();

    let body = serde_json::to_vec(&request_with(&[(2, CONFIRMED)], 0)).unwrap();
    let head = |counter| RequestHead { method: "POST", path: EXCHANGE_PATH, router, stream: "s1", counter };
    // The same counter again (a replay), and an older one.
    for counter in [5, 4] {
        let replay = exchange_bytes(central.addr, router, &key, "s1", counter, &body);
        assert_eq!(replay.status, 401, "counter {counter}");
        assert!(String::from_utf8_lossy(&replay.body).contains("replay"));
    }
    // Signed with another key.
    let forged = exchange_bytes(central.addr, router, &"0".repeat(64), "s1", 6, &body);
    assert_eq!(forged.status, 401);
    // Signed for one body, sent with another.
    let sig = wire::sign_request(key.as_bytes(), &head(7), &body);
    let mut altered = body.clone();
    let at = altered.len() - 3;
    altered[at] ^= 1;
    assert_eq!(exchange_raw(central.addr, router, "s1", 7, &sig, &altered).status, 401);
    // No signature, an unknown router, a bad stream name.
    assert_eq!(exchange_raw(central.addr, router, "s1", 8, "", &body).status, 401);
    assert_eq!(exchange_bytes(central.addr, router + 100, &key, "s1", 9, &body).status, 401);
    let bad_stream = exchange_bytes(central.addr, router, &key, "S-1", 9, &body);
    assert_eq!(bad_stream.status, 401);
    assert!(String::from_utf8_lossy(&bad_stream.body).contains("0-9 a-z"));
    assert_eq!(snapshot(), before, "nothing changed");

    // Signed but not an exchange request: 400, signed, nothing changed.
    let garbage = exchange_bytes(central.addr, router, &key, "s1", 10, b"{\"events\":");
    assert_eq!(garbage.status, 400);
    assert!(garbage.signature_ok);
    assert_eq!(snapshot(), before);

    // The refused counters were not used up: the next good one goes through.
    let next = exchange_bytes(central.addr, router, &key, "s1", 6, &body);
    assert_eq!(next.status, 200);
    assert_eq!(pg.count("SELECT count(*) FROM router_events"), 2);
}

#[test]
fn a_command_reaches_a_waiting_router_at_once_and_its_result_finishes_it() {
    let pg = Cluster::start();
    let (router, key) = router_add(&pg.url, "shop-1");
    let central = Central::start(&pg.url);
    let api = Api { addr: central.addr, token: operator_add(&pg.url, "ann") };

    // Refusals first: no token, bad commands, unknown router.
    assert_eq!(request(central.addr, "GET", "/api/v1/routers", &[], b"").status, 401);
    assert_eq!(request(central.addr, "GET", "/api/v1/routers", &[("Authorization", "Bearer nope")], b"").status, 401);
    let commands = format!("/api/v1/routers/{router}/commands");
    let kick_nobody = api.post(&commands, r#"{"kind":"kick"}"#);
    assert_eq!(kick_nobody.status, 400);
    assert!(kick_nobody.json()["error"].as_str().unwrap().contains("mac or a username"));
    assert_eq!(api.post(&commands, r#"{"kind":"extend","username":"u1"}"#).status, 400);
    assert_eq!(api.post(&commands, r#"{"kind":"stk_callback","token":"t","body":"{}"}"#).status, 400);
    assert_eq!(api.post(&commands, "not json").status, 400);
    assert_eq!(api.post("/api/v1/routers/999/commands", r#"{"kind":"kick","mac":"02:00:00:00:00:01"}"#).status, 404);

    // A router waits (long-poll); a command posted meanwhile reaches it within moments.
    let addr = central.addr;
    let key2 = key.clone();
    let waiting = std::thread::spawn(move || {
        let started = Instant::now();
        let answer = exchange(addr, router, &key2, "s1", 1, &request_with(&[], 20));
        (answer, started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(500));
    let posted = api.post(&commands, r#"{"kind":"kick","mac":"02:00:00:00:00:09"}"#);
    assert_eq!(posted.status, 201, "{}", posted.text());
    let id = posted.json()["id"].as_i64().unwrap();
    assert_eq!(posted.json()["state"], "queued");
    let (answer, waited) = waiting.join().unwrap();
    assert!(answer.signature_ok);
    let items = answer.response().items;
    assert!(waited < Duration::from_secs(3), "delivered after {waited:?}");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].id, id);
    assert_eq!(items[0].body, Order::Kick { mac: Some("02:00:00:00:00:09".into()), username: None });
    assert_eq!(api.get(&format!("/api/v1/commands/{id}")).json()["state"], "delivered");

    // Delivered again until the router reports; then failed with its reason.
    let again = exchange(central.addr, router, &key, "s1", 2, &request_with(&[], 0)).response();
    assert_eq!(again.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![id]);
    let failed = result_event(id, false, "02:00:00:00:00:09 has no active session");
    let after = exchange(central.addr, router, &key, "s1", 3, &request_with(&[(1, &failed)], 0)).response();
    assert!(after.items.is_empty());
    let view = api.get(&format!("/api/v1/commands/{id}")).json();
    assert_eq!(view["state"], "failed");
    assert_eq!(view["result"], "02:00:00:00:00:09 has no active session");
    assert!(view["finished_at"].is_i64());

    // Another one done; a result for an id that is not this router's changes nothing.
    let extend = api.post(&commands, r#"{"kind":"extend","username":"u1","seconds":3600}"#).json()["id"].as_i64().unwrap();
    let (other, other_key) = router_add(&pg.url, "shop-2");
    let stolen = result_event(extend, false, "not mine");
    exchange(central.addr, other, &other_key, "x", 1, &request_with(&[(1, &stolen)], 0)).response();
    assert_eq!(api.get(&format!("/api/v1/commands/{extend}")).json()["state"], "queued");
    let done = result_event(extend, true, "");
    exchange(central.addr, router, &key, "s1", 4, &request_with(&[(2, &done)], 0)).response();
    assert_eq!(api.get(&format!("/api/v1/commands/{extend}")).json()["state"], "done");
    let listed = api.get(&commands).json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

#[test]
fn paybill_validation_refuses_unknown_accounts_and_a_confirmation_is_relayed_once() {
    let pg = Cluster::start();
    let (router, key) = router_add(&pg.url, "shop-1");
    let central = Central::start(&pg.url);
    let secret = central::c2b_secret(&pg.url);
    let post = |path: &str, body: &str| request(central.addr, "POST", path, &[("Content-Type", "application/json")], body.as_bytes());
    let body = |trans: &str, account: &str, amount: &str| {
        serde_json::json!({"TransactionType":"Pay Bill","TransID":trans,"TransTime":"20240101120000","TransAmount":amount,
            "BusinessShortCode":"600638","BillRefNumber":account,"MSISDN":"25470****149","FirstName":"John","MiddleName":"","LastName":"Doe"})
        .to_string()
    };
    let good = account_number(router, 4321);
    let validate = format!("/pay/c2b/{secret}/validate");
    assert_eq!(post(&validate, &body("T1", &good, "50")).json()["ResultCode"], "0");
    assert_eq!(post(&validate, &body("T1", &account_number(router + 50, 1), "50")).json()["ResultCode"], "C2B00012");
    assert_eq!(post(&validate, &body("T1", "invoice008", "50")).json()["ResultCode"], "C2B00012");
    assert_eq!(post(&validate, &body("T1", &good, "10.50")).json()["ResultCode"], "C2B00013");
    assert_eq!(post(&format!("/mpesa/c2b/{secret}/validate"), &body("T1", &good, "50")).json()["ResultCode"], "0");
    // A wrong secret: 404, nothing stored.
    assert_eq!(post("/pay/c2b/wrong/confirm", &body("T0", &good, "50")).status, 404);

    let confirm = format!("/pay/c2b/{secret}/confirm");
    for _ in 0..2 {
        let answer = post(&confirm, &body("RKTQDM7W6S", &good, "50"));
        assert_eq!(answer.status, 200);
        assert_eq!(answer.json()["ResultCode"], 0);
    }
    let stray = post(&confirm, &body("RKTQDM7W6T", "invoice008", "20"));
    assert_eq!(stray.json()["ResultCode"], 0);
    assert_eq!(pg.count("SELECT count(*) FROM c2b_payments"), 2);

    let items = exchange(central.addr, router, &key, "s1", 1, &request_with(&[], 0)).response().items;
    assert_eq!(items.len(), 1, "{items:?}");
    match &items[0].body {
        Order::Paybill(p) => {
            assert_eq!((p.trans_id.as_str(), p.amount, p.account.as_str(), p.name.as_str()), ("RKTQDM7W6S", 50, good.as_str(), "John Doe"));
        }
        other => panic!("not a paybill item: {other:?}"),
    }
    let api = Api { addr: central.addr, token: operator_add(&pg.url, "ann") };
    let paybill = api.get("/api/v1/paybill").json();
    let matched: Vec<bool> = paybill.as_array().unwrap().iter().map(|p| p["matched"].as_bool().unwrap()).collect();
    assert_eq!(matched.len(), 2);
    assert!(matched.contains(&true) && matched.contains(&false));
}

#[test]
fn an_stk_callback_is_stored_and_handed_to_its_router_once() {
    let pg = Cluster::start();
    let (router, key) = router_add(&pg.url, "shop-1");
    let central = Central::start(&pg.url);
    let callback = r#"{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"ws_CO_191220191020363925","ResultCode":0,"ResultDesc":"The service request is processed successfully.","CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.00},{"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"},{"Name":"Balance"},{"Name":"TransactionDate","Value":20191219102115},{"Name":"PhoneNumber","Value":254708374149}]}}}}"#;
    let post = |path: &str, body: &str| request(central.addr, "POST", path, &[("Content-Type", "application/json")], body.as_bytes());
    for path in [format!("/pay/stk/{router}/tok123"), format!("/pay/stk/{router}/tok123"), format!("/mpesa/stk/{router}/tok123")] {
        let answer = post(&path, callback);
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.json(), serde_json::json!({"ResultCode":0,"ResultDesc":"Accepted"}));
    }
    assert_eq!(post(&format!("/pay/stk/{}/tok123", router + 7), callback).status, 404);
    assert_eq!(post(&format!("/pay/stk/{router}/tok123"), "{\"Body\":{}}").status, 400);
    assert_eq!(post(&format!("/pay/stk/{router}/tok123"), &"x".repeat(20_000)).status, 413);

    let items = exchange(central.addr, router, &key, "s1", 1, &request_with(&[], 0)).response().items;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].body, Order::StkCallback { token: "tok123".into(), body: callback.into() });
    assert_eq!(pg.count("SELECT count(*) FROM stk_callbacks"), 1);
}

#[test]
fn two_central_processes_on_one_database_share_the_routers() {
    let pg = Cluster::start();
    let (router, key) = router_add(&pg.url, "shop-1");
    let mut a = Central::start(&pg.url);
    let b = Central::start(&pg.url);
    let events: Vec<String> = (1..=40)
        .map(|i| format!(r#"{{"event":"session_started","session_id":{i},"account_id":1,"username":"u1","mac":"02:00:00:00:00:01","ip":"10.0.0.2","enforcer":"local","expires_at":1}}"#))
        .collect();
    // Overlapping batches, alternately to either process.
    let mut counter = 0;
    for start in (0..40).step_by(5) {
        counter += 1;
        let end = (start + 10).min(40);
        let batch: Vec<(i64, &str)> = (start..end).map(|i| (i as i64 + 1, events[i].as_str())).collect();
        let to = if counter % 2 == 0 { &a } else { &b };
        assert_eq!(exchange(to.addr, router, &key, "s1", counter, &request_with(&batch, 0)).response().acked_seq, Some(end as i64));
    }
    // A counter used at one process is a replay at the other.
    assert_eq!(exchange(a.addr, router, &key, "s1", counter, &request_with(&[], 0)).status, 401);
    assert_eq!(pg.count("SELECT count(*) FROM router_events"), 40);
    assert_eq!(pg.count("SELECT count(*) FROM sessions"), 40);

    // A command posted through A reaches a router waiting at B (NOTIFY).
    let api_a = Api { addr: a.addr, token: operator_add(&pg.url, "ann") };
    let (addr_b, key2) = (b.addr, key.clone());
    counter += 1;
    let waiting = std::thread::spawn(move || {
        let started = Instant::now();
        (exchange(addr_b, router, &key2, "s1", counter, &request_with(&[], 20)), started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(500));
    let id = api_a.post(&format!("/api/v1/routers/{router}/commands"), r#"{"kind":"resend","username":"u1"}"#).json()["id"].as_i64().unwrap();
    let (answer, waited) = waiting.join().unwrap();
    assert_eq!(answer.response().items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![id]);
    assert!(waited < Duration::from_secs(3), "delivered after {waited:?}");

    // kill -9 of one process: the other and a restarted one carry on.
    a.restart();
    counter += 1;
    let done = result_event(id, true, "");
    assert_eq!(exchange(a.addr, router, &key, "s1", counter, &request_with(&[(41, &done)], 0)).response().acked_seq, Some(41));
    assert_eq!(Api { addr: b.addr, token: api_a.token.clone() }.get(&format!("/api/v1/commands/{id}")).json()["state"], "done");
}

#[test]
fn bad_input_gets_clear_errors() {
    let pg = Cluster::start();
    let central = Central::start(&pg.url);
    let huge = vec![b'x'; wire::MAX_BODY_BYTES + 10];
    let (router, key) = router_add(&pg.url, "shop-1");
    let too_big = exchange_bytes(central.addr, router, &key, "s1", 1, &huge);
    assert_eq!(too_big.status, 413);
    assert_eq!(request(central.addr, "GET", EXCHANGE_PATH, &[], b"").status, 405);
    assert_eq!(request(central.addr, "GET", "/nowhere", &[], b"").status, 404);
    let no_url = std::process::Command::new(central::BIN).args(["router", "list"]).env_remove("DATABASE_URL").output().unwrap();
    assert!(!no_url.status.success());
    assert!(String::from_utf8_lossy(&no_url.stderr).contains("DATABASE_URL is not set"));
}
