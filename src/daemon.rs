//! `hotspotd run`: opens the database, restores the firewall from it, and runs the fixed set
//! of tasks (the portal and the session ticker) until SIGTERM or SIGINT. On stop it leaves
//! the nftables table in place, so authorised clients keep access while it restarts.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, FirewallKind};
use crate::firewall::{Firewall, NftFirewall, NoFirewall, Policy};
use crate::http_client::HttpClient;
use crate::jobs::kinds::JobContext;
use crate::jobs::scheduler::{self, Intervals};
use crate::jobs::worker::{self, Jobs};
use crate::payments::{mpesa, Payments};
use crate::portal::{self, Portal, PortalSettings};
use crate::sessions::{SessionError, Sessions};
use crate::sms;
use crate::store::{self, Store, StoreError};

/// Longest an upstream call (Daraja, SMS) may take.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(20);

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
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let sessions = Sessions::new(store.clone(), firewall_of(&config), clock.clone());
    let http = HttpClient::new(UPSTREAM_TIMEOUT);
    let jobs = Jobs::new();
    let payments = Payments::new(
        store.clone(),
        Arc::from(mpesa::backend(&config.mpesa, http.clone())),
        config.mpesa.clone(),
        &config.country_code,
        clock.clone(),
        jobs.clone(),
    );
    if payments.enabled() && payments.is_demo() {
        log::warn!("M-Pesa is in DEMO mode: every payment is approved after a few seconds, no money moves");
    }
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
        sms_enabled: config.sms.provider != crate::config::SmsProvider::None,
        country_code: config.country_code.clone(),
    };
    let (stop, stopped) = watch::channel(false);
    let job_context = JobContext {
        sessions: sessions.clone(),
        sms: sms::gateway(&config.sms, http).map(Arc::from),
        country_code: config.country_code.clone(),
        portal_url: config.portal_url.clone().unwrap_or_default(),
    };
    let intervals = Intervals {
        check_expired: config.expiry_check_interval,
        sync_accounting: config.sync_interval,
        clean: config.cleanup_interval,
    };
    let portal = Arc::new(Portal::new(sessions.clone(), payments.clone(), jobs.clone(), &settings));
    let mut portal_task = tokio::spawn(portal::serve(listener, portal, settings, stopped.clone()));
    let mut ticker_task = tokio::spawn(tick(sessions, policy, stopped.clone()));
    let mut worker_task = tokio::spawn(worker::run(job_context, jobs.clone(), stopped.clone()));
    let mut scheduler_task = tokio::spawn(scheduler::run(store, jobs, clock, intervals, stopped.clone()));
    let mut poller_task = tokio::spawn(payments.run_poller(stopped));

    let outcome = tokio::select! {
        signal = stop_signal() => signal.map_err(DaemonError::Signals),
        _ = &mut portal_task => Err(DaemonError::TaskDied("portal")),
        _ = &mut ticker_task => Err(DaemonError::TaskDied("session ticker")),
        _ = &mut worker_task => Err(DaemonError::TaskDied("job worker")),
        _ = &mut scheduler_task => Err(DaemonError::TaskDied("job scheduler")),
        _ = &mut poller_task => Err(DaemonError::TaskDied("payment poller")),
    };
    log::info!("stopping; authorised clients keep access until hotspotd is back");
    let _ = stop.send(true);
    for task in [portal_task, ticker_task, worker_task, scheduler_task, poller_task] {
        let _ = task.await;
    }
    // The store thread ends once every handle is gone; wait so the last writes are on disk.
    // A connection still open past the grace period keeps a handle; don't wait for it long.
    let joined = tokio::time::timeout(Duration::from_secs(3), tokio::task::spawn_blocking(move || store_thread.join())).await;
    if joined.is_err() {
        log::warn!("the database thread was still busy at exit (every transaction is atomic)");
    }
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
