//! Usage on flash: `session_usage` (the checkpointed totals of active sessions),
//! `data_usage_logs` (per-checkpoint deltas), `data_usage_hourly` (old deltas folded per
//! hour), a session's totals when it ends, and the account's data used. The one writer of
//! byte totals: nothing else in hotspotd writes these columns, and only `Sessions` (which
//! owns the live ledger) calls the writers here. Each function runs inside one transaction
//! the caller opens, so a checkpoint is one batch of writes, and each reports what it wrote
//! to the sync outbox in that same transaction.

use rusqlite::{params, Connection, OptionalExtension};

use super::outbox::{self, Event};
use super::sessions::SessionStatus;
use super::{settings, StoreError};
use crate::firewall::Traffic;
use crate::ledger::{ActiveSession, Checkpointed, Ended};

/// Every active session our firewall counts, with its device address (read each poll; reads
/// cost no flash). A row whose address is garbage is left out, and so are NAS sessions (their
/// NAS counts them: `report_nas`).
pub fn active_sessions(conn: &Connection) -> Result<Vec<ActiveSession>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id, user_id, ip FROM sessions WHERE status = 'active' AND nas = 'local'")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))?;
    let mut active = Vec::new();
    for row in rows {
        let (session_id, account_id, ip) = row?;
        if let Ok(ip) = ip.parse() {
            active.push(ActiveSession { session_id, account_id, ip });
        }
    }
    Ok(active)
}

/// The checkpointed totals of active sessions our firewall counts, as (session, account,
/// totals), to resume counting after a restart.
pub fn checkpointed(conn: &Connection) -> Result<Vec<(i64, i64, Traffic)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.session_id, u.user_id, u.bytes_in, u.bytes_out FROM session_usage u
         JOIN sessions s ON s.id = u.session_id WHERE s.status = 'active' AND s.nas = 'local'",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, Traffic { up: r.get::<_, i64>(2)?.max(0) as u64, down: r.get::<_, i64>(3)?.max(0) as u64 }))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether any account's time is running (its remaining time must then be checkpointed).
pub fn any_clock_running(conn: &Connection, now: i64) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM hotspot_users WHERE status = 'active' AND subscription_expires_at > ?1)",
        [now],
        |r| r.get(0),
    )?)
}

fn db(n: u64) -> i64 {
    n.min(i64::MAX as u64) as i64
}

fn status_of(conn: &Connection, session_id: i64) -> Result<Option<SessionStatus>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT status FROM sessions WHERE id = ?1")?
        .query_row([session_id], |r| r.get(0))
        .optional()?)
}

/// Writes the new totals of sessions still active, and one usage-log row each; reports the
/// totals of every active session to the outbox (one coalesced row); returns the rows
/// written (a session that ended meanwhile is left to `record_ended`).
pub fn checkpoint(conn: &Connection, rows: &[Checkpointed], now: i64) -> Result<Vec<Checkpointed>, StoreError> {
    let mut written = Vec::with_capacity(rows.len());
    let mut upsert = conn.prepare_cached(
        "INSERT INTO session_usage (session_id, user_id, bytes_in, bytes_out) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (session_id) DO UPDATE SET bytes_in = excluded.bytes_in, bytes_out = excluded.bytes_out",
    )?;
    for row in rows {
        if status_of(conn, row.session_id)? != Some(SessionStatus::Active) {
            continue;
        }
        upsert.execute(params![row.session_id, row.account_id, db(row.total.up), db(row.total.down)])?;
        log_delta(conn, row.session_id, row.delta, now)?;
        written.push(*row);
    }
    if !written.is_empty() {
        report(conn, now)?;
    }
    Ok(written)
}

/// Reports every active session's totals to the outbox (one coalesced row).
pub fn report(conn: &Connection, now: i64) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached("SELECT session_id, bytes_in, bytes_out FROM session_usage ORDER BY session_id")?;
    let sessions = stmt.query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]))?.collect::<Result<_, _>>()?;
    outbox::record(conn, &Event::Usage { at: now, sessions }, now)
}

