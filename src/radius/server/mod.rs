//! The RADIUS server for the NAS devices on the LAN (a MikroTik hotspot, a CoovaChilli or
//! uspot box): UDP authentication and accounting, answering from the same `Sessions` the
//! portal uses. Owns the two sockets and their tasks; the packet work is pure and lives
//! beside it (`auth.rs`, `accounting.rs`), as do the duplicate cache (`dedupe.rs`), the
//! per-NAS queues (`fair.rs`) and the counters (`stats.rs`, shown by `hotspotd status`).
//!
//! A NAS is known by the packet's source address (`config nas`); anything else is dropped
//! and counted, as are packets with a wrong secret, a missing or wrong Message-Authenticator
//! (BlastRADIUS), bad lengths or attributes. Nothing a NAS sends can stop or block the task:
//! decisions run on the store thread (`Sessions` is async), many Access-Requests per
//! transaction (a username unknown here that must be asked of the central RADIUS server is
//! decided on its own, so a slow central holds up nobody else); each NAS has a bounded queue
//! and the queues are served in turn, so a NAS sending a flood fills only its own.
//!
//! Accounting is batched: the datagrams that are ready (up to `ACCT_BATCH`) are recorded in
//! one transaction (`Sessions::nas_accounting`), and every Accounting-Response of the batch
//! is sent only once that returned: recorded durably. On an error nothing is answered (the
//! NAS retransmits). While one batch is written the next one gathers.
//!
//! Stopping: no more datagrams are read; decisions and the batch in hand finish (up to
//! `STOP_GRACE`) and are answered; what was still queued is not (the NASes retransmit).

pub mod accounting;
pub mod auth;
pub mod dedupe;
pub mod fair;
pub mod stats;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use stats::{Counters, Stats, Status};

use crate::access::Refusal;
use crate::radius::dictionary as dict;
use crate::radius::packet::{Packet, PacketRef};
use crate::radius::Nas;
use crate::sessions::nas::{NasAccounting, NasGrant, NasLogin};
use crate::sessions::{SessionError, Sessions};
use dedupe::{Dedupe, Key, Seen};
use fair::Fair;
use stats::Dropped;

/// Largest RADIUS packet (RFC 2865 §3).
const MAX_DATAGRAM: usize = crate::radius::packet::MAX_LEN;
/// Datagrams read per wake-up before the task looks at its other work.
const DRAIN: usize = 256;
/// Access-Requests decided per transaction (each in its own savepoint).
const AUTH_BATCH: usize = 64;
/// Batches being decided at once: while one is written the next one gathers.
const AUTH_BATCHES_IN_FLIGHT: usize = 4;
/// Access-Requests waiting for the central RADIUS server at once (usernames unknown here).
const AUTH_ASKING_CENTRAL: usize = 8;
/// Access-Requests waiting per NAS.
const AUTH_QUEUE_PER_NAS: usize = 256;
/// Accounting-Requests waiting per NAS (a few batches' worth).
const ACCT_QUEUE_PER_NAS: usize = 2048;
/// Accounting-Requests recorded per transaction.
const ACCT_BATCH: usize = 256;
/// Replies kept for retransmissions (RFC 5080), per port.
const AUTH_CACHE: usize = 4096;
const ACCT_CACHE: usize = 8192;
/// At a stop, how long decisions and the batch in hand may take to finish.
const STOP_GRACE: Duration = Duration::from_secs(2);
/// At most one warning a minute per cause of drop (each drop is counted anyway).
const WARN_EVERY: Duration = Duration::from_secs(60);
/// Pause after a socket error, so a persistent one does not spin the task.
const ERROR_PAUSE: Duration = Duration::from_millis(20);

/// What the server is told by `config radius` and the `config nas` sections.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: IpAddr,
    pub auth_port: u16,
    pub acct_port: u16,
    /// Acct-Interim-Interval in every Access-Accept (at least 60).
    pub interim_interval: u32,
    pub nases: Vec<Nas>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen for RADIUS {what} on udp {addr} (is FreeRADIUS or another hotspotd using it? check `config radius` options listen and {what_option})")]
    Bind {
        what: &'static str,
        what_option: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// What a reply needs from its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTo {
    pub identifier: u8,
    pub authenticator: [u8; 16],
    /// Every Proxy-State, in order: echoed as they came.
    pub proxy_states: Vec<Vec<u8>>,
}

