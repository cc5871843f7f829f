//! The public pages: every newsletter's signup box, one newsletter's page,
//! and the "check your inbox" page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::AppState;
use crate::app::Error;
use crate::domain::Language;
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
    lang: Language,
) -> HttpResponse {
    state.page(
        status,
        "pages/index.html",
        json!({ "newsletters": newsletters, "form": form, "lang": lang }),
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
        json!({ "newsletter": newsletter, "form": form, "lang": newsletter.lang(state.config.language) }),
    )
}

#[utoipa::path(get, path = "/", tag = "public",
    responses((status = 200, description = "Every newsletter with its signup form", content_type = "text/html", body = String)))]
pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, super::ApiError> {
    let all = newsletters::list(&state).await?;
    let lang = state.browser_lang(&req);
    Ok(render_index(&state, StatusCode::OK, &all, None, lang))
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
            "error-newsletter-not-found",
            Some(("/", "see-all-newsletters")),
        )),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(get, path = "/subscriptions/pending", tag = "public",
    params(("lang" = Option<String>, Query, description = "The page's language (`en`, `uk`); by default the browser's")),
    responses((status = 200, description = "Thank you for signing up; check your inbox", content_type = "text/html", body = String)))]
pub async fn pending(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let lang = web::Query::<LangQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.lang.as_deref().and_then(|l| Language::parse(l).ok()))
        .unwrap_or_else(|| state.browser_lang(&req));
    state.page(
        StatusCode::OK,
        "pages/pending.html",
        json!({ "lang": lang }),
    )
}

/// `?lang=uk`: the language a form signup's newsletter is in.
#[derive(serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}
