//! The captive portal: a hyper HTTP/1.1 server on the daemon's runtime. It owns the
//! listener, the connection limits and who-is-asking (source IP + neighbour-table MAC);
//! `routes/` answers requests. A slow or hostile client cannot starve the others: headers
//! must arrive within a timeout (also between requests on a kept-alive connection, so an
//! idle connection lasts at most that long), bodies are capped in size and time, a
//! connection lives at most two minutes, and connections are capped in total and per device
//! (MAC, whatever addresses it uses), and when all are taken a newcomer gets one from the
//! device holding the most (`admission`).

mod admission;
pub mod connection;
mod frame;
pub mod http;
pub mod neighbours;
mod pages;
pub mod ratelimit;
pub mod routes;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

use crate::branding;
use crate::i18n::{Lang, PortalWords};
use crate::jobs::worker::Jobs;
use crate::payments::Payments;
use crate::sessions::{Client, ClientStatus, SessionError, Sessions};
use admission::{Admission, AdmissionLimits, Refused};
use ratelimit::{GuessLimiter, GuessLimits, GuessRefusal};

/// Connections one device (MAC, or address when the MAC is unknown) may hold at once.
const CONNECTIONS_PER_DEVICE: usize = 16;
/// When all connections are taken, a device holding one more than the newcomer's gives up
/// only a connection at least this old.
const EVICTABLE_AFTER: Duration = Duration::from_secs(1);
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
    /// Failed logins per minute from all devices together before only devices with a clean
    /// record may try (see `ratelimit`).
    pub login_attempts_total: u32,
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
    /// Password reset requests per device (MAC and address; each may send an SMS).
    reset_limiter: Mutex<GuessLimiter>,
    portal_url: Option<String>,
    venue_info_url: Option<String>,
    /// Wrong voucher codes and passwords: per device, and all devices together.
    limiter: Mutex<GuessLimiter>,
    started: Instant,
    /// The venue's name, colours, logo, help line, terms and default language (the web
    /// admin's Settings change it while we run).
    branding: branding::Shared,
}

/// Who is asking, on which address they reached us, and in which language they read.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub peer: IpAddr,
    pub local: SocketAddr,
    /// `None` when the device cannot be identified (no neighbour entry, IPv6).
    pub client: Option<Client>,
    /// This request's language (`Lang::pick`: the switch's cookie, the browser, the venue).
    pub lang: Lang,
    /// The language the person asked for (the switch or the browser), if any: what their
    /// SMS is written in; without one the SMS takes the operator's language as it goes out.
    pub chosen_lang: Option<Lang>,
    /// Where the language switch comes back to (`pages::Frame::back`).
    pub back: String,
}

impl RequestContext {
    /// The words in this request's language.
    pub fn words(&self) -> &'static PortalWords {
        &self.lang.words().portal
    }
}

impl Portal {
    pub fn new(
        sessions: Sessions,
        payments: Payments,
        jobs: Jobs,
        branding: branding::Shared,
        settings: &PortalSettings,
    ) -> Portal {
        Portal {
            sessions,
            payments,
            jobs,
            sms_enabled: settings.sms_enabled,
            country_code: settings.country_code.clone(),
            reset_limiter: Mutex::new(GuessLimiter::new(RESET_LIMITS)),
            portal_url: settings.portal_url.clone(),
            venue_info_url: settings.venue_info_url.clone(),
            limiter: Mutex::new(GuessLimiter::new(GuessLimits {
                per_device: settings.login_attempts_per_minute,
                window_secs: 60,
                all_devices: settings.login_attempts_total,
                clean_after_secs: CLEAN_AFTER_SECS,
                capacity: LIMITER_CAPACITY,
            })),
            started: Instant::now(),
            branding,
        }
    }

    /// The frame of a page for this request: its language, the venue, the way back.
    pub fn frame(&self, ctx: &RequestContext) -> pages::Frame {
        pages::Frame { lang: ctx.lang, branding: self.branding.get(), back: ctx.back.clone() }
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
        names_this_portal(host, ctx.local, self.portal_url.as_deref())
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

    fn limiter(&self) -> std::sync::MutexGuard<'_, GuessLimiter> {
        self.limiter.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this device may try a voucher code or password now.
    fn check_guess(&self, client: Client) -> Result<(), GuessRefusal> {
        self.limiter().check(client.mac, IpAddr::V4(client.ip), self.monotonic_secs())
    }

    /// Counts a wrong voucher code or password. (Successes are not counted and forget
    /// nothing: see `ratelimit`.)
    fn record_wrong_guess(&self, client: Client) {
        let now = self.monotonic_secs();
        self.limiter().record_failure(client.mac, IpAddr::V4(client.ip), now);
    }

    /// Counts a password reset request from this device; refused when it asks too often.
    fn take_reset(&self, client: Client) -> Result<(), GuessRefusal> {
        let now = self.monotonic_secs();
        let mut limiter = self.reset_limiter.lock().unwrap_or_else(|p| p.into_inner());
        limiter.take(client.mac, IpAddr::V4(client.ip), now)
    }
}

/// Whether a Host header names the portal reached at `local` or configured as `portal_url`
/// (any case, surrounding spaces, `:80` written or not). Pure.
pub fn names_this_portal(host: &str, local: SocketAddr, portal_url: Option<&str>) -> bool {
    // `a:80` and `a` are the same http origin: clients leave the default port out.
    fn origin(authority: &str) -> &str {
        authority.strip_suffix(":80").unwrap_or(authority)
    }
    let host = host.trim().to_ascii_lowercase();
    let host = origin(&host);
    if host == local.to_string() || (local.port() == 80 && host == local.ip().to_string()) {
        return true;
    }
    portal_url.and_then(authority_of).is_some_and(|a| origin(a).eq_ignore_ascii_case(host))
}
/// A device that failed within this long is not "clean" while the portal is busy.
const CLEAN_AFTER_SECS: u64 = 600;
/// Keys (MACs and addresses together) the guessing table holds at most (about 200 KB).
const LIMITER_CAPACITY: usize = 4096;
/// Password reset requests: three per ten minutes per device (MAC and address). The number's
/// own limit (three new passwords an hour) is counted in the database.
const RESET_LIMITS: GuessLimits =
    GuessLimits { per_device: 3, window_secs: 600, all_devices: u32::MAX, clean_after_secs: 600, capacity: 1024 };

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
    let mac = if ip.is_loopback() { Some(neighbours::loopback_device(ip)) } else { neighbours::mac_of(ip) };
    Some(Client { ip, mac: mac? })
}

