//! `GET /api/admin/newsletters/{slug}/runs`: what became of each slot of a
//! newsletter's schedule (the schedule itself is set with PATCH on the
//! newsletter).

use actix_web::{web, HttpRequest, HttpResponse};

use super::Admin;
use crate::routes::{error::ApiError, error::ErrorBody, AppState};
use crate::schedule::{self, RunsQuery};
use crate::store::ScheduleRun;

#[utoipa::path(get, path = "/api/admin/newsletters/{slug}/runs", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path), RunsQuery),
    responses(
        (status = 200, description = "The schedule's slots, newest first: sent (with the digest), skipped (too few new items), missed (passed while no server ran) or running", body = [ScheduleRun]),
        (status = 400, description = "The query doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter", body = ErrorBody),
        (status = 422, description = "A bad limit", body = ErrorBody),
    ))]
pub async fn runs(
    _: Admin,
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: RunsQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))?;
    Ok(HttpResponse::Ok().json(schedule::runs(&state, &slug, &q).await?))
}
