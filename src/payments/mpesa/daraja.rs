//! Safaricom's Daraja API (or the fake of it at `base_url`): the OAuth token, STK push and
//! STK query, over the blocking `HttpClient`. The pure parts — password, East Africa Time
//! timestamp, request bodies, reading answers — sit apart from the three I/O methods and
//! are tested below; the client as a whole is tested against `scripts/fake-daraja.py`
//! (tests/daraja_client.rs).
//!
//! Must not: leak a secret (consumer key/secret, passkey, token, Basic or Password value)
//! into an error or a log line, retry on its own beyond the one documented case (a refused
//! token: fetch a new one, send once more), or decide what a result code means for the
//! payer (that is `Decline`).

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use super::{MpesaApi, MpesaError, PushAccepted, QueryOutcome, StkPush};
use crate::config::{MpesaConfig, Secret};
use crate::http_client::{HttpClient, HttpResponse};

const TOKEN_PATH: &str = "/oauth/v1/generate?grant_type=client_credentials";
const PUSH_PATH: &str = "/mpesa/stkpush/v1/processrequest";
const QUERY_PATH: &str = "/mpesa/stkpushquery/v1/query";

/// "Invalid Access Token": fetch a new token and send the call once more.
const INVALID_TOKEN: &str = "404.001.03";
/// On a query with "The transaction is being processed": the payer has not answered yet.
/// On a push: a merchant/credentials problem, or "unable to lock subscriber".
const BEING_PROCESSED: &str = "500.001.1001";
/// A token is replaced this long before Daraja says it expires (at most half its life).
const TOKEN_MARGIN_SECS: u64 = 60;
/// East Africa Time, UTC+3 all year (no daylight saving).
const EAT_OFFSET_SECS: i64 = 3 * 3600;
/// Daraja's limits on what the payer sees.
const ACCOUNT_REFERENCE_MAX_CHARS: usize = 12;
const DESCRIPTION_MAX_CHARS: usize = 13;
/// Longest message from Daraja kept in an error.
const MESSAGE_MAX_CHARS: usize = 200;

pub struct Daraja {
    http: HttpClient,
    /// Without a trailing `/`.
    base_url: String,
    consumer_key: Secret,
    consumer_secret: Secret,
    shortcode: String,
    passkey: Secret,
    transaction_type: &'static str,
    /// The paybill (the shortcode) or the till receiving the money.
    party_b: String,
    /// The one access token, shared by all calls. A std Mutex, held across the token request
    /// on purpose: Daraja invalidates the previous token when it issues a new one, so two
    /// callers must never fetch at once. Calls run on the blocking pool, never the runtime.
    token: Mutex<Option<Token>>,
}

struct Token {
    value: Secret,
    /// Monotonic, so a clock step at NTP sync neither keeps a dead token nor drops a good one.
    refresh_at: Instant,
}

impl Daraja {
    /// Does no I/O: the first call fetches the token.
    pub fn new(config: &MpesaConfig, http: HttpClient) -> Daraja {
        Daraja {
            http,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            consumer_key: config.consumer_key.clone(),
            consumer_secret: config.consumer_secret.clone(),
            shortcode: config.shortcode.clone(),
            passkey: config.passkey.clone(),
            transaction_type: config.transaction_type.as_daraja(),
            party_b: config.party_b.clone().unwrap_or_else(|| config.shortcode.clone()),
            token: Mutex::new(None),
        }
    }

