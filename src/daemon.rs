//! `hotspotd run`: opens the database, brings stored deadlines onto the daemon's clock,
//! restores the firewall from the database, and runs the fixed set of tasks (portal, web admin
//! when `admin_listen` is set, control socket, session ticker, usage, jobs, recurring work, payment poller, RADIUS server) until SIGTERM or
//! SIGINT. On stop it saves usage and leaves the nftables table in place, so authorised
//! clients keep access while it restarts.
//!
//! Threads: the runtime's one thread (every task), the store's thread (SQLite), the
//! firewall's two (changes, readings: `firewall::worker`), and the blocking pool, which only
//! upstream HTTP uses, each service within its share (`http_client::share`). So a dead or
//! slow uplink never delays a login or a cut-off.
//!
//! Stopping (within `STOP_BUDGET`, under procd's 10 s): every task is told; each finishes
//! the work in hand (the usage task takes a last reading if the kernel answers within 2 s,
//! then writes the checkpoint); those still busy after `TASKS_GRACE` (waiting on an upstream
//! call or a hung tool) are aborted; once the last `Store` handle is gone the store thread
//! finishes its queue and is joined. Blocking upstream calls cannot be cancelled: `main`
//! shuts the runtime down without waiting for them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::admin::{Admin, SystemInfo};
use crate::clock::{self, Checkpoint, Clock, Timeline};
use crate::config::{Config, FirewallKind};
use crate::control;
use crate::credentials::sealed::SealingKey;
use crate::radius;
use crate::firewall::{Firewall, FirewallWorker, NftFirewall, NoFirewall, Policy};
use crate::http_client::share::{Share, SMS_CALLS};
use crate::http_client::HttpClient;
use crate::jobs::worker::{self, Jobs};
use crate::jobs::JobContext;
use crate::payments::paybill::Paybill;
use crate::payments::{mpesa, Payments};
use crate::portal::{self, Portal, PortalSettings};
use crate::radius::das::DasClient;
use crate::radius::server::{self as radius_server, Server as RadiusServer};
use crate::schedule::{self, Intervals, Retention};
use crate::sessions::{usage_task, SessionError, Sessions};
use crate::sms;
use crate::store::{self, Store, StoreError};
use crate::sync::{self, apply::Applier, SyncHealth, SyncTask};
use crate::webadmin::{self, WebAdmin};

/// Longest an upstream call (Daraja, SMS) may take.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(20);

