//! What the router keeps about its sync with the central server (`src/sync/`): its stream
//! id and request counters, how far login refusals were reported, and which of the central's
//! items were applied. The outbox itself is `outbox.rs`.

use rusqlite::{params, Connection, OptionalExtension};

use super::outbox::{self, Event};
use super::{settings, StoreError};

const STREAM: &str = "sync_stream";
const COUNTER_RESERVED: &str = "sync_counter_reserved";
const REFUSALS_REPORTED: &str = "sync_refusals_reported";

/// This database's stream id at the central: random, made once. A router whose database is
/// replaced gets a new one, so its new sequence numbers and counters are not taken for
/// replays of the old ones.
pub fn stream(conn: &Connection) -> Result<String, StoreError> {
    if let Some(stream) = settings::get(conn, STREAM)? {
        return Ok(stream);
    }
    let mut bytes = [0u8; 8];
    crate::credentials::random_bytes(&mut bytes).map_err(StoreError::Random)?;
    let stream = crate::sync::wire::hex(&bytes);
    settings::set(conn, STREAM, &stream)?;
    Ok(stream)
}

/// Reserves `count` request counters and returns the first; the next reservation starts past
/// them, so no counter is used twice whatever crashes (one write per `count` requests).
pub fn reserve_counters(conn: &Connection, count: u64) -> Result<u64, StoreError> {
    let reserved: u64 = settings::get(conn, COUNTER_RESERVED)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    settings::set(conn, COUNTER_RESERVED, &(reserved + count).to_string())?;
    Ok(reserved + 1)
}

/// Records the login refusals logged since the last report as one `auth_refusals` event
/// (merged into the one not yet sent), counted by reason. Nothing new: no write.
pub fn report_refusals(conn: &mut Connection, now: i64) -> Result<(), StoreError> {
    let after: i64 = settings::get(conn, REFUSALS_REPORTED)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let last: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM auth_log", [], |r| r.get(0))?;
    if last <= after {
        return Ok(());
    }
    let tx = conn.transaction()?;
    let counts = {
        let mut stmt = tx.prepare_cached(
            "SELECT coalesce(reason, outcome), count(*) FROM auth_log WHERE id > ?1 AND id <= ?2 AND outcome != 'accepted'
             GROUP BY 1 ORDER BY 1",
        )?;
        let rows = stmt.query_map(params![after, last], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    if !counts.is_empty() {
        outbox::record(&tx, &Event::AuthRefusals { from_id: after + 1, to_id: last, counts }, now)?;
    }
    settings::set(&tx, REFUSALS_REPORTED, &last.to_string())?;
    tx.commit()?;
    Ok(())
}

/// What became of an item from the central.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub ok: bool,
    /// Words for the operator: what was done, or why not.
    pub detail: String,
}

impl Outcome {
    pub fn done(detail: impl Into<String>) -> Outcome {
        Outcome { ok: true, detail: detail.into() }
    }
    pub fn failed(detail: impl Into<String>) -> Outcome {
        Outcome { ok: false, detail: detail.into() }
    }
}

/// The outcome of item `item_id` if it was applied already.
pub fn applied(conn: &Connection, item_id: i64) -> Result<Option<Outcome>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT ok, detail FROM sync_applied WHERE item_id = ?1")?
        .query_row([item_id], |r| Ok(Outcome { ok: r.get(0)?, detail: r.get(1)? }))
        .optional()?)
}

/// Records that item `item_id` was applied with `outcome`, and queues the result for the
/// central (a `command_result` event), inside the caller's transaction — the one that made
/// the item's change, where the change is not idempotent by itself.
pub fn record_applied(conn: &Connection, item_id: i64, outcome: &Outcome, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO sync_applied (item_id, ok, detail, applied_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![item_id, outcome.ok, outcome.detail, now])?;
    let event = Event::CommandResult { command_id: item_id, ok: outcome.ok, detail: outcome.detail.clone() };
    outbox::record(conn, &event, now)
}

/// Forgets applied items older than `before` (the central stops delivering an item once
/// its result arrived, long before).
pub fn forget_applied(conn: &Connection, before: i64) -> Result<usize, StoreError> {
    Ok(conn.execute("DELETE FROM sync_applied WHERE applied_at < ?1", [before])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations::memory as db;

    #[test]
    fn the_stream_is_made_once_and_counters_never_repeat() {
        let conn = db();
        let stream = stream(&conn).unwrap();
        assert_eq!(stream.len(), 16);
        assert_eq!(super::stream(&conn).unwrap(), stream);
        assert_eq!(reserve_counters(&conn, 100).unwrap(), 1);
        // A restart (crash) takes the next block, whatever of the first was used.
        assert_eq!(reserve_counters(&conn, 100).unwrap(), 101);
    }

    #[test]
    fn refusals_are_counted_once_by_reason() {
        let mut conn = db();
        for (outcome, reason) in [("rejected", "unknown_voucher"), ("rejected", "unknown_voucher"), ("accepted", ""), ("rate_limited", "")] {
            conn.execute(
                "INSERT INTO auth_log (at, method, outcome, reason) VALUES (1, 'voucher', ?1, nullif(?2, ''))",
                params![outcome, reason],
            )
            .unwrap();
        }
        report_refusals(&mut conn, 5).unwrap();
        report_refusals(&mut conn, 6).unwrap();
        let rows = outbox::unsent(&conn, 0, 10).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].payload, r#"{"event":"auth_refusals","from_id":1,"to_id":4,"counts":[["rate_limited",1],["unknown_voucher",2]]}"#);
    }

    #[test]
    fn an_applied_item_is_remembered_with_its_result_queued() {
        let conn = db();
        assert_eq!(applied(&conn, 7).unwrap(), None);
        record_applied(&conn, 7, &Outcome::failed("no such account"), 1).unwrap();
        assert_eq!(applied(&conn, 7).unwrap(), Some(Outcome::failed("no such account")));
        assert!(record_applied(&conn, 7, &Outcome::done("again"), 2).is_err(), "applied twice");
        let rows = outbox::unsent(&conn, 0, 10).unwrap();
        assert_eq!(rows[0].payload, r#"{"event":"command_result","command_id":7,"ok":false,"detail":"no such account"}"#);
    }
}
