//! Schema migrations: the numbered files in `sqlite-schema/`, embedded in the binary and
//! applied in order. The version reached is kept in `PRAGMA user_version`.

use rusqlite::{Connection, TransactionBehavior};

/// Every migration in order; the version after applying `MIGRATIONS[i]` is `i + 1`.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init.sql", include_str!("../../sqlite-schema/0001_init.sql")),
    ("0002_payments_and_jobs.sql", include_str!("../../sqlite-schema/0002_payments_and_jobs.sql")),
    ("0003_usage_and_clock.sql", include_str!("../../sqlite-schema/0003_usage_and_clock.sql")),
    ("0004_portal_abuse.sql", include_str!("../../sqlite-schema/0004_portal_abuse.sql")),
    ("0005_seams.sql", include_str!("../../sqlite-schema/0005_seams.sql")),
    ("0006_radius.sql", include_str!("../../sqlite-schema/0006_radius.sql")),
    ("0007_radius_upstream.sql", include_str!("../../sqlite-schema/0007_radius_upstream.sql")),
    ("0008_sync.sql", include_str!("../../sqlite-schema/0008_sync.sql")),
    ("0009_admin.sql", include_str!("../../sqlite-schema/0009_admin.sql")),
    ("0010_voucher_price.sql", include_str!("../../sqlite-schema/0010_voucher_price.sql")),
    ("0011_sms_language.sql", include_str!("../../sqlite-schema/0011_sms_language.sql")),
];

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot read the schema version")]
    ReadVersion(#[source] rusqlite::Error),
    #[error("database schema version {found} is newer than this hotspotd knows ({known}); install a newer hotspotd")]
    TooNew { found: u32, known: u32 },
    #[error("migration {name} failed")]
    Apply {
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },
}

/// Brings the database to the latest version; each step commits with its version number.
/// Each step reads the version inside an IMMEDIATE (write-locked) transaction, so two
/// processes opening a new database at once (the daemon and a CLI command at first boot)
/// apply each migration exactly once: the second waits, then sees it done.
pub fn migrate(conn: &mut Connection) -> Result<u32, MigrationError> {
    let known = MIGRATIONS.len() as u32;
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(MigrationError::ReadVersion)?;
        let found: u32 =
            tx.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(MigrationError::ReadVersion)?;
        if found > known {
            return Err(MigrationError::TooNew { found, known });
        }
        if found == known {
            return Ok(known);
        }
        let (name, sql) = MIGRATIONS[found as usize];
        let apply = || -> rusqlite::Result<()> {
            tx.execute_batch(sql)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", found + 1))?;
            tx.commit()
        };
        apply().map_err(|source| MigrationError::Apply { name, source })?;
    }
}

/// A fresh in-memory database at the latest version, for unit tests.
#[cfg(test)]
pub fn memory() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    migrate(&mut conn).unwrap();
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_new_database_once_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len() as u32);
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len() as u32);
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for table in [
            "admin_audit", "auth_log", "data_usage_logs", "failed_jobs", "hotspot_credentials", "hotspot_users", "jobs",
            "packages", "payments", "session_disconnections", "sessions", "settings", "sync_outbox", "vouchers",
        ] {
            assert!(tables.iter().any(|t| t == table), "missing table {table}");
        }
    }

    #[test]
    fn two_processes_migrating_a_new_database_at_once_both_succeed() {
        let dir = std::env::temp_dir().join(format!("hotspotd-migrate-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("race.db");
        for _ in 0..20 {
            let _ = std::fs::remove_file(&path);
            let threads: Vec<_> = (0..3)
                .map(|_| {
                    let path = path.clone();
                    std::thread::spawn(move || crate::store::open(&path).map(|_| ()))
                })
                .collect();
            for t in threads {
                t.join().unwrap().expect("every opener migrates or waits for the other");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_upgrade_drops_what_older_versions_queued_for_recurring_work() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A database as version 3 left it: recurring work queued, the sync placeholder's note.
        for (i, (_, sql)) in MIGRATIONS.iter().take(3).enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", i + 1).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO jobs (queue, kind, payload, unique_key, run_at, created_at) VALUES
                 ('default', 'SyncRadiusAccounting', '{\"kind\":\"SyncRadiusAccounting\"}', 'SyncRadiusAccounting', 0, 0),
                 ('high', 'SendCredentialsSms', '{\"kind\":\"SendCredentialsSms\",\"credential_id\":1}', 'sms:1', 0, 0);
             INSERT INTO settings (key, value) VALUES ('sync_status', 'checked at 1800000000: nothing sent');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let kinds: Vec<String> =
            conn.prepare("SELECT kind FROM jobs").unwrap().query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(kinds, ["SendCredentialsSms"], "durable jobs stay");
        let notes: i64 = conn.query_row("SELECT count(*) FROM settings WHERE key = 'sync_status'", [], |r| r.get(0)).unwrap();
        assert_eq!(notes, 0);
    }

    #[test]
    fn refuses_a_database_from_the_future() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(err.to_string().contains("newer than this hotspotd knows"), "{err}");
    }

    #[test]
    fn money_is_never_a_float() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let float_columns: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master m, pragma_table_info(m.name) c
                 WHERE m.type = 'table' AND (c.type LIKE '%REAL%' OR c.type LIKE '%FLOA%' OR c.type LIKE '%DOUB%')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(float_columns, 0);
    }
}