/// Records the cumulative totals a NAS reported for an active session of its own (RADIUS
/// accounting): they replace what was recorded, never add to it, and never go down (a
/// retransmitted or reordered report changes nothing). Returns whether they grew. The outbox
/// hears of them with the next `report`.
pub fn report_nas(conn: &Connection, session_id: i64, user_id: i64, total: Traffic, now: i64) -> Result<bool, StoreError> {
    let before = conn
        .prepare_cached("SELECT bytes_in, bytes_out FROM session_usage WHERE session_id = ?1")?
        .query_row([session_id], |r| Ok(Traffic { up: r.get::<_, i64>(0)?.max(0) as u64, down: r.get::<_, i64>(1)?.max(0) as u64 }))
        .optional()?;
    let delta = total.since(before.unwrap_or_default());
    if before.is_some() && delta.total() == 0 {
        return Ok(false);
    }
    let total = total.max(before.unwrap_or_default());
    conn.prepare_cached(
        "INSERT INTO session_usage (session_id, user_id, bytes_in, bytes_out) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (session_id) DO UPDATE SET bytes_in = excluded.bytes_in, bytes_out = excluded.bytes_out",
    )?
    .execute(params![session_id, user_id, db(total.up), db(total.down)])?;
    log_delta(conn, session_id, delta, now)?;
    Ok(delta.total() > 0)
}

/// Records the totals of a session that has just ended (in the transaction that ended it):
/// the session row and its audit row get `total` (or what the last checkpoint held, if more),
/// the account's data used grows by it, the usage log gets what the last checkpoint had not
/// seen, and its checkpoint row goes. Returns the totals recorded.
pub fn close(conn: &Connection, session_id: i64, user_id: i64, total: Traffic, now: i64) -> Result<Traffic, StoreError> {
    let checkpointed = conn
        .prepare_cached("SELECT bytes_in, bytes_out FROM session_usage WHERE session_id = ?1")?
        .query_row([session_id], |r| Ok(Traffic { up: r.get::<_, i64>(0)?.max(0) as u64, down: r.get::<_, i64>(1)?.max(0) as u64 }))
        .optional()?
        .unwrap_or_default();
    let total = total.max(checkpointed);
    log_delta(conn, session_id, total.since(checkpointed), now)?;
    conn.execute(
        "UPDATE sessions SET bytes_in = ?2, bytes_out = ?3 WHERE id = ?1",
        params![session_id, db(total.up), db(total.down)],
    )?;
    conn.execute(
        "UPDATE session_disconnections SET bytes_in = ?2, bytes_out = ?3 WHERE session_id = ?1",
        params![session_id, db(total.up), db(total.down)],
    )?;
    conn.execute(
        "UPDATE hotspot_users SET data_used_bytes = data_used_bytes + ?2 WHERE id = ?1",
        params![user_id, db(total.total())],
    )?;
    conn.execute("DELETE FROM session_usage WHERE session_id = ?1", [session_id])?;
    Ok(total)
}