    /// The cached token, or a new one when there is none or it is about to expire.
    fn token(&self) -> Result<Secret, MpesaError> {
        let mut cached = self.token.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(token.value.clone());
        }
        *cached = None;
        let basic = BASE64.encode(format!("{}:{}", self.consumer_key.expose(), self.consumer_secret.expose()));
        let url = format!("{}{TOKEN_PATH}", self.base_url);
        let answer = self.http.get(&url, &[("Authorization", &format!("Basic {basic}"))]).map_err(MpesaError::Unreachable)?;
        let (value, expires_in_secs) = read_token(&answer).map_err(|e| self.scrub(e))?;
        let margin_secs = TOKEN_MARGIN_SECS.min(expires_in_secs / 2);
        let refresh_at = Instant::now() + Duration::from_secs(expires_in_secs - margin_secs);
        log::debug!("M-Pesa: new access token, valid for {expires_in_secs} s");
        *cached = Some(Token { value: value.clone(), refresh_at });
        Ok(value)
    }

    /// Drops the cached token if it is still `stale` (another call may have replaced it).
    fn forget_token(&self, stale: &Secret) {
        let mut cached = self.token.lock().unwrap_or_else(PoisonError::into_inner);
        if cached.as_ref().is_some_and(|t| t.value == *stale) {
            *cached = None;
        }
    }

    /// POSTs `body` with the token; when Daraja says the token is invalid, fetches a new
    /// one and sends once more.
    fn post(&self, path: &str, body: &impl Serialize) -> Result<HttpResponse, MpesaError> {
        let url = format!("{}{path}", self.base_url);
        let body = serde_json::to_vec(body).map_err(|e| MpesaError::Protocol(format!("cannot encode the request: {e}")))?;
        let send = |token: &Secret| {
            let bearer = format!("Bearer {}", token.expose());
            self.http.post(&url, &[("Authorization", &bearer)], "application/json", &body).map_err(MpesaError::Unreachable)
        };
        let token = self.token()?;
        let answer = send(&token)?;
        if !is_invalid_token(&answer) {
            return Ok(answer);
        }
        log::info!("M-Pesa: the access token was refused; fetching a new one");
        self.forget_token(&token);
        send(&self.token()?)
    }

    /// The push request for `push`, stamped `timestamp` (pure).
    fn push_body<'a>(&'a self, push: &'a StkPush, timestamp: &'a str) -> PushBody<'a> {
        let msisdn = push.phone.msisdn();
        PushBody {
            business_short_code: &self.shortcode,
            password: password(&self.shortcode, self.passkey.expose(), timestamp),
            timestamp,
            transaction_type: self.transaction_type,
            amount: push.amount,
            party_a: msisdn.clone(),
            party_b: &self.party_b,
            phone_number: msisdn,
            callback_url: &push.callback_url,
            account_reference: account_reference(&push.account_reference),
            transaction_desc: transaction_desc(&push.description),
        }
    }

    fn query_body<'a>(&'a self, checkout_request_id: &'a str, timestamp: &'a str) -> QueryBody<'a> {
        QueryBody {
            business_short_code: &self.shortcode,
            password: password(&self.shortcode, self.passkey.expose(), timestamp),
            timestamp,
            checkout_request_id,
        }
    }

    /// Removes our secrets from text Daraja sent back (it should never echo them; this makes
    /// sure a misbehaving proxy cannot put them into our logs).
    fn scrub(&self, error: MpesaError) -> MpesaError {
        let secrets = [self.consumer_key.expose(), self.consumer_secret.expose(), self.passkey.expose()];
        let clean = |text: String| secrets.iter().filter(|s| s.len() >= 4).fold(text, |t, s| t.replace(*s, "(secret)"));
        match error {
            MpesaError::Busy { code, message } => MpesaError::Busy { code: clean(code), message: clean(message) },
            MpesaError::Rejected { code, message } => MpesaError::Rejected { code: clean(code), message: clean(message) },
            MpesaError::Protocol(message) => MpesaError::Protocol(clean(message)),
            unreachable @ MpesaError::Unreachable(_) => unreachable,
        }
    }
}

impl MpesaApi for Daraja {
    fn stk_push(&self, push: &StkPush) -> Result<PushAccepted, MpesaError> {
        push.check()?;
        let timestamp = eat_timestamp(unix_now());
        let answer = self.post(PUSH_PATH, &self.push_body(push, &timestamp))?;
        read_push_answer(&answer).map_err(|e| self.scrub(e))
    }

    fn stk_query(&self, checkout_request_id: &str) -> Result<QueryOutcome, MpesaError> {
        let timestamp = eat_timestamp(unix_now());
        let answer = self.post(QUERY_PATH, &self.query_body(checkout_request_id, &timestamp))?;
        read_query_answer(&answer).map_err(|e| self.scrub(e))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct PushBody<'a> {
    business_short_code: &'a str,
    password: String,
    timestamp: &'a str,
    transaction_type: &'static str,
    /// Whole shillings, as a JSON number.
    amount: i64,
    party_a: String,
    party_b: &'a str,
    phone_number: String,
    #[serde(rename = "CallBackURL")]
    callback_url: &'a str,
    account_reference: String,
    transaction_desc: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueryBody<'a> {
    business_short_code: &'a str,
    password: String,
    timestamp: &'a str,
    #[serde(rename = "CheckoutRequestID")]
    checkout_request_id: &'a str,
}

/// Which call an answer belongs to: the same error code means different things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Token,
    Push,
    Query,
}

