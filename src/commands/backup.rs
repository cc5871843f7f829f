//! `herald backup FILE`, and the start-up warning about `HERALD_`
//! variables that are no setting.

use secrecy::ExposeSecret;

use crate::config::Config;

/// Copies the configured SQLite database into `file` and says how it went.
pub async fn backup(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let done = crate::backup::backup(config.database_url.expose_secret(), file).await?;
    println!(
        "backed up {} to {} ({} bytes in {:.1} s, integrity check ok)",
        config.database_url_redacted(),
        file.display(),
        done.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
