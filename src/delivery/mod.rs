//! The queue worker: claim due messages with a lease, send each with no
//! transaction open, and record each outcome as soon as it is known.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use rand::Rng;
use tokio::sync::{watch, Notify};

use crate::email::{build_message, Mailer};
use crate::store::{QueuedMessage, Store};

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
}

pub struct Worker {
    pub id: String,
    pub store: Store,
    pub mailer: Arc<Mailer>,
    pub config: WorkerConfig,
    /// Poked when a message is queued, so it goes out without waiting a poll.
    pub wake: Arc<Notify>,
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
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "delivery worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            let sent = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "claiming messages failed");
                    0
                }
            };
            if sent > 0 {
                continue;
            }
            let wait = self.idle_wait().await;
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!(worker = %self.id, "delivery worker stopped");
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

    /// Claims one batch and sends it; returns how many messages it handled.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(self.config.lease)?;
        let batch = self
            .store
            .claim_messages(&self.id, now, lease_until, self.config.batch)
            .await?;
        let n = batch.len();
        futures_util::stream::iter(batch)
            .for_each_concurrent(self.config.batch as usize, |m| self.deliver(m))
            .await;
        Ok(n)
    }

    async fn deliver(&self, m: QueuedMessage) {
        let outcome = match build_message(&self.config.from, &m) {
            Ok(msg) => self.mailer.send(&msg).await,
            Err(e) => Err(crate::email::SendError {
                transient: false,
                message: format!("cannot build the message: {e:#}"),
            }),
        };
        let now = Utc::now();
        let recorded = match outcome {
            Ok(()) => {
                tracing::info!(id = m.id, kind = %m.kind, "message sent");
                self.store.mark_sent(m.id, &self.id, now).await
            }
            Err(e) => {
                let age = (now - m.created_at).to_std().unwrap_or_default();
                if e.transient && age < self.config.retry_for {
                    let delay = backoff(m.attempts, self.config.retry_base, self.config.retry_max);
                    tracing::warn!(id = m.id, attempt = m.attempts, error = %e.message, ?delay, "send failed, will retry");
                    let next = now + chrono::Duration::from_std(delay).unwrap_or_default();
                    self.store
                        .mark_retry(m.id, &self.id, next, &e.message)
                        .await
                } else {
                    tracing::error!(id = m.id, error = %e.message, "send failed for good");
                    self.store.mark_failed(m.id, &self.id, &e.message).await
                }
            }
        };
        if let Err(e) = recorded {
            // The lease runs out and the message is claimed again: at least once.
            tracing::error!(id = m.id, error = %e, "recording a delivery outcome failed");
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
