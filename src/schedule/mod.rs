//! Recurring work, run by the daemon on a timer: the minute's expiry check
//! (`check_expired`) and the database clean-up (`clean`). Not durable jobs: the schedule runs
//! them again anyway, so a queue row per run would buy no durability and would cost flash
//! (three transactions per run: enqueue, claim, delete — at once a minute, more than the
//! usage checkpoint itself, scripts/bench-flash.sh). A run that fails is logged and happens
//! again at the next interval. Work that must survive a crash (payments, SMS, disconnects)
//! is in the durable queue (`jobs`).

mod check_expired;
mod clean;

use std::time::Duration;

use tokio::sync::watch;

use crate::sessions::{SessionError, Sessions};
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub check_expired: Duration,
    pub clean: Duration,
}

/// What the recurring work needs to know beyond the sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Usage rows older than this are folded into hourly rows.
    pub usage_detail: Duration,
    /// Hourly usage rows older than this are deleted.
    pub usage_keep: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// Runs the recurring work at its intervals until `stopped`.
pub async fn run(sessions: Sessions, retention: Retention, intervals: Intervals, mut stopped: watch::Receiver<bool>) {
    let mut check = tokio::time::interval(intervals.check_expired);
    let mut clean = tokio::time::interval(intervals.clean);
    for timer in [&mut check, &mut clean] {
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    }
    loop {
        let (name, result) = tokio::select! {
            _ = check.tick() => ("expiry check", check_expired::run(&sessions).await),
            _ = clean.tick() => ("clean-up", clean::run(&sessions, retention).await),
            _ = stopped.changed() => return,
        };
        match result {
            Ok(()) => log::debug!("{name} done"),
            Err(e) => log::warn!("{name} failed, runs again at its next interval: {}", crate::error_chain(&e)),
        }
    }
}
