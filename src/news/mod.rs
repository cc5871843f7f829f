//! The news feed editors fill: items they post, and RSS/Atom feeds Herald
//! polls into items (the polling itself is [`crate::feeds`]).

pub mod atom;
mod public;

pub use public::{news_atom, news_page, NewsPage, FEED_SIZE, PAGE_SIZE};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use validator::Validate;

use crate::app::{App, Error, Result};
use crate::domain::{poll_interval, FeedUrl, NewsItem};
use crate::newsletters::ids_for_slugs;
use crate::store::{self, Feed, FeedItem, FeedItemPage, NewFeed, NewItem};

/// A news item. `title` and `summary` are plain text (HTML is cleaned
/// away); `url` must be http, https or mailto.
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ItemBody {
    pub title: String,
    pub url: String,
    #[serde(default)]
    pub summary: String,
    /// Defaults to now.
    pub published_at: Option<DateTime<Utc>>,
    /// Newsletter slugs; none (or empty) means every newsletter.
    #[serde(default)]
    pub newsletters: Vec<String>,
}

/// Checks and adds an editor's item.
pub async fn add_item(app: &App, b: &ItemBody) -> Result<FeedItem> {
    let NewsItem {
        title,
        url,
        summary,
    } = NewsItem::parse(&b.title, &b.url, &b.summary)?;
    let newsletter_ids = ids_for_slugs(app, &b.newsletters).await?;
    let now = Utc::now();
    let item = NewItem {
        title,
        url,
        summary,
        published_at: b.published_at.unwrap_or(now),
        newsletter_ids,
        source: None,
    };
    let id = app
        .store
        .add_item(&item, now)
        .await?
        .ok_or_else(|| anyhow::anyhow!("an editor's item cannot be a duplicate"))?;
    Ok(app.store.feed_item(id).await?)
}

/// Which page of items to list.
#[derive(Deserialize, Default, utoipa::IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// 1 to 1000 (default 50)
    #[param(minimum = 1, maximum = 1000)]
    #[validate(range(
        min = 1,
        max = 1000,
        code = "invalid_limit",
        message = "limit is 1 to 1000"
    ))]
    pub limit: Option<u32>,
    /// The `next` cursor of the previous page
    pub after: Option<String>,
}

/// A page of items, newest first: `limit` before the cursor.
pub async fn list_items(app: &App, q: &ItemQuery) -> Result<FeedItemPage> {
    q.validate()?;
    let limit = q.limit.unwrap_or(50);
    let before = match q.after.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| Error::invalid("invalid_cursor", "unknown cursor"))?,
        ),
    };
    Ok(app.store.list_items(limit, before).await?)
}

/// Removes an item (`raw_id` from a path).
pub async fn delete_item(app: &App, raw_id: &str) -> Result<()> {
    let id: i64 = raw_id
        .parse()
        .map_err(|_| Error::not_found("no such item"))?;
    Ok(app.store.delete_item(id).await?)
}

/// A feed to poll. Use an interval of 60 seconds or more in production;
/// shorter ones exist for tests.
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct FeedBody {
    /// An absolute http or https URL of an RSS or Atom document.
    pub url: String,
    /// Newsletter slugs its items go to; none (or empty) means every newsletter.
    #[serde(default)]
    pub newsletters: Vec<String>,
    /// Seconds between polls (default 900).
    #[schema(minimum = 1, maximum = 2_592_000)]
    pub interval_secs: Option<i64>,
}

/// Polls no more often than every 15 minutes unless asked.
const DEFAULT_INTERVAL: i64 = 900;

/// Checks and adds a feed; its first poll comes within seconds.
pub async fn add_feed(app: &App, b: &FeedBody) -> Result<Feed> {
    let url = FeedUrl::parse(&b.url)?.into_string();
    let interval_secs = poll_interval(b.interval_secs.unwrap_or(DEFAULT_INTERVAL))?;
    let newsletter_ids = ids_for_slugs(app, &b.newsletters).await?;
    let feed = NewFeed {
        url,
        interval_secs,
        newsletter_ids,
    };
    let id = match app.store.add_feed(&feed, Utc::now()).await {
        Ok(id) => id,
        Err(store::Error::Conflict) => {
            return Err(Error::conflict("conflict", "this feed is polled already"))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(app.store.feed(id).await?)
}

/// Every feed, with the outcome of its last poll.
pub async fn list_feeds(app: &App) -> Result<Vec<Feed>> {
    Ok(app.store.list_feeds().await?)
}

fn feed_id(raw: &str) -> Result<i64> {
    raw.parse().map_err(|_| Error::not_found("no such feed"))
}

fn no_such_feed(e: store::Error) -> Error {
    match e {
        store::Error::NotFound => Error::not_found("no such feed"),
        e => e.into(),
    }
}

/// One feed (`raw_id` from a path).
pub async fn get_feed(app: &App, raw_id: &str) -> Result<Feed> {
    app.store.feed(feed_id(raw_id)?).await.map_err(no_such_feed)
}

/// Stops polling a feed; the items it brought stay.
pub async fn delete_feed(app: &App, raw_id: &str) -> Result<()> {
    app.store
        .delete_feed(feed_id(raw_id)?)
        .await
        .map_err(no_such_feed)
}
