//! The operator JSON API under `/api/v1/`, behind `Authorization: Bearer <token>` (a token
//! from `hotspotd-central operator add`). Reads the projections; writes only commands
//! (items, queued with a NOTIFY so a waiting router gets them at once).
//!
//! Errors are `{"error":"words"}`: 401 without a valid token, 400 for bad input (saying
//! what to fix), 404 for an unknown router or command.

use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use hyper::{Method, Request, StatusCode};
use serde::Serialize;

use super::http::{self, Reply};
use super::server::Central;
use super::{items, orders, registry};
use crate::sync::wire::Order;

/// Largest command body.
const MAX_COMMAND_BYTES: usize = 64 * 1024;
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;
/// A router is online when its last exchange is at most this old.
pub const ONLINE_SECS: i64 = 120;

/// Filters of the list endpoints (`?router=ID&since=UNIX&until=UNIX&limit=N`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    pub router: Option<i64>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: i64,
}

/// Reads a query string into a `Filter`, or words saying which parameter is wrong.
pub fn read_filter(query: Option<&str>) -> Result<Filter, String> {
    let mut filter = Filter { limit: DEFAULT_LIMIT, ..Filter::default() };
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = || value.parse::<i64>().map_err(|_| format!("{name} must be a whole number (got `{value}`)"));
        match name {
            "router" => filter.router = Some(number()?),
            "since" => filter.since = Some(number()?),
            "until" => filter.until = Some(number()?),
            "limit" => {
                let n = number()?;
                if !(1..=MAX_LIMIT).contains(&n) {
                    return Err(format!("limit must be between 1 and {MAX_LIMIT}"));
                }
                filter.limit = n;
            }
            other => return Err(format!("unknown parameter `{other}` (use router, since, until, limit)")),
        }
    }
    Ok(filter)
}

fn bearer(req: &Request<Incoming>) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

fn unauthorized() -> Reply {
    let mut reply = http::error(StatusCode::UNAUTHORIZED, "send Authorization: Bearer <token> with a token from `hotspotd-central operator add`");
    reply.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    reply
}

