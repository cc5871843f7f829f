//! `/api/admin/feeds`: RSS and Atom feeds Herald polls into feed items.
//! Whether a feed's host may be reached is decided at every poll, and a
//! refusal shows up as the feed's `last_error`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::Admin;
use crate::news::{self, FeedBody};
use crate::routes::idempotency::Idempotency;
use crate::routes::{body, error::ApiError, error::ErrorBody, AppState};
use crate::store::Feed;

#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedList {
    feeds: Vec<Feed>,
}

#[utoipa::path(post, path = "/api/admin/feeds", operation_id = "create_feed", tag = "admin", security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Repeating a key with the same body answers as the first time, without doing it again"),
    ),
    request_body = FeedBody,
    responses(
        (status = 201, description = "Added; the first poll comes within seconds", body = Feed),
        (status = 400, description = "The body doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 409, description = "A feed with this URL exists, or a request with this Idempotency-Key is still being handled", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A refused value (a URL that isn't http or https, an unknown newsletter, an interval outside 1 s to 30 days), or an Idempotency-Key that is invalid or came with another request", body = ErrorBody),
    ))]
pub async fn create(
    _: Admin,
    once: Idempotency,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = body::json_bytes(&req, payload, 64 * 1024).await?;
    let b: FeedBody = body::parse_json(&bytes)?;
    once.run(&state, &bytes, async {
        Ok(HttpResponse::Created().json(news::add_feed(&state, &b).await?))
    })
    .await
}

#[utoipa::path(get, path = "/api/admin/feeds", operation_id = "list_feeds", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every feed, with the outcome of its last poll", body = FeedList),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
    ))]
pub async fn list(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let feeds = news::list_feeds(&state).await?;
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
    Ok(HttpResponse::Ok().json(news::get_feed(&state, &id).await?))
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
    news::delete_feed(&state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
