//! `CheckExpiredSessions` (every minute): records sessions whose time is up (the per-second
//! check normally has already) and wipes plaintext passwords nobody collected within a day.

use super::{retry, JobContext};
use crate::jobs::JobError;
use crate::store::accounts;

/// Plaintext passwords older than this are wiped even if never delivered.
const CREDENTIALS_KEPT_SECS: i64 = 24 * 3600;

pub async fn run(ctx: &JobContext) -> Result<(), JobError> {
    ctx.sessions.expire_due().await.map_err(|e| JobError::Retry(crate::error_chain(&e)))?;
    let now = ctx.sessions.now();
    let wiped = ctx
        .sessions
        .store()
        .call(move |conn| accounts::expire_credentials(conn, now - CREDENTIALS_KEPT_SECS, now))
        .await
        .map_err(retry)?;
    if wiped > 0 {
        log::info!("wiped {wiped} undelivered passwords older than a day");
    }
    Ok(())
}
