//! Load generator for the central server (`scripts/bench-central.sh`, issue 12 §4): N
//! simulated routers against one or more `hotspotd-central` processes, plus an operator who
//! sends a command to a random router every second. Run as
//! `cargo run --release --features central --example central_load -- --routers FILE
//! --central HOST:PORT [--central HOST:PORT…] --token TOKEN [options]`.
//!
//! Each router (a line `ID KEY` of `--routers`, as `hotspotd-central router add` prints
//! them) keeps one HTTP/1.1 connection to its central (router i goes to central i mod K) and
//! behaves as a real router's sync loop does, one exchange at a time: while it has nothing to
//! send it holds a long-poll exchange open (`wait_secs` 50, or less when its next batch is
//! due sooner); every `--interval` seconds (the first one at a random offset, so the fleet is
//! spread evenly) it sends a realistic batch — payments started and confirmed or failed, the
//! accounts and sessions they opened, sessions ended, one usage row — as
//! `store::outbox::Event` JSON with its own stream, increasing counters and sequence numbers,
//! signed with its key. Every response's signature is checked against the request it
//! answers, and `acked_seq` must be exactly the highest sequence number sent. Each item is
//! applied once by id and answered with a `command_result` event, sent at once.
//!
//! The operator posts `{"kind":"kick","mac":…}` to `POST /api/v1/routers/{id}/commands`
//! (`--commands-per-sec`, default 1, central chosen round robin) and the time from the post
//! to the moment that router's exchange hands it the item is the command delivery latency.
//!
//! Routers connect during the first `--ramp` seconds; figures count what starts in the
//! `--seconds` that follow. The last line on stdout is the result as `key=value` pairs;
//! progress goes to stderr every 10 s.

mod conn;
mod figures;
mod router;

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hotspotd::store::accounts::AccountSource;
use hotspotd::store::outbox::Event;
use hotspotd::store::payments::{PaymentFailure, PaymentStatus};
use hotspotd::store::sessions::{EndMethod, EndReason};
use hotspotd::sync::wire::{
    response_signed, sign_request, ExchangeRequest, ExchangeResponse, Order, RequestHead, RouterStatus, WireEvent, EXCHANGE_PATH,
    HEADER_COUNTER, HEADER_ROUTER, HEADER_SIGNATURE, HEADER_STREAM, MAX_BATCH_EVENTS,
};
use serde_json::value::RawValue;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

use conn::*;
use figures::*;
use router::*;

/// The command line.
struct Options {
    routers_file: String,
    centrals: Vec<SocketAddr>,
    token: String,
    seconds: u64,
    ramp_secs: u64,
    interval_secs: u64,
    wait_secs: u32,
    commands_per_sec: f64,
    /// Routers' connections come from this many loopback addresses (127.0.0.2…), for a
    /// central that caps connections per address; 0: the kernel picks.
    source_ips: u32,
    threads: usize,
}

fn options() -> Result<Options, lexopt::Error> {
    use lexopt::prelude::*;
    let mut o = Options {
        routers_file: String::new(),
        centrals: Vec::new(),
        token: String::new(),
        seconds: 180,
        ramp_secs: 30,
        interval_secs: 60,
        wait_secs: 50,
        commands_per_sec: 1.0,
        source_ips: 0,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("routers") => o.routers_file = parser.value()?.string()?,
            Long("central") => o.centrals.push(parser.value()?.parse()?),
            Long("token") => o.token = parser.value()?.string()?,
            Long("seconds") => o.seconds = parser.value()?.parse()?,
            Long("ramp") => o.ramp_secs = parser.value()?.parse()?,
            Long("interval") => o.interval_secs = parser.value()?.parse()?,
            Long("wait") => o.wait_secs = parser.value()?.parse()?,
            Long("commands-per-sec") => o.commands_per_sec = parser.value()?.parse()?,
            Long("source-ips") => o.source_ips = parser.value()?.parse()?,
            Long("threads") => o.threads = parser.value()?.parse()?,
            _ => return Err(arg.unexpected()),
        }
    }
    if o.routers_file.is_empty() || o.centrals.is_empty() {
        return Err("--routers FILE and at least one --central HOST:PORT are required".into());
    }
    Ok(o)
}

fn percentile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

fn read_routers(path: &str) -> Result<Vec<(i64, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut words = l.split_whitespace();
            let id = words.next().and_then(|w| w.parse().ok());
            let key = words.next();
            match (id, key) {
                (Some(id), Some(key)) => Ok((id, key.to_string())),
                _ => Err(format!("{path}: not `ID KEY`: {l}")),
            }
        })
        .collect()
}

