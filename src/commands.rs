//! CLI commands that run part of the application: building and sending a
//! digest with a progress bar, and printing the next one.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::{watch, Notify};

use crate::config::Config;
use crate::routes::{create_digest, preview_text, ApiError, DigestOptions};
use crate::startup::{app_state, open_store, worker};
use crate::store::Error;

fn client_error(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::Internal(e) => e,
        other => anyhow::anyhow!("{other}"),
    }
}

/// `herald digest send SLUG`: builds the digest, then runs a delivery worker
/// here (beside any running `herald serve`/`herald worker`, which share the
/// queue) and shows progress until every delivery has ended.
pub async fn digest_send(config: Config, slug: &str) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let wake = Arc::new(Notify::new());
    let config = Arc::new(config);
    let state = app_state(config.clone(), store.clone(), wake.clone()).await?;
    let newsletter = store.newsletter_by_slug(slug).await.map_err(|e| match e {
        Error::NotFound => anyhow::anyhow!("no newsletter `{slug}`"),
        e => e.into(),
    })?;
    let digest = create_digest(&state, &newsletter, &DigestOptions::default(), None)
        .await
        .map_err(client_error)?;
    eprintln!(
        "digest {} of {}: {} items to {} recipients",
        digest.id, newsletter.slug, digest.items, digest.recipients
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
        let d = store.digest(digest.id).await?;
        bar.set_position((d.sent + d.failed + d.skipped).max(0) as u64);
        bar.set_message(d.status.clone());
        if d.status == "sent" || d.status == "cancelled" {
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
    let state = app_state(Arc::new(config), store.clone(), Arc::new(Notify::new())).await?;
    let newsletter = store.newsletter_by_slug(slug).await.map_err(|e| match e {
        Error::NotFound => anyhow::anyhow!("no newsletter `{slug}`"),
        e => e.into(),
    })?;
    let text = preview_text(&state, &newsletter)
        .await
        .map_err(client_error)?;
    println!("{text}");
    store.close().await;
    Ok(())
}
