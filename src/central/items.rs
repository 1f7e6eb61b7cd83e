//! What waits for a router (`router_items`): commands from the operator, paybill payments,
//! relayed STK callbacks. Queued with a NOTIFY in the same transaction (so any process's
//! waiting exchange wakes), handed out oldest first until the router reports a result
//! (`command_result`), then done or failed.

use serde::Serialize;
use tokio_postgres::GenericClient;

use super::waiters::CHANNEL;
use crate::sync::wire::{Item, Order, MAX_ITEMS};

/// An item as the operator API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub id: i64,
    pub router_id: i64,
    pub body: serde_json::Value,
    /// queued | delivered | done | failed
    pub state: String,
    /// Why it failed, or what the router said when done.
    pub result: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const VIEW_COLUMNS: &str = "id, router_id, body, state, result, extract(epoch FROM created_at)::bigint, \
     extract(epoch FROM delivered_at)::bigint, extract(epoch FROM finished_at)::bigint";

fn view(row: &tokio_postgres::Row) -> ItemView {
    ItemView {
        id: row.get(0),
        router_id: row.get(1),
        body: row.get(2),
        state: row.get(3),
        result: row.get(4),
        created_at: row.get(5),
        delivered_at: row.get(6),
        finished_at: row.get(7),
    }
}

/// Queues `order` for `router` and announces it; call inside the transaction that causes it.
pub async fn queue(client: &impl GenericClient, router: i64, order: &Order) -> Result<i64, tokio_postgres::Error> {
    let body = order.to_api();
    let row = client.query_one("INSERT INTO router_items (router_id, body) VALUES ($1, $2) RETURNING id", &[&router, &body]).await?;
    client.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &router.to_string()]).await?;
    Ok(row.get(0))
}

/// What `router` has waiting, oldest first (at most `MAX_ITEMS`); queued ones become delivered.
/// Prepared once per connection: every exchange asks it.
pub async fn hand_out(client: &deadpool_postgres::Client, router: i64) -> Result<Vec<Item>, tokio_postgres::Error> {
    let limit = MAX_ITEMS as i64;
    let statement = client
        .prepare_cached(
            "WITH picked AS (
                 SELECT id, body FROM router_items
                 WHERE router_id = $1 AND state IN ('queued', 'delivered') ORDER BY id LIMIT $2
             ), marked AS (
                 UPDATE router_items SET state = 'delivered', delivered_at = now()
                 WHERE id IN (SELECT id FROM picked) AND state = 'queued'
             )
             SELECT id, body FROM picked ORDER BY id",
        )
        .await?;
    let rows = client.query(&statement, &[&router, &limit]).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.get(0);
        let body: serde_json::Value = row.get(1);
        match Order::from_api(body) {
            Ok(body) => items.push(Item { id, body }),
            Err(e) => log::error!("item {id} for router {router} is not an order we can send: {e}"),
        }
    }
    Ok(items)
}

/// The router's result for its item `id`: done (ok) or failed with `detail`. Only that
/// router's item, and only once (a finished item stays as it was).
pub async fn finish(client: &impl GenericClient, router: i64, id: i64, ok: bool, detail: &str) -> Result<(), tokio_postgres::Error> {
    let state = if ok { "done" } else { "failed" };
    let result = (!detail.is_empty()).then_some(detail);
    client
        .execute(
            "UPDATE router_items SET state = $3, result = $4, finished_at = now()
             WHERE id = $1 AND router_id = $2 AND state IN ('queued', 'delivered')",
            &[&id, &router, &state, &result],
        )
        .await?;
    Ok(())
}

pub async fn get(client: &impl GenericClient, id: i64) -> Result<Option<ItemView>, tokio_postgres::Error> {
    let row = client.query_opt(&format!("SELECT {VIEW_COLUMNS} FROM router_items WHERE id = $1"), &[&id]).await?;
    Ok(row.as_ref().map(view))
}

/// A router's items, newest first.
pub async fn of_router(client: &impl GenericClient, router: i64, limit: i64) -> Result<Vec<ItemView>, tokio_postgres::Error> {
    let rows = client
        .query(&format!("SELECT {VIEW_COLUMNS} FROM router_items WHERE router_id = $1 ORDER BY id DESC LIMIT $2"), &[&router, &limit])
        .await?;
    Ok(rows.iter().map(view).collect())
}

/// Failed items of every router, newest first (the fleet page).
pub async fn failed(client: &impl GenericClient, limit: i64) -> Result<Vec<ItemView>, tokio_postgres::Error> {
    let rows = client
        .query(&format!("SELECT {VIEW_COLUMNS} FROM router_items WHERE state = 'failed' ORDER BY id DESC LIMIT $1"), &[&limit])
        .await?;
    Ok(rows.iter().map(view).collect())
}
