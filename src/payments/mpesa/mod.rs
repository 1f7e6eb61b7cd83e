//! M-Pesa Express (STK push) as the payment flow sees it: the `MpesaApi` trait (push a
//! prompt to the payer's phone, ask whether it was paid), what Daraja's answers and result
//! callbacks mean, and choosing the backend from the config: `daraja.rs` (Safaricom's API,
//! or a fake of it) or `demo.rs` (approves after a few seconds, for `run --demo`).
//! Calls block (HTTP): the daemon runs them on the blocking pool. `callback.rs` reads the
//! result Daraja POSTs to our CallBackURL (pure; the flow still confirms it by a query).

pub mod callback;
pub mod daraja;
pub mod demo;

use crate::config::{MpesaConfig, MpesaMode};
use crate::http_client::HttpClient;
use crate::phone::Phone;

pub use callback::{parse_callback, CallbackError, StkCallback};
pub use daraja::Daraja;
pub use demo::DemoMpesa;

/// The backend `config.mode` names: Daraja at `config.base_url`, or the demo provider.
/// Does no I/O (the first Daraja call fetches the token). Whether M-Pesa is `enabled` at all
/// is the caller's decision.
pub fn backend(config: &MpesaConfig, http: HttpClient) -> Box<dyn MpesaApi> {
    match config.mode {
        MpesaMode::Daraja => Box::new(Daraja::new(config, http)),
        MpesaMode::Demo => Box::new(DemoMpesa::new(demo::APPROVE_AFTER)),
    }
}

/// One prompt to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StkPush {
    pub phone: Phone,
    /// Whole shillings.
    pub amount: i64,
    /// Shown to the payer; at most 12 letters and digits.
    pub account_reference: String,
    /// At most 13 characters.
    pub description: String,
    /// Where Daraja posts the result (with our per-payment token in the path).
    pub callback_url: String,
}

impl StkPush {
    /// What every backend checks before sending: a prompt for at least one whole shilling.
    /// (`account_reference` and `description` are trimmed to Daraja's limits when sent.)
    pub fn check(&self) -> Result<(), MpesaError> {
        if self.amount < 1 {
            return Err(MpesaError::Rejected {
                code: LOCAL_CODE.into(),
                message: format!("cannot prompt for {} shillings; the amount must be at least 1", self.amount),
            });
        }
        Ok(())
    }
}

/// The `code` of an error raised by hotspotd itself, before any request was sent: a
/// `Rejected` prompt, or `Busy` when M-Pesa's share of upstream calls is in use.
pub const LOCAL_CODE: &str = "hotspotd";

/// Daraja accepted the request and is prompting the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushAccepted {
    pub checkout_request_id: String,
    pub merchant_request_id: String,
}

/// What an STK query says about a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOutcome {
    /// The payer has not answered yet ("The transaction is being processed").
    Pending,
    /// Final: `result_code` 0 is paid; anything else is why not.
    Finished { result_code: i64, result_desc: String },
}

#[derive(Debug, thiserror::Error)]
pub enum MpesaError {
    /// No answer from Daraja (uplink down, timeout): payments are unavailable right now.
    #[error("M-Pesa cannot be reached")]
    Unreachable(#[source] crate::http_client::HttpError),
    /// Daraja is busy or failed internally (5xx, spike arrest): try again shortly.
    #[error("M-Pesa is busy: {code} {message}")]
    Busy { code: String, message: String },
    /// Daraja refused the request (bad shortcode, credentials, …): the operator must fix
    /// the configuration; retrying will not help.
    #[error("M-Pesa refused the request: {code} {message}")]
    Rejected { code: String, message: String },
    /// An answer we cannot make sense of.
    #[error("unexpected answer from M-Pesa: {0}")]
    Protocol(String),
}

pub trait MpesaApi: Send + Sync {
    /// Sends the payment prompt to the payer's phone.
    fn stk_push(&self, push: &StkPush) -> Result<PushAccepted, MpesaError>;

    /// Asks whether the prompt was paid.
    fn stk_query(&self, checkout_request_id: &str) -> Result<QueryOutcome, MpesaError>;

    /// `true` for the demo backend (the portal labels it clearly).
    fn is_demo(&self) -> bool {
        false
    }
}

/// Why a prompt was not paid, in the terms the payer needs (messages in `i18n::PortalWords`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decline {
    /// 1032
    Cancelled,
    /// 2001
    WrongPin,
    /// 1, 2, 3, 4, 8
    InsufficientFunds,
    /// 1037
    PhoneUnreachable,
    /// 1019, 1025, or our own timeout
    TimedOut,
    /// 17: the same amount to the same number within two minutes
    Duplicate,
    /// Anything else (2028, 8006, …): the payer should ask the staff.
    Other,
}

impl Decline {
    pub fn from_result_code(code: i64) -> Decline {
        match code {
            1032 => Decline::Cancelled,
            2001 => Decline::WrongPin,
            1 | 2 | 3 | 4 | 8 => Decline::InsufficientFunds,
            1037 => Decline::PhoneUnreachable,
            1019 | 1025 => Decline::TimedOut,
            17 => Decline::Duplicate,
            _ => Decline::Other,
        }
    }
}
