//! Parsing feeds into items: markup, unsafe links, dates, ids.

use super::*;

const RSS: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>T</title><link>https://news.example/</link>
<item><title>Newest &lt;script&gt;alert(1)&lt;/script&gt;story</title><link>https://news.example/b</link>
  <guid>b-1</guid><description>&lt;img src=x onerror=alert(1)&gt;Body &lt;b&gt;bold&lt;/b&gt;</description>
  <pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>
<item><title>Evil</title><link>javascript:alert(1)</link><guid>evil</guid></item>
<item><title>   </title><link>https://news.example/empty</link></item>
<item><title>Relative, no guid</title><link>/a</link><pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate></item>
<item><title>From the future</title><link>https://news.example/f</link><pubDate>Fri, 01 Jan 2100 10:00:00 GMT</pubDate></item>
</channel></rss>"#;

#[test]
fn entries_become_clean_items() {
    let now = Utc::now();
    let feed = parse("https://news.example/feed.xml", RSS.as_bytes()).unwrap();
    let items = items_from(&feed, 7, &[3], now);
    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        ["From the future", "Relative, no guid", "Newest story"]
    );
    let newest = &items[2];
    assert_eq!(newest.summary, "Body bold");
    assert_eq!(newest.source, Some((7, "b-1".to_string())));
    assert_eq!(newest.newsletter_ids, [3]);
    assert_eq!(
        newest.published_at.to_rfc3339(),
        "2024-01-02T10:00:00+00:00"
    );
    // No guid: the (resolved) link stands in.
    assert_eq!(items[1].url, "https://news.example/a");
    assert_eq!(
        items[1].source,
        Some((7, "https://news.example/a".to_string()))
    );
    assert!(items[0].published_at <= now);
}

#[test]
fn atom_and_long_text() {
    let long = "x".repeat(6000);
    let atom = format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:f</id><updated>2024-01-01T00:00:00Z</updated>
<entry><title type="html">&lt;em&gt;Hi&lt;/em&gt;</title><id>urn:e1</id><updated>2024-01-03T00:00:00Z</updated>
<link rel="edit" href="https://a.example/edit"/><link href="https://a.example/e1"/>
<content type="html">{long}</content></entry></feed>"#
    );
    let feed = parse("https://a.example/atom", atom.as_bytes()).unwrap();
    let items = items_from(&feed, 1, &[], Utc::now());
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].title, "Hi");
    assert_eq!(items[0].url, "https://a.example/e1");
    assert_eq!(items[0].summary.chars().count(), MAX_SUMMARY);
    assert_eq!(items[0].source, Some((1, "urn:e1".to_string())));
}

#[test]
fn garbage_is_an_error() {
    assert!(parse("https://x.example/", b"<html><body>no</body></html>").is_err());
    assert!(parse("https://x.example/", b"\x00\x01 not xml").is_err());
}

#[test]
fn comment_links_are_not_the_story() {
    let rss = r#"<rss version="2.0" xmlns:wfw="http://wellformedweb.org/CommentAPI/"><channel><title>T</title>
<item><title>Talked about</title><comments>https://news.example/s#comments</comments>
  <wfw:commentRss>https://news.example/s/feed</wfw:commentRss><link>https://news.example/s</link></item>
<item><title>Only comments</title><comments>https://news.example/c#comments</comments></item>
</channel></rss>"#;
    let feed = parse("https://news.example/feed.xml", rss.as_bytes()).unwrap();
    let items = items_from(&feed, 1, &[], Utc::now());
    let got: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i.title.as_str(), i.url.as_str()))
        .collect();
    assert_eq!(got, [("Talked about", "https://news.example/s")]);
}
