//! Africa's Talking: `POST {base}/version1/messaging`, form-encoded, `apiKey` header. Owns the
//! request shape and what the answers mean; knows nothing of jobs or retries (the caller
//! reads `Permanent` / `Transient`).
//!
//! What the answers mean (the per-recipient `statusCode` decides, not the HTTP status, which
//! is 201 on success):
//! - 100 Processed, 101 Sent, 102 Queued: accepted; the `messageId` is kept.
//! - 403 InvalidPhoneNumber, 404 UnsupportedNumberType, 406 UserInBlacklist,
//!   409 DoNotDisturbRejection: about this number; retrying cannot help → permanent.
//! - 402 InvalidSenderId → permanent: `sms.sender` is not approved for the account (or for
//!   the payer's network), and every retry sends the same sender again until the operator
//!   changes it. Failing now shows the cause in `hotspotd jobs` instead of after hours of
//!   retries.
//! - 401 RiskHold → transient: Africa's Talking holds the account for review; nothing is
//!   wrong with the number or the request, and the same job succeeds once the hold is lifted.
//! - 405 InsufficientBalance, 407 CouldNotRoute, 500/501/502 and any code we do not know →
//!   transient (top-up, network or gateway trouble).
//!
//! A 2xx answer with no recipients carries the reason in `Message` (`InvalidSenderId`,
//! `InvalidPhoneNumber`), classified the same way. HTTP 401/403 mean the username or API key
//! is wrong → permanent, naming `sms.api_key`; 408/429/5xx and no answer → transient; any
//! other status → permanent (the same request would be refused again).

use serde_json::Value;

use super::{is_retryable_status, Redactor, SmsError, SmsGateway, SmsSent};
use crate::config::{Secret, SmsConfig};
use crate::http_client::{HttpClient, HttpResponse};
use crate::json_fields::{Field, Fields};
use crate::phone::Phone;

/// The live API.
pub const LIVE_BASE_URL: &str = "https://api.africastalking.com";
/// The sandbox, used when the username is `sandbox` (its keys only work there).
pub const SANDBOX_BASE_URL: &str = "https://api.sandbox.africastalking.com";

const PROVIDER: &str = "Africa's Talking";

pub struct AfricasTalking {
    http: HttpClient,
    /// `{base}/version1/messaging`.
    url: String,
    username: String,
    api_key: Secret,
    /// `from`: a sender ID or shortcode; `None`: the account's default.
    sender: Option<String>,
    redactor: Redactor,
}

impl AfricasTalking {
    pub fn new(config: &SmsConfig, http: HttpClient) -> AfricasTalking {
        let url = format!("{}/version1/messaging", base_url(config));
        AfricasTalking {
            http,
            redactor: Redactor::new(config.api_key.expose(), &url),
            url,
            username: config.username.clone(),
            api_key: config.api_key.clone(),
            sender: config.sender.clone().filter(|s| !s.trim().is_empty()),
        }
    }
}

/// `sms.base_url` if set, else the sandbox for username `sandbox`, else the live API.
fn base_url(config: &SmsConfig) -> String {
    match config.base_url.as_deref() {
        Some(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ if config.username == "sandbox" => SANDBOX_BASE_URL.to_owned(),
        _ => LIVE_BASE_URL.to_owned(),
    }
}

impl SmsGateway for AfricasTalking {
    fn send(&self, to: &Phone, message: &str) -> Result<SmsSent, SmsError> {
        let number = to.e164();
        let mut fields = vec![("username", self.username.as_str()), ("to", number.as_str()), ("message", message)];
        if let Some(from) = &self.sender {
            fields.push(("from", from.as_str()));
        }
        let headers = [("apiKey", self.api_key.expose()), ("Accept", "application/json")];
        let response = self
            .http
            .post_form(&self.url, &headers, &fields)
            .map_err(|e| self.redactor.http_failure(PROVIDER, e))?;
        interpret(&response, &number, &self.redactor)
    }

    fn name(&self) -> &'static str {
        "africastalking"
    }
}

/// `{"SMSMessageData":{"Message":…,"Recipients":[…]}}`, read by hand from a `Value` (the
/// derived decoders cost the mips binary ~4 KB); the same fields required as before.
#[derive(Debug)]
struct Answer {
    data: MessageData,
}