/// `base64(shortcode + passkey + timestamp)`.
fn password(shortcode: &str, passkey: &str, timestamp: &str) -> String {
    BASE64.encode(format!("{shortcode}{passkey}{timestamp}"))
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `YYYYMMDDHHmmss` in East Africa Time for a Unix time.
fn eat_timestamp(unix_secs: i64) -> String {
    let local = unix_secs + EAT_OFFSET_SECS;
    let (days, secs_of_day) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (year, month, day) = crate::calendar::civil_from_days(days);
    let (hour, minute, second) = (secs_of_day / 3600, secs_of_day % 3600 / 60, secs_of_day % 60);
    format!("{year:04}{month:02}{day:02}{hour:02}{minute:02}{second:02}")
}

/// Letters and digits only, at most 12; Daraja refuses anything else.
fn account_reference(wanted: &str) -> String {
    let kept: String = wanted.chars().filter(char::is_ascii_alphanumeric).take(ACCOUNT_REFERENCE_MAX_CHARS).collect();
    if kept.is_empty() {
        "Hotspot".into()
    } else {
        kept
    }
}

/// At most 13 characters, never empty.
fn transaction_desc(wanted: &str) -> String {
    let kept: String = wanted.trim().chars().filter(|c| !c.is_control()).take(DESCRIPTION_MAX_CHARS).collect();
    if kept.trim().is_empty() {
        "Payment".into()
    } else {
        kept
    }
}

fn clip(text: &str) -> String {
    text.chars().take(MESSAGE_MAX_CHARS).collect()
}

/// A field that Daraja sends as a string or (sometimes) a number, as text.
fn loose_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Daraja's error body: `{"requestId":…,"errorCode":…,"errorMessage":…}`.
fn error_body(body: &str) -> Option<(String, String)> {
    let value: Value = serde_json::from_str(body).ok()?;
    let code = loose_text(value.get("errorCode").or_else(|| value.get("errorcode")))?;
    let message = loose_text(value.get("errorMessage").or_else(|| value.get("errormessage"))).unwrap_or_default();
    Some((clip(&code), clip(&message)))
}

fn is_invalid_token(answer: &HttpResponse) -> bool {
    !answer.is_success() && (answer.status == 401 || error_body(&answer.body).is_some_and(|(code, _)| code == INVALID_TOKEN))
}

/// What a refused answer means: Busy (try again shortly) or Rejected (configuration).
fn failure(call: Call, answer: &HttpResponse) -> MpesaError {
    let Some((code, message)) = error_body(&answer.body) else {
        let code = format!("HTTP {}", answer.status);
        return match answer.status {
            500.. => MpesaError::Busy { code, message: "no error details in the answer".into() },
            400.. => MpesaError::Rejected { code, message: with_hint(call, "no error details in the answer".into()) },
            _ => MpesaError::Protocol(format!("{code} answer without the expected fields")),
        };
    };
    let busy = code.starts_with("500.003") || (code == BEING_PROCESSED && message.to_ascii_lowercase().contains("lock subscriber"));
    let refused = ["400.", "401.", "404.", "405.", "500.001"].iter().any(|p| code.starts_with(p));
    if busy || (!refused && answer.status >= 500) {
        MpesaError::Busy { code, message }
    } else {
        MpesaError::Rejected { message: with_hint(call, message), code }
    }
}

/// Tells the operator which settings a refusal is about.
fn with_hint(call: Call, message: String) -> String {
    match call {
        Call::Token => format!("{message} (getting an access token: check mpesa.consumer_key, mpesa.consumer_secret and mpesa.base_url)"),
        Call::Push | Call::Query => message,
    }
}

/// `{"access_token":"…","expires_in":3599}`; `expires_in` may be a string.
pub fn read_token(answer: &HttpResponse) -> Result<(Secret, u64), MpesaError> {
    if !answer.is_success() {
        return Err(failure(Call::Token, answer));
    }
    let value: Value = serde_json::from_str(&answer.body).map_err(|_| MpesaError::Protocol("the token answer is not JSON".into()))?;
    let token = value
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| MpesaError::Protocol("the token answer has no access_token".into()))?;
    let expires_in_secs = loose_text(value.get("expires_in"))
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|&secs| secs > 0)
        .ok_or_else(|| MpesaError::Protocol("the token answer has no valid expires_in".into()))?;
    Ok((Secret(token.to_owned()), expires_in_secs))
}

