//! Newsletters: the lists readers sign up to.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::{both, writing, Error, Result, Store};
use crate::domain::Language;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Newsletter {
    #[serde(skip)]
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The sender of this newsletter's emails, when not `HERALD_FROM`.
    pub from_name: Option<String>,
    pub from_address: Option<String>,
    pub reply_to: Option<String>,
    /// The subject of its digests, when not the default (name and date).
    pub digest_subject: Option<String>,
    pub created_at: DateTime<Utc>,
    /// A cron expression (5 fields, or 6 with seconds first) when digests
    /// go out on a schedule.
    pub schedule: Option<String>,
    /// The schedule's IANA zone (`HERALD_TIMEZONE` when not set).
    #[sqlx(rename = "schedule_zone")]
    pub timezone: Option<String>,
    /// How many new items a scheduled slot needs to send a digest.
    pub min_items: i32,
    /// The welcome email sent when a subscription is confirmed (both set,
    /// or none is sent); the body is Markdown.
    pub welcome_subject: Option<String>,
    pub welcome_body: Option<String>,
    /// Its pages' and emails' language (`None`: `HERALD_LANGUAGE`).
    pub language: Option<String>,
    /// Whether its sent digests are on public pages.
    pub public_archive: bool,
    /// When the next scheduled digest is due.
    #[sqlx(skip)]
    pub next_run_at: Option<DateTime<Utc>>,
}

impl Newsletter {
    /// Its language, or `default` when it follows `HERALD_LANGUAGE`.
    pub fn lang(&self, default: Language) -> Language {
        self.language
            .as_deref()
            .and_then(|l| Language::parse(l).ok())
            .unwrap_or(default)
    }

    /// `"Name <address>"` for this newsletter's emails, if it has its own.
    pub fn sender(&self) -> Option<String> {
        let address = self.from_address.as_deref()?;
        Some(match self.from_name.as_deref() {
            Some(name) => format!("\"{}\" <{address}>", name.replace(['"', '\\'], "")),
            None => address.to_string(),
        })
    }
}

/// A new newsletter, or (for an update) the fields to change.
#[derive(Debug, Default)]
pub struct NewNewsletter<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub from_name: Option<&'a str>,
    pub from_address: Option<&'a str>,
    pub reply_to: Option<&'a str>,
    pub digest_subject: Option<&'a str>,
    pub welcome_subject: Option<&'a str>,
    pub welcome_body: Option<&'a str>,
    pub language: Option<&'a str>,
    pub public_archive: bool,
}

/// Slugs come from URLs; one that could never exist (say, with a NUL byte,
/// which PostgreSQL refuses outright) is simply not found.
fn plausible_slug(slug: &str) -> bool {
    crate::domain::NewsletterSlug::parse(slug).is_ok()
}

const COLUMNS: &str = "id, slug, name, description, from_name, from_address, reply_to, \
     digest_subject, created_at, schedule, schedule_zone, min_items, welcome_subject, welcome_body, \
     language, public_archive";

impl Store {
    /// Adds a newsletter; `Conflict` when the slug is taken (also by an
    /// archived one: history keeps its slug).
    pub async fn create_newsletter(&self, n: NewNewsletter<'_>) -> Result<Newsletter> {
        let sql = format!(
            "INSERT INTO newsletters (slug, name, description, from_name, from_address, reply_to, \
             digest_subject, created_at, welcome_subject, welcome_body, language, public_archive) \
             VALUES ($1, $2, $3, $4, $5, $6, $8, $7, $9, $10, $11, $12) RETURNING {COLUMNS}"
        );
        both!(self, p => sqlx::query_as(AssertSqlSafe(sql))
            .bind(n.slug)
            .bind(n.name)
            .bind(n.description)
            .bind(n.from_name)
            .bind(n.from_address)
            .bind(n.reply_to)
            .bind(Utc::now())
            .bind(n.digest_subject)
            .bind(n.welcome_subject)
            .bind(n.welcome_body)
            .bind(n.language)
            .bind(n.public_archive)
            .fetch_one(p)
            .await
            .map_err(Error::from_insert))
    }

    /// Every newsletter that takes signups, oldest first.
    pub async fn list_newsletters(&self) -> Result<Vec<Newsletter>> {
        let sql =
            format!("SELECT {COLUMNS} FROM newsletters WHERE archived_at IS NULL ORDER BY id");
        Ok(both!(self, p => sqlx::query_as(AssertSqlSafe(sql)).fetch_all(p).await)?)
    }

    /// A newsletter that is not archived; `NotFound` otherwise.
    pub async fn newsletter_by_slug(&self, slug: &str) -> Result<Newsletter> {
        if !plausible_slug(slug) {
            return Err(Error::NotFound);
        }
        let sql =
            format!("SELECT {COLUMNS} FROM newsletters WHERE slug = $1 AND archived_at IS NULL");
        both!(self, p => sqlx::query_as(AssertSqlSafe(sql)).bind(slug).fetch_optional(p).await)?
            .ok_or(Error::NotFound)
    }

    /// Replaces a newsletter's editable fields (the slug stays).
    pub async fn update_newsletter(&self, slug: &str, n: NewNewsletter<'_>) -> Result<Newsletter> {
        if !plausible_slug(slug) {
            return Err(Error::NotFound);
        }
        let sql = format!(
            "UPDATE newsletters SET name = $1, description = $2, from_name = $3, from_address = $4, \
             reply_to = $5, digest_subject = $7, welcome_subject = $8, welcome_body = $9, \
             language = $10, public_archive = $11 WHERE slug = $6 AND archived_at IS NULL RETURNING {COLUMNS}"
        );
        both!(self, p => sqlx::query_as(AssertSqlSafe(sql))
            .bind(n.name)
            .bind(n.description)
            .bind(n.from_name)
            .bind(n.from_address)
            .bind(n.reply_to)
            .bind(slug)
            .bind(n.digest_subject)
            .bind(n.welcome_subject)
            .bind(n.welcome_body)
            .bind(n.language)
            .bind(n.public_archive)
            .fetch_optional(p)
            .await)?
        .ok_or(Error::NotFound)
    }

    /// Archives a newsletter: it takes no signups and is no longer listed,
    /// but its subscriptions and consent records stay.
    pub async fn archive_newsletter(&self, slug: &str) -> Result<()> {
        if !plausible_slug(slug) {
            return Err(Error::NotFound);
        }
        let n = writing!(self, p => sqlx::query(
            "UPDATE newsletters SET archived_at = $1 WHERE slug = $2 AND archived_at IS NULL",
        )
        .bind(Utc::now())
        .bind(slug)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }
}
