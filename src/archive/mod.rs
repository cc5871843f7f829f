//! A newsletter's public archive: its sent digests, newest first, each as
//! its readers got it but with no reader's link or token in it, and the
//! same as an Atom feed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::{App, Error, Result};
use crate::email::public_html;
use crate::news::atom::{self, AtomEntry, AtomFeed};
use crate::store::{self, Newsletter};

/// Digests on one page of an archive.
pub const PAGE_SIZE: u32 = 20;
/// Digests in an archive's Atom feed.
pub const FEED_SIZE: u32 = 20;

/// A digest in the archive list, with its items' titles.
#[derive(Debug, Serialize)]
pub struct ArchiveEntry {
    pub id: i64,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    pub headlines: Vec<String>,
}

/// One page of an archive.
pub struct ArchivePage {
    pub newsletter: Newsletter,
    pub digests: Vec<ArchiveEntry>,
    /// The next (older) page's number, when there is one.
    pub next_page: Option<u32>,
}

/// One archived digest: the HTML its readers got, with a public page
/// wherever a reader's own link was.
pub struct ArchivedCopy {
    pub newsletter: Newsletter,
    pub id: i64,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    pub html: String,
}

fn no_archive() -> Error {
    Error::not_found("no such archive")
}

fn no_digest() -> Error {
    Error::not_found("no such digest in this archive")
}

/// The newsletter, if its archive is public; `NotFound` otherwise (also
/// when `public_archive` is off: nobody learns whether it exists).
async fn newsletter(app: &App, slug: &str) -> Result<Newsletter> {
    match app.store.newsletter_by_slug(slug).await {
        Ok(n) if n.public_archive => Ok(n),
        Ok(_) => Err(no_archive()),
        Err(store::Error::NotFound) => Err(no_archive()),
        Err(e) => Err(e.into()),
    }
}

async fn entries(
    app: &App,
    newsletter_id: i64,
    limit: u32,
    offset: u64,
) -> Result<Vec<ArchiveEntry>> {
    let digests = app.store.sent_digests(newsletter_id, limit, offset).await?;
    let ids: Vec<i64> = digests.iter().map(|d| d.id).collect();
    let mut headlines: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, title) in app.store.digest_headlines(&ids).await? {
        headlines.entry(id).or_default().push(title);
    }
    Ok(digests
        .into_iter()
        .map(|d| ArchiveEntry {
            headlines: headlines.remove(&d.id).unwrap_or_default(),
            id: d.id,
            subject: d.subject,
            sent_at: d.sent_at,
        })
        .collect())
}

/// Page `page` (from 1) of the newsletter's sent digests.
pub async fn list(app: &App, slug: &str, page: u32) -> Result<ArchivePage> {
    let newsletter = newsletter(app, slug).await?;
    let offset = u64::from(page.saturating_sub(1)) * u64::from(PAGE_SIZE);
    let mut digests = entries(app, newsletter.id, PAGE_SIZE + 1, offset).await?;
    let next_page = (digests.len() > PAGE_SIZE as usize).then(|| page + 1);
    digests.truncate(PAGE_SIZE as usize);
    Ok(ArchivePage {
        newsletter,
        digests,
        next_page,
    })
}

/// What an archived copy links to where a reader's own unsubscribe and
/// manage links were: the public page where anyone asks for their own
/// preference link by email. A subscriber reading the archive can still
/// leave or change their newsletters from it; nobody else learns anything.
fn public_links(app: &App) -> String {
    format!(
        "{}/subscriptions/manage",
        app.config.base_url.trim_end_matches('/')
    )
}

/// Sent digest `raw_id` (from a path) of the newsletter; `NotFound` for an
/// id that isn't a number, is another newsletter's, or isn't sent yet.
pub async fn get(app: &App, slug: &str, raw_id: &str) -> Result<ArchivedCopy> {
    let newsletter = newsletter(app, slug).await?;
    let id: i64 = raw_id.parse().map_err(|_| no_digest())?;
    let d = match app.store.sent_digest(newsletter.id, id).await {
        Ok(d) => d,
        Err(store::Error::NotFound) => return Err(no_digest()),
        Err(e) => return Err(e.into()),
    };
    Ok(ArchivedCopy {
        html: public_html(&d.body_html, &public_links(app)),
        newsletter,
        id: d.id,
        subject: d.subject,
        sent_at: d.sent_at,
    })
}

/// The newsletter's latest sent digests as an Atom document: each entry
/// links to its archived copy and lists its headlines.
pub async fn atom(app: &App, slug: &str) -> Result<String> {
    let newsletter = newsletter(app, slug).await?;
    let digests = entries(app, newsletter.id, FEED_SIZE, 0).await?;
    let base = app.config.base_url.trim_end_matches('/');
    let archive = format!("{base}/newsletters/{}/archive", newsletter.slug);
    let updated = digests
        .iter()
        .map(|d| d.sent_at)
        .max()
        .unwrap_or(newsletter.created_at);
    let entries = digests
        .into_iter()
        .map(|d| AtomEntry {
            id: format!("{archive}/{}", d.id),
            link: format!("{archive}/{}", d.id),
            title: d.subject,
            summary: Some(d.headlines.join(" · ")),
            content_html: None,
            published: d.sent_at,
            updated: d.sent_at,
        })
        .collect();
    Ok(atom::render(AtomFeed {
        id: archive.clone(),
        title: newsletter.name.clone(),
        page_url: archive.clone(),
        self_url: format!("{archive}.atom"),
        updated,
        author: app.config.site.name.clone(),
        lang: newsletter.lang(app.config.language).code().to_string(),
        entries,
    }))
}