impl ReplyTo {
    pub fn of(request: &PacketRef) -> ReplyTo {
        ReplyTo {
            identifier: request.identifier(),
            authenticator: request.authenticator(),
            proxy_states: request.get_all(dict::PROXY_STATE).map(<[u8]>::to_vec).collect(),
        }
    }

    pub fn echo_proxy_states(&self, reply: &mut Packet) {
        for state in &self.proxy_states {
            reply.push(dict::PROXY_STATE, state.clone());
        }
    }
}

/// The configured NASes, found by address.
struct Nases {
    list: Vec<Nas>,
    by_address: HashMap<IpAddr, usize>,
}

impl Nases {
    fn new(list: Vec<Nas>) -> Nases {
        let mut by_address = HashMap::new();
        for (i, nas) in list.iter().enumerate() {
            by_address.entry(nas.address.to_canonical()).or_insert(i);
        }
        Nases { list, by_address }
    }

    fn find(&self, from: SocketAddr) -> Option<(usize, &Nas)> {
        let i = *self.by_address.get(&from.ip().to_canonical())?;
        Some((i, &self.list[i]))
    }
}

/// What both tasks share.
struct Shared {
    nases: Nases,
    interim_interval: u32,
    sessions: Sessions,
    stats: Arc<Stats>,
}

/// The bound sockets, ready to serve.
pub struct Server {
    auth: UdpSocket,
    acct: UdpSocket,
    shared: Arc<Shared>,
}

impl Server {
    /// Binds both ports (an error says which address and why).
    pub async fn bind(settings: Settings, sessions: Sessions) -> Result<Server, ServerError> {
        let auth_addr = SocketAddr::new(settings.listen, settings.auth_port);
        let acct_addr = SocketAddr::new(settings.listen, settings.acct_port);
        let auth = UdpSocket::bind(auth_addr)
            .await
            .map_err(|source| ServerError::Bind { what: "authentication", what_option: "auth_port", addr: auth_addr, source })?;
        let acct = UdpSocket::bind(acct_addr)
            .await
            .map_err(|source| ServerError::Bind { what: "accounting", what_option: "acct_port", addr: acct_addr, source })?;
        // The addresses as bound (a port 0 would be the kernel's choice).
        let auth_addr = auth.local_addr().unwrap_or(auth_addr);
        let acct_addr = acct.local_addr().unwrap_or(acct_addr);
        let names: Vec<&str> = settings.nases.iter().map(|n| n.name.as_str()).collect();
        log::info!("RADIUS authentication listening on udp {auth_addr} for {} NAS ({})", names.len(), names.join(", "));
        log::info!("RADIUS accounting listening on udp {acct_addr}");
        let stats = Arc::new(Stats::new(auth_addr, acct_addr, settings.nases.len()));
        let shared = Shared { nases: Nases::new(settings.nases), interim_interval: settings.interim_interval.max(60), sessions, stats };
        Ok(Server { auth, acct, shared: Arc::new(shared) })
    }

    /// The counters (for the status report).
    pub fn stats(&self) -> Arc<Stats> {
        self.shared.stats.clone()
    }

    /// Serves both ports until `stopped` changes.
    pub async fn run(self, stopped: watch::Receiver<bool>) {
        tokio::join!(
            serve_auth(self.shared.clone(), self.auth, stopped.clone()),
            serve_accounting(self.shared, self.acct, stopped)
        );
    }
}

/// Logs a drop cause at most once a minute (each is counted in any case).
#[derive(Default)]
struct Warnings {
    last: HashMap<&'static str, Instant>,
}

impl Warnings {
    fn dropped(&mut self, stats: &Stats, why: Dropped, from: SocketAddr, port: &str) {
        stats.dropped(why, 1);
        let what = match why {
            Dropped::UnknownNas => "from an address that is no `config nas`",
            Dropped::BadAuthenticator => "with a wrong Request Authenticator (is the NAS's secret the one in `config nas`?)",
            Dropped::MessageAuthenticator => {
                "without a valid Message-Authenticator (wrong secret, or a NAS that sends none: see `option require_message_authenticator`)"
            }
            Dropped::Malformed => "that is not a well-formed request for this port",
            Dropped::QueueFull => "because its NAS's queue is full",
            Dropped::NotRecorded => "because it could not be recorded",
        };
        let now = Instant::now();
        let key = what;
        if self.last.get(key).is_some_and(|at| now.duration_since(*at) < WARN_EVERY) {
            log::debug!("RADIUS {port}: dropped a packet from {from} {what}");
            return;
        }
        self.last.insert(key, now);
        log::warn!("RADIUS {port}: dropped a packet from {from} {what} (counted in `hotspotd status`; said at most once a minute)");
    }
}

