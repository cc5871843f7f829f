//! Console sign-in attempts per key (an email address or a client
//! network, hashed by the caller), shared by every process. The caller
//! decides; the store makes the read, the decision and the count one
//! transaction, so concurrent attempts, in one process or many, can't all
//! slip under a limit.

use chrono::{DateTime, Utc};

use super::{both, writing, BeginWrite, Result, Store};

/// A key's count so far: failures (attempts not taken back) and when the
/// last one came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    pub failures: i64,
    pub last_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Reads the keys' counts and asks `decide`: `Ok(new counts)` stores
    /// them (with `last_at = now`), `Err(wait)` stores nothing and is
    /// returned. Rows untouched for a day are dropped first.
    pub async fn sign_in_attempt<F>(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<std::result::Result<(), u64>>
    where
        F: Fn(&[Attempts]) -> std::result::Result<Vec<i64>, u64>,
    {
        // Rows untouched for a day go first, on their own: never inside
        // the transaction below, whose rows they could be.
        writing!(self, p => sqlx::query("DELETE FROM sign_in_failures WHERE last_at < $1")
            .bind(now - chrono::Duration::days(1))
            .execute(p)
            .await
            .map(|_| ()))?;
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut seen = Vec::with_capacity(keys.len());
            for key in keys {
                // Creates the row or, if it exists, locks it (PostgreSQL),
                // and reads it, in one statement.
                let (failures, last_at): (i64, DateTime<Utc>) = sqlx::query_as(
                    "INSERT INTO sign_in_failures (key_hash, failures, last_at) VALUES ($1, 0, $2) \
                     ON CONFLICT (key_hash) DO UPDATE SET key_hash = excluded.key_hash \
                     RETURNING failures, last_at",
                )
                .bind(key)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                seen.push(Attempts { failures, last_at: (failures > 0).then_some(last_at) });
            }
            let counts = match decide(&seen) {
                Ok(counts) => counts,
                Err(wait) => return Ok(Err(wait)),
            };
            for (key, n) in keys.iter().zip(counts) {
                sqlx::query("UPDATE sign_in_failures SET failures = $1, last_at = $2 WHERE key_hash = $3")
                    .bind(n)
                    .bind(now)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(Ok(()))
        })
    }

    /// Takes one attempt back from each key (a sign-in that succeeded).
    pub async fn sign_in_succeeded(&self, keys: &[String]) -> Result<()> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            for key in keys {
                sqlx::query(
                    "UPDATE sign_in_failures SET failures = failures - 1 \
                     WHERE key_hash = $1 AND failures > 0",
                )
                .bind(key)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
