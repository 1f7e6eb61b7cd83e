//! The task that sends the accounting outbox to the central server: Accounting-On first,
//! then the queued rows oldest first, up to `WINDOW` at once but never two of one session
//! (so a Start is answered before its Stop goes), each retransmitted with the same bytes
//! until answered or given up; a row is deleted only when a valid Accounting-Response
//! (`crypto::reply_valid`) for it arrives. When the central server stops answering, one row
//! at a time probes it, with growing pauses; the table is the truth, so a restart or a week
//! offline loses nothing. Accounting-Off at a clean stop, within a second.
//!
//! Never blocks the runtime: a tokio UDP socket, the database through `Store`. Memory is
//! bounded: at most `READ_AHEAD` rows read at a time, `WINDOW` packets in flight.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::time::Instant;

use super::packets::{self, Identity};
use super::queue::{self, Queued};
use crate::clock::Clock;
use crate::config::RadiusUpstreamConfig;
use crate::radius::crypto;
use crate::radius::dictionary::{ACCT_STATUS_ACCOUNTING_OFF, ACCT_STATUS_ACCOUNTING_ON};
use crate::radius::packet::Packet;
use crate::store::Store;

/// Packets in flight at once while the central server answers.
const WINDOW: usize = 32;
/// Rows read from the head of the outbox at a time (in flight, held back behind an earlier
/// row of their session, or to send).
const READ_AHEAD: u32 = 96;
/// A packet is sent again, the same bytes, after each of these; after the last the attempt
/// has failed (14 s in all).
const RETRANSMIT_AFTER: [Duration; 3] = [Duration::from_secs(2), Duration::from_secs(4), Duration::from_secs(8)];
/// Pause after a failed attempt before the next probe, doubling up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How often the outbox is looked at for new rows while there is room in the window.
const POLL: Duration = Duration::from_secs(1);
/// Accounting-Off at a clean stop: sent twice, this long apart, answered or not.
const OFF_WAIT: Duration = Duration::from_millis(500);

/// What a packet in flight is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Row { id: i64, session_id: i64 },
    On,
}

struct InFlight {
    what: What,
    identifier: u8,
    authenticator: [u8; 16],
    raw: Vec<u8>,
    sends: usize,
    next_at: Instant,
}

struct Forwarder {
    store: Store,
    clock: Arc<dyn Clock>,
    secret: Vec<u8>,
    server: SocketAddr,
    nas_identifier: String,
    socket: Option<UdpSocket>,
    identity: Identity,
    in_flight: Vec<InFlight>,
    next_identifier: u8,
    /// The Accounting-On still to be answered (its Event-Timestamp).
    on_pending: Option<i64>,
    /// Whether the last attempt was answered: if not, one packet at a time.
    answering: bool,
    backoff: Duration,
    resume_at: Instant,
    next_poll: Instant,
    /// Rows answered, not yet deleted.
    acked: Vec<i64>,
    /// The last error written to the status, so the same one is not rewritten each probe.
    last_error: Option<String>,
}

/// Runs until `stopped`; never returns early (errors are logged and retried).
pub async fn run(store: Store, clock: Arc<dyn Clock>, config: RadiusUpstreamConfig, mut stopped: watch::Receiver<bool>) {
    let now = Instant::now();
    let started_at = clock.now();
    let mut f = Forwarder {
        store,
        clock,
        secret: config.secret.into_bytes(),
        server: SocketAddr::new(config.server, config.acct_port),
        identity: Identity { nas_identifier: config.nas_identifier.clone(), nas_ip: None },
        nas_identifier: config.nas_identifier,
        socket: None,
        in_flight: Vec::with_capacity(WINDOW),
        next_identifier: 0,
        on_pending: Some(started_at),
        answering: true,
        backoff: FIRST_BACKOFF,
        resume_at: now,
        next_poll: now,
        acked: Vec::new(),
        last_error: None,
    };
    log::info!("accounting to the central RADIUS server {} as {}", f.server, f.nas_identifier);
    let mut buf = vec![0u8; 4096];
    loop {
        if *stopped.borrow() {
            break;
        }
        f.fill().await;
        let wake = f.wake_at();
        tokio::select! {
            received = recv(f.socket.as_ref(), &mut buf) => {
                f.received(received, &buf).await;
                while let Some(Ok(n)) = f.socket.as_ref().map(|s| s.try_recv(&mut buf)) {
                    f.answer(&buf[..n]).await;
                }
            }
            _ = tokio::time::sleep_until(wake) => f.timeouts().await,
            _ = stopped.changed() => break,
        }
        f.flush().await;
    }
    f.flush().await;
    f.accounting_off().await;
}

