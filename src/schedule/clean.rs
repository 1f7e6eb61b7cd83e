//! The clean-up: keeps the database on flash small. Deletes log rows past their use, folds
//! per-checkpoint usage rows older than `usage_detail_hours` into hourly rows, and deletes
//! hourly rows older than `usage_keep_days`. Payments, accounts, sessions, the
//! disconnection audit and the sync outbox are kept.

use super::{Retention, ScheduleError};
use crate::sessions::Sessions;
use crate::store;

const DAY: i64 = 86_400;

pub async fn run(sessions: &Sessions, retention: Retention) -> Result<(), ScheduleError> {
    let now = sessions.now();
    let detail_before = now - retention.usage_detail.as_secs() as i64;
    let keep_after = now - retention.usage_keep.as_secs() as i64;
    let (deleted, folded) = sessions
        .store()
        .call(move |conn| {
            let tx = conn.transaction()?;
            let mut deleted = tx.execute("DELETE FROM auth_log WHERE at < ?1", [now - 30 * DAY])?;
            deleted += tx.execute("DELETE FROM failed_jobs WHERE failed_at < ?1", [now - 30 * DAY])?;
            deleted += crate::store::sync::forget_applied(&tx, now - 30 * DAY)?;
            let folded = store::usage::compact(&tx, detail_before, keep_after)?;
            tx.commit()?;
            Ok((deleted, folded))
        })
        .await?;
    if deleted > 0 || folded > 0 {
        log::info!("cleaned {deleted} old log rows; folded {folded} usage rows into hourly ones");
    }
    Ok(())
}
