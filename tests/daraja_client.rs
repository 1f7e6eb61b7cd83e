//! The Daraja client against `scripts/fake-daraja.py` on loopback: token caching and
//! refresh, every push field (the fake checks Password and the East Africa Time timestamp),
//! query outcomes, busy, down and refused answers, and callbacks in the documented shape.
//! Each test starts its own fake (python3) on a free port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use hotspotd::config::{MpesaConfig, MpesaMode, Secret, TransactionType};
use hotspotd::http_client::HttpClient;
use hotspotd::payments::mpesa::{self, parse_callback, Decline, MpesaApi, MpesaError, QueryOutcome, StkPush};
use hotspotd::phone::Phone;
use serde_json::{json, Value};

const KEY: &str = "fakeConsumerKey";
const SECRET: &str = "fakeConsumerSecret42";
const SHORTCODE: &str = "174379";
const PASSKEY: &str = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";

struct Fake {
    child: Child,
    base_url: String,
    http: HttpClient,
}

impl Fake {
    fn start() -> Fake {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fake-daraja.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", "0", "--consumer-key", KEY, "--consumer-secret", SECRET, "--shortcode", SHORTCODE, "--passkey", PASSKEY])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs scripts/fake-daraja.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let address = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("fake-daraja said {line:?}")).to_owned();
        Fake { child, base_url: format!("http://{address}"), http: HttpClient::new(Duration::from_secs(10)) }
    }

    fn control(&self, path: &str, body: Value) -> Value {
        let answer = self.http.post(&format!("{}{path}", self.base_url), &[], "application/json", body.to_string().as_bytes()).unwrap();
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        serde_json::from_str(&answer.body).unwrap()
    }

    fn stats(&self) -> Value {
        serde_json::from_str(&self.http.get(&format!("{}/_fake/stats", self.base_url), &[]).unwrap().body).unwrap()
    }

    fn pushes(&self) -> Vec<Value> {
        serde_json::from_str(&self.http.get(&format!("{}/_fake/pushes", self.base_url), &[]).unwrap().body).unwrap()
    }

    fn config(&self) -> MpesaConfig {
        MpesaConfig {
            enabled: true,
            mode: MpesaMode::Daraja,
            base_url: self.base_url.clone(),
            consumer_key: Secret(KEY.into()),
            consumer_secret: Secret(SECRET.into()),
            shortcode: SHORTCODE.into(),
            passkey: Secret(PASSKEY.into()),
            ..MpesaConfig::disabled()
        }
    }