/// Receives on the socket, or waits forever when there is none.
async fn recv(socket: Option<&UdpSocket>, buf: &mut [u8]) -> std::io::Result<usize> {
    match socket {
        Some(s) => s.recv(buf).await,
        None => std::future::pending().await,
    }
}

impl Forwarder {
    fn window(&self) -> usize {
        if self.answering {
            WINDOW
        } else {
            1
        }
    }

    /// When to look again: the next retransmission, or when the window may take more.
    fn wake_at(&self) -> Instant {
        let retransmit = self.in_flight.iter().map(|e| e.next_at).min();
        let on_in_flight = self.in_flight.iter().any(|e| e.what == What::On);
        let room = self.in_flight.len() < self.window() && !(self.on_pending.is_some() && on_in_flight);
        let fill = room.then(|| if self.on_pending.is_some() { self.resume_at } else { self.next_poll.max(self.resume_at) });
        match (retransmit, fill) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => Instant::now() + POLL,
        }
    }

    /// A connected socket, made when first needed (the uplink may be down at start).
    async fn socket(&mut self) -> Option<&UdpSocket> {
        if self.socket.is_none() {
            let any: SocketAddr = match self.server.ip() {
                IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
                IpAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
            };
            let made = async {
                let s = UdpSocket::bind(any).await?;
                s.connect(self.server).await?;
                Ok::<_, std::io::Error>(s)
            };
            match made.await {
                Ok(s) => {
                    self.identity.nas_ip = match s.local_addr() {
                        Ok(SocketAddr::V4(a)) if !a.ip().is_unspecified() => Some(*a.ip()),
                        _ => None,
                    };
                    self.socket = Some(s);
                }
                Err(e) => {
                    let error = format!("cannot reach {}: {e}", self.server);
                    self.failed(None, error).await;
                    return None;
                }
            }
        }
        self.socket.as_ref()
    }

    fn identifier(&mut self) -> u8 {
        loop {
            let id = self.next_identifier;
            self.next_identifier = self.next_identifier.wrapping_add(1);
            if !self.in_flight.iter().any(|e| e.identifier == id) {
                return id;
            }
        }
    }

    /// Sends what the window has room for: the Accounting-On first, then rows in order.
    async fn fill(&mut self) {
        let now = Instant::now();
        if now < self.resume_at || self.in_flight.len() >= self.window() {
            return;
        }
        if let Some(event_at) = self.on_pending {
            if !self.in_flight.iter().any(|e| e.what == What::On) {
                let id = self.identifier();
                let p = packets::accounting_on_off(ACCT_STATUS_ACCOUNTING_ON, &self.identity, id, event_at, self.clock.now());
                self.send_new(What::On, p).await;
            }
            return;
        }
        if now < self.next_poll {
            return;
        }
        self.next_poll = now + POLL;
        let rows = match self.store.call(|conn| queue::oldest(conn, READ_AHEAD)).await {
            Ok(rows) => rows,
            Err(e) => return log::error!("cannot read the central accounting outbox: {}", crate::error_chain(&e)),
        };
        let mut busy: HashSet<i64> = HashSet::new();
        let in_flight: HashSet<i64> = self
            .in_flight
            .iter()
            .filter_map(|e| match e.what {
                What::Row { id, session_id } => {
                    busy.insert(session_id);
                    Some(id)
                }
                What::On => None,
            })
            .collect();
        for row in rows {
            if self.in_flight.len() >= self.window() {
                break;
            }
            if in_flight.contains(&row.id) || !busy.insert(row.session_id) {
                continue;
            }
            self.send_row(&row).await;
        }
    }

    async fn send_row(&mut self, row: &Queued) {
        let id = self.identifier();
        let p = packets::accounting_request(row, &self.identity, id, self.clock.now());
        self.send_new(What::Row { id: row.id, session_id: row.session_id }, p).await;
    }

    async fn send_new(&mut self, what: What, packet: Packet) {
        if self.socket().await.is_none() {
            return;
        }
        let raw = crypto::encode_request(&packet, &self.secret);
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(&raw[4..20]);
        let entry = InFlight { what, identifier: packet.identifier, authenticator, raw, sends: 0, next_at: Instant::now() };
        self.in_flight.push(entry);
        let last = self.in_flight.len() - 1;
        self.transmit(last).await;
    }

    async fn transmit(&mut self, at: usize) {
        let Some(socket) = self.socket.as_ref() else { return };
        let entry = &mut self.in_flight[at];
        entry.next_at = Instant::now() + RETRANSMIT_AFTER[entry.sends.min(RETRANSMIT_AFTER.len() - 1)];
        entry.sends += 1;
        if let Err(e) = socket.send(&entry.raw).await {
            // Offline (no route): the retransmission timer goes on; the error is noted.
            let error = format!("cannot send to {}: {e}", self.server);
            self.note_error(error).await;
        }
    }

    async fn received(&mut self, received: std::io::Result<usize>, buf: &[u8]) {
        match received {
            Ok(n) => self.answer(&buf[..n]).await,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                // Nothing listens there (an ICMP port unreachable): retransmitting is
                // pointless, every packet in flight has failed; the rows stay queued.
                let error = format!("{} refused the packets (nothing listens there: is the central RADIUS server running?)", self.server);
                let head = self.in_flight.iter().find_map(|e| match e.what {
                    What::Row { id, .. } => Some(id),
                    What::On => None,
                });
                self.in_flight.clear();
                self.failed(head, error).await;
            }
            Err(e) => {
                let error = format!("cannot receive from {}: {e}", self.server);
                self.note_error(error).await;
            }
        }
    }

    /// A datagram from the central: a valid Accounting-Response for a packet in flight
    /// settles it; anything else is ignored (a bad one is noted).
    async fn answer(&mut self, raw: &[u8]) {
        if raw.len() < 20 || raw[0] != 5 {
            return;
        }
        let Some(at) = self.in_flight.iter().position(|e| e.identifier == raw[1]) else { return };
        if !crypto::reply_valid(raw, &self.in_flight[at].authenticator, &self.secret) {
            let error = format!("an answer from {} did not verify (is the secret the same on both sides?)", self.server);
            return self.note_error(error).await;
        }
        let entry = self.in_flight.swap_remove(at);
        self.answering = true;
        self.next_poll = Instant::now();
        match entry.what {
            What::Row { id, .. } => self.acked.push(id),
            What::On => {
                self.on_pending = None;
                log::info!("the central RADIUS server {} acknowledged Accounting-On", self.server);
                let now = self.clock.now();
                if let Err(e) = self.store.call(move |conn| queue::note_answer(conn, now)).await {
                    log::warn!("cannot record the central's answer: {}", crate::error_chain(&e));
                }
            }
        }
    }

    /// Deletes the rows answered since the last call, in one transaction.
    async fn flush(&mut self) {
        if self.acked.is_empty() {
            return;
        }
        let ids = std::mem::take(&mut self.acked);
        let now = self.clock.now();
        let count = ids.len();
        if let Err(e) = self.store.call(move |conn| queue::acknowledge(conn, &ids, now)).await {
            // The rows stay and go again: the central records them idempotently.
            log::error!("cannot delete {count} answered accounting rows: {}", crate::error_chain(&e));
        }
    }

    /// Retransmits what is due; gives up attempts that used every retransmission.
    async fn timeouts(&mut self) {
        let now = Instant::now();
        let mut at = 0;
        while at < self.in_flight.len() {
            let entry = &self.in_flight[at];
            if entry.next_at > now {
                at += 1;
                continue;
            }
            if entry.sends < RETRANSMIT_AFTER.len() {
                self.transmit(at).await;
                at += 1;
                continue;
            }
            // The central has gone quiet: everything in flight has failed with it (the rows
            // stay queued), and one packet at a time probes it from now on.
            let sends = entry.sends;
            let row = match entry.what {
                What::Row { id, .. } => Some(id),
                What::On => None,
            };
            self.in_flight.clear();
            let error = format!("no answer from {} ({sends} sends over {} s)", self.server, RETRANSMIT_AFTER.iter().map(Duration::as_secs).sum::<u64>());
            return self.failed(row, error).await;
        }
    }

    /// An attempt went unanswered: one packet at a time from now on, after a pause.
    async fn failed(&mut self, row: Option<i64>, error: String) {
        if self.answering {
            log::warn!("central RADIUS accounting: {error}; rows wait in the outbox and are retried");
        }
        if self.answering {
            self.backoff = FIRST_BACKOFF;
        } else {
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        }
        self.answering = false;
        self.resume_at = Instant::now() + self.backoff;
        let now = self.clock.now();
        self.last_error = Some(error.clone());
        if let Err(e) = self.store.call(move |conn| queue::note_failure(conn, row, &error, now)).await {
            log::warn!("cannot record the central's failure: {}", crate::error_chain(&e));
        }
    }

    /// Records an error for `hotspotd status` (once while it stays the same).
    async fn note_error(&mut self, error: String) {
        if self.last_error.as_deref() == Some(error.as_str()) {
            return;
        }
        log::warn!("central RADIUS accounting: {error}");
        self.last_error = Some(error.clone());
        let now = self.clock.now();
        if let Err(e) = self.store.call(move |conn| queue::note_failure(conn, None, &error, now)).await {
            log::warn!("cannot record the central's failure: {}", crate::error_chain(&e));
        }
    }

    /// Best effort at a clean stop: two sends, `OFF_WAIT` apart, an answer ends it early; one
    /// send and no wait when the central was not answering anyway.
    async fn accounting_off(&mut self) {
        if self.socket.is_none() {
            return;
        }
        self.in_flight.clear();
        let id = self.identifier();
        let now = self.clock.now();
        let p = packets::accounting_on_off(ACCT_STATUS_ACCOUNTING_OFF, &self.identity, id, now, now);
        let raw = crypto::encode_request(&p, &self.secret);
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(&raw[4..20]);
        let Some(socket) = self.socket.as_ref() else { return };
        let mut buf = [0u8; 4096];
        for _ in 0..2 {
            if socket.send(&raw).await.is_err() {
                return;
            }
            if !self.answering {
                // The central was not answering: tell it, but do not make the stop wait.
                return;
            }
            let answered = tokio::time::timeout(OFF_WAIT, async {
                loop {
                    match socket.recv(&mut buf).await {
                        Ok(n) if n >= 20 && buf[1] == id && crypto::reply_valid(&buf[..n], &authenticator, &self.secret) => return true,
                        Ok(_) => continue,
                        Err(_) => return false,
                    }
                }
            })
            .await;
            if answered == Ok(true) {
                log::info!("the central RADIUS server acknowledged Accounting-Off");
                return;
            }
        }
    }
}
