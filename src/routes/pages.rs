//! The public pages: every newsletter's signup box, one newsletter's page,
//! and the "check your inbox" page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;
use crate::app::Error;
use crate::newsletters;
use crate::store::Newsletter;

/// A signup form whose last submission was refused, to show again.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormState {
    pub slug: String,
    pub email: String,
    pub error: String,
}

pub fn render_index(
    state: &AppState,
    status: StatusCode,
    newsletters: &[Newsletter],
    form: Option<FormState>,
) -> HttpResponse {
    state.page(
        status,
        "pages/index.html",
        json!({ "newsletters": newsletters, "form": form }),
    )
}

pub fn render_newsletter(
    state: &AppState,
    status: StatusCode,
    newsletter: &Newsletter,
    form: Option<FormState>,
) -> HttpResponse {
    state.page(
        status,
        "pages/newsletter.html",
        json!({ "newsletter": newsletter, "form": form }),
    )
}

#[utoipa::path(get, path = "/", tag = "public",
    responses((status = 200, description = "Every newsletter with its signup form", content_type = "text/html", body = String)))]
pub async fn index(state: web::Data<AppState>) -> Result<HttpResponse, super::ApiError> {
    let all = newsletters::list(&state).await?;
    Ok(render_index(&state, StatusCode::OK, &all, None))
}

#[utoipa::path(get, path = "/newsletters/{slug}", tag = "public",
    params(("slug" = String, Path, description = "The newsletter's slug")),
    responses((status = 200, description = "The newsletter's signup page", content_type = "text/html", body = String), (status = 404, description = "No such newsletter", content_type = "text/html", body = String)))]
pub async fn newsletter(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, super::ApiError> {
    match newsletters::get(&state, &slug).await {
        Ok(n) => Ok(render_newsletter(&state, StatusCode::OK, &n, None)),
        Err(Error::NotFound { .. }) => Ok(state.error_page(
            StatusCode::NOT_FOUND,
            "Newsletter not found",
            "There is no newsletter at this address.",
            Some(("/", "See all newsletters")),
        )),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(get, path = "/subscriptions/pending", tag = "public",
    responses((status = 200, description = "Thank you for signing up; check your inbox", content_type = "text/html", body = String)))]
pub async fn pending(state: web::Data<AppState>) -> HttpResponse {
    state.page(StatusCode::OK, "pages/pending.html", json!({}))
}
