//! `/api/admin/feed-items`: the news feed editors post to.

use actix_web::{web, HttpRequest, HttpResponse};

use super::Admin;
use crate::news::{self, ItemBody, ItemQuery};
use crate::routes::idempotency::Idempotency;
use crate::routes::{body, error::ApiError, error::ErrorBody, AppState};
use crate::store::{FeedItem, FeedItemPage};

#[utoipa::path(post, path = "/api/admin/feed-items", tag = "admin", security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Repeating a key with the same body answers as the first time, without doing it again"),
    ),
    request_body = ItemBody,
    responses(
        (status = 201, description = "Added", body = FeedItem),
        (status = 400, description = "The body doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is still being handled", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A refused value (empty title, a link that isn't http, https or mailto, an unknown newsletter), or an Idempotency-Key that is invalid or came with another request", body = ErrorBody),
    ))]
pub async fn create(
    _: Admin,
    once: Idempotency,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = body::json_bytes(&req, payload, 64 * 1024).await?;
    let b: ItemBody = body::parse_json(&bytes)?;
    once.run(&state, &bytes, async {
        Ok(HttpResponse::Created().json(news::add_item(&state, &b).await?))
    })
    .await
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
    let page = news::list_items(&state, &q).await?;
    Ok(HttpResponse::Ok().json(page))
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
    news::delete_item(&state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
