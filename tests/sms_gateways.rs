//! The SMS providers against `scripts/fake-sms.py`, a loopback fake speaking each provider's
//! documented format, checked the way an operator would: the message reaches the right
//! number (E.164) with the right text and credentials, and each failure comes back as
//! permanent or transient with a message that says what to fix, never the API key.
//!
//! Every test starts its own fake on a free loopback port (the fake exits when the test
//! drops it, or when this process dies: it watches its stdin). Needs `python3`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hotspotd::config::{Secret, SmsConfig, SmsProvider};
use hotspotd::http_client::HttpClient;
use hotspotd::phone::Phone;
use hotspotd::sms::{self, SmsError, SmsGateway};
use serde_json::{json, Value};

const AT_KEY: &str = "atsk_fake_0123456789abcdef";
const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
const TWILIO_TOKEN: &str = "twilio_token_0123456789abcdef";
const WEBHOOK_TOKEN: &str = "webhook_token_0123456789abcdef";
const WRONG_KEY: &str = "wrong_key_9876543210";
/// Every secret a test uses: none may appear in an error.
const SECRETS: [&str; 4] = [AT_KEY, TWILIO_TOKEN, WEBHOOK_TOKEN, WRONG_KEY];
const NUMBER: &str = "+254712345678";

/// A running `fake-sms.py`.
struct Fake {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    base: String,
    http: HttpClient,
}