    fn client(&self) -> Box<dyn MpesaApi> {
        client(&self.config(), Duration::from_secs(3))
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client(config: &MpesaConfig, timeout: Duration) -> Box<dyn MpesaApi> {
    mpesa::backend(config, HttpClient::new(timeout))
}

fn push(amount: i64) -> StkPush {
    StkPush {
        phone: Phone::parse("0708374149", "254").unwrap(),
        amount,
        account_reference: "Hotspot".into(),
        description: "Wi-Fi 1 hour plan".into(),
        callback_url: "https://example.com/hotspotd/mpesa/t0k3n".into(),
    }
}

#[test]
fn the_token_is_fetched_once_and_shared_by_all_calls() {
    let fake = Fake::start();
    let mpesa: Arc<dyn MpesaApi> = fake.client().into();
    assert!(!mpesa.is_demo());
    // Several first calls at once still fetch one token (a second fetch would invalidate the first).
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mpesa = mpesa.clone();
            std::thread::spawn(move || {
                let accepted = mpesa.stk_push(&push(10)).unwrap();
                mpesa.stk_query(&accepted.checkout_request_id).unwrap()
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), QueryOutcome::Pending);
    }
    let accepted = mpesa.stk_push(&push(10)).unwrap();
    assert!(accepted.checkout_request_id.starts_with("ws_CO_"), "{accepted:?}");
    mpesa.stk_query(&accepted.checkout_request_id).unwrap();
    let stats = fake.stats();
    assert_eq!((stats["token_requests"].as_i64(), stats["pushes"].as_i64(), stats["queries"].as_i64()), (Some(1), Some(5), Some(5)), "{stats}");
}

#[test]
fn a_revoked_token_is_replaced_and_the_call_sent_once_more() {
    let fake = Fake::start();
    let mpesa = fake.client();
    let accepted = mpesa.stk_push(&push(10)).unwrap();
    fake.control("/_fake/revoke-token", json!({}));
    assert_eq!(mpesa.stk_query(&accepted.checkout_request_id).unwrap(), QueryOutcome::Pending);
    assert_eq!(fake.stats()["token_requests"], 2);

    // Refused again after the refresh: no loop, the refusal is reported.
    fake.control("/_fake/fail", json!({"status": 401, "count": 2, "only": "query"}));
    let err = mpesa.stk_query(&accepted.checkout_request_id).unwrap_err();
    assert!(matches!(&err, MpesaError::Rejected { code, .. } if code == "404.001.03"), "{err:?}");
    assert_eq!(fake.stats()["token_requests"], 3, "one refresh per refused call");
    assert_eq!(mpesa.stk_query(&accepted.checkout_request_id).unwrap(), QueryOutcome::Pending);
}

#[test]
fn a_token_is_refreshed_before_it_expires() {
    let fake = Fake::start();
    // expires_in as a number this time (the default is Daraja's string "3599").
    fake.control("/_fake/config", json!({"expires_in": 2, "expires_in_as_string": false}));
    let mpesa = fake.client();
    let accepted = mpesa.stk_push(&push(10)).unwrap();
    mpesa.stk_query(&accepted.checkout_request_id).unwrap();
    assert_eq!(fake.stats()["token_requests"], 1);
    std::thread::sleep(Duration::from_millis(1200));
    // The token still works at the fake for 0.8 s more, but it is past our refresh point.
    mpesa.stk_query(&accepted.checkout_request_id).unwrap();
    let stats = fake.stats();
    assert_eq!(stats["token_requests"], 2, "{stats}");
    assert_eq!(stats["api_calls"], 5, "no call was refused: {stats}");
}

#[test]
fn a_push_carries_every_field_daraja_checks() {
    let fake = Fake::start();
    let mpesa = fake.client();
    let mut wanted = push(50);
    wanted.account_reference = "Kibera Wi-Fi #3 shop".into();
    mpesa.stk_push(&wanted).unwrap();
    let pushes = fake.pushes();
    let sent = &pushes[0]["request"];
    assert_eq!(sent["BusinessShortCode"], SHORTCODE);
    assert_eq!(sent["TransactionType"], "CustomerPayBillOnline");
    assert_eq!(sent["Amount"], 50);
    assert_eq!(sent["PartyA"], "254708374149");
    assert_eq!(sent["PhoneNumber"], "254708374149");
    assert_eq!(sent["PartyB"], SHORTCODE);
    assert_eq!(sent["CallBackURL"], "https://example.com/hotspotd/mpesa/t0k3n");
    assert_eq!(sent["AccountReference"], "KiberaWiFi3s");
    assert_eq!(sent["TransactionDesc"], "Wi-Fi 1 hour ");
    assert_eq!(pushes[0]["callback_url"], "https://example.com/hotspotd/mpesa/t0k3n");

    // A till: Buy Goods, PartyB is the till, the shortcode still signs the password.
    let till = MpesaConfig { transaction_type: TransactionType::BuyGoods, party_b: Some("5551234".into()), ..fake.config() };
    client(&till, Duration::from_secs(3)).stk_push(&push(20)).unwrap();
    let sent = &fake.pushes()[1]["request"];
    assert_eq!((sent["TransactionType"].as_str(), sent["PartyB"].as_str()), (Some("CustomerBuyGoodsOnline"), Some("5551234")));

    // Nothing is sent for an amount M-Pesa cannot charge.
    assert!(matches!(mpesa.stk_push(&push(0)), Err(MpesaError::Rejected { .. })));
    assert_eq!(fake.pushes().len(), 2);
}

#[test]
fn a_wrong_passkey_is_refused_and_not_shown() {
    let fake = Fake::start();
    let wrong = MpesaConfig { passkey: Secret("notThePasskey123".into()), ..fake.config() };
    let err = client(&wrong, Duration::from_secs(3)).stk_push(&push(10)).unwrap_err();
    let shown = format!("{} {err:?}", hotspotd::error_chain(&err));
    assert!(matches!(&err, MpesaError::Rejected { code, .. } if code == "500.001.1001"), "{shown}");
    assert!(shown.contains("Wrong credentials"), "{shown}");
    assert!(!shown.contains("notThePasskey123"), "{shown}");
}

#[test]
fn a_query_is_pending_until_the_payer_answers() {
    let fake = Fake::start();
    let mpesa = fake.client();
    for (code, decline) in [(0, None), (1032, Some(Decline::Cancelled)), (2001, Some(Decline::WrongPin)), (1, Some(Decline::InsufficientFunds))] {
        fake.control("/_fake/plan", json!({"result_code": code, "after_queries": 2}));
        let id = mpesa.stk_push(&push(10)).unwrap().checkout_request_id;
        assert_eq!(mpesa.stk_query(&id).unwrap(), QueryOutcome::Pending, "{code}");
        assert_eq!(mpesa.stk_query(&id).unwrap(), QueryOutcome::Pending, "{code}");
        for _ in 0..2 {
            let outcome = mpesa.stk_query(&id).unwrap();
            let QueryOutcome::Finished { result_code, result_desc } = outcome else { panic!("{code}: {outcome:?}") };
            assert_eq!(result_code, code);
            assert!(!result_desc.is_empty());
            assert_eq!((result_code != 0).then(|| Decline::from_result_code(result_code)), decline);
        }
    }
}

#[test]
fn server_errors_are_busy() {
    let fake = Fake::start();
    let mpesa = fake.client();
    let id = mpesa.stk_push(&push(10)).unwrap().checkout_request_id;
    fake.control("/_fake/fail", json!({"status": 500, "count": 2}));
    for _ in 0..2 {
        let err = mpesa.stk_query(&id).unwrap_err();
        assert!(matches!(&err, MpesaError::Busy { code, .. } if code == "500.003.1001"), "{err:?}");
    }
    assert_eq!(mpesa.stk_query(&id).unwrap(), QueryOutcome::Pending);
    fake.control("/_fake/fail", json!({"status": 503, "only": "push"}));
    let err = mpesa.stk_push(&push(10)).unwrap_err();
    assert!(matches!(&err, MpesaError::Busy { code, .. } if code == "500.003.02"), "{err:?}");
    // Failing at the token step is busy too.
    fake.control("/_fake/revoke-token", json!({}));
    fake.control("/_fake/fail", json!({"status": 500, "only": "oauth"}));
    assert!(matches!(mpesa.stk_query(&id), Err(MpesaError::Busy { .. })));
    assert_eq!(mpesa.stk_query(&id).unwrap(), QueryOutcome::Pending);
}

#[test]
fn a_dead_daraja_is_unreachable_within_the_timeout() {
    let fake = Fake::start();
    let mpesa = client(&fake.config(), Duration::from_secs(1));
    let id = mpesa.stk_push(&push(10)).unwrap().checkout_request_id;

    fake.control("/_fake/down", json!({"down": true}));
    let started = Instant::now();
    let err = mpesa.stk_query(&id).unwrap_err();
    assert!(matches!(err, MpesaError::Unreachable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

    fake.control("/_fake/down", json!({"down": true, "hang": true}));
    let started = Instant::now();
    let err = mpesa.stk_push(&push(10)).unwrap_err();
    assert!(matches!(err, MpesaError::Unreachable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "bounded by the 1 s timeout: {:?}", started.elapsed());

    fake.control("/_fake/down", json!({"down": false}));
    assert_eq!(mpesa.stk_query(&id).unwrap(), QueryOutcome::Pending, "back once Daraja is");
}

#[test]
fn a_wrong_consumer_secret_is_rejected_with_a_clear_message_and_no_secret() {
    let fake = Fake::start();
    let wrong = MpesaConfig { consumer_secret: Secret("TotallyWrongSecret99".into()), ..fake.config() };
    let err = client(&wrong, Duration::from_secs(3)).stk_push(&push(10)).unwrap_err();
    let shown = format!("{} {err:?}", hotspotd::error_chain(&err));
    let MpesaError::Rejected { code, message } = &err else { panic!("{shown}") };
    assert_eq!(code, "400.008.01");
    assert!(message.contains("Invalid Authentication") && message.contains("mpesa.consumer_secret"), "{shown}");
    for secret in ["TotallyWrongSecret99", PASSKEY, "ZmFrZUNvbnN1bWVyS2V5"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert_eq!(fake.pushes().len(), 0);
}

/// Accepts `count` HTTP requests on loopback, answers Daraja's expected acknowledgement, and
/// hands over each body.
fn callback_receiver(count: usize) -> (String, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hotspotd/mpesa/t0k3n", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap();
                    }
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let answer = r#"{"ResultCode":0,"ResultDesc":"Accepted"}"#;
            write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}", answer.len()).unwrap();
            tx.send(body).unwrap();
        }
    });
    (url, rx)
}

