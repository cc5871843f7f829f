//! The suppression list: addresses that bounced or complained, and lifting
//! one.

use actix_web::{web, HttpRequest, HttpResponse};

use super::Admin;
use crate::routes::{error::ApiError, error::ErrorBody, AppState};
use crate::store::Suppression;
use crate::suppressions::{self, PageQuery, SuppressionPage};

#[utoipa::path(get, path = "/api/admin/suppressions", tag = "admin", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of suppressed addresses, newest first", body = SuppressionPage),
        (status = 400, description = "The query doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn list(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: PageQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))?;
    Ok(HttpResponse::Ok().json(suppressions::list(&state, &q).await?))
}

#[utoipa::path(get, path = "/api/admin/suppressions/{email}", tag = "admin", security(("bearer" = [])),
    params(("email" = String, Path)),
    responses((status = 200, description = "The address's suppression", body = Suppression),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "The address is not suppressed", body = ErrorBody),
        (status = 422, description = "Not an email address", body = ErrorBody)))]
pub async fn get(
    _: Admin,
    email: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(suppressions::get(&state, &email).await?))
}

/// Lifts a suppression: bounced subscriptions are confirmed again, and
/// complained ones count as unsubscribed.
#[utoipa::path(delete, path = "/api/admin/suppressions/{email}", tag = "admin", security(("bearer" = [])),
    params(("email" = String, Path)),
    responses((status = 204, description = "Lifted"),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "The address is not suppressed", body = ErrorBody),
        (status = 422, description = "Not an email address", body = ErrorBody)))]
pub async fn lift(
    _: Admin,
    email: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    suppressions::lift(&state, &email).await?;
    Ok(HttpResponse::NoContent().finish())
}
