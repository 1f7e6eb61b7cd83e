//! The `admin_audit` table: who changed what, and when (the web admin, commands through the
//! control socket, `hotspotd admin password`). Bounded: each write keeps the latest `KEEP`
//! rows, and texts are cut to `MAX_TEXT` characters.

use rusqlite::{params, Connection};
use serde::Serialize;

use super::StoreError;

/// Rows kept (a few hundred KB at most).
pub const KEEP: i64 = 5000;
/// Longest `who`, `action` or `detail` stored, in characters.
pub const MAX_TEXT: usize = 400;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub who: String,
    pub action: String,
    pub detail: String,
}

/// `text` cut to `MAX_TEXT` characters (an ellipsis marks the cut).
pub fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        None => text.to_owned(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

/// Records one change; drops rows beyond the latest `KEEP`.
pub fn record(conn: &Connection, at: i64, who: &str, action: &str, detail: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO admin_audit (at, who, action, detail) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![at, bounded(who), bounded(action), bounded(detail)])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached("DELETE FROM admin_audit WHERE id <= ?1")?.execute([id - KEEP])?;
    Ok(())
}

/// The latest `limit` rows, newest first.
pub fn latest(conn: &Connection, limit: u32) -> Result<Vec<AuditRow>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id, at, who, action, detail FROM admin_audit ORDER BY id DESC LIMIT ?1")?;
    let rows = stmt.query_map([limit], |r| {
        Ok(AuditRow { id: r.get(0)?, at: r.get(1)?, who: r.get(2)?, action: r.get(3)?, detail: r.get(4)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_newest_first_bounded_and_pruned() {
        let conn = crate::store::migrations::memory();
        record(&conn, 10, "cli", "voucher_create", "package 1, 5 codes").unwrap();
        record(&conn, 11, "admin@192.168.1.5", "/system/jobs/3/retry", &"x".repeat(1000)).unwrap();
        let rows = latest(&conn, 50).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].at, rows[0].who.as_str()), (11, "admin@192.168.1.5"));
        assert_eq!(rows[0].detail.chars().count(), MAX_TEXT + 1);
        assert_eq!(rows[1].action, "voucher_create");
        for i in 0..(KEEP + 3) {
            record(&conn, i, "cli", "x", "").unwrap();
        }
        let count: i64 = conn.query_row("SELECT count(*) FROM admin_audit", [], |r| r.get(0)).unwrap();
        assert_eq!(count, KEEP);
    }
}
