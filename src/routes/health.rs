//! `GET /health`: 200 while the database answers, 503 when it doesn't.

use actix_web::{web, HttpResponse};

use super::AppState;

/// The health answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the database doesn't answer.
    pub status: String,
}

#[utoipa::path(get, path = "/health", tag = "public",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database is unreachable", body = Health),
    ))]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(Health {
            status: "ok".to_string(),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(
                serde_json::json!({ "status": "unavailable", "error": "database unreachable" }),
            )
        }
    }
}
