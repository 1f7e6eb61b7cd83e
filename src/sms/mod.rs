//! Sending credentials by SMS: the `SmsGateway` trait, its errors (permanent: give up now;
//! transient: retry later), the message text, and choosing the provider from the config.
//! One file per provider: `africastalking.rs`, `twilio.rs`, `webhook.rs`; the text payers
//! receive is built in `message.rs` (pure). Calls block (HTTP): the job worker runs them on
//! the blocking pool.
//!
//! Error texts end up in `hotspotd jobs` output and the log, so they say what happened in
//! an operator's words and name the `sms.*` option to fix when the configuration is at
//! fault. They never contain the API key: everything built from a provider's answer goes
//! through [`Redactor`] first.

mod africastalking;
mod message;
mod twilio;
mod webhook;

pub use africastalking::AfricasTalking;
pub use message::{credentials_message, is_gsm7, SEGMENT_CHARS};
pub use twilio::Twilio;
pub use webhook::Webhook;

use crate::config::{SmsConfig, SmsProvider};
use crate::http_client::{HttpClient, HttpError, HttpResponse};
use crate::phone::Phone;

/// A message the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSent {
    /// The provider's id for the message (`ATPid_…`, `SM…`), when it gives one.
    pub provider_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// Retrying cannot help (invalid number, blacklisted, bad credentials): fail the job now.
    /// The text quotes the provider's answer, redacted.
    #[error("SMS refused for good: {0}")]
    Permanent(String),
    /// The provider answered that it cannot send now (down, out of credit, rate limited):
    /// worth retrying later.
    #[error("SMS not sent yet: {0}")]
    Transient(String),
    /// No usable answer (no uplink, timeout, a broken answer): worth retrying later. The
    /// message may have gone out when the request was sent but the answer was lost.
    #[error("SMS not sent yet: {what}")]
    NoAnswer {
        /// What happened, in words, with the URL shown without secrets.
        what: String,
        #[source]
        source: HttpError,
    },
}

impl SmsError {
    /// Retrying cannot help: the job fails at once.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SmsError::Permanent(_))
    }
}

pub trait SmsGateway: Send + Sync {
    /// Sends one message to one number. Blocks for at most the HTTP client's timeout.
    fn send(&self, to: &Phone, message: &str) -> Result<SmsSent, SmsError>;

    /// The provider's name for logs (`africastalking`, `twilio`, `webhook`).
    fn name(&self) -> &'static str;
}

/// The configured gateway, or `None` when `provider` is `none`.
pub fn gateway(config: &SmsConfig, http: HttpClient) -> Option<Box<dyn SmsGateway>> {
    match config.provider {
        SmsProvider::None => None,
        SmsProvider::AfricasTalking => Some(Box::new(AfricasTalking::new(config, http))),
        SmsProvider::Twilio => Some(Box::new(Twilio::new(config, http))),
        SmsProvider::Webhook => Some(Box::new(Webhook::new(config, http))),
    }
}

/// What `provider`'s answer to a send to `number` means, as its gateway would report it
/// (`api_key` and `url` as configured, for redaction). Pure: for the fuzz and property tests.
pub fn interpret_answer(provider: SmsProvider, answer: &HttpResponse, number: &str, api_key: &str, url: &str) -> Option<Result<SmsSent, SmsError>> {
    let redactor = Redactor::new(api_key, url);
    match provider {
        SmsProvider::None => None,
        SmsProvider::AfricasTalking => Some(africastalking::interpret(answer, number, &redactor)),
        SmsProvider::Twilio => Some(twilio::interpret(answer, number, &redactor)),
        SmsProvider::Webhook => Some(webhook::interpret(answer, number, &redactor)),
    }
}

/// Longest piece of a provider's answer quoted in an error.
const QUOTE_CHARS: usize = 200;

