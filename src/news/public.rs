//! The public news feed: the latest published items, a page at a time,
//! and as an Atom feed.

use chrono::{DateTime, Utc};
use fluent_bundle::FluentValue;

use super::atom::{self, AtomEntry, AtomFeed};
use crate::app::{App, Result};
use crate::domain::Language;
use crate::store::PublishedItem;

/// Items on one page of `/news`.
pub const PAGE_SIZE: u32 = 20;
/// Items in `/news.atom`.
pub const FEED_SIZE: u32 = 50;

/// One page of the news feed, newest first.
pub struct NewsPage {
    pub items: Vec<PublishedItem>,
    /// The next (older) page's number, when there is one.
    pub next_page: Option<u32>,
}

/// Page `page` (from 1) of the items published so far.
pub async fn news_page(app: &App, page: u32) -> Result<NewsPage> {
    let offset = u64::from(page.saturating_sub(1)) * u64::from(PAGE_SIZE);
    let mut items = app
        .store
        .published_items(Utc::now(), PAGE_SIZE + 1, offset)
        .await?;
    let next_page = (items.len() > PAGE_SIZE as usize).then(|| page + 1);
    items.truncate(PAGE_SIZE as usize);
    Ok(NewsPage { items, next_page })
}

/// The latest items as an Atom document, its title in `lang`; each entry
/// links to the article.
pub async fn news_atom(app: &App, lang: Language) -> Result<String> {
    let site_name = &app.config.site.name;
    let items = app.store.published_items(Utc::now(), FEED_SIZE, 0).await?;
    let base = app.config.base_url.trim_end_matches('/');
    let updated = items
        .iter()
        .map(|i| i.published_at)
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let entries = items
        .into_iter()
        .map(|i| AtomEntry {
            id: atom::tag_uri(base, i.created_at, &format!("news-item-{}", i.id)),
            title: i.title,
            link: i.url,
            summary: Some(i.summary),
            content_html: None,
            published: i.published_at,
            updated: i.published_at,
        })
        .collect();
    Ok(atom::render(AtomFeed {
        id: format!("{base}/news"),
        title: app.templates.catalogs().text_with(
            lang,
            "news-feed-title",
            &[("site", FluentValue::from(site_name.as_str()))],
        ),
        page_url: format!("{base}/news"),
        self_url: format!("{base}/news.atom"),
        updated,
        author: site_name.to_string(),
        lang: lang.code().to_string(),
        entries,
    }))
}
