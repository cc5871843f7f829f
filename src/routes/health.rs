//! `GET /health`: 200 while the database answers, 503 when it doesn't.

use actix_web::{web, HttpResponse};

use super::AppState;

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(
                serde_json::json!({ "status": "unavailable", "error": "database unreachable" }),
            )
        }
    }
}
