//! The dispatcher: a background task in every `herald serve` and `herald
//! worker` that leases due deliveries, POSTs each signed event through the
//! address guard (checked again at send time, so a name that starts to
//! resolve to a private address is refused), and records the attempt.
//! Several processes share the queue through leases; an event is sent at
//! least once, retried with exponential backoff until it is delivered, and
//! an endpoint failing for `webhook_disable_after` is disabled.

use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::watch;

use super::signature::sign;
use crate::config::Config;
use crate::delivery::backoff;
use crate::feeds::{check_url, guarded_client, refusal};
use crate::store::{AttemptOutcome, ClaimedWebhook, Store};

/// The longest wait between retries of one event.
const RETRY_MAX: Duration = Duration::from_secs(3600);
/// Deliveries sent at once by one process.
const BATCH: u32 = 16;
/// The most of an answer's body kept in the log.
const MAX_RESPONSE: usize = 1024;

pub struct Dispatcher {
    store: Store,
    client: reqwest::Client,
    /// This process's lease holder id.
    id: String,
    allow_private: bool,
    retry_base: Duration,
    disable_after: Duration,
    lease: Duration,
    poll: Duration,
    /// Delivered events are kept this long, then purged.
    keep: Duration,
}

impl Dispatcher {
    pub fn new(store: Store, config: &Config) -> anyhow::Result<Self> {
        let agent = concat!("Herald/", env!("CARGO_PKG_VERSION"), " (webhooks)");
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "herald".to_string());
        Ok(Dispatcher {
            client: guarded_client(config.feeds_allow_private, config.webhook_timeout, agent)?,
            id: format!(
                "{host}-{}-{}",
                std::process::id(),
                &crate::domain::token::generate()[..8]
            ),
            allow_private: config.feeds_allow_private,
            retry_base: config.webhook_retry_base,
            disable_after: config.webhook_disable_after,
            lease: config.webhook_timeout * 2 + Duration::from_secs(30),
            poll: config.worker_poll.min(Duration::from_secs(1)),
            keep: config.purge_after,
            store,
        })
    }

    /// Sends until `stop` turns true; what is in flight finishes first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut purged_at: Option<Instant> = None;
        loop {
            if *stop.borrow() {
                return;
            }
            let sent = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming webhook deliveries failed");
                    0
                }
            };
            if purged_at.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
                purged_at = Some(Instant::now());
                self.purge().await;
            }
            if sent > 0 {
                continue;
            }
            let wait = match self.store.next_webhook_due().await {
                Ok(Some(at)) => (at - Utc::now()).to_std().unwrap_or_default(),
                _ => self.poll,
            }
            .clamp(Duration::from_millis(10), self.poll);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Leases one batch of due deliveries and sends them all; answers how
    /// many there were.
    pub async fn run_once(&self) -> crate::store::Result<usize> {
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(self.lease).unwrap_or_default();
        let batch = self
            .store
            .claim_webhooks(&self.id, now, lease_until, BATCH)
            .await?;
        let n = batch.len();
        futures_util::future::join_all(batch.iter().map(|d| self.deliver(d))).await;
        Ok(n)
    }

    async fn deliver(&self, d: &ClaimedWebhook) {
        let started = Instant::now();
        let at = Utc::now();
        let (status_code, error, response) = match self.post(d).await {
            Ok((status, body)) if (200..300).contains(&status) => (Some(status), None, body),
            Ok((status, body)) => (Some(status), Some(format!("HTTP status {status}")), body),
            Err(e) => (None, Some(e), None),
        };
        let outcome = AttemptOutcome {
            at,
            status_code,
            error,
            response,
            duration_ms: started.elapsed().as_millis().min(i32::MAX as u128) as i64,
        };
        crate::metrics::webhook_attempt(outcome.error.is_none());
        let recorded = match &outcome.error {
            None => self.store.webhook_delivered(d, &self.id, &outcome).await,
            Some(reason) => {
                let wait = backoff(d.attempts, self.retry_base, RETRY_MAX);
                let next = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                let since =
                    Utc::now() - chrono::Duration::from_std(self.disable_after).unwrap_or_default();
                let disable_reason =
                    format!("every delivery failed for {}", words(self.disable_after));
                tracing::info!(endpoint = d.endpoint_id, event = %d.event_id, error = %reason, "a webhook delivery failed");
                match self
                    .store
                    .webhook_failed(d, &self.id, &outcome, next, since, &disable_reason)
                    .await
                {
                    Ok(true) => {
                        tracing::warn!(endpoint = d.endpoint_id, url = %d.url, "webhook endpoint disabled: {disable_reason}");
                        Ok(())
                    }
                    Ok(false) => Ok(()),
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = recorded {
            // The lease runs out and the event is sent again: at least once.
            tracing::error!(delivery = d.id, error = %e, "recording a webhook attempt failed");
        }
    }

    /// One signed POST; answers the status and the start of the body.
    async fn post(&self, d: &ClaimedWebhook) -> Result<(i32, Option<String>), String> {
        let url = url::Url::parse(&d.url).map_err(|e| format!("invalid URL: {e}"))?;
        check_url(&url, self.allow_private).map_err(|e| e.to_string())?;
        let timestamp = Utc::now().timestamp();
        let signature = sign(&d.secret, &d.event_id, timestamp, &d.payload)
            .ok_or_else(|| "the endpoint's secret is unusable".to_string())?;
        let mut resp = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &d.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(d.payload.clone())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = i32::from(resp.status().as_u16());
        let mut body = Vec::new();
        while body.len() < MAX_RESPONSE {
            match resp.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                // The status is the answer; a body cut short doesn't change it.
                Ok(None) | Err(_) => break,
            }
        }
        body.truncate(MAX_RESPONSE);
        let text = String::from_utf8_lossy(&body).trim().to_string();
        Ok((status, (!text.is_empty()).then_some(text)))
    }

    async fn purge(&self) {
        let Ok(keep) = chrono::Duration::from_std(self.keep) else {
            return;
        };
        match self.store.purge_webhook_deliveries(Utc::now() - keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "purged old delivered webhook events"),
            Err(e) => tracing::warn!(error = %e, "purging webhook events failed"),
        }
    }
}

/// A client error in a few words: the guard's refusal, a timeout, or the
/// innermost cause.
fn describe(e: &reqwest::Error) -> String {
    if let Some(r) = refusal(e) {
        return r;
    }
    if e.is_timeout() {
        return "timed out".to_string();
    }
    let mut last = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    if e.is_connect() {
        format!("cannot connect: {last}")
    } else {
        last
    }
}

/// "3 days", "12 hours", "90 seconds".
fn words(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        _ if s >= 86_400 && s.is_multiple_of(86_400) => plural(s / 86_400, "day"),
        _ if s >= 3600 && s.is_multiple_of(3600) => plural(s / 3600, "hour"),
        _ if s >= 60 && s.is_multiple_of(60) => plural(s / 60, "minute"),
        0 => format!("{} ms", d.as_millis()),
        _ => plural(s, "second"),
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_words() {
        assert_eq!(words(Duration::from_secs(3 * 86_400)), "3 days");
        assert_eq!(words(Duration::from_secs(3600)), "1 hour");
        assert_eq!(words(Duration::from_secs(90)), "90 seconds");
        assert_eq!(words(Duration::from_millis(500)), "500 ms");
    }
}
