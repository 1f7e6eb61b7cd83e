//! `CleanOldRows`: keeps the database on flash small. Deletes log rows past their use, folds
//! per-checkpoint usage rows older than `usage_detail_hours` into hourly rows, and deletes
//! hourly rows older than `usage_keep_days`. Payments, accounts, sessions and the
//! disconnection audit are kept.

use super::{retry, JobContext};
use crate::jobs::JobError;
use crate::store;

const DAY: i64 = 86_400;

pub async fn run(ctx: &JobContext) -> Result<(), JobError> {
    let now = ctx.sessions.now();
    let detail_before = now - ctx.usage_detail.as_secs() as i64;
    let keep_after = now - ctx.usage_keep.as_secs() as i64;
    let (deleted, folded) = ctx
        .sessions
        .store()
        .call(move |conn| {
            let tx = conn.transaction()?;
            let mut deleted = tx.execute("DELETE FROM auth_log WHERE at < ?1", [now - 30 * DAY])?;
            deleted += tx.execute("DELETE FROM failed_jobs WHERE failed_at < ?1", [now - 30 * DAY])?;
            let folded = store::usage::compact(&tx, detail_before, keep_after)?;
            tx.commit()?;
            Ok((deleted, folded))
        })
        .await
        .map_err(retry)?;
    if deleted > 0 || folded > 0 {
        log::info!("cleaned {deleted} old log rows; folded {folded} usage rows into hourly ones");
    }
    Ok(())
}