#[derive(Debug)]
struct MessageData {
    /// `Message`, "" if missing.
    message: String,
    /// `Recipients`, none if missing.
    recipients: Vec<Recipient>,
}

#[derive(Debug)]
struct Recipient {
    /// `statusCode`, required.
    status_code: i64,
    number: String,
    status: String,
    /// `messageId`.
    message_id: Option<String>,
}

impl Answer {
    fn from_json(value: Value) -> Option<Answer> {
        let mut f = Fields::of(value).ok()?;
        let mut data = Fields::of(f.take("SMSMessageData")?).ok()?;
        let data = MessageData { message: data.or("Message", String::new()).ok()?, recipients: data.or("Recipients", Vec::new()).ok()? };
        Some(Answer { data })
    }
}

impl Field for Recipient {
    fn from_json(value: Value) -> Option<Recipient> {
        let mut f = Fields::of(value).ok()?;
        Some(Recipient {
            status_code: f.get("statusCode").ok()?,
            number: f.or("number", String::new()).ok()?,
            status: f.or("status", String::new()).ok()?,
            message_id: f.get("messageId").ok()?,
        })
    }
}

/// What an answer to a send of one message to `number` means.
pub(super) fn interpret(response: &HttpResponse, number: &str, redactor: &Redactor) -> Result<SmsSent, SmsError> {
    let status = response.status;
    let quoted = || redactor.quote(&response.body);
    if !response.is_success() {
        return Err(match status {
            401 | 403 => SmsError::Permanent(format!(
                "{PROVIDER} refused the credentials (HTTP {status}: {}): check sms.api_key and sms.username \
                 (sandbox keys only work with username `sandbox`)",
                quoted()
            )),
            404 => {
                SmsError::Permanent(format!("{PROVIDER} has no messaging API at {} (HTTP 404): check sms.base_url", redactor.shown_url()))
            }
            s if is_retryable_status(s) => SmsError::Transient(format!("{PROVIDER} is busy or failing (HTTP {s}: {})", quoted())),
            s => SmsError::Permanent(format!("{PROVIDER} rejected the request (HTTP {s}: {})", quoted())),
        });
    }
    let answer = serde_json::from_str(&response.body)
        .ok()
        .and_then(Answer::from_json)
        .ok_or_else(|| SmsError::Transient(format!("unexpected answer from {PROVIDER} (HTTP {status}): {}", quoted())))?;
    let recipients = answer.data.recipients;
    let Some(recipient) = recipients.iter().find(|r| r.number == number).or(recipients.first()) else {
        let reason = redactor.quote(&answer.data.message);
        return Err(match answer.data.message.trim() {
            "InvalidSenderId" => SmsError::Permanent(format!("{PROVIDER} sent nothing: {reason}: {}", meaning(402))),
            "InvalidPhoneNumber" => SmsError::Permanent(format!("{PROVIDER} sent nothing to {number}: {reason}: {}", meaning(403))),
            _ => SmsError::Transient(format!("{PROVIDER} sent nothing to {number}: {reason}")),
        });
    };
    let code = recipient.status_code;
    if matches!(code, 100..=102) {
        let provider_id = recipient.message_id.clone().filter(|id| !id.is_empty() && id != "None");
        return Ok(SmsSent { provider_id });
    }
    let name = if recipient.status.is_empty() { "failed".to_owned() } else { redactor.quote(&recipient.status) };
    let text = format!("{PROVIDER} did not send to {number}: {name} ({code}): {}", meaning(code));
    Err(if is_permanent(code) { SmsError::Permanent(text) } else { SmsError::Transient(text) })
}

/// Recipient status codes that retrying cannot fix (see the file comment).
fn is_permanent(code: i64) -> bool {
    matches!(code, 402 | 403 | 404 | 406 | 409)
}

