//! Usage accounting: what each device sent and received, from the kernel's per-session
//! counters, kept in memory (`ledger`) and checkpointed to SQLite in one transaction per
//! interval, so flash sees one small batch a minute rather than a write per packet count.
//!
//! The usage task (started by the daemon) does two things:
//! - every `poll` seconds, one reading of the kernel's counters (`nft -j`): live figures for
//!   the portal, and accounts whose cap the kernel reached are ended (reason `quota`);
//! - every `checkpoint` seconds, and when the daemon stops, the new totals and deltas go to
//!   the database with the clock checkpoint. A crash loses at most one interval of counts
//!   (none if the kernel table survives it: the next start reads the old counters).
//!
//! It sits beside `Sessions` (and reaches its ledger directly): the ledger is the one place
//! live usage is kept, and `Sessions` the one writer of usage to the database.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{SessionError, Sessions};
use crate::clock::Timeline;
use crate::firewall::UsageReading;
use crate::store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    /// Between kernel readings.
    pub poll: Duration,
    /// Between checkpoints to the database.
    pub checkpoint: Duration,
}

/// How long the last reading at a stop may take: the checkpoint after it matters more, and the
/// daemon must be gone within procd's 10 s.
const LAST_READING_WAIT: Duration = Duration::from_secs(2);

/// The usage task; returns once `stopped` turns true, after a last reading (if the kernel
/// answers within `LAST_READING_WAIT`) and checkpoint.
pub async fn run(sessions: Sessions, timeline: Arc<Timeline>, boot_id: Arc<str>, intervals: Intervals, mut stopped: watch::Receiver<bool>) {
    let mut poll = tokio::time::interval(intervals.poll);
    let mut checkpoint = tokio::time::interval(intervals.checkpoint);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    checkpoint.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    checkpoint.tick().await; // the first tick is immediate; the restore has just recorded everything
    loop {
        tokio::select! {
            _ = poll.tick() => {
                // A stop does not wait for a reading under way (a listing may hang until its deadline).
                tokio::select! {
                    polled = poll_once(&sessions) => if let Err(e) = polled {
                        log::error!("usage reading failed: {}", crate::error_chain(&e));
                    },
                    _ = stopped.changed() => break,
                }
            }
            _ = checkpoint.tick() => {
                if let Err(e) = save(&sessions, &timeline, &boot_id).await {
                    log::error!("usage checkpoint failed: {}", crate::error_chain(&e));
                }
            }
            _ = stopped.changed() => break,
        }
    }
    // A last reading if the kernel answers in time, then the checkpoint in any case.
    match tokio::time::timeout(LAST_READING_WAIT, poll_once(&sessions)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::warn!("last usage reading failed: {}", crate::error_chain(&e)),
        Err(_) => log::warn!("no last usage reading within {LAST_READING_WAIT:?}; saving what the previous one counted"),
    }
    match save(&sessions, &timeline, &boot_id).await {
        Ok(rows) => log::info!("usage saved for {rows} sessions"),
        Err(e) => log::error!("last usage checkpoint failed: {}", crate::error_chain(&e)),
    }
}

impl Sessions {
    /// Takes a reading in: live figures for active sessions, final totals recorded for
    /// sessions that have ended. Returns the accounts the kernel has cut at their cap.
    pub(super) async fn settle(&self, reading: &UsageReading) -> Result<Vec<i64>, SessionError> {
        let active = self.store.call(|conn| store::usage::active_sessions(conn)).await?;
        let now = self.now();
        let observed = self.ledger.with(|ledger| {
            let observed = ledger.observe(reading, &active);
            ledger.mark_moved(&observed.moved, now);
            observed
        });
        self.record(observed.ended).await?;
        Ok(observed.exhausted_accounts)
    }
}

/// One kernel reading and what follows from it. Logs its cost at debug level
/// (`scripts/bench-poll.sh` reads that line).
pub async fn poll_once(sessions: &Sessions) -> Result<(), SessionError> {
    let started = std::time::Instant::now();
    let reading = sessions.read_usage().await?;
    let listed = started.elapsed();
    let exhausted = sessions.settle(&reading).await?;
    log::debug!(
        "usage poll: {} devices, {} quotas; kernel listing {} ms, total {} ms",
        reading.devices.len(),
        reading.quotas.len(),
        tenths_ms(listed),
        tenths_ms(started.elapsed())
    );
    if exhausted.is_empty() {
        return Ok(());
    }
    // Ending them records their final totals (read before their counters go), so the audit
    // rows are complete when the portal tells them why.
    for account_id in exhausted {
        sessions.end_exhausted(account_id).await?;
    }
    Ok(())
}

/// A duration in milliseconds to the tenth (`12.3`), for the log: integer arithmetic, as
/// core's float formatting costs 8 KB on mips.
fn tenths_ms(d: std::time::Duration) -> String {
    let tenths = (d.as_micros() + 50) / 100;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Writes what the database does not hold yet, with the clock checkpoint, in one
/// transaction. Returns how many sessions it wrote.
pub async fn save(sessions: &Sessions, timeline: &Arc<Timeline>, boot_id: &Arc<str>) -> Result<usize, SessionError> {
    let rows = sessions.ledger.with(|ledger| ledger.unsaved());
    let now = sessions.now();
    let checkpoint = timeline.checkpoint(boot_id);
    let boot_id = boot_id.clone();
    let nas_reported = sessions.take_nas_usage_reported();
    let written = sessions
        .store
        .call(move |conn| {
            // Nobody's time running and nothing counted: nothing to keep, no flash write.
            if rows.is_empty() && !store::usage::any_clock_running(conn, now)? {
                return Ok(Vec::new());
            }
            let tx = conn.transaction()?;
            let written = store::usage::checkpoint(&tx, &rows, now)?;
            if written.is_empty() && nas_reported {
                store::usage::report(&tx, now)?;
            }
            let trusted = store::timeline::trust(&tx, &boot_id, checkpoint.at)?.is_trusted();
            store::timeline::save_checkpoint(&tx, &checkpoint, trusted)?;
            tx.commit()?;
            Ok(written)
        })
        .await?;
    sessions.ledger.with(|ledger| ledger.saved(&written));
    Ok(written.len())
}
