//! `herald backup FILE`: a consistent copy of the SQLite database, taken
//! while servers run, checked before it is called done.
//!
//! PostgreSQL has its own tools for this (`pg_dump`), which know about
//! roles, extensions and concurrent sessions far better than Herald could.

use std::path::Path;

use anyhow::{bail, Context};

use crate::store;

/// What a finished backup holds.
#[derive(Debug)]
pub struct Backup {
    pub bytes: u64,
}

/// Copies the database at `database_url` into `target`, a file that must
/// not exist yet; it is created readable by its owner only (the copy holds
/// every address and the admin token hashes). A failed or unsound copy is
/// removed rather than left to be mistaken for a backup.
pub async fn backup(database_url: &str, target: &Path) -> anyhow::Result<Backup> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        bail!(
            "herald backup copies SQLite databases; for PostgreSQL use pg_dump, for example \
             `pg_dump --format=custom --file=herald.dump \"$HERALD_DATABASE_URL\"` \
             (restore with pg_restore)"
        );
    }
    create_private(target)?;
    let copied = async {
        store::sqlite_backup(database_url, target).await?;
        store::sqlite_integrity(target).await
    }
    .await;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(target);
        return Err(e);
    }
    let bytes = std::fs::metadata(target)?.len();
    Ok(Backup { bytes })
}

/// Creates `path` empty with mode 0600, refusing one that exists (also
/// when it appears between a check and the create).
fn create_private(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!(
                "{} already exists; herald backup never overwrites a file",
                path.display()
            )
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}
