//! `hotspotd run`: opens the database, restores the firewall from it, and runs the fixed set
//! of tasks (the portal and the session ticker) until SIGTERM or SIGINT. On stop it leaves
//! the nftables table in place, so authorised clients keep access while it restarts.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::SystemClock;
use crate::config::{Config, FirewallKind};
use crate::firewall::{Firewall, NftFirewall, NoFirewall, Policy};
use crate::portal::{self, Portal, PortalSettings};
use crate::sessions::{SessionError, Sessions};
use crate::store::{self, Store, StoreError};

/// How often sessions whose time is up are recorded as ended.
const EXPIRY_TICK: Duration = Duration::from_secs(1);
/// How often we check that our nft table is still there (re-installed if not).
const TABLE_CHECK_EVERY_TICKS: u32 = 10;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start the database thread")]
    StoreThread(#[source] std::io::Error),
    #[error("cannot install the firewall rules")]
    Firewall(#[source] SessionError),
    #[error("cannot listen on {addr} (is another hotspotd running? check `option listen`)")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot install the signal handlers")]
    Signals(#[source] std::io::Error),
    #[error("the {0} task stopped unexpectedly")]
    TaskDied(&'static str),
}

pub fn policy_of(config: &Config) -> Policy {
    Policy {
        interface: config.interface.clone(),
        portal_port: config.listen.port(),
        walled_garden: config.walled_garden.clone(),
    }
}

pub fn firewall_of(config: &Config) -> Arc<dyn Firewall> {
    match config.firewall {
        FirewallKind::Nft => Arc::new(NftFirewall::new()),
        FirewallKind::None => Arc::new(NoFirewall),
    }
}

/// Runs the daemon on the current runtime until a stop signal.
pub async fn run(config: Config) -> Result<(), DaemonError> {
    let conn = store::open(&config.database)?;
    let (store, store_thread) = Store::start(conn).map_err(DaemonError::StoreThread)?;
    let sessions = Sessions::new(store, firewall_of(&config), Arc::new(SystemClock));
    let policy = policy_of(&config);

    let restored = sessions.restore(policy.clone()).await.map_err(DaemonError::Firewall)?;
    log::info!("firewall {} on {}: {restored} devices still entitled keep access", config.firewall, config.interface);

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| DaemonError::Listen { addr: config.listen, source })?;
    log::info!("portal listening on {}", portal::describe(config.listen));

    let settings = PortalSettings {
        portal_url: config.portal_url.clone(),
        venue_info_url: config.venue_info_url.clone(),
        login_attempts_per_minute: config.login_attempts_per_minute,
        max_connections: config.max_connections,
        header_timeout: config.header_timeout,
    };
    let (stop, stopped) = watch::channel(false);
    let portal = Arc::new(Portal::new(sessions.clone(), &settings));
    let mut portal_task = tokio::spawn(portal::serve(listener, portal, settings, stopped.clone()));
    let mut ticker_task = tokio::spawn(tick(sessions, policy, stopped));

    let outcome = tokio::select! {
        signal = stop_signal() => signal.map_err(DaemonError::Signals),
        _ = &mut portal_task => Err(DaemonError::TaskDied("portal")),
        _ = &mut ticker_task => Err(DaemonError::TaskDied("session ticker")),
    };
    log::info!("stopping; authorised clients keep access until hotspotd is back");
    let _ = stop.send(true);
    let _ = portal_task.await;
    let _ = ticker_task.await;
    // The store thread ends once every handle is gone; wait so the last writes are on disk.
    let _ = tokio::task::spawn_blocking(move || store_thread.join()).await;
    outcome
}

/// Waits for SIGTERM (procd, kill) or SIGINT (Ctrl-C).
async fn stop_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => log::info!("SIGTERM received"),
        _ = int.recv() => log::info!("SIGINT received"),
    }
    Ok(())
}

/// Once a second: record expired sessions. Every few seconds: make sure our nft table is
/// still installed. Errors are logged and retried on the next tick.
async fn tick(sessions: Sessions, policy: Policy, mut stopped: watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(EXPIRY_TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut ticks: u32 = 0;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopped.changed() => return,
        }
        if let Err(e) = sessions.expire_due().await {
            log::error!("expiry check failed: {}", crate::error_chain(&e));
        }
        ticks = ticks.wrapping_add(1);
        if ticks % TABLE_CHECK_EVERY_TICKS == 0 {
            if let Err(e) = sessions.ensure_installed(policy.clone()).await {
                log::error!("firewall check failed: {}", crate::error_chain(&e));
            }
        }
    }
}
