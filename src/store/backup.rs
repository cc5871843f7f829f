//! Copies of a SQLite database taken while servers keep writing to it.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// Copies the SQLite database at `url` into `target` with `VACUUM INTO`.
///
/// The copy is read in one transaction, so it is a consistent snapshot of
/// the moment it began: in WAL mode the servers' writers go on meanwhile,
/// and what they commit later is simply not in it. `target` must not exist
/// or be empty (SQLite refuses anything else). The database must exist:
/// nothing is created or migrated here, so a backup taken before an
/// upgrade is of the old schema.
pub async fn sqlite_backup(url: &str, target: &Path) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::from_str(url)
        .context("invalid database URL")?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30));
    let source = options.get_filename().to_path_buf();
    if !source.is_file() {
        bail!("no SQLite database at {}", source.display());
    }
    let mut conn = options
        .connect()
        .await
        .with_context(|| format!("opening {}", source.display()))?;
    let target_text = target
        .to_str()
        .context("the backup file's path must be UTF-8")?;
    let copied = sqlx::query("VACUUM INTO $1")
        .bind(target_text)
        .execute(&mut conn)
        .await;
    conn.close().await.ok();
    copied.context("copying the database")?;
    Ok(())
}

/// SQLite's own check of a database file (`PRAGMA integrity_check`):
/// `Ok` when it answers `ok`, else the problems it lists.
pub async fn sqlite_integrity(path: &Path) -> anyhow::Result<()> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await?;
    conn.close().await.ok();
    if rows != ["ok"] {
        bail!(
            "{} fails its integrity check: {}",
            path.display(),
            rows.join("; ")
        );
    }
    Ok(())
}
