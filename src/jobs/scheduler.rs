//! Recurring work: runs `CheckExpiredSessions`, `SyncRadiusAccounting` and `CleanOldRows` at
//! their configured intervals, here in the daemon, without rows in the job queue. The
//! schedule re-runs them anyway, so a queue row per run would buy no durability, and it
//! would cost flash: three transactions per run (enqueue, claim, delete), which at the
//! default once a minute was more than the usage checkpoint itself (scripts/bench-flash.sh).
//! A run that fails is logged and happens again at the next interval. Work that must
//! survive a crash (payments, SMS, disconnects) stays in the durable queue.

use std::time::Duration;

use tokio::sync::watch;

use super::kinds::{self, JobContext};
use super::worker::Jobs;
use super::JobKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub check_expired: Duration,
    pub sync_accounting: Duration,
    pub clean: Duration,
}

pub async fn run(ctx: JobContext, jobs: Jobs, intervals: Intervals, mut stopped: watch::Receiver<bool>) {
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
        match kinds::run(&ctx, &jobs, &kind).await {
            Ok(()) => log::debug!("{} done", kind.name()),
            Err(e) => log::warn!("{} failed, runs again at its next interval: {e}", kind.name()),
        }
    }
}
