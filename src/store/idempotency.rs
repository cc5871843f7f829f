//! The SQL of `Idempotency-Key`s: claiming a key, following a claim,
//! recording the answer, letting a claim go, purging old keys. A key is
//! claimed with one upsert: its row is new, or the old one is taken over
//! (expired, or claimed by an owner that stopped touching it unanswered),
//! so of any number of requests and processes exactly one gets it.

use chrono::{DateTime, Utc};

use super::{both, BeginWrite, Result, Store};

/// A key's row as the store holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdempotencyRecord {
    /// The request's hash; `None` while a streamed body is being read.
    pub request_hash: Option<String>,
    /// The answer's status; `None` while the work runs.
    pub status: Option<i32>,
    pub response: Option<String>,
    /// When its owner last said it was still working.
    pub claimed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A claim to make on a key.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyClaim<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    /// `None` for a streamed body, hashed as the work reads it.
    pub request_hash: Option<&'a str>,
    /// Who claims it: only the owner touches, finishes or releases it.
    pub owner: &'a str,
    pub now: DateTime<Utc>,
    /// An unanswered claim last touched before this may be taken over
    /// (unless both requests' hashes are known and differ).
    pub stale_before: DateTime<Utc>,
    /// A key created before this counts as gone.
    pub expired_before: DateTime<Utc>,
}

impl Store {
    /// Claims a key: true when `c.owner` now holds it and should do the work.
    pub async fn claim_idempotency_key(&self, c: &IdempotencyClaim<'_>) -> Result<bool> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let owner: Option<String> = sqlx::query_scalar(
                "INSERT INTO idempotency_keys \
                 (scope, key, request_hash, owner, claimed_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, \
                 owner = excluded.owner, status = NULL, response = NULL, \
                 claimed_at = excluded.claimed_at, created_at = excluded.created_at \
                 WHERE idempotency_keys.created_at < $6 \
                 OR (idempotency_keys.status IS NULL AND idempotency_keys.claimed_at < $7 \
                     AND (idempotency_keys.request_hash IS NULL OR excluded.request_hash IS NULL \
                          OR idempotency_keys.request_hash = excluded.request_hash)) \
                 RETURNING owner",
            )
            .bind(c.scope)
            .bind(c.key)
            .bind(c.request_hash)
            .bind(c.owner)
            .bind(c.now)
            .bind(c.expired_before)
            .bind(c.stale_before)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(owner.is_some())
        })
    }

    /// A key's row, if there is one.
    pub async fn idempotency_record(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>> {
        Ok(both!(self, p => sqlx::query_as(
            "SELECT request_hash, status, response, claimed_at, created_at \
             FROM idempotency_keys WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(p)
        .await)?)
    }

    /// Says the owner is still working; false when the claim is no longer
    /// its own.
    pub async fn touch_idempotency_key(
        &self,
        (scope, key, owner): (&str, &str, &str),
        now: DateTime<Utc>,
    ) -> Result<bool> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(
                "UPDATE idempotency_keys SET claimed_at = $4 \
                 WHERE scope = $1 AND key = $2 AND owner = $3 AND status IS NULL",
            )
            .bind(scope)
            .bind(key)
            .bind(owner)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    /// Records the owner's answer (and, for a streamed body, its hash);
    /// false when the claim is no longer its own.
    pub async fn finish_idempotency_key(
        &self,
        (scope, key, owner): (&str, &str, &str),
        request_hash: Option<&str>,
        status: i32,
        response: &str,
    ) -> Result<bool> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(
                "UPDATE idempotency_keys SET status = $4, response = $5, \
                 request_hash = COALESCE($6, request_hash) \
                 WHERE scope = $1 AND key = $2 AND owner = $3 AND status IS NULL",
            )
            .bind(scope)
            .bind(key)
            .bind(owner)
            .bind(status)
            .bind(response)
            .bind(request_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    /// Lets an unanswered claim go, so the next request with the key does
    /// the work.
    pub async fn release_idempotency_key(
        &self,
        (scope, key, owner): (&str, &str, &str),
    ) -> Result<()> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query(
                "DELETE FROM idempotency_keys \
                 WHERE scope = $1 AND key = $2 AND owner = $3 AND status IS NULL",
            )
            .bind(scope)
            .bind(key)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Removes keys created before `before`; answers how many.
    pub async fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(n)
        })
    }
}
