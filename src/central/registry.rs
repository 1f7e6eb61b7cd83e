//! Who the central knows: routers (and their keys), operators (and the SHA-256 of their
//! tokens), and the central-wide C2B secret. The CLI's `router add`, `router list`,
//! `operator add` and `paybill urls` are these functions; the server reads keys and tokens
//! through them too.

use std::io::Read;

use sha2::{Digest, Sha256};
use tokio_postgres::{Client, GenericClient};

use super::db::DbError;
use crate::sync::wire::hex;

/// A router as `router list` shows it.
#[derive(Debug, Clone)]
pub struct RouterRow {
    pub id: i64,
    pub name: String,
    /// Unix seconds of the last accepted exchange.
    pub last_seen: Option<i64>,
    pub version: Option<String>,
    pub backlog: Option<i64>,
}

/// `bytes` random bytes as hex, from the kernel.
pub fn random_hex(bytes: usize) -> Result<String, DbError> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).map_err(DbError::Random)?;
    Ok(hex(&buf))
}

/// SHA-256 of `text`, hex.
pub fn sha256_hex(text: &[u8]) -> String {
    hex(&Sha256::digest(text))
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("a router named `{0}` already exists (names are unique; `router list` shows them)")]
    RouterExists(String),
    #[error("an operator named `{0}` already exists")]
    OperatorExists(String),
    #[error("the name must not be empty")]
    EmptyName,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<tokio_postgres::Error> for RegistryError {
    fn from(e: tokio_postgres::Error) -> Self {
        RegistryError::Db(DbError::Query(e))
    }
}

/// Registers a router: its id and its new key (64 hex characters).
pub async fn add_router(client: &Client, name: &str) -> Result<(i64, String), RegistryError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(RegistryError::EmptyName);
    }
    let key = random_hex(32)?;
    let row = client
        .query_opt("INSERT INTO routers (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id", &[&name, &key])
        .await?;
    match row {
        Some(row) => Ok((row.get(0), key)),
        None => Err(RegistryError::RouterExists(name.to_owned())),
    }
}

/// Every router, by id.
pub async fn list_routers(client: &Client) -> Result<Vec<RouterRow>, RegistryError> {
    let rows = client
        .query("SELECT id, name, extract(epoch FROM last_seen)::bigint, version, backlog FROM routers ORDER BY id", &[])
        .await?;
    Ok(rows
        .iter()
        .map(|r| RouterRow { id: r.get(0), name: r.get(1), last_seen: r.get(2), version: r.get(3), backlog: r.get(4) })
        .collect())
}

/// Registers an operator: the bearer token (shown once; only its hash is kept).
pub async fn add_operator(client: &Client, name: &str) -> Result<String, RegistryError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(RegistryError::EmptyName);
    }
    let token = random_hex(32)?;
    let row = client
        .query_opt(
            "INSERT INTO operators (name, token_sha256) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id",
            &[&name, &sha256_hex(token.as_bytes())],
        )
        .await?;
    match row {
        Some(_) => Ok(token),
        None => Err(RegistryError::OperatorExists(name.to_owned())),
    }
}

/// The operator holding `token`, by name.
pub async fn operator_by_token(client: &impl GenericClient, token: &str) -> Result<Option<String>, DbError> {
    let row = client.query_opt("SELECT name FROM operators WHERE token_sha256 = $1", &[&sha256_hex(token.as_bytes())]).await?;
    Ok(row.map(|r| r.get(0)))
}

/// A router's key, if it exists.
pub async fn router_key(client: &impl GenericClient, router: i64) -> Result<Option<String>, DbError> {
    let row = client.query_opt("SELECT key FROM routers WHERE id = $1", &[&router]).await?;
    Ok(row.map(|r| r.get(0)))
}

/// Whether router `router` exists.
pub async fn router_exists(client: &impl GenericClient, router: i64) -> Result<bool, DbError> {
    Ok(client.query_opt("SELECT 1 FROM routers WHERE id = $1", &[&router]).await?.is_some())
}

/// The C2B secret, created by the first caller (racing callers agree: insert-if-absent, then read).
pub async fn c2b_secret(client: &impl GenericClient) -> Result<String, DbError> {
    let fresh = random_hex(16)?;
    client
        .execute("INSERT INTO settings (name, value) VALUES ('c2b_secret', $1) ON CONFLICT (name) DO NOTHING", &[&fresh])
        .await?;
    let row = client.query_one("SELECT value FROM settings WHERE name = 'c2b_secret'", &[]).await?;
    Ok(row.get(0))
}
