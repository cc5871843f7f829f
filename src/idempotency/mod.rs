//! `Idempotency-Key`: a repeated admin request gets the first one's answer
//! instead of doing the work again, whatever the processes.
//!
//! A request claims its key (scoped to its route and newsletter) and does
//! the work; its answer is kept for a day. Another request with the key
//! and the same body waits for that answer and gets it; one with another
//! body is refused. An owner that fails or vanishes lets the key go (or
//! stops touching its claim, which is then taken over), so a key never
//! blocks for long. Answers are a status number and a text here: what they
//! mean is the adapter's business.

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::app::{App, Error, Result};
use crate::domain::{token, IdempotencyKey};
use crate::store::{IdempotencyClaim, Store};

/// How long a key and its answer are kept.
pub const KEEP_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// An unanswered claim not touched for this long is taken over.
const STALE_AFTER: Duration = Duration::from_secs(120);

/// How often an owner touches its claim while it works.
const HEARTBEAT: Duration = Duration::from_secs(20);

/// How long a request waits for another's answer before giving up.
pub const WAIT_FOR: Duration = Duration::from_secs(30);

/// A key within its scope (a route, and a newsletter where the path has one).
#[derive(Debug, Clone)]
pub struct ScopedKey {
    scope: String,
    key: IdempotencyKey,
}

impl ScopedKey {
    /// `invalid_idempotency_key` unless the key is 1-200 printable ASCII.
    pub fn parse(scope: String, raw: &str) -> Result<Self> {
        Ok(ScopedKey {
            scope,
            key: IdempotencyKey::parse(raw)?,
        })
    }
}

/// An answer to keep or give again: a status and its (JSON) body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// What a request with a key does.
pub enum Start {
    /// The work is this request's: do it and [`Claim::finish`].
    Run(Claim),
    /// An earlier request with this key and body answered this.
    Replay(Answer),
}

/// What waiting for another request's answer came to.
pub enum Waited {
    Answer(Answer),
    /// Its owner let the key go, or vanished: the key may be claimed again.
    Free,
}

/// A key this request holds. Dropped unfinished (a failure, a client gone),
/// it is let go, so that a retry does the work.
pub struct Claim {
    store: Store,
    scope: String,
    key: String,
    owner: String,
    done: bool,
}

/// Claims the key for a request whose hash is known, or waits for the
/// answer of the request that holds it (up to [`WAIT_FOR`]).
/// `idempotency_key_reused` when the key came with another request;
/// `idempotency_key_in_use` when no answer came in time.
pub async fn start(app: &App, key: &ScopedKey, request_hash: &str) -> Result<Start> {
    let until = Instant::now() + WAIT_FOR;
    loop {
        if let Some(claim) = claim(app, key, Some(request_hash)).await? {
            return Ok(Start::Run(claim));
        }
        match wait(app, key, request_hash, until).await? {
            Waited::Answer(a) => return Ok(Start::Replay(a)),
            Waited::Free if Instant::now() < until => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Waited::Free => return Err(in_use()),
        }
    }
}

/// Claims the key: `None` when another request holds it (or answered). A
/// streamed body's hash (`None`) is recorded when the work finishes.
pub async fn claim(
    app: &App,
    key: &ScopedKey,
    request_hash: Option<&str>,
) -> Result<Option<Claim>> {
    let now = Utc::now();
    let owner = token::generate();
    let claimed = app
        .store
        .claim_idempotency_key(&IdempotencyClaim {
            scope: &key.scope,
            key: key.key.as_str(),
            request_hash,
            owner: &owner,
            now,
            stale_before: now - chrono_duration(STALE_AFTER),
            expired_before: now - chrono_duration(KEEP_FOR),
        })
        .await?;
    Ok(claimed.then(|| Claim {
        store: app.store.clone(),
        scope: key.scope.clone(),
        key: key.key.as_str().to_string(),
        owner,
        done: false,
    }))
}

