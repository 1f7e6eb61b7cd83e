//! The store side of upstream accounting: the outbox of Accounting-Requests still to send to
//! the central server (`radius_acct_outbox`), written by `on_event` inside the transaction
//! that changed the session (called from `store::outbox::record`, the one writer of session
//! events), and read and emptied by the forwarder. Also the upstream status the daemon keeps
//! in `settings` (last answer, last error) and the switch that says whether accounting is
//! forwarded at all.
//!
//! Rules: every session (portal or NAS) gets a Start when it begins and a Stop with its final
//! totals when it ends; they are never dropped, merged or reordered. Interim-Updates are
//! queued from the usage checkpoint once a session's `interim` interval has passed since its
//! last one; while unsent, a session's Interim-Update is replaced by the newer one (totals only
//! grow), and a Stop makes an unsent one pointless (it goes). So the table stays bounded on
//! flash however long the central server is away: at most one interim per running session,
//! plus a Start and a Stop per session.

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::outbox::Event;
use crate::store::sessions::EndReason;
use crate::store::{settings, StoreError};

/// Present while upstream accounting is on: its value is the Interim-Update interval in
/// seconds. The daemon writes (or removes) it at start from `config radius_upstream`.
pub const ACCOUNTING_INTERIM_SECS: &str = "radius_upstream_interim_secs";
/// Unix time of the central server's last valid answer.
pub const LAST_ANSWER_AT: &str = "radius_upstream_last_answer";
/// `<unix time> <words>`: the last thing that went wrong talking to the central server.
pub const LAST_ERROR: &str = "radius_upstream_last_error";

/// Acct-Status-Type values stored in `status_type`.
pub const START: u32 = 1;
pub const STOP: u32 = 2;
pub const INTERIM: u32 = 3;

/// Acct-Terminate-Cause for each way a session ends (RFC 2866 §5.10). `Quota` has no cause
/// of its own in the RFC: NAS-Request (10, "the NAS ended the session for a non-error reason
/// not otherwise listed") is what it is; `Replaced` (the device or its address began another
/// session) is Port-Preempted (13, "ended to allocate the line to another use"); a NAS
/// session the NAS ended for a cause we keep no word for is Lost-Carrier (2).
pub fn terminate_cause(reason: EndReason) -> u32 {
    match reason {
        EndReason::Logout => 1,        // User-Request
        EndReason::Expired => 5,       // Session-Timeout
        EndReason::Quota => 10,        // NAS-Request
        EndReason::Admin => 6,         // Admin-Reset
        EndReason::Replaced => 13,     // Port-Preempted
        EndReason::FirewallError => 9, // NAS-Error
        EndReason::Disabled => 6,      // Admin-Reset
        EndReason::Idle => 4,          // Idle-Timeout
        EndReason::NasReboot => 11,    // NAS-Reboot
        EndReason::NasEnded => 2,      // Lost-Carrier (the NAS's other causes, the usual one)
    }
}

/// One Accounting-Request waiting to be sent, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub id: i64,
    pub session_id: i64,
    /// Acct-Status-Type: `START`, `STOP` or `INTERIM`.
    pub status_type: u32,
    pub acct_session_id: String,
    pub username: String,
    pub mac: String,
    pub ip: String,
    /// From the client (upload): Acct-Input-Octets and -Gigawords.
    pub input_bytes: u64,
    /// To the client (download): Acct-Output-Octets and -Gigawords.
    pub output_bytes: u64,
    pub session_time: Option<u32>,
    pub terminate_cause: Option<u32>,
    pub class: Option<Vec<u8>>,
    pub event_at: i64,
    pub created_at: i64,
    pub attempts: u32,
}

/// Turns upstream accounting on (with its Interim-Update interval) or off. Rows already
/// queued stay either way: they are sent when it is on again.
pub fn configure(conn: &Connection, interim_secs: Option<u32>) -> Result<(), StoreError> {
    match interim_secs {
        Some(secs) => settings::set(conn, ACCOUNTING_INTERIM_SECS, &secs.max(60).to_string()),
        None => {
            conn.execute("DELETE FROM settings WHERE key = ?1", [ACCOUNTING_INTERIM_SECS])?;
            Ok(())
        }
    }
}

