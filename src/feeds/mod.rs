//! RSS/Atom polling: claim due feeds with a lease, fetch each through the
//! address guard, and add its new entries as feed items, cleaned to plain
//! text, once each. A feed's failure is recorded on the feed, never raised.

mod fetch;

pub use fetch::{check_url, guarded_client, is_public, refusal, FetchError, Fetcher};

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use feed_rs::model;
use sha2::{Digest, Sha256};
use tokio::sync::{watch, Semaphore};

use crate::config::Config;
use crate::domain::text::{plain_text, safe_url};
use crate::store::{DueFeed, NewItem, Store};

/// Longest title and summary kept, in characters (the limits editors have).
pub const MAX_TITLE: usize = 500;
pub const MAX_SUMMARY: usize = 5000;
/// Longest link kept; a longer one is treated as no link.
const MAX_URL: usize = 2000;
/// GUIDs longer than this are stored as their hash, so a hostile feed can't
/// bloat the unique index.
const MAX_GUID: usize = 500;
/// Longest `last_error` kept.
const MAX_ERROR: usize = 300;

#[derive(Debug, Clone)]
pub struct PollerConfig {
    pub allow_private: bool,
    /// Limit for one fetch, connecting included.
    pub timeout: Duration,
    pub max_bytes: u64,
    /// How often the poller looks for due feeds.
    pub tick: Duration,
    /// Most feeds fetched at once.
    pub batch: u32,
}

impl PollerConfig {
    pub fn from_config(config: &Config) -> Self {
        PollerConfig {
            allow_private: config.feeds_allow_private,
            timeout: config.feed_timeout,
            max_bytes: config.feed_max_bytes,
            tick: Duration::from_secs(1),
            batch: 8,
        }
    }

    /// How long a claim lasts: past the slowest possible fetch and the
    /// inserts after it, so a live poll is never claimed twice, yet a poll
    /// lost with its process is retried within minutes.
    fn lease(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(60)
    }
}

pub struct Poller {
    store: Store,
    fetcher: Fetcher,
    config: PollerConfig,
    /// One permit per poll in flight: a slow feed holds its own slot, not
    /// the whole round.
    slots: Arc<Semaphore>,
}

impl Poller {
    pub fn new(store: Store, config: PollerConfig) -> anyhow::Result<Self> {
        Ok(Poller {
            fetcher: Fetcher::new(config.allow_private, config.timeout, config.max_bytes)?,
            slots: Arc::new(Semaphore::new(config.batch.max(1) as usize)),
            store,
            config,
        })
    }

    /// Polls due feeds until `stop` turns true (or its sender goes away).
    /// Polls in flight then finish on their own; an unfinished one is
    /// claimed again once its lease runs out.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(
            allow_private = self.config.allow_private,
            "feed poller started"
        );
        loop {
            if *stop.borrow() {
                break;
            }
            let free = self.slots.available_permits();
            let started = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "claiming feeds failed");
                    0
                }
            };
            // Every free slot used: more may be due already.
            if started > 0 && started == free {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.tick) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
        tracing::info!("feed poller stopped");
    }

    /// Claims as many due feeds as there are free slots and starts polling
    /// them; returns how many it started. Each poll runs in its own task, so
    /// even a panic in one is recorded on that feed and the others carry on.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let free = self.slots.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(self.config.lease())?;
        let batch = self
            .store
            .claim_feeds(now, lease_until, free as u32)
            .await?;
        let n = batch.len();
        for feed in batch {
            // Only this loop takes permits, and it claimed no more than were free.
            let permit = self.slots.clone().acquire_owned().await?;
            let (store, fetcher) = (self.store.clone(), self.fetcher.clone());
            tokio::spawn(async move {
                let (id, interval) = (feed.id, feed.interval_secs);
                if let Err(e) = tokio::spawn(poll(store.clone(), fetcher, feed)).await {
                    tracing::error!(feed = id, error = %e, "polling a feed panicked");
                    let now = Utc::now();
                    let error = Some("internal error while polling");
                    if let Err(e) = store
                        .finish_poll(id, now, next_poll(now, interval), error)
                        .await
                    {
                        tracing::error!(feed = id, error = %e, "recording a poll failed");
                    }
                }
                drop(permit);
            });
        }
        Ok(n)
    }
}

fn next_poll(now: DateTime<Utc>, interval_secs: i32) -> DateTime<Utc> {
    now + chrono::Duration::seconds(i64::from(interval_secs.max(1)))
}

