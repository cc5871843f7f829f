//! The queue worker: claim due messages with a lease, send each with no
//! transaction open, and record each outcome as soon as it is known.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use rand::RngExt;
use tokio::sync::{watch, Notify};

use crate::domain::{MessageKind, SubscriberLinks, SuppressionReason};
use crate::email::{retry_hint, Mailer, SendError};
use crate::store::{QueuedMessage, Store};
use crate::suppressions::{Source, Suppressor};

mod prepare;
mod sent_log;
pub use crate::email::SendRate;
use prepare::Prepared;
pub use prepare::{list_id, CachedDigest};
use sent_log::SentLog;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub from: Mailbox,
    /// Messages claimed per round trip; also the number sent at once.
    pub batch: u32,
    /// How long a claim lasts before another worker may take the message.
    pub lease: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub retry_for: Duration,
    pub poll: Duration,
    /// Temporary failures in a row that make the worker pause claiming…
    pub breaker_threshold: u32,
    /// …for this long.
    pub breaker_cooloff: Duration,
    /// The longest one message's SMTP conversation may take.
    pub send_timeout: Duration,
    /// The publication's name, in each `List-Id`.
    pub site_name: String,
}

pub struct Worker {
    pub id: String,
    pub store: Store,
    pub mailer: Arc<Mailer>,
    pub config: WorkerConfig,
    /// Poked when a message is queued, so it goes out without waiting a poll.
    pub wake: Arc<Notify>,
    /// Builds each digest recipient's unsubscribe link.
    pub links: SubscriberLinks,
    /// Suppresses addresses the relay refuses.
    pub suppressor: Suppressor,
    /// Rendered digests by id: one database read per digest, not per
    /// recipient.
    pub digests: Mutex<HashMap<i64, Arc<CachedDigest>>>,
    /// Temporary failures since the last success.
    pub transient_run: AtomicU32,
    /// The process's send-rate limit, shared by its workers.
    pub rate: Option<Arc<SendRate>>,
    /// Digests this worker has already marked as sending.
    pub marked: Mutex<std::collections::HashSet<i64>>,
}

/// Runs a write that records a delivery's outcome, trying again for a
/// dozen seconds if the database is away: the outcome of a conversation
/// that happened must not be lost to a dropped connection (this worker
/// never reclaims its own leases, so an unrecorded message would wait for
/// another process).
pub(crate) async fn record_outcome<T, E, F, Fut>(mut write: F) -> Result<T, E>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut wait = Duration::from_millis(100);
    let mut tries = 1;
    loop {
        match write().await {
            Err(e) if tries < 8 => {
                tracing::warn!(error = %e, ?wait, "recording a delivery outcome failed; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(8));
                tries += 1;
            }
            result => return result,
        }
    }
}

/// The delay before attempt `attempts + 1`: doubling from `base`, capped at
/// `max`, with ±20 % jitter so retries from many messages spread out.
pub fn backoff(attempts: i32, base: Duration, max: Duration) -> Duration {
    let exp = attempts.saturating_sub(1).clamp(0, 30) as u32;
    let raw = base.saturating_mul(2u32.saturating_pow(exp)).min(max);
    let jitter = rand::rng().random_range(0.8..1.2);
    raw.mul_f64(jitter)
}

