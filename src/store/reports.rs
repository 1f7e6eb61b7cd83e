//! Read-only queries behind the web admin's money pages: sales per day by method, device
//! sessions as time intervals, data used per day, voucher stock, account search and history,
//! and the payments list with its filters and totals. Nothing here writes.
//!
//! Windows are given as Unix times (`from`, a venue day's start, and a count of days); the
//! callers (`admin::reports`) decide where days begin. Queries that read a whole table
//! (sessions, usage rows, vouchers) are bounded by their window, and the tables are kept
//! small by compaction; the dashboard is the only caller.

use rusqlite::{params, Connection, OptionalExtension};

use super::payments::{PaymentListing, PaymentStatus};
use super::StoreError;

const DAY: i64 = 86_400;

/// A device's time online: `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Online {
    pub mac: String,
    pub start: i64,
    pub end: i64,
}

/// Providers whose confirmed payments count as M-Pesa sales: the router's own Daraja, the
/// central's paybill and relayed STK, and the demo's fake M-Pesa.
const MPESA_PROVIDERS: &str = "('mpesa', 'central', 'demo')";

/// A payment is confirmed within this long of its creation (a paybill reference lives 30
/// days; an STK prompt a day): bounds the scan of `payments_status (status, created_at)`.
const CONFIRMED_WITHIN: i64 = 31 * 86_400;

/// One day's takings, whole KES.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaySales {
    /// Confirmed M-Pesa payments (by when they were confirmed).
    pub mpesa: i64,
    /// Vouchers redeemed that day, at their package's price when each was redeemed (what the
    /// till took for them; a later price change does not rewrite it).
    pub vouchers: i64,
}

