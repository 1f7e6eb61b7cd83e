//! Device sessions, their end-of-session audit (`session_disconnections`) and the login
//! attempt log (`auth_log`). Byte totals are not written here: `store::usage` is their one
//! writer (a session's end moves its totals there, in the same transaction).

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, Row};
use serde::Serialize;

use super::{sql_word, StoreError};
use crate::words::word_enum;

word_enum! {
    /// Whether a session is running (`sessions.status`).
    pub enum SessionStatus {
        Active = "active",
        Ended = "ended",
    }
}
sql_word!(SessionStatus);

word_enum! {
    /// Who or what ended a session (`session_disconnections.method`).
    pub enum EndMethod {
        /// The user pressed logout on the portal.
        Portal = "portal",
        /// The operator (`hotspotd deauth`, later the web admin).
        Cli = "cli",
        /// The daemon's expiry check.
        Expiry = "expiry",
        /// The same device or address logged in to another account.
        Login = "login",
        /// The firewall could not be updated after the login was recorded.
        Firewall = "firewall",
        /// A `DisconnectHotspotUser` job.
        Job = "job",
        /// The account's data cap was reached (the kernel stopped its traffic at the byte).
        Quota = "quota",
        /// A NAS session we ended: its NAS was sent a RADIUS Disconnect-Request (the audit
        /// row's `nas_result` says how it answered).
        RadiusDisconnect = "radius_disconnect",
        /// The NAS reported the session ended (Accounting Stop, or Accounting-On/-Off when it
        /// restarted).
        Nas = "nas",
        /// The operator, through the central server (a remote command).
        Central = "central",
    }
}
sql_word!(EndMethod);

word_enum! {
    /// Why a session ended (`sessions.end_reason`, `session_disconnections.reason`).
    pub enum EndReason {
        /// The user logged out.
        Logout = "logout",
        /// The account's time ran out.
        Expired = "expired",
        /// The account's data ran out.
        Quota = "quota",
        /// The operator ended it.
        Admin = "admin",
        /// The device or its address started another session.
        Replaced = "replaced",
        /// The firewall refused the login's change.
        FirewallError = "firewall_error",
        /// The operator disabled the account.
        Disabled = "disabled",
        /// The NAS ended it for idleness (Acct-Terminate-Cause Idle-Timeout).
        Idle = "idle",
        /// The NAS restarted (Accounting-On / -Off): all its sessions are gone.
        NasReboot = "nas_reboot",
        /// The NAS ended it for another reason (lost carrier, port error, …).
        NasEnded = "nas_ended",
    }
}
sql_word!(EndReason);

word_enum! {
    /// How a NAS answered the Disconnect-Request of a session we ended
    /// (`session_disconnections.nas_result`).
    pub enum NasResult {
        /// Queued, not answered yet.
        Pending = "pending",
        Acked = "acked",
        /// Disconnect-NAK, with its Error-Cause in `nas_error_cause`.
        Refused = "refused",
        /// No answer after retransmissions (retried by the job with backoff).
        NoAnswer = "no_answer",
        /// Never sent: the NAS is no longer configured, or takes no Disconnect (`das_port 0`).
        NotSent = "not_sent",
    }
}
sql_word!(NasResult);

word_enum! {
    /// How a login attempt went (`auth_log.outcome`).
    pub enum AuthOutcome {
        Accepted = "accepted",
        Rejected = "rejected",
        RateLimited = "rate_limited",
    }
}
sql_word!(AuthOutcome);

/// Who enforces a session's access (`sessions.nas`): the router's own firewall (a device on
/// the portal), or a NAS that authenticated it by RADIUS, by the NAS's configured name. Kept
/// with the session so ending it or changing its limits reaches whoever lets it through.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub enum Enforcer {
    Local,
    Nas(String),
}

/// The stored word for `Enforcer::Local`; any other value names a NAS.
const LOCAL: &str = "local";

impl Enforcer {
    pub fn as_str(&self) -> &str {
        match self {
            Enforcer::Local => LOCAL,
            Enforcer::Nas(name) => name,
        }
    }
}

impl From<Enforcer> for String {
    fn from(e: Enforcer) -> String {
        e.as_str().to_owned()
    }
}

impl ToSql for Enforcer {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Enforcer {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        Ok(match value.as_str()? {
            LOCAL => Enforcer::Local,
            nas => Enforcer::Nas(nas.to_owned()),
        })
    }
}

/// One device online (or once online) on an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub mac: String,
    pub ip: String,
    pub enforcer: Enforcer,
    /// The id the session's enforcer knows it by (RADIUS Acct-Session-Id): the NAS's own for
    /// a NAS session once it reported one, else ours.
    pub acct_session_id: String,
    pub started_at: i64,
    pub expires_at: i64,
    pub bytes_in: i64,
    pub bytes_out: i64,
}

/// Byte totals come from the last usage checkpoint while a session is active.
const SESSION_SELECT: &str = "SELECT s.id, s.user_id, u.username, s.mac, s.ip, s.nas, coalesce(s.nas_session_id, s.acct_session_id, ''),
            s.started_at, s.expires_at, coalesce(su.bytes_in, s.bytes_in), coalesce(su.bytes_out, s.bytes_out)
     FROM sessions s JOIN hotspot_users u ON u.id = s.user_id
     LEFT JOIN session_usage su ON su.session_id = s.id";

fn session_from_row(row: &Row) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id: row.get(0)?,
        user_id: row.get(1)?,
        username: row.get(2)?,
        mac: row.get(3)?,
        ip: row.get(4)?,
        enforcer: row.get(5)?,
        acct_session_id: row.get(6)?,
        started_at: row.get(7)?,
        expires_at: row.get(8)?,
        bytes_in: row.get(9)?,
        bytes_out: row.get(10)?,
    })
}

