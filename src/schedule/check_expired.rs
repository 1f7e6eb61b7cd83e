//! The minute's expiry check: records sessions whose time is up (the per-second check
//! normally has already) and wipes plaintext passwords nobody collected within a day.

use super::ScheduleError;
use crate::sessions::Sessions;
use crate::store::accounts;

/// Plaintext passwords older than this are wiped even if never delivered.
const CREDENTIALS_KEPT_SECS: i64 = 24 * 3600;

pub async fn run(sessions: &Sessions) -> Result<(), ScheduleError> {
    sessions.expire_due().await?;
    let now = sessions.now();
    let wiped = sessions.store().call(move |conn| accounts::expire_credentials(conn, now - CREDENTIALS_KEPT_SECS, now)).await?;
    if wiped > 0 {
        log::info!("wiped {wiped} undelivered passwords older than a day");
    }
    Ok(())
}
