//! Accounts (`hotspot_users`): the entitlements vouchers, payments and operators create, and
//! the credentials waiting for SMS delivery (`hotspot_credentials`). Account changes are
//! reported to the sync outbox in the same transaction (never a password).

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::catalog::Package;
use super::outbox::{self, Event};
use super::{sql_word, StoreError};
use crate::access::{Account, AccountStatus};
use crate::i18n::Lang;
use crate::words::word_enum;

sql_word!(AccountStatus);

/// An account row: the entitlement the rules read, plus who it is.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    pub account: Account,
    pub username: String,
    pub package_id: i64,
    pub password_hash: Option<String>,
    pub phone: Option<String>,
    /// Speed ceilings copied from the package (kbit/s).
    pub down_kbps: Option<i64>,
    pub up_kbps: Option<i64>,
}

word_enum! {
    /// What created an account (`hotspot_users.source`).
    pub enum AccountSource {
        Voucher = "voucher",
        Payment = "payment",
        Admin = "admin",
        /// The central server (a later version's sync).
        Central = "central",
    }
}
sql_word!(AccountSource);

word_enum! {
    /// Where a credential's SMS delivery stands (`hotspot_credentials.status`).
    pub enum CredentialStatus {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
        /// Never delivered, and its plaintext wiped after a day.
        Expired = "expired",
    }
}
sql_word!(CredentialStatus);

/// `data_used_bytes` as read includes the checkpointed usage of the account's active sessions
/// (kept in `session_usage` until they end).
const ACCOUNT_COLUMNS: &str = "id, status, duration_secs, subscription_starts_at, subscription_expires_at,
     data_limit_bytes,
     data_used_bytes + coalesce((SELECT sum(bytes_in + bytes_out) FROM session_usage WHERE user_id = hotspot_users.id), 0),
     max_devices, username, package_id, password_hash, phone, down_kbps, up_kbps";

fn account_from_row(row: &Row) -> rusqlite::Result<AccountRecord> {
    let status: String = row.get(1)?;
    Ok(AccountRecord {
        account: Account {
            user_id: row.get(0)?,
            // An unknown status (hand-edited row) must not grant access.
            status: AccountStatus::parse(&status).unwrap_or(AccountStatus::Suspended),
            duration_secs: row.get(2)?,
            starts_at: row.get(3)?,
            expires_at: row.get(4)?,
            data_limit_bytes: row.get(5)?,
            data_used_bytes: row.get(6)?,
            max_devices: row.get(7)?,
        },
        username: row.get(8)?,
        package_id: row.get(9)?,
        password_hash: row.get(10)?,
        phone: row.get(11)?,
        down_kbps: row.get(12)?,
        up_kbps: row.get(13)?,
    })
}

/// Creates an account for `package`, copying its limits so later package edits do not
/// change what was sold. The clock does not start until the first login.
pub fn create_account(
    conn: &Connection,
    username: &str,
    password_hash: Option<&str>,
    phone: Option<&str>,
    package: &Package,
    source: AccountSource,
    now: i64,
) -> Result<i64, StoreError> {
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM hotspot_users WHERE username = ?1)",
        [username],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StoreError::UsernameTaken(username.to_owned()));
    }
    conn.prepare_cached(
        "INSERT INTO hotspot_users (username, password_hash, phone, package_id, source, duration_secs,
             data_limit_bytes, down_kbps, up_kbps, max_devices, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
    )?
    .execute(params![
            username,
            password_hash,
            phone,
            package.id,
            source,
            package.duration_secs,
            package.data_limit_bytes,
            package.down_kbps,
            package.up_kbps,
            package.max_devices,
            now
        ])?;
    let account_id = conn.last_insert_rowid();
    let event = Event::AccountCreated {
        account_id,
        username: username.to_owned(),
        source,
        package_id: package.id,
        phone: phone.map(str::to_owned),
    };
    outbox::record(conn, &event, now)?;
    Ok(account_id)
}

