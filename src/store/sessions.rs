//! Device sessions, their end-of-session audit (`session_disconnections`) and the login
//! attempt log (`auth_log`).

use rusqlite::{params, Connection, Row};

use super::StoreError;

/// One device online (or once online) on an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub mac: String,
    pub ip: String,
    pub started_at: i64,
    pub expires_at: i64,
    pub bytes_in: i64,
    pub bytes_out: i64,
}

/// Byte totals come from the last usage checkpoint while a session is active.
const SESSION_SELECT: &str = "SELECT s.id, s.user_id, u.username, s.mac, s.ip, s.started_at, s.expires_at,
            coalesce(su.bytes_in, s.bytes_in), coalesce(su.bytes_out, s.bytes_out)
     FROM sessions s JOIN hotspot_users u ON u.id = s.user_id
     LEFT JOIN session_usage su ON su.session_id = s.id";

fn session_from_row(row: &Row) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id: row.get(0)?,
        user_id: row.get(1)?,
        username: row.get(2)?,
        mac: row.get(3)?,
        ip: row.get(4)?,
        started_at: row.get(5)?,
        expires_at: row.get(6)?,
        bytes_in: row.get(7)?,
        bytes_out: row.get(8)?,
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

pub fn open_session(
    conn: &Connection,
    user_id: i64,
    mac: &str,
    ip: &str,
    expires_at: i64,
    now: i64,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO sessions (user_id, mac, ip, started_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![user_id, mac, ip, now, expires_at],
    )?;
    let id = conn.last_insert_rowid();
    conn.execute("UPDATE sessions SET acct_session_id = printf('%08X', id) WHERE id = ?1", [id])?;
    Ok(id)
}

/// Moves the end of every active session of an account (after a purchase extended it).
pub fn set_user_expiry(conn: &Connection, user_id: i64, expires_at: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET expires_at = ?2 WHERE user_id = ?1 AND status = 'active'",
        params![user_id, expires_at],
    )?;
    Ok(())
}

/// A device logging in again: same session, maybe a new address.
pub fn refresh_session(conn: &Connection, session_id: i64, ip: &str, expires_at: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET ip = ?2, expires_at = ?3 WHERE id = ?1",
        params![session_id, ip, expires_at],
    )?;
    Ok(())
}

/// Who or what ended a session, for the audit table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndMethod {
    /// The user pressed logout on the portal.
    Portal,
    /// The operator ran `hotspotd deauth`.
    Cli,
    /// The daemon's expiry check.
    Expiry,
    /// The same device or address logged in to another account.
    Login,
    /// The firewall could not be updated after the login was recorded.
    Firewall,
    /// A `DisconnectHotspotUser` job.
    Job,
    /// The account's data cap was reached (the kernel stopped its traffic at the byte).
    Quota,
}

impl EndMethod {
    fn as_str(self) -> &'static str {
        match self {
            EndMethod::Portal => "portal",
            EndMethod::Cli => "cli",
            EndMethod::Expiry => "expiry",
            EndMethod::Login => "login",
            EndMethod::Firewall => "firewall",
            EndMethod::Job => "job",
            EndMethod::Quota => "quota",
        }
    }
}

/// Ends an active session and writes its audit row. Its checkpointed byte totals move from
/// `session_usage` to the session row and to its account's data used; the last bytes the
/// kernel counted are added when its counters are read, just before they are removed
/// (`usage::record_ended`). Ending an already ended session does nothing, so a retried call
/// is harmless.
pub fn end_session(
    conn: &Connection,
    session: &SessionRecord,
    method: EndMethod,
    reason: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = conn.execute(
        "UPDATE sessions SET status = 'ended', ended_at = ?2, end_reason = ?3, bytes_in = ?4, bytes_out = ?5
         WHERE id = ?1 AND status = 'active'",
        params![session.id, now, reason, session.bytes_in, session.bytes_out],
    )?;
    if changed == 1 {
        conn.execute(
            "UPDATE hotspot_users SET data_used_bytes = data_used_bytes
                 + coalesce((SELECT bytes_in + bytes_out FROM session_usage WHERE session_id = ?2), 0)
             WHERE id = ?1",
            params![session.user_id, session.id],
        )?;
        conn.execute("DELETE FROM session_usage WHERE session_id = ?1", [session.id])?;
        conn.execute(
            "INSERT INTO session_disconnections (session_id, user_id, mac, method, reason, at, bytes_in,
                 bytes_out, duration_secs)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                session.id,
                session.user_id,
                session.mac,
                method.as_str(),
                reason,
                now,
                session.bytes_in,
                session.bytes_out,
                (now - session.started_at).max(0)
            ],
        )?;
    }
    Ok(changed == 1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthOutcome {
    Accepted,
    Rejected,
    RateLimited,
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
    pub reason: Option<&'a str>,
}

pub fn log_attempt(conn: &Connection, attempt: &AuthAttempt, now: i64) -> Result<(), StoreError> {
    let outcome = match attempt.outcome {
        AuthOutcome::Accepted => "accepted",
        AuthOutcome::Rejected => "rejected",
        AuthOutcome::RateLimited => "rate_limited",
    };
    let identity: String = attempt.identity.chars().take(64).collect();
    conn.execute(
        "INSERT INTO auth_log (at, mac, ip, method, identity, outcome, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![now, attempt.mac, attempt.ip, attempt.method, identity, outcome, attempt.reason],
    )?;
    Ok(())
}
