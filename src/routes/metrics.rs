//! `GET /metrics`: HTTP, reader and delivery counters, latency histograms
//! and the queue depth in the Prometheus text format, behind the admin
//! token (queue sizes and failure rates say how large a newsletter's
//! audience is). The series are listed in docs/observability.md.

use actix_web::{web, HttpResponse};

use super::admin::Admin;
use super::error::{ApiError, ErrorBody};
use super::AppState;

/// The exposition format's media type; Prometheus picks its parser by it.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[utoipa::path(get, path = "/metrics", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text (format 0.0.4): HTTP requests by method, route and status and their latency by route; signups, confirmations and unsubscribes; messages sent, failed, retried and skipped by this process, the queue depth per status, the send latency", content_type = "text/plain", body = String),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
    ))]
pub async fn metrics(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let queue = state.store.message_counts().await?;
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(crate::metrics::render(&queue)))
}
