//! `/api/admin/webhooks`: endpoints that get signed events (the secret is
//! answered once, at creation), and each endpoint's delivery log.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::Admin;
use crate::routes::idempotency::Idempotency;
use crate::routes::{body, error::ApiError, error::ErrorBody, AppState};
use crate::store::WebhookEndpoint;
use crate::webhooks::{self, AttemptPage, AttemptQuery, CreatedWebhook, WebhookBody, WebhookPatch};

const BODY_LIMIT: usize = 16 * 1024;

#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    webhooks: Vec<WebhookEndpoint>,
}

/// Adds an endpoint. Events are POSTed to it as JSON `{"type","timestamp","data"}`
/// (schema `WebhookEvent`), signed per Standard Webhooks with the secret
/// answered here, once.
#[utoipa::path(post, path = "/api/admin/webhooks", operation_id = "create_webhook", tag = "admin", security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Repeating a key with the same body answers as the first time (secret included), without doing it again"),
    ),
    request_body = WebhookBody,
    responses(
        (status = 201, description = "Added; `secret` is shown this once", body = CreatedWebhook),
        (status = 400, description = "The body doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is still being handled", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A refused value (a URL that isn't http or https, or is on a private, loopback or link-local address; no or an unknown event type), or an Idempotency-Key that is invalid or came with another request", body = ErrorBody),
    ))]
pub async fn create(
    _: Admin,
    once: Idempotency,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = body::json_bytes(&req, payload, BODY_LIMIT).await?;
    let b: WebhookBody = body::parse_json(&bytes)?;
    once.run(&state, &bytes, async {
        Ok(HttpResponse::Created().json(webhooks::create(&state, &b).await?))
    })
    .await
}

#[utoipa::path(get, path = "/api/admin/webhooks", operation_id = "list_webhooks", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every endpoint (without secrets)", body = WebhookList),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
    ))]
pub async fn list(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let webhooks = webhooks::list(&state).await?;
    Ok(HttpResponse::Ok().json(WebhookList { webhooks }))
}

#[utoipa::path(get, path = "/api/admin/webhooks/{id}", operation_id = "get_webhook", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The endpoint; `disabled_at` is set when it was disabled", body = WebhookEndpoint),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    ))]
pub async fn get(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(webhooks::get(&state, &id).await?))
}

/// Changes the event types, or enables (`"enabled": true`, also after it
/// was disabled for failing) or pauses an endpoint.
#[utoipa::path(patch, path = "/api/admin/webhooks/{id}", operation_id = "update_webhook", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = WebhookPatch,
    responses(
        (status = 200, description = "Updated", body = WebhookEndpoint),
        (status = 400, description = "The body doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "No or an unknown event type", body = ErrorBody),
    ))]
pub async fn update(
    _: Admin,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b: WebhookPatch = body::json(&req, payload, BODY_LIMIT).await?;
    Ok(HttpResponse::Ok().json(webhooks::update(&state, &id, &b).await?))
}

#[utoipa::path(delete, path = "/api/admin/webhooks/{id}", operation_id = "delete_webhook", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Removed, with its waiting events and its log"),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    ))]
pub async fn delete(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    webhooks::delete(&state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/admin/webhooks/{id}/deliveries", operation_id = "webhook_deliveries", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path), AttemptQuery),
    responses(
        (status = 200, description = "Every delivery attempt, newest first: status code or error, the start of the answer, and when", body = AttemptPage),
        (status = 400, description = "The query doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
        (status = 422, description = "A bad limit or cursor", body = ErrorBody),
    ))]
pub async fn deliveries(
    _: Admin,
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: AttemptQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))?;
    Ok(HttpResponse::Ok().json(webhooks::attempts(&state, &id, &q).await?))
}
