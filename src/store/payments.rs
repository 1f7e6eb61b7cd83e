//! Payments (`payments` table): a pending row per prompt, its provider ids, the result, and
//! the account it paid for. State changes only move a payment out of `pending`, so a
//! replayed or late result changes nothing; each change is reported to the sync outbox in
//! the same transaction.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::outbox::{self, Event};
use super::{sql_word, StoreError};
use crate::i18n::Lang;
use crate::words::word_enum;

word_enum! {
    /// Where a payment stands (`payments.status`).
    pub enum PaymentStatus {
        Pending = "pending",
        Confirmed = "confirmed",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}
sql_word!(PaymentStatus);

word_enum! {
    /// Why a payment did not go through (`payments.failure`); the portal says it in the
    /// payer's words (`i18n::PortalWords::payment_failure`).
    pub enum PaymentFailure {
        /// The payer cancelled the prompt (1032).
        Cancelled = "cancelled",
        /// Wrong M-Pesa PIN (2001).
        WrongPin = "wrong_pin",
        InsufficientFunds = "insufficient_funds",
        /// The phone could not be reached (1037).
        PhoneUnreachable = "phone_unreachable",
        /// Nobody answered the prompt in time (1019, 1025, or our own timeout).
        Timeout = "timeout",
        /// The same amount from the same number within two minutes (17).
        Duplicate = "duplicate",
        /// Any other decline by M-Pesa.
        Declined = "declined",
        /// Daraja refused the request (configuration).
        Refused = "refused",
        /// Daraja could not be reached to send the prompt.
        Unavailable = "unavailable",
        /// The daemon stopped between storing the payment and sending its prompt.
        Interrupted = "interrupted",
        /// Daraja could not be reached to learn the result for a day.
        Unconfirmed = "unconfirmed",
    }
}
sql_word!(PaymentFailure);

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
    pub status: PaymentStatus,
    pub result_code: Option<String>,
    pub failure: Option<PaymentFailure>,
    pub checkout_request_id: Option<String>,
    pub receipt_number: Option<String>,
    pub callback_token: Option<String>,
    pub callback_receipt: Option<String>,
    pub user_id: Option<i64>,
    pub created_at: i64,
    /// A paybill purchase's reference (`sync::wire::account_number`).
    pub paybill_ref: Option<i64>,
    /// The payer's page language, for the SMS with their login (`None`: the operator's).
    pub lang: Option<Lang>,
}

const COLUMNS: &str = "id, provider, phone, mac, ip, package_id, amount, status, result_code, failure,
    checkout_request_id, receipt_number, callback_token, callback_receipt, user_id, created_at, paybill_ref, lang";

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
        paybill_ref: r.get(16)?,
        lang: r.get::<_, Option<String>>(17)?.as_deref().and_then(Lang::from_code),
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
    /// Names the payment in its status page's URL (random, unguessable).
    pub view_token: &'a str,
    /// The page's language, for the SMS with the login (`None`: the operator's).
    pub lang: Option<Lang>,
}

/// Stores a new pending payment (and its outbox event); returns its id.
pub fn insert_pending(conn: &Connection, new: &NewPayment, now: i64) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO payments (provider, phone, mac, ip, package_id, amount, callback_token, view_token, created_at, updated_at, lang)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
        params![new.provider, new.phone, new.mac, new.ip, new.package_id, new.amount, new.callback_token, new.view_token, now, new.lang.map(Lang::code)],
    )?;
    let id = conn.last_insert_rowid();
    let currency: String = conn.query_row("SELECT currency FROM payments WHERE id = ?1", [id], |r| r.get(0))?;
    let event = Event::PaymentStarted {
        payment_id: id,
        provider: new.provider.to_owned(),
        phone: new.phone.to_owned(),
        package_id: new.package_id,
        amount: new.amount,
        currency,
    };
    outbox::record(conn, &event, now)?;
    Ok(id)
}

/// The payment whose status page `view_token` names.
pub fn by_view_token(conn: &Connection, view_token: &str) -> Result<Option<PaymentRecord>, StoreError> {
    one(conn, "view_token = ?1", view_token)
}