/// Polls one feed and records the outcome on it.
async fn poll(store: Store, fetcher: Fetcher, feed: DueFeed) {
    let outcome = ingest(&store, &fetcher, &feed).await;
    let now = Utc::now();
    let error = match outcome {
        Ok(added) => {
            tracing::debug!(feed = feed.id, added, "feed polled");
            None
        }
        Err(e) => {
            tracing::warn!(feed = feed.id, url = %feed.url, error = %e, "feed poll failed");
            Some(truncate(&e, MAX_ERROR))
        }
    };
    if let Err(e) = store
        .finish_poll(
            feed.id,
            now,
            next_poll(now, feed.interval_secs),
            error.as_deref(),
        )
        .await
    {
        // The lease runs out and the feed is polled again; items dedupe.
        tracing::error!(feed = feed.id, error = %e, "recording a poll failed");
    }
}

/// Fetches, parses and stores one feed; returns how many entries were new,
/// or the reason to show as its `last_error`.
async fn ingest(store: &Store, fetcher: &Fetcher, feed: &DueFeed) -> Result<usize, String> {
    let body = fetcher.fetch(&feed.url).await.map_err(|e| e.to_string())?;
    let base = feed.url.clone();
    // Parsing is CPU work on a stranger's document: off the async threads,
    // and a panic in the parser becomes this feed's error.
    let parsed = tokio::task::spawn_blocking(move || parse(&base, &body))
        .await
        .map_err(|_| "the feed parser failed on this document".to_string())?
        .map_err(|e| format!("not an RSS or Atom feed: {e}"))?;
    let newsletter_ids = match &feed.newsletter_ids {
        None => Vec::new(),
        // Empty would mean "every newsletter": not what this feed was for.
        Some(ids) if ids.is_empty() => {
            return Err("none of its newsletters exists any more".to_string())
        }
        Some(ids) => ids.clone(),
    };
    let now = Utc::now();
    let mut added = 0;
    for item in items_from(&parsed, feed.id, &newsletter_ids, now) {
        match store.add_item(&item, now).await {
            Ok(Some(_)) => added += 1,
            Ok(None) => {}
            Err(e) => {
                tracing::error!(feed = feed.id, error = %e, "storing a feed item failed");
                return Err("could not store its items (database error)".to_string());
            }
        }
    }
    Ok(added)
}

/// Parses a feed, resolving relative links against its URL. Entries keep an
/// empty id when the feed gives none (feed-rs would otherwise hash the link
/// and title, so an edited title would make the entry new again).
pub fn parse(url: &str, body: &[u8]) -> Result<model::Feed, feed_rs::parser::ParseFeedError> {
    feed_rs::parser::Builder::new()
        .base_uri(Some(url))
        .id_generator(|_, _, _| String::new())
        .build()
        .parse(body)
}

/// The items a parsed feed yields, oldest (last in the document) first, so
/// newer entries get higher ids. Entries without a title or a safe link are
/// left out: a `javascript:` link never becomes an item.
pub fn items_from(
    feed: &model::Feed,
    feed_id: i64,
    newsletter_ids: &[i64],
    now: DateTime<Utc>,
) -> Vec<NewItem> {
    feed.entries
        .iter()
        .rev()
        .filter_map(|entry| {
            let title = truncate(&plain_text(&entry.title.as_ref()?.content), MAX_TITLE);
            if title.is_empty() {
                return None;
            }
            let url = entry_link(entry)?;
            let summary = entry
                .summary
                .as_ref()
                .map(|t| t.content.as_str())
                .filter(|s| !s.trim().is_empty())
                .or_else(|| entry.content.as_ref()?.body.as_deref())
                .map(|s| truncate(&plain_text(s), MAX_SUMMARY))
                .unwrap_or_default();
            // A date in the future would keep the item at the top of every
            // digest; it can't have been published yet.
            let published_at = entry.published.or(entry.updated).unwrap_or(now).min(now);
            let id = entry.id.trim();
            let guid = if id.is_empty() {
                url.clone()
            } else {
                id.to_string()
            };
            let guid = if guid.len() > MAX_GUID {
                format!("sha256:{}", hex::encode(Sha256::digest(guid.as_bytes())))
            } else {
                guid
            };
            Some(NewItem {
                title,
                url,
                summary,
                published_at,
                newsletter_ids: newsletter_ids.to_vec(),
                source: Some((feed_id, guid)),
            })
        })
        .collect()
}

/// The entry's first safe link, preferring the page itself (no `rel`, or
/// `alternate`) over related ones; comment links don't count.
fn entry_link(entry: &model::Entry) -> Option<String> {
    let page = |l: &&model::Link| matches!(l.rel.as_deref(), None | Some("alternate"));
    // feed-rs lists an RSS item's `<comments>` and `wfw:commentRss` among
    // its links, marked with a target: they are never the story itself.
    let links = || entry.links.iter().filter(|l| l.target.is_none());
    links()
        .filter(page)
        .chain(links().filter(|l| !page(l)))
        .filter_map(|l| safe_url(&l.href))
        .find(|u| u.len() <= MAX_URL)
}

/// At most `max` characters, ending in `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests;
