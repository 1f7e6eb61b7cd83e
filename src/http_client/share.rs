//! Bounded concurrency per upstream service (M-Pesa, SMS; the central server gets its own
//! when it comes): each service's blocking calls run on tokio's blocking pool, at most its
//! number of permits at once. No number of slow or dead upstream calls can take more than
//! their service's share, and none of them touches the firewall's or the store's threads
//! (those have their own). The pool is sized to the sum (`BLOCKING_THREADS`), so a call that
//! has a permit never waits for a thread.
//!
//! Owns only the permits: it neither retries nor decides what an error means (callers do).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// M-Pesa calls at once: the payment poller uses at most two (`payments::flow`), so a
/// payer's prompt always has one.
pub const MPESA_CALLS: usize = 3;
/// SMS calls at once (the job worker sends one message at a time).
pub const SMS_CALLS: usize = 1;
/// RADIUS dynamic-authorization exchanges with NAS devices at once (the job worker's
/// Disconnect-Requests, one at a time, and CoA-Requests after top-ups).
pub const NAS_CALLS: usize = 2;
/// Exchanges with the central server at once (`sync`: one at a time, often a long-poll).
pub const SYNC_CALLS: usize = 1;
/// Web admin password checks at once (a slow hash, ~0.5 s on a router: `webadmin::password`).
/// Not upstream, but the same rule: CPU-heavy work within its share, off the runtime thread.
pub const ADMIN_HASHES: usize = 1;
/// Threads the daemon's blocking pool needs: every share, plus one for short work (joining
/// the store thread at exit).
pub const BLOCKING_THREADS: usize = MPESA_CALLS + SMS_CALLS + NAS_CALLS + SYNC_CALLS + ADMIN_HASHES + 1;

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("{service} is busy: {permits} calls already under way, none finished within {waited:?}")]
    Busy { service: &'static str, permits: usize, waited: Duration },
    #[error("the {service} call stopped before it answered")]
    Stopped { service: &'static str },
}

/// One service's share. Cheap to clone (clones share the permits).
#[derive(Clone)]
pub struct Share {
    service: &'static str,
    permits: usize,
    semaphore: Arc<Semaphore>,
}

impl Share {
    pub fn new(service: &'static str, permits: usize) -> Share {
        Share { service, permits, semaphore: Arc::new(Semaphore::new(permits)) }
    }

    /// Runs the blocking `f` on the blocking pool once a permit is free, waiting for one at
    /// most `wait` (`None`: as long as it takes). The permit goes with `f` and is released
    /// when `f` returns, even if the caller stopped waiting (shutdown, a dropped request):
    /// the share bounds the threads really in use, not the callers still interested.
    pub async fn call<T, F>(&self, wait: Option<Duration>, f: F) -> Result<T, ShareError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let stopped = ShareError::Stopped { service: self.service };
        let acquire = self.semaphore.clone().acquire_owned();
        let permit = match wait {
            None => acquire.await,
            Some(wait) => match tokio::time::timeout(wait, acquire).await {
                Ok(permit) => permit,
                Err(_) => return Err(ShareError::Busy { service: self.service, permits: self.permits, waited: wait }),
            },
        }
        .map_err(|_| ShareError::Stopped { service: self.service })?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|_| stopped)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().max_blocking_threads(BLOCKING_THREADS).build().unwrap()
    }

    #[test]
    fn a_full_share_answers_busy_after_the_wait_not_after_the_calls() {
        runtime().block_on(async {
            let share = Share::new("M-Pesa", 2);
            let slow: Vec<_> = (0..2)
                .map(|_| {
                    let share = share.clone();
                    tokio::spawn(async move { share.call(None, || std::thread::sleep(Duration::from_secs(2))).await })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(100)).await;
            let started = Instant::now();
            let busy = share.call(Some(Duration::from_millis(200)), || ()).await;
            assert!(matches!(busy, Err(ShareError::Busy { service: "M-Pesa", permits: 2, .. })), "{busy:?}");
            assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
            // Without a bound it waits for a permit, and runs.
            assert_eq!(share.call(None, || 7).await.unwrap(), 7);
            for task in slow {
                task.await.unwrap().unwrap();
            }
        });
    }

    #[test]
    fn a_caller_that_gives_up_keeps_the_permit_until_the_call_returns() {
        runtime().block_on(async {
            let share = Share::new("SMS", 1);
            let gave_up = tokio::time::timeout(
                Duration::from_millis(50),
                share.call(None, || std::thread::sleep(Duration::from_millis(800))),
            )
            .await;
            assert!(gave_up.is_err());
            // The abandoned call still runs on its thread: the share is still full.
            assert!(share.call(Some(Duration::from_millis(100)), || ()).await.is_err());
            assert!(share.call(Some(Duration::from_secs(3)), || ()).await.is_ok());
        });
    }

    #[test]
    fn shares_do_not_take_from_each_other() {
        runtime().block_on(async {
            let mpesa = Share::new("M-Pesa", MPESA_CALLS);
            let sms = Share::new("SMS", SMS_CALLS);
            let hogs: Vec<_> = (0..MPESA_CALLS)
                .map(|_| {
                    let mpesa = mpesa.clone();
                    tokio::spawn(async move { mpesa.call(None, || std::thread::sleep(Duration::from_secs(1))).await })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(100)).await;
            let started = Instant::now();
            sms.call(Some(Duration::from_millis(100)), || ()).await.unwrap();
            assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
            for hog in hogs {
                hog.await.unwrap().unwrap();
            }
        });
    }
}
