//! The database: one `Store` with a SQLite and a PostgreSQL arm, picked by URL.
//!
//! Queries are written once with `$n` placeholders (SQLite understands them
//! too) and run on either pool through [`both!`]; only where the dialects
//! differ is there a `match`.
//!
//! sqlx takes a `&'static str` as SQL, or a string marked `AssertSqlSafe`.
//! Herald marks only strings it builds here from its own constants (column
//! lists, dialect fragments, integer ids it read itself); every value from
//! outside goes in as a bound parameter.

mod addresses;
mod admin_tokens;
mod admin_users;
mod archive;
mod backup;
mod bounces;
#[cfg(test)]
mod checksums;
mod console;
mod digest_progress;
mod digests;
mod feed_items;
mod feeds;
mod idempotency;
mod import;
mod newsletters;
mod outage;
mod preferences;
mod queue;
mod schedules;
mod sign_in;
mod signups;
mod sqlite_writer;
mod subscriptions;
mod suppressions;
#[cfg(test)]
mod upgrade;
pub(crate) mod webhook_events;
mod webhook_queue;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use addresses::AddressData;
pub use admin_tokens::AdminToken;
pub use admin_users::{AdminUpsert, AdminUser};
pub use archive::{ArchivedDigest, SentDigest};
pub use backup::{sqlite_backup, sqlite_integrity};
pub use bounces::ReturnedMessage;
pub use console::{DayCount, StatusCounts};
pub use digest_progress::{Digest, DigestAction, DigestBody, DigestFailure};
pub use digests::{Created, NewDigest};
pub use feed_items::{FeedItem, FeedItemPage, NewItem, PublishedItem};
pub use feeds::{DueFeed, Feed, NewFeed};
pub use idempotency::{IdempotencyClaim, IdempotencyRecord};
pub use import::{BatchOutcome, Confirmation, ImportBatch, ImportRow, ImportStatus, IMPORT_BATCH};
pub use newsletters::{NewNewsletter, Newsletter};
pub use outage::{is_unavailable, unavailable_in};
pub use preferences::{PreferenceWrite, Preferences};
pub use queue::{NewMessage, QueuedMessage};
pub use schedules::{NewSchedule, ScheduleRun, Scheduled};
pub use sign_in::Attempts;
pub use signups::{SignupBatch, SignupWrite};
pub use subscriptions::{
    ConfirmOutcome, ConsentContext, SignupOutcome, SubscriberPage, SubscriberRow, SubscriptionInfo,
    TokenState,
};
pub use suppressions::{NewSuppression, Suppressed, Suppression};
pub use webhook_queue::{AttemptOutcome, ClaimedWebhook};
pub use webhooks::{WebhookAttempt, WebhookEndpoint};

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

/// Runs one write statement on whichever database the store holds: on
/// SQLite through this process's writer connection, its lock held (see
/// [`sqlite_writer`]), on PostgreSQL on the pool. Every SQLite write goes
/// through the writer, this way or in a `begin_write` transaction.
macro_rules! writing {
    ($store:expr, $conn:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite(pool) => {
                let mut writer = $crate::store::SqliteWriter::acquire(pool).await?;
                let $conn = &mut *writer;
                $body
            }
            $crate::store::Store::Postgres($conn) => $body,
        }
    };
}
pub(crate) use sqlite_writer::{BeginWrite, SqliteWriter};
pub(crate) use writing;

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

/// Creates a missing SQLite file readable by its owner only (mode 0600 on
/// Unix; SQLite gives its `-wal` and `-shm` files the same mode). An
/// existing file keeps its mode.
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" || path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

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
            let opts = SqliteConnectOptions::from_str(url)?;
            create_private(opts.get_filename())?;
            let opts = opts
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
            sqlite_writer::close(p).await;
        }
        both!(self, p => p.close().await)
    }

    /// A cheap round trip, for `/health`.
    pub async fn ping(&self) -> Result<()> {
        both!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Returns the named secret, storing `fresh` as it the first time. Two
    /// processes starting at once agree on one value.
    pub async fn secret(&self, name: &str, fresh: Vec<u8>) -> Result<Vec<u8>> {
        writing!(self, p => sqlx::query(
            "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&fresh)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(
            both!(self, p => sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
            .bind(name)
            .fetch_one(p)
            .await)?,
        )
    }
}
