//! Generic webhook for a local SMS aggregator: `POST <sms.base_url>` with the JSON
//! `{"to":"+254712345678","message":"…"}` and, when `sms.api_key` is set,
//! `Authorization: Bearer <api_key>`. The URL is used exactly as configured.
//!
//! Answers: 2xx → sent (an `id` string in a JSON answer is kept as the provider's id; any
//! other body is ignored); 401/403 → permanent, naming `sms.api_key`; 404 → permanent,
//! naming `sms.base_url`; 408/425/429 and 5xx → transient; any other status (other 4xx,
//! redirects, which are not followed) → permanent; no answer → transient.

use super::{is_retryable_status, Redactor, SmsError, SmsGateway, SmsSent};
use crate::config::{Secret, SmsConfig};
use crate::http_client::{HttpClient, HttpResponse};
use crate::phone::Phone;

const PROVIDER: &str = "the SMS webhook";

pub struct Webhook {
    http: HttpClient,
    /// `None`: `sms.base_url` is missing; every send fails saying so.
    url: Option<String>,
    /// Sent as a bearer token when not empty.
    api_key: Secret,
    redactor: Redactor,
}

impl Webhook {
    pub fn new(config: &SmsConfig, http: HttpClient) -> Webhook {
        let url = config.base_url.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned);
        let redactor = Redactor::new(config.api_key.expose(), url.as_deref().unwrap_or_default());
        Webhook { http, url, api_key: config.api_key.clone(), redactor }
    }
}

#[derive(serde::Serialize)]
struct Request<'a> {
    to: &'a str,
    message: &'a str,
}

impl SmsGateway for Webhook {
    fn send(&self, to: &Phone, message: &str) -> Result<SmsSent, SmsError> {
        let Some(url) = &self.url else {
            return Err(SmsError::Permanent("sms.base_url is required for the webhook provider: the URL to POST messages to".into()));
        };
        let number = to.e164();
        let body = serde_json::to_vec(&Request { to: &number, message }).expect("two strings always serialise");
        let bearer = format!("Bearer {}", self.api_key.expose());
        let mut headers = vec![("Accept", "application/json")];
        if !self.api_key.is_empty() {
            headers.push(("Authorization", bearer.as_str()));
        }
        let response = self.http.post(url, &headers, "application/json", &body).map_err(|e| self.redactor.http_failure(PROVIDER, e))?;
        interpret(&response, &number, &self.redactor)
    }

    fn name(&self) -> &'static str {
        "webhook"
    }
}

pub(super) fn interpret(response: &HttpResponse, number: &str, redactor: &Redactor) -> Result<SmsSent, SmsError> {
    let status = response.status;
    if response.is_success() {
        let provider_id = serde_json::from_str::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(|id| redactor.clean(id)))
            .filter(|id| !id.is_empty());
        return Ok(SmsSent { provider_id });
    }
    let detail = format!("HTTP {status}: {}", redactor.quote(&response.body));
    let at = redactor.shown_url();
    Err(match status {
        401 | 403 => SmsError::Permanent(format!("{PROVIDER} at {at} refused the credentials ({detail}): check sms.api_key")),
        404 => SmsError::Permanent(format!("{PROVIDER} at {at} does not exist ({detail}): check sms.base_url")),
        s if is_retryable_status(s) => SmsError::Transient(format!("{PROVIDER} at {at} is busy or failing ({detail})")),
        300..=399 => SmsError::Permanent(format!(
            "{PROVIDER} at {at} redirects ({detail}); redirects are not followed: set sms.base_url to the final URL"
        )),
        _ => SmsError::Permanent(format!("{PROVIDER} at {at} refused the message to {number} ({detail})")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Result<SmsSent, SmsError> {
        interpret(&HttpResponse { status, body: body.into() }, "+254712345678", &Redactor::new("bearer-secret", "http://10.0.0.5/sms?k=1"))
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(answer(200, r#"{"id":"q-17"}"#).ok(), Some(SmsSent { provider_id: Some("q-17".into()) }));
        assert_eq!(answer(204, "").ok(), Some(SmsSent { provider_id: None }));
        for status in [400, 401, 403, 404, 410, 422, 301] {
            assert!(matches!(answer(status, "no"), Err(SmsError::Permanent(_))), "{status}");
        }
        for status in [408, 429, 500, 502, 503] {
            assert!(matches!(answer(status, "later"), Err(SmsError::Transient(_))), "{status}");
        }
        let Err(SmsError::Permanent(text)) = answer(401, "bad token bearer-secret") else { panic!() };
        assert!(text.contains("sms.api_key") && !text.contains("bearer-secret") && !text.contains("k=1"), "{text}");
    }
}
