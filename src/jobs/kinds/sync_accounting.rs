//! `SyncRadiusAccounting` (every five minutes): will send sessions and usage to the central
//! server. No central server is configured in this version, so it only records that in the
//! `settings` table (`hotspotd status` shows it); it sends nothing and claims nothing.

use super::{retry, JobContext};
use crate::jobs::JobError;
use crate::store::settings;

pub async fn run(ctx: &JobContext) -> Result<(), JobError> {
    let now = ctx.sessions.now();
    ctx.sessions
        .store()
        .call(move |conn| settings::set(conn, settings::SYNC_STATUS, &format!("not configured (checked at {now}): nothing sent")))
        .await
        .map_err(retry)
}