/// Reads up to `DRAIN` datagrams: the one `recv_from` waited for, then those already queued.
fn drain(socket: &UdpSocket, buf: &mut [u8], first: (usize, SocketAddr), mut take: impl FnMut(&[u8], SocketAddr)) {
    take(&buf[..first.0.min(buf.len())], first.1);
    for _ in 1..DRAIN {
        match socket.try_recv_from(buf) {
            Ok((n, from)) => take(&buf[..n.min(buf.len())], from),
            Err(_) => break,
        }
    }
}

/// An Access-Request waiting for, or under, its decision.
struct AuthJob {
    key: Key,
    nas: usize,
    to: ReplyTo,
}

type Decision = Result<Result<NasGrant, Refusal>, SessionError>;

/// What a batch decided for one Access-Request.
enum Decided {
    Answer(AuthJob, Decision),
    /// A username unknown here: ask the central RADIUS server (alone).
    AskCentral(AuthJob, NasLogin),
    /// The batch could not be decided (logged once): no answer, the NAS retransmits.
    Unanswered(AuthJob),
}

/// Decides a batch in one transaction. On an error every request goes unanswered (the NASes
/// retransmit).
async fn decide_batch(sessions: Sessions, batch: Vec<(AuthJob, NasLogin)>) -> Vec<Decided> {
    let (jobs, logins): (Vec<AuthJob>, Vec<NasLogin>) = batch.into_iter().unzip();
    match sessions.nas_login_batch(logins).await {
        Ok(decisions) => jobs
            .into_iter()
            .zip(decisions)
            .map(|(job, decision)| match decision {
                Ok(decision) => Decided::Answer(job, Ok(decision)),
                Err(login) => Decided::AskCentral(job, login),
            })
            .collect(),
        Err(e) => {
            log::error!("RADIUS: cannot decide {} Access-Requests (not answered; the NASes retransmit): {}", jobs.len(), crate::error_chain(&e));
            jobs.into_iter().map(Decided::Unanswered).collect()
        }
    }
}

async fn serve_auth(shared: Arc<Shared>, socket: UdpSocket, mut stopped: watch::Receiver<bool>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut cache = Dedupe::new(AUTH_CACHE);
    let mut queue: Fair<(AuthJob, NasLogin)> = Fair::new(shared.nases.list.len(), AUTH_QUEUE_PER_NAS);
    let mut deciding: JoinSet<Vec<Decided>> = JoinSet::new();
    let mut asking: JoinSet<(AuthJob, Decision)> = JoinSet::new();
    let mut warnings = Warnings::default();
    loop {
        tokio::select! {
            biased;
            _ = stopped.changed() => break,
            Some(done) = deciding.join_next() => match done {
                Ok(decided) => {
                    for d in decided {
                        match d {
                            Decided::Answer(job, decision) => answer_auth(&shared, &socket, &mut cache, job, decision).await,
                            Decided::Unanswered(job) => {
                                shared.stats.dropped(Dropped::NotRecorded, 1);
                                cache.forget(&job.key);
                            }
                            Decided::AskCentral(job, login) if asking.len() < AUTH_ASKING_CENTRAL => {
                                let sessions = shared.sessions.clone();
                                asking.spawn(async move { (job, sessions.nas_login(login).await) });
                            }
                            // Too many questions to the central already: the NAS retransmits.
                            Decided::AskCentral(job, _) => {
                                cache.forget(&job.key);
                                warnings.dropped(&shared.stats, Dropped::QueueFull, job.key.from, "authentication");
                            }
                        }
                    }
                }
                Err(e) => log::error!("RADIUS: deciding Access-Requests failed: {e}"),
            },
            Some(done) = asking.join_next() => match done {
                Ok((job, decision)) => answer_auth(&shared, &socket, &mut cache, job, decision).await,
                Err(e) => log::error!("RADIUS: an Access-Request's decision failed: {e}"),
            },
            received = socket.recv_from(&mut buf) => match received {
                Ok(first) => drain(&socket, &mut buf, first, |raw, from| {
                    take_auth(&shared, &socket, &mut cache, &mut queue, &mut warnings, raw, from);
                }),
                Err(e) => {
                    log::debug!("RADIUS authentication: receive failed: {e}");
                    tokio::time::sleep(ERROR_PAUSE).await;
                }
            },
        }
        while deciding.len() < AUTH_BATCHES_IN_FLIGHT && !queue.is_empty() {
            let mut batch = Vec::with_capacity(queue.len().min(AUTH_BATCH));
            while batch.len() < AUTH_BATCH {
                let Some((_, item)) = queue.pop() else { break };
                batch.push(item);
            }
            deciding.spawn(decide_batch(shared.sessions.clone(), batch));
        }
    }
    queue.clear();
    let grace_ends = tokio::time::Instant::now() + STOP_GRACE;
    while let Ok(Some(done)) = tokio::time::timeout_at(grace_ends, deciding.join_next()).await {
        for d in done.unwrap_or_default() {
            if let Decided::Answer(job, decision) = d {
                answer_auth(&shared, &socket, &mut cache, job, decision).await;
            }
        }
    }
    while let Ok(Some(done)) = tokio::time::timeout_at(grace_ends, asking.join_next()).await {
        if let Ok((job, decision)) = done {
            answer_auth(&shared, &socket, &mut cache, job, decision).await;
        }
    }
    deciding.shutdown().await;
    asking.shutdown().await;
}

