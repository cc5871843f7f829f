//! The public news feed and the newsletters' digest archives: pages,
//! paging, Atom feeds read with a real feed parser, and no reader's token
//! in an archived copy.

mod copies;
mod listing;
mod news;

use feed_rs::model::Feed;

/// `path` as a reader fetches it: its status and body.
pub async fn get(app: &crate::helpers::TestApp, path: &str) -> (u16, String) {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// An Atom feed, fetched and parsed with feed-rs.
pub async fn atom(app: &crate::helpers::TestApp, path: &str) -> Feed {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/atom+xml"), "{ct}");
    let body = r.bytes().await.unwrap();
    let feed = feed_rs::parser::parse(body.as_ref()).expect("a valid feed");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    feed
}

/// The `href` of the feed's link with relation `rel`.
pub fn link(links: &[feed_rs::model::Link], rel: &str) -> String {
    links
        .iter()
        .find(|l| l.rel.as_deref() == Some(rel))
        .unwrap_or_else(|| panic!("no {rel} link in {links:?}"))
        .href
        .clone()
}