pub fn get_account(conn: &Connection, user_id: i64) -> Result<Option<AccountRecord>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM hotspot_users WHERE id = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([user_id], account_from_row).optional()?)
}

pub fn find_account(conn: &Connection, username: &str) -> Result<Option<AccountRecord>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM hotspot_users WHERE username = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([username], account_from_row).optional()?)
}

/// Starts an account's clock at its first login.
pub fn start_clock(conn: &Connection, user_id: i64, starts_at: i64, expires_at: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE hotspot_users SET subscription_starts_at = ?2, subscription_expires_at = ?3, updated_at = ?2
         WHERE id = ?1",
    )?
    .execute(params![user_id, starts_at, expires_at])?;
    Ok(())
}

/// Marks every active account whose time is up as expired; returns how many changed.
pub fn expire_accounts(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    let mut stmt = conn.prepare_cached(
        "UPDATE hotspot_users SET status = 'expired', updated_at = ?1
         WHERE status = 'active' AND subscription_expires_at IS NOT NULL AND subscription_expires_at <= ?1
         RETURNING id",
    )?;
    let expired: Vec<i64> = stmt.query_map([now], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for &account_id in &expired {
        outbox::record(conn, &Event::AccountStatus { account_id, status: AccountStatus::Expired }, now)?;
    }
    Ok(expired.len())
}

/// Marks an account whose data cap is reached (the portal then says "data used up").
pub fn mark_exhausted(conn: &Connection, user_id: i64, now: i64) -> Result<(), StoreError> {
    let changed = conn.prepare_cached(
        "UPDATE hotspot_users SET status = 'exhausted', updated_at = ?2 WHERE id = ?1 AND status = 'active'",
    )?
    .execute(params![user_id, now])?;
    if changed == 1 {
        outbox::record(conn, &Event::AccountStatus { account_id: user_id, status: AccountStatus::Exhausted }, now)?;
    }
    Ok(())
}

/// Sets an account's status by the operator's hand: `Suspended` (disabled: it may not log
/// in, and its sessions end) or `Active` again (lifting a suspension only). Returns whether
/// it changed.
pub fn set_suspended(conn: &Connection, user_id: i64, suspended: bool, now: i64) -> Result<bool, StoreError> {
    let (to, from) = if suspended { (AccountStatus::Suspended, "status <> 'suspended'") } else { (AccountStatus::Active, "status = 'suspended'") };
    let changed = conn.execute(&format!("UPDATE hotspot_users SET status = ?2, updated_at = ?3 WHERE id = ?1 AND {from}"), params![user_id, to, now])?;
    if changed == 1 {
        outbox::record(conn, &Event::AccountStatus { account_id: user_id, status: to }, now)?;
    }
    Ok(changed == 1)
}

/// Stores an account as `access::extend` left it after `payment_id`'s purchase, with a new
/// password (which also supersedes a reset password not yet used). Data used is only ever
/// reset (an account that starts afresh); otherwise it keeps counting.
pub fn save_extension(
    conn: &Connection,
    account: &Account,
    package_id: i64,
    payment_id: Option<i64>,
    password_hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE hotspot_users SET status = ?2, duration_secs = ?3, subscription_starts_at = ?4,
             subscription_expires_at = ?5, data_limit_bytes = ?6,
             data_used_bytes = CASE WHEN ?7 = 0 THEN 0 ELSE data_used_bytes END, max_devices = ?8,
             package_id = ?9, password_hash = ?10, pending_password_hash = NULL, updated_at = ?11
         WHERE id = ?1",
    )?
    .execute(params![
            account.user_id,
            account.status,
            account.duration_secs,
            account.starts_at,
            account.expires_at,
            account.data_limit_bytes,
            account.data_used_bytes,
            account.max_devices,
            package_id,
            password_hash,
            now
        ])?;
    let event = Event::AccountExtended {
        account_id: account.user_id,
        package_id,
        payment_id,
        duration_secs: account.duration_secs,
        expires_at: account.expires_at,
        data_limit_bytes: account.data_limit_bytes,
    };
    outbox::record(conn, &event, now)?;
    Ok(())
}