/// Makes text from the outside world safe to show: the API key and the full URL (which may
/// carry a token in its query) are replaced before anything reaches an error or a log line.
#[derive(Clone)]
pub(crate) struct Redactor {
    api_key: String,
    url: String,
}

impl Redactor {
    pub(crate) fn new(api_key: &str, url: &str) -> Redactor {
        Redactor { api_key: api_key.to_owned(), url: url.to_owned() }
    }

    /// The request URL as errors show it.
    pub(crate) fn shown_url(&self) -> String {
        self.clean(&shown_url(&self.url))
    }

    /// `text` without the secret and with the URL shortened to its origin and path.
    pub(crate) fn clean(&self, text: &str) -> String {
        let mut out = text.to_owned();
        if !self.url.is_empty() {
            out = out.replace(&self.url, &shown_url(&self.url));
        }
        // Keys shorter than 4 characters would blank out ordinary words; config keys are longer.
        if self.api_key.len() >= 4 {
            out = out.replace(&self.api_key, "(sms.api_key)");
        }
        out
    }

    /// The start of an answer body on one line, redacted, for an error message.
    pub(crate) fn quote(&self, body: &str) -> String {
        let one_line = body.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut out: String = one_line.chars().take(QUOTE_CHARS).collect();
        if one_line.chars().count() > QUOTE_CHARS {
            out.push('…');
        }
        if out.is_empty() {
            out.push_str("(empty answer)");
        }
        self.clean(&out)
    }

    /// A failed call as an `SmsError`: no answer at all is always worth retrying. The
    /// transport error is kept as the cause (its text shows the URL without secrets).
    pub(crate) fn http_failure(&self, provider: &str, error: HttpError) -> SmsError {
        let shown = self.shown_url();
        let what = match &error {
            HttpError::Unreachable { source, .. } if is_timeout(source) => {
                format!("no answer from {provider} at {shown} in time; the message may have been sent")
            }
            HttpError::Unreachable { source, .. } => self.clean(&format!("cannot reach {provider} at {shown}: {}", describe(source))),
            // The request went out; the provider may have sent the message. A rare duplicate
            // SMS is better than credentials that never arrive.
            HttpError::Body { source, .. } => self.clean(&format!(
                "{provider} answered but the answer could not be read ({}); the message may have been sent",
                describe(source)
            )),
        };
        SmsError::NoAnswer { what, source: error }
    }
}

pub(crate) use crate::http_client::shown_url;

/// A transport failure in plain words (`connection refused`, `timed out`).
fn describe(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Io(e) => match e.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused (nothing listening)".into(),
            std::io::ErrorKind::TimedOut => "timed out".into(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => "the connection was dropped".into(),
            _ => format!("network error: {e}"),
        },
        ureq::Error::Timeout(_) => "timed out".into(),
        ureq::Error::HostNotFound => "host not found (DNS failed, or no uplink)".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        other => crate::error_chain(other),
    }
}

fn is_timeout(error: &ureq::Error) -> bool {
    matches!(error, ureq::Error::Timeout(_)) || matches!(error, ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

/// `true` for the statuses that mean "try again later" on any HTTP API: timeout, rate limit,
/// server error.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || status >= 500
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_secrets() {
        assert_eq!(shown_url("https://user:pw@sms.example/send?token=abc"), "https://sms.example/send");
        assert_eq!(shown_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        let r = Redactor::new("s3cr3tkey", "http://h/x?t=1");
        assert_eq!(r.clean("key s3cr3tkey at http://h/x?t=1"), "key (sms.api_key) at http://h/x");
    }

    #[test]
    fn quotes_are_short_and_on_one_line() {
        let r = Redactor::new("", "");
        let long = "a\nb ".repeat(300);
        let q = r.quote(&long);
        assert!(!q.contains('\n'));
        assert!(q.chars().count() <= QUOTE_CHARS + 1);
        assert_eq!(r.quote(" "), "(empty answer)");
    }
}
