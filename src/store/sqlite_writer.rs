//! SQLite writes, all through one place: one writer connection per
//! database file, behind an in-process lock, with WAL checkpoints on a
//! timer from another connection. PostgreSQL needs none of this (its
//! writers are many and row-locked), so [`BeginWrite`] is a plain `BEGIN`
//! there.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{PgPool, SqlitePool};

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

/// Closes the writer of `pool`'s file, if this process opened one.
pub(super) async fn close(pool: &SqlitePool) {
    let file = pool.connect_options().get_filename().to_path_buf();
    let writer = SQLITE_WRITERS.lock().expect("not poisoned").remove(&file);
    if let Some((w, _)) = writer {
        w.close().await;
    }
}
