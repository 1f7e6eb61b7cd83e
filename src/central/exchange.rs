//! `POST /sync/v1/exchange`: a router's events in, what the central has for it out.
//!
//! 1. The request must be signed with the router's key over its counter, and the counter
//!    must be above the stream's last accepted one: otherwise 401 (unsigned) and nothing
//!    changes, not even `last_seen`. A signed body that is not an `ExchangeRequest` → 400.
//! 2. One transaction: bump the counter (a conditional upsert: no row back means a replay
//!    that raced us → rollback, 401), store each event once by (router, stream, seq),
//!    project the newly stored ones, raise `acked_seq`, update the router's row.
//! 3. Hand out the router's items; with none and `wait_secs > 0`, wait for a NOTIFY about
//!    this router (registered before the query) up to `MAX_WAIT_SECS`, then look again.
//! 4. 200 with the `ExchangeResponse`, signed over the request's counter.

use std::collections::HashSet;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{HeaderMap, Request, StatusCode};
use serde_json::value::RawValue;
use tokio::time::Instant;

use super::http::{self, Reply};
use super::projections::{self, Origin};
use super::server::Central;
use super::{items, registry};
use crate::store::outbox::Event;
use crate::sync::wire::{
    request_signed, sign_response, ExchangeRequest, ExchangeResponse, RequestHead, HEADER_COUNTER, HEADER_ROUTER, HEADER_SIGNATURE,
    HEADER_STREAM, MAX_BATCH_EVENTS, MAX_BODY_BYTES, MAX_WAIT_SECS,
};

/// The request's signed head, as read from its headers.
struct Head {
    router: i64,
    stream: String,
    counter: u64,
    signature: String,
}

impl Head {
    fn wire<'a>(&'a self, path: &'a str) -> RequestHead<'a> {
        RequestHead { method: "POST", path, router: self.router, stream: &self.stream, counter: self.counter }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn read_head(headers: &HeaderMap) -> Result<Head, String> {
    let router = header(headers, HEADER_ROUTER)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|&r| r > 0)
        .ok_or_else(|| format!("{HEADER_ROUTER} must be the router's id (a positive whole number)"))?;
    let stream = header(headers, HEADER_STREAM)
        .filter(|s| (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()))
        .ok_or_else(|| format!("{HEADER_STREAM} must be 1 to 32 characters 0-9 a-z"))?
        .to_owned();
    let counter = header(headers, HEADER_COUNTER)
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&c| c <= i64::MAX as u64)
        .ok_or_else(|| format!("{HEADER_COUNTER} must be a whole number below 2^63"))?;
    let signature = header(headers, HEADER_SIGNATURE).ok_or_else(|| format!("{HEADER_SIGNATURE} is missing"))?.to_owned();
    Ok(Head { router, stream, counter, signature })
}

/// 401, unsigned: we cannot or will not vouch for an answer to this request.
fn refused(words: &str) -> Reply {
    http::error(StatusCode::UNAUTHORIZED, words)
}

fn signed(key: &str, head: &RequestHead<'_>, status: StatusCode, body: Vec<u8>) -> Reply {
    let signature = sign_response(key.as_bytes(), head, status.as_u16(), &body);
    let mut reply = http::bytes(status, "application/json", body);
    if let Ok(value) = HeaderValue::from_str(&signature) {
        reply.headers_mut().insert(HEADER_SIGNATURE, value);
    }
    reply
}

fn signed_error(key: &str, head: &RequestHead<'_>, status: StatusCode, words: &str) -> Reply {
    signed(key, head, status, serde_json::json!({ "error": words }).to_string().into_bytes())
}

/// One event as it is stored: its kind read from the JSON.
struct Received {
    seq: i64,
    at: i64,
    clock_trusted: bool,
    kind: String,
    raw: Box<RawValue>,
}

