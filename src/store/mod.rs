//! The SQLite database: opening it (WAL, foreign keys, busy timeout), migrating it, and the
//! `Store` handle through which the async daemon reaches it.
//!
//! SQLite calls block, so the daemon never makes them on the runtime thread: one dedicated
//! thread owns the connection and runs closures sent over a bounded channel, one at a time
//! (a router has one or two cores; one writer is also what SQLite wants). The CLI, which has
//! no runtime, uses a plain `Connection` and the same query functions.

pub mod accounts;
pub mod audit;
pub mod branding;
pub mod catalog;
pub mod demo_data;
pub mod migrations;
pub mod outbox;
pub mod payments;
pub mod reports;
pub mod sessions;
pub mod settings;
pub mod sync;
pub mod timeline;
pub mod usage;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the database folder {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot bring the database schema up to date")]
    Migrate(#[from] migrations::MigrationError),
    #[error("database query failed")]
    Sql(#[from] rusqlite::Error),
    #[error("no package with id {0} (see `hotspotd package list`)")]
    UnknownPackage(i64),
    #[error("a user named `{0}` already exists")]
    UsernameTaken(String),
    #[error("cannot read random bytes from the kernel")]
    Random(#[source] std::io::Error),
    #[error("the database thread has stopped")]
    Closed,
    #[error("cannot encode a record as JSON")]
    Encode(#[source] serde_json::Error),

}

/// Opens (creating if needed) and migrates the database at `path`.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|source| StoreError::CreateDir { path: dir.to_owned(), source })?;
    }
    let open_err = |source| StoreError::Open { path: path.to_owned(), source };
    let mut conn = Connection::open(path).map_err(open_err)?;
    // Switching a new database to WAL needs a moment alone with it and does not wait on the
    // busy timeout: when another process opens it at the same instant, try again shortly.
    // (The other opener may also have just removed a journal file this one meant to remove.)
    let mut tries = 0;
    while let Err(e) = configure(&conn) {
        const IOERR_DELETE_NOENT: std::ffi::c_int = 5898;
        let busy = e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
            || matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == IOERR_DELETE_NOENT);
        tries += 1;
        if !busy || tries >= 100 {
            return Err(open_err(e));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    migrations::migrate(&mut conn)?;
    Ok(conn)
}

/// Pragmas every connection needs. `synchronous=NORMAL` in WAL mode never corrupts the
/// database on power loss; at worst the last transactions are lost, and each payment or
/// login is its own transaction. A new database gets 1 KB pages: every change rewrites whole
/// pages on flash, and the usage checkpoint changes small rows in a few places each minute
/// (scripts/bench-flash.sh: 1.0 MB/h with 200 busy devices, against 1.6 MB/h with the
/// default 4 KB). An existing database keeps its page size.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // A RADIUS login or accounting batch runs a dozen distinct statements; rusqlite keeps 16
    // by default, so they evicted one another and each was parsed again (a fifth of the
    // store thread's time under load). A prepared statement costs a few KB.
    conn.set_prepared_statement_cache_capacity(64);
    // The pragmas as the SQL `pragma_update` would write: it can write a float too, and
    // brings core's float formatting (8 KB on mips) for that.
    conn.execute_batch("PRAGMA page_size = 1024")?;
    conn.execute_batch("PRAGMA journal_mode = 'WAL'")?;
    conn.execute_batch("PRAGMA synchronous = 'NORMAL'")?;
    // Copy the log into the database (with an fsync) every 4,000 pages rather than 1,000:
    // a page changed many times between two copies reaches the flash once, and a busy NAS's
    // logins pay for a quarter of the fsyncs. The log file is reused, at most ~4 MB.
    conn.execute_batch("PRAGMA wal_autocheckpoint = 4000")?;
    // Up to 4 MB of pages kept in memory (SQLite's default is 2 MB): a router's database is
    // usually smaller, so this only matters, and is only spent, when it has grown.
    conn.execute_batch("PRAGMA cache_size = -4096")?;
    conn.execute_batch("PRAGMA foreign_keys = 1")?;
    Ok(())
}

/// Stores a `words::word_enum!` type as its word: `sql_word!(PaymentStatus)`. A stored word
/// the enum does not know reads as an error naming it (the CHECK constraints keep them out).
macro_rules! sql_word {
    ($name:ty) => {
        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                let word = value.as_str()?;
                <$name>::parse(word).ok_or_else(|| {
                    rusqlite::types::FromSqlError::Other(format!("`{word}` is not a {}", stringify!($name)).into())
                })
            }
        }
    };
}

pub(crate) use sql_word;

type Task = Box<dyn FnOnce(&mut Connection) + Send>;
/// What a `call`'s closure returned, its type erased (`exchange`).
type Answer = Box<dyn std::any::Any + Send>;

/// Async handle to the database thread. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    tasks: mpsc::Sender<Task>,
}

/// Requests that may wait for the database thread at once; more wait in `call`.
const QUEUE_DEPTH: usize = 64;

impl Store {
    /// Moves `conn` to its own thread. The thread ends when the last `Store` clone drops.
    pub fn start(mut conn: Connection) -> std::io::Result<(Store, std::thread::JoinHandle<()>)> {
        let (tasks, mut inbox) = mpsc::channel::<Task>(QUEUE_DEPTH);
        let thread = std::thread::Builder::new().name("store".into()).spawn(move || {
            while let Some(task) = inbox.blocking_recv() {
                task(&mut conn);
            }
        })?;
        Ok((Store { tasks }, thread))
    }

    /// Runs `f` on the database thread and returns its result.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let answer = self.exchange(Box::new(move |conn| Box::new(f(conn)) as Answer)).await?;
        match answer.downcast::<Result<T, StoreError>>() {
            Ok(result) => *result,
            Err(_) => unreachable!("the answer is what this call's closure returned"),
        }
    }

    /// `call` without its types: the queueing and waiting are compiled once, not once per
    /// caller (some 90 of them, ~40 KB on mips); the answer comes back boxed.
    fn exchange(&self, f: Box<dyn FnOnce(&mut Connection) -> Answer + Send>) -> Pin<Box<dyn Future<Output = Result<Answer, StoreError>> + Send + '_>> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let task: Task = Box::new(move |conn| {
                let _ = reply.send(f(conn));
            });
            self.tasks.send(task).await.map_err(|_| StoreError::Closed)?;
            answer.await.map_err(|_| StoreError::Closed)
        })
    }
}