fn query_sessions(conn: &Connection, filter: &str, args: impl rusqlite::Params) -> Result<Vec<SessionRecord>, StoreError> {
    let sql = format!("{SESSION_SELECT} WHERE s.status = 'active' {filter} ORDER BY s.id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(args, session_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every active session, oldest first.
pub fn active(conn: &Connection) -> Result<Vec<SessionRecord>, StoreError> {
    query_sessions(conn, "", [])
}

pub fn active_by_id(conn: &Connection, session_id: i64) -> Result<Vec<SessionRecord>, StoreError> {
    query_sessions(conn, "AND s.id = ?1", [session_id])
}

pub fn active_for_user(conn: &Connection, user_id: i64) -> Result<Vec<SessionRecord>, StoreError> {
    query_sessions(conn, "AND s.user_id = ?1", [user_id])
}

/// Active sessions held by this MAC or this IP (a device has at most one; an address
/// handed to a new device by DHCP must not keep the old device's session).
pub fn active_for_device(conn: &Connection, mac: &str, ip: &str) -> Result<Vec<SessionRecord>, StoreError> {
    query_sessions(conn, "AND (s.mac = ?1 OR s.ip = ?2)", [mac, ip])
}

pub fn active_for_mac(conn: &Connection, mac: &str) -> Result<Vec<SessionRecord>, StoreError> {
    query_sessions(conn, "AND s.mac = ?1", [mac])
}

/// Active sessions whose time is up at `now`.
pub fn due_to_expire(conn: &Connection, now: i64) -> Result<Vec<SessionRecord>, StoreError> {
    query_sessions(conn, "AND s.expires_at <= ?1", [now])
}

/// Whether any active session's time is up at `now` (cheap: checked every second).
pub fn any_due(conn: &Connection, now: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM sessions WHERE status = 'active' AND expires_at <= ?1)")?
        .query_row([now], |r| r.get(0))?)
}

pub fn open_session(
    conn: &Connection,
    user_id: i64,
    mac: &str,
    ip: &str,
    enforcer: &Enforcer,
    expires_at: i64,
    now: i64,
) -> Result<i64, StoreError> {
    // The id is chosen here (as SQLite would: one past the largest) so the row is written
    // once, with its Acct-Session-Id; transactions never interleave.
    conn.prepare_cached(
        "INSERT INTO sessions (id, acct_session_id, user_id, mac, ip, nas, started_at, expires_at)
         SELECT next, printf('%08X', next), ?1, ?2, ?3, ?4, ?5, ?6 FROM (SELECT coalesce(max(id), 0) + 1 AS next FROM sessions)",
    )?
    .execute(params![user_id, mac, ip, enforcer, now, expires_at])?;
    Ok(conn.last_insert_rowid())
}

/// Moves the end of every active session of an account (after a purchase extended it).
pub fn set_user_expiry(conn: &Connection, user_id: i64, expires_at: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE sessions SET expires_at = ?2 WHERE user_id = ?1 AND status = 'active'",
    )?
    .execute(params![user_id, expires_at])?;
    Ok(())
}

/// A device logging in again: same session, maybe a new address.
pub fn refresh_session(conn: &Connection, session_id: i64, ip: &str, expires_at: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE sessions SET ip = ?2, expires_at = ?3 WHERE id = ?1",
    )?
    .execute(params![session_id, ip, expires_at])?;
    Ok(())
}

/// Marks an active session ended and writes its audit row (without totals: the caller
/// records them with `usage::close` in the same transaction). Ending an already ended
/// session does nothing and returns `false`, so a retried call is harmless.
pub fn end_session(conn: &Connection, session: &SessionRecord, method: EndMethod, reason: EndReason, now: i64) -> Result<bool, StoreError> {
    let changed = conn.prepare_cached(
        "UPDATE sessions SET status = 'ended', ended_at = ?2, end_reason = ?3 WHERE id = ?1 AND status = 'active'",
    )?
    .execute(params![session.id, now, reason])?;
    if changed == 1 {
        conn.prepare_cached(
            "INSERT INTO session_disconnections (session_id, user_id, mac, method, reason, at, duration_secs)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![session.id, session.user_id, session.mac, method, reason, now, (now - session.started_at).max(0)])?;
    }
    Ok(changed == 1)
}

/// Records how a NAS answered the Disconnect-Request of an ended session.
pub fn set_nas_result(conn: &Connection, session_id: i64, result: NasResult, error_cause: Option<u32>) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE session_disconnections SET nas_result = ?2, nas_error_cause = ?3 WHERE session_id = ?1",
    )?
    .execute(params![session_id, result, error_cause])?;
    Ok(())
}

/// One login attempt for `auth_log`.
#[derive(Debug, Clone)]
pub struct AuthAttempt<'a> {
    pub mac: Option<&'a str>,
    pub ip: &'a str,
    pub method: &'a str,
    /// Username or voucher code as typed; cut to 64 characters.
    pub identity: &'a str,
    pub outcome: AuthOutcome,
    /// A stable code (`access::Refusal::code`), never free text.
    pub reason: Option<&'static str>,
}

pub fn log_attempt(conn: &Connection, attempt: &AuthAttempt, now: i64) -> Result<(), StoreError> {
    let identity: String = attempt.identity.chars().take(64).collect();
    conn.prepare_cached("INSERT INTO auth_log (at, mac, ip, method, identity, outcome, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?
        .execute(params![now, attempt.mac, attempt.ip, attempt.method, identity, attempt.outcome, attempt.reason])?;
    Ok(())
}