/// Checks the batch: at most `MAX_BATCH_EVENTS`, each a JSON object with an `event` word.
fn read_events(request: ExchangeRequest) -> Result<(Vec<Received>, crate::sync::wire::RouterStatus, u32), String> {
    if request.events.len() > MAX_BATCH_EVENTS {
        return Err(format!("at most {MAX_BATCH_EVENTS} events in one exchange (this one has {})", request.events.len()));
    }
    let mut events = Vec::with_capacity(request.events.len());
    for e in request.events {
        #[derive(serde::Deserialize)]
        struct Kind {
            event: String,
        }
        let kind = serde_json::from_str::<Kind>(e.event.get())
            .map_err(|_| format!("event {} is not a JSON object with an \"event\" field naming its kind", e.seq))?
            .event;
        if kind.is_empty() || kind.len() > 64 {
            return Err(format!("event {} has an empty or overlong kind", e.seq));
        }
        events.push(Received { seq: e.seq, at: e.at, clock_trusted: e.clock_trusted, kind, raw: e.event });
    }
    Ok((events, request.status, request.wait_secs))
}

pub async fn handle(central: &Central, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_owned();
    let head = match read_head(req.headers()) {
        Ok(head) => head,
        Err(words) => return refused(&words),
    };
    let body = match http::read_body(req, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(e) => return e.reply(),
    };
    let key = match central.keys.get(head.router) {
        Some(key) => key,
        None => {
            let client = match central.pool.get().await {
                Ok(c) => c,
                Err(e) => return http::internal("exchange: no database connection", &e),
            };
            match registry::router_key(&**client, head.router).await {
                Ok(Some(key)) => {
                    central.keys.put(head.router, &key);
                    key
                }
                Ok(None) => return refused(&format!("router {} is not registered here (hotspotd-central router add)", head.router)),
                Err(e) => return http::internal("exchange: reading the router's key", &e),
            }
        }
    };
    let wire_head = head.wire(&path);
    if !request_signed(key.as_bytes(), &wire_head, &body, &head.signature) {
        return refused("the signature does not match: check the router's sync key (option key)");
    }
    let request: ExchangeRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return signed_error(&key, &wire_head, StatusCode::BAD_REQUEST, &format!("the body is not an exchange request: {e}")),
    };
    let (events, status, wait_secs) = match read_events(request) {
        Ok(read) => read,
        Err(words) => return signed_error(&key, &wire_head, StatusCode::BAD_REQUEST, &words),
    };
    let acked_seq = match store(central, &head, &events, &status).await {
        Ok(Stored::Accepted(acked)) => acked,
        Ok(Stored::Replay) => return refused("this request's counter was already used (a replay): nothing was changed"),
        Err(e) => return http::internal("exchange: storing the batch", &e),
    };
    let items = match pending_items(central, head.router, wait_secs).await {
        Ok(items) => items,
        Err(e) => return http::internal("exchange: reading the router's items", &e),
    };
    let response = ExchangeResponse { acked_seq, items };
    let body = serde_json::to_vec(&response).unwrap_or_default();
    signed(&key, &wire_head, StatusCode::OK, body)
}

enum Stored {
    Accepted(Option<i64>),
    Replay,
}

#[derive(Debug, thiserror::Error)]
enum StoreError {
    #[error("no database connection")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("a query failed")]
    Query(#[from] tokio_postgres::Error),
}

/// The counter's bump: no row back means the counter was used already (a replay).
const BUMP_COUNTER: &str = "INSERT INTO router_streams (router_id, stream, last_counter) VALUES ($1, $2, $3)
     ON CONFLICT (router_id, stream) DO UPDATE SET last_counter = EXCLUDED.last_counter
     WHERE router_streams.last_counter < EXCLUDED.last_counter
     RETURNING acked_seq";

/// An exchange without events (most of them: long-polls) in one statement: the counter's
/// bump and the router's status, the status only if the bump took.
const IDLE_EXCHANGE: &str = "WITH bump AS (
         INSERT INTO router_streams (router_id, stream, last_counter) VALUES ($1, $2, $3)
         ON CONFLICT (router_id, stream) DO UPDATE SET last_counter = EXCLUDED.last_counter
         WHERE router_streams.last_counter < EXCLUDED.last_counter
         RETURNING acked_seq
     ), seen AS (
         UPDATE routers SET last_seen = now(), version = $4, uptime_secs = $5, devices_online = $6, clock_trusted = $7,
             router_time = $8, db_bytes = $9, backlog = $10
         WHERE id = $1 AND EXISTS (SELECT 1 FROM bump)
     )
     SELECT acked_seq FROM bump";

const ROUTER_SEEN: &str = "UPDATE routers SET last_seen = now(), version = $2, uptime_secs = $3, devices_online = $4, clock_trusted = $5,
       router_time = $6, db_bytes = $7, backlog = $8 WHERE id = $1";

