//! Digests: preview the next one, send it, follow it, pause, resume, cancel.

use actix_web::{web, HttpRequest, HttpResponse};

use super::Admin;
use crate::digest::{self, DigestOptions, TestSend};
use crate::routes::{body, error::ApiError, error::ErrorBody, AppState};
use crate::store::{Digest, DigestAction};

#[utoipa::path(get, path = "/api/admin/newsletters/{slug}/digests/preview", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses(
        (status = 200, description = "The next digest as HTML; nothing is sent", content_type = "text/html", body = String),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter", body = ErrorBody),
        (status = 409, description = "Nothing new since the last digest", body = ErrorBody),
    ))]
pub async fn preview(
    _: Admin,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let html = digest::preview_html(&state, &slug).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

#[utoipa::path(post, path = "/api/admin/newsletters/{slug}/digests", tag = "admin", security(("bearer" = [])),
    params(
        ("slug" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeating a key returns the digest it made"),
    ),
    request_body(content = Option<DigestOptions>, content_type = "application/json"),
    responses(
        (status = 202, description = "Queued (or the digest this key made before)", body = Digest),
        (status = 400, description = "The body doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter", body = ErrorBody),
        (status = 409, description = "Nothing new since the last digest", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "A body that isn't JSON", body = ErrorBody),
        (status = 422, description = "A refused value", body = ErrorBody),
    ))]
pub async fn create(
    _: Admin,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = body::read(&req, payload, 16 * 1024).await?;
    let b: DigestOptions = if bytes.iter().all(u8::is_ascii_whitespace) {
        DigestOptions::default()
    } else if body::kind(&req) == Some(body::Kind::Json) {
        body::parse_json(&bytes)?
    } else {
        return Err(body::unsupported_type("application/json"));
    };
    let key = match req.headers().get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| {
            ApiError::unprocessable(
                "invalid_idempotency_key",
                "the Idempotency-Key must be ASCII",
            )
        })?),
        None => None,
    };
    let digest = digest::create(&state, &slug, &b, key).await?;
    Ok(HttpResponse::Accepted().json(digest))
}

#[utoipa::path(get, path = "/api/admin/digests/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The digest and its delivery counts", body = Digest),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such digest", body = ErrorBody),
    ))]
pub async fn get(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(digest::get(&state, digest::parse_id(&id)?).await?))
}

async fn act(state: &AppState, raw: &str, action: DigestAction) -> Result<HttpResponse, ApiError> {
    let d = digest::act(state, digest::parse_id(raw)?, action).await?;
    Ok(HttpResponse::Ok().json(d))
}

#[utoipa::path(post, path = "/api/admin/digests/{id}/pause", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Paused: no more deliveries start; those in flight finish", body = Digest),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such digest", body = ErrorBody),
        (status = 409, description = "Not queued or sending", body = ErrorBody),
    ))]
pub async fn pause(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &id, DigestAction::Pause).await
}

#[utoipa::path(post, path = "/api/admin/digests/{id}/resume", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Resumed where it stopped", body = Digest),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such digest", body = ErrorBody),
        (status = 409, description = "Not paused", body = ErrorBody),
    ))]
pub async fn resume(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &id, DigestAction::Resume).await
}

#[utoipa::path(post, path = "/api/admin/digests/{id}/cancel", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Cancelled: what was not sent never will be", body = Digest),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such digest", body = ErrorBody),
        (status = 409, description = "Already finished", body = ErrorBody),
    ))]
pub async fn cancel(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &id, DigestAction::Cancel).await
}

/// Where a test digest goes.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestBody {
    /// One address.
    to: String,
}

#[utoipa::path(post, path = "/api/admin/newsletters/{slug}/digests/test", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body(content = TestBody, content_type = "application/json"),
    responses(
        (status = 202, description = "The next digest, marked [Test], queued to that one address; no cut-off moves", body = TestSend),
        (status = 400, description = "The body doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter", body = ErrorBody),
        (status = 409, description = "Nothing new since the last digest", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "A body that isn't JSON", body = ErrorBody),
        (status = 422, description = "Not one email address", body = ErrorBody),
    ))]
pub async fn test(
    _: Admin,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b: TestBody = body::json(&req, payload, 16 * 1024).await?;
    Ok(HttpResponse::Accepted().json(digest::send_test(&state, &slug, &b.to).await?))
}
