//! Recurring work: enqueues `CheckExpiredSessions`, `SyncRadiusAccounting` and
//! `CleanOldRows` at their configured intervals. A job still pending is not enqueued twice
//! (unique keys), so a slow worker never piles them up.

use std::time::Duration;

use tokio::sync::watch;

use super::worker::Jobs;
use super::{queue, JobKind};
use crate::clock::Clock;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub check_expired: Duration,
    pub sync_accounting: Duration,
    pub clean: Duration,
}

pub async fn run<C: Clock + ?Sized>(
    store: Store,
    jobs: Jobs,
    clock: std::sync::Arc<C>,
    intervals: Intervals,
    mut stopped: watch::Receiver<bool>,
) {
    let mut check = tokio::time::interval(intervals.check_expired);
    let mut sync = tokio::time::interval(intervals.sync_accounting);
    let mut clean = tokio::time::interval(intervals.clean);
    for timer in [&mut check, &mut sync, &mut clean] {
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    }
    loop {
        let kind = tokio::select! {
            _ = check.tick() => JobKind::CheckExpiredSessions,
            _ = sync.tick() => JobKind::SyncRadiusAccounting,
            _ = clean.tick() => JobKind::CleanOldRows,
            _ = stopped.changed() => return,
        };
        let now = clock.now();
        let name = kind.name();
        match store.call(move |conn| queue::enqueue(conn, &kind, now)).await {
            Ok(_) => jobs.notify(),
            Err(e) => log::error!("cannot schedule {name}: {}", crate::error_chain(&e)),
        }
    }
}
