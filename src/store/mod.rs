//! The database: one `Store` with a SQLite and a PostgreSQL arm, picked by URL.
//!
//! Queries are written once with `$n` placeholders (SQLite understands them
//! too) and run on either pool through [`both!`]; only where the dialects
//! differ is there a `match`.

mod addresses;
mod admin_tokens;
mod admin_users;
mod console;
mod digest_progress;
mod digests;
mod feed_items;
mod feeds;
mod import;
mod newsletters;
mod queue;
mod signups;
mod subscriptions;

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use addresses::{erased_hash, AddressData};
pub use admin_tokens::AdminToken;
pub use admin_users::{AdminUpsert, AdminUser};
pub use console::{DayCount, StatusCounts};
pub use digest_progress::{Digest, DigestAction, DigestBody, DigestFailure};
pub use digests::{Created, NewDigest};
pub use feed_items::{FeedItem, FeedItemPage, NewItem};
pub use feeds::{DueFeed, Feed, NewFeed};
pub use import::{BatchOutcome, Confirmation, ImportRow, ImportStatus, IMPORT_BATCH};
pub use newsletters::{NewNewsletter, Newsletter};
pub use queue::{NewMessage, QueuedMessage};
pub use signups::{Render as SignupRender, SignupJob, Signups};
pub use subscriptions::{
    ConfirmOutcome, ConsentContext, SignupOutcome, SubscriberPage, SubscriberRow, SubscriptionInfo,
    TokenState,
};

/// Runs the same expression on whichever pool the store holds.
macro_rules! both {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use both;

/// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite, so that two
/// writers never fail with "database is locked" when a read lock would have
/// to be upgraded.
///
/// On SQLite the writers of one process also queue on an in-process lock
/// first: SQLite's busy handler sleeps (1, 2, 5 … 100 ms) between retries,
/// so under load most of a write's time was spent asleep while the lock sat
/// free. The busy timeout still covers other processes.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> sqlx::Result<WriteTx<Self::Db>>;
}

/// A write transaction, holding the process's SQLite write lock if any.
pub(crate) struct WriteTx<DB: sqlx::Database> {
    tx: sqlx::Transaction<'static, DB>,
    _lock: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    pub async fn commit(self) -> sqlx::Result<()> {
        self.tx.commit().await
    }
}

impl<DB: sqlx::Database> std::ops::Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// The in-process write lock of one SQLite database file.
async fn sqlite_write_lock(pool: &SqlitePool) -> tokio::sync::OwnedMutexGuard<()> {
    static LOCKS: std::sync::LazyLock<
        std::sync::Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
    > = std::sync::LazyLock::new(Default::default);
    let file = pool.connect_options().get_filename().to_path_buf();
    let lock = LOCKS
        .lock()
        .expect("not poisoned")
        .entry(file)
        .or_default()
        .clone();
    lock.lock_owned().await
}

/// The writer pools of this process's SQLite database files, each with a
/// flag its checkpointer reads: written since the last checkpoint.
type Writers = HashMap<PathBuf, (SqlitePool, Arc<std::sync::atomic::AtomicBool>)>;
static SQLITE_WRITERS: std::sync::LazyLock<std::sync::Mutex<Writers>> =
    std::sync::LazyLock::new(Default::default);

/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The one connection this process writes a SQLite file through. In WAL
/// mode a connection throws its whole page cache away whenever another
/// connection has written since its last transaction, so writes that
/// rotated through the pool re-read every page they touched (half the
/// writer's time went to `pread`); one writer keeps its cache warm.
///
/// Checkpoints (copying the WAL into the database file, with an `fsync`)
/// run on another connection, on a timer: left to the writer, every
/// thousandth page written stalled all writes while it ran. The writer
/// still checkpoints by itself past 10,000 pages, should the timer fall
/// behind.
fn sqlite_writer_pool(pool: &SqlitePool) -> SqlitePool {
    let opts = pool.connect_options();
    let mut writers = SQLITE_WRITERS.lock().expect("not poisoned");
    let (writer, dirty) = writers
        .entry(opts.get_filename().to_path_buf())
        .or_insert_with(|| {
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_lazy_with((*opts).clone().pragma("wal_autocheckpoint", "10000"));
            let dirty = Arc::new(std::sync::atomic::AtomicBool::new(false));
            tokio::spawn(checkpoints(pool.clone(), writer.clone(), dirty.clone()));
            (writer, dirty)
        });
    dirty.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.clone()
}

/// Checkpoints a SQLite file written since the last time, without ever
/// blocking its writer (`PASSIVE`), until the store is closed.
async fn checkpoints(
    pool: SqlitePool,
    writer: SqlitePool,
    dirty: Arc<std::sync::atomic::AtomicBool>,
) {
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if pool.is_closed() || writer.is_closed() {
            return;
        }
        if dirty.swap(false, std::sync::atomic::Ordering::Relaxed) {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::debug!(error = %e, "a SQLite checkpoint failed");
            }
        }
    }
}

/// The process's SQLite writer connection, held with the write lock: for
/// single-statement writes on hot paths (see [`BeginWrite`]).
pub(crate) struct SqliteWriter {
    conn: sqlx::pool::PoolConnection<sqlx::Sqlite>,
    _lock: tokio::sync::OwnedMutexGuard<()>,
}

impl SqliteWriter {
    pub async fn acquire(pool: &SqlitePool) -> sqlx::Result<Self> {
        let lock = sqlite_write_lock(pool).await;
        Ok(SqliteWriter {
            conn: sqlite_writer_pool(pool).acquire().await?,
            _lock: lock,
        })
    }
}

impl std::ops::Deref for SqliteWriter {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &sqlx::SqliteConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for SqliteWriter {
    fn deref_mut(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.conn
    }
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> sqlx::Result<WriteTx<sqlx::Sqlite>> {
        let lock = sqlite_write_lock(self).await;
        Ok(WriteTx {
            tx: sqlite_writer_pool(self)
                .begin_with("BEGIN IMMEDIATE")
                .await?,
            _lock: Some(lock),
        })
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> sqlx::Result<WriteTx<sqlx::Postgres>> {
        Ok(WriteTx {
            tx: self.begin().await?,
            _lock: None,
        })
    }
}

/// Storage errors that callers act on; everything else is `Other`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    Conflict,
    #[error(transparent)]
    Other(#[from] sqlx::Error),
}

impl Error {
    /// Maps a unique-constraint violation to `Conflict`.
    fn from_insert(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict,
            _ => Error::Other(e),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens a pool for `sqlite://…` (file created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Store::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await?;
            Ok(Store::Sqlite(pool))
        } else {
            anyhow::bail!("the database URL must start with sqlite:// or postgres://")
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Store::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Store::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        if let Store::Sqlite(p) = self {
            let file = p.connect_options().get_filename().to_path_buf();
            let writer = SQLITE_WRITERS.lock().expect("not poisoned").remove(&file);
            if let Some((w, _)) = writer {
                w.close().await;
            }
        }
        both!(self, p => p.close().await)
    }

    /// A cheap round trip, for `/health`.
    pub async fn ping(&self) -> Result<()> {
        both!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Returns the named secret, creating it with `make` the first time. Two
    /// processes starting at once agree on one value.
    pub async fn secret(&self, name: &str, make: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>> {
        let fresh = make();
        both!(self, p => {
            sqlx::query("INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(&fresh)
                .execute(p)
                .await?;
            let value: Vec<u8> = sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
                .bind(name)
                .fetch_one(p)
                .await?;
            Ok(value)
        })
    }
}
