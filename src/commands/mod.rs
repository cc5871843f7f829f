//! CLI commands that run part of the application: building and sending a
//! digest with a progress bar, printing the next one, managing
//! newsletters, backups, and asking a running server whether it is healthy.

mod backup;
mod health;
mod newsletter;

pub use backup::backup;
pub use health::{health, health_url};
pub use newsletter::newsletter;

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::{watch, Notify};

use crate::app::{App, Error};
use crate::config::Config;
use crate::digest::{self, DigestOptions};
use crate::startup::{open_store, worker};

/// A use case's refusal as the CLI says it; "no newsletter" for a slug
/// that names none.
fn cli_error(e: Error, slug: &str) -> anyhow::Error {
    match e {
        Error::NotFound { .. } => anyhow::anyhow!("no newsletter `{slug}`"),
        e => e.into_anyhow(),
    }
}

/// `herald digest send SLUG`: builds the digest, then runs a delivery worker
/// here (beside any running `herald serve`/`herald worker`, which share the
/// queue) and shows progress until every delivery has ended.
pub async fn digest_send(config: Config, slug: &str) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let wake = Arc::new(Notify::new());
    let config = Arc::new(config);
    let app = App::new(config.clone(), store.clone(), wake.clone()).await?;
    let digest = digest::create(&app, slug, &DigestOptions::default(), None)
        .await
        .map_err(|e| cli_error(e, slug))?;
    eprintln!(
        "digest {} of {}: {} items to {} recipients",
        digest.id, digest.newsletter, digest.items, digest.recipients
    );
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(worker(&config, store.clone(), wake).await?.run(stop_rx));
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(digest.recipients.max(0) as u64), target)
        .with_style(ProgressStyle::with_template(
            "{bar:40} {pos}/{len} {per_sec} eta {eta} {msg}",
        )?);
    let finished = loop {
        let d = digest::get(&app, digest.id)
            .await
            .map_err(Error::into_anyhow)?;
        bar.set_position((d.sent + d.failed + d.skipped).max(0) as u64);
        bar.set_message(d.status.as_str());
        if d.status.is_finished() {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    bar.finish_and_clear();
    let _ = stop.send(true);
    task.await?;
    println!(
        "digest {} {}: sent {}, failed {}, skipped {}",
        finished.id, finished.status, finished.sent, finished.failed, finished.skipped
    );
    for f in &finished.failures {
        println!("  {}: {}", f.recipient, f.error.as_deref().unwrap_or("?"));
    }
    store.close().await;
    Ok(())
}

/// `herald digest preview SLUG`: the next digest's text part; nothing is sent.
pub async fn digest_preview(config: Config, slug: &str) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let app = App::new(Arc::new(config), store.clone(), Arc::new(Notify::new())).await?;
    let text = digest::preview_text(&app, slug)
        .await
        .map_err(|e| cli_error(e, slug))?;
    println!("{text}");
    store.close().await;
    Ok(())
}
