//! Device sessions: login, logout, expiry, and restoring the firewall at start. The one
//! place that changes both the database and the firewall, in that order: a crash between
//! the two leaves the database right, and the next start rebuilds the table from it.
//!
//! `records` holds the database transactions (shared with the CLI); this file runs them on
//! the store thread and the firewall calls on the blocking pool.

pub mod records;

use std::sync::{Arc, Mutex};

pub use records::{Client, ClientStatus, Credential, LoginRecord};

use crate::access::Refusal;
use crate::clock::Clock;
use crate::firewall::{Authorised, Device, Firewall, FirewallError, Policy};
use crate::store::sessions::EndMethod;
use crate::store::{Store, StoreError};

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
    firewall: Arc<dyn Firewall>,
    /// Serialises firewall changes so batches apply in the order they were decided.
    firewall_lock: Arc<Mutex<()>>,
    clock: Arc<dyn Clock>,
}

impl Sessions {
    pub fn new(store: Store, firewall: Arc<dyn Firewall>, clock: Arc<dyn Clock>) -> Sessions {
        Sessions { store, firewall, firewall_lock: Arc::new(Mutex::new(())), clock }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Runs a firewall call on the blocking pool, one at a time.
    async fn with_firewall<T, F>(&self, f: F) -> Result<T, SessionError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Firewall) -> Result<T, FirewallError> + Send + 'static,
    {
        let firewall = self.firewall.clone();
        let lock = self.firewall_lock.clone();
        tokio::task::spawn_blocking(move || {
            let _guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(firewall.as_ref())
        })
        .await
        .map_err(|_| SessionError::FirewallTask)?
        .map_err(SessionError::from)
    }

    /// Logs a device in: records the session, then opens the firewall for it.
    pub async fn login(&self, client: Client, credential: Credential) -> Result<LoginRecord, SessionError> {
        let now = self.now();
        let record = self
            .store
            .call(move |conn| records::login(conn, client, &credential, now))
            .await?
            .map_err(SessionError::Refused)?;
        let (authorise, revoke) = (record.authorise, record.revoke.clone());
        if let Err(e) = self.with_firewall(move |fw| fw.update(&[authorise], &revoke)).await {
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
        self.with_firewall(move |fw| fw.update(&[], &revoke)).await?;
        if ended {
            log::info!("logout: {} ({})", client.ip, client.mac);
        }
        Ok(ended)
    }

    pub async fn status(&self, client: Client) -> Result<Option<ClientStatus>, SessionError> {
        let now = self.now();
        Ok(self.store.call(move |conn| records::client_status(conn, client, now)).await?)
    }

    /// Ends sessions whose time is up. The kernel has already cut them (element timeouts);
    /// this records it and removes any element a clock difference left behind.
    pub async fn expire_due(&self) -> Result<usize, SessionError> {
        let now = self.now();
        let revoke = self.store.call(move |conn| records::expire_due(conn, now)).await?;
        let count = revoke.len();
        for device in &revoke {
            log::info!("expired: {} ({})", device.ip, device.mac);
        }
        if count > 0 {
            self.with_firewall(move |fw| fw.update(&[], &revoke)).await?;
        }
        Ok(count)
    }

    /// Rebuilds the whole firewall table from the database: every device still entitled
    /// keeps access, with its remaining time. Returns how many devices that is.
    pub async fn restore(&self, policy: Policy) -> Result<usize, SessionError> {
        self.expire_due().await?;
        let now = self.now();
        let clients: Vec<Authorised> = self.store.call(move |conn| records::authorised_now(conn, now)).await?;
        let count = clients.len();
        self.with_firewall(move |fw| fw.install(&policy, &clients)).await?;
        Ok(count)
    }

    /// Re-installs our table if something removed it (e.g. `nft flush ruleset`).
    pub async fn ensure_installed(&self, policy: Policy) -> Result<bool, SessionError> {
        if self.with_firewall(|fw| fw.is_installed()).await? {
            return Ok(false);
        }
        let count = self.restore(policy).await?;
        log::warn!("firewall table was missing; re-installed it with {count} authorised devices");
        Ok(true)
    }

    /// Adds or refreshes devices in the firewall (e.g. new timeouts after a purchase).
    pub async fn authorise(&self, devices: Vec<Authorised>) -> Result<(), SessionError> {
        self.with_firewall(move |fw| fw.update(&devices, &[])).await
    }

    /// Removes devices from the firewall (e.g. after the CLI ended their sessions).
    pub async fn revoke(&self, devices: Vec<Device>) -> Result<(), SessionError> {
        self.with_firewall(move |fw| fw.update(&[], &devices)).await
    }
}