async fn store(central: &Central, head: &Head, events: &[Received], status: &crate::sync::wire::RouterStatus) -> Result<Stored, StoreError> {
    let mut client = central.pool.get().await?;
    let counter = head.counter as i64;
    if events.is_empty() {
        let idle = client.prepare_cached(IDLE_EXCHANGE).await?;
        let s = status;
        let row = client
            .query_opt(
                &idle,
                &[&head.router, &head.stream, &counter, &s.version, &s.uptime_secs, &s.devices_online, &s.clock_trusted, &s.router_time, &s.db_bytes, &s.backlog],
            )
            .await?;
        return Ok(match row {
            Some(row) => Stored::Accepted(row.get(0)),
            None => Stored::Replay,
        });
    }
    let (bump, seen) = (client.prepare_cached(BUMP_COUNTER).await?, client.prepare_cached(ROUTER_SEEN).await?);
    let tx = client.transaction().await?;
    let bumped = tx.query_opt(&bump, &[&head.router, &head.stream, &counter]).await?;
    if bumped.is_none() {
        tx.rollback().await?;
        return Ok(Stored::Replay);
    }
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let bodies: Vec<&str> = events.iter().map(|e| e.raw.get()).collect();
    let times: Vec<i64> = events.iter().map(|e| e.at).collect();
    let trusted: Vec<bool> = events.iter().map(|e| e.clock_trusted).collect();
    let insert = tx
        .prepare_cached(
            "INSERT INTO router_events (router_id, stream, seq, kind, body, router_time, clock_trusted)
             SELECT $1, $2, u.seq, u.kind, u.body::jsonb, u.at, u.trusted
             FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::boolean[]) AS u(seq, kind, body, at, trusted)
             ON CONFLICT (router_id, stream, seq) DO NOTHING
             RETURNING seq",
        )
        .await?;
    let inserted = tx.query(&insert, &[&head.router, &head.stream, &seqs, &kinds, &bodies, &times, &trusted]).await?;
    let mut new: HashSet<i64> = inserted.iter().map(|r| r.get(0)).collect();
    for e in events {
        if !new.remove(&e.seq) {
            continue;
        }
        match serde_json::from_str::<Event>(e.raw.get()) {
            Ok(event) => {
                let origin = Origin { router: head.router, stream: &head.stream, seq: e.seq, router_time: e.at, clock_trusted: e.clock_trusted };
                projections::apply(&tx, origin, &event).await?;
            }
            Err(err) => log::debug!("router {} event {} ({}): stored, not projected: {err}", head.router, e.seq, e.kind),
        }
    }
    let max_seq = seqs.iter().copied().max();
    let ack = tx.prepare_cached("UPDATE router_streams SET acked_seq = greatest(acked_seq, $3) WHERE router_id = $1 AND stream = $2 RETURNING acked_seq").await?;
    let acked: Option<i64> = tx.query_one(&ack, &[&head.router, &head.stream, &max_seq]).await?.get(0);
    tx.execute(
        &seen,
        &[&head.router, &status.version, &status.uptime_secs, &status.devices_online, &status.clock_trusted, &status.router_time, &status.db_bytes, &status.backlog],
    )
    .await?;
    tx.commit().await?;
    Ok(Stored::Accepted(acked))
}

/// The router's items; with none, waits up to `wait_secs` (capped) for some to be queued.
/// No database connection is held while waiting.
async fn pending_items(central: &Central, router: i64, wait_secs: u32) -> Result<Vec<crate::sync::wire::Item>, StoreError> {
    let wait = Duration::from_secs(u64::from(wait_secs.min(MAX_WAIT_SECS)));
    let waiter = if wait.is_zero() { None } else { central.waiters.register(router) };
    let deadline = Instant::now() + wait;
    loop {
        let notified = waiter.as_ref().map(|w| w.notify.notified());
        tokio::pin!(notified);
        if let Some(n) = notified.as_mut().as_pin_mut() {
            n.enable();
        }
        let items = {
            let client = central.pool.get().await?;
            items::hand_out(&client, router).await?
        };
        let Some(n) = notified.as_pin_mut() else { return Ok(items) };
        if !items.is_empty() {
            return Ok(items);
        }
        if tokio::time::timeout_at(deadline, n).await.is_err() {
            return Ok(items);
        }
    }
}
