//! Twilio: `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, HTTP
//! Basic auth (account SID : auth token). Owns the request shape and what the answers mean.
//!
//! - 2xx with `status` queued/accepted/sending/sent/scheduled/delivered: accepted (the `sid`
//!   is kept). 2xx with `failed`, `undelivered` or `canceled` → permanent, with Twilio's
//!   `error_message`.
//! - Error bodies `{"code":21211,"message":…,"status":400}`: 20003 (authentication) and any
//!   401 → permanent, naming `sms.username` / `sms.api_key`; 21211 (invalid To), 21610
//!   (recipient replied STOP), 21614 (not a mobile number) and other 4xx → permanent (Twilio
//!   would refuse the same request again); 408/429, code 20429 and 5xx → transient.
//! - No answer → transient.
//!
//! `sms.sender` is the `From` number; a Messaging Service SID (`MG` + 32 hex) is sent as
//! `MessagingServiceSid` instead, as Twilio expects.

use base64::Engine;
use serde::Deserialize;

use super::{is_retryable_status, Redactor, SmsError, SmsGateway, SmsSent};
use crate::config::SmsConfig;
use crate::http_client::{HttpClient, HttpResponse};
use crate::phone::Phone;

pub const LIVE_BASE_URL: &str = "https://api.twilio.com";

const PROVIDER: &str = "Twilio";

pub struct Twilio {
    http: HttpClient,
    /// `{base}/2010-04-01/Accounts/{sid}/Messages.json`.
    url: String,
    /// `Basic base64(sid:token)`; holds the token, so it is never printed.
    authorization: String,
    /// (`From` or `MessagingServiceSid`, value).
    sender: Option<(&'static str, String)>,
    /// Set when the config cannot work (bad SID, no sender): every send fails with it.
    config_problem: Option<String>,
    redactor: Redactor,
}

impl Twilio {
    pub fn new(config: &SmsConfig, http: HttpClient) -> Twilio {
        let sid = config.username.trim();
        let base = match config.base_url.as_deref() {
            Some(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/'),
            _ => LIVE_BASE_URL,
        };
        let url = format!("{base}/2010-04-01/Accounts/{sid}/Messages.json");
        let token = config.api_key.expose();
        let authorization = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{token}")));
        let sender = config.sender.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| {
            let is_service = s.len() == 34 && s.starts_with("MG") && s.chars().all(|c| c.is_ascii_alphanumeric());
            (if is_service { "MessagingServiceSid" } else { "From" }, s.to_owned())
        });
        let config_problem = if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            Some(format!(
                "sms.username `{}` is not a Twilio account SID (AC followed by 32 letters and digits)",
                sid.chars().take(40).collect::<String>()
            ))
        } else if sender.is_none() {
            Some("sms.sender is required for Twilio: the Twilio number (or Messaging Service SID) to send from".to_owned())
        } else {
            None
        };
        let redactor = Redactor::new(token, &url);
        Twilio { http, url, authorization, sender, config_problem, redactor }
    }
}

impl SmsGateway for Twilio {
    fn send(&self, to: &Phone, message: &str) -> Result<SmsSent, SmsError> {
        if let Some(problem) = &self.config_problem {
            return Err(SmsError::Permanent(self.redactor.clean(problem)));
        }
        let number = to.e164();
        let mut fields = vec![("To", number.as_str())];
        if let Some((field, value)) = &self.sender {
            fields.push((field, value.as_str()));
        }
        fields.push(("Body", message));
        let headers = [("Authorization", self.authorization.as_str()), ("Accept", "application/json")];
        let response = self
            .http
            .post_form(&self.url, &headers, &fields)
            .map_err(|e| self.redactor.http_failure(PROVIDER, e))?;
        interpret(&response, &number, &self.redactor)
    }

    fn name(&self) -> &'static str {
        "twilio"
    }
}

/// A Message resource (the 2xx answer).
#[derive(Debug, Deserialize)]
struct Message {
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    error_message: Option<String>,
}

/// An error answer.
#[derive(Debug, Deserialize)]
struct ApiError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: String,
}