/// `{"MerchantRequestID":…,"CheckoutRequestID":"ws_CO_…","ResponseCode":"0",…}` or an error.
pub fn read_push_answer(answer: &HttpResponse) -> Result<PushAccepted, MpesaError> {
    if !answer.is_success() || error_body(&answer.body).is_some() {
        return Err(failure(Call::Push, answer));
    }
    let value: Value = serde_json::from_str(&answer.body).map_err(|_| MpesaError::Protocol("the push answer is not JSON".into()))?;
    match loose_text(value.get("ResponseCode")).as_deref() {
        Some("0") => {}
        Some(code) => {
            let message = loose_text(value.get("ResponseDescription")).unwrap_or_default();
            return Err(MpesaError::Rejected { code: clip(code), message: clip(&message) });
        }
        None => return Err(MpesaError::Protocol("the push answer has no ResponseCode".into())),
    }
    let text = |field: &str| {
        value
            .get(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| MpesaError::Protocol(format!("the push answer has no {field}")))
    };
    Ok(PushAccepted { checkout_request_id: text("CheckoutRequestID")?, merchant_request_id: text("MerchantRequestID")? })
}

/// Finished (`ResultCode` as a string or a number), pending ("being processed"), or an error.
pub fn read_query_answer(answer: &HttpResponse) -> Result<QueryOutcome, MpesaError> {
    if let Some((code, message)) = error_body(&answer.body) {
        if code == BEING_PROCESSED && message.to_ascii_lowercase().contains("being processed") {
            return Ok(QueryOutcome::Pending);
        }
        return Err(failure(Call::Query, answer));
    }
    if !answer.is_success() {
        return Err(failure(Call::Query, answer));
    }
    let value: Value = serde_json::from_str(&answer.body).map_err(|_| MpesaError::Protocol("the query answer is not JSON".into()))?;
    let result_code = loose_text(value.get("ResultCode"))
        .ok_or_else(|| MpesaError::Protocol("the query answer has no ResultCode".into()))?
        .parse::<i64>()
        .map_err(|_| MpesaError::Protocol("the query answer's ResultCode is not a number".into()))?;
    let result_desc = loose_text(value.get("ResultDesc")).unwrap_or_default();
    Ok(QueryOutcome::Finished { result_code, result_desc: clip(&result_desc) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TransactionType;
    use crate::phone::Phone;

    fn answer(status: u16, body: &str) -> HttpResponse {
        HttpResponse { status, body: body.into() }
    }

    fn daraja(transaction_type: TransactionType, party_b: Option<&str>) -> Daraja {
        let config = MpesaConfig {
            enabled: true,
            base_url: "http://127.0.0.1:9/".into(),
            consumer_key: Secret("key".into()),
            consumer_secret: Secret("consumer-secret".into()),
            passkey: Secret("bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919".into()),
            transaction_type,
            party_b: party_b.map(str::to_owned),
            ..MpesaConfig::disabled()
        };
        Daraja::new(&config, HttpClient::new(Duration::from_secs(1)))
    }

    #[test]
    fn password_matches_safaricoms_sample() {
        let passkey = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";
        assert_eq!(
            password("174379", passkey, "20160216165627"),
            "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMTYwMjE2MTY1NjI3"
        );
    }

    #[test]
    fn timestamps_are_east_africa_time() {
        assert_eq!(eat_timestamp(0), "19700101030000");
        // The spec's callback: 2019-12-19 10:21:15 EAT is 07:21:15 UTC.
        assert_eq!(eat_timestamp(1_576_740_075), "20191219102115");
        // 21:00 UTC on New Year's Eve is already next year in Nairobi.
        assert_eq!(eat_timestamp(1_704_056_400), "20240101000000");
        assert_eq!(eat_timestamp(1_704_056_399), "20231231235959");
    }

    #[test]
    fn push_body_has_every_field() {
        let push = StkPush {
            phone: Phone::parse("0708374149", "254").unwrap(),
            amount: 50,
            account_reference: "Hot-spot shop #1 Nairobi".into(),
            description: "1 day, 1 GB of internet".into(),
            callback_url: "https://example.com/mpesa/callback/t0k3n".into(),
        };
        let paybill = daraja(TransactionType::PayBill, None);
        let body = serde_json::to_value(paybill.push_body(&push, "20191219102115")).unwrap();
        let want = serde_json::json!({
            "BusinessShortCode": "174379",
            "Password": password("174379", paybill.passkey.expose(), "20191219102115"),
            "Timestamp": "20191219102115",
            "TransactionType": "CustomerPayBillOnline",
            "Amount": 50,
            "PartyA": "254708374149",
            "PartyB": "174379",
            "PhoneNumber": "254708374149",
            "CallBackURL": "https://example.com/mpesa/callback/t0k3n",
            "AccountReference": "Hotspotshop1",
            "TransactionDesc": "1 day, 1 GB o",
        });
        assert_eq!(body, want);

        let till = daraja(TransactionType::BuyGoods, Some("5551234"));
        let body = serde_json::to_value(till.push_body(&push, "20191219102115")).unwrap();
        assert_eq!(body["TransactionType"], "CustomerBuyGoodsOnline");
        assert_eq!(body["PartyB"], "5551234");
        assert_eq!(body["BusinessShortCode"], "174379");
    }

    #[test]
    fn query_body_has_every_field() {
        let d = daraja(TransactionType::PayBill, None);
        let body = serde_json::to_value(d.query_body("ws_CO_1", "20240101000000")).unwrap();
        let want = serde_json::json!({
            "BusinessShortCode": "174379",
            "Password": password("174379", d.passkey.expose(), "20240101000000"),
            "Timestamp": "20240101000000",
            "CheckoutRequestID": "ws_CO_1",
        });
        assert_eq!(body, want);
    }

    #[test]
    fn reference_and_description_fit_darajas_limits() {
        assert_eq!(account_reference("Hotspot"), "Hotspot");
        assert_eq!(account_reference("ABCDEFGHIJKLMNOP"), "ABCDEFGHIJKL");
        assert_eq!(account_reference("--- ---"), "Hotspot");
        assert_eq!(transaction_desc("Wi-Fi 1 hour"), "Wi-Fi 1 hour");
        assert_eq!(transaction_desc("Ünïcödé chars count as one each"), "Ünïcödé chars");
        assert_eq!(transaction_desc("  "), "Payment");
    }

    #[test]
    fn token_answers() {
        let (token, secs) = read_token(&answer(200, r#"{"access_token":"abc","expires_in":"3599"}"#)).unwrap();
        assert_eq!((token.expose(), secs), ("abc", 3599));
        let (_, secs) = read_token(&answer(200, r#"{"access_token":"abc","expires_in":3599}"#)).unwrap();
        assert_eq!(secs, 3599);
        for body in ["", "<html>", r#"{"expires_in":1}"#, r#"{"access_token":"a","expires_in":"soon"}"#, r#"{"access_token":"a","expires_in":0}"#] {
            assert!(matches!(read_token(&answer(200, body)), Err(MpesaError::Protocol(_))), "{body}");
        }
        let refused = read_token(&answer(400, r#"{"errorCode":"400.008.01","errorMessage":"Invalid Authentication passed"}"#)).unwrap_err();
        let MpesaError::Rejected { code, message } = refused else { panic!("{refused:?}") };
        assert_eq!(code, "400.008.01");
        assert!(message.contains("Invalid Authentication passed") && message.contains("mpesa.consumer_secret"), "{message}");
        assert!(matches!(read_token(&answer(401, "")), Err(MpesaError::Rejected { .. })));
        assert!(matches!(read_token(&answer(503, "<html>busy</html>")), Err(MpesaError::Busy { .. })));
    }

    #[test]
    fn push_answers() {
        let ok = r#"{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"ws_CO_191220191020363925","ResponseCode":"0",
            "ResponseDescription":"Success. Request accepted for processing","CustomerMessage":"Success. Request accepted for processing"}"#;
        assert_eq!(
            read_push_answer(&answer(200, ok)).unwrap(),
            PushAccepted { checkout_request_id: "ws_CO_191220191020363925".into(), merchant_request_id: "29115-34620561-1".into() }
        );
        let error = |code: &str, message: &str| format!(r#"{{"requestId":"1-2-3","errorCode":"{code}","errorMessage":"{message}"}}"#);
        let busy = |r: Result<PushAccepted, MpesaError>| matches!(r, Err(MpesaError::Busy { .. }));
        let rejected = |r: Result<PushAccepted, MpesaError>, want: &str| matches!(r, Err(MpesaError::Rejected { code, .. }) if code == want);
        assert!(busy(read_push_answer(&answer(500, &error("500.003.02", "Spike arrest violation")))));
        assert!(busy(read_push_answer(&answer(500, &error("500.003.03", "Quota Violation")))));
        assert!(busy(read_push_answer(&answer(500, &error("500.003.1001", "Internal Server Error")))));
        assert!(busy(read_push_answer(&answer(502, "<html>Bad Gateway</html>"))));
        assert!(busy(read_push_answer(&answer(500, &error("500.001.1001", "Unable to lock subscriber, a transaction is already in process for the current subscriber")))));
        assert!(rejected(read_push_answer(&answer(500, &error("500.001.1001", "Merchant does not exist"))), "500.001.1001"));
        assert!(rejected(read_push_answer(&answer(400, &error("400.002.02", "Bad Request - Invalid BusinessShortCode"))), "400.002.02"));
        assert!(rejected(read_push_answer(&answer(404, &error("404.001.01", "Resource not found"))), "404.001.01"));
        assert!(rejected(read_push_answer(&answer(401, &error("404.001.03", "Invalid Access Token"))), "404.001.03"));
        assert!(rejected(read_push_answer(&answer(404, "Not Found")), "HTTP 404"));
        assert!(rejected(read_push_answer(&answer(200, r#"{"ResponseCode":"1","ResponseDescription":"Rejected"}"#)), "1"));
        for body in ["", "not json", r#"{"ResponseCode":"0"}"#, r#"{"CheckoutRequestID":"ws_CO_1"}"#] {
            assert!(matches!(read_push_answer(&answer(200, body)), Err(MpesaError::Protocol(_))), "{body}");
        }
    }

    #[test]
    fn query_answers() {
        let finished = |code: &str| {
            format!(
                r#"{{"ResponseCode":"0","ResponseDescription":"The service request has been accepted successsfully","MerchantRequestID":"1",
                "CheckoutRequestID":"ws_CO_1","ResultCode":{code},"ResultDesc":"Request cancelled by user"}}"#
            )
        };
        let want = |code| QueryOutcome::Finished { result_code: code, result_desc: "Request cancelled by user".into() };
        assert_eq!(read_query_answer(&answer(200, &finished("\"1032\""))).unwrap(), want(1032));
        assert_eq!(read_query_answer(&answer(200, &finished("1032"))).unwrap(), want(1032));
        assert_eq!(read_query_answer(&answer(200, &finished("\"0\""))).unwrap(), want(0));
        let pending = r#"{"requestId":"1-2","errorCode":"500.001.1001","errorMessage":"The transaction is being processed"}"#;
        assert_eq!(read_query_answer(&answer(500, pending)).unwrap(), QueryOutcome::Pending);
        let busy = r#"{"requestId":"1-2","errorCode":"500.003.02","errorMessage":"System is busy. Please try again in few minutes."}"#;
        assert!(matches!(read_query_answer(&answer(503, busy)), Err(MpesaError::Busy { .. })));
        let unknown = r#"{"requestId":"1-2","errorCode":"400.002.02","errorMessage":"Bad Request - Invalid CheckoutRequestID"}"#;
        assert!(matches!(read_query_answer(&answer(400, unknown)), Err(MpesaError::Rejected { .. })));
        for body in ["", "[]", r#"{"ResponseCode":"0"}"#, &finished("\"soon\""), &finished("null")] {
            assert!(matches!(read_query_answer(&answer(200, body)), Err(MpesaError::Protocol(_))), "{body}");
        }
    }

    #[test]
    fn only_a_refused_token_triggers_a_refresh() {
        assert!(is_invalid_token(&answer(401, r#"{"errorCode":"404.001.03","errorMessage":"Invalid Access Token"}"#)));
        assert!(is_invalid_token(&answer(400, r#"{"errorCode":"404.001.03","errorMessage":"Invalid Access Token"}"#)));
        assert!(is_invalid_token(&answer(401, "")));
        assert!(!is_invalid_token(&answer(500, r#"{"errorCode":"500.003.02","errorMessage":"Spike arrest"}"#)));
        assert!(!is_invalid_token(&answer(200, r#"{"ResponseCode":"0"}"#)));
    }

    #[test]
    fn secrets_are_scrubbed_from_errors() {
        let d = daraja(TransactionType::PayBill, None);
        let echoed = MpesaError::Rejected { code: "x".into(), message: "bad consumer-secret for bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919".into() };
        let shown = crate::error_chain(&d.scrub(echoed));
        assert!(!shown.contains("consumer-secret") && !shown.contains("bfb279f9"), "{shown}");
    }
}
