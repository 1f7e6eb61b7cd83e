//! Events → the tables the operator reads: payments, sessions, sales (revenue per method),
//! and the results of items. Called once per newly stored event, inside the exchange's
//! transaction, so a projection changes exactly when its event is stored. Upserts only:
//! events of one stream arrive in order, but a projection never assumes its row exists.
//!
//! Revenue methods: a payment's provider `mpesa` → `stk`, `central` → `paybill`, `demo` →
//! `demo`; a redeemed voucher's price → `voucher`. A sale's time is the event's router time
//! when its clock was trusted, else when the central received it.

use serde::Serialize;
use deadpool_postgres::Transaction;
use tokio_postgres::types::ToSql;

use super::items;
use crate::store::outbox::Event;

/// Where an event came from and when it happened.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub router: i64,
    pub stream: &'a str,
    pub seq: i64,
    pub router_time: i64,
    pub clock_trusted: bool,
}

/// An enum as the word serde writes for it (`"timeout"`).
fn word(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The SQL for "when it happened", with `$t` the router time and `$c` its trust.
fn at(t: u8, c: u8) -> String {
    format!("(CASE WHEN ${c}::boolean THEN to_timestamp(${t}::bigint) ELSE now() END)")
}

/// Runs `sql` as a statement prepared once per connection (these run for every event).
async fn run(client: &Transaction<'_>, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, tokio_postgres::Error> {
    let statement = client.prepare_cached(sql).await?;
    client.execute(&statement, params).await
}

pub async fn apply(client: &Transaction<'_>, o: Origin<'_>, event: &Event) -> Result<(), tokio_postgres::Error> {
    let (r, s) = (&o.router, &o.stream);
    match event {
        Event::PaymentStarted { payment_id, provider, phone, package_id, amount, currency } => {
            run(
                client,
                    &format!(
                        "INSERT INTO payments (router_id, stream, payment_id, provider, phone, package_id, amount, currency, status, started_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', {})
                         ON CONFLICT (router_id, stream, payment_id) DO UPDATE SET provider = EXCLUDED.provider,
                           phone = EXCLUDED.phone, package_id = EXCLUDED.package_id, amount = EXCLUDED.amount,
                           currency = EXCLUDED.currency, started_at = coalesce(payments.started_at, EXCLUDED.started_at)",
                        at(9, 10)
                    ),
                    &[r, s, payment_id, provider, phone, package_id, amount, currency, &o.router_time, &o.clock_trusted],
                )
                .await?;
        }
        Event::PaymentConfirmed { payment_id, receipt, amount, phone } => {
            run(
                client,
                    &format!(
                        "INSERT INTO payments (router_id, stream, payment_id, phone, amount, status, receipt, started_at, finished_at)
                         VALUES ($1, $2, $3, $4, $5, 'confirmed', $6, {at}, {at})
                         ON CONFLICT (router_id, stream, payment_id) DO UPDATE SET status = 'confirmed',
                           receipt = EXCLUDED.receipt, amount = EXCLUDED.amount, finished_at = EXCLUDED.finished_at",
                        at = at(7, 8)
                    ),
                    &[r, s, payment_id, phone, amount, receipt, &o.router_time, &o.clock_trusted],
                )
                .await?;
            run(
                client,
                    &format!(
                        "INSERT INTO sales (router_id, stream, seq, method, amount, currency, at)
                         SELECT router_id, stream, $4,
                           CASE provider WHEN 'mpesa' THEN 'stk' WHEN 'central' THEN 'paybill' WHEN 'demo' THEN 'demo' ELSE coalesce(provider, 'unknown') END,
                           coalesce(amount, 0), coalesce(currency, 'KES'), {}
                         FROM payments WHERE router_id = $1 AND stream = $2 AND payment_id = $3
                         ON CONFLICT DO NOTHING",
                        at(5, 6)
                    ),
                    &[r, s, payment_id, &o.seq, &o.router_time, &o.clock_trusted],
                )
                .await?;
        }
        Event::PaymentFailed { payment_id, status, failure } => {
            let status = word(status);
            let failure = serde_json::to_value(failure).unwrap_or(serde_json::Value::Null);
            run(
                client,
                    &format!(
                        "INSERT INTO payments (router_id, stream, payment_id, status, failure, started_at, finished_at)
                         VALUES ($1, $2, $3, $4, $5, {at}, {at})
                         ON CONFLICT (router_id, stream, payment_id) DO UPDATE SET status = EXCLUDED.status,
                           failure = EXCLUDED.failure, finished_at = EXCLUDED.finished_at",
                        at = at(6, 7)
                    ),
                    &[r, s, payment_id, &status, &failure, &o.router_time, &o.clock_trusted],
                )
                .await?;
        }
        Event::SessionStarted { session_id, account_id, username, mac, ip, enforcer, expires_at } => {
            run(
                client,
                    &format!(
                        "INSERT INTO sessions (router_id, stream, session_id, account_id, username, mac, ip, enforcer, expires_at, started_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, {})
                         ON CONFLICT (router_id, stream, session_id) DO UPDATE SET account_id = EXCLUDED.account_id,
                           username = EXCLUDED.username, mac = EXCLUDED.mac, ip = EXCLUDED.ip, enforcer = EXCLUDED.enforcer,
                           expires_at = EXCLUDED.expires_at, started_at = coalesce(sessions.started_at, EXCLUDED.started_at)",
                        at(10, 11)
                    ),
                    &[r, s, session_id, account_id, username, mac, ip, enforcer, expires_at, &o.router_time, &o.clock_trusted],
                )
                .await?;
        }
        Event::SessionEnded { session_id, account_id, method, reason, bytes_up, bytes_down, duration_secs } => {
            let (method, reason) = (word(method), word(reason));
            run(
                client,
                    &format!(
                        "INSERT INTO sessions (router_id, stream, session_id, account_id, end_method, end_reason, bytes_up, bytes_down, duration_secs, ended_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, {})
                         ON CONFLICT (router_id, stream, session_id) DO UPDATE SET end_method = EXCLUDED.end_method,
                           end_reason = EXCLUDED.end_reason, bytes_up = greatest(sessions.bytes_up, EXCLUDED.bytes_up),
                           bytes_down = greatest(sessions.bytes_down, EXCLUDED.bytes_down),
                           duration_secs = EXCLUDED.duration_secs, ended_at = EXCLUDED.ended_at",
                        at(10, 11)
                    ),
                    &[r, s, session_id, account_id, &method, &reason, bytes_up, bytes_down, duration_secs, &o.router_time, &o.clock_trusted],
                )
                .await?;
        }
        Event::SessionTotals { session_id, bytes_up, bytes_down } => {
            usage(client, o, &[*session_id], &[*bytes_up], &[*bytes_down]).await?;
        }
        Event::Usage { sessions, .. } => {
            let ids: Vec<i64> = sessions.iter().map(|t| t[0]).collect();
            let up: Vec<i64> = sessions.iter().map(|t| t[1]).collect();
            let down: Vec<i64> = sessions.iter().map(|t| t[2]).collect();
            usage(client, o, &ids, &up, &down).await?;
        }
        Event::VoucherRedeemed { price, currency, .. } if *price > 0 => {
            let currency = if currency.is_empty() { "KES" } else { currency.as_str() };
            run(
                client,
                    &format!(
                        "INSERT INTO sales (router_id, stream, seq, method, amount, currency, at)
                         VALUES ($1, $2, $3, 'voucher', $4, $5, {}) ON CONFLICT DO NOTHING",
                        at(6, 7)
                    ),
                    &[r, s, &o.seq, price, &currency, &o.router_time, &o.clock_trusted],
                )
                .await?;
        }
        Event::CommandResult { command_id, ok, detail } => {
            items::finish(&**client, o.router, *command_id, *ok, detail).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Higher byte totals for sessions (totals only grow).
async fn usage(client: &Transaction<'_>, o: Origin<'_>, ids: &[i64], up: &[i64], down: &[i64]) -> Result<(), tokio_postgres::Error> {
    run(
        client,
            "UPDATE sessions SET bytes_up = greatest(sessions.bytes_up, u.up), bytes_down = greatest(sessions.bytes_down, u.down)
             FROM unnest($3::bigint[], $4::bigint[], $5::bigint[]) AS u(id, up, down)
             WHERE sessions.router_id = $1 AND sessions.stream = $2 AND sessions.session_id = u.id",
            &[&o.router, &o.stream, &ids, &up, &down],
        )
        .await?;
    Ok(())
}
