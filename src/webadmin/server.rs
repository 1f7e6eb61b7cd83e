//! The web admin's listener: a hyper HTTP/1.1 server on the daemon's runtime, built as the
//! portal's (`portal::serve`): connections capped (`MAX_CONNECTIONS`, a newcomer beyond that
//! is closed at once), headers within a timeout (also between kept-alive requests), the head
//! and body capped in size, each connection living at most `CONNECTION_LIFETIME`, and a
//! graceful stop; the connection itself is served by `portal::connection`, as the portal's.
//! Who is on the hotspot side is decided once per connection (`hotspot_side`); such a
//! connection gets 403 to every request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use super::{dispatch, hotspot_side, WebAdmin};
use crate::portal::connection::{self, Handler};

/// Connections at once (the operator's phone and laptop; each costs a few KB).
pub const MAX_CONNECTIONS: usize = 16;
/// Time a client gets to send its request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a connection stays open (keep-alive included).
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);
/// Largest request head buffered.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Time in-flight requests get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Serves the web admin until `stopped` turns true, then lets in-flight requests finish.
pub async fn serve(listener: TcpListener, web: Arc<WebAdmin>, mut stopped: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // Owned, not detached: closed at the end if still open after the grace.
    let mut open = tokio::task::JoinSet::new();
    loop {
        while open.try_join_next().is_some() {}
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    log::warn!("web admin: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            log::debug!("web admin: {peer}: refused, {MAX_CONNECTIONS} connections already open");
            continue;
        };
        let refused = hotspot_side::is_refused(&web.hotspot_interface, peer.ip());
        if refused {
            log::warn!("web admin: {peer} is on the hotspot side ({}): refused", web.hotspot_interface);
        }
        let web = web.clone();
        let handler = Handler::new(move |req| {
            let web = web.clone();
            Box::pin(async move { Ok(dispatch::handle(&web, peer.ip(), refused, req).await) })
        });
        let connection = connection::serve(stream, HEADER_TIMEOUT, MAX_HEAD_BYTES, &graceful, handler);
        open.spawn(async move {
            let _permit = permit;
            if let Ok(Err(e)) = tokio::time::timeout(CONNECTION_LIFETIME, connection).await {
                log::debug!("web admin: {peer}: {e}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        log::warn!("web admin: some connections were still open at shutdown; closing them");
    }
    open.shutdown().await;
}