fn log_delta(conn: &Connection, session_id: i64, delta: Traffic, now: i64) -> Result<(), StoreError> {
    if delta.total() > 0 {
        conn.prepare_cached("INSERT INTO data_usage_logs (session_id, at, bytes_in_delta, bytes_out_delta) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![session_id, now, db(delta.up), db(delta.down)])?;
    }
    Ok(())
}

/// Records the final totals of sessions that have ended: the session row and its audit row
/// get the larger of what they hold and `total`, the account and the usage log get the
/// difference. Returns the sessions now fully recorded (their counters can go). A session
/// still active is skipped: it was only missing from a list read a moment before its login.
pub fn record_ended(conn: &Connection, ended: &[Ended], now: i64) -> Result<Vec<i64>, StoreError> {
    let mut recorded = Vec::with_capacity(ended.len());
    for e in ended {
        let row: Option<(SessionStatus, i64, i64, i64)> = conn
            .query_row("SELECT status, user_id, bytes_in, bytes_out FROM sessions WHERE id = ?1", [e.session_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let Some((status, user_id, bytes_in, bytes_out)) = row else {
            recorded.push(e.session_id); // counters of a session we have no row for: drop them
            continue;
        };
        if status != SessionStatus::Ended {
            continue;
        }
        let before = Traffic { up: bytes_in.max(0) as u64, down: bytes_out.max(0) as u64 };
        let delta = e.total.since(before);
        if delta.total() > 0 {
            let total = before.max(e.total);
            conn.execute(
                "UPDATE sessions SET bytes_in = ?2, bytes_out = ?3 WHERE id = ?1",
                params![e.session_id, db(total.up), db(total.down)],
            )?;
            conn.execute(
                "UPDATE session_disconnections SET bytes_in = ?2, bytes_out = ?3 WHERE session_id = ?1",
                params![e.session_id, db(total.up), db(total.down)],
            )?;
            conn.execute(
                "UPDATE hotspot_users SET data_used_bytes = data_used_bytes + ?2 WHERE id = ?1",
                params![user_id, db(delta.total())],
            )?;
            log_delta(conn, e.session_id, delta, now)?;
            let event = Event::SessionTotals { session_id: e.session_id, bytes_up: db(total.up), bytes_down: db(total.down) };
            outbox::record(conn, &event, now)?;
        }
        conn.execute("DELETE FROM session_usage WHERE session_id = ?1", [e.session_id])?;
        recorded.push(e.session_id);
    }
    Ok(recorded)
}

/// Where compaction stopped: minute rows below this id are folded already.
const COMPACTED_TO: &str = "usage_compacted_to";

/// Folds minute rows from before `detail_before` into hourly rows, and deletes hourly rows
/// from before `keep_after`. Rows are appended in time order, so each run reads only the
/// rows it folds (from where the last one stopped), never the whole table. Returns how many
/// minute rows were folded.
pub fn compact(conn: &Connection, detail_before: i64, keep_after: i64) -> Result<usize, StoreError> {
    // Whole hours only, so an hour is never split between two runs.
    let cutoff = detail_before - detail_before.rem_euclid(3600);
    let from: i64 = settings::get(conn, COMPACTED_TO)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let first_kept: Option<i64> = conn
        .query_row(
            "SELECT id FROM data_usage_logs WHERE id >= ?1 AND at >= ?2 ORDER BY id LIMIT 1",
            params![from, cutoff],
            |r| r.get(0),
        )
        .optional()?;
    let to = match first_kept {
        Some(id) => id,
        None => conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM data_usage_logs", [], |r| r.get(0))?,
    };
    let mut folded = 0;
    if to > from {
        conn.execute(
            "INSERT INTO data_usage_hourly (session_id, hour, bytes_in_delta, bytes_out_delta)
             SELECT session_id, at - (at % 3600), sum(bytes_in_delta), sum(bytes_out_delta)
             FROM data_usage_logs WHERE id >= ?1 AND id < ?2
             GROUP BY session_id, at - (at % 3600) ORDER BY at - (at % 3600), session_id",
            params![from, to],
        )?;
        folded = conn.execute("DELETE FROM data_usage_logs WHERE id >= ?1 AND id < ?2", params![from, to])?;
        settings::set(conn, COMPACTED_TO, &to.to_string())?;
    }
    // Hourly rows are in time order too: delete from the front.
    conn.execute(
        "DELETE FROM data_usage_hourly WHERE id < (SELECT coalesce(
             (SELECT id FROM data_usage_hourly WHERE hour >= ?1 ORDER BY id LIMIT 1),
             (SELECT coalesce(max(id), 0) + 1 FROM data_usage_hourly)))",
        [keep_after],
    )?;
    Ok(folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations;

    fn db_with_sessions() -> Connection {
        let conn = migrations::memory();
        conn.execute_batch(
            "INSERT INTO packages (id, name, price, duration_secs, created_at, updated_at) VALUES (1, 'p', 1, 60, 0, 0);
             INSERT INTO hotspot_users (id, username, package_id, source, duration_secs, created_at, updated_at)
                 VALUES (7, 'u7', 1, 'voucher', 60, 0, 0);
             INSERT INTO sessions (id, user_id, mac, ip, started_at, expires_at) VALUES (1, 7, 'm1', 'i1', 0, 99);
             INSERT INTO sessions (id, user_id, mac, ip, started_at, expires_at) VALUES (2, 7, 'm2', 'i2', 0, 99);",
        )
        .unwrap();
        conn
    }

    fn t(up: u64, down: u64) -> Traffic {
        Traffic { up, down }
    }

    fn used(conn: &Connection) -> i64 {
        conn.query_row("SELECT data_used_bytes FROM hotspot_users WHERE id = 7", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_checkpoint_writes_totals_and_deltas_of_active_sessions_only() {
        let conn = db_with_sessions();
        conn.execute("UPDATE sessions SET status = 'ended' WHERE id = 2", []).unwrap();
        let rows = [
            Checkpointed { session_id: 1, account_id: 7, total: t(10, 90), delta: t(10, 90) },
            Checkpointed { session_id: 2, account_id: 7, total: t(5, 5), delta: t(5, 5) },
        ];
        let written = checkpoint(&conn, &rows, 1000).unwrap();
        assert_eq!(written, rows[..1]);
        assert_eq!(checkpointed(&conn).unwrap(), vec![(1, 7, t(10, 90))]);
        assert_eq!(active_sessions(&conn).unwrap(), vec![]); // its address 'i1' is not an address
        let again = [Checkpointed { session_id: 1, account_id: 7, total: t(20, 190), delta: t(10, 100) }];
        checkpoint(&conn, &again, 1060).unwrap();
        let logged: (i64, i64, i64) = conn
            .query_row("SELECT count(*), sum(bytes_in_delta), sum(bytes_out_delta) FROM data_usage_logs", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(logged, (2, 20, 190));
        assert_eq!(checkpointed(&conn).unwrap()[0].2, t(20, 190));
    }

    #[test]
    fn an_ended_session_gets_its_final_totals_once() {
        let conn = db_with_sessions();
        // Ended with 100 bytes recorded (the end moved its checkpoint to the session row).
        conn.execute_batch(
            "UPDATE sessions SET status = 'ended', bytes_in = 40, bytes_out = 60 WHERE id = 1;
             UPDATE hotspot_users SET data_used_bytes = 100 WHERE id = 7;
             INSERT INTO session_disconnections (session_id, user_id, mac, method, reason, at, bytes_in, bytes_out)
                 VALUES (1, 7, 'm1', 'portal', 'logout', 5, 40, 60);",
        )
        .unwrap();
        let ended = [Ended { session_id: 1, total: t(50, 80) }, Ended { session_id: 2, total: t(1, 1) }, Ended { session_id: 9, total: t(1, 1) }];
        // Session 2 is still active (listed a moment before its login): not recorded.
        assert_eq!(record_ended(&conn, &ended, 10).unwrap(), vec![1, 9]);
        assert_eq!(used(&conn), 130);
        let audit: (i64, i64) =
            conn.query_row("SELECT bytes_in, bytes_out FROM session_disconnections WHERE session_id = 1", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!(audit, (50, 80));
        // Recording the same totals again changes nothing.
        record_ended(&conn, &ended[..1], 11).unwrap();
        assert_eq!(used(&conn), 130);
    }

    #[test]
    fn compaction_folds_old_minutes_into_hours_and_drops_old_hours() {
        let conn = db_with_sessions();
        // Two and a half hours of minute rows (from 7,200) for two sessions.
        for minute in 0..150 {
            let at = 7200 + minute * 60;
            for session in [1, 2] {
                conn.execute(
                    "INSERT INTO data_usage_logs (session_id, at, bytes_in_delta, bytes_out_delta) VALUES (?1, ?2, 1, 10)",
                    params![session, at],
                )
                .unwrap();
            }
        }
        // Detail kept from 14,500 on: the two whole hours before 14,400 are folded.
        let folded = compact(&conn, 14_500, 0).unwrap();
        assert_eq!(folded, 240);
        let hours: Vec<(i64, i64, i64, i64)> = conn
            .prepare("SELECT session_id, hour, bytes_in_delta, bytes_out_delta FROM data_usage_hourly ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(hours, vec![(1, 7200, 60, 600), (2, 7200, 60, 600), (1, 10800, 60, 600), (2, 10800, 60, 600)]);
        let left: i64 = conn.query_row("SELECT count(*) FROM data_usage_logs", [], |r| r.get(0)).unwrap();
        assert_eq!(left, 60);
        // Nothing new to fold; hourly rows older than 3 h are dropped.
        assert_eq!(compact(&conn, 14_500, 10_800).unwrap(), 0);
        let hourly: i64 = conn.query_row("SELECT count(*) FROM data_usage_hourly", [], |r| r.get(0)).unwrap();
        assert_eq!(hourly, 2);
    }
}