impl Worker {
    /// Runs until `stop` turns true; messages in flight finish first, and
    /// anything not finished is left leased, to be claimed again later.
    ///
    /// Up to `batch` messages are in flight at once, and a freed slot is
    /// refilled at once: one slow or hanging conversation never holds up
    /// the others.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "delivery worker started");
        let me = Arc::new(self);
        let limit = me.config.batch.max(1) as usize;
        let mut inflight = tokio::task::JoinSet::new();
        let (log, flusher) = SentLog::start(me.store.clone(), me.id.clone());
        let mut db_errors: u32 = 0;
        loop {
            while inflight.try_join_next().is_some() {}
            if *stop.borrow() {
                break;
            }
            if me.transient_run.load(Ordering::Relaxed) >= me.config.breaker_threshold {
                // The relay is struggling: stop claiming for a while rather
                // than spend every message's attempts against it.
                tracing::warn!(
                    worker = %me.id,
                    cooloff = ?me.config.breaker_cooloff,
                    "too many temporary failures in a row; pausing delivery"
                );
                tokio::select! {
                    _ = tokio::time::sleep(me.config.breaker_cooloff) => {}
                    _ = stop.changed() => {}
                }
                me.transient_run.store(0, Ordering::Relaxed);
                continue;
            }
            // Claim in batches: one round trip per quarter batch, not one
            // per freed slot, while the rest keeps SMTP busy (a quarter
            // beat a half and a whole on the fan-out bench).
            let free = limit.saturating_sub(inflight.len());
            if free == 0 || (free < limit.div_ceil(4) && !inflight.is_empty()) {
                tokio::select! {
                    _ = inflight.join_next() => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            match me.claim(free as u32).await {
                Ok(batch) if !batch.is_empty() => {
                    db_errors = 0;
                    for m in batch {
                        let (w, log) = (me.clone(), log.clone());
                        inflight.spawn(async move { w.deliver(m, Some(&log)).await });
                    }
                }
                Ok(_) => {
                    db_errors = 0;
                    let wait = me.idle_wait().await;
                    tokio::select! {
                        _ = me.wake.notified() => {
                            // A signup burst queues a message per request:
                            // gather a few milliseconds' worth per claim
                            // rather than claim each one alone.
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.changed() => {}
                        Some(_) = inflight.join_next(), if !inflight.is_empty() => {}
                    }
                }
                Err(e) => {
                    // The database is away (restarting, say): wait longer
                    // each time, up to 30 s, rather than spin.
                    db_errors = db_errors.saturating_add(1);
                    let wait = backoff(
                        db_errors as i32,
                        Duration::from_millis(200),
                        Duration::from_secs(30),
                    );
                    tracing::error!(error = %format!("{e:#}"), ?wait, "claiming messages failed");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
        // Let the conversations in flight finish (the caller bounds this).
        while inflight.join_next().await.is_some() {}
        drop(log);
        let _ = flusher.await;
        tracing::info!(worker = %me.id, "delivery worker stopped");
    }

    async fn idle_wait(&self) -> Duration {
        match self.store.next_due().await {
            Ok(Some(due)) => (due - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .clamp(Duration::from_millis(5), self.config.poll),
            _ => self.config.poll,
        }
    }

    /// Leases up to `n` due messages to this worker.
    async fn claim(&self, n: u32) -> anyhow::Result<Vec<QueuedMessage>> {
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(self.config.lease)?;
        let batch = self
            .store
            .claim_messages(&self.id, now, lease_until, n)
            .await?;
        let mut digests: Vec<i64> = batch.iter().filter_map(|m| m.digest_id).collect();
        digests.sort_unstable();
        digests.dedup();
        for d in digests {
            // Once per digest per worker is enough: it only moves
            // queued → sending.
            let first = self.marked.lock().expect("not poisoned").insert(d);
            if first {
                self.store.mark_digest_sending(d).await?;
            }
        }
        Ok(batch)
    }

    /// Claims what is due and delivers it, all before returning (for tests
    /// and tools that want one round).
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let batch = self.claim(self.config.batch).await?;
        let n = batch.len();
        futures_util::stream::iter(batch)
            .for_each_concurrent(self.config.batch as usize, |m| self.deliver(m, None))
            .await;
        Ok(n)
    }

    /// Sends one claimed message and records the outcome. A success is
    /// recorded through `log` (many in one statement) when given; either
    /// way this returns only once the outcome is committed, so a message
    /// counts as in flight until then.
    async fn deliver(&self, m: QueuedMessage, log: Option<&SentLog>) {
        let outcome = match self.prepare(&m).await {
            Ok(Prepared::Send(msg)) => {
                // A last guard against a send that never ends (the SMTP
                // mailer has its own, which also drops the connection).
                let send =
                    crate::metrics::timed(self.mailer.send_limited(&msg, self.rate.as_deref()));
                match tokio::time::timeout(self.config.send_timeout, send).await {
                    Ok(result) => result,
                    Err(_) => Err(SendError {
                        code: None,
                        transient: true,
                        message: format!("timed out after {:?}", self.config.send_timeout),
                    }),
                }
            }
            Ok(Prepared::Skip(reason)) => {
                tracing::info!(id = m.id, %reason, "delivery skipped");
                crate::metrics::skipped(m.kind.as_str());
                let skipped =
                    record_outcome(|| self.store.mark_skipped(m.id, &self.id, &reason)).await;
                if let Err(e) = skipped {
                    tracing::error!(id = m.id, error = %e, "recording a skip failed");
                }
                self.after(&m, false).await;
                return;
            }
            Err(e) => Err(e),
        };
        let now = Utc::now();
        let mut retried = false;
        let recorded = match outcome {
            Ok(()) => {
                self.transient_run.store(0, Ordering::Relaxed);
                tracing::debug!(id = m.id, kind = %m.kind, "message sent");
                crate::metrics::sent(m.kind.as_str());
                if let Some(log) = log {
                    // The log finishes the digest once its last delivery is in.
                    if let Err(e) = log.record(m.id, m.digest_id, now).await {
                        tracing::error!(id = m.id, error = %e, "recording a delivery outcome failed");
                    }
                    return;
                }
                record_outcome(|| self.store.mark_sent(m.id, &self.id, now)).await
            }
            Err(e) => {
                let age = (now - m.created_at).to_std().unwrap_or_default();
                if e.transient {
                    self.transient_run.fetch_add(1, Ordering::Relaxed);
                }
                if e.transient && age < self.config.retry_for {
                    let delay = backoff(m.attempts, self.config.retry_base, self.config.retry_max)
                        .max(retry_hint(&e.message).unwrap_or_default());
                    tracing::warn!(id = m.id, attempt = m.attempts, error = %e.message, ?delay, "send failed, will retry");
                    crate::metrics::retried(m.kind.as_str());
                    let next = now + chrono::Duration::from_std(delay).unwrap_or_default();
                    retried = true;
                    record_outcome(|| self.store.mark_retry(m.id, &self.id, next, &e.message)).await
                } else {
                    tracing::error!(id = m.id, error = %e.message, "send failed for good");
                    crate::metrics::failed(m.kind.as_str());
                    let failed =
                        record_outcome(|| self.store.mark_failed(m.id, &self.id, &e.message)).await;
                    self.bounced(&m, &e).await;
                    failed
                }
            }
        };
        if let Err(e) = recorded {
            // The lease runs out and the message is claimed again: at least once.
            tracing::error!(id = m.id, error = %e, "recording a delivery outcome failed");
        }
        self.after(&m, retried).await;
    }

    /// A delivery that failed for good may suppress its address: at once
    /// for a hard bounce, on the third digest for temporary failures.
    async fn bounced(&self, m: &QueuedMessage, e: &SendError) {
        let suppressed = if e.is_hard_bounce() && m.kind != MessageKind::Test {
            self.suppressor
                .suppress(&m.recipient, SuppressionReason::HardBounce, Source::Smtp, Some(&e.message))
                .await
        } else if let (true, MessageKind::Digest, Some(digest)) = (e.transient, m.kind, m.digest_id) {
            self.suppressor.soft_failure(&m.recipient, digest, &e.message).await
        } else {
            return;
        };
        if let Err(e) = suppressed {
            tracing::error!(id = m.id, error = %format!("{e:#}"), "recording a bounce failed");
        }
    }

    /// A digest whose last delivery just ended is sent.
    async fn after(&self, m: &QueuedMessage, retried: bool) {
        if let Some(d) = m.digest_id {
            if retried {
                if let Err(e) = self.store.cancel_leftovers(d).await {
                    tracing::warn!(digest = d, error = %e, "checking for a cancel failed");
                }
            }
            if let Err(e) = self.store.finish_digest_if_done(d, Utc::now()).await {
                tracing::warn!(digest = d, error = %e, "updating the digest's status failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(10);
        let max = Duration::from_secs(300);
        let first = backoff(1, base, max);
        assert!(first >= Duration::from_secs(8) && first <= Duration::from_secs(12));
        let third = backoff(3, base, max);
        assert!(third >= Duration::from_secs(32) && third <= Duration::from_secs(48));
        assert!(backoff(40, base, max) <= Duration::from_secs(360));
    }
}
