//! Atom 1.0 documents (RFC 4287) for the public feeds, written by
//! `atom_syndication` rather than by hand, so every title and summary is
//! escaped as XML wants.

use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
use chrono::{DateTime, Utc};

/// A feed to write: `id` and the links are absolute.
pub struct AtomFeed {
    pub id: String,
    pub title: String,
    /// The page this feed follows (`rel="alternate"`).
    pub page_url: String,
    /// The feed's own address (`rel="self"`).
    pub self_url: String,
    /// The newest entry's time, or another fixed one for an empty feed.
    pub updated: DateTime<Utc>,
    /// The feed's author, which its entries share.
    pub author: String,
    /// The language of its text (`xml:lang`).
    pub lang: String,
    pub entries: Vec<AtomEntry>,
}

/// One entry: plain-text title and summary, optional HTML content.
pub struct AtomEntry {
    pub id: String,
    pub title: String,
    pub link: String,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// The media type the feeds are served with.
pub const CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

fn link(href: &str, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: mime.map(str::to_string),
        ..Link::default()
    }
}

fn entry(e: AtomEntry) -> Entry {
    Entry {
        id: e.id,
        title: Text::plain(e.title),
        updated: e.updated.fixed_offset(),
        published: Some(e.published.fixed_offset()),
        links: vec![link(&e.link, "alternate", Some("text/html"))],
        summary: e.summary.filter(|s| !s.is_empty()).map(Text::plain),
        content: e.content_html.map(|html| Content {
            value: Some(html),
            content_type: Some("html".to_string()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

/// The feed as an XML document.
pub fn render(f: AtomFeed) -> String {
    let feed = Feed {
        id: f.id,
        title: Text::plain(f.title),
        updated: f.updated.fixed_offset(),
        authors: vec![Person {
            name: f.author,
            ..Person::default()
        }],
        links: vec![
            link(&f.page_url, "alternate", Some("text/html")),
            link(&f.self_url, "self", Some("application/atom+xml")),
        ],
        entries: f.entries.into_iter().map(entry).collect(),
        lang: Some(f.lang),
        ..Feed::default()
    };
    feed.to_string()
}

/// A `tag:` URI (RFC 4151) under the host of `base_url`, minted on `date`:
/// an id that stays the same wherever the entry's link points.
pub fn tag_uri(base_url: &str, date: DateTime<Utc>, specific: &str) -> String {
    let host = url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".to_string());
    format!("tag:{host},{}:{specific}", date.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_summaries_are_escaped_and_the_links_are_there() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let xml = render(AtomFeed {
            id: "https://h.example/news".into(),
            title: "News <&>".into(),
            page_url: "https://h.example/news".into(),
            self_url: "https://h.example/news.atom".into(),
            updated: t,
            author: "Herald".into(),
            lang: "en".into(),
            entries: vec![AtomEntry {
                id: tag_uri("https://h.example:8080/", t, "news-item-1"),
                title: "Rates <rise>".into(),
                link: "https://news.example/a?b=1&c=2".into(),
                summary: Some("\"quoted\" & more".into()),
                content_html: None,
                published: t,
                updated: t,
            }],
        });
        assert!(xml.contains("<title>News &lt;&amp;&gt;</title>"), "{xml}");
        assert!(xml.contains("Rates &lt;rise&gt;") && !xml.contains("<rise>"));
        assert!(xml.contains("href=\"https://news.example/a?b=1&amp;c=2\""));
        assert!(xml.contains("rel=\"self\"") && xml.contains("rel=\"alternate\""));
        assert!(xml.contains("<id>tag:h.example,1970-01-01:news-item-1</id>"));
    }
}
