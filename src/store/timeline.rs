//! Keeping stored deadlines on the daemon's timeline (see `clock::timeline`): when the wall
//! clock jumps, every deadline that is still running moves with it, in the same transaction
//! that records the new checkpoint, so remaining time is unchanged and a crash can never
//! apply a shift twice.

use rusqlite::{params, Connection};

use super::{settings, StoreError};
use crate::clock::{Checkpoint, Trust};

/// Moves every running deadline by `secs` and stores `checkpoint` (one transaction).
pub fn shift(conn: &mut Connection, secs: i64, checkpoint: &Checkpoint) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    if secs != 0 {
        tx.execute(
            "UPDATE hotspot_users SET subscription_starts_at = subscription_starts_at + ?1,
                 subscription_expires_at = subscription_expires_at + ?1
             WHERE status = 'active' AND subscription_expires_at IS NOT NULL",
            [secs],
        )?;
        tx.execute(
            "UPDATE sessions SET started_at = started_at + ?1, expires_at = expires_at + ?1 WHERE status = 'active'",
            [secs],
        )?;
        // Retries keep their backoff; a pending payment keeps its time to be answered.
        tx.execute("UPDATE jobs SET run_at = run_at + ?1", [secs])?;
        tx.execute(
            "UPDATE payments SET created_at = created_at + ?1, updated_at = updated_at + ?1 WHERE status = 'pending'",
            [secs],
        )?;
    }
    settings::set(&tx, settings::CLOCK_CHECKPOINT, &checkpoint.encode())?;
    tx.commit()?;
    Ok(())
}

/// The last stored checkpoint, if any (garbage reads as none).
pub fn last_checkpoint(conn: &Connection) -> Result<Option<Checkpoint>, StoreError> {
    Ok(settings::get(conn, settings::CLOCK_CHECKPOINT)?.as_deref().and_then(Checkpoint::decode))
}

/// Records a checkpoint (with a usage checkpoint) and, if the clock is trusted, that `now`
/// was a good time.
pub fn save_checkpoint(conn: &Connection, checkpoint: &Checkpoint, trusted: bool) -> Result<(), StoreError> {
    settings::set(conn, settings::CLOCK_CHECKPOINT, &checkpoint.encode())?;
    if trusted {
        raise_last_good(conn, checkpoint.at)?;
    }
    Ok(())
}

/// Records that NTP has set the clock now, in this boot (`hotspotd clock synced`).
pub fn record_sync(conn: &Connection, boot_id: &str, now: i64) -> Result<(), StoreError> {
    settings::set(conn, settings::CLOCK_SYNCED_AT, &now.to_string())?;
    settings::set(conn, settings::CLOCK_SYNCED_BOOT, boot_id)?;
    crate::clock::note_trusted(true);
    raise_last_good(conn, now)
}

/// The last good time becomes `now` unless it is later already.
fn raise_last_good(conn: &Connection, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
        params![settings::LAST_GOOD_TIME, now.to_string()],
    )?;
    Ok(())
}

/// Whether the wall clock can be believed now (`clock::timeline::trust` over what is stored).
pub fn trust(conn: &Connection, boot_id: &str, now: i64) -> Result<Trust, StoreError> {
    let synced_boot = settings::get(conn, settings::CLOCK_SYNCED_BOOT)?;
    let synced_at = settings::get(conn, settings::CLOCK_SYNCED_AT)?.and_then(|v| v.parse().ok());
    let synced_this_boot = synced_at.filter(|_| synced_boot.as_deref() == Some(boot_id));
    let last_good = settings::get(conn, settings::LAST_GOOD_TIME)?.and_then(|v| v.parse().ok());
    let trust = crate::clock::timeline::trust(synced_this_boot, last_good, now);
    crate::clock::note_trusted(trust.is_trusted());
    Ok(trust)
}