/// Takings per day for `days` days from `from`.
pub fn sales_per_day(conn: &Connection, from: i64, days: usize) -> Result<Vec<DaySales>, StoreError> {
    let to = from + days as i64 * DAY;
    let mut out = vec![DaySales::default(); days];
    let sql = format!(
        "SELECT (coalesce(confirmed_at, created_at) - ?1) / 86400, sum(amount) FROM payments
         WHERE status = 'confirmed' AND created_at >= ?1 - {CONFIRMED_WITHIN} AND provider IN {MPESA_PROVIDERS}
           AND coalesce(confirmed_at, created_at) >= ?1 AND coalesce(confirmed_at, created_at) < ?2
         GROUP BY 1"
    );
    for row in conn.prepare_cached(&sql)?.query_map(params![from, to], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (day, amount) = row?;
        if let Some(d) = out.get_mut(day as usize) {
            d.mpesa += amount;
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT (redeemed_at - ?1) / 86400, coalesce(sum(redeemed_price), 0) FROM vouchers
         WHERE status = 'redeemed' AND redeemed_at >= ?1 AND redeemed_at < ?2 GROUP BY 1",
    )?;
    for row in stmt.query_map(params![from, to], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (day, amount) = row?;
        if let Some(d) = out.get_mut(day as usize) {
            d.vouchers += amount;
        }
    }
    Ok(out)
}

/// Ended sessions are looked for among those started at most this long before the window:
/// a session that lasted longer and ended inside the window is left out of the chart.
const LONGEST_SESSION: i64 = 31 * DAY;

/// Every device session that overlapped `[from, now]`, as an interval (a running one is
/// online at `now` itself, so it ends just after; or at its deadline if that passed and the
/// expiry check has not run yet). Running sessions come through the `sessions_active`
/// index; ended ones from the rows after `first_started_since` (rows are appended in time
/// order), never a scan of the whole table (`+status` keeps SQLite from taking the status
/// index, which would walk every ended session).
pub fn online_intervals(conn: &Connection, from: i64, now: i64) -> Result<Vec<Online>, StoreError> {
    let first = first_started_since(conn, from - LONGEST_SESSION)?;
    let mut stmt = conn.prepare_cached(
        "SELECT mac, started_at, min(expires_at, ?2 + 1) FROM sessions WHERE status = 'active' AND started_at <= ?2
         UNION ALL
         SELECT mac, started_at, coalesce(ended_at, expires_at) FROM sessions
         WHERE id >= ?3 AND +status = 'ended' AND started_at <= ?2 AND coalesce(ended_at, expires_at) > ?1",
    )?;
    let rows = stmt.query_map(params![from, now, first], |r| Ok(Online { mac: r.get(0)?, start: r.get(1)?, end: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The id of the first session started at or after `t` (sessions are appended in time
/// order; a binary search by rowid reads a few pages, not the table). Past the last: its
/// id + 1.
fn first_started_since(conn: &Connection, t: i64) -> Result<i64, StoreError> {
    let (mut low, mut high): (i64, i64) = conn.query_row("SELECT coalesce(min(id), 0), coalesce(max(id), 0) + 1 FROM sessions", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut at = conn.prepare_cached("SELECT id, started_at FROM sessions WHERE id >= ?1 ORDER BY id LIMIT 1")?;
    // Invariant: rows below `low` started before `t`; rows from `high` on started at or
    // after it (ids with no row in between may go either way).
    while low < high {
        let mid = low + (high - low) / 2;
        match at.query_row([mid], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))).optional()? {
            Some((id, started)) if started < t => low = id + 1,
            _ => high = mid,
        }
    }
    Ok(low)
}

/// Devices online now (sessions running and not past their deadline).
pub fn online_now(conn: &Connection, now: i64) -> Result<i64, StoreError> {
    Ok(conn.prepare_cached("SELECT count(*) FROM sessions WHERE status = 'active' AND expires_at > ?1")?.query_row([now], |r| r.get(0))?)
}

/// Bytes (both directions) used per day for `days` days from `from`, from the usage log's
/// minute rows and the hourly rows older ones were folded into.
pub fn data_per_day(conn: &Connection, from: i64, days: usize) -> Result<Vec<i64>, StoreError> {
    let to = from + days as i64 * DAY;
    let mut out = vec![0i64; days];
    for sql in [
        "SELECT (at - ?1) / 86400, sum(bytes_in_delta + bytes_out_delta) FROM data_usage_logs WHERE at >= ?1 AND at < ?2 GROUP BY 1",
        "SELECT (hour - ?1) / 86400, sum(bytes_in_delta + bytes_out_delta) FROM data_usage_hourly WHERE hour >= ?1 AND hour < ?2 GROUP BY 1",
    ] {
        for row in conn.prepare_cached(sql)?.query_map(params![from, to], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
            let (day, bytes) = row?;
            if let Some(d) = out.get_mut(day as usize) {
                *d += bytes;
            }
        }
    }
    Ok(out)
}

/// Unused vouchers of one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stock {
    pub package: String,
    pub price: i64,
    pub unused: i64,
}

/// Unused vouchers per package on sale (and per hidden package that still has some).
pub fn vouchers_left(conn: &Connection) -> Result<Vec<Stock>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.name, p.price, (SELECT count(*) FROM vouchers v WHERE v.package_id = p.id AND v.status = 'unused') n
         FROM packages p WHERE p.active OR n > 0 ORDER BY p.price, p.id",
    )?;
    let rows = stmt.query_map([], |r| Ok(Stock { package: r.get(0)?, price: r.get(1)?, unused: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An account as the search lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountListing {
    pub username: String,
    pub phone: Option<String>,
    pub package: String,
    pub status: String,
    pub created_at: i64,
}

/// `text` as a LIKE pattern that matches it anywhere, literally (`%`, `_` and `\` escaped;
/// used with `ESCAPE '\'`).
pub fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Accounts whose username or phone holds `text` (newest first, at most `limit`).
pub fn search_accounts(conn: &Connection, text: &str, limit: u32) -> Result<Vec<AccountListing>, StoreError> {
    let pattern = contains_pattern(text);
    let mut stmt = conn.prepare_cached(
        "SELECT u.username, u.phone, p.name, u.status, u.created_at FROM hotspot_users u JOIN packages p ON p.id = u.package_id
         WHERE u.username LIKE ?1 ESCAPE '\\' OR u.phone LIKE ?1 ESCAPE '\\' ORDER BY u.id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![pattern, limit], |r| {
        Ok(AccountListing { username: r.get(0)?, phone: r.get(1)?, package: r.get(2)?, status: r.get(3)?, created_at: r.get(4)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

use super::payments::{listing, LISTING_SELECT};

/// An account's payments, newest first: those that paid for it, and the attempts from its
/// phone number that never did (failed, cancelled, pending).
pub fn account_payments(conn: &Connection, user_id: i64, phone: Option<&str>, limit: u32) -> Result<Vec<PaymentListing>, StoreError> {
    let sql = format!("{LISTING_SELECT} WHERE p.user_id = ?1 OR (p.phone = ?2 AND p.user_id IS NULL) ORDER BY p.created_at DESC, p.id DESC LIMIT ?3");
    let rows = conn.prepare_cached(&sql)?.query_map(params![user_id, phone, limit], listing)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// A session in an account's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionListing {
    pub mac: String,
    pub ip: String,
    pub started_at: i64,
    /// `None`: still running.
    pub ended_at: Option<i64>,
    pub bytes: i64,
    pub end_reason: Option<String>,
}

/// An account's sessions, newest first.
pub fn account_sessions(conn: &Connection, user_id: i64, limit: u32) -> Result<Vec<SessionListing>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.mac, s.ip, s.started_at, CASE WHEN s.status = 'active' THEN NULL ELSE coalesce(s.ended_at, s.expires_at) END,
                coalesce(su.bytes_in + su.bytes_out, s.bytes_in + s.bytes_out), s.end_reason
         FROM sessions s LEFT JOIN session_usage su ON su.session_id = s.id
         WHERE s.user_id = ?1 ORDER BY s.id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![user_id, limit], |r| {
        Ok(SessionListing { mac: r.get(0)?, ip: r.get(1)?, started_at: r.get(2)?, ended_at: r.get(3)?, bytes: r.get(4)?, end_reason: r.get(5)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Which payments the list shows. Every field narrows; `Default` shows all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    /// Made at or after (Unix time).
    pub from: Option<i64>,
    /// Made before (Unix time).
    pub to: Option<i64>,
    pub status: Option<PaymentStatus>,
    /// The payer's number holds this (digits as typed, or `2547…`).
    pub phone: Option<String>,
    /// The M-Pesa receipt, exactly (as confirmed, or as the callback reported it).
    pub receipt: Option<String>,
}

const FILTER: &str = "WHERE (?1 IS NULL OR p.created_at >= ?1) AND (?2 IS NULL OR p.created_at < ?2)
      AND (?3 IS NULL OR p.status = ?3) AND (?4 IS NULL OR p.phone LIKE ?4 ESCAPE '\\')
      AND (?5 IS NULL OR p.receipt_number = ?5 OR p.callback_receipt = ?5)";

/// The filter as `FILTER`'s parameters take it (the phone as a LIKE pattern).
fn bound(f: &PaymentFilter) -> PaymentFilter {
    PaymentFilter { phone: f.phone.as_deref().map(contains_pattern), ..f.clone() }
}

/// The payments `filter` selects, newest first, at most `limit`.
pub fn payments(conn: &Connection, filter: &PaymentFilter, limit: u32) -> Result<Vec<PaymentListing>, StoreError> {
    let sql = format!("{LISTING_SELECT} {FILTER} ORDER BY p.created_at DESC, p.id DESC LIMIT ?6");
    let f = bound(filter);
    let rows = conn.prepare_cached(&sql)?.query_map(params![f.from, f.to, f.status, f.phone, f.receipt, limit], listing)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// What the selected payments add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentTotals {
    /// Sum of the confirmed ones, whole KES.
    pub confirmed_amount: i64,
    /// How many there are of each status (only statuses that occur).
    pub counts: Vec<(PaymentStatus, i64)>,
}

pub fn payment_totals(conn: &Connection, filter: &PaymentFilter) -> Result<PaymentTotals, StoreError> {
    let sql = format!("SELECT p.status, count(*), sum(p.amount) FROM payments p {FILTER} GROUP BY p.status ORDER BY p.status");
    let f = bound(filter);
    let mut totals = PaymentTotals::default();
    for row in conn.prepare_cached(&sql)?.query_map(params![f.from, f.to, f.status, f.phone, f.receipt], |r| {
        Ok((r.get::<_, PaymentStatus>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    })? {
        let (status, count, amount) = row?;
        if status == PaymentStatus::Confirmed {
            totals.confirmed_amount = amount;
        }
        totals.counts.push((status, count));
    }
    Ok(totals)
}

#[cfg(test)]
mod tests;