fn main() {
    let options = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("central_load: {e}");
            std::process::exit(2);
        }
    };
    let routers = match read_routers(&options.routers_file) {
        Ok(r) if !r.is_empty() => r,
        Ok(_) => {
            eprintln!("central_load: {} holds no routers", options.routers_file);
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("central_load: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(options.threads).enable_all().build().expect("a runtime");
    runtime.block_on(run(options, routers));
}

async fn run(options: Options, routers: Vec<(i64, String)>) {
    let start = Instant::now();
    let window_start = start + Duration::from_secs(options.ramp_secs);
    let timing = Timing {
        start,
        window_start,
        window_end: window_start + Duration::from_secs(options.seconds),
        interval: Duration::from_secs(options.interval_secs),
        wait_secs: options.wait_secs,
    };
    let figures = Arc::new(Figures {
        failures: Default::default(),
        sync_us: Mutex::new(Vec::new()),
        events_acked: AtomicU64::new(0),
        events_total: AtomicU64::new(0),
        exchanges: AtomicU64::new(0),
        connected: AtomicI64::new(0),
        posted: Mutex::new(HashMap::new()),
        delivered: Mutex::new(HashMap::new()),
        first_failure: Mutex::new(HashMap::new()),
    });
    let ids = Arc::new(routers.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    let count = routers.len();
    for (i, (id, key)) in routers.into_iter().enumerate() {
        let target = options.centrals[i % options.centrals.len()];
        let source = (options.source_ips > 0 && target.ip().is_loopback()).then(|| Ipv4Addr::new(127, 0, 0, 2 + (i as u32 % options.source_ips) as u8));
        tokio::spawn(run_router(Router::new(id, key), target, source, timing, figures.clone()));
    }
    tokio::spawn(run_operator(ids, options.centrals.clone(), options.token.clone(), options.commands_per_sec, timing, figures.clone()));
    eprintln!(
        "central_load: {count} routers against {:?}: connecting over {} s, then measuring {} s",
        options.centrals, options.ramp_secs, options.seconds
    );
    let mut report = tokio::time::interval_at((start + Duration::from_secs(10)).into(), Duration::from_secs(10));
    let mut reported = 0;
    while Instant::now() < timing.window_end {
        report.tick().await;
        let failures: u64 = figures.failures.iter().map(|f| f.load(Ordering::Relaxed)).sum();
        // The syncs that finished since the last line: where a stall shows.
        let mut recent = {
            let all = figures.sync_us.lock().unwrap();
            let recent = all[reported..].to_vec();
            reported = all.len();
            recent
        };
        recent.sort_unstable();
        eprintln!(
            "central_load: t={:>4}s connected={} exchanges={} events_acked={} commands_delivered={} failures={failures} last_10s: syncs={} p50_ms={:.0} p99_ms={:.0} max_ms={:.0}",
            start.elapsed().as_secs(),
            figures.connected.load(Ordering::Relaxed),
            figures.exchanges.load(Ordering::Relaxed),
            figures.events_acked.load(Ordering::Relaxed),
            figures.delivered.lock().unwrap().len(),
            recent.len(),
            percentile(&recent, 0.5),
            percentile(&recent, 0.99),
            percentile(&recent, 1.0),
        );
    }
    let connected_at_end = figures.connected.load(Ordering::Relaxed);
    let mut sync = std::mem::take(&mut *figures.sync_us.lock().unwrap());
    sync.sort_unstable();
    let posted = figures.posted.lock().unwrap().clone();
    let delivered = figures.delivered.lock().unwrap().clone();
    let mut command_us = Vec::new();
    let mut misrouted = 0;
    for (id, (router, at)) in &posted {
        if let Some((to, when)) = delivered.get(id) {
            if to != router {
                misrouted += 1;
            }
            command_us.push(when.saturating_duration_since(*at).as_micros() as u64);
        }
    }
    command_us.sort_unstable();
    let failures: Vec<u64> = figures.failures.iter().map(|f| f.load(Ordering::Relaxed)).collect();
    for (kind, words) in figures.first_failure.lock().unwrap().iter() {
        eprintln!("central_load: first {} failure: {words}", FAILURE_NAMES[*kind]);
    }
    let mut line = format!(
        "routers={count} centrals={} seconds={} connected_at_end={connected_at_end} events={} events_total={} events_per_s={:.1} syncs={} sync_p50_ms={:.1} sync_p99_ms={:.1} sync_max_ms={:.1} commands_posted={} commands_delivered={} commands_misrouted={misrouted} command_p50_ms={:.1} command_p99_ms={:.1} command_max_ms={:.1}",
        options.centrals.len(),
        options.seconds,
        figures.events_acked.load(Ordering::Relaxed),
        figures.events_total.load(Ordering::Relaxed),
        figures.events_acked.load(Ordering::Relaxed) as f64 / options.seconds as f64,
        sync.len(),
        percentile(&sync, 0.50),
        percentile(&sync, 0.99),
        percentile(&sync, 1.0),
        posted.len(),
        command_us.len(),
        percentile(&command_us, 0.50),
        percentile(&command_us, 0.99),
        percentile(&command_us, 1.0),
    );
    line.push_str(&format!(" errors={}", failures.iter().sum::<u64>()));
    for (name, n) in FAILURE_NAMES.iter().zip(&failures) {
        line.push_str(&format!(" err_{name}={n}"));
    }
    println!("{line}");
    std::process::exit(0);
}
