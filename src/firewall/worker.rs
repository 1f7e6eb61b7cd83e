//! The firewall's own threads. Every `nft`/`tc`/`ip` run the daemon makes happens here, never
//! on tokio's blocking pool, so slow upstream HTTP (Daraja, SMS) cannot hold up a login's
//! batch. Two threads, like the store's one, each fed by a bounded channel and running one
//! call at a time:
//! - `changes`: batches (install, update) and the readings taken under the sessions' lock (a
//!   revoke's last reading), in the order the sessions decided them;
//! - `readings`: listings that change nothing (the usage poll, the table check), so a listing
//!   of thousands of counters (50-90 ms with 2,000 devices on x86) never delays a batch.
//!
//! It owns the `Firewall` and decides nothing: what to apply, and in which order, is
//! `sessions`' business (its lock orders the changes). Each run has its deadline
//! (`command.rs`), so neither thread is stuck for long. The threads end once the last handle
//! is dropped; nobody joins them (a batch is atomic in the kernel, whether or not the daemon
//! is still there when it completes).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::Firewall;

type Job = Box<dyn FnOnce(&dyn Firewall) + Send>;

/// Changes that may wait for the `changes` thread at once; more wait in `change`.
const CHANGES_QUEUE: usize = 16;
/// Readings that may wait at once (the usage poll and the table check take one each).
const READINGS_QUEUE: usize = 4;

#[derive(Debug, thiserror::Error)]
#[error("the firewall thread has stopped")]
pub struct WorkerStopped;

/// Async handle to the firewall threads. Cheap to clone.
#[derive(Clone)]
pub struct FirewallWorker {
    changes: mpsc::Sender<Job>,
    readings: mpsc::Sender<Job>,
}

impl FirewallWorker {
    /// Starts the two threads, sharing `firewall`.
    pub fn start(firewall: Arc<dyn Firewall>) -> std::io::Result<FirewallWorker> {
        Ok(FirewallWorker {
            changes: spawn("firewall", firewall.clone(), CHANGES_QUEUE)?,
            readings: spawn("firewall-read", firewall, READINGS_QUEUE)?,
        })
    }

    /// Runs `f` on the `changes` thread, after the changes queued before it.
    pub async fn change<T, F>(&self, f: F) -> Result<T, WorkerStopped>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Firewall) -> T + Send + 'static,
    {
        call(&self.changes, f).await
    }

    /// Runs `f` (a listing: it must change nothing) on the `readings` thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T, WorkerStopped>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Firewall) -> T + Send + 'static,
    {
        call(&self.readings, f).await
    }
}

fn spawn(name: &str, firewall: Arc<dyn Firewall>, depth: usize) -> std::io::Result<mpsc::Sender<Job>> {
    let (jobs, mut inbox) = mpsc::channel::<Job>(depth);
    std::thread::Builder::new().name(name.into()).spawn(move || {
        while let Some(job) = inbox.blocking_recv() {
            job(firewall.as_ref());
        }
    })?;
    Ok(jobs)
}

async fn call<T, F>(jobs: &mpsc::Sender<Job>, f: F) -> Result<T, WorkerStopped>
where
    T: Send + 'static,
    F: FnOnce(&dyn Firewall) -> T + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job: Job = Box::new(move |firewall| {
        let _ = reply.send(f(firewall));
    });
    jobs.send(job).await.map_err(|_| WorkerStopped)?;
    answer.await.map_err(|_| WorkerStopped)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::firewall::{Authorised, FirewallError, Revoked, UsageReading};

    /// A firewall whose listing takes `listing` and whose changes are logged.
    struct Slow {
        listing: Duration,
        changes: Mutex<Vec<usize>>,
    }

    impl Firewall for Slow {
        fn install(&self, _: &[Authorised]) -> Result<(), FirewallError> {
            Ok(())
        }
        fn update(&self, authorise: &[Authorised], _: &[Revoked]) -> Result<(), FirewallError> {
            self.changes.lock().unwrap().push(authorise.len());
            Ok(())
        }
        fn is_installed(&self) -> Result<bool, FirewallError> {
            Ok(true)
        }
        fn read_usage(&self) -> Result<UsageReading, FirewallError> {
            std::thread::sleep(self.listing);
            Ok(UsageReading::default())
        }
    }

    #[test]
    fn a_slow_listing_does_not_hold_up_a_change() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let firewall = Arc::new(Slow { listing: Duration::from_secs(2), changes: Mutex::new(Vec::new()) });
        let worker = FirewallWorker::start(firewall.clone()).unwrap();
        runtime.block_on(async {
            let reading = tokio::spawn({
                let worker = worker.clone();
                async move { worker.read(|fw| fw.read_usage()).await }
            });
            tokio::time::sleep(Duration::from_millis(50)).await; // the listing is under way
            let started = Instant::now();
            for n in 0..3 {
                worker.change(move |fw| fw.update(&vec![test_authorised(); n], &[])).await.unwrap().unwrap();
            }
            assert!(started.elapsed() < Duration::from_millis(500), "changes waited {:?}", started.elapsed());
            assert_eq!(*firewall.changes.lock().unwrap(), [0, 1, 2], "in order");
            reading.await.unwrap().unwrap().unwrap();
        });
    }

    #[test]
    fn calls_after_the_thread_died_are_an_error_not_a_hang() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let worker = FirewallWorker::start(Arc::new(Slow { listing: Duration::ZERO, changes: Mutex::new(Vec::new()) })).unwrap();
        runtime.block_on(async {
            let died = worker.change(|_| -> () { panic!("a bug in a backend") }).await;
            assert!(died.is_err());
            assert!(worker.change(|fw| fw.is_installed()).await.is_err());
            assert!(worker.read(|fw| fw.is_installed()).await.unwrap().unwrap(), "the other thread still serves");
        });
    }

    fn test_authorised() -> Authorised {
        use crate::firewall::{Device, Rate, Traffic};
        Authorised {
            device: Device { ip: [10, 0, 0, 2].into(), mac: crate::netaddr::MacAddr([2, 0, 0, 0, 0, 2]) },
            timeout_secs: 60,
            session_id: 1,
            counted: Traffic::default(),
            reset_counters: true,
            quota: None,
            rate: Rate::default(),
        }
    }
}
