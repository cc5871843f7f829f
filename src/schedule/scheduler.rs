//! The scheduler loop: each tick reads every schedule afresh (so a change
//! made by any process counts from its next slot), and for each newsletter
//! runs the latest slot that is due, once, recording older ones as missed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::app::{App, Error, Result};
use crate::digest;
use crate::domain::{parse_zone, RunStatus, Schedule};
use crate::store::Scheduled;

/// A claimed slot whose process went silent this long is taken over.
const CLAIM_LEASE: Duration = Duration::from_secs(60);
/// The longest sleep between ticks: a schedule changed elsewhere is seen
/// within it.
const MAX_WAIT: Duration = Duration::from_secs(1);
/// At most this many past slots of one schedule are looked at (and
/// recorded as missed) after downtime.
const MAX_SLOTS: usize = 1000;

/// Runs until `stop` turns true.
pub async fn run(app: std::sync::Arc<App>, mut stop: watch::Receiver<bool>) {
    loop {
        let wait = match tick(&app, Utc::now()).await {
            Ok(next) => next.min(MAX_WAIT),
            Err(e) => {
                tracing::warn!(error = %format!("{:#}", e.into_anyhow()), "a scheduler tick failed");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Handles every slot due at `now`; answers how long until the next one.
pub async fn tick(app: &App, now: DateTime<Utc>) -> Result<Duration> {
    let mut next_due: Option<DateTime<Utc>> = None;
    for n in app.store.scheduled().await? {
        let zone = match n.schedule_zone.as_deref() {
            Some(z) => parse_zone(z),
            None => Ok(app.config.timezone),
        };
        let schedule = match zone.and_then(|z| Schedule::parse(&n.schedule, z)) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(newsletter = %n.slug, error = %e, "a schedule no longer parses; skipped");
                continue;
            }
        };
        if let Err(e) = newsletter_tick(app, &n, &schedule, now).await {
            tracing::warn!(newsletter = %n.slug, error = %format!("{:#}", e.into_anyhow()), "a scheduled slot failed");
        }
        if let Some(next) = schedule.next_after(now) {
            next_due = Some(next_due.map_or(next, |d| d.min(next)));
        }
    }
    Ok(next_due
        .and_then(|d| (d - Utc::now()).to_std().ok())
        .unwrap_or(MAX_WAIT))
}

async fn newsletter_tick(
    app: &App,
    n: &Scheduled,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<()> {
    let grace_edge =
        now - chrono::Duration::from_std(app.config.schedule_grace).map_err(anyhow::Error::from)?;
    let last = app.store.last_run(n.id).await?;
    let mut after = n.schedule_since;
    if let Some(last) = &last {
        // A slot claimed by a process that died half-way is run again once
        // its claim is stale, if it is still within the grace.
        let stale = last.claimed_at.is_some_and(|c| c < now - lease());
        if last.status == RunStatus::Running && stale && last.slot > n.schedule_since {
            if last.slot < grace_edge {
                app.store
                    .finish_slot(n.id, last.slot, RunStatus::Missed, None, now)
                    .await?;
                outcome(n, last.slot, RunStatus::Missed, None);
            } else {
                // One digest a tick: newer slots wait for the next one.
                return run_slot(app, n, last.slot, now).await;
            }
        }
        after = after.max(last.slot);
    }
    let due = schedule.slots(after, now, MAX_SLOTS);
    let Some((&latest, older)) = due.split_last() else {
        return Ok(());
    };
    let mut missed = older.to_vec();
    if latest < grace_edge {
        missed.push(latest);
    } else {
        run_slot(app, n, latest, now).await?;
    }
    if !missed.is_empty() {
        app.store.record_missed(n.id, &missed, now).await?;
        for slot in missed {
            outcome(n, slot, RunStatus::Missed, None);
        }
    }
    Ok(())
}

fn lease() -> chrono::Duration {
    chrono::Duration::from_std(CLAIM_LEASE).expect("a minute fits")
}

/// Claims the slot and, if this process got it, creates its digest (or
/// records it as skipped when too few items are new).
async fn run_slot(app: &App, n: &Scheduled, slot: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    if !app.store.claim_slot(n.id, slot, now, now - lease()).await? {
        return Ok(());
    }
    let wanted = n.min_items.max(1) as u32;
    let new_items = app
        .store
        .digest_candidates(n.id, now, wanted.max(10))
        .await?
        .len() as u32;
    let (status, digest_id) = if new_items < wanted {
        (RunStatus::Skipped, None)
    } else {
        match digest::create_for_slot(app, &n.slug, slot).await {
            Ok(d) => (RunStatus::Sent, Some(d.id)),
            Err(Error::Conflict {
                code: "nothing_new",
                ..
            }) => (RunStatus::Skipped, None),
            Err(e) => return Err(e),
        }
    };
    app.store
        .finish_slot(n.id, slot, status, digest_id, Utc::now())
        .await?;
    outcome(n, slot, status, digest_id);
    Ok(())
}

/// Logs a slot's outcome and counts it in `/metrics`.
fn outcome(n: &Scheduled, slot: DateTime<Utc>, status: RunStatus, digest_id: Option<i64>) {
    crate::metrics::schedule_run(status.as_str());
    tracing::info!(newsletter = %n.slug, %slot, status = status.as_str(), digest = ?digest_id, "scheduled slot");
}
