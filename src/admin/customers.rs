//! The web admin's customer operations: search accounts by phone or username, one account
//! with its history, and the operator's extension (time and/or data) and resend of login
//! details. Disabling and enabling are `Request::UserDisable` / `UserEnable`. Changes go
//! through `Sessions` (devices online get the new limits at once) and `accounts`, the same
//! operations the central's orders use (`sync::apply`).

use super::reports::phone_fragment;
use super::{Admin, AdminError};
use crate::access::{self, AccountStatus};
use crate::accounts::{self as account_ops, ResendOutcome};
use crate::store::payments::PaymentListing;
use crate::store::reports::{self, AccountListing, SessionListing};
use crate::store::{accounts, catalog};

/// Accounts a search lists; payments and sessions a customer's page lists.
pub const SEARCH_LIMIT: u32 = 50;
pub const HISTORY_LIMIT: u32 = 50;
/// The longest search text taken (a phone number or username is shorter).
const SEARCH_CHARS: usize = 32;
/// The most one extension may add: a year, 1 TB.
pub const MAX_EXTEND_MINUTES: i64 = 366 * 24 * 60;
pub const MAX_EXTEND_MB: i64 = 1_000_000;

/// One account with what is left and its history.
#[derive(Debug, Clone)]
pub struct Customer {
    pub username: String,
    pub phone: Option<String>,
    pub package: String,
    pub status: AccountStatus,
    /// Time left (all of it while the clock has not started).
    pub secs_left: i64,
    /// The clock starts at the first login.
    pub clock_started: bool,
    /// `None`: unlimited.
    pub data_left_bytes: Option<i64>,
    pub data_used_bytes: i64,
    pub payments: Vec<PaymentListing>,
    pub sessions: Vec<SessionListing>,
}

impl Admin {
    /// Accounts whose username or phone number holds `text` (newest first, at most 50).
    pub async fn search_customers(&self, text: &str) -> Result<Vec<AccountListing>, AdminError> {
        let text: String = text.trim().chars().take(SEARCH_CHARS).collect();
        let text = phone_fragment(&text, &self.system.config.country_code).filter(|p| p.bytes().all(|b| b.is_ascii_digit())).unwrap_or(text);
        Ok(self.sessions.store().call(move |conn| reports::search_accounts(conn, &text, SEARCH_LIMIT)).await?)
    }

    /// The account `username` with its history; `None`: there is none.
    pub async fn customer(&self, username: &str) -> Result<Option<Customer>, AdminError> {
        let now = self.sessions.now();
        let name = username.to_owned();
        Ok(self
            .sessions
            .store()
            .call(move |conn| {
                let Some(record) = accounts::find_account(conn, &name)? else { return Ok(None) };
                let account = &record.account;
                let left = access::remaining(account, now);
                let package = catalog::get_package(conn, record.package_id)?.map(|p| p.name).unwrap_or_default();
                Ok(Some(Customer {
                    status: access::status_at(account, now),
                    secs_left: left.secs,
                    clock_started: account.expires_at.is_some(),
                    data_left_bytes: left.bytes,
                    data_used_bytes: account.data_used_bytes,
                    payments: reports::account_payments(conn, account.user_id, record.phone.as_deref(), HISTORY_LIMIT)?,
                    sessions: reports::account_sessions(conn, account.user_id, HISTORY_LIMIT)?,
                    username: record.username,
                    phone: record.phone,
                    package,
                }))
            })
            .await?)
    }

    /// Gives `username` `minutes` more time and `mb` more data (either may be 0, not both);
    /// devices online on it get the new deadline and cap at once. Returns what it has now.
    pub async fn extend_customer(&self, username: &str, minutes: i64, mb: i64) -> Result<String, AdminError> {
        if !(0..=MAX_EXTEND_MINUTES).contains(&minutes) || !(0..=MAX_EXTEND_MB).contains(&mb) || minutes + mb == 0 {
            return Err(AdminError::Invalid(format!(
                "give 1 to {MAX_EXTEND_MINUTES} minutes, or 1 to {MAX_EXTEND_MB} MB, or both"
            )));
        }
        let outcome = self.sessions.extend_account(None, username.to_owned(), minutes * 60, mb * 1_000_000).await?;
        if outcome.ok {
            Ok(outcome.detail)
        } else {
            Err(AdminError::NoSuchUser(username.to_owned()))
        }
    }

    /// Gives `username` a new password beside its current one and sends it by SMS to the
    /// account's number (as the central's `resend`). Returns the number.
    pub async fn resend_customer(&self, username: &str) -> Result<String, AdminError> {
        let now = self.sessions.now();
        let name = username.to_owned();
        match self.sessions.store().call(move |conn| account_ops::resend_credentials(conn, &name, now)).await? {
            ResendOutcome::Queued { phone } => {
                self.jobs.notify();
                Ok(phone)
            }
            ResendOutcome::NoAccount => Err(AdminError::NoSuchUser(username.to_owned())),
            ResendOutcome::NoPhone => Err(AdminError::Invalid(format!("{username} has no phone number to send to"))),
        }
    }
}

#[cfg(test)]
mod tests;
