//! The captive portal: a hyper HTTP/1.1 server on the daemon's runtime. It owns the
//! listener, the connection limits and who-is-asking (source IP + neighbour-table MAC);
//! `routes/` answers requests. A slow or hostile client cannot starve the others: headers
//! must arrive within a timeout, bodies are capped in size and time, connections are capped
//! in total and per client address.

pub mod http;
pub mod neighbours;
mod pages;
pub mod ratelimit;
mod routes;
pub mod text;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::jobs::worker::Jobs;
use crate::netaddr::MacAddr;
use crate::payments::Payments;
use crate::sessions::{Client, ClientStatus, SessionError, Sessions};
use ratelimit::LoginLimiter;

/// Connections one client address may hold at once.
const CONNECTIONS_PER_CLIENT: usize = 16;
/// Longest a single connection may stay open (keep-alive included).
const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);
/// Largest request head we buffer.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Time in-flight requests get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Portal settings from the configuration.
#[derive(Debug, Clone)]
pub struct PortalSettings {
    pub portal_url: Option<String>,
    pub venue_info_url: Option<String>,
    pub login_attempts_per_minute: u32,
    pub max_connections: usize,
    pub header_timeout: Duration,
    /// Whether credentials can be sent by SMS (the "forgot password" form needs it).
    pub sms_enabled: bool,
    /// For phone numbers typed without a country code.
    pub country_code: String,
}

/// What every request handler shares.
pub struct Portal {
    sessions: Sessions,
    payments: Payments,
    jobs: Jobs,
    sms_enabled: bool,
    country_code: String,
    /// Password resets per client address (each sends an SMS: keep it rare).
    reset_limiter: Mutex<LoginLimiter>,
    portal_url: Option<String>,
    venue_info_url: Option<String>,
    limiter: Mutex<LoginLimiter>,
    started: Instant,
}

/// Who is asking, and on which address they reached us.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext {
    pub peer: IpAddr,
    pub local: SocketAddr,
    /// `None` when the device cannot be identified (no neighbour entry, IPv6).
    pub client: Option<Client>,
}

impl Portal {
    pub fn new(sessions: Sessions, payments: Payments, jobs: Jobs, settings: &PortalSettings) -> Portal {
        Portal {
            sessions,
            payments,
            jobs,
            sms_enabled: settings.sms_enabled,
            country_code: settings.country_code.clone(),
            reset_limiter: Mutex::new(LoginLimiter::new(3, 600, 1024)),
            portal_url: settings.portal_url.clone(),
            venue_info_url: settings.venue_info_url.clone(),
            limiter: Mutex::new(LoginLimiter::new(settings.login_attempts_per_minute, 60, 4096)),
            started: Instant::now(),
        }
    }

    /// Where clients log in: the configured URL, or this server at the address they reached.
    pub fn portal_url(&self, ctx: &RequestContext) -> String {
        match &self.portal_url {
            Some(url) => url.clone(),
            None if ctx.local.port() == 80 => format!("http://{}/", ctx.local.ip()),
            None => format!("http://{}/", ctx.local),
        }
    }

    /// Whether a Host header names this portal (rather than a site the client wanted).
    fn is_own_host(&self, host: &str, ctx: &RequestContext) -> bool {
        let host = host.trim().to_ascii_lowercase();
        if host == ctx.local.to_string() || (ctx.local.port() == 80 && host == ctx.local.ip().to_string()) {
            return true;
        }
        self.portal_url.as_deref().and_then(authority_of).is_some_and(|a| a.eq_ignore_ascii_case(&host))
    }

    /// Why this device was cut off, if its package did it recently (errors: not shown).
    async fn why_offline(&self, ctx: &RequestContext) -> Option<crate::sessions::records::Ended> {
        let client = ctx.client?;
        match self.sessions.why_offline(client).await {
            Ok(ended) => ended,
            Err(e) => {
                log::error!("why {} is offline: {}", client.ip, crate::error_chain(&e));
                None
            }
        }
    }

    /// `None` if the device is unknown; otherwise its session, if online.
    async fn client_status(&self, ctx: &RequestContext) -> Option<Result<Option<ClientStatus>, SessionError>> {
        let client = ctx.client?;
        let status = self.sessions.status(client).await;
        if let Err(e) = &status {
            log::error!("status of {} failed: {}", client.ip, crate::error_chain(e));
        }
        Some(status)
    }

