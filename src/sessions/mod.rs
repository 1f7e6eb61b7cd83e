//! Device sessions: login, logout, expiry, the data cap, and restoring the firewall at start.
//! The one place that changes both the database and the firewall, in that order: a crash
//! between the two leaves the database right, and the next start rebuilds the table from it.
//!
//! `records` holds the database transactions (shared with the CLI); this file runs them on
//! the store thread and the firewall calls on the firewall's threads, and turns what the database
//! holds into what the kernel is told, adding the live usage only memory knows (`usage`).

pub mod records;

use std::sync::Arc;

pub use records::{Client, ClientStatus, Credential, DeviceAccess, LoginRecord};

use crate::access::Refusal;
use crate::clock::{Checkpoint, Clock, Timeline};
use crate::firewall::{Authorised, Firewall, FirewallError, FirewallWorker, Quota, Revoked, UsageReading};
use crate::store::sessions::EndMethod;
use crate::store::{self, Store, StoreError};
use crate::usage::ledger::Ended;
use crate::usage::Usage;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("login refused: {0:?}")]
    Refused(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot update the firewall")]
    Firewall(#[from] FirewallError),
    #[error("the firewall task stopped")]
    FirewallTask,
}

/// Shared by the portal and the background checks. Cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    store: Store,
    firewall: FirewallWorker,
    /// Serialises firewall changes so batches apply in the order they were decided, and a
    /// revoke's last reading and its batch happen with nothing in between. Async: it is held
    /// across the database call that records that reading.
    firewall_lock: Arc<tokio::sync::Mutex<()>>,
    clock: Arc<dyn Clock>,
    usage: Usage,
}

impl Sessions {
    pub fn new(store: Store, firewall: FirewallWorker, clock: Arc<dyn Clock>, usage: Usage) -> Sessions {
        Sessions { store, firewall, firewall_lock: Arc::new(tokio::sync::Mutex::new(())), clock, usage }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn usage(&self) -> &Usage {
        &self.usage
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Runs a firewall call on the firewall's change thread, after those queued before it
    /// (the caller holds the lock if it must).
    async fn blocking<T, F>(&self, f: F) -> Result<T, SessionError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Firewall) -> Result<T, FirewallError> + Send + 'static,
    {
        self.firewall.change(f).await.map_err(|_| SessionError::FirewallTask)?.map_err(SessionError::from)
    }

    /// Runs a listing on the firewall's reading thread: it waits for no change, and no
    /// change waits for it.
    async fn reading<T, F>(&self, f: F) -> Result<T, SessionError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Firewall) -> Result<T, FirewallError> + Send + 'static,
    {
        self.firewall.read(f).await.map_err(|_| SessionError::FirewallTask)?.map_err(SessionError::from)
    }

