//! Running an operation in the command's own process, when no daemon runs on this database
//! (a router being set up, the daemon stopped): the same `Admin` on the same code, over a
//! store thread and `Sessions` of its own. Never used while the daemon runs: then the
//! daemon is the one writer of the firewall and of usage, and commands go through its
//! control socket.

use std::sync::Arc;

use super::{Admin, AdminError, Reply, Request, SystemInfo};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::daemon::firewall_of;
use crate::firewall::FirewallWorker;
use crate::jobs::worker::Jobs;
use crate::sessions::Sessions;
use crate::store::{self, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start the database thread")]
    StoreThread(#[source] std::io::Error),
    #[error("cannot start the firewall threads")]
    FirewallThreads(#[source] std::io::Error),
    #[error("cannot start the runtime")]
    Runtime(#[source] std::io::Error),
    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// Carries out `request` on the database and firewall named by `config`.
pub fn execute(config: &Config, request: Request) -> Result<Reply, LocalError> {
    let conn = store::open(&config.database)?;
    // Accounts made here get their password sealed for CHAP, as the daemon's would.
    match crate::credentials::sealed::SealingKey::load_or_create(&config.password_key_file) {
        Ok(key) => crate::credentials::sealed::install(key),
        Err(e) => log::warn!("{} (accounts made now cannot log in by RADIUS CHAP)", crate::error_chain(&e)),
    }
    let (store, thread) = Store::start(conn).map_err(LocalError::StoreThread)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(LocalError::Runtime)?;
    let firewall = FirewallWorker::start(firewall_of(config)).map_err(LocalError::FirewallThreads)?;
    let sessions = Sessions::new(store, firewall, Arc::new(SystemClock));
    let admin = Admin::new(sessions, Jobs::new(), SystemInfo { config: Arc::new(config.clone()), daemon_started: None, radius: None, sync: None });
    let entry = super::audit_entry(&request);
    let reply = runtime.block_on(async {
        let reply = admin.execute(request).await?;
        // Changes made without the daemon are audited as its control socket would.
        if let Some((action, detail)) = entry {
            if let Err(e) = admin.record_audit("cli".into(), action.into(), detail).await {
                log::warn!("cannot write the audit: {}", crate::error_chain(&e));
            }
        }
        Ok::<_, super::AdminError>(reply)
    });
    drop(admin);
    // Every write was awaited; the thread ends with its last handle.
    let _ = thread.join();
    Ok(reply?)
}
