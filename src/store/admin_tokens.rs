//! Admin API tokens, stored as SHA-256 hashes with a name and last use.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{both, writing, Error, Result, Store};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AdminToken {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Stores a new token's hash under `name`; `Conflict` if the name is taken.
    pub async fn create_admin_token(&self, name: &str, token_hash: &str) -> Result<()> {
        writing!(self, p => sqlx::query(
            "INSERT INTO admin_tokens (name, token_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(name)
        .bind(token_hash)
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        .map_err(Error::from_insert))?;
        Ok(())
    }

    pub async fn count_admin_tokens(&self) -> Result<i64> {
        Ok(
            both!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM admin_tokens")
            .fetch_one(p)
            .await)?,
        )
    }

    pub async fn list_admin_tokens(&self) -> Result<Vec<AdminToken>> {
        Ok(both!(self, p => sqlx::query_as(
            "SELECT name, created_at, last_used_at FROM admin_tokens ORDER BY id",
        )
        .fetch_all(p)
        .await)?)
    }

    /// `NotFound` when no token has that name.
    pub async fn revoke_admin_token(&self, name: &str) -> Result<()> {
        let done = writing!(self, p => sqlx::query("DELETE FROM admin_tokens WHERE name = $1")
            .bind(name)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// True when the hash belongs to a live token; records the use (at
    /// most once a minute). A token that isn't one is only looked up: a
    /// stranger's guess writes nothing.
    pub async fn use_admin_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let found: Option<(i64, Option<DateTime<Utc>>)> = both!(self, p => sqlx::query_as(
            "SELECT id, last_used_at FROM admin_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(p)
        .await)?;
        let Some((id, last_used)) = found else {
            return Ok(false);
        };
        if last_used.is_none_or(|t| now - t >= chrono::Duration::minutes(1)) {
            writing!(self, p => sqlx::query("UPDATE admin_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(p)
                .await
                .map(|_| ()))?;
        }
        Ok(true)
    }
}