fn interim_secs(conn: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([ACCOUNTING_INTERIM_SECS], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|v| v.parse().ok()))
}

fn db(n: u64) -> i64 {
    n.min(i64::MAX as u64) as i64
}

/// What every packet of a session carries, read from its row.
struct SessionFacts {
    acct_session_id: String,
    username: String,
    mac: String,
    ip: String,
    started_at: i64,
    class: Option<Vec<u8>>,
}

fn session_facts(conn: &Connection, session_id: i64) -> Result<Option<SessionFacts>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(s.acct_session_id, printf('%08X', s.id)), u.username, s.mac, s.ip, s.started_at, c.class
             FROM sessions s JOIN hotspot_users u ON u.id = s.user_id
             LEFT JOIN radius_central_accounts c ON c.user_id = s.user_id WHERE s.id = ?1",
        )?
        .query_row([session_id], |r| {
            Ok(SessionFacts {
                acct_session_id: r.get(0)?,
                username: r.get(1)?,
                mac: r.get(2)?,
                ip: r.get(3)?,
                started_at: r.get(4)?,
                class: r.get(5)?,
            })
        })
        .optional()?)
}

/// The parts of a row that differ between Start, Interim and Stop.
struct Totals {
    status_type: u32,
    input_bytes: u64,
    output_bytes: u64,
    session_time: Option<i64>,
    terminate_cause: Option<u32>,
}

fn push(conn: &Connection, session_id: i64, facts: &SessionFacts, t: Totals, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO radius_acct_outbox (session_id, status_type, acct_session_id, username, mac, ip, input_bytes,
             output_bytes, session_time, terminate_cause, class, event_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
    )?
    .execute(params![
        session_id,
        t.status_type,
        facts.acct_session_id,
        facts.username,
        facts.mac,
        facts.ip,
        db(t.input_bytes),
        db(t.output_bytes),
        t.session_time.map(|s| s.clamp(0, u32::MAX as i64)),
        t.terminate_cause,
        facts.class,
        now
    ])?;
    Ok(())
}

