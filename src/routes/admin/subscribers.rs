//! A newsletter's subscribers (list, add, change status) and one address's
//! data across newsletters (see, erase).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::Admin;
use crate::routes::idempotency::Idempotency;
use crate::routes::{body, error::ApiError, error::ErrorBody, AppState};
use crate::store::{AddressData, SubscriberPage, SubscriberRow};
use crate::subscribers::{self, AddBody, PageQuery};

#[utoipa::path(get, path = "/api/admin/newsletters/{slug}/subscribers", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path), PageQuery),
    responses((status = 200, description = "A page of subscribers", body = SubscriberPage), (status = 400, description = "The body or query doesn't parse, or a required field is missing", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn list(
    _: Admin,
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: PageQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))?;
    let page = subscribers::list(&state, &slug, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Adds one address: pending (a confirmation email goes out, as for a
/// signup) or, with a consent note, confirmed at once.
#[utoipa::path(post, path = "/api/admin/newsletters/{slug}/subscribers", tag = "admin", security(("bearer" = [])),
    params(
        ("slug" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeating a key with the same body answers as the first time, without doing it again"),
    ),
    request_body = AddBody,
    responses(
        (status = 201, description = "Added", body = SubscriberRow),
        (status = 200, description = "Already there; unchanged unless now confirmed", body = SubscriberRow),
        (status = 400, description = "The body or query doesn't parse, or a required field is missing", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is still being handled, or (`erased`) a confirmed add of an erased address", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A value was refused, or the Idempotency-Key is invalid or came with another request", body = ErrorBody),
    ))]
pub async fn add(
    _: Admin,
    once: Idempotency,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = body::json_bytes(&req, payload, 64 * 1024).await?;
    let b: AddBody = body::parse_json(&bytes)?;
    once.run(&state, &bytes, async {
        let (existed, row) = subscribers::add(&state, &slug, &b).await?;
        Ok(if existed {
            HttpResponse::Ok().json(row)
        } else {
            HttpResponse::Created().json(row)
        })
    })
    .await
}

#[utoipa::path(get, path = "/api/admin/newsletters/{slug}/subscribers/{email}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path), ("email" = String, Path)),
    responses((status = 200, description = "The subscription", body = SubscriberRow), (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn get_one(
    _: Admin,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (slug, email) = path.into_inner();
    let row = subscribers::get_one(&state, &slug, &email).await?;
    Ok(HttpResponse::Ok().json(row))
}

/// A status change: `confirmed` (with a consent note) or `unsubscribed`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusBody {
    status: String,
    consent: Option<String>,
}

/// Confirms (with a consent note) or unsubscribes one subscriber.
#[utoipa::path(patch, path = "/api/admin/newsletters/{slug}/subscribers/{email}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path), ("email" = String, Path)),
    request_body = StatusBody,
    responses((status = 200, description = "Changed", body = SubscriberRow), (status = 400, description = "The body or query doesn't parse, or a required field is missing", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn set_status(
    _: Admin,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b: StatusBody = body::json(&req, payload, 64 * 1024).await?;
    let (slug, email) = path.into_inner();
    let row =
        subscribers::set_status(&state, &slug, &email, &b.status, b.consent.as_deref()).await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Everything held on one address: subscriptions, consent log, deliveries.
#[utoipa::path(get, path = "/api/admin/subscribers/{email}", tag = "admin", security(("bearer" = [])),
    params(("email" = String, Path)),
    responses((status = 200, description = "Everything held on the address", body = AddressData), (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn address(
    _: Admin,
    email: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let data = subscribers::address(&state, &email).await?;
    Ok(HttpResponse::Ok().json(data))
}

/// Erases the address everywhere, keeping only a hash so an import skips it.
#[utoipa::path(delete, path = "/api/admin/subscribers/{email}", tag = "admin", security(("bearer" = [])),
    params(("email" = String, Path)),
    responses((status = 204, description = "Erased everywhere; only a hash remains"), (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn erase(
    _: Admin,
    email: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    subscribers::erase(&state, &email).await?;
    Ok(HttpResponse::NoContent().finish())
}
