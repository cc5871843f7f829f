//! `/api/admin/feeds`: RSS and Atom feeds Herald polls into feed items.
//!
//! Only the URL's form is checked here; whether its host may be reached is
//! decided at every poll (addresses change), and a refusal shows up as the
//! feed's `last_error`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::feed_items::newsletter_ids;
use super::Admin;
use crate::routes::{body, error::ApiError, error::ErrorBody, AppState};
use crate::store::{Error, Feed, NewFeed};

/// Polls no more often than every 15 minutes unless asked.
const DEFAULT_INTERVAL: i64 = 900;
/// At most every 30 days.
const MAX_INTERVAL: i64 = 30 * 86_400;

/// A feed to poll. Use an interval of 60 seconds or more in production;
/// shorter ones exist for tests.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct FeedBody {
    /// An absolute http or https URL of an RSS or Atom document.
    pub(crate) url: String,
    /// Newsletter slugs its items go to; none (or empty) means every newsletter.
    #[serde(default)]
    pub(crate) newsletters: Vec<String>,
    /// Seconds between polls (default 900).
    #[schema(minimum = 1, maximum = 2_592_000)]
    pub(crate) interval_secs: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedList {
    feeds: Vec<Feed>,
}

/// The URL, normalised, if it is an absolute http or https URL with a host.
fn feed_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.len() > 2000 || raw.chars().any(char::is_control) {
        return None;
    }
    let url = url::Url::parse(raw).ok()?;
    let web =
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty());
    web.then(|| url.to_string())
}

#[utoipa::path(post, path = "/api/admin/feeds", operation_id = "create_feed", tag = "admin", security(("bearer" = [])),
    request_body = FeedBody,
    responses(
        (status = 201, description = "Added; the first poll comes within seconds", body = Feed),
        (status = 400, description = "The body doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 409, description = "A feed with this URL exists", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A refused value (a URL that isn't http or https, an unknown newsletter, an interval outside 1 s to 30 days)", body = ErrorBody),
    ))]
pub async fn create(
    _: Admin,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b: FeedBody = body::json(&req, payload, 64 * 1024).await?;
    Ok(HttpResponse::Created().json(add_feed(&state, &b).await?))
}

/// Checks and adds a feed (the API's and the console's way).
pub(crate) async fn add_feed(state: &AppState, b: &FeedBody) -> Result<Feed, ApiError> {
    let url = feed_url(&b.url).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_url",
            "the feed URL must be an absolute http or https URL",
        )
    })?;
    let interval = b.interval_secs.unwrap_or(DEFAULT_INTERVAL);
    let interval_secs = i32::try_from(interval)
        .ok()
        .filter(|i| (1..=MAX_INTERVAL).contains(&i64::from(*i)))
        .ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_interval",
                "interval_secs is 1 to 2592000 (60 or more in production)",
            )
        })?;
    let newsletter_ids = newsletter_ids(state, &b.newsletters).await?;
    let feed = NewFeed {
        url,
        interval_secs,
        newsletter_ids,
    };
    let id = match state.store.add_feed(&feed, Utc::now()).await {
        Ok(id) => id,
        Err(Error::Conflict) => {
            return Err(ApiError::new(
                actix_web::http::StatusCode::CONFLICT,
                "conflict",
                "this feed is polled already",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(state.store.feed(id).await?)
}

#[utoipa::path(get, path = "/api/admin/feeds", operation_id = "list_feeds", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every feed, with the outcome of its last poll", body = FeedList),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
    ))]
pub async fn list(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let feeds = state.store.list_feeds().await?;
    Ok(HttpResponse::Ok().json(FeedList { feeds }))
}

#[utoipa::path(get, path = "/api/admin/feeds/{id}", operation_id = "get_feed", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The feed; `last_error` says why its last poll failed", body = Feed),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such feed", body = ErrorBody),
    ))]
pub async fn get(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found("no such feed"))?;
    match state.store.feed(id).await {
        Ok(feed) => Ok(HttpResponse::Ok().json(feed)),
        Err(Error::NotFound) => Err(ApiError::not_found("no such feed")),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(delete, path = "/api/admin/feeds/{id}", operation_id = "delete_feed", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 204, description = "No longer polled; the items it brought stay"),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such feed", body = ErrorBody),
    ))]
pub async fn delete(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found("no such feed"))?;
    match state.store.delete_feed(id).await {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(Error::NotFound) => Err(ApiError::not_found("no such feed")),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