/// What both ports do first with a datagram: find its NAS by the source address, read it
/// (`read` checks the secret and the packet), and look it up in the duplicate cache. `None`:
/// dropped and counted, or a retransmission (answered again from the cache, or waiting for
/// the answer in progress). Otherwise the NAS's index, what `read` made of it, and its key.
#[allow(clippy::too_many_arguments)]
fn admit<T>(
    shared: &Shared,
    socket: &UdpSocket,
    cache: &mut Dedupe,
    warnings: &mut Warnings,
    raw: &[u8],
    from: SocketAddr,
    port: &'static str,
    read: impl FnOnce(&[u8], &Nas) -> Result<(T, ReplyTo), Dropped>,
) -> Option<(usize, (T, ReplyTo), Key)> {
    let Some((index, nas)) = shared.nases.find(from) else {
        warnings.dropped(&shared.stats, Dropped::UnknownNas, from, port);
        return None;
    };
    let read = match read(raw, nas) {
        Ok(read) => read,
        Err(why) => {
            warnings.dropped(&shared.stats, why, from, port);
            return None;
        }
    };
    let key = Key { from, identifier: read.1.identifier, authenticator: read.1.authenticator };
    match cache.check(key, Instant::now()) {
        Seen::New => Some((index, read, key)),
        Seen::Pending => {
            shared.stats.duplicate();
            None
        }
        Seen::Answered(reply) => {
            shared.stats.duplicate();
            let _ = socket.try_send_to(reply, from);
            None
        }
    }
}

/// One Access-Request datagram: answered from the cache, queued for a decision, or dropped.
fn take_auth(
    shared: &Shared,
    socket: &UdpSocket,
    cache: &mut Dedupe,
    queue: &mut Fair<(AuthJob, NasLogin)>,
    warnings: &mut Warnings,
    raw: &[u8],
    from: SocketAddr,
) {
    let Some((index, (login, to), key)) = admit(shared, socket, cache, warnings, raw, from, "authentication", auth::read) else { return };
    if queue.push(index, (AuthJob { key, nas: index, to }, login)).is_err() {
        cache.forget(&key);
        warnings.dropped(&shared.stats, Dropped::QueueFull, from, "authentication");
    }
}

async fn answer_auth(shared: &Shared, socket: &UdpSocket, cache: &mut Dedupe, job: AuthJob, decision: Decision) {
    let nas = &shared.nases.list[job.nas];
    let reply = match decision {
        Ok(Ok(grant)) => {
            shared.stats.accepted();
            auth::accept(&job.to, nas, &grant, shared.interim_interval)
        }
        Ok(Err(refusal)) => {
            shared.stats.rejected();
            log::debug!("RADIUS: {} refused from NAS {}: {}", job.key.from, nas.name, refusal.code());
            auth::reject(&job.to, nas, &refusal)
        }
        Err(e) => {
            // No answer: the NAS retransmits, and the retransmission is decided anew.
            shared.stats.dropped(Dropped::NotRecorded, 1);
            cache.forget(&job.key);
            log::error!("RADIUS: cannot decide an Access-Request from NAS {}: {}", nas.name, crate::error_chain(&e));
            return;
        }
    };
    if let Err(e) = socket.send_to(&reply, job.key.from).await {
        log::debug!("RADIUS: cannot answer {}: {e}", job.key.from);
    }
    cache.answer(&job.key, reply);
}

