//! Accounts (`hotspot_users`): the entitlements vouchers, payments and operators create.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::catalog::Package;
use super::StoreError;
use crate::access::{Account, AccountStatus};

/// An account row: the entitlement the rules read, plus who it is.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    pub account: Account,
    pub username: String,
    pub package_id: i64,
    pub password_hash: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSource {
    Voucher,
    Payment,
    Admin,
}

impl AccountSource {
    fn as_str(self) -> &'static str {
        match self {
            AccountSource::Voucher => "voucher",
            AccountSource::Payment => "payment",
            AccountSource::Admin => "admin",
        }
    }
}

const ACCOUNT_COLUMNS: &str = "id, status, duration_secs, subscription_starts_at, subscription_expires_at,
     data_limit_bytes, data_used_bytes, max_devices, username, package_id, password_hash, phone";

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
    conn.execute(
        "INSERT INTO hotspot_users (username, password_hash, phone, package_id, source, duration_secs,
             data_limit_bytes, down_kbps, up_kbps, max_devices, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![
            username,
            password_hash,
            phone,
            package.id,
            source.as_str(),
            package.duration_secs,
            package.data_limit_bytes,
            package.down_kbps,
            package.up_kbps,
            package.max_devices,
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn get_account(conn: &Connection, user_id: i64) -> Result<Option<AccountRecord>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM hotspot_users WHERE id = ?1");
    Ok(conn.query_row(&sql, [user_id], account_from_row).optional()?)
}

pub fn find_account(conn: &Connection, username: &str) -> Result<Option<AccountRecord>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM hotspot_users WHERE username = ?1");
    Ok(conn.query_row(&sql, [username], account_from_row).optional()?)
}

/// Starts an account's clock at its first login.
pub fn start_clock(conn: &Connection, user_id: i64, starts_at: i64, expires_at: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE hotspot_users SET subscription_starts_at = ?2, subscription_expires_at = ?3, updated_at = ?2
         WHERE id = ?1",
        params![user_id, starts_at, expires_at],
    )?;
    Ok(())
}

pub fn set_status(conn: &Connection, user_id: i64, status: AccountStatus, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE hotspot_users SET status = ?2, updated_at = ?3 WHERE id = ?1 AND status != ?2",
        params![user_id, status.as_str(), now],
    )?;
    Ok(())
}

/// Marks every active account whose time is up as expired; returns how many changed.
pub fn expire_accounts(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "UPDATE hotspot_users SET status = 'expired', updated_at = ?1
         WHERE status = 'active' AND subscription_expires_at IS NOT NULL AND subscription_expires_at <= ?1",
        [now],
    )?)
}