    fn monotonic_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    fn limiter(&self) -> std::sync::MutexGuard<'_, LoginLimiter> {
        self.limiter.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check_rate_limit(&self, ctx: &RequestContext) -> Result<(), u64> {
        self.limiter().check(ctx.peer, self.monotonic_secs())
    }

    fn record_login_failure(&self, ctx: &RequestContext) {
        let now = self.monotonic_secs();
        self.limiter().record_failure(ctx.peer, now);
    }

    fn record_login_success(&self, ctx: &RequestContext) {
        self.limiter().record_success(ctx.peer);
    }

    /// Counts a password reset request; `Err(seconds to wait)` when asked too often.
    fn take_reset(&self, ctx: &RequestContext) -> Result<(), u64> {
        let now = self.monotonic_secs();
        let mut limiter = self.reset_limiter.lock().unwrap_or_else(|p| p.into_inner());
        limiter.check(ctx.peer, now)?;
        limiter.record_failure(ctx.peer, now);
        Ok(())
    }
}

/// `host[:port]` of an http(s) URL.
fn authority_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    rest.split('/').next()
}

/// Identifies the device behind a TCP peer address.
fn identify(peer: IpAddr) -> Option<Client> {
    let ip = match peer {
        IpAddr::V4(ip) => ip,
        IpAddr::V6(v6) => v6.to_ipv4_mapped()?,
    };
    let mac = if ip.is_loopback() { Some(MacAddr::LOCAL) } else { neighbours::mac_of(ip) };
    Some(Client { ip, mac: mac? })
}

/// Counts open connections per client address.
#[derive(Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

struct PerClientSlot<'a> {
    table: &'a PerClient,
    ip: IpAddr,
}

impl PerClient {
    fn take(&self, ip: IpAddr) -> Option<PerClientSlot<'_>> {
        let mut table = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = table.entry(ip).or_insert(0);
        if *count >= CONNECTIONS_PER_CLIENT {
            return None;
        }
        *count += 1;
        Some(PerClientSlot { table: self, ip })
    }
}

impl Drop for PerClientSlot<'_> {
    fn drop(&mut self) {
        let mut table = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = table.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                table.remove(&self.ip);
            }
        }
    }
}

/// Serves the portal until `shutdown` turns true, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    portal: Arc<Portal>,
    settings: PortalSettings,
    mut shutdown: watch::Receiver<bool>,
) {
    let connections = Arc::new(Semaphore::new(settings.max_connections));
    let per_client = Arc::new(PerClient::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // Owned, not detached: what is still open after the grace is closed here (a request
    // waiting on M-Pesa must not outlive the daemon's stop). At most `max_connections`.
    let mut open = tokio::task::JoinSet::new();
    loop {
        while open.try_join_next().is_some() {}
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    log::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let Ok(local) = stream.local_addr() else { continue };
        let per_client = per_client.clone();
        let ctx = RequestContext { peer: peer.ip(), local, client: identify(peer.ip()) };
        let portal = portal.clone();
        let service = service_fn(move |req| {
            let portal = portal.clone();
            async move { Ok::<_, std::convert::Infallible>(routes::handle(&portal, ctx, req).await) }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(settings.header_timeout)
            .max_buf_size(MAX_HEAD_BYTES)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        open.spawn(async move {
            let _permit = permit;
            let Some(_slot) = per_client.take(peer.ip()) else {
                log::debug!("{peer}: too many connections from one client");
                return;
            };
            if let Ok(Err(e)) = tokio::time::timeout(CONNECTION_LIFETIME, connection).await { log::debug!("{peer}: {e}") }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        log::warn!("portal: some connections were still open at shutdown; closing them");
    }
    open.shutdown().await;
}

/// The address the portal answers on, for log lines.
pub fn describe(listen: SocketAddr) -> String {
    if listen.ip() == IpAddr::V4(Ipv4Addr::UNSPECIFIED) {
        format!("port {} on every address", listen.port())
    } else {
        format!("http://{listen}/")
    }
}
