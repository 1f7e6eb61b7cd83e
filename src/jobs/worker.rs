//! The job worker: takes the most urgent due job, runs its handler, records the outcome
//! (done, retry later with backoff, or failed for good), and sleeps until the next job is
//! due or someone enqueues one (`Jobs::notify`). One job at a time: a router has one or
//! two cores, and handlers mostly wait on the network.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::handoff::Handoff;
use super::queue::{self, Claimed, Failed};
use super::JobContext;
use crate::store::Store;

/// Longest sleep between looks at the queue (jobs enqueued by the CLI are seen this late).
const MAX_IDLE: Duration = Duration::from_secs(5);

/// Enqueuers call `notify` after committing so the worker starts at once.
#[derive(Clone, Default)]
pub struct Jobs {
    wake: Arc<Notify>,
    /// New credentials for the payment page (see `handoff`).
    handoff: Handoff,
}

impl Jobs {
    pub fn new() -> Jobs {
        Jobs::default()
    }

    pub fn notify(&self) {
        self.wake.notify_one();
    }

    pub fn handoff(&self) -> &Handoff {
        &self.handoff
    }
}

/// Runs jobs until `stopped`; a job in hand is finished first.
pub async fn run(ctx: JobContext, mut stopped: watch::Receiver<bool>) {
    let jobs = ctx.jobs.clone();
    let store = ctx.sessions.store().clone();
    let now = ctx.sessions.now();
    match store.call(move |conn| queue::release_claimed(conn, now)).await {
        Ok(0) => {}
        Ok(n) => log::info!("{n} jobs left unfinished by the previous run are due again"),
        Err(e) => log::error!("job queue: {}", crate::error_chain(&e)),
    }
    loop {
        loop {
            if *stopped.borrow() {
                return;
            }
            let now = ctx.sessions.now();
            match store.call(move |conn| queue::claim_next(conn, now)).await {
                Ok(Some(job)) => execute(&ctx, &store, job).await,
                Ok(None) => break,
                Err(e) => {
                    log::error!("job queue: {}", crate::error_chain(&e));
                    break;
                }
            }
        }
        let now = ctx.sessions.now();
        let idle = match store.call(|conn| queue::next_due(conn)).await {
            Ok(Some(at)) => Duration::from_secs((at - now).clamp(0, MAX_IDLE.as_secs() as i64) as u64),
            _ => MAX_IDLE,
        };
        tokio::select! {
            _ = tokio::time::sleep(idle) => {}
            _ = jobs.wake.notified() => {}
            _ = stopped.changed() => return,
        }
    }
}

async fn execute(ctx: &JobContext, store: &Store, claimed: Claimed) {
    let Claimed { lease, kind: name, job } = claimed;
    let outcome = match job {
        Ok(job) => job.apply(ctx).await,
        Err(unreadable) => Err(unreadable),
    };
    let now = ctx.sessions.now();
    let id = lease.id;
    let recorded = match outcome {
        Ok(()) => store.call(move |conn| queue::complete(conn, id)).await.map(|_| None),
        Err(error) => {
            let permanent = error.is_permanent();
            let message = crate::error_chain(&error);
            let jitter = random_fraction();
            let text = message.clone();
            store
                .call(move |conn| queue::fail(conn, lease, &text, permanent, jitter, now))
                .await
                .map(|failed| Some((failed, message)))
        }
    };
    match recorded {
        Ok(None) => log::debug!("job {id} {name} done"),
        Ok(Some((Failed::RetryAt(at), why))) => log::warn!("job {id} {name} failed, retrying in {} s: {why}", at - now),
        Ok(Some((Failed::GaveUp, why))) => log::error!("job {id} {name} failed for good (see `hotspotd jobs`): {why}"),
        Err(e) => log::error!("job {id} {name}: cannot record the outcome: {}", crate::error_chain(&e)),
    }
}

/// A value in [0, 1) to spread retries; 0.5 (no jitter) if the kernel gives no randomness.
fn random_fraction() -> f64 {
    let mut byte = [0u8; 1];
    match crate::credentials::random_bytes(&mut byte) {
        Ok(()) => byte[0] as f64 / 256.0,
        Err(_) => 0.5,
    }
}
