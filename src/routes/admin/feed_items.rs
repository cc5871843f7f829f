//! `/api/admin/feed-items`: the news feed editors post to.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::Admin;
use crate::domain::text::{plain_text, safe_url};
use crate::routes::{body, error::ApiError, error::ErrorBody, AppState};
use crate::store::{Error, FeedItem, FeedItemPage, NewItem};

/// A news item. `title` and `summary` are plain text (HTML is cleaned
/// away); `url` must be http, https or mailto.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ItemBody {
    pub(crate) title: String,
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) summary: String,
    /// Defaults to now.
    pub(crate) published_at: Option<DateTime<Utc>>,
    /// Newsletter slugs; none (or empty) means every newsletter.
    #[serde(default)]
    pub(crate) newsletters: Vec<String>,
}

/// Newsletter slugs to ids; 422 for one that doesn't exist.
pub async fn newsletter_ids(state: &AppState, slugs: &[String]) -> Result<Vec<i64>, ApiError> {
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        match state.store.newsletter_by_slug(slug).await {
            Ok(n) => ids.push(n.id),
            Err(Error::NotFound) => {
                return Err(ApiError::unprocessable(
                    "unknown_newsletter",
                    format!("there is no newsletter `{}`", slug.escape_debug()),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

#[utoipa::path(post, path = "/api/admin/feed-items", tag = "admin", security(("bearer" = [])),
    request_body = ItemBody,
    responses(
        (status = 201, description = "Added", body = FeedItem),
        (status = 400, description = "The body doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A refused value (empty title, a link that isn't http, https or mailto, an unknown newsletter)", body = ErrorBody),
    ))]
pub async fn create(
    _: Admin,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b: ItemBody = body::json(&req, payload, 64 * 1024).await?;
    Ok(HttpResponse::Created().json(add_item(&state, &b).await?))
}

/// Checks and adds an editor's item (the API's and the console's way).
pub(crate) async fn add_item(state: &AppState, b: &ItemBody) -> Result<FeedItem, ApiError> {
    let title = plain_text(&b.title);
    if title.is_empty() || title.chars().count() > 500 {
        return Err(ApiError::unprocessable(
            "invalid_title",
            "a title is 1-500 characters of text",
        ));
    }
    let url = safe_url(&b.url)
        .filter(|u| u.len() <= 2000)
        .ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_url",
                "the link must be an absolute http, https or mailto URL",
            )
        })?;
    let summary = plain_text(&b.summary);
    if summary.chars().count() > 5000 {
        return Err(ApiError::unprocessable(
            "invalid_summary",
            "a summary is at most 5000 characters",
        ));
    }
    let newsletter_ids = newsletter_ids(state, &b.newsletters).await?;
    let now = Utc::now();
    let item = NewItem {
        title,
        url,
        summary,
        published_at: b.published_at.unwrap_or(now),
        newsletter_ids,
        source: None,
    };
    let id = state
        .store
        .add_item(&item, now)
        .await?
        .ok_or_else(|| anyhow::anyhow!("an editor's item cannot be a duplicate"))?;
    Ok(state.store.feed_item(id).await?)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// 1 to 1000 (default 50)
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page
    after: Option<String>,
}

#[utoipa::path(get, path = "/api/admin/feed-items", tag = "admin", security(("bearer" = [])),
    params(ItemQuery),
    responses(
        (status = 200, description = "Items, newest first", body = FeedItemPage),
        (status = 400, description = "The query doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 422, description = "A bad limit or cursor", body = ErrorBody),
    ))]
pub async fn list(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: ItemQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::unprocessable(
            "invalid_limit",
            "limit is 1 to 1000",
        ));
    }
    let before = match q.after.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ApiError::unprocessable("invalid_cursor", "unknown cursor"))?,
        ),
    };
    Ok(HttpResponse::Ok().json(state.store.list_items(limit, before).await?))
}

#[utoipa::path(delete, path = "/api/admin/feed-items/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such item", body = ErrorBody),
    ))]
pub async fn delete(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found("no such item"))?;
    state.store.delete_item(id).await?;
    Ok(HttpResponse::NoContent().finish())
}
