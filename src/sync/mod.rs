//! Sync with the central server (`config sync`): the router sends what changed and takes
//! the central's orders, over exchanges it starts itself (outbound HTTPS only; the router
//! needs no public address). The router decides; the central receives copies and sends
//! instructions, which go through the same operations as the CLI and the portal.
//!
//! One task runs one exchange at a time: the outbox's oldest events (`store::outbox`, each
//! written in the transaction of its change) go out in order with their sequence numbers,
//! and only the central's acknowledgement deletes them; what the central has for the router
//! comes back in the answer and is applied once by its id (`apply`). With nothing to send,
//! an exchange waits at the central for news (a long-poll), so an order reaches an online
//! router within seconds. Unreachable: the outbox keeps growing (bounded: usage and refusal
//! counts coalesce) and exchanges are retried with a growing pause up to the interval.
//!
//! `wire`: the protocol (shared with the central server); `exchange`: one signed HTTP
//! exchange; `apply`: the central's items.

pub mod apply;
pub mod exchange;
pub mod wire;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::watch;

use self::apply::Applier;
use self::exchange::{Credentials, ExchangeError};
use self::wire::{ExchangeRequest, RouterStatus, WireEvent};
use crate::config::SyncConfig;
use crate::http_client::share::Share;
use crate::http_client::HttpClient;
use crate::store::{outbox, sync as sync_rows, StoreError};

/// Request counters reserved at a time (one database write per this many exchanges).
const COUNTER_BLOCK: u64 = 1000;
/// The first pause after a failed exchange; it doubles up to the interval.
const FIRST_RETRY: Duration = Duration::from_secs(2);
/// Slack on top of the long-poll for the answer to arrive.
const ANSWER_SLACK: Duration = Duration::from_secs(20);

/// What `hotspotd status` says about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub url: String,
    pub router_id: i64,
    /// Events waiting for the central's acknowledgement.
    pub backlog: i64,
    /// When an exchange last succeeded (router time).
    pub last_success: Option<i64>,
    /// Why the last exchange failed, in words (`None` once one succeeds).
    pub last_error: Option<String>,
    /// Items from the central applied since the daemon started.
    pub applied: u64,
}

/// The sync task's state, shared with the status report.
#[derive(Debug, Clone, Default)]
pub struct SyncHealth(Arc<Mutex<SyncReport>>);

impl SyncHealth {
    pub fn report(&self) -> SyncReport {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn update(&self, f: impl FnOnce(&mut SyncReport)) {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// Everything the sync task uses.
pub struct SyncTask {
    pub config: SyncConfig,
    pub applier: Applier,
    pub health: SyncHealth,
    pub started: Instant,
    pub database: std::path::PathBuf,
    pub ca_bundle: std::path::PathBuf,
}

/// What the task reads from the database before an exchange.
struct Outgoing {
    events: Vec<outbox::Recorded>,
    backlog: i64,
    devices_online: i64,
    stream: String,
}

/// Runs exchanges until `stopped`.
pub async fn run(task: SyncTask, mut stopped: watch::Receiver<bool>) {
    let SyncTask { config, applier, health, started, database, ca_bundle } = task;
    let store = applier.store.clone();
    let wait = config.interval.min(Duration::from_secs(u64::from(wire::MAX_WAIT_SECS)));
    let http = HttpClient::with_ca_bundle(wait + ANSWER_SLACK, &ca_bundle);
    let calls = Share::new("central", crate::http_client::share::SYNC_CALLS);
    health.update(|r| {
        r.url = crate::http_client::shown_url(&config.url);
        r.router_id = config.router_id;
    });
    let mut counters = 0..0u64;
    let mut pause = Duration::ZERO;
    loop {
        if !pause.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stopped.changed() => return,
            }
        }
        if *stopped.borrow() {
            return;
        }
        if counters.is_empty() {
            match store.call(|conn| sync_rows::reserve_counters(conn, COUNTER_BLOCK)).await {
                Ok(first) => counters = first..first + COUNTER_BLOCK,
                Err(e) => {
                    log::error!("sync: cannot reserve request counters: {}", crate::error_chain(&e));
                    pause = config.interval;
                    continue;
                }
            }
        }
        let counter = counters.next().expect("refilled above");
        let began = Instant::now();
        let outcome = tokio::select! {
            outcome = exchange_once(&config, &applier, &http, &calls, counter, wait, started, &database) => outcome,
            _ = stopped.changed() => return,
        };
        match outcome {
            Ok(Turn { backlog, more }) => {
                let now = applier.sessions.now();
                health.update(|r| {
                    r.backlog = backlog;
                    r.last_success = Some(now);
                    r.last_error = None;
                    r.applied += more.applied;
                });
                // Straight on: the next exchange sends what is left or waits at the central.
                // A central that answered a wait at once with nothing (one without
                // long-polls) is not asked again in a tight loop.
                let answered_at_once = more.waited && more.applied == 0 && began.elapsed() < Duration::from_secs(1);
                pause = if answered_at_once && !more.events { config.interval } else { Duration::ZERO };
            }
            Err(e) => {
                let words = crate::error_chain(&e);
                log::warn!("sync: {words}");
                let backlog = store.call(|conn| outbox::backlog(conn)).await.unwrap_or(-1);
                health.update(|r| {
                    r.backlog = backlog;
                    r.last_error = Some(words);
                });
                pause = if pause.is_zero() { FIRST_RETRY } else { (pause * 2).min(config.interval) };
            }
        }
    }
}

/// What one successful exchange left.
struct Turn {
    backlog: i64,
    more: More,
}

struct More {
    /// More events wait than one batch holds.
    events: bool,
    /// Items applied (their results are to be sent).
    applied: u64,
    /// The exchange asked the central to wait for news (a long-poll).
    waited: bool,
}

#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    #[error("the upstream threads are busy or stopping")]
    Busy,
}

