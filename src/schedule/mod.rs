//! Scheduled digests: set a newsletter's schedule, list its slots, and the
//! scheduler that `herald serve` runs. At each slot it creates the digest
//! exactly as `POST …/digests` would, once per slot whatever the number of
//! processes: the slot's row is claimed in the database, and the digest's
//! idempotency key is the slot, so a process that died half-way is taken
//! over without a second digest. After downtime the latest slot within
//! `HERALD_SCHEDULE_GRACE` runs; every other one passed is recorded as
//! missed, so there is never a burst of catch-up digests.

mod scheduler;

pub use scheduler::{run, tick};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use validator::Validate;

use crate::app::{App, Error, Result};
use crate::domain::{parse_zone, Schedule};
use crate::store::{self, NewSchedule, Newsletter, ScheduleRun};

/// A schedule change: `schedule` `Some(None)` turns it off; absent fields
/// keep their value.
#[derive(Debug, Default, Clone, Validate)]
pub struct Change {
    pub schedule: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    #[validate(range(
        min = 1,
        max = 100,
        code = "invalid_min_items",
        message = "min_items is 1 to 100"
    ))]
    pub min_items: Option<i32>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.schedule.is_none() && self.timezone.is_none() && self.min_items.is_none()
    }
}

/// The schedule a newsletter has, parsed; `None` without one (or with one
/// that no longer parses, which the scheduler skips and logs).
pub fn of(app: &App, n: &Newsletter) -> Option<Schedule> {
    let expr = n.schedule.as_deref()?;
    let zone = match n.timezone.as_deref() {
        Some(z) => parse_zone(z).ok()?,
        None => app.config.timezone,
    };
    Schedule::parse(expr, zone).ok()
}

/// Fills in `next_run_at` from the newsletter's schedule.
pub fn with_next_run(app: &App, mut n: Newsletter) -> Newsletter {
    n.next_run_at = of(app, &n).and_then(|s| s.next_after(Utc::now()));
    n
}

/// The next `count` run times of a newsletter's schedule.
pub fn next_runs(app: &App, n: &Newsletter, count: usize) -> Vec<DateTime<Utc>> {
    let Some(s) = of(app, n) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(count);
    let mut t = Utc::now();
    while out.len() < count {
        match s.next_after(t) {
            Some(next) => {
                out.push(next);
                t = next;
            }
            None => break,
        }
    }
    out
}

/// A schedule change checked against what the newsletter has now.
#[derive(Debug, Clone)]
pub struct Checked {
    expression: Option<String>,
    zone: Option<String>,
    min_items: i32,
}

/// Checks `change` against the current expression, zone and min_items
/// (`None, None, 1` for a new newsletter): 422 for an expression or zone
/// that doesn't parse, or min_items outside 1-100. Writes nothing.
pub fn check(
    app: &App,
    change: &Change,
    current: (Option<String>, Option<String>, i32),
) -> Result<Checked> {
    change.validate()?;
    let expression = match &change.schedule {
        Some(s) => s.clone().filter(|s| !s.trim().is_empty()),
        None => current.0,
    };
    let zone = match &change.timezone {
        Some(z) => z.clone().filter(|z| !z.trim().is_empty()),
        None => current.1,
    };
    let zone = zone.as_deref().map(parse_zone).transpose()?;
    let min_items = change.min_items.unwrap_or(current.2);
    let expression = expression
        .map(|e| Schedule::parse(&e, zone.unwrap_or(app.config.timezone)))
        .transpose()?
        .map(|s| s.expression().to_string());
    Ok(Checked {
        expression,
        zone: zone.map(|z| z.name().to_string()),
        min_items,
    })
}

/// Applies a checked change from now on; 409 for an archived newsletter.
pub async fn apply(app: &App, slug: &str, c: &Checked) -> Result<Newsletter> {
    app.store
        .set_schedule(
            slug,
            NewSchedule {
                expression: c.expression.as_deref(),
                zone: c.zone.as_deref(),
                min_items: c.min_items,
            },
            Utc::now(),
        )
        .await
        .map_err(|e| match e {
            store::Error::Conflict => archived(),
            e => e.into(),
        })?;
    tracing::info!(newsletter = slug, schedule = ?c.expression, zone = ?c.zone, min_items = c.min_items, "schedule set");
    let n = app.store.newsletter_by_slug(slug).await?;
    Ok(with_next_run(app, n))
}

fn archived() -> Error {
    Error::conflict("archived", "an archived newsletter has no schedule")
}

/// Checks a change against the newsletter's current schedule and applies
/// it from now on. 422 for an expression or zone that doesn't parse, 409
/// for an archived newsletter.
pub async fn set(app: &App, slug: &str, change: &Change) -> Result<Newsletter> {
    if app.store.is_archived(slug).await? {
        return Err(archived());
    }
    let current = app.store.newsletter_by_slug(slug).await?;
    let checked = check(
        app,
        change,
        (current.schedule, current.timezone, current.min_items),
    )?;
    apply(app, slug, &checked).await
}

/// How many of a newsletter's slots to list.
#[derive(Deserialize, Default, utoipa::IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// 1 to 1000 (default 100)
    #[param(minimum = 1, maximum = 1000)]
    #[validate(range(
        min = 1,
        max = 1000,
        code = "invalid_limit",
        message = "limit is 1 to 1000"
    ))]
    pub limit: Option<u32>,
}

/// A newsletter's slots, newest first.
pub async fn runs(app: &App, slug: &str, q: &RunsQuery) -> Result<Vec<ScheduleRun>> {
    q.validate()?;
    let limit = q.limit.unwrap_or(100);
    let n = app.store.newsletter_by_slug(slug).await?;
    Ok(app.store.schedule_runs(&n, limit).await?)
}