pub(super) fn interpret(response: &HttpResponse, number: &str, redactor: &Redactor) -> Result<SmsSent, SmsError> {
    let status = response.status;
    if response.is_success() {
        let message: Message = serde_json::from_str(&response.body).map_err(|_| {
            SmsError::Transient(format!("unexpected answer from {PROVIDER} (HTTP {status}): {}", redactor.quote(&response.body)))
        })?;
        return match message.status.as_str() {
            "failed" | "undelivered" | "canceled" => {
                let reason = message.error_message.as_deref().map(|m| redactor.quote(m)).unwrap_or_else(|| "no reason given".into());
                let code = message.error_code.map(|c| format!(" (error {c})")).unwrap_or_default();
                Err(SmsError::Permanent(format!("{PROVIDER} did not send to {number}: {}: {reason}{code}", message.status)))
            }
            _ => Ok(SmsSent { provider_id: message.sid.filter(|s| !s.is_empty()) }),
        };
    }
    let error: Option<ApiError> = serde_json::from_str(&response.body).ok();
    let code = error.as_ref().and_then(|e| e.code);
    let said = match &error {
        Some(e) if !e.message.is_empty() => redactor.quote(&e.message),
        _ => redactor.quote(&response.body),
    };
    let detail = match code {
        Some(c) => format!("HTTP {status}, error {c}: {said}"),
        None => format!("HTTP {status}: {said}"),
    };
    if code == Some(20003) || status == 401 {
        return Err(SmsError::Permanent(format!(
            "{PROVIDER} refused the credentials ({detail}): check sms.username (account SID) and sms.api_key (auth token)"
        )));
    }
    if code == Some(20429) || is_retryable_status(status) {
        return Err(SmsError::Transient(format!("{PROVIDER} is busy or failing ({detail})")));
    }
    let hint = match code {
        Some(21211) => ": the number is not valid",
        Some(21610) => ": the recipient has replied STOP to this sender",
        Some(21614) => ": the number is not a mobile number",
        Some(21408) | Some(21612) => ": Twilio may not send to this country or network (see Messaging Geo Permissions)",
        Some(21212) | Some(21606) | Some(21659) | Some(21660) => ": check sms.sender (a Twilio number of this account that can send SMS)",
        Some(20404) => ": check sms.username (account SID) and sms.base_url",
        _ if status == 404 => ": check sms.username (account SID) and sms.base_url",
        _ => "",
    };
    Err(SmsError::Permanent(format!("{PROVIDER} refused to send to {number} ({detail}){hint}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Secret, SmsProvider};

    fn answer(status: u16, body: &str) -> Result<SmsSent, SmsError> {
        let redactor = Redactor::new("tok3n-secret", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json");
        interpret(&HttpResponse { status, body: body.into() }, "+254712345678", &redactor)
    }

    fn error(status: u16, code: i64) -> String {
        format!(r#"{{"code":{code},"message":"Problem {code}","more_info":"https://www.twilio.com/docs/errors/{code}","status":{status}}}"#)
    }

    #[test]
    fn a_queued_message_keeps_its_sid() {
        let body =
            r#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued","error_code":null,"error_message":null,"num_segments":"1"}"#;
        assert_eq!(answer(201, body).ok(), Some(SmsSent { provider_id: Some("SM0123456789abcdef0123456789abcdef".into()) }));
    }

    #[test]
    fn failed_messages_and_client_errors_are_permanent() {
        let body = r#"{"sid":"SM1","status":"failed","error_code":30006,"error_message":"Landline or unreachable carrier"}"#;
        let Err(SmsError::Permanent(text)) = answer(201, body) else { panic!() };
        assert!(text.contains("Landline or unreachable carrier") && text.contains("30006"), "{text}");
        for code in [21211, 21610, 21614, 21606] {
            let Err(SmsError::Permanent(text)) = answer(400, &error(400, code)) else { panic!("{code}") };
            assert!(text.contains(&format!("error {code}")), "{text}");
        }
        let Err(SmsError::Permanent(text)) = answer(401, &error(401, 20003)) else { panic!() };
        assert!(text.contains("sms.api_key") && text.contains("sms.username"), "{text}");
    }

    #[test]
    fn busy_and_failing_is_transient() {
        assert!(matches!(answer(429, &error(429, 20429)), Err(SmsError::Transient(_))));
        assert!(matches!(answer(500, "oops"), Err(SmsError::Transient(_))));
        assert!(matches!(answer(503, ""), Err(SmsError::Transient(_))));
    }

    #[test]
    fn a_bad_config_fails_before_any_call() {
        let config = |username: &str, sender: Option<&str>| SmsConfig {
            provider: SmsProvider::Twilio,
            base_url: Some("http://127.0.0.1:9".into()),
            username: username.into(),
            api_key: Secret("tok3n-secret".into()),
            sender: sender.map(str::to_owned),
        };
        let http = HttpClient::new(std::time::Duration::from_secs(1));
        let phone = Phone::parse("0712345678", "254").unwrap();
        let err = Twilio::new(&config("AC/../x", Some("+15005550006")), http.clone()).send(&phone, "hi").unwrap_err();
        assert!(matches!(&err, SmsError::Permanent(t) if t.contains("sms.username")), "{err}");
        let err = Twilio::new(&config("AC123", None), http.clone()).send(&phone, "hi").unwrap_err();
        assert!(matches!(&err, SmsError::Permanent(t) if t.contains("sms.sender")), "{err}");
        let service = Twilio::new(&config("AC123", Some("MG0123456789abcdef0123456789abcdef")), http);
        assert_eq!(service.sender.as_ref().map(|s| s.0), Some("MessagingServiceSid"));
    }
}
