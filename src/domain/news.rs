//! What an editor posts: a news item (title, link, summary) and a feed to
//! poll, each checked and cleaned where it comes in.

use super::fields::{refused, Refused};
use super::text::{plain_text, safe_url};

/// An editor's item: plain-text title and summary (HTML is cleaned away),
/// a link that is http, https or mailto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsItem {
    pub title: String,
    pub url: String,
    pub summary: String,
}

impl NewsItem {
    pub fn parse(title: &str, url: &str, summary: &str) -> Result<Self, Refused> {
        let title = plain_text(title);
        if title.is_empty() || title.chars().count() > 500 {
            return Err(refused(
                "invalid_title",
                "a title is 1-500 characters of text",
            ));
        }
        let url = safe_url(url).filter(|u| u.len() <= 2000).ok_or_else(|| {
            refused(
                "invalid_url",
                "the link must be an absolute http, https or mailto URL",
            )
        })?;
        let summary = plain_text(summary);
        if summary.chars().count() > 5000 {
            return Err(refused(
                "invalid_summary",
                "a summary is at most 5000 characters",
            ));
        }
        Ok(NewsItem {
            title,
            url,
            summary,
        })
    }
}

/// A feed's address: an absolute http or https URL with a host, normalised.
/// Only its form is checked here; whether its host may be reached is
/// decided at every poll (addresses change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedUrl(String);

impl FeedUrl {
    pub fn parse(raw: &str) -> Result<Self, Refused> {
        let invalid = || {
            refused(
                "invalid_url",
                "the feed URL must be an absolute http or https URL",
            )
        };
        let raw = raw.trim();
        if raw.len() > 2000 || raw.chars().any(char::is_control) {
            return Err(invalid());
        }
        let url = url::Url::parse(raw).map_err(|_| invalid())?;
        let web = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|h| !h.is_empty());
        web.then(|| FeedUrl(url.to_string())).ok_or_else(invalid)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Seconds between polls of a feed: 1 to 30 days' worth (60 or more in
/// production; shorter ones exist for tests).
pub fn poll_interval(secs: i64) -> Result<i32, Refused> {
    const MAX_INTERVAL: i64 = 30 * 86_400;
    i32::try_from(secs)
        .ok()
        .filter(|i| (1..=MAX_INTERVAL).contains(&i64::from(*i)))
        .ok_or_else(|| {
            refused(
                "invalid_interval",
                "interval_secs is 1 to 2592000 (60 or more in production)",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_url(raw: &str) -> Option<String> {
        FeedUrl::parse(raw).ok().map(FeedUrl::into_string)
    }

    #[test]
    fn feed_urls() {
        assert_eq!(
            feed_url(" https://Example.com/feed.xml ").as_deref(),
            Some("https://example.com/feed.xml")
        );
        assert_eq!(
            feed_url("http://example.com").as_deref(),
            Some("http://example.com/")
        );
        for bad in [
            "ftp://example.com/f",
            "javascript:alert(1)",
            "/feed",
            "mailto:a@b.example",
            "http://exa\nmple.com/",
            "file:///etc/passwd",
        ] {
            assert_eq!(feed_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn items_are_cleaned_and_checked() {
        let i = NewsItem::parse("<b>Big</b> news", "https://n.example/a", "").unwrap();
        assert_eq!(i.title, "Big news");
        assert_eq!(
            NewsItem::parse(" ", "https://n.example/", "")
                .unwrap_err()
                .code,
            "invalid_title"
        );
        assert_eq!(
            NewsItem::parse("t", "javascript:x", "").unwrap_err().code,
            "invalid_url"
        );
        assert!(poll_interval(0).is_err() && poll_interval(60).is_ok());
    }
}