#[test]
fn callbacks_from_the_fake_are_read_and_agree_with_the_query() {
    let fake = Fake::start();
    let mpesa = fake.client();
    let (url, bodies) = callback_receiver(3);
    let mut paid = push(30);
    paid.callback_url = url.clone();
    let id = mpesa.stk_push(&paid).unwrap().checkout_request_id;
    assert_eq!(fake.pushes()[0]["callback_url"], url.as_str());

    let delivered = fake.control("/_fake/callback", json!({"checkout_request_id": id, "result_code": 0, "receipt": "NLJ7RT61SV"}));
    assert_eq!((delivered["delivered"].as_bool(), delivered["status"].as_i64()), (Some(true), Some(200)), "{delivered}");
    let body = bodies.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(String::from_utf8_lossy(&body).contains(r#""Value": 30.00"#), "Daraja's amount form");
    let callback = parse_callback(&body).unwrap();
    assert_eq!(callback.checkout_request_id, id);
    assert_eq!((callback.result_code, callback.amount), (0, Some(30)));
    assert_eq!(callback.receipt.as_deref(), Some("NLJ7RT61SV"));
    assert_eq!(callback.phone.as_deref(), Some("254708374149"));
    assert_eq!(callback.transaction_date.as_ref().map(String::len), Some(14));
    assert!(matches!(mpesa.stk_query(&id).unwrap(), QueryOutcome::Finished { result_code: 0, .. }));

    // A replay carries the same result, receipt and date (the flow must credit it once).
    fake.control("/_fake/callback", json!({"checkout_request_id": id, "result_code": 0, "receipt": "NLJ7RT61SV"}));
    assert_eq!(parse_callback(&bodies.recv_timeout(Duration::from_secs(5)).unwrap()).unwrap(), callback);

    // A cancelled prompt: no metadata.
    let mut cancelled = push(30);
    cancelled.callback_url = url;
    let id = mpesa.stk_push(&cancelled).unwrap().checkout_request_id;
    fake.control("/_fake/callback", json!({"checkout_request_id": id, "result_code": 1032}));
    let callback = parse_callback(&bodies.recv_timeout(Duration::from_secs(5)).unwrap()).unwrap();
    assert_eq!((callback.result_code, callback.amount, callback.receipt), (1032, None, None));
    assert!(matches!(mpesa.stk_query(&id).unwrap(), QueryOutcome::Finished { result_code: 1032, .. }));
}

#[test]
fn the_demo_backend_is_chosen_by_mode() {
    let demo = client(&MpesaConfig::demo(), Duration::from_secs(1));
    assert!(demo.is_demo());
    let id = demo.stk_push(&push(10)).unwrap().checkout_request_id;
    assert!(id.starts_with("demo_"));
    assert_eq!(demo.stk_query(&id).unwrap(), QueryOutcome::Pending);
}