#[allow(clippy::too_many_arguments)]
async fn exchange_once(
    config: &SyncConfig,
    applier: &Applier,
    http: &HttpClient,
    calls: &Share,
    counter: u64,
    wait: Duration,
    started: Instant,
    database: &std::path::Path,
) -> Result<Turn, SyncError> {
    let store = &applier.store;
    let now = applier.sessions.now();
    let limit = wire::MAX_BATCH_EVENTS as u32;
    let out = store
        .call(move |conn| {
            sync_rows::report_refusals(conn, now)?;
            let stream = sync_rows::stream(conn)?;
            let tx = conn.transaction()?;
            let events = outbox::unsent(&tx, 0, limit)?;
            if let Some(last) = events.last() {
                outbox::mark_sent(&tx, last.id, now)?;
            }
            let backlog = outbox::backlog(&tx)?;
            let devices_online: i64 = tx.query_row("SELECT count(*) FROM sessions WHERE status = 'active'", [], |r| r.get(0))?;
            tx.commit()?;
            Ok(Outgoing { events, backlog, devices_online, stream })
        })
        .await?;
    let full = out.events.len() == limit as usize;
    let waits = out.events.is_empty();
    let request = ExchangeRequest {
        events: out
            .events
            .iter()
            .filter_map(|e| {
                // A row that is not JSON cannot have been written by `outbox::record`; it is
                // sent as a string rather than holding up everything behind it.
                let event = match RawValue::from_string(e.payload.clone()) {
                    Ok(event) => event,
                    Err(_) => RawValue::from_string(serde_json::to_string(&e.payload).ok()?).ok()?,
                };
                Some(WireEvent { seq: e.id, at: e.created_at, clock_trusted: e.clock_trusted, event })
            })
            .collect(),
        status: RouterStatus {
            version: env!("CARGO_PKG_VERSION").into(),
            uptime_secs: started.elapsed().as_secs() as i64,
            devices_online: out.devices_online,
            clock_trusted: crate::clock::last_trusted(),
            router_time: now,
            db_bytes: std::fs::metadata(database).map_or(0, |m| m.len() as i64),
            backlog: out.backlog,
        },
        wait_secs: if waits { wait.as_secs() as u32 } else { 0 },
    };
    let (http, url, key, stream, router_id) = (http.clone(), config.url.clone(), config.key.expose().as_bytes().to_vec(), out.stream, config.router_id);
    let answer = calls
        .call(None, move || {
            let who = Credentials { router_id, key: &key, stream: &stream };
            exchange::exchange(&http, &url, &who, counter, &request)
        })
        .await
        .map_err(|_| SyncError::Busy)??;
    let backlog = match answer.acked_seq {
        Some(seq) => store.call(move |conn| outbox::acknowledge(conn, seq).and_then(|_| outbox::backlog(conn))).await?,
        None => out.backlog,
    };
    let mut applied = 0;
    for item in answer.items {
        applier.apply(item).await?;
        applied += 1;
    }
    Ok(Turn { backlog, more: More { events: full, applied, waited: waits } })
}