/// Who holds a connection: the device's MAC when known, else its address.
type Holder = ratelimit::Key;

/// Open connections by holder (`admission`), shared by the accept loop and the connections;
/// each is told through its `Notify` when it is given up.
struct Connections {
    table: Mutex<Admission<Holder, Arc<Notify>>>,
    started: Instant,
}

/// A connection's place in `Connections`; gives it back when dropped.
struct Held {
    connections: Arc<Connections>,
    holder: Holder,
    id: u64,
}

impl Connections {
    fn table(&self) -> std::sync::MutexGuard<'_, Admission<Holder, Arc<Notify>>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a connection for `holder`; its `Notify` fires if it is given up for a newcomer.
    fn admit(self: &Arc<Self>, holder: Holder) -> Result<(Held, Arc<Notify>), Refused> {
        let given_up = Arc::new(Notify::new());
        let now_ms = self.started.elapsed().as_millis() as u64;
        let admitted = self.table().admit(holder, now_ms, given_up.clone())?;
        if let Some(other) = admitted.evicted {
            // Stored if the connection's task is not waiting yet: it stops at once when it does.
            other.notify_one();
        }
        Ok((Held { connections: self.clone(), holder, id: admitted.id }, given_up))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.connections.table().release(&self.holder, self.id);
    }
}

/// Serves the portal until `shutdown` turns true, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    portal: Arc<Portal>,
    settings: PortalSettings,
    mut shutdown: watch::Receiver<bool>,
) {
    let connections = Arc::new(Connections {
        table: Mutex::new(Admission::new(AdmissionLimits {
            max_total: settings.max_connections,
            per_device: CONNECTIONS_PER_DEVICE,
            min_age_ms: EVICTABLE_AFTER.as_millis() as u64,
        })),
        started: Instant::now(),
    });
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // Owned, not detached: what is still open after the grace is closed here (a request
    // waiting on M-Pesa must not outlive the daemon's stop). At most `max_connections`.
    let mut open = tokio::task::JoinSet::new();
    loop {
        while open.try_join_next().is_some() {}
        // Always accept: a connection waiting in the kernel's queue behind slow ones would
        // wait for them; here it is taken, or told at once that it cannot be.
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
        let client = identify(peer.ip());
        let holder = client.map_or(Holder::Address(peer.ip()), |c| Holder::Device(c.mac));
        let (held, given_up) = match connections.admit(holder) {
            Ok(admitted) => admitted,
            Err(refused) => {
                // Closed at once (dropped): the client sees it and may try again.
                log::debug!("{peer}: connection refused ({refused:?})");
                continue;
            }
        };
        let ctx = RequestContext { peer: peer.ip(), local, client, lang: Lang::default(), chosen_lang: None, back: String::new() };
        let portal = portal.clone();
        let handler = connection::Handler::new(move |req| {
            let portal = portal.clone();
            let ctx = ctx.clone();
            Box::pin(async move { Ok(routes::handle(&portal, ctx, req).await) })
        });
        let connection = connection::serve(stream, settings.header_timeout, MAX_HEAD_BYTES, &graceful, handler);
        open.spawn(async move {
            let _held = held;
            tokio::select! {
                ended = tokio::time::timeout(CONNECTION_LIFETIME, connection) => {
                    if let Ok(Err(e)) = ended {
                        log::debug!("{peer}: {e}");
                    }
                }
                _ = given_up.notified() => log::debug!("{peer}: connection given up for a newcomer"),
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_check_takes_the_default_port_written_or_not() {
        // With `portal_url 'http://10.0.0.1:80/'` browsers send `Host: 10.0.0.1`, which was
        // taken for intercepted traffic and redirected to the portal URL again, in a loop.
        let local: SocketAddr = "10.0.0.1:2050".parse().unwrap();
        assert!(names_this_portal("10.0.0.1", local, Some("http://10.0.0.1:80/")));
        assert!(names_this_portal("Portal.LAN:80", local, Some("http://portal.lan/")));
        assert!(names_this_portal(" 10.0.0.1:2050 ", local, None));
        assert!(names_this_portal("10.0.0.1:80", "10.0.0.1:80".parse().unwrap(), None));
        assert!(!names_this_portal("10.0.0.1", local, None), "reached through the redirect of port 80");
        assert!(!names_this_portal("example.com", local, Some("http://portal.lan/")));
    }
}
