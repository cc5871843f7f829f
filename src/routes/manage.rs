//! `/subscriptions/manage`: a reader's preference page. With the token from
//! an email, GET shows it (never changing anything) and POST saves it or
//! unsubscribes from everything; without one, a form mails the link (the
//! same answer for every address).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::client::{client_ip, consent};
use super::confirm::{form_fields, query_token};
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::preferences;

/// The "email me my link" page, also where an unknown link lands (404).
fn request_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    unknown_link: bool,
    sent: bool,
) -> HttpResponse {
    state.page(
        status,
        "pages/manage_request.html",
        json!({ "unknown_link": unknown_link, "sent": sent, "lang": state.browser_lang(req) }),
    )
}

#[utoipa::path(get, path = "/subscriptions/manage", tag = "public",
    params(("token" = Option<String>, Query, description = "The manage token from an email")),
    responses(
        (status = 200, description = "The reader's newsletters with checkboxes; without a token, a form that mails the link", content_type = "text/html", body = String),
        (status = 404, description = "Unknown or forged token: the form that mails the link", content_type = "text/html", body = String),
    ))]
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Some(token) = query_token(&req) else {
        return Ok(request_page(&state, &req, StatusCode::OK, false, false));
    };
    Ok(match preferences::page(&state, &token).await? {
        Some(page) => {
            let mut ctx = serde_json::to_value(page).unwrap_or_default();
            ctx["lang"] = json!(state.browser_lang(&req));
            state.page(StatusCode::OK, "pages/manage.html", ctx)
        }
        None => request_page(&state, &req, StatusCode::NOT_FOUND, true, false),
    })
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ManageForm {
    token: Option<String>,
    /// The ticked newsletters' slugs (repeat the field).
    newsletter: Option<Vec<String>>,
    name: Option<String>,
    /// `unsubscribe`: leave every newsletter.
    all: Option<String>,
    /// Without a token: the address to mail the link to.
    email: Option<String>,
}

#[utoipa::path(post, path = "/subscriptions/manage", tag = "public",
    request_body(content = ManageForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Saved, unsubscribed from all, or (without a token) the link mailed if the address is known", content_type = "text/html", body = String),
        (status = 400, description = "Neither a token nor an address", body = ErrorBody),
        (status = 404, description = "Unknown or forged token", content_type = "text/html", body = String),
        (status = 413, description = "The body is over 16 KiB", body = ErrorBody),
        (status = 415, description = "A body that isn't a form", body = ErrorBody),
        (status = 422, description = "An unknown or archived newsletter, a bad name or address; nothing changed", body = ErrorBody),
        (status = 429, description = "Too many requests from this client", body = ErrorBody),
    ))]
pub async fn save(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let fields = form_fields(&req, payload).await?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let Some(token) = field("token").map(str::trim).filter(|t| !t.is_empty()) else {
        let Some(email) = field("email") else {
            return Err(ApiError::bad_request(
                "send the `token` from the email, or an `email`",
            ));
        };
        state
            .limiter
            .check(ip)
            .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
        preferences::email_link(&state, email).await?;
        return Ok(request_page(&state, &req, StatusCode::OK, false, true));
    };
    let consent = consent(&req, ip, "preferences");
    let saved = if field("all") == Some("unsubscribe") {
        preferences::unsubscribe_all(&state, token, &consent).await?
    } else {
        let slugs: Vec<String> = fields
            .iter()
            .filter(|(k, _)| k == "newsletter")
            .map(|(_, v)| v.trim().to_string())
            .collect();
        preferences::save(&state, token, &slugs, field("name"), &consent).await?
    };
    Ok(match saved {
        Some(saved) => state.page(
            StatusCode::OK,
            "pages/manage_saved.html",
            json!({
                "lang": state.browser_lang(&req),
                "token": token,
                "email": saved.email,
                "subscribed": saved.subscribed,
                "all": field("all") == Some("unsubscribe"),
                "undo": saved.undo,
            }),
        ),
        None => request_page(&state, &req, StatusCode::NOT_FOUND, true, false),
    })
}
