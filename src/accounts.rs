//! Account operations that span tables: resetting a forgotten password (new password, its
//! SMS queued, in one transaction). Lookups and updates of single tables are in `store`.
//!
//! A reset does not replace the password. Anyone who knows a customer's number may ask for
//! one, so the new password is kept beside the old one (`pending_password_hash`): both work
//! until the new one is first used, which retires the old one (`sessions::records`). The
//! alternative, retiring the old one once the SMS is delivered, would still let a stranger
//! log out every device the customer set up with the old password and force them to read
//! their SMS; this way a reset nobody wanted changes nothing for the customer, and one the
//! customer wanted takes effect as soon as they use it. A purchase's new password replaces
//! both, as before.

use rusqlite::Connection;

use crate::access::{self, AccountStatus};
use crate::credentials;
use crate::jobs::{queue, SendCredentialsSms};
use crate::phone::Phone;
use crate::store::outbox::{self, Event};
use crate::store::{accounts, StoreError};

/// Password resets one account may ask for per hour.
pub const RESETS_PER_HOUR: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetOutcome {
    /// A new password is queued for SMS.
    Queued,
    /// No active account for that number (the caller says the same as for `Queued`).
    NoAccount,
    /// Asked too often for this account.
    TooOften,
}

/// What resending an account's login details found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResendOutcome {
    /// A new password is queued for SMS to this number.
    Queued { phone: String },
    NoAccount,
    /// The account has no phone number to send to.
    NoPhone,
}

/// The operator's resend of an account's login details (a remote `resend`): a new password
/// beside the current one, by SMS to the account's number, as for a reset but without its
/// hourly limit.
pub fn resend_credentials(conn: &mut Connection, username: &str, now: i64) -> Result<ResendOutcome, StoreError> {
    let tx = conn.transaction()?;
    let Some(record) = accounts::find_account(&tx, username.trim())? else { return Ok(ResendOutcome::NoAccount) };
    let Some(phone) = record.phone.clone().filter(|p| !p.is_empty()) else { return Ok(ResendOutcome::NoPhone) };
    queue_new_password(&tx, &record.username, record.account.user_id, &phone, now)?;
    tx.commit()?;
    Ok(ResendOutcome::Queued { phone })
}

/// A new password beside the current one, its SMS queued and the reset reported.
fn queue_new_password(conn: &Connection, username: &str, user_id: i64, phone: &str, now: i64) -> Result<(), StoreError> {
    let password = credentials::new_password().map_err(StoreError::Random)?;
    let hash = credentials::hash_password(&password).map_err(StoreError::Random)?;
    accounts::set_pending_password_hash(conn, user_id, &hash, now)?;
    accounts::seal_password(conn, user_id, &password, true)?;
    let credential_id = accounts::add_credential(conn, user_id, username, &password, Some(phone), None, now)?;
    queue::enqueue(conn, SendCredentialsSms { credential_id }, now)?;
    outbox::record(conn, &Event::PasswordReset { account_id: user_id }, now)
}

/// Gives the active account of `phone` a new password beside its current one and queues it
/// for SMS.
pub fn reset_password(conn: &mut Connection, phone: &Phone, now: i64) -> Result<ResetOutcome, StoreError> {
    let tx = conn.transaction()?;
    let Some(record) = accounts::find_account(&tx, &phone.msisdn())? else { return Ok(ResetOutcome::NoAccount) };
    if access::status_at(&record.account, now) != AccountStatus::Active {
        return Ok(ResetOutcome::NoAccount);
    }
    if accounts::credentials_since(&tx, record.account.user_id, now - 3600)? >= RESETS_PER_HOUR {
        return Ok(ResetOutcome::TooOften);
    }
    queue_new_password(&tx, &record.username, record.account.user_id, &phone.msisdn(), now)?;
    tx.commit()?;
    Ok(ResetOutcome::Queued)
}
