//! `hotspotd-central run`: the HTTP listener and the route table. Follows `portal::serve`:
//! a cap on open connections (a semaphore), a header read timeout and a head size limit,
//! a lifetime per connection, and a graceful stop on SIGTERM/SIGINT. Everything a request
//! needs is in `Central` (the pool and the waiters): no other state, so several processes
//! can serve one database.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use super::db::{self, DbError};
use super::http::{self, Reply};
use super::waiters::{self, Waiters};
use super::c2b::{self, Step};
use super::{api, exchange, fleet, migrations, stk};
use crate::sync::wire::EXCHANGE_PATH;

/// Open connections at most (long-polls included); past it new ones are closed at once.
pub const MAX_CONNECTIONS: usize = 20_000;
/// Exchanges waiting for news at most, in this process.
pub const MAX_WAITERS: usize = 16_000;
/// A client has this long to send a request's head.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request head.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Longest a connection stays open (a long-poll lasts at most `MAX_WAIT_SECS`).
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(300);
/// How long requests in hand may finish after a stop signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What every request handler shares.
pub struct Central {
    pub pool: Pool,
    pub waiters: Arc<Waiters>,
    /// Routers' keys read in the last minute.
    pub keys: super::keys::KeyCache,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot listen on {addr}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Migrates, then serves on `listen` until SIGTERM or SIGINT.
pub async fn run(url: &str, listen: SocketAddr) -> Result<(), RunError> {
    let config = db::config(url)?;
    let mut client = db::connect(&config).await?;
    migrations::migrate(&mut client).await?;
    super::registry::c2b_secret(&client).await?;
    drop(client);
    let listener = TcpListener::bind(listen).await.map_err(|source| RunError::Listen { addr: listen, source })?;
    let central = Arc::new(Central { pool: db::pool(config.clone(), db::POOL_SIZE)?, waiters: Waiters::new(MAX_WAITERS), keys: Default::default() });
    let (stop, stopped) = watch::channel(false);
    let listening = tokio::spawn(waiters::listen(config, central.waiters.clone(), stopped.clone()));
    log::info!("hotspotd-central listening on {}", listener.local_addr().map(|a| a.to_string()).unwrap_or_default());
    let serving = serve(listener, central, stopped);
    tokio::pin!(serving);
    tokio::select! {
        () = &mut serving => {}
        () = stop_signal() => {
            log::info!("stopping");
            let _ = stop.send(true);
            serving.await;
        }
    }
    let _ = stop.send(true);
    let _ = listening.await;
    Ok(())
}

async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut term) = signal(SignalKind::terminate()) else { return std::future::pending().await };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

async fn serve(listener: TcpListener, central: Arc<Central>, mut shutdown: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut open = tokio::task::JoinSet::new();
    loop {
        while open.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    log::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            log::debug!("{peer}: refused, {MAX_CONNECTIONS} connections open");
            continue;
        };
        let central = central.clone();
        let service = service_fn(move |req| {
            let central = central.clone();
            async move { Ok::<_, std::convert::Infallible>(route(&central, req).await) }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .max_buf_size(MAX_HEAD_BYTES)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        open.spawn(async move {
            let _permit = permit;
            if let Ok(Err(e)) = tokio::time::timeout(CONNECTION_LIFETIME, connection).await {
                log::debug!("{peer}: {e}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        log::warn!("some connections were still open at shutdown; closing them");
    }
    open.shutdown().await;
}

/// The route table.
async fn route(central: &Central, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method().clone();
    match segments.as_slice() {
        _ if path == EXCHANGE_PATH => match method {
            Method::POST => exchange::handle(central, req).await,
            _ => http::method_not_allowed("POST"),
        },
        ["pay" | "mpesa", "stk", router, token] => match method {
            Method::POST => stk::handle(central, req, router, token).await,
            _ => http::method_not_allowed("POST"),
        },
        ["pay" | "mpesa", "c2b", secret, step @ ("validate" | "confirm")] => match method {
            Method::POST => {
                let step = if *step == "validate" { Step::Validate } else { Step::Confirm };
                c2b::handle(central, req, secret, step).await
            }
            _ => http::method_not_allowed("POST"),
        },
        ["api", "v1", rest @ ..] => api::handle(central, req, rest).await,
        ["fleet", rest @ ..] => fleet::handle(central, req, rest).await,
        _ => http::not_found(),
    }
}