/// An Accounting-Request waiting to be recorded, with its response ready.
struct AcctJob {
    key: Key,
    response: Vec<u8>,
}

async fn serve_accounting(shared: Arc<Shared>, socket: UdpSocket, mut stopped: watch::Receiver<bool>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut cache = Dedupe::new(ACCT_CACHE);
    let mut queue: Fair<(AcctJob, NasAccounting)> = Fair::new(shared.nases.list.len(), ACCT_QUEUE_PER_NAS);
    let mut writing: JoinSet<(Vec<AcctJob>, Result<(), SessionError>)> = JoinSet::new();
    let mut warnings = Warnings::default();
    loop {
        tokio::select! {
            biased;
            _ = stopped.changed() => break,
            Some(done) = writing.join_next() => {
                match done {
                    Ok((jobs, written)) => answer_batch(&shared, &socket, &mut cache, jobs, written).await,
                    Err(e) => log::error!("RADIUS: recording an accounting batch failed: {e}"),
                }
            }
            received = socket.recv_from(&mut buf) => match received {
                Ok(first) => drain(&socket, &mut buf, first, |raw, from| {
                    take_accounting(&shared, &socket, &mut cache, &mut queue, &mut warnings, raw, from);
                }),
                Err(e) => {
                    log::debug!("RADIUS accounting: receive failed: {e}");
                    tokio::time::sleep(ERROR_PAUSE).await;
                }
            },
        }
        if writing.is_empty() && !queue.is_empty() {
            let size = queue.len().min(ACCT_BATCH);
            let mut jobs = Vec::with_capacity(size);
            let mut records = Vec::with_capacity(size);
            for _ in 0..size {
                let Some((_, (job, record))) = queue.pop() else { break };
                jobs.push(job);
                records.push(record);
            }
            let sessions = shared.sessions.clone();
            writing.spawn(async move {
                let written = sessions.nas_accounting(records).await;
                (jobs, written)
            });
        }
    }
    queue.clear();
    let grace_ends = tokio::time::Instant::now() + STOP_GRACE;
    while let Ok(Some(done)) = tokio::time::timeout_at(grace_ends, writing.join_next()).await {
        if let Ok((jobs, written)) = done {
            answer_batch(&shared, &socket, &mut cache, jobs, written).await;
        }
    }
    writing.shutdown().await;
}

/// One Accounting-Request datagram: answered from the cache, queued, or dropped.
fn take_accounting(
    shared: &Shared,
    socket: &UdpSocket,
    cache: &mut Dedupe,
    queue: &mut Fair<(AcctJob, NasAccounting)>,
    warnings: &mut Warnings,
    raw: &[u8],
    from: SocketAddr,
) {
    let Some((index, (record, to), key)) = admit(shared, socket, cache, warnings, raw, from, "accounting", accounting::read) else { return };
    let job = AcctJob { key, response: accounting::response(&to, &shared.nases.list[index]) };
    if queue.push(index, (job, record)).is_err() {
        cache.forget(&key);
        warnings.dropped(&shared.stats, Dropped::QueueFull, from, "accounting");
    }
}

async fn answer_batch(shared: &Shared, socket: &UdpSocket, cache: &mut Dedupe, jobs: Vec<AcctJob>, written: Result<(), SessionError>) {
    if let Err(e) = written {
        // Nothing is answered: every NAS retransmits, and the retransmissions are recorded anew.
        shared.stats.dropped(Dropped::NotRecorded, jobs.len() as u32);
        for job in &jobs {
            cache.forget(&job.key);
        }
        log::error!("RADIUS: cannot record {} Accounting-Requests (not answered; the NASes retransmit): {}", jobs.len(), crate::error_chain(&e));
        return;
    }
    shared.stats.accounting_recorded(jobs.len() as u32);
    for job in jobs {
        if let Err(e) = socket.send_to(&job.response, job.key.from).await {
            log::debug!("RADIUS: cannot answer {}: {e}", job.key.from);
        }
        cache.answer(&job.key, job.response);
    }
}
