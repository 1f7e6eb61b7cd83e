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
use crate::i18n::Lang;
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
    let lang = accounts::latest_credential_lang(&tx, record.account.user_id)?;
    queue_new_password(&tx, &record.username, record.account.user_id, &phone, lang, now)?;
    tx.commit()?;
    Ok(ResendOutcome::Queued { phone })
}

/// A new password beside the current one, its SMS queued (in `lang`, else the operator's
/// language) and the reset reported.
fn queue_new_password(conn: &Connection, username: &str, user_id: i64, phone: &str, lang: Option<Lang>, now: i64) -> Result<(), StoreError> {
    let password = credentials::new_password().map_err(StoreError::Random)?;
    let hash = credentials::hash_password(&password).map_err(StoreError::Random)?;
    accounts::set_pending_password_hash(conn, user_id, &hash, now)?;
    accounts::seal_password(conn, user_id, &password, true)?;
    let new = accounts::NewCredential { user_id, username, password: &password, phone: Some(phone), payment_id: None, lang };
    let credential_id = accounts::add_credential(conn, &new, now)?;
    queue::enqueue(conn, SendCredentialsSms { credential_id }, now)?;
    outbox::record(conn, &Event::PasswordReset { account_id: user_id }, now)
}

/// Gives the active account of `phone` a new password beside its current one and queues it
/// for SMS, in `lang` (the language the asking page chose; `None`: the operator's).
pub fn reset_password(conn: &mut Connection, phone: &Phone, lang: Option<Lang>, now: i64) -> Result<ResetOutcome, StoreError> {
    let tx = conn.transaction()?;
    let Some(record) = accounts::find_account(&tx, &phone.msisdn())? else { return Ok(ResetOutcome::NoAccount) };
    if access::status_at(&record.account, now) != AccountStatus::Active {
        return Ok(ResetOutcome::NoAccount);
    }
    if accounts::credentials_since(&tx, record.account.user_id, now - 3600)? >= RESETS_PER_HOUR {
        return Ok(ResetOutcome::TooOften);
    }
    queue_new_password(&tx, &record.username, record.account.user_id, &phone.msisdn(), lang, now)?;
    tx.commit()?;
    Ok(ResetOutcome::Queued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::accounts::AccountSource;
    use crate::store::catalog::Package;

    fn langs(conn: &Connection) -> Vec<Option<String>> {
        conn.prepare("SELECT lang FROM hotspot_credentials ORDER BY id").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn a_reset_speaks_the_askers_language_and_the_operators_resend_keeps_it() {
        let mut conn = crate::store::migrations::memory();
        conn.execute("INSERT INTO packages (id, name, price, duration_secs, created_at, updated_at) VALUES (1, 'Day', 50, 86400, 0, 0)", []).unwrap();
        let package = Package {
            id: 1,
            name: "Day".into(),
            price: 50,
            currency: "KES".into(),
            duration_secs: 86_400,
            data_limit_bytes: None,
            down_kbps: None,
            up_kbps: None,
            max_devices: 1,
            active: true,
        };
        accounts::create_account(&conn, "254712345678", None, Some("254712345678"), &package, AccountSource::Payment, 100).unwrap();
        let phone = Phone::parse("0712345678", "254").unwrap();
        assert_eq!(reset_password(&mut conn, &phone, Some(Lang::Sw), 200).unwrap(), ResetOutcome::Queued);
        assert!(matches!(resend_credentials(&mut conn, "254712345678", 300).unwrap(), ResendOutcome::Queued { .. }));
        assert_eq!(reset_password(&mut conn, &phone, Some(Lang::En), 400).unwrap(), ResetOutcome::Queued);
        assert_eq!(langs(&conn), [Some("sw".into()), Some("sw".into()), Some("en".into())]);
    }
}
