//! Device sessions: login, logout, kicks, expiry, data caps, top-ups and restoring the
//! firewall at start. The one place that changes the database and then whoever enforces the
//! session (`enforcement`: our nft table, or a NAS by RADIUS), in that order: a crash between
//! the two leaves the database right, and the next start rebuilds the table from it. Every
//! caller — the portal, the jobs, the operator's commands through the daemon — goes through
//! here; nothing else writes the firewall or a session's byte totals.
//!
//! `records/` holds the database transactions; `enforcement.rs` the types that say who is
//! told what; `usage_task.rs` the task that reads the kernel's counters and checkpoints them.
//! This file runs the transactions on the store thread and the firewall calls on the
//! firewall's own threads (`firewall::worker`: changes, and the readings taken in order with
//! them, on one; listings on the other), and turns what the database holds into what the
//! enforcers are told, adding the live usage only memory knows (the `ledger`).

mod central;
pub mod enforcement;
pub mod nas;
pub mod records;
mod remote;
mod suspension;
pub mod usage_task;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub use enforcement::{Cut, Grant, NasControl, NasError, NasSession, Target};
pub use records::{Client, ClientStatus, Credential, LoginRecord, Selection};

use crate::access::Refusal;
use crate::clock::{Checkpoint, Clock, Timeline};
use crate::firewall::{Authorised, Firewall, FirewallError, FirewallWorker, Revoked, UsageReading};
use crate::http_client::share::{Share, ShareError, NAS_CALLS};
use crate::ledger::{Ended, Ledger};
use crate::netaddr::MacAddr;
use crate::store::sessions::{EndMethod, EndReason};
use crate::store::{self, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("login refused: {}", .0.code())]
    Refused(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot update the firewall")]
    Firewall(#[from] FirewallError),
    #[error("the firewall task stopped")]
    FirewallTask,
}

/// The live usage, shared by the sessions (to tell the kernel where counting resumes, and to
/// record final totals) and the usage task. The lock is never held across an await.
#[derive(Clone, Default)]
struct SharedLedger(Arc<Mutex<Ledger>>);

impl SharedLedger {
    fn with<T>(&self, f: impl FnOnce(&mut Ledger) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// How long a device's counters must have stood still before its address may be taken by
/// another device's login (see `records::login`): a few usage polls.
const ADDRESS_IDLE_SECS: i64 = 60;

/// The ledger as the database transactions see it (`records::Live`).
struct LedgerView {
    ledger: SharedLedger,
    clock: Arc<dyn Clock>,
}

impl records::Live for LedgerView {
    fn totals(&self, session_id: i64) -> Option<crate::firewall::Traffic> {
        self.ledger.with(|l| l.live(session_id))
    }

    fn in_use(&self, session_id: i64) -> bool {
        let since = self.clock.now() - ADDRESS_IDLE_SECS;
        self.ledger.with(|l| l.moved_since(session_id, since))
    }
}

/// Shared by the portal, the jobs, the usage task and the control socket. Cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    store: Store,
    firewall: FirewallWorker,
    /// Dynamic authorisation of sessions a NAS enforces (`None`: no NAS is configured).
    nas: Option<Arc<dyn NasControl>>,
    /// The central RADIUS server asked about unknown usernames (`sessions/central.rs`).
    central: Option<Arc<crate::radius::upstream::CentralAuth>>,
    /// Woken when a NAS session ends: its Disconnect-Request is a queued job.
    jobs: Option<crate::jobs::worker::Jobs>,
    /// A NAS reported new totals since the last usage report to the outbox.
    nas_usage_reported: Arc<AtomicBool>,
    /// The blocking threads NAS exchanges may use (`http_client::share::NAS_CALLS`).
    nas_calls: Share,
    /// Serialises enforcement changes so they apply in the order they were decided, and so
    /// an ending session's last kernel count, its database record and its removal happen
    /// with nothing in between. Async: it is held across the database call.
    lock: Arc<tokio::sync::Mutex<()>>,
    clock: Arc<dyn Clock>,
    ledger: SharedLedger,
}

impl Sessions {
    pub fn new(store: Store, firewall: FirewallWorker, clock: Arc<dyn Clock>) -> Sessions {
        Sessions {
            store,
            firewall,
            nas: None,
            central: None,
            jobs: None,
            nas_usage_reported: Arc::default(),
            nas_calls: Share::new("NAS", NAS_CALLS),
            lock: Arc::default(),
            clock,
            ledger: SharedLedger::default(),
        }
    }

    /// Sessions enforced by a NAS are ended and changed through `nas`; `jobs` runs their
    /// Disconnect-Requests (queued with each end).
    pub fn with_nas(mut self, nas: Arc<dyn NasControl>, jobs: crate::jobs::worker::Jobs) -> Sessions {
        self.nas = Some(nas);
        self.jobs = Some(jobs);
        self
    }

    /// Usernames the router does not know are checked with the central RADIUS server.
    pub fn with_central(mut self, central: Arc<crate::radius::upstream::CentralAuth>) -> Sessions {
        self.central = Some(central);
        self
    }

    /// Runs `f` with the NASes' dynamic authorisation on the blocking threads kept for it
    /// (`None`: no NAS is configured). For the disconnect job.
    pub async fn nas_call<T, F>(&self, f: F) -> Option<Result<T, ShareError>>
    where
        T: Send + 'static,
        F: FnOnce(&dyn NasControl) -> T + Send + 'static,
    {
        let nas = self.nas.clone()?;
        Some(self.nas_calls.call(None, move || f(nas.as_ref())).await)
    }

    /// Starts the job worker if a change queued work for it.
    fn wake_jobs(&self, queued: bool) {
        if let (true, Some(jobs)) = (queued, &self.jobs) {
            jobs.notify();
        }
    }

    /// Whether a NAS reported new totals since the last call (the usage checkpoint reports
    /// them to the outbox).
    pub fn take_nas_usage_reported(&self) -> bool {
        self.nas_usage_reported.swap(false, Ordering::Relaxed)
    }

    pub fn store(&self) -> &Store {
        &self.store
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

    /// What the kernel has counted so far (the usage poll). A listing changes nothing, so it
    /// does not wait for (or hold up) a change: a reading taken while one applies sees the
    /// table before or after it, either is fine.
    pub async fn read_usage(&self) -> Result<UsageReading, SessionError> {
        self.reading(|fw| fw.read_usage()).await
    }

    /// The kernel's counts in order with the changes: taken under the lock just before
    /// sessions end, so no change slips between the reading and the removal.
    async fn read_usage_in_order(&self) -> Result<UsageReading, SessionError> {
        self.blocking(|fw| fw.read_usage()).await
    }

    /// What the ledger knows, for a transaction on the store thread.
    fn live(&self) -> LedgerView {
        LedgerView { ledger: self.ledger.clone(), clock: self.clock.clone() }
    }

    /// What the kernel is told for local grants: the recorded figures plus what was counted
    /// since the last checkpoint. Starts tracking the sessions' usage.
    fn authorised(&self, grants: &[(crate::firewall::Device, Grant)], now: i64) -> Vec<Authorised> {
        self.ledger.with(|ledger| {
            grants
                .iter()
                .map(|(device, g)| {
                    ledger.track(g.session_id, g.account_id, g.recorded);
                    let counted = ledger.live(g.session_id).unwrap_or(g.recorded);
                    enforcement::authorised(g, *device, now, counted, ledger.unsaved_of_account(g.account_id))
                })
                .collect()
        })
    }

    /// Hands grants and cuts to their enforcers. The caller holds the lock; local cuts have
    /// their totals recorded already. If nft refuses the change, the kernel no longer holds
    /// what the database says (someone edited the table by hand): the caller rebuilds it
    /// (`Rejected` comes back).
    async fn apply_locked(&self, grants: Vec<Grant>, cuts: Vec<Cut>) -> Result<(), SessionError> {
        let now = self.now();
        let grants = enforcement::split(grants, |g| &g.target);
        let cuts = enforcement::split(cuts, |c| &c.target);
        self.tell_nas(&grants.nas, &cuts.nas, now).await;
        if grants.local.is_empty() && cuts.local.is_empty() {
            return Ok(());
        }
        let revoke: Vec<Revoked> = cuts.local.iter().filter_map(|(_, c)| c.revoked()).collect();
        let mut authorise = self.authorised(&grants.local, now);
        if !revoke.is_empty() {
            // A session moving to another address takes what it counted at the old one along.
            self.ledger.with(|ledger| {
                for a in authorise.iter_mut().filter(|a| a.reset_counters) {
                    a.counted = a.counted.max(ledger.live(a.session_id).unwrap_or_default());
                }
            });
        }
        self.blocking(move |fw| fw.update(&authorise, &revoke)).await
    }

    /// Takes the lock and applies; rebuilds the table if nft refused the change.
    async fn apply(&self, grants: Vec<Grant>, cuts: Vec<Cut>, read_last_counts: bool) -> Result<(), SessionError> {
        let result = {
            let _guard = self.lock.lock().await;
            if read_last_counts {
                self.absorb(&cuts).await;
            }
            self.apply_locked(grants, cuts).await
        };
        self.rebuild_if_rejected(result).await
    }

    async fn rebuild_if_rejected(&self, result: Result<(), SessionError>) -> Result<(), SessionError> {
        match result {
            Err(SessionError::Firewall(FirewallError::Rejected { stderr })) => {
                log::warn!("nft refused a change ({stderr}); rebuilding the table from the database");
                Box::pin(self.restore()).await.map(drop)
            }
            other => other,
        }
    }

    /// Tells NASes what changed. An ended NAS session's Disconnect-Request was queued as a
    /// job in the transaction that ended it: the worker is woken. A running one whose limits
    /// changed (a top-up) gets a CoA-Request, sent in the background so a silent NAS holds up
    /// nothing; one that cannot be told is logged (its NAS still ends it at the
    /// Session-Timeout it was given).
    async fn tell_nas(&self, grants: &[(NasSession, Grant)], cuts: &[(NasSession, Cut)], now: i64) {
        self.wake_jobs(!cuts.is_empty());
        if grants.is_empty() {
            return;
        }
        let Some(nas) = self.nas.clone() else {
            for (s, _) in grants {
                log::error!("session {} changed, but {}", s.acct_session_id, NasError::UnknownNas(s.nas.clone()));
            }
            return;
        };
        let work: Vec<(NasSession, enforcement::NasLimits)> =
            grants.iter().map(|(s, g)| (s.clone(), enforcement::nas_limits(g, now))).collect();
        let calls = self.nas_calls.clone();
        tokio::spawn(async move {
            let told = calls
                .call(None, move || {
                    for (s, limits) in work {
                        if let Err(e) = nas.change(&s, &limits) {
                            log::error!("cannot change session {} on its NAS: {}", s.acct_session_id, crate::error_chain(&e));
                        }
                    }
                })
                .await;
            if let Err(e) = told {
                log::error!("cannot change sessions on their NAS: {e}");
            }
        });
    }

    /// Reads the counters of local devices about to be revoked into the ledger, and records
    /// the final totals of those whose sessions have ended (bytes counted after their end
    /// was recorded). The caller holds the lock. A failure is logged: the totals recorded at
    /// the end stand.
    async fn absorb(&self, cuts: &[Cut]) {
        let revoked: Vec<Revoked> = cuts.iter().filter_map(Cut::revoked).collect();
        if revoked.is_empty() {
            return;
        }
        let reading = match self.read_usage_in_order().await {
            Ok(reading) => reading,
            Err(e) => return log::warn!("could not read the last usage of the devices going offline: {}", crate::error_chain(&e)),
        };
        let ended = self.ledger.with(|ledger| {
            let mut ended = Vec::with_capacity(revoked.len());
            for r in &revoked {
                if let Some(&kernel) = reading.devices.get(&r.device.ip) {
                    ledger.raise(r.session_id, r.account_id, kernel);
                }
                ended.extend(ledger.live(r.session_id).map(|total| Ended { session_id: r.session_id, total }));
            }
            ended
        });
        if let Err(e) = self.record(ended).await {
            log::warn!("could not record the last usage of the devices going offline: {}", crate::error_chain(&e));
        }
    }

    /// Records final totals of ended sessions (active ones are skipped) and stops tracking them.
    async fn record(&self, ended: Vec<Ended>) -> Result<(), SessionError> {
        if ended.is_empty() {
            return Ok(());
        }
        let clock = self.clock.clone();
        let recorded = self
            .store
            .call(move |conn| {
                let tx = conn.transaction()?;
                let recorded = store::usage::record_ended(&tx, &ended, clock.now())?;
                tx.commit()?;
                Ok(recorded)
            })
            .await?;
        self.ledger.with(|ledger| ledger.settled(&recorded));
        Ok(())
    }

    /// Logs a device in: records the session, then lets it through.
    pub async fn login(&self, client: Client, credential: Credential) -> Result<LoginRecord, SessionError> {
        self.central_fallback(&credential, client.mac).await;
        // `now` is read on the database thread, in order with any clock shift (see `follow_wall_clock`).
        let clock = self.clock.clone();
        let live = self.live();
        let record = self.store.call(move |conn| records::login(conn, client, &credential, clock.now(), &live)).await?;
        let record = record.map_err(SessionError::Refused)?;
        if let Err(e) = self.apply(vec![record.grant.clone()], record.cut.clone(), true).await {
            // Do not leave a session the kernel does not know about: end it and say so.
            let _ = self.end(Selection::Device(client.mac), EndMethod::Firewall, EndReason::FirewallError).await;
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

    /// Ends the selected sessions: under the lock, the kernel's counters are read first, so
    /// each session is recorded with every byte it moved, in the one transaction that ends
    /// it; then its enforcer is told. Returns what was ended.
    pub async fn end(&self, selection: Selection, method: EndMethod, reason: EndReason) -> Result<Vec<Cut>, SessionError> {
        let (cut, applied) = {
            let _guard = self.lock.lock().await;
            match self.read_usage_in_order().await {
                Ok(reading) => {
                    self.settle(&reading).await?;
                }
                Err(e) => log::warn!("could not read the last usage of the sessions ending: {}", crate::error_chain(&e)),
            }
            let clock = self.clock.clone();
            let live = self.live();
            let ended = self
                .store
                .call(move |conn| records::end_sessions(conn, selection, method, reason, clock.now(), &live))
                .await?;
            let Some(cut) = ended else {
                drop(_guard);
                if let Selection::Exhausted { account_id } = selection {
                    log::warn!("the kernel holds a data cap for account {account_id}, which has none; rebuilding the table");
                }
                return Box::pin(self.restore()).await.map(|_| Vec::new());
            };
            let ids: Vec<i64> = cut.iter().map(|c| c.session_id).collect();
            self.ledger.with(|ledger| ledger.settled(&ids));
            let applied = self.apply_locked(Vec::new(), cut.clone()).await;
            (cut, applied)
        };
        // The sessions have ended whatever the firewall said; a table nft refused is rebuilt
        // from the database, which no longer lets them through.
        self.rebuild_if_rejected(applied).await.map(|()| cut)
    }

    /// Ends this device's session from the portal (the account's entitlement stays).
    pub async fn logout(&self, client: Client) -> Result<bool, SessionError> {
        let cut = self.end(Selection::Device(client.mac), EndMethod::Portal, EndReason::Logout).await?;
        if !cut.is_empty() {
            log::info!("logout: {} ({})", client.ip, client.mac);
        }
        Ok(!cut.is_empty())
    }

    /// Ends a device's session for the operator (`hotspotd deauth`, later the web admin and
    /// remote commands). Returns how many sessions ended (0: it was not online).
    pub async fn kick(&self, mac: MacAddr, method: EndMethod) -> Result<usize, SessionError> {
        let cut = self.end(Selection::Device(mac), method, EndReason::Admin).await?;
        if !cut.is_empty() {
            log::info!("{mac} disconnected by the operator ({method})");
        }
        Ok(cut.len())
    }

    /// The device's session and what is left of its account, with live usage.
    pub async fn status(&self, client: Client) -> Result<Option<ClientStatus>, SessionError> {
        let now = self.now();
        let mut status = self.store.call(move |conn| records::client_status(conn, client, now)).await?;
        if let Some(s) = status.as_mut() {
            let (live, unsaved) = self
                .ledger
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

    /// Live byte totals of a session (`None`: not tracked in this process).
    pub fn live_usage(&self, session_id: i64) -> Option<crate::firewall::Traffic> {
        self.ledger.with(|ledger| ledger.live(session_id))
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
        if !self.store.call(move |conn| store::sessions::any_due(conn, clock.now())).await? {
            return Ok(0);
        }
        let cut = self.end(Selection::Due, EndMethod::Expiry, EndReason::Expired).await?;
        for c in &cut {
            log::info!("expired: session {} ({})", c.session_id, describe(&c.target));
        }
        Ok(cut.len())
    }

    /// Ends every session of an account whose data cap the kernel reached.
    pub async fn end_exhausted(&self, account_id: i64) -> Result<usize, SessionError> {
        let cut = self.end(Selection::Exhausted { account_id }, EndMethod::Quota, EndReason::Quota).await?;
        for c in &cut {
            log::info!("data cap reached: session {} ({}) cut off", c.session_id, describe(&c.target));
        }
        Ok(cut.len())
    }

    /// Gives an account's running sessions what the database now says after a purchase (more
    /// time, a larger cap): `grants` come from the transaction that recorded it. A session
    /// whose account lost its cap (an unlimited package stacked onto a capped one) needs its
    /// kernel quota gone, which a rebuilt table does (rare).
    pub async fn top_up(&self, grants: Vec<Grant>) -> Result<(), SessionError> {
        let local_uncapped = grants.iter().any(|g| matches!(g.target, Target::Local(_)) && g.cap_bytes.is_none());
        if local_uncapped {
            let nas: Vec<Grant> = grants.into_iter().filter(|g| matches!(g.target, Target::Nas(_))).collect();
            self.apply(nas, Vec::new(), false).await?;
            return self.restore().await.map(drop);
        }
        self.apply(grants, Vec::new(), false).await
    }

    /// Rebuilds the whole firewall table from the database: every device still entitled
    /// keeps access with its remaining time, and counting resumes from the usage recorded
    /// (or, if our old table is still there, from what it counted). Returns the devices.
    pub async fn restore(&self) -> Result<usize, SessionError> {
        // Sessions whose time is up are recorded as ended; the new table simply leaves them out.
        Box::pin(self.expire_due()).await?;
        let _guard = self.lock.lock().await;
        let old = self.read_usage_in_order().await?;
        let checkpointed = self.store.call(|conn| store::usage::checkpointed(conn)).await?;
        self.ledger.with(|ledger| {
            for (session_id, account_id, recorded) in checkpointed {
                ledger.track(session_id, account_id, recorded);
            }
        });
        self.settle(&old).await?;
        // What the old table counted for devices whose sessions ended while we were away goes
        // to the session that last held the address (totals only ever grow).
        let active: std::collections::HashSet<_> =
            self.store.call(|conn| store::usage::active_sessions(conn)).await?.into_iter().map(|a| a.ip).collect();
        let orphans: Vec<_> = old.devices.iter().filter(|(ip, _)| !active.contains(ip)).map(|(ip, t)| (*ip, *t)).collect();
        if !orphans.is_empty() {
            let clock = self.clock.clone();
            self.store
                .call(move |conn| {
                    let tx = conn.transaction()?;
                    let mut ended = Vec::new();
                    for (ip, total) in orphans {
                        if let Some(session_id) = records::last_ended_at(&tx, ip)? {
                            ended.push(Ended { session_id, total });
                        }
                    }
                    store::usage::record_ended(&tx, &ended, clock.now())?;
                    tx.commit()?;
                    Ok(())
                })
                .await?;
        }
        let clock = self.clock.clone();
        let (grants, now) = self
            .store
            .call(move |conn| {
                let now = clock.now();
                Ok((records::authorised_now(conn, None, now)?, now))
            })
            .await?;
        let local = enforcement::split(grants, |g| &g.target).local;
        let clients = self.authorised(&local, now);
        let count = clients.len();
        self.blocking(move |fw| fw.install(&clients)).await?;
        Ok(count)
    }

    /// Whether our firewall rules are in place (for the status report).
    pub async fn firewall_installed(&self) -> Result<bool, SessionError> {
        self.reading(|fw| fw.is_installed()).await
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

/// A session's enforcement target for log lines.
fn describe(target: &Target) -> String {
    match target {
        Target::Local(d) => format!("{} {}", d.ip, d.mac),
        Target::Nas(s) => format!("NAS {} session {}", s.nas, s.acct_session_id),
    }
}

#[cfg(test)]
mod tests;
