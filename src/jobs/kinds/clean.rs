//! `CleanOldRows`: deletes log rows past their use so the database on flash stays small.
//! Payments, accounts and the disconnection audit are kept.

use super::{retry, JobContext};
use crate::jobs::JobError;

const DAY: i64 = 86_400;

pub async fn run(ctx: &JobContext) -> Result<(), JobError> {
    let now = ctx.sessions.now();
    let deleted = ctx
        .sessions
        .store()
        .call(move |conn| {
            let mut n = conn.execute("DELETE FROM auth_log WHERE at < ?1", [now - 30 * DAY])?;
            n += conn.execute("DELETE FROM failed_jobs WHERE failed_at < ?1", [now - 30 * DAY])?;
            n += conn.execute("DELETE FROM data_usage_logs WHERE at < ?1", [now - 90 * DAY])?;
            Ok(n)
        })
        .await
        .map_err(retry)?;
    if deleted > 0 {
        log::info!("cleaned {deleted} old log rows");
    }
    Ok(())
}