/// A recipient status code in an operator's words.
fn meaning(code: i64) -> &'static str {
    match code {
        401 => "the account is held by Africa's Talking's risk checks; contact their support",
        402 => "the sender ID is not approved for this account or network; fix sms.sender or leave it empty",
        403 => "the number is not a valid phone number",
        404 => "this kind of number cannot receive SMS from the account",
        405 => "the Africa's Talking account is out of credit; top it up",
        406 => "the recipient has blocked messages from this sender",
        407 => "Africa's Talking could not route to the recipient's network",
        409 => "the recipient has opted out of promotional messages (Do Not Disturb)",
        500..=599 => "Africa's Talking or the mobile network failed",
        _ => "an unknown status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SmsProvider;

    fn config(username: &str, base_url: Option<&str>) -> SmsConfig {
        SmsConfig {
            provider: SmsProvider::AfricasTalking,
            base_url: base_url.map(str::to_owned),
            username: username.into(),
            api_key: Secret("atsk_secretkey".into()),
            sender: None,
        }
    }

    fn answer(status: u16, body: &str) -> Result<SmsSent, SmsError> {
        let redactor = Redactor::new("atsk_secretkey", "https://api.africastalking.com/version1/messaging");
        interpret(&HttpResponse { status, body: body.into() }, "+254712345678", &redactor)
    }

    fn recipient(code: i64, status: &str) -> String {
        format!(
            r#"{{"SMSMessageData":{{"Message":"Sent to 0/1","Recipients":[{{"statusCode":{code},"number":"+254712345678","status":"{status}","cost":"0","messageId":"None"}}]}}}}"#
        )
    }

    #[test]
    fn the_base_url_follows_the_username_unless_overridden() {
        assert_eq!(base_url(&config("sandbox", None)), SANDBOX_BASE_URL);
        assert_eq!(base_url(&config("myshop", None)), LIVE_BASE_URL);
        assert_eq!(base_url(&config("sandbox", Some("http://127.0.0.1:9/"))), "http://127.0.0.1:9");
    }

    #[test]
    fn success_keeps_the_message_id() {
        let body = r#"{"SMSMessageData":{"Message":"Sent to 1/1 Total Cost: KES 0.8000","Recipients":[{"statusCode":101,"number":"+254712345678","status":"Success","cost":"KES 0.8000","messageId":"ATPid_SampleTxnId123"}]}}"#;
        assert_eq!(answer(201, body).ok(), Some(SmsSent { provider_id: Some("ATPid_SampleTxnId123".into()) }));
        assert_eq!(answer(200, &recipient(102, "Queued")).ok(), Some(SmsSent { provider_id: None }));
    }

    #[test]
    fn recipient_codes_are_classified() {
        for code in [402, 403, 404, 406, 409] {
            assert!(matches!(answer(201, &recipient(code, "X")), Err(SmsError::Permanent(_))), "{code}");
        }
        for code in [401, 405, 407, 500, 501, 502, 999] {
            assert!(matches!(answer(201, &recipient(code, "X")), Err(SmsError::Transient(_))), "{code}");
        }
        let Err(SmsError::Permanent(text)) = answer(201, &recipient(403, "InvalidPhoneNumber")) else { panic!() };
        assert!(text.contains("+254712345678") && text.contains("InvalidPhoneNumber (403)"), "{text}");
        let Err(SmsError::Permanent(text)) = answer(201, &recipient(402, "InvalidSenderId")) else { panic!() };
        assert!(text.contains("sms.sender"), "{text}");
    }

    #[test]
    fn an_answer_without_recipients_gives_its_reason() {
        let empty = |m: &str| format!(r#"{{"SMSMessageData":{{"Message":"{m}","Recipients":[]}}}}"#);
        let Err(SmsError::Permanent(text)) = answer(201, &empty("InvalidSenderId")) else { panic!() };
        assert!(text.contains("sms.sender"), "{text}");
        assert!(matches!(answer(201, &empty("InvalidPhoneNumber")), Err(SmsError::Permanent(_))));
        assert!(matches!(answer(201, &empty("Something new")), Err(SmsError::Transient(_))));
    }

    #[test]
    fn http_statuses_are_classified_without_leaking_the_key() {
        let Err(SmsError::Permanent(text)) = answer(401, "The supplied authentication is invalid (atsk_secretkey)") else { panic!() };
        assert!(text.contains("sms.api_key") && !text.contains("atsk_secretkey"), "{text}");
        assert!(matches!(answer(404, "Not found"), Err(SmsError::Permanent(t)) if t.contains("sms.base_url")));
        assert!(matches!(answer(400, "Invalid request"), Err(SmsError::Permanent(_))));
        for status in [429, 500, 502, 503] {
            assert!(matches!(answer(status, "busy"), Err(SmsError::Transient(_))), "{status}");
        }
        assert!(matches!(answer(201, "<html>proxy login</html>"), Err(SmsError::Transient(_))));
    }
}