/// Stores an account as `access::grant_more` left it (the operator's remote extension);
/// reported as an extension of its current package without a payment.
pub fn save_grant(conn: &Connection, account: &Account, now: i64) -> Result<(), StoreError> {
    let package_id: i64 = conn
        .prepare_cached(
            "UPDATE hotspot_users SET status = ?2, duration_secs = ?3, subscription_expires_at = ?4, data_limit_bytes = ?5,
                 updated_at = ?6
             WHERE id = ?1 RETURNING package_id",
        )?
        .query_row(params![account.user_id, account.status, account.duration_secs, account.expires_at, account.data_limit_bytes, now], |r| {
            r.get(0)
        })?;
    let event = Event::AccountExtended {
        account_id: account.user_id,
        package_id,
        payment_id: None,
        duration_secs: account.duration_secs,
        expires_at: account.expires_at,
        data_limit_bytes: account.data_limit_bytes,
    };
    outbox::record(conn, &event, now)
}

/// Stores a reset password that works beside the current one until its first use (a later
/// reset replaces it).
pub fn set_pending_password_hash(conn: &Connection, user_id: i64, password_hash: &str, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE hotspot_users SET pending_password_hash = ?2, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![user_id, password_hash, now])?;
    Ok(())
}

/// The reset password waiting for its first use, if any.
pub fn pending_password_hash(conn: &Connection, user_id: i64) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT pending_password_hash FROM hotspot_users WHERE id = ?1", [user_id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// The reset password was used: it becomes the password, and the old one is retired.
pub fn promote_pending_password(conn: &Connection, user_id: i64, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE hotspot_users SET password_hash = pending_password_hash, pending_password_hash = NULL,
             password_sealed = pending_password_sealed, pending_password_sealed = NULL, updated_at = ?2
         WHERE id = ?1 AND pending_password_hash IS NOT NULL",
    )?
    .execute(params![user_id, now])?;
    Ok(())
}

/// Keeps a password recoverable for RADIUS CHAP, sealed with the process's key
/// (`credentials::sealed`; nothing is stored without a key). `pending`: the reset password
/// waiting for its first use.
pub fn seal_password(conn: &Connection, user_id: i64, password: &str, pending: bool) -> Result<(), StoreError> {
    let Some(sealed) = crate::credentials::sealed::seal(password) else { return Ok(()) };
    let sql = if pending {
        "UPDATE hotspot_users SET pending_password_sealed = ?2 WHERE id = ?1"
    } else {
        "UPDATE hotspot_users SET password_sealed = ?2 WHERE id = ?1"
    };
    conn.execute(sql, params![user_id, sealed])?;
    Ok(())
}

/// The account's sealed password and sealed pending (reset) password, for CHAP.
pub fn sealed_passwords(conn: &Connection, user_id: i64) -> Result<(Option<String>, Option<String>), StoreError> {
    Ok(conn
        .query_row("SELECT password_sealed, pending_password_sealed FROM hotspot_users WHERE id = ?1", [user_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((None, None)))
}

/// Credentials waiting to be delivered by SMS (plaintext until sent or expired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub password_plain: Option<String>,
    pub phone: Option<String>,
    pub status: CredentialStatus,
    pub payment_id: Option<i64>,
    pub created_at: i64,
    /// The SMS's language: the customer's page when they paid or asked (`None`: the
    /// operator's default when it goes out).
    pub lang: Option<Lang>,
}

/// Who gets which login by SMS, and in which language.
pub struct NewCredential<'a> {
    pub user_id: i64,
    pub username: &'a str,
    pub password: &'a str,
    pub phone: Option<&'a str>,
    pub payment_id: Option<i64>,
    pub lang: Option<Lang>,
}

