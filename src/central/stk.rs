//! The STK callback relay: `POST /pay/stk/{router_id}/{token}` (alias
//! `/mpesa/stk/{router_id}/{token}`). Daraja posts a router's STK results here (the router's
//! `callback_url` points at the central); each is stored durably, with an `stk_callback`
//! item for that router, BEFORE Daraja gets its 200. A database failure answers 500, so
//! Safaricom retries; an exact duplicate (router, token, body) is stored and relayed once.
//!
//! The router still matches the callback against its pending payment and confirms by STK
//! query before crediting: nothing here is trusted (callbacks carry no signature).

use hyper::body::Incoming;
use hyper::{Request, StatusCode};

use super::http::{self, Reply};
use super::registry::sha256_hex;
use super::server::Central;
use super::{items, registry};
use crate::payments::mpesa::callback::parse_callback;
use crate::sync::wire::Order;

/// Largest callback body (Daraja's are under 2 KB).
pub const MAX_CALLBACK_BYTES: usize = 16 * 1024;

/// Whether `token` can be a callback token (what a router puts in its callback URL).
fn token_ok(token: &str) -> bool {
    (1..=128).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub async fn handle(central: &Central, req: Request<Incoming>, router: &str, token: &str) -> Reply {
    let (Ok(router), true) = (router.parse::<i64>(), token_ok(token)) else {
        return http::error(StatusCode::NOT_FOUND, "no such callback address");
    };
    let body = match http::read_body(req, MAX_CALLBACK_BYTES).await {
        Ok(b) => b,
        Err(e) => return e.reply(),
    };
    let callback = match parse_callback(&body) {
        Ok(c) => c,
        Err(e) => return http::error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    // parse_callback read it as JSON, so it is UTF-8.
    let text = String::from_utf8_lossy(&body).into_owned();
    match store(central, router, token, &text, &callback.checkout_request_id).await {
        Ok(true) => http::json(StatusCode::OK, &serde_json::json!({ "ResultCode": 0, "ResultDesc": "Accepted" })),
        Ok(false) => http::error(StatusCode::NOT_FOUND, &format!("there is no router {router}")),
        Err(e) => http::internal("stk relay: storing a callback", &e),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("no database connection")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("a query failed")]
    Query(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Db(#[from] super::db::DbError),
}

/// Stores the callback and its item (once); `false` when the router does not exist.
async fn store(central: &Central, router: i64, token: &str, body: &str, checkout: &str) -> Result<bool, RelayError> {
    let mut client = central.pool.get().await?;
    let tx = client.transaction().await?;
    if !registry::router_exists(&*tx, router).await? {
        return Ok(false);
    }
    let digest = sha256_hex(format!("{token}\n{body}").as_bytes());
    let inserted = tx
        .query_opt(
            "INSERT INTO stk_callbacks (router_id, token, body, digest, checkout_request_id) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (router_id, digest) DO NOTHING RETURNING id",
            &[&router, &token, &body, &digest, &checkout],
        )
        .await?;
    if let Some(row) = inserted {
        let id: i64 = row.get(0);
        let item = items::queue(&*tx, router, &Order::StkCallback { token: token.to_owned(), body: body.to_owned() }).await?;
        tx.execute("UPDATE stk_callbacks SET item_id = $2 WHERE id = $1", &[&id, &item]).await?;
    }
    tx.commit().await?;
    Ok(true)
}
