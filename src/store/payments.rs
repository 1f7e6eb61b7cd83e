//! Payments (`payments` table): a pending row per prompt, its provider ids, the result, and
//! the account it paid for. State changes only move a payment out of `pending`, so a
//! replayed or late result changes nothing.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: i64,
    pub provider: String,
    /// `2547…` (M-Pesa's form).
    pub phone: String,
    pub mac: Option<String>,
    pub ip: Option<String>,
    pub package_id: i64,
    pub amount: i64,
    pub status: String,
    pub result_code: Option<String>,
    pub failure: Option<String>,
    pub checkout_request_id: Option<String>,
    pub receipt_number: Option<String>,
    pub callback_token: Option<String>,
    pub callback_receipt: Option<String>,
    pub user_id: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, provider, phone, mac, ip, package_id, amount, status, result_code, failure,
    checkout_request_id, receipt_number, callback_token, callback_receipt, user_id, created_at";

fn from_row(r: &Row) -> rusqlite::Result<PaymentRecord> {
    Ok(PaymentRecord {
        id: r.get(0)?,
        provider: r.get(1)?,
        phone: r.get(2)?,
        mac: r.get(3)?,
        ip: r.get(4)?,
        package_id: r.get(5)?,
        amount: r.get(6)?,
        status: r.get(7)?,
        result_code: r.get(8)?,
        failure: r.get(9)?,
        checkout_request_id: r.get(10)?,
        receipt_number: r.get(11)?,
        callback_token: r.get(12)?,
        callback_receipt: r.get(13)?,
        user_id: r.get(14)?,
        created_at: r.get(15)?,
    })
}

fn one(conn: &Connection, filter: &str, arg: impl rusqlite::ToSql) -> Result<Option<PaymentRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE {filter}");
    Ok(conn.query_row(&sql, [arg], from_row).optional()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<PaymentRecord>, StoreError> {
    one(conn, "id = ?1", id)
}

pub fn by_checkout(conn: &Connection, checkout_request_id: &str) -> Result<Option<PaymentRecord>, StoreError> {
    one(conn, "checkout_request_id = ?1", checkout_request_id)
}

/// A pending payment whose CheckoutRequestID was never stored (the daemon died between
/// sending the prompt and storing the answer), by the secret token in its callback URL.
pub fn unsent_by_token(conn: &Connection, token: &str) -> Result<Option<PaymentRecord>, StoreError> {
    one(conn, "callback_token = ?1 AND checkout_request_id IS NULL AND status = 'pending'", token)
}

/// Stores the CheckoutRequestID a callback named for such a payment; `false` if it has one
/// already or is no longer pending.
pub fn adopt_checkout(conn: &Connection, id: i64, checkout: &str, merchant: &str, now: i64) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE payments SET checkout_request_id = ?2, merchant_request_id = ?3, updated_at = ?4
         WHERE id = ?1 AND checkout_request_id IS NULL AND status = 'pending'",
        params![id, checkout, merchant, now],
    )? == 1)
}

/// A new payment waiting for its prompt to be sent.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub provider: &'a str,
    pub phone: &'a str,
    pub mac: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub package_id: i64,
    pub amount: i64,
    pub callback_token: &'a str,
}

pub fn insert_pending(conn: &Connection, new: &NewPayment, now: i64) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO payments (provider, phone, mac, ip, package_id, amount, callback_token, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![new.provider, new.phone, new.mac, new.ip, new.package_id, new.amount, new.callback_token, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn set_checkout(conn: &Connection, id: i64, checkout: &str, merchant: &str, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE payments SET checkout_request_id = ?2, merchant_request_id = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, checkout, merchant, now],
    )?;
    Ok(())
}

/// A pending payment whose prompt was sent: what the poller needs to ask about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awaiting {
    pub id: i64,
    pub checkout_request_id: String,
    pub created_at: i64,
}

/// Pending payments whose prompt was sent with `after_id < id <= up_to`, in id order, at most
/// `limit` (to query).
pub fn awaiting_result(conn: &Connection, after_id: i64, up_to: i64, limit: u32) -> Result<Vec<Awaiting>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, checkout_request_id, created_at FROM payments
         WHERE status = 'pending' AND checkout_request_id IS NOT NULL AND id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![after_id, up_to, limit], |r| {
        Ok(Awaiting { id: r.get(0)?, checkout_request_id: r.get(1)?, created_at: r.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Pending payments whose prompt was never sent (the daemon died in between), older than
/// `before`.
pub fn never_sent(conn: &Connection, before: i64) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM payments WHERE status = 'pending' AND checkout_request_id IS NULL AND created_at < ?1",
    )?;
    let rows = stmt.query_map([before], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Moves a pending payment to `failed` (or `cancelled`); `false` if it was not pending.
pub fn mark_failed(
    conn: &Connection,
    id: i64,
    cancelled: bool,
    failure: &str,
    result_code: Option<&str>,
    result_desc: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let status = if cancelled { "cancelled" } else { "failed" };
    Ok(conn.execute(
        "UPDATE payments SET status = ?2, failure = ?3, result_code = ?4, result_desc = ?5, updated_at = ?6
         WHERE id = ?1 AND status = 'pending'",
        params![id, status, failure, result_code, result_desc, now],
    )? == 1)
}

/// Notes what a (matching) callback reported; confirmation still waits for a query.
pub fn record_callback(conn: &Connection, id: i64, receipt: Option<&str>, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE payments SET callback_receipt = coalesce(?2, callback_receipt), callback_at = ?3, updated_at = ?3
         WHERE id = ?1 AND status = 'pending'",
        params![id, receipt, now],
    )?;
    Ok(())
}

/// Moves a pending payment to `confirmed`; `false` if it was not pending (already credited,
/// or failed). The receipt a callback reported is kept unless another payment has it.
pub fn confirm(conn: &Connection, id: i64, result_desc: &str, now: i64) -> Result<bool, StoreError> {
    let changed = conn.execute(
        "UPDATE payments SET status = 'confirmed', result_code = '0', result_desc = ?2, confirmed_at = ?3, updated_at = ?3,
             receipt_number = CASE WHEN callback_receipt IS NOT NULL AND NOT EXISTS
                 (SELECT 1 FROM payments other WHERE other.receipt_number = payments.callback_receipt)
                 THEN callback_receipt END
         WHERE id = ?1 AND status = 'pending'",
        params![id, result_desc, now],
    )?;
    Ok(changed == 1)
}

pub fn set_user(conn: &Connection, id: i64, user_id: i64) -> Result<(), StoreError> {
    conn.execute("UPDATE payments SET user_id = ?2 WHERE id = ?1", params![id, user_id])?;
    Ok(())
}

/// Whether some payment already carries this receipt number.
pub fn receipt_used(conn: &Connection, receipt: &str) -> Result<bool, StoreError> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM payments WHERE receipt_number = ?1)", [receipt], |r| r.get(0))?)
}
