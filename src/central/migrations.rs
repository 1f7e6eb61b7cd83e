//! The central's schema: `central-schema/*.sql`, embedded, applied in order at start. An
//! advisory lock serialises processes starting together; each migration runs in its own
//! transaction with its version recorded in `schema_migrations`, so one is applied once.

use tokio_postgres::Client;

use super::db::DbError;

/// Every migration, oldest first: (version, SQL).
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("../../central-schema/0001_init.sql"))];

/// An arbitrary key for `pg_advisory_lock`, the same in every process ("hotspotd" in ASCII).
const LOCK_KEY: i64 = 0x686f_7473_706f_7464;

/// Applies what is missing; returns how many migrations were applied now.
pub async fn migrate(client: &mut Client) -> Result<usize, DbError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY]).await?;
    let applied = apply_missing(client).await;
    // Released even when a migration failed (the session would release it anyway on close).
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]).await;
    let applied = applied?;
    unlocked?;
    Ok(applied)
}

async fn apply_missing(client: &mut Client) -> Result<usize, DbError> {
    // Quiet: "relation already exists, skipping" is the normal case, not news.
    client
        .batch_execute("SET client_min_messages TO warning; CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        .await?;
    let mut count = 0;
    for &(version, sql) in MIGRATIONS {
        let tx = client.transaction().await?;
        let done = tx.query_opt("SELECT 1 FROM schema_migrations WHERE version = $1", &[&version]).await?;
        if done.is_some() {
            continue;
        }
        tx.batch_execute(sql).await.map_err(|source| DbError::Migration { version, source })?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&version]).await?;
        tx.commit().await?;
        log::info!("database migration {version} applied");
        count += 1;
    }
    Ok(count)
}
