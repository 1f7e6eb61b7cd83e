//! Connecting to PostgreSQL: the pool every request borrows from, and the errors of talking
//! to the database. Owns no SQL of its own beyond what a connection needs to exist.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

/// Connections one process keeps at most (plus one for LISTEN).
pub const POOL_SIZE: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL is not set: set it to the PostgreSQL database to use, e.g. DATABASE_URL=postgres://user:password@localhost/hotspotd")]
    NoUrl,
    #[error("DATABASE_URL is not a PostgreSQL connection string (postgres://user:password@host:port/database)")]
    BadUrl(#[source] tokio_postgres::Error),
    #[error("cannot make the connection pool")]
    Pool(#[source] deadpool_postgres::BuildError),
    #[error("cannot connect to PostgreSQL (is it running, and does DATABASE_URL name the right host, port, user and database?)")]
    Connect(#[source] deadpool_postgres::PoolError),
    #[error("cannot connect to PostgreSQL (is it running, and does DATABASE_URL name the right host, port, user and database?)")]
    ConnectDirect(#[source] tokio_postgres::Error),
    #[error("the database refused a query")]
    Query(#[from] tokio_postgres::Error),
    #[error("cannot apply the database migration {version}")]
    Migration {
        version: i32,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("cannot read random bytes for a key (/dev/urandom)")]
    Random(#[source] std::io::Error),
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        DbError::Connect(e)
    }
}

/// The database's address from the environment.
pub fn url_from_env() -> Result<String, DbError> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Ok(url),
        _ => Err(DbError::NoUrl),
    }
}

/// The connection settings `url` names.
pub fn config(url: &str) -> Result<tokio_postgres::Config, DbError> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(DbError::BadUrl)?;
    if config.get_application_name().is_none() {
        config.application_name("hotspotd-central");
    }
    config.connect_timeout(std::time::Duration::from_secs(10));
    Ok(config)
}

/// A pool of up to `size` connections to `config`'s database (none opened yet).
pub fn pool(config: tokio_postgres::Config, size: usize) -> Result<Pool, DbError> {
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager).max_size(size).build().map_err(DbError::Pool)
}

/// One connection outside the pool; its driver runs as a task until the client is dropped.
pub async fn connect(config: &tokio_postgres::Config) -> Result<tokio_postgres::Client, DbError> {
    let (client, connection) = config.connect(NoTls).await.map_err(DbError::ConnectDirect)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            log::debug!("database connection ended: {e}");
        }
    });
    Ok(client)
}