    /// Runs a firewall call on the change thread, one at a time.
    async fn with_firewall<T, F>(&self, f: F) -> Result<T, SessionError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Firewall) -> Result<T, FirewallError> + Send + 'static,
    {
        let _guard = self.firewall_lock.lock().await;
        self.blocking(f).await
    }

    /// What the kernel is told for `access`: the recorded figures plus what was counted
    /// since the last checkpoint. Starts tracking the session's usage.
    fn authorised(&self, access: &[DeviceAccess], now: i64) -> Vec<Authorised> {
        self.usage.with(|ledger| {
            access
                .iter()
                .map(|a| {
                    ledger.track(a.session_id, a.account_id, a.recorded);
                    Authorised {
                        device: a.device,
                        timeout_secs: (a.expires_at - now).max(1) as u64,
                        session_id: a.session_id,
                        counted: ledger.live(a.session_id).unwrap_or(a.recorded),
                        reset_counters: a.reset_counters,
                        quota: a.cap_bytes.map(|limit_bytes| Quota {
                            account_id: a.account_id,
                            limit_bytes,
                            used_bytes: a.account_used.saturating_add(ledger.unsaved_of_account(a.account_id)),
                        }),
                        rate: a.rate,
                    }
                })
                .collect()
        })
    }

    /// Applies one change. Devices to revoke first have their counters read and the totals
    /// of ended sessions recorded, so not a byte they moved is lost when their counters go;
    /// a session moving to another address takes its count along. If nft refuses the change,
    /// the kernel no longer holds what the database says (someone edited the table by hand):
    /// rebuild the whole table from the database.
    async fn apply(&self, mut authorise: Vec<Authorised>, revoke: Vec<Revoked>) -> Result<(), SessionError> {
        let result = {
            let _guard = self.firewall_lock.lock().await;
            if !revoke.is_empty() {
                if let Err(e) = self.absorb(&revoke).await {
                    log::warn!("could not read the last usage of the devices going offline: {}", crate::error_chain(&e));
                }
                self.usage.with(|ledger| {
                    for a in authorise.iter_mut().filter(|a| a.reset_counters) {
                        a.counted = a.counted.max(ledger.live(a.session_id).unwrap_or_default());
                    }
                });
            }
            self.blocking(move |fw| fw.update(&authorise, &revoke)).await
        };
        match result {
            Err(SessionError::Firewall(FirewallError::Rejected { stderr })) => {
                log::warn!("nft refused a change ({stderr}); rebuilding the table from the database");
                Box::pin(self.restore()).await.map(drop)
            }
            other => other,
        }
    }

    /// Reads the counters of devices about to be revoked into the ledger, and records the
    /// final totals of those whose sessions have ended. The caller holds the firewall lock.
    async fn absorb(&self, revoke: &[Revoked]) -> Result<(), SessionError> {
        let reading = self.blocking(|fw| fw.read_usage()).await?;
        let ended = self.usage.with(|ledger| {
            let mut ended = Vec::with_capacity(revoke.len());
            for r in revoke {
                if let Some(&kernel) = reading.devices.get(&r.device.ip) {
                    ledger.raise(r.session_id, r.account_id, kernel);
                }
                ended.extend(ledger.live(r.session_id).map(|total| Ended { session_id: r.session_id, total }));
            }
            ended
        });
        self.record(ended).await
    }

    /// Records final totals of ended sessions (active ones are skipped) and stops tracking them.
    async fn record(&self, ended: Vec<Ended>) -> Result<(), SessionError> {
        if ended.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let recorded = self
            .store
            .call(move |conn| {
                let tx = conn.transaction()?;
                let recorded = store::usage::record_ended(&tx, &ended, now)?;
                tx.commit()?;
                Ok(recorded)
            })
            .await?;
        self.usage.with(|ledger| ledger.settled(&recorded));
        Ok(())
    }

    /// Logs a device in: records the session, then opens the firewall for it.
    pub async fn login(&self, client: Client, credential: Credential) -> Result<LoginRecord, SessionError> {
        // `now` is read on the database thread, in order with any clock shift (see `follow_wall_clock`).
        let clock = self.clock.clone();
        let (record, now) = self
            .store
            .call(move |conn| {
                let now = clock.now();
                Ok((records::login(conn, client, &credential, now)?, now))
            })
            .await?;
        let record = record.map_err(SessionError::Refused)?;
        let authorise = self.authorised(&[record.access], now);
        if let Err(e) = self.apply(authorise, record.revoke.clone()).await {
            // Do not leave a session the kernel does not know about: end it and say so.
            let mac = client.mac;
            let _ = self
                .store
                .call(move |conn| records::end_device(conn, mac, EndMethod::Firewall, "firewall_error", now))
                .await;
            return Err(e);
        }
        log::info!(
            "login: {} ({}) as {} until {} ({} s)",
            client.ip,
            client.mac,
            record.username,
            record.expires_at,
            record.remaining.secs
        );
        Ok(record)
    }

    /// Ends this device's session (the account's entitlement stays).
    pub async fn logout(&self, client: Client) -> Result<bool, SessionError> {
        let now = self.now();
        let mac = client.mac;
        let revoke = self
            .store
            .call(move |conn| records::end_device(conn, mac, EndMethod::Portal, "logout", now))
            .await?;
        let ended = !revoke.is_empty();
        self.apply(Vec::new(), revoke).await?;
        if ended {
            log::info!("logout: {} ({})", client.ip, client.mac);
        }
        Ok(ended)
    }

    /// The device's session and what is left of its account, with live usage.
    pub async fn status(&self, client: Client) -> Result<Option<ClientStatus>, SessionError> {
        let now = self.now();
        let mut status = self.store.call(move |conn| records::client_status(conn, client, now)).await?;
        if let Some(s) = status.as_mut() {
            let (live, unsaved) = self
                .usage
                .with(|ledger| (ledger.live(s.session.id), ledger.unsaved_of_account(s.session.user_id)));
            if let Some(live) = live {
                s.session.bytes_in = s.session.bytes_in.max(live.up.min(i64::MAX as u64) as i64);
                s.session.bytes_out = s.session.bytes_out.max(live.down.min(i64::MAX as u64) as i64);
            }
            if let Some(bytes) = s.remaining.bytes.as_mut() {
                *bytes = (*bytes - unsaved.min(i64::MAX as u64) as i64).max(0);
            }
        }
        Ok(status)
    }

    /// Why this device is offline, if its package cut it off recently (see `records::why_offline`).
    pub async fn why_offline(&self, client: Client) -> Result<Option<records::Ended>, SessionError> {
        let now = self.now();
        Ok(self.store.call(move |conn| records::why_offline(conn, client, now)).await?)
    }

    /// Ends sessions whose time is up. The kernel has already cut them (element timeouts);
    /// this records it and removes any element a clock difference left behind.
    pub async fn expire_due(&self) -> Result<usize, SessionError> {
        let clock = self.clock.clone();
        let revoke = self.store.call(move |conn| records::expire_due(conn, clock.now())).await?;
        let count = revoke.len();
        for r in &revoke {
            log::info!("expired: {} ({})", r.device.ip, r.device.mac);
        }
        if count > 0 {
            self.apply(Vec::new(), revoke).await?;
        }
        Ok(count)
    }

    /// Ends every session of an account whose data cap the kernel reached.
    pub async fn end_exhausted(&self, account_id: i64) -> Result<usize, SessionError> {
        let now = self.now();
        let Some(revoke) = self.store.call(move |conn| records::end_exhausted(conn, account_id, now)).await? else {
            log::warn!("the kernel holds a data cap for account {account_id}, which has none; rebuilding the table");
            return self.restore().await.map(|_| 0);
        };
        for r in &revoke {
            log::info!("data cap reached: {} ({}) cut off", r.device.ip, r.device.mac);
        }
        let count = revoke.len();
        if count > 0 {
            self.apply(Vec::new(), revoke).await?;
        }
        Ok(count)
    }

    /// Rebuilds the whole firewall table from the database: every device still entitled
    /// keeps access with its remaining time, and counting resumes from the usage recorded
    /// (or, if our old table is still there, from what it counted). Returns the devices.
    pub async fn restore(&self) -> Result<usize, SessionError> {
        // Expired sessions are recorded; the new table simply leaves them out.
        let clock = self.clock.clone();
        self.store.call(move |conn| records::expire_due(conn, clock.now())).await?;
        let old = self.read_usage().await?;
        let checkpointed = self.store.call(|conn| store::usage::checkpointed(conn)).await?;
        self.usage.with(|ledger| {
            for (session_id, account_id, recorded) in checkpointed {
                ledger.track(session_id, account_id, recorded);
            }
        });
        self.settle(&old).await?;
        // What the old table counted for devices whose sessions ended while we were away goes
        // to the session that last held the address (totals only ever grow).
        let active: std::collections::HashSet<_> = self.store.call(|conn| store::usage::active_sessions(conn)).await?.into_iter().map(|a| a.ip).collect();
        let orphans: Vec<_> = old.devices.iter().filter(|(ip, _)| !active.contains(ip)).map(|(ip, t)| (*ip, *t)).collect();
        if !orphans.is_empty() {
            let now = self.now();
            self.store
                .call(move |conn| {
                    let tx = conn.transaction()?;
                    let mut ended = Vec::new();
                    for (ip, total) in orphans {
                        if let Some(session_id) = records::last_ended_at(&tx, ip)? {
                            ended.push(Ended { session_id, total });
                        }
                    }
                    store::usage::record_ended(&tx, &ended, now)?;
                    tx.commit()?;
                    Ok(())
                })
                .await?;
        }
        let clock = self.clock.clone();
        let (access, now) = self
            .store
            .call(move |conn| {
                let now = clock.now();
                Ok((records::authorised_now(conn, None, now)?, now))
            })
            .await?;
        let clients = self.authorised(&access, now);
        let count = clients.len();
        self.with_firewall(move |fw| fw.install(&clients)).await?;
        Ok(count)
    }

    /// Re-installs our table if something removed it (e.g. `nft flush ruleset`).
    pub async fn ensure_installed(&self) -> Result<bool, SessionError> {
        if self.reading(|fw| fw.is_installed()).await? {
            return Ok(false);
        }
        let count = self.restore().await?;
        log::warn!("firewall table was missing; re-installed it with {count} authorised devices");
        Ok(true)
    }

    /// Refreshes devices in the firewall with what the database now says (e.g. new time and
    /// a larger cap after a purchase).
    pub async fn authorise(&self, access: Vec<DeviceAccess>) -> Result<(), SessionError> {
        let authorise = self.authorised(&access, self.now());
        self.apply(authorise, Vec::new()).await
    }

    /// Removes devices from the firewall (e.g. after a job ended their sessions).
    pub async fn revoke(&self, revoke: Vec<Revoked>) -> Result<(), SessionError> {
        self.apply(Vec::new(), revoke).await
    }

    /// What the kernel has counted so far.
    /// A listing changes nothing, so it does not wait for (or hold up) a login's batch: a
    /// reading taken while one applies sees the table before or after it, either is fine.
    pub async fn read_usage(&self) -> Result<UsageReading, SessionError> {
        self.reading(|fw| fw.read_usage()).await
    }

    /// Takes a reading in: live figures for active sessions, final totals recorded for
    /// sessions that have ended. Returns the accounts the kernel has cut at their cap.
    pub async fn settle(&self, reading: &UsageReading) -> Result<Vec<i64>, SessionError> {
        let active = self.store.call(|conn| store::usage::active_sessions(conn)).await?;
        let observed = self.usage.with(|ledger| ledger.observe(reading, &active));
        self.record(observed.ended).await?;
        Ok(observed.exhausted_accounts)
    }

    /// Follows a wall-clock jump: shifts every running deadline by the jump and re-anchors
    /// the daemon's timeline, in one step on the database thread (so a login there sees
    /// either the old timeline and old deadlines, or the new and new). Returns the jump.
    pub async fn follow_wall_clock(&self, timeline: Arc<Timeline>, boot_id: Arc<str>) -> Result<Option<i64>, SessionError> {
        let shifted = self
            .store
            .call(move |conn| {
                let Some((secs, reading)) = timeline.jumped() else { return Ok(None) };
                store::timeline::shift(conn, secs, &Checkpoint::of(&boot_id, reading))?;
                timeline.rebase(reading);
                Ok(Some(secs))
            })
            .await?;
        if let Some(secs) = shifted {
            log::warn!("the wall clock jumped {secs:+} s; every running session keeps its remaining time");
        }
        Ok(shifted)
    }
}