pub fn add_credential(conn: &Connection, new: &NewCredential, now: i64) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO hotspot_credentials (user_id, username, password_plain, phone, payment_id, created_at, lang)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![new.user_id, new.username, new.password, new.phone, new.payment_id, now, new.lang.map(Lang::code)])?;
    Ok(conn.last_insert_rowid())
}

/// The language of the newest SMS login an account was given, if one was chosen: the
/// operator's resend speaks to the customer as before.
pub fn latest_credential_lang(conn: &Connection, user_id: i64) -> Result<Option<Lang>, StoreError> {
    let code: Option<Option<String>> = conn
        .query_row("SELECT lang FROM hotspot_credentials WHERE user_id = ?1 ORDER BY id DESC LIMIT 1", [user_id], |r| r.get(0))
        .optional()?;
    Ok(code.flatten().as_deref().and_then(Lang::from_code))
}

const CREDENTIAL_COLUMNS: &str = "id, user_id, username, password_plain, phone, status, payment_id, created_at, lang";

fn credential_from_row(r: &Row) -> rusqlite::Result<CredentialRecord> {
    Ok(CredentialRecord {
        id: r.get(0)?,
        user_id: r.get(1)?,
        username: r.get(2)?,
        password_plain: r.get(3)?,
        phone: r.get(4)?,
        status: r.get(5)?,
        payment_id: r.get(6)?,
        created_at: r.get(7)?,
        lang: r.get::<_, Option<String>>(8)?.as_deref().and_then(Lang::from_code),
    })
}

pub fn get_credential(conn: &Connection, id: i64) -> Result<Option<CredentialRecord>, StoreError> {
    let sql = format!("SELECT {CREDENTIAL_COLUMNS} FROM hotspot_credentials WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], credential_from_row).optional()?)
}

/// The newest credentials created for a payment.
pub fn credential_for_payment(conn: &Connection, payment_id: i64) -> Result<Option<CredentialRecord>, StoreError> {
    let sql = format!("SELECT {CREDENTIAL_COLUMNS} FROM hotspot_credentials WHERE payment_id = ?1 ORDER BY id DESC LIMIT 1");
    Ok(conn.query_row(&sql, [payment_id], credential_from_row).optional()?)
}

/// Records the outcome of a delivery; `Sent` also wipes the plaintext password.
pub fn finish_credential(conn: &Connection, id: i64, status: CredentialStatus, now: i64) -> Result<(), StoreError> {
    let wipe = status == CredentialStatus::Sent;
    conn.prepare_cached(
        "UPDATE hotspot_credentials SET status = ?2,
             sent_at = CASE WHEN ?3 THEN ?4 ELSE sent_at END,
             password_plain = CASE WHEN ?3 THEN NULL ELSE password_plain END,
             wiped_at = CASE WHEN ?3 THEN ?4 ELSE wiped_at END
         WHERE id = ?1",
    )?
    .execute(params![id, status, wipe, now])?;
    Ok(())
}

/// Wipes plaintext passwords created before `before` that were never delivered.
pub fn expire_credentials(conn: &Connection, before: i64, now: i64) -> Result<usize, StoreError> {
    Ok(conn.prepare_cached(
        "UPDATE hotspot_credentials SET password_plain = NULL, wiped_at = ?2,
             status = CASE WHEN status = 'pending' THEN 'expired' ELSE status END
         WHERE password_plain IS NOT NULL AND created_at < ?1",
    )?
    .execute(params![before, now])?)
}

/// Credentials created for an account since `since` (to limit password resets).
pub fn credentials_since(conn: &Connection, user_id: i64, since: i64) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM hotspot_credentials WHERE user_id = ?1 AND created_at >= ?2",
        params![user_id, since],
        |r| r.get(0),
    )?)
}
