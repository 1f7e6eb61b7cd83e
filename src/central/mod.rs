//! The central server (`hotspotd-central`, feature `central`): PostgreSQL storage, the
//! routers' sync endpoint, the M-Pesa relays (STK callbacks, paybill), the operator API and
//! the fleet page. Stateless apart from PostgreSQL: several processes may serve one database.
//!
//! The parts:
//! - `cli`: the command line, parsed into a `Command` (pure).
//! - `db`: connecting (the pool, the LISTEN connection's settings) and its errors.
//! - `migrations`: the embedded `central-schema/*.sql`, applied at start under an advisory lock.
//! - `registry`: routers, operators and the C2B secret (the CLI's `router add`, `operator add`…).
//! - `server`: the HTTP listener (limits, timeouts, shutdown) and the route table.
//! - `http`: request bodies within limits, JSON and error responses.
//! - `exchange`: `POST /sync/v1/exchange`, the routers' one endpoint.
//! - `projections`: events → payments, sessions, sales, command results.
//! - `items`: what waits for a router (queueing with NOTIFY, handing out).
//! - `waiters`: long-polls waiting for news, woken by the LISTEN connection.
//! - `keys`: routers' keys remembered for a minute (no lookup per exchange).
//! - `stk`, `c2b`: the M-Pesa endpoints.
//! - `api`: the operator JSON API; `orders`: which commands it accepts (pure).
//! - `fleet`: the fleet page (server-rendered HTML, cookie login).

pub mod api;
pub mod c2b;
pub mod cli;
pub mod db;
pub mod exchange;
pub mod fleet;
pub mod http;
pub mod items;
pub mod keys;
pub mod migrations;
pub mod orders;
pub mod projections;
pub mod registry;
pub mod server;
pub mod stk;
pub mod waiters;
