//! `/api/admin/newsletters`: create, list, read, update, archive.

use actix_web::{web, HttpRequest, HttpResponse};

use super::Admin;
use crate::newsletters::{self, NewsletterBody};
use crate::routes::idempotency::Idempotency;
use crate::routes::{body, error::ApiError, error::ErrorBody, AppState};
use crate::store::Newsletter;

const BODY_LIMIT: usize = 64 * 1024;

/// The newsletters that take signups.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct NewsletterList {
    pub newsletters: Vec<Newsletter>,
}

#[utoipa::path(get, path = "/api/admin/newsletters", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every newsletter that is not archived", body = NewsletterList),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
    ))]
pub async fn list(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let newsletters = newsletters::list(&state).await?;
    Ok(HttpResponse::Ok().json(NewsletterList { newsletters }))
}

#[utoipa::path(post, path = "/api/admin/newsletters", tag = "admin", security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Repeating a key with the same body answers as the first time, without doing it again"),
    ),
    request_body = NewsletterBody,
    responses(
        (status = 201, description = "Created", body = Newsletter),
        (status = 400, description = "The body or query doesn't parse, or a required field is missing", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 409, description = "A newsletter with this slug exists (also an archived one), or a request with this Idempotency-Key is still being handled", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A value was refused, or the Idempotency-Key is invalid or came with another request", body = ErrorBody),
    ))]
pub async fn create(
    _: Admin,
    once: Idempotency,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = body::json_bytes(&req, payload, BODY_LIMIT).await?;
    let b: NewsletterBody = body::parse_json(&bytes)?;
    let (Some(slug), Some(name)) = (&b.slug, &b.name) else {
        return Err(ApiError::bad_request("`slug` and `name` are required"));
    };
    once.run(&state, &bytes, async {
        let created = newsletters::create(&state, slug, name, &b).await?;
        Ok(HttpResponse::Created().json(created))
    })
    .await
}

#[utoipa::path(get, path = "/api/admin/newsletters/{slug}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, description = "The newsletter", body = Newsletter), (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody)))]
pub async fn get(
    _: Admin,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(newsletters::get(&state, &slug).await?))
}

/// Changes the fields given; `null` clears an optional one. The slug stays.
#[utoipa::path(patch, path = "/api/admin/newsletters/{slug}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body = NewsletterBody,
    responses((status = 200, description = "Updated", body = Newsletter), (status = 400, description = "The body or query doesn't parse, or a required field is missing", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 409, description = "A schedule for an archived newsletter", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn update(
    _: Admin,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b: NewsletterBody = body::json(&req, payload, BODY_LIMIT).await?;
    let updated = newsletters::update(&state, &slug, &b).await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// Archives: no more signups, not listed; history is kept.
#[utoipa::path(delete, path = "/api/admin/newsletters/{slug}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 204, description = "Archived: no more signups, history kept"), (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody)))]
pub async fn archive(
    _: Admin,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    newsletters::archive(&state, &slug).await?;
    Ok(HttpResponse::NoContent().finish())
}