/// Whose earlier prompts to read (to limit new ones).
#[derive(Debug, Clone, Copy)]
pub enum PromptsOf<'a> {
    /// A device, by MAC.
    Device(&'a str),
    /// A phone number (`2547…`).
    Number(&'a str),
}

/// A device's prompts started in (`since`, `until`], newest first (index `payments_mac`).
pub const RECENT_PROMPTS_OF_DEVICE: &str = "SELECT created_at, status = 'pending' FROM payments
     WHERE mac = ?1 AND created_at > ?2 AND created_at <= ?3 ORDER BY created_at DESC LIMIT ?4";
/// A number's prompts started in (`since`, `until`], newest first (index `payments_phone`).
pub const RECENT_PROMPTS_OF_NUMBER: &str = "SELECT created_at, status = 'pending' FROM payments
     WHERE phone = ?1 AND created_at > ?2 AND created_at <= ?3 ORDER BY created_at DESC LIMIT ?4";

/// At most `limit` prompts of a device or a number started in (`since`, `until`], newest
/// first: (`created_at`, still pending).
pub fn recent_prompts(conn: &Connection, of: PromptsOf, since: i64, until: i64, limit: u32) -> Result<Vec<(i64, bool)>, StoreError> {
    let (sql, key) = match of {
        PromptsOf::Device(mac) => (RECENT_PROMPTS_OF_DEVICE, mac),
        PromptsOf::Number(phone) => (RECENT_PROMPTS_OF_NUMBER, phone),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![key, since, until, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
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
        "SELECT id FROM payments WHERE status = 'pending' AND checkout_request_id IS NULL AND created_at < ?1
             AND paybill_ref IS NULL",
    )?;
    let rows = stmt.query_map([before], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Moves a pending payment to `failed` (`cancelled` when the payer cancelled it); `false`
/// if it was not pending.
pub fn mark_failed(
    conn: &Connection,
    id: i64,
    failure: PaymentFailure,
    result_code: Option<&str>,
    result_desc: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let status = if failure == PaymentFailure::Cancelled { PaymentStatus::Cancelled } else { PaymentStatus::Failed };
    let changed = conn.execute(
        "UPDATE payments SET status = ?2, failure = ?3, result_code = ?4, result_desc = ?5, updated_at = ?6
         WHERE id = ?1 AND status = 'pending'",
        params![id, status, failure, result_code, result_desc, now],
    )? == 1;
    if changed {
        outbox::record(conn, &Event::PaymentFailed { payment_id: id, status, failure }, now)?;
    }
    Ok(changed)
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
    if changed == 1 {
        let (receipt, amount, phone) = conn.query_row(
            "SELECT receipt_number, amount, coalesce(phone, '') FROM payments WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        outbox::record(conn, &Event::PaymentConfirmed { payment_id: id, receipt, amount, phone }, now)?;
    }
    Ok(changed == 1)
}

pub fn set_user(conn: &Connection, id: i64, user_id: i64) -> Result<(), StoreError> {
    conn.execute("UPDATE payments SET user_id = ?2 WHERE id = ?1", params![id, user_id])?;
    Ok(())
}

/// Where paybill purchases are paid (`payments.provider`): the operator's paybill, confirmed
/// by the central server.
pub const PAYBILL_PROVIDER: &str = "central";

/// How long a paybill reference is not given to another purchase.
pub const PAYBILL_REF_KEPT_SECS: i64 = 30 * 86_400;

/// The device's pending paybill purchase of `package_id` made since `since`, if any (the
/// portal shows its account number again rather than making another).
pub fn pending_paybill(conn: &Connection, mac: &str, package_id: i64, since: i64) -> Result<Option<PaymentRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM payments WHERE mac = ?1 AND package_id = ?2 AND created_at >= ?3 AND status = 'pending'
             AND paybill_ref IS NOT NULL ORDER BY id DESC LIMIT 1"
    );
    Ok(conn.query_row(&sql, params![mac, package_id, since], from_row).optional()?)
}

/// Whether `reference` was given to a purchase since `since`.
pub fn paybill_ref_taken(conn: &Connection, reference: i64, since: i64) -> Result<bool, StoreError> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM payments WHERE paybill_ref = ?1 AND created_at >= ?2)", params![reference, since], |r| {
        r.get(0)
    })?)
}

/// The latest purchase the paybill reference names.
pub fn by_paybill_ref(conn: &Connection, reference: i64) -> Result<Option<PaymentRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE paybill_ref = ?1 ORDER BY id DESC LIMIT 1");
    Ok(conn.query_row(&sql, [reference], from_row).optional()?)
}

/// The token that names a payment's status page.
pub fn view_token(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    Ok(conn.query_row("SELECT view_token FROM payments WHERE id = ?1", [id], |r| r.get(0)).optional()?.flatten())
}

/// Gives a payment its paybill reference.
pub fn set_paybill_ref(conn: &Connection, id: i64, reference: i64) -> Result<(), StoreError> {
    conn.execute("UPDATE payments SET paybill_ref = ?2 WHERE id = ?1", params![id, reference])?;
    Ok(())
}

/// Notes who paid a paybill purchase (the masked number M-Pesa shows) and its TransID, which
/// `confirm` then makes the receipt.
pub fn record_paybill(conn: &Connection, id: i64, payer: &str, trans_id: &str, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE payments SET phone = ?2, callback_receipt = ?3, callback_at = ?4, updated_at = ?4 WHERE id = ?1 AND status = 'pending'",
        params![id, payer, trans_id, now],
    )?;
    Ok(())
}

/// Whether some payment already carries this receipt number.
pub fn receipt_used(conn: &Connection, receipt: &str) -> Result<bool, StoreError> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM payments WHERE receipt_number = ?1)", [receipt], |r| r.get(0))?)
}

/// A payment as the operator's list shows it: with the account it paid for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentListing {
    pub id: i64,
    pub provider: String,
    pub phone: String,
    pub amount: i64,
    pub status: PaymentStatus,
    pub receipt: Option<String>,
    pub account: Option<String>,
    pub failure: Option<PaymentFailure>,
    pub created_at: i64,
}

/// The columns of a `PaymentListing` (`listing` reads them); add `WHERE …`/`ORDER BY …`.
pub(crate) const LISTING_SELECT: &str = "SELECT p.id, p.provider, coalesce(p.phone, ''), p.amount, p.status, p.receipt_number, u.username,
        p.failure, p.created_at FROM payments p LEFT JOIN hotspot_users u ON u.id = p.user_id";

/// One row of `LISTING_SELECT`.
pub(crate) fn listing(r: &rusqlite::Row) -> rusqlite::Result<PaymentListing> {
    Ok(PaymentListing {
        id: r.get(0)?,
        provider: r.get(1)?,
        phone: r.get(2)?,
        amount: r.get(3)?,
        status: r.get(4)?,
        receipt: r.get(5)?,
        account: r.get(6)?,
        failure: r.get(7)?,
        created_at: r.get(8)?,
    })
}

/// The latest `limit` payments, newest first.
pub fn latest(conn: &Connection, limit: u32) -> Result<Vec<PaymentListing>, StoreError> {
    let sql = format!("{LISTING_SELECT} ORDER BY p.id DESC LIMIT ?1");
    let rows = conn.prepare_cached(&sql)?.query_map([limit], listing)?.collect::<Result<_, _>>()?;
    Ok(rows)
}
