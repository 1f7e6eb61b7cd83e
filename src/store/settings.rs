//! Router-wide key/value settings (`settings` table): small facts the daemon keeps, such as
//! when NTP last confirmed the clock.

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;

/// Unix time of the last NTP synchronisation the router reported (`hotspotd clock synced`).
pub const CLOCK_SYNCED_AT: &str = "clock_synced_at";
/// Boot id of the boot in which NTP last synchronised the clock.
pub const CLOCK_SYNCED_BOOT: &str = "clock_synced_boot";
/// The daemon's timeline at its last checkpoint (`clock::Checkpoint`, `boot_id boot_ms at`).
pub const CLOCK_CHECKPOINT: &str = "clock_checkpoint";
/// The web admin's password, as `webadmin::password` stores it (`pbkdf2-sha256$…`).
pub const ADMIN_PASSWORD: &str = "admin_password";
/// The latest time the router has seen while its clock was trusted.
pub const LAST_GOOD_TIME: &str = "last_good_time";

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}