/// Queues what `event` means for the central server, inside the caller's transaction (see
/// the module comment). Does nothing while upstream accounting is off.
pub fn on_event(conn: &Connection, event: &Event, now: i64) -> Result<(), StoreError> {
    let relevant = matches!(
        event,
        Event::SessionStarted { .. } | Event::SessionEnded { .. } | Event::SessionTotals { .. } | Event::Usage { .. }
    );
    if !relevant {
        return Ok(());
    }
    let Some(interval) = interim_secs(conn)? else {
        if let Event::SessionEnded { session_id, .. } = event {
            // Accounting was turned off mid-session: its interim bookkeeping goes with it.
            conn.prepare_cached("DELETE FROM radius_acct_interims WHERE session_id = ?1")?.execute([session_id])?;
        }
        return Ok(());
    };
    match event {
        Event::SessionStarted { session_id, .. } => {
            let Some(facts) = session_facts(conn, *session_id)? else { return Ok(()) };
            let start = Totals { status_type: START, input_bytes: 0, output_bytes: 0, session_time: None, terminate_cause: None };
            push(conn, *session_id, &facts, start, now)?;
            conn.prepare_cached("INSERT OR REPLACE INTO radius_acct_interims (session_id, queued_at) VALUES (?1, ?2)")?
                .execute(params![session_id, now])?;
        }
        Event::SessionEnded { session_id, reason, bytes_up, bytes_down, duration_secs, .. } => {
            let Some(facts) = session_facts(conn, *session_id)? else { return Ok(()) };
            conn.prepare_cached("DELETE FROM radius_acct_outbox WHERE session_id = ?1 AND status_type = 3")?.execute([session_id])?;
            conn.prepare_cached("DELETE FROM radius_acct_interims WHERE session_id = ?1")?.execute([session_id])?;
            let stop = Totals {
                status_type: STOP,
                input_bytes: (*bytes_up).max(0) as u64,
                output_bytes: (*bytes_down).max(0) as u64,
                session_time: Some(*duration_secs),
                terminate_cause: Some(terminate_cause(*reason)),
            };
            push(conn, *session_id, &facts, stop, now)?;
        }
        Event::SessionTotals { session_id, bytes_up, bytes_down } => {
            // Bytes read after the end: a Stop not yet sent carries them (a sent one cannot).
            conn.prepare_cached(
                "UPDATE radius_acct_outbox SET input_bytes = max(input_bytes, ?2), output_bytes = max(output_bytes, ?3)
                 WHERE session_id = ?1 AND status_type = 2",
            )?
            .execute(params![session_id, bytes_up, bytes_down])?;
        }
        Event::Usage { sessions, .. } => {
            for &[session_id, bytes_up, bytes_down] in sessions {
                let last: Option<i64> = conn
                    .prepare_cached("SELECT queued_at FROM radius_acct_interims WHERE session_id = ?1")?
                    .query_row([session_id], |r| r.get(0))
                    .optional()?;
                let Some(facts) = session_facts(conn, session_id)? else { continue };
                if now - last.unwrap_or(facts.started_at) < interval {
                    continue;
                }
                conn.prepare_cached("DELETE FROM radius_acct_outbox WHERE session_id = ?1 AND status_type = 3")?.execute([session_id])?;
                let interim = Totals {
                    status_type: INTERIM,
                    input_bytes: bytes_up.max(0) as u64,
                    output_bytes: bytes_down.max(0) as u64,
                    session_time: Some(now - facts.started_at),
                    terminate_cause: None,
                };
                push(conn, session_id, &facts, interim, now)?;
                conn.prepare_cached("INSERT OR REPLACE INTO radius_acct_interims (session_id, queued_at) VALUES (?1, ?2)")?
                    .execute(params![session_id, now])?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The oldest `limit` rows, in the order they must be sent.
pub fn oldest(conn: &Connection, limit: u32) -> Result<Vec<Queued>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, session_id, status_type, acct_session_id, username, mac, ip, input_bytes, output_bytes, session_time,
                terminate_cause, class, event_at, created_at, attempts
         FROM radius_acct_outbox ORDER BY id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(Queued {
            id: r.get(0)?,
            session_id: r.get(1)?,
            status_type: r.get(2)?,
            acct_session_id: r.get(3)?,
            username: r.get(4)?,
            mac: r.get(5)?,
            ip: r.get(6)?,
            input_bytes: r.get::<_, i64>(7)?.max(0) as u64,
            output_bytes: r.get::<_, i64>(8)?.max(0) as u64,
            session_time: r.get::<_, Option<i64>>(9)?.map(|s| s.clamp(0, u32::MAX as i64) as u32),
            terminate_cause: r.get(10)?,
            class: r.get(11)?,
            event_at: r.get(12)?,
            created_at: r.get(13)?,
            attempts: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The central server answered these rows: they go, and its last answer is now.
pub fn acknowledge(conn: &mut Connection, ids: &[i64], now: i64) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    {
        let mut delete = tx.prepare_cached("DELETE FROM radius_acct_outbox WHERE id = ?1")?;
        for id in ids {
            delete.execute([id])?;
        }
    }
    settings::set(&tx, LAST_ANSWER_AT, &now.to_string())?;
    tx.commit()?;
    Ok(())
}

/// A row went unanswered (counted in `attempts`), and why, for `hotspotd status`.
pub fn note_failure(conn: &Connection, row_id: Option<i64>, error: &str, now: i64) -> Result<(), StoreError> {
    if let Some(id) = row_id {
        conn.prepare_cached("UPDATE radius_acct_outbox SET attempts = attempts + 1 WHERE id = ?1")?.execute([id])?;
    }
    settings::set(conn, LAST_ERROR, &format!("{now} {error}"))
}

/// The central server answered (an Accounting-On, an Access-Request).
pub fn note_answer(conn: &Connection, now: i64) -> Result<(), StoreError> {
    settings::set(conn, LAST_ANSWER_AT, &now.to_string())
}

/// How upstream accounting stands, for `hotspotd status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UpstreamStatus {
    /// Accounting-Requests waiting to be sent.
    pub backlog: i64,
    /// Of which Starts and Stops.
    pub backlog_starts_stops: i64,
    /// When the oldest waiting one was written.
    pub oldest_at: Option<i64>,
    pub last_answer_at: Option<i64>,
    pub last_error_at: Option<i64>,
    pub last_error: Option<String>,
}

pub fn status(conn: &Connection) -> Result<UpstreamStatus, StoreError> {
    let (backlog, backlog_starts_stops, oldest_at) = conn.query_row(
        "SELECT count(*), coalesce(sum(status_type != 3), 0), min(created_at) FROM radius_acct_outbox",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let last_answer_at = settings::get(conn, LAST_ANSWER_AT)?.and_then(|v| v.parse().ok());
    let error = settings::get(conn, LAST_ERROR)?;
    let (last_error_at, last_error) = match error.as_deref().and_then(|e| e.split_once(' ')) {
        Some((at, words)) => (at.parse().ok(), Some(words.to_owned())),
        None => (None, error),
    };
    Ok(UpstreamStatus { backlog, backlog_starts_stops, oldest_at, last_answer_at, last_error_at, last_error })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sessions::EndMethod;

    const NOW: i64 = 1_800_000_000;

    /// A database on a temp file (as the router has), with accounting on every 300 s and one
    /// account with two sessions.
    fn db(name: &str) -> (Connection, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("hotspotd-upstream-queue-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let conn = crate::store::open(&dir.join("h.db")).unwrap();
        configure(&conn, Some(300)).unwrap();
        conn.execute_batch(
            "INSERT INTO packages (id, name, price, duration_secs, created_at, updated_at) VALUES (1, 'Hour', 10, 3600, 0, 0);
             INSERT INTO hotspot_users (id, username, package_id, source, duration_secs, created_at, updated_at)
                 VALUES (7, 'amina', 1, 'admin', 3600, 0, 0);
             INSERT INTO sessions (id, user_id, mac, ip, acct_session_id, started_at, expires_at)
                 VALUES (1, 7, '02:00:00:00:00:01', '10.0.0.11', '00000001', 1800000000, 1800003600),
                        (2, 7, '02:00:00:00:00:02', '10.0.0.12', '00000002', 1800000000, 1800003600);",
        )
        .unwrap();
        (conn, dir)
    }

    fn started(session_id: i64) -> Event {
        Event::SessionStarted {
            session_id,
            account_id: 7,
            username: "amina".into(),
            mac: "m".into(),
            ip: "i".into(),
            enforcer: "local".into(),
            expires_at: NOW + 3600,
        }
    }

    fn ended(session_id: i64, up: i64, down: i64, reason: EndReason) -> Event {
        Event::SessionEnded { session_id, account_id: 7, method: EndMethod::Portal, reason, bytes_up: up, bytes_down: down, duration_secs: 700 }
    }

    fn kinds(conn: &Connection) -> Vec<(i64, u32)> {
        oldest(conn, 100).unwrap().iter().map(|q| (q.session_id, q.status_type)).collect()
    }

    #[test]
    fn starts_and_stops_are_kept_in_order_with_their_totals() {
        let (mut conn, dir) = db("order");
        on_event(&conn, &started(1), NOW).unwrap();
        on_event(&conn, &started(2), NOW + 1).unwrap();
        on_event(&conn, &ended(1, 5 << 32 | 7, 9, EndReason::Quota), NOW + 700).unwrap();
        on_event(&conn, &Event::SessionTotals { session_id: 1, bytes_up: (5 << 32) + 8, bytes_down: 10 }, NOW + 701).unwrap();
        on_event(&conn, &ended(2, 1, 2, EndReason::Logout), NOW + 702).unwrap();
        // Unrelated events write nothing.
        on_event(&conn, &Event::PasswordReset { account_id: 7 }, NOW + 703).unwrap();
        assert_eq!(kinds(&conn), [(1, START), (2, START), (1, STOP), (2, STOP)]);
        let rows = oldest(&conn, 100).unwrap();
        let stop = &rows[2];
        assert_eq!((stop.input_bytes, stop.output_bytes), ((5 << 32) + 8, 10), "bytes read after the end are added");
        assert_eq!((stop.terminate_cause, stop.session_time, stop.created_at), (Some(10), Some(700), NOW + 700));
        assert_eq!((stop.acct_session_id.as_str(), stop.username.as_str(), stop.ip.as_str()), ("00000001", "amina", "10.0.0.11"));
        assert_eq!(rows[3].terminate_cause, Some(1));
        acknowledge(&mut conn, &[rows[0].id, rows[2].id], NOW + 800).unwrap();
        assert_eq!(kinds(&conn), [(2, START), (2, STOP)]);
        let s = status(&conn).unwrap();
        assert_eq!((s.backlog, s.backlog_starts_stops, s.last_answer_at), (2, 2, Some(NOW + 800)));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn interims_come_every_interval_and_collapse_while_unsent() {
        let (mut conn, dir) = db("interim");
        on_event(&conn, &started(1), NOW).unwrap();
        on_event(&conn, &started(2), NOW).unwrap();
        let usage = |at: i64, up: i64| Event::Usage { at, sessions: vec![[1, up, up * 2], [2, 1, 1]] };
        on_event(&conn, &usage(NOW + 60, 10), NOW + 60).unwrap();
        assert_eq!(kinds(&conn), [(1, START), (2, START)], "not yet an interval");
        on_event(&conn, &usage(NOW + 300, 20), NOW + 300).unwrap();
        assert_eq!(kinds(&conn), [(1, START), (2, START), (1, INTERIM), (2, INTERIM)]);
        // Offline: the next interims replace the unsent ones, never pile up.
        for k in 2..50 {
            on_event(&conn, &usage(NOW + 300 * k, 20 * k), NOW + 300 * k).unwrap();
        }
        assert_eq!(kinds(&conn), [(1, START), (2, START), (1, INTERIM), (2, INTERIM)]);
        let rows = oldest(&conn, 100).unwrap();
        assert_eq!((rows[2].input_bytes, rows[2].output_bytes, rows[2].session_time), (980, 1960, Some(300 * 49)));
        // Sent and answered: the next interval queues a new one.
        acknowledge(&mut conn, &[rows[0].id, rows[2].id], NOW + 300 * 49).unwrap();
        on_event(&conn, &usage(NOW + 300 * 50, 1000), NOW + 300 * 50).unwrap();
        assert_eq!(kinds(&conn), [(2, START), (1, INTERIM), (2, INTERIM)], "a replaced interim goes to the back");
        // A Stop makes the unsent interim pointless; Start and Stop stay.
        on_event(&conn, &ended(2, 5, 5, EndReason::Expired), NOW + 300 * 51).unwrap();
        assert_eq!(kinds(&conn), [(2, START), (1, INTERIM), (2, STOP)]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn nothing_is_queued_while_accounting_is_off() {
        let (conn, dir) = db("off");
        configure(&conn, None).unwrap();
        on_event(&conn, &started(1), NOW).unwrap();
        on_event(&conn, &ended(1, 1, 1, EndReason::Admin), NOW + 5).unwrap();
        assert!(kinds(&conn).is_empty());
        note_failure(&conn, None, "no answer from 192.0.2.1:1813", NOW).unwrap();
        let s = status(&conn).unwrap();
        assert_eq!((s.last_error_at, s.last_error.as_deref()), (Some(NOW), Some("no answer from 192.0.2.1:1813")));
        let _ = std::fs::remove_dir_all(dir);
    }
}
