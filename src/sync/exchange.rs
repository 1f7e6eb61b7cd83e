//! One exchange with the central, as blocking HTTP (run off the runtime thread): sign the
//! request, send it, and accept the answer only if the central signed it for this request.
//! Pure apart from the HTTP call; what goes in and what comes out are `wire` types.

use super::wire::{self, ExchangeRequest, ExchangeResponse, RequestHead};
use crate::http_client::HttpClient;

/// Why an exchange did not go through, in words for `hotspotd status`.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("cannot reach the central server")]
    Unreachable(#[source] crate::http_client::HttpError),
    #[error("the central server refused this router (HTTP {status}: {message}); check sync.router_id and sync.key")]
    Refused { status: u16, message: String },
    #[error("the central server's answer is not signed with this router's key (an impostor, a proxy that rewrote it, or a wrong sync.key): ignored")]
    BadSignature,
    #[error("the central server answered HTTP {status}: {message}")]
    Failed { status: u16, message: String },
    #[error("the central server's answer cannot be read: {0}")]
    Unreadable(String),
}

/// Who is asking and with what key.
pub struct Credentials<'a> {
    pub router_id: i64,
    pub key: &'a [u8],
    pub stream: &'a str,
}

/// Sends `request` as request number `counter` to `base_url` and returns the central's
/// verified answer.
pub fn exchange(http: &HttpClient, base_url: &str, who: &Credentials<'_>, counter: u64, request: &ExchangeRequest) -> Result<ExchangeResponse, ExchangeError> {
    let body = serde_json::to_vec(request).map_err(|e| ExchangeError::Unreadable(e.to_string()))?;
    let head = RequestHead { method: "POST", path: wire::EXCHANGE_PATH, router: who.router_id, stream: who.stream, counter };
    let signature = wire::sign_request(who.key, &head, &body);
    let (router, counter_text) = (who.router_id.to_string(), counter.to_string());
    let headers = [
        (wire::HEADER_ROUTER, router.as_str()),
        (wire::HEADER_STREAM, who.stream),
        (wire::HEADER_COUNTER, counter_text.as_str()),
        (wire::HEADER_SIGNATURE, signature.as_str()),
    ];
    let url = format!("{}{}", base_url.trim_end_matches('/'), wire::EXCHANGE_PATH);
    let (answer, answer_signature) = http
        .post_signed(&url, &headers, "application/json", &body, wire::HEADER_SIGNATURE, wire::MAX_BODY_BYTES as u64)
        .map_err(ExchangeError::Unreachable)?;
    let signed = answer_signature.is_some_and(|sig| wire::response_signed(who.key, &head, answer.status, answer.body.as_bytes(), &sig));
    match answer.status {
        200 if signed => serde_json::from_str(&answer.body).map_err(|e| ExchangeError::Unreadable(e.to_string())),
        200 => Err(ExchangeError::BadSignature),
        401 | 403 => Err(ExchangeError::Refused { status: answer.status, message: error_words(&answer.body) }),
        status => Err(ExchangeError::Failed { status, message: error_words(&answer.body) }),
    }
}

/// The `error` of a JSON error body, or the start of the body.
fn error_words(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(120).collect())
}