/// Waits until the request holding the key answers (polling, until
/// `until`), refusing as soon as its body is known to differ.
pub async fn wait(
    app: &App,
    key: &ScopedKey,
    request_hash: &str,
    until: Instant,
) -> Result<Waited> {
    let mut pause = Duration::from_millis(20);
    loop {
        let Some(record) = app
            .store
            .idempotency_record(&key.scope, key.key.as_str())
            .await?
        else {
            return Ok(Waited::Free);
        };
        let now = Utc::now();
        if record.created_at < now - chrono_duration(KEEP_FOR) {
            return Ok(Waited::Free);
        }
        if record
            .request_hash
            .as_deref()
            .is_some_and(|h| h != request_hash)
        {
            return Err(Error::invalid(
                "idempotency_key_reused",
                "this Idempotency-Key came with another request; use a new key",
            ));
        }
        match (record.status, record.response) {
            (Some(status), Some(body)) if record.request_hash.is_some() => {
                let status = u16::try_from(status)
                    .map_err(|_| anyhow::anyhow!("a kept answer has status {status}"))?;
                return Ok(Waited::Answer(Answer { status, body }));
            }
            _ if record.claimed_at < now - chrono_duration(STALE_AFTER) => {
                return Ok(Waited::Free);
            }
            _ => {}
        }
        if Instant::now() >= until {
            return Err(in_use());
        }
        tokio::time::sleep(pause.min(until.saturating_duration_since(Instant::now()))).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

fn in_use() -> Error {
    Error::conflict(
        "idempotency_key_in_use",
        "a request with this Idempotency-Key is still being handled; try again later",
    )
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).expect("a few days at most")
}

impl Claim {
    fn id(&self) -> (&str, &str, &str) {
        (&self.scope, &self.key, &self.owner)
    }

    /// Runs the work, touching the claim now and then so that a long one
    /// (a large import) is not taken for a vanished one.
    pub async fn hold<T>(&self, work: impl Future<Output = T>) -> T {
        let mut work = std::pin::pin!(work);
        let mut beat = tokio::time::interval(HEARTBEAT);
        beat.tick().await;
        loop {
            tokio::select! {
                out = &mut work => return out,
                _ = beat.tick() => {
                    if let Err(e) = self.store.touch_idempotency_key(self.id(), Utc::now()).await {
                        tracing::warn!(error = %e, "could not touch an idempotency claim");
                    }
                }
            }
        }
    }

    /// Keeps the answer for later requests with the key (with the hash of
    /// a streamed body, read whole by now).
    pub async fn finish(mut self, request_hash: Option<&str>, answer: &Answer) -> Result<()> {
        let kept = self
            .store
            .finish_idempotency_key(
                self.id(),
                request_hash,
                i32::from(answer.status),
                &answer.body,
            )
            .await?;
        self.done = true;
        if !kept {
            tracing::warn!(
                scope = %self.scope,
                "an idempotency claim was taken over before its answer was kept"
            );
        }
        Ok(())
    }

    /// Lets the key go without an answer: the next request does the work.
    pub async fn release(mut self) -> Result<()> {
        self.done = true;
        Ok(self.store.release_idempotency_key(self.id()).await?)
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let (store, scope, key, owner) = (
            self.store.clone(),
            std::mem::take(&mut self.scope),
            std::mem::take(&mut self.key),
            std::mem::take(&mut self.owner),
        );
        tokio::spawn(async move {
            if let Err(e) = store.release_idempotency_key((&scope, &key, &owner)).await {
                tracing::warn!(error = %e, "could not let an idempotency key go");
            }
        });
    }
}

/// Removes keys older than [`KEEP_FOR`]; answers how many.
pub async fn purge(store: &Store) -> Result<u64> {
    Ok(store
        .purge_idempotency_keys(Utc::now() - chrono_duration(KEEP_FOR))
        .await?)
}
