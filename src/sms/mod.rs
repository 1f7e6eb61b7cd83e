//! Sending credentials by SMS: the `SmsGateway` trait, its errors (permanent: give up now;
//! transient: retry later), the message text, and choosing the provider from the config.
//! One file per provider: `africastalking.rs`, `twilio.rs`, `webhook.rs`. Calls block
//! (HTTP): the job worker runs them on the blocking pool.

use crate::config::{SmsConfig, SmsProvider};
use crate::http_client::HttpClient;
use crate::phone::Phone;

/// A message the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSent {
    /// The provider's id for the message (`ATPid_…`, `SM…`), when it gives one.
    pub provider_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// Retrying cannot help (invalid number, blacklisted, bad credentials): fail the job now.
    #[error("SMS refused for good: {0}")]
    Permanent(String),
    /// Worth retrying later (provider down, no uplink, out of credit, rate limited).
    #[error("SMS not sent yet: {0}")]
    Transient(String),
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
        // Providers are added in their own files.
        SmsProvider::AfricasTalking | SmsProvider::Twilio | SmsProvider::Webhook => {
            let _ = http;
            None
        }
    }
}