impl Fake {
    fn start() -> Fake {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fake-sms.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", "0", "--at-key", AT_KEY, "--twilio-sid", TWILIO_SID, "--twilio-token", TWILIO_TOKEN])
            .args(["--webhook-token", WEBHOOK_TOKEN, "--parent-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3 {script} (these tests need python3): {e}"));
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        BufReader::new(stdout).read_line(&mut line).expect("read the fake's first line");
        let address = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("fake-sms.py said {line:?}")).to_owned();
        Fake { child, base: format!("http://{address}"), http: HttpClient::new(Duration::from_secs(5)) }
    }

    /// Scripts the fake's next answers (`POST /_fake/plan`).
    fn plan(&self, plan: Value) {
        let answer = self.http.post(&format!("{}/_fake/plan", self.base), &[], "application/json", plan.to_string().as_bytes()).unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
    }

    /// Every provider request the fake received, oldest first.
    fn messages(&self) -> Vec<Value> {
        let answer = self.http.get(&format!("{}/_fake/messages", self.base), &[]).unwrap();
        serde_json::from_str(&answer.body).unwrap()
    }

    fn only_message(&self) -> Value {
        let mut all = self.messages();
        assert_eq!(all.len(), 1, "{all:#?}");
        all.remove(0)
    }

    fn africastalking(&self, api_key: &str, sender: Option<&str>) -> Box<dyn SmsGateway> {
        gateway(SmsProvider::AfricasTalking, Some(self.base.clone()), "myshop", api_key, sender)
    }

    fn twilio(&self, token: &str) -> Box<dyn SmsGateway> {
        gateway(SmsProvider::Twilio, Some(self.base.clone()), TWILIO_SID, token, Some("+15005550006"))
    }

    fn webhook(&self, token: &str) -> Box<dyn SmsGateway> {
        gateway(SmsProvider::Webhook, Some(format!("{}/webhook", self.base)), "", token, None)
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn gateway(provider: SmsProvider, base_url: Option<String>, username: &str, api_key: &str, sender: Option<&str>) -> Box<dyn SmsGateway> {
    let config =
        SmsConfig { provider, base_url, username: username.into(), api_key: Secret(api_key.into()), sender: sender.map(str::to_owned) };
    sms::gateway(&config, HttpClient::new(Duration::from_secs(5))).expect("a provider is configured")
}

fn phone() -> Phone {
    Phone::parse("0712345678", "254").unwrap()
}

fn text() -> String {
    sms::credentials_message(hotspotd::i18n::Lang::En, "254712345678", "k7mx3q", "1 day", "http://10.77.0.1:2050/")
}

/// The error's text with all its causes (as the job table and the log show it), checked to
/// hold no secret.
fn checked(err: &SmsError) -> String {
    let shown = hotspotd::error_chain(err);
    for secret in SECRETS {
        assert!(!shown.contains(secret), "an API key leaks into the error: {shown}");
    }
    shown
}

#[track_caller]
fn assert_permanent(result: Result<sms::SmsSent, SmsError>, needles: &[&str]) {
    match result {
        Err(err @ SmsError::Permanent(_)) => {
            let shown = checked(&err);
            for needle in needles {
                assert!(shown.contains(needle), "{shown:?} does not mention {needle:?}");
            }
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
}

#[track_caller]
fn assert_transient(result: Result<sms::SmsSent, SmsError>, needles: &[&str]) {
    match result {
        Err(err) if !err.is_permanent() => {
            let shown = checked(&err);
            for needle in needles {
                assert!(shown.contains(needle), "{shown:?} does not mention {needle:?}");
            }
        }
        other => panic!("expected a transient failure, got {other:?}"),
    }
}

#[test]
fn no_provider_no_gateway() {
    assert!(sms::gateway(&SmsConfig::none(), HttpClient::new(Duration::from_secs(1))).is_none());
}

#[test]
fn africastalking_delivers_to_the_e164_number_with_the_key() {
    let fake = Fake::start();
    let gateway = fake.africastalking(AT_KEY, Some("HOTSPOT"));
    assert_eq!(gateway.name(), "africastalking");
    let sent = gateway.send(&phone(), &text()).unwrap();
    assert!(sent.provider_id.as_deref().is_some_and(|id| id.starts_with("ATPid_")), "{sent:?}");

    let got = fake.only_message();
    assert_eq!(got["provider"], "africastalking");
    assert_eq!(got["to"], NUMBER);
    assert_eq!(got["message"], text().as_str());
    assert_eq!(got["headers"]["apikey"], AT_KEY);
    assert_eq!(got["headers"]["accept"], "application/json");
    assert_eq!(got["headers"]["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(got["fields"]["username"], "myshop");
    assert_eq!(got["fields"]["from"], "HOTSPOT");
    assert_eq!(got["answered"], 201);
}

#[test]
fn africastalking_without_sender_sends_no_from() {
    let fake = Fake::start();
    fake.africastalking(AT_KEY, None).send(&phone(), "hello").unwrap();
    assert!(fake.only_message()["fields"].get("from").is_none());
}

#[test]
fn africastalking_invalid_number_is_permanent() {
    let fake = Fake::start();
    fake.plan(json!({"recipient_status": 403}));
    assert_permanent(fake.africastalking(AT_KEY, None).send(&phone(), "hi"), &[NUMBER, "InvalidPhoneNumber", "403"]);
    for code in [404, 406, 409, 402] {
        fake.plan(json!({ "recipient_status": code }));
        assert_permanent(fake.africastalking(AT_KEY, None).send(&phone(), "hi"), &[&code.to_string()]);
    }
}

#[test]
fn africastalking_out_of_credit_or_routing_trouble_is_transient() {
    let fake = Fake::start();
    fake.plan(json!({"recipient_status": 405}));
    assert_transient(fake.africastalking(AT_KEY, None).send(&phone(), "hi"), &["InsufficientBalance", "top it up"]);
    for code in [401, 407, 500, 501, 502] {
        fake.plan(json!({ "recipient_status": code }));
        assert_transient(fake.africastalking(AT_KEY, None).send(&phone(), "hi"), &[&code.to_string()]);
    }
}

#[test]
fn africastalking_rejected_sender_id_names_the_option() {
    let fake = Fake::start();
    fake.plan(json!({"at_empty_message": "InvalidSenderId"}));
    assert_permanent(fake.africastalking(AT_KEY, Some("NOTMINE")).send(&phone(), "hi"), &["InvalidSenderId", "sms.sender"]);
}

#[test]
fn africastalking_server_error_is_transient_and_a_retry_gets_through() {
    let fake = Fake::start();
    fake.plan(json!({"fail_next": 1, "fail_status": 500}));
    let gateway = fake.africastalking(AT_KEY, None);
    assert_transient(gateway.send(&phone(), "hi"), &["HTTP 500"]);
    gateway.send(&phone(), "hi").unwrap();
    let answered: Vec<_> = fake.messages().iter().map(|m| m["answered"].clone()).collect();
    assert_eq!(answered, [json!(500), json!(201)]);
}

#[test]
fn africastalking_wrong_key_is_permanent_and_names_the_option() {
    let fake = Fake::start();
    assert_permanent(fake.africastalking(WRONG_KEY, None).send(&phone(), "hi"), &["HTTP 401", "sms.api_key"]);
    assert_eq!(fake.only_message()["answered"], 401);
}

#[test]
fn twilio_delivers_with_basic_auth() {
    let fake = Fake::start();
    let gateway = fake.twilio(TWILIO_TOKEN);
    assert_eq!(gateway.name(), "twilio");
    let sent = gateway.send(&phone(), &text()).unwrap();
    assert!(sent.provider_id.as_deref().is_some_and(|id| id.starts_with("SM")), "{sent:?}");

    let got = fake.only_message();
    assert_eq!(got["provider"], "twilio");
    assert_eq!(got["path"], format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"));
    assert_eq!(got["auth"], format!("{TWILIO_SID}:{TWILIO_TOKEN}"));
    assert_eq!(got["to"], NUMBER);
    assert_eq!(got["fields"]["From"], "+15005550006");
    assert_eq!(got["message"], text().as_str());
    assert_eq!(got["answered"], 201);
}

#[test]
fn twilio_invalid_number_is_permanent() {
    let fake = Fake::start();
    for (code, hint) in [(21211, "not valid"), (21610, "STOP"), (21614, "not a mobile number")] {
        fake.plan(json!({ "twilio_error": code }));
        assert_permanent(fake.twilio(TWILIO_TOKEN).send(&phone(), "hi"), &[&format!("error {code}"), hint, NUMBER]);
    }
}

#[test]
fn twilio_wrong_token_is_permanent_and_names_the_option() {
    let fake = Fake::start();
    assert_permanent(fake.twilio(WRONG_KEY).send(&phone(), "hi"), &["20003", "sms.api_key"]);
}

#[test]
fn twilio_failed_message_is_permanent_with_the_reason() {
    let fake = Fake::start();
    fake.plan(json!({"twilio_status": "undelivered"}));
    assert_permanent(fake.twilio(TWILIO_TOKEN).send(&phone(), "hi"), &["undelivered", "Landline or unreachable carrier"]);
}

#[test]
fn twilio_rate_limit_and_server_errors_are_transient() {
    let fake = Fake::start();
    for status in [429, 500, 503] {
        fake.plan(json!({ "fail_next": 1, "fail_status": status }));
        assert_transient(fake.twilio(TWILIO_TOKEN).send(&phone(), "hi"), &[&format!("HTTP {status}")]);
    }
}

#[test]
fn webhook_posts_json_with_the_bearer_token() {
    let fake = Fake::start();
    let gateway = fake.webhook(WEBHOOK_TOKEN);
    assert_eq!(gateway.name(), "webhook");
    let sent = gateway.send(&phone(), &text()).unwrap();
    assert!(sent.provider_id.as_deref().is_some_and(|id| id.starts_with("wh_")), "{sent:?}");

    let got = fake.only_message();
    assert_eq!(got["headers"]["authorization"], format!("Bearer {WEBHOOK_TOKEN}"));
    assert_eq!(got["headers"]["content-type"], "application/json");
    assert_eq!(got["fields"], json!({"to": NUMBER, "message": text()}));
}

#[test]
fn webhook_statuses_mean_what_they_say() {
    let fake = Fake::start();
    assert_permanent(fake.webhook("").send(&phone(), "hi"), &["HTTP 401", "sms.api_key"]);
    assert!(fake.messages()[0]["headers"].get("authorization").is_none(), "no token configured: no Authorization header");
    assert_permanent(fake.webhook(WRONG_KEY).send(&phone(), "hi"), &["sms.api_key"]);
    for (status, permanent) in [(400, true), (422, true), (408, false), (429, false), (500, false), (503, false)] {
        fake.plan(json!({ "webhook_status": status }));
        let result = fake.webhook(WEBHOOK_TOKEN).send(&phone(), "hi");
        if permanent {
            assert_permanent(result, &[&format!("HTTP {status}")]);
        } else {
            assert_transient(result, &[&format!("HTTP {status}")]);
        }
    }
    let missing = gateway(SmsProvider::Webhook, Some(format!("{}/nothing-here", fake.base)), "", WEBHOOK_TOKEN, None);
    assert_permanent(missing.send(&phone(), "hi"), &["HTTP 404", "sms.base_url"]);
}

#[test]
fn an_unreachable_gateway_is_transient_and_quick() {
    // A port that was free a moment ago: nothing listens on it.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let gateways = [
        gateway(SmsProvider::AfricasTalking, Some(base.clone()), "myshop", AT_KEY, None),
        gateway(SmsProvider::Twilio, Some(base.clone()), TWILIO_SID, TWILIO_TOKEN, Some("+15005550006")),
        gateway(SmsProvider::Webhook, Some(format!("{base}/webhook")), "", WEBHOOK_TOKEN, None),
    ];
    for gateway in gateways {
        let started = Instant::now();
        assert_transient(gateway.send(&phone(), "hi"), &["cannot reach", &format!("127.0.0.1:{port}")]);
        assert!(started.elapsed() < Duration::from_secs(2), "{} took {:?}", gateway.name(), started.elapsed());
    }
}

#[test]
fn a_gateway_that_hangs_is_transient_within_the_timeout() {
    let fake = Fake::start();
    fake.plan(json!({"delay_secs": 3}));
    let config = SmsConfig {
        provider: SmsProvider::Webhook,
        base_url: Some(format!("{}/webhook", fake.base)),
        username: String::new(),
        api_key: Secret(WEBHOOK_TOKEN.into()),
        sender: None,
    };
    let gateway = sms::gateway(&config, HttpClient::new(Duration::from_secs(1))).unwrap();
    let started = Instant::now();
    assert_transient(gateway.send(&phone(), "hi"), &["no answer from the SMS webhook", "in time"]);
    assert!(started.elapsed() < Duration::from_millis(2500), "took {:?}", started.elapsed());
}