/// `segments` is the path after `api/v1`.
pub async fn handle(central: &Central, req: Request<Incoming>, segments: &[&str]) -> Reply {
    let Some(token) = bearer(&req) else { return unauthorized() };
    let client = match central.pool.get().await {
        Ok(c) => c,
        Err(e) => return http::internal("api: no database connection", &e),
    };
    match registry::operator_by_token(&**client, &token).await {
        Ok(Some(_)) => {}
        Ok(None) => return unauthorized(),
        Err(e) => return http::internal("api: checking a token", &e),
    }
    drop(client);
    let method = req.method().clone();
    let query = req.uri().query().map(str::to_owned);
    let result = match (&method, segments) {
        (&Method::GET, ["routers"]) => routers(central).await,
        (&Method::GET, ["payments"]) => match read_filter(query.as_deref()) {
            Ok(f) => payments(central, f).await,
            Err(words) => Ok(http::error(StatusCode::BAD_REQUEST, &words)),
        },
        (&Method::GET, ["sessions"]) => match read_filter(query.as_deref()) {
            Ok(f) => sessions(central, f).await,
            Err(words) => Ok(http::error(StatusCode::BAD_REQUEST, &words)),
        },
        (&Method::GET, ["paybill"]) => match read_filter(query.as_deref()) {
            Ok(f) => paybill(central, f).await,
            Err(words) => Ok(http::error(StatusCode::BAD_REQUEST, &words)),
        },
        (&Method::POST, ["routers", id, "commands"]) => match id.parse::<i64>() {
            Ok(id) => post_command(central, id, req).await,
            Err(_) => Ok(http::error(StatusCode::NOT_FOUND, "no such router")),
        },
        (&Method::GET, ["routers", id, "commands"]) => match id.parse::<i64>() {
            Ok(id) => router_commands(central, id, read_filter(query.as_deref()).map_or(DEFAULT_LIMIT, |f| f.limit)).await,
            Err(_) => Ok(http::error(StatusCode::NOT_FOUND, "no such router")),
        },
        (&Method::GET, ["commands", id]) => match id.parse::<i64>() {
            Ok(id) => command(central, id).await,
            Err(_) => Ok(http::error(StatusCode::NOT_FOUND, "no such command")),
        },
        (_, ["routers"] | ["payments"] | ["sessions"] | ["paybill"] | ["commands", _]) => Ok(http::method_not_allowed("GET")),
        (_, ["routers", _, "commands"]) => Ok(http::method_not_allowed("GET, POST")),
        _ => Ok(http::not_found()),
    };
    result.unwrap_or_else(|e| http::internal("api", &e))
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no database connection")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("a query failed")]
    Query(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Db(#[from] super::db::DbError),
}

#[derive(Serialize)]
struct RouterView {
    id: i64,
    name: String,
    last_seen: Option<i64>,
    online: bool,
    backlog: Option<i64>,
    version: Option<String>,
    devices_online: Option<i64>,
    clock_trusted: Option<bool>,
}

async fn routers(central: &Central) -> Result<Reply, ApiError> {
    let client = central.pool.get().await?;
    let rows = client
        .query(
            "SELECT id, name, extract(epoch FROM last_seen)::bigint, coalesce(last_seen > now() - make_interval(secs => $1), false),
                    backlog, version, devices_online, clock_trusted
             FROM routers ORDER BY id",
            &[&(ONLINE_SECS as f64)],
        )
        .await?;
    let routers: Vec<RouterView> = rows
        .iter()
        .map(|r| RouterView {
            id: r.get(0),
            name: r.get(1),
            last_seen: r.get(2),
            online: r.get(3),
            backlog: r.get(4),
            version: r.get(5),
            devices_online: r.get(6),
            clock_trusted: r.get(7),
        })
        .collect();
    Ok(http::json(StatusCode::OK, &routers))
}

/// Rows of `query` as JSON objects straight from PostgreSQL (`to_jsonb`), filtered on
/// `time_column` (`t`, dropped from the output).
async fn listed(central: &Central, query: &str, time_column: &str, order: &str, f: Filter) -> Result<Reply, ApiError> {
    let client = central.pool.get().await?;
    let sql = format!(
        "SELECT to_jsonb(t) - 't' FROM ({query}) t
         WHERE ($1::bigint IS NULL OR router_id = $1)
           AND ($2::bigint IS NULL OR {time_column} >= to_timestamp($2::bigint))
           AND ($3::bigint IS NULL OR {time_column} < to_timestamp($3::bigint))
         ORDER BY {order} LIMIT $4"
    );
    let rows = client.query(&sql, &[&f.router, &f.since, &f.until, &f.limit]).await?;
    let list: Vec<serde_json::Value> = rows.iter().map(|r| r.get(0)).collect();
    Ok(http::json(StatusCode::OK, &list))
}

async fn payments(central: &Central, f: Filter) -> Result<Reply, ApiError> {
    listed(
        central,
        "SELECT router_id, stream, payment_id, provider, phone, package_id, amount, currency, status, receipt, failure,
                extract(epoch FROM started_at)::bigint AS started_at, extract(epoch FROM finished_at)::bigint AS finished_at,
                started_at AS t FROM payments",
        "t",
        "t DESC NULLS LAST, payment_id DESC",
        f,
    )
    .await
}

async fn sessions(central: &Central, f: Filter) -> Result<Reply, ApiError> {
    listed(
        central,
        "SELECT router_id, stream, session_id, account_id, username, mac, ip, enforcer, expires_at,
                extract(epoch FROM started_at)::bigint AS started_at, extract(epoch FROM ended_at)::bigint AS ended_at,
                end_method, end_reason, bytes_up, bytes_down, duration_secs, started_at AS t FROM sessions",
        "t",
        "t DESC NULLS LAST, session_id DESC",
        f,
    )
    .await
}

async fn paybill(central: &Central, f: Filter) -> Result<Reply, ApiError> {
    listed(
        central,
        "SELECT trans_id, amount, account, msisdn, name, trans_time, router_id, reference, item_id,
                router_id IS NOT NULL AS matched, extract(epoch FROM received_at)::bigint AS received_at, received_at AS t
         FROM c2b_payments",
        "t",
        "t DESC",
        f,
    )
    .await
}

async fn post_command(central: &Central, router: i64, req: Request<Incoming>) -> Result<Reply, ApiError> {
    let body = match http::read_body(req, MAX_COMMAND_BYTES).await {
        Ok(b) => b,
        Err(e) => return Ok(e.reply()),
    };
    let order: Order = match serde_json::from_slice(&body) {
        Ok(o) => o,
        Err(e) => {
            return Ok(http::error(
                StatusCode::BAD_REQUEST,
                &format!("the command is not valid JSON of a known kind (kick, extend, disable, enable, resend, vouchers, package): {e}"),
            ))
        }
    };
    if let Err(words) = orders::check(&order) {
        return Ok(http::error(StatusCode::BAD_REQUEST, &words));
    }
    let mut client = central.pool.get().await?;
    let tx = client.transaction().await?;
    if !registry::router_exists(&*tx, router).await? {
        return Ok(http::error(StatusCode::NOT_FOUND, &format!("there is no router {router}")));
    }
    let id = items::queue(&*tx, router, &order).await?;
    tx.commit().await?;
    Ok(http::json(StatusCode::CREATED, &serde_json::json!({ "id": id, "state": "queued" })))
}

async fn command(central: &Central, id: i64) -> Result<Reply, ApiError> {
    let client = central.pool.get().await?;
    Ok(match items::get(&**client, id).await? {
        Some(item) => http::json(StatusCode::OK, &item),
        None => http::error(StatusCode::NOT_FOUND, &format!("there is no command {id}")),
    })
}

async fn router_commands(central: &Central, router: i64, limit: i64) -> Result<Reply, ApiError> {
    let client = central.pool.get().await?;
    if !registry::router_exists(&**client, router).await? {
        return Ok(http::error(StatusCode::NOT_FOUND, &format!("there is no router {router}")));
    }
    Ok(http::json(StatusCode::OK, &items::of_router(&**client, router, limit).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_and_refuse_with_words() {
        assert_eq!(read_filter(None).unwrap(), Filter { limit: DEFAULT_LIMIT, ..Filter::default() });
        assert_eq!(
            read_filter(Some("router=3&since=10&until=20&limit=5")).unwrap(),
            Filter { router: Some(3), since: Some(10), until: Some(20), limit: 5 }
        );
        assert!(read_filter(Some("limit=5000")).unwrap_err().contains("between 1 and 1000"));
        assert!(read_filter(Some("since=yesterday")).unwrap_err().contains("since"));
        assert!(read_filter(Some("colour=red")).unwrap_err().contains("unknown parameter"));
    }
}
