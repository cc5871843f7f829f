//! Newsletters: the lists readers sign up to.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{both, Error, Result, Store};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Newsletter {
    #[serde(skip)]
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

pub struct NewNewsletter<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
}

const COLUMNS: &str = "id, slug, name, description, created_at";

impl Store {
    /// Adds a newsletter; `Conflict` when the slug is taken.
    pub async fn create_newsletter(&self, n: NewNewsletter<'_>) -> Result<Newsletter> {
        let sql = format!(
            "INSERT INTO newsletters (slug, name, description, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
        );
        both!(self, p => sqlx::query_as(&sql)
            .bind(n.slug)
            .bind(n.name)
            .bind(n.description)
            .bind(Utc::now())
            .fetch_one(p)
            .await
            .map_err(Error::from_insert))
    }

    /// Every newsletter that takes signups, oldest first.
    pub async fn list_newsletters(&self) -> Result<Vec<Newsletter>> {
        let sql =
            format!("SELECT {COLUMNS} FROM newsletters WHERE archived_at IS NULL ORDER BY id");
        Ok(both!(self, p => sqlx::query_as(&sql).fetch_all(p).await)?)
    }

    pub async fn newsletter_by_slug(&self, slug: &str) -> Result<Newsletter> {
        let sql =
            format!("SELECT {COLUMNS} FROM newsletters WHERE slug = $1 AND archived_at IS NULL");
        both!(self, p => sqlx::query_as(&sql).bind(slug).fetch_optional(p).await)?
            .ok_or(Error::NotFound)
    }
}
