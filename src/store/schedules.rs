//! The SQL of schedules: setting one, the newsletters that have one, and
//! each slot's run. A slot is claimed by inserting its row: the unique
//! (newsletter, slot) key lets one process in, whatever the others do.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{both, writing, Error, Newsletter, Result, Store};
use crate::domain::RunStatus;

/// A newsletter with a schedule, as the scheduler reads it each tick.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Scheduled {
    pub id: i64,
    pub slug: String,
    pub schedule: String,
    pub schedule_zone: Option<String>,
    pub min_items: i32,
    /// Slots at or before this instant belong to an earlier schedule.
    pub schedule_since: DateTime<Utc>,
}

/// One slot's outcome.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ScheduleRun {
    pub slot: DateTime<Utc>,
    pub status: RunStatus,
    pub digest_id: Option<i64>,
    #[serde(skip)]
    pub claimed_at: Option<DateTime<Utc>>,
}

/// A schedule to set: `None` turns it off.
#[derive(Debug, Clone, Copy)]
pub struct NewSchedule<'a> {
    pub expression: Option<&'a str>,
    pub zone: Option<&'a str>,
    pub min_items: i32,
}

impl Store {
    /// Sets (or clears) a newsletter's schedule from `now` on. `Conflict`
    /// for an archived newsletter, `NotFound` for none at all.
    pub async fn set_schedule(
        &self,
        slug: &str,
        s: NewSchedule<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let changed = writing!(self, p => sqlx::query(
            "UPDATE newsletters SET schedule = $1, schedule_zone = $2, min_items = $3, \
             schedule_since = $4 WHERE slug = $5 AND archived_at IS NULL",
        )
        .bind(s.expression)
        .bind(s.zone)
        .bind(s.min_items)
        .bind(now)
        .bind(slug)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if changed == 1 {
            return Ok(());
        }
        Err(if self.is_archived(slug).await? {
            Error::Conflict
        } else {
            Error::NotFound
        })
    }

    /// Whether an archived newsletter has this slug.
    pub async fn is_archived(&self, slug: &str) -> Result<bool> {
        let found: Option<i64> = both!(self, p => sqlx::query_scalar(
            "SELECT id FROM newsletters WHERE slug = $1 AND archived_at IS NOT NULL",
        )
        .bind(slug)
        .fetch_optional(p)
        .await)?;
        Ok(found.is_some())
    }

    /// Every newsletter (not archived) with a schedule.
    pub async fn scheduled(&self) -> Result<Vec<Scheduled>> {
        Ok(both!(self, p => sqlx::query_as(
            "SELECT id, slug, schedule, schedule_zone, min_items, schedule_since FROM newsletters \
             WHERE schedule IS NOT NULL AND schedule_since IS NOT NULL AND archived_at IS NULL ORDER BY id",
        )
        .fetch_all(p)
        .await)?)
    }

    /// The newsletter's latest slot with a row, if any.
    pub async fn last_run(&self, newsletter_id: i64) -> Result<Option<ScheduleRun>> {
        Ok(both!(self, p => sqlx::query_as(
            "SELECT slot, status, digest_id, claimed_at FROM schedule_runs \
             WHERE newsletter_id = $1 ORDER BY slot DESC LIMIT 1",
        )
        .bind(newsletter_id)
        .fetch_optional(p)
        .await)?)
    }

    /// Claims a slot for this process: true when its row is new, or was
    /// claimed before `stale_before` by a process that never finished it.
    pub async fn claim_slot(
        &self,
        newsletter_id: i64,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<bool> {
        let inserted = writing!(self, p => sqlx::query(
            "INSERT INTO schedule_runs (newsletter_id, slot, status, claimed_at, created_at) \
             VALUES ($1, $2, 'running', $3, $3) ON CONFLICT (newsletter_id, slot) DO NOTHING",
        )
        .bind(newsletter_id)
        .bind(slot)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if inserted == 1 {
            return Ok(true);
        }
        let taken = writing!(self, p => sqlx::query(
            "UPDATE schedule_runs SET claimed_at = $3 WHERE newsletter_id = $1 AND slot = $2 \
             AND status = 'running' AND claimed_at < $4",
        )
        .bind(newsletter_id)
        .bind(slot)
        .bind(now)
        .bind(stale_before)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(taken == 1)
    }

    /// Records a claimed slot's outcome (a slot still `running`: a claim
    /// taken over meanwhile by another process is that one's to finish).
    pub async fn finish_slot(
        &self,
        newsletter_id: i64,
        slot: DateTime<Utc>,
        status: RunStatus,
        digest_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        writing!(self, p => sqlx::query(
            "UPDATE schedule_runs SET status = $3, digest_id = $4, finished_at = $5 \
             WHERE newsletter_id = $1 AND slot = $2 AND status = 'running'",
        )
        .bind(newsletter_id)
        .bind(slot)
        .bind(status)
        .bind(digest_id)
        .bind(now)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Records slots that passed unrun as missed (those without a row yet);
    /// answers how many were new.
    pub async fn record_missed(
        &self,
        newsletter_id: i64,
        slots: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut added = 0;
        for slot in slots {
            added += writing!(self, p => sqlx::query(
                "INSERT INTO schedule_runs (newsletter_id, slot, status, created_at, finished_at) \
                 VALUES ($1, $2, 'missed', $3, $3) ON CONFLICT (newsletter_id, slot) DO NOTHING",
            )
            .bind(newsletter_id)
            .bind(slot)
            .bind(now)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        }
        Ok(added)
    }

    /// The newsletter's slots, newest first.
    pub async fn schedule_runs(
        &self,
        newsletter: &Newsletter,
        limit: u32,
    ) -> Result<Vec<ScheduleRun>> {
        Ok(both!(self, p => sqlx::query_as(
            "SELECT slot, status, digest_id, claimed_at FROM schedule_runs \
             WHERE newsletter_id = $1 ORDER BY slot DESC LIMIT $2",
        )
        .bind(newsletter.id)
        .bind(i64::from(limit))
        .fetch_all(p)
        .await)?)
    }
}