/// How often sessions whose time is up are recorded as ended.
const EXPIRY_TICK: Duration = Duration::from_secs(1);
/// How often we check that our nft table is still there (re-installed if not).
const TABLE_CHECK_EVERY_TICKS: u32 = 10;
/// After a stop signal, how long tasks may take to finish the work in hand before they are
/// aborted. Long enough for the portal's grace (3 s) and the last usage reading (2 s); only a
/// task waiting on an upstream call or a hung tool is still busy then.
const TASKS_GRACE: Duration = Duration::from_secs(4);
/// From the stop signal to the end of `run`, the store thread's last writes included
/// (procd kills at 10 s; `main` adds a moment for the runtime's shutdown).
const STOP_BUDGET: Duration = Duration::from_secs(7);
/// How often the store thread is checked for having finished, at the very end.
const STORE_JOIN_POLL: Duration = Duration::from_millis(2);

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start the database thread")]
    StoreThread(#[source] std::io::Error),
    #[error("cannot start the firewall threads")]
    FirewallThreads(#[source] std::io::Error),
    #[error("cannot install the firewall rules")]
    Firewall(#[source] SessionError),
    #[error("cannot listen on {addr} (is another hotspotd running? check `option listen`)")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Control(#[from] control::server::BindError),
    #[error(transparent)]
    Radius(#[from] crate::radius::server::ServerError),
    #[error("cannot install the signal handlers")]
    Signals(#[source] std::io::Error),
    #[error("the {0} task stopped unexpectedly")]
    TaskDied(&'static str),
    #[error(transparent)]
    PasswordKey(#[from] crate::credentials::sealed::KeyError),
}

pub fn policy_of(config: &Config) -> Policy {
    Policy {
        interface: config.interface.clone(),
        portal_port: config.listen.port(),
        walled_garden: config.walled_garden.clone(),
        admin_port: config.admin_listen.map(|a| a.port()),
    }
}

pub fn firewall_of(config: &Config) -> Arc<dyn Firewall> {
    match config.firewall {
        FirewallKind::Nft => Arc::new(NftFirewall::new(policy_of(config))),
        FirewallKind::None => Arc::new(NoFirewall::new(policy_of(config))),
    }
}

/// Runs the daemon on the current runtime until a stop signal.
pub async fn run(config: Config) -> Result<(), DaemonError> {
    for notice in &config.notices {
        log::warn!("{notice}");
    }
    let mut conn = store::open(&config.database)?;
    crate::credentials::sealed::install(SealingKey::load_or_create(&config.password_key_file)?);
    // Before anything changes: a second daemon on the same database is refused here.
    let control_socket = control::server::bind(&config.control_socket)?;
    let boot_id: Arc<str> = clock::boot_id().into();
    let timeline = Arc::new(Timeline::new());
    resume_timeline(&mut conn, &timeline, &boot_id)?;
    let upstream = config.radius_upstream.clone();
    let interim_secs = config.radius.as_ref().map_or(radius::upstream::INTERIM_SECS, |r| r.interim_interval);
    let interim = upstream.as_ref().filter(|u| u.accounting).map(|_| interim_secs);
    radius::upstream::queue::configure(&conn, interim)?;
    // The venue's branding, shared with whoever changes it while we run.
    let branding = crate::branding::Shared::new(store::branding::load(&conn)?);
    let (store, store_thread) = Store::start(conn).map_err(DaemonError::StoreThread)?;
    let clock: Arc<dyn Clock> = timeline.clone();
    let firewall = FirewallWorker::start(firewall_of(&config)).map_err(DaemonError::FirewallThreads)?;
    let jobs = Jobs::new();
    let mut sessions = Sessions::new(store.clone(), firewall, clock.clone());
    if let Some(radius) = &config.radius {
        sessions = sessions.with_nas(Arc::new(DasClient::new(radius.nases.clone())), jobs.clone());
    }
    if let Some(u) = upstream.as_ref().filter(|u| u.authentication) {
        sessions = sessions.with_central(Arc::new(radius::upstream::CentralAuth::new(u)));
    }
    let http = HttpClient::with_ca_bundle(UPSTREAM_TIMEOUT, &config.ca_bundle);
    let started = Instant::now();
    let mut payments = Payments::new(
        store.clone(),
        Arc::from(mpesa::backend(&config.mpesa, http.clone())),
        config.mpesa.clone(),
        &config.country_code,
        clock.clone(),
        jobs.clone(),
    );
    if let Some(number) = config.sync.as_ref().and_then(|s| s.paybill.clone()) {
        payments = payments.with_paybill(Paybill { number, router_id: config.sync.as_ref().map_or(0, |s| s.router_id) });
    }
    if payments.enabled() && payments.is_demo() {
        log::warn!("M-Pesa is in DEMO mode: every payment is approved after a few seconds, no money moves");
    }
    let restored = sessions.restore().await.map_err(DaemonError::Firewall)?;
    log::info!("firewall {} on {}: {restored} devices still entitled keep access", config.firewall, config.interface);

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| DaemonError::Listen { addr: config.listen, source })?;
    log::info!("portal listening on {}", portal::describe(config.listen));
    let admin_listener = match config.admin_listen {
        Some(addr) => {
            let listener = TcpListener::bind(addr).await.map_err(|source| DaemonError::Listen { addr, source })?;
            log::info!("web admin on http://{addr}/");
            Some(listener)
        }
        None => None,
    };
    let radius = match &config.radius {
        Some(r) => {
            let settings = radius_server::Settings {
                listen: r.listen,
                auth_port: r.auth_port,
                acct_port: r.acct_port,
                interim_interval: r.interim_interval,
                nases: r.nases.clone(),
            };
            Some(RadiusServer::bind(settings, sessions.clone()).await?)
        }
        None => None,
    };

    let settings = PortalSettings {
        portal_url: config.portal_url.clone(),
        venue_info_url: config.venue_info_url.clone(),
        login_attempts_per_minute: config.login_attempts_per_minute,
        login_attempts_total: config.login_attempts_total,
        max_connections: config.max_connections,
        header_timeout: config.header_timeout,
        sms_enabled: config.sms.provider != crate::config::SmsProvider::None,
        country_code: config.country_code.clone(),
    };
    let (stop, stopped) = watch::channel(false);
    let job_context = JobContext {
        sessions: sessions.clone(),
        jobs: jobs.clone(),
        sms: sms::gateway(&config.sms, http).map(Arc::from),
        sms_calls: Share::new("SMS", SMS_CALLS),
        country_code: config.country_code.clone(),
        portal_url: config.portal_url.clone().unwrap_or_default(),
    };
    let intervals = Intervals { check_expired: config.expiry_check_interval, clean: config.cleanup_interval };
    let retention = Retention { usage_detail: config.usage_detail, usage_keep: config.usage_keep };
    let usage_intervals = usage_task::Intervals { poll: config.usage_poll_interval, checkpoint: config.usage_checkpoint_interval };
    let sync_health = config.sync.as_ref().map(|_| SyncHealth::default());
    let system = SystemInfo {
        config: Arc::new(config.clone()),
        daemon_started: Some(started),
        radius: radius.as_ref().map(RadiusServer::stats),
        sync: sync_health.clone(),
    };
    let admin = Admin::new(sessions.clone(), jobs.clone(), system);
    let sync_task = match (&config.sync, sync_health) {
        (Some(sync_config), Some(health)) => Some(SyncTask {
            config: sync_config.clone(),
            applier: Applier {
                admin: admin.clone(),
                sessions: sessions.clone(),
                payments: payments.clone(),
                jobs: jobs.clone(),
                store: store.clone(),
                router_id: sync_config.router_id,
            },
            health,
            started,
            database: config.database.clone(),
            ca_bundle: config.ca_bundle.clone(),
        }),
        _ => None,
    };
    // The web admin shares the portal's branding: its settings page changes both at once.
    let web_admin =
        admin_listener.map(|listener| (listener, Arc::new(WebAdmin::new(admin.clone(), store.clone(), branding.clone(), &config))));
    let portal = Arc::new(Portal::new(sessions.clone(), payments.clone(), jobs.clone(), branding.clone(), &settings));
    // Owned by one set: the first to end (it should not) stops the daemon, and at a stop
    // those still busy after the grace are aborted.
    let mut tasks = JoinSet::new();
    let mut names = vec![
        (tasks.spawn(portal::serve(listener, portal, settings, stopped.clone())).id(), "portal"),
        (tasks.spawn(control::server::serve(control_socket, admin, stopped.clone())).id(), "control socket"),
        (tasks.spawn(tick(sessions.clone(), timeline.clone(), boot_id.clone(), stopped.clone())).id(), "session ticker"),
        (tasks.spawn(schedule::run(sessions.clone(), retention, intervals, stopped.clone())).id(), "recurring work"),
        (tasks.spawn(usage_task::run(sessions, timeline, boot_id, usage_intervals, stopped.clone())).id(), "usage"),
        (tasks.spawn(worker::run(job_context, stopped.clone())).id(), "job worker"),
        (tasks.spawn(payments.run_poller(stopped.clone())).id(), "payment poller"),
    ];
    if let Some((listener, web)) = web_admin {
        names.push((tasks.spawn(webadmin::serve(listener, web, stopped.clone())).id(), "web admin"));
    }
    if let Some(radius) = radius {
        names.push((tasks.spawn(radius.run(stopped.clone())).id(), "RADIUS server"));
    }
    if let Some(task) = sync_task {
        log::info!("syncing with the central server at {}", crate::http_client::shown_url(&task.config.url));
        names.push((tasks.spawn(sync::run(task, stopped.clone())).id(), "central sync"));
    }
    if let Some(u) = upstream.filter(|u| u.accounting) {
        names.push((tasks.spawn(radius::upstream::forwarder::run(store.clone(), clock.clone(), u, stopped)).id(), "central accounting"));
    }

    let outcome = tokio::select! {
        signal = stop_signal() => signal.map_err(DaemonError::Signals),
        Some(ended) = tasks.join_next_with_id() => Err(DaemonError::TaskDied(ended_task(&mut names, &ended))),
    };
    log::info!("stopping; authorised clients keep access until hotspotd is back");
    let stopping = Instant::now();
    let _ = stop.send(true);
    let grace_ends = tokio::time::Instant::now() + TASKS_GRACE;
    while let Ok(Some(ended)) = tokio::time::timeout_at(grace_ends, tasks.join_next_with_id()).await {
        ended_task(&mut names, &ended);
    }
    if !tasks.is_empty() {
        let busy: Vec<_> = names.into_iter().map(|(_, name)| name).collect();
        log::warn!("still busy {TASKS_GRACE:?} after the stop (an upstream call or a hung tool), stopped: {}", busy.join(", "));
        tasks.shutdown().await;
    }
    // The tasks held every other handle: with this one gone the store thread runs what is
    // queued and ends. Polled, not joined on a blocking thread: those may all be waiting on
    // upstream calls.
    drop(store);
    let store_deadline = stopping + STOP_BUDGET;
    while !store_thread.is_finished() && Instant::now() < store_deadline {
        tokio::time::sleep(STORE_JOIN_POLL).await;
    }
    if store_thread.is_finished() {
        let _ = store_thread.join();
    } else {
        log::warn!("the database thread was still busy at exit (every transaction is atomic)");
    }
    log::info!("stopped in {} ms", (stopping.elapsed().as_micros() + 500) / 1000);
    outcome
}

/// The name of the task that ended (returned, panicked or was aborted), taken off `names`.
fn ended_task(names: &mut Vec<(tokio::task::Id, &'static str)>, ended: &Result<(tokio::task::Id, ()), tokio::task::JoinError>) -> &'static str {
    let id = match ended {
        Ok((id, ())) => *id,
        Err(e) => e.id(),
    };
    match names.iter().position(|(task, _)| *task == id) {
        Some(at) => names.swap_remove(at).1,
        None => "unknown",
    }
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

/// Brings the deadlines stored by the last run onto this run's clock (see `clock::timeline`):
/// the time that provably passed is charged, a wall-clock jump or a reboot is not.
fn resume_timeline(conn: &mut rusqlite::Connection, timeline: &Timeline, boot_id: &str) -> Result<(), StoreError> {
    let last = store::timeline::last_checkpoint(conn)?;
    let now = clock::read();
    let secs = clock::timeline::shift_at_start(last.as_ref(), boot_id, now);
    store::timeline::shift(conn, secs, &Checkpoint::of(boot_id, now))?;
    timeline.rebase(now);
    if secs != 0 {
        log::warn!("the wall clock moved {secs:+} s against the last run's; remaining times are kept");
    }
    Ok(())
}

/// Once a second: follow a wall-clock jump, record expired sessions. Every few seconds:
/// make sure our nft table is still installed. Errors are logged and retried next tick.
async fn tick(sessions: Sessions, timeline: Arc<Timeline>, boot_id: Arc<str>, mut stopped: watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(EXPIRY_TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut ticks: u32 = 0;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopped.changed() => return,
        }
        ticks = ticks.wrapping_add(1);
        let work = async {
            if let Err(e) = sessions.follow_wall_clock(timeline.clone(), boot_id.clone()).await {
                log::error!("cannot follow the wall clock: {}", crate::error_chain(&e));
            }
            if let Err(e) = sessions.expire_due().await {
                log::error!("expiry check failed: {}", crate::error_chain(&e));
            }
            if ticks % TABLE_CHECK_EVERY_TICKS == 0 {
                if let Err(e) = sessions.ensure_installed().await {
                    log::error!("firewall check failed: {}", crate::error_chain(&e));
                }
            }
        };
        // A stop does not wait for a firewall call under way (it is atomic in the kernel,
        // and the next start rebuilds the table from the database anyway).
        tokio::select! {
            _ = work => {}
            _ = stopped.changed() => return,
        }
    }
}
