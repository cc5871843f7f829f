//! Confirming a signup. GET shows a page whose button POSTs (mail scanners
//! fetch links, so GET and HEAD never change anything); POST confirms.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::body::{self, Kind};
use super::client::{client_ip, consent};
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::domain::Language;
use crate::signup::{self, Confirmed};
use crate::store::{ConfirmOutcome, TokenState};

/// The `token` parameter of the query string, if any.
pub fn query_token(req: &HttpRequest) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The fields of a form body, or none for an empty body; 415 for a body of
/// another type.
pub async fn form_fields(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Vec<(String, String)>, ApiError> {
    let bytes = body::read(req, payload, body::PUBLIC_LIMIT).await?;
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    match body::kind(req) {
        Some(Kind::Form) => body::parse_form(&bytes),
        // A multipart one-click body carries nothing we need.
        Some(Kind::Multipart) => Ok(Vec::new()),
        _ => Err(body::unsupported_type("application/x-www-form-urlencoded")),
    }
}

fn missing_token(state: &AppState) -> HttpResponse {
    state.error_page(StatusCode::BAD_REQUEST, "error-link-incomplete", None)
}

fn unknown(state: &AppState) -> HttpResponse {
    state.error_page(
        StatusCode::NOT_FOUND,
        "error-confirm-unknown",
        Some(("/", "sign-up-again")),
    )
}

/// A link used before: nothing to do, and the address isn't shown again.
fn used(state: &AppState) -> HttpResponse {
    state.error_page(StatusCode::OK, "error-confirm-used", None)
}

fn expired(state: &AppState) -> HttpResponse {
    state.error_page(
        StatusCode::GONE,
        "error-confirm-expired",
        Some(("/", "sign-up-again")),
    )
}

#[utoipa::path(get, path = "/subscriptions/confirm", tag = "public",
    params(("token" = Option<String>, Query, description = "The token from the email")),
    responses(
        (status = 200, description = "A page listing what would be confirmed, with a button that POSTs (or, for a link used before, a page that says so)", content_type = "text/html", body = String),
        (status = 400, description = "No token", content_type = "text/html", body = String),
        (status = 404, description = "Unknown token", content_type = "text/html", body = String),
        (status = 429, description = "Too many unknown or expired links from this client lately", body = ErrorBody,
            headers(("Retry-After" = String, description = "Seconds to wait"))),
        (status = 410, description = "Expired token: sign up again", content_type = "text/html", body = String),
    ))]
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.refuse_failing(&req)?;
    let Some(raw) = query_token(&req) else {
        return Ok(missing_token(&state));
    };
    Ok(match signup::confirm_page(&state, &raw).await? {
        TokenState::Unknown => {
            state.count_failure(&req);
            unknown(&state)
        }
        TokenState::Expired => {
            state.count_failure(&req);
            expired(&state)
        }
        TokenState::Used => used(&state),
        TokenState::Valid { email, pending } => {
            let newsletters: Vec<_> = pending
                .iter()
                .map(|(_, slug, name)| json!({ "slug": slug, "name": name }))
                .collect();
            let lang = match pending.first() {
                Some((_, slug, _)) => crate::newsletters::language(&state, slug).await?,
                None => state.browser_lang(&req),
            };
            state.page(
                StatusCode::OK,
                "pages/confirm.html",
                json!({ "token": raw, "email": email, "newsletters": newsletters, "lang": lang }),
            )
        }
    })
}

/// The confirm page's form.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ConfirmForm {
    token: Option<String>,
    /// `1` when the form lists newsletters; then only the ticked ones count.
    selected: Option<String>,
    newsletter: Option<Vec<String>>,
}

#[utoipa::path(post, path = "/subscriptions/confirm", tag = "public",
    params(("token" = Option<String>, Query, description = "The token (or send it in the form)")),
    request_body(content = ConfirmForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Confirmed; a link used before answers 200 and confirms nothing more", content_type = "text/html", body = String),
        (status = 400, description = "No token, or a body that doesn't parse",
            content((String = "text/html"), (ErrorBody = "application/json"))),
        (status = 404, description = "Unknown token", content_type = "text/html", body = String),
        (status = 429, description = "Too many unknown or expired links from this client lately", body = ErrorBody,
            headers(("Retry-After" = String, description = "Seconds to wait"))),
        (status = 410, description = "Expired token: sign up again", content_type = "text/html", body = String),
        (status = 413, description = "The body is over 16 KiB", body = ErrorBody),
        (status = 415, description = "A body that isn't a form", body = ErrorBody),
    ))]
pub async fn confirm(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.refuse_failing(&req)?;
    let fields = form_fields(&req, payload).await?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    };
    let raw = match query_token(&req).or_else(|| field("token").map(str::to_string)) {
        Some(t) if !t.is_empty() => t,
        _ => return Ok(missing_token(&state)),
    };
    // The page's form says `selected=1`, and then only the ticked
    // newsletters count; a bare POST with the token confirms them all.
    let only: Option<Vec<String>> = field("selected").map(|_| {
        fields
            .iter()
            .filter(|(k, _)| k == "newsletter")
            .map(|(_, v)| v.trim().to_string())
            .collect()
    });
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let consent = consent(&req, ip, "confirm");
    Ok(
        match signup::confirm(&state, &raw, only.as_deref(), &consent).await? {
            ConfirmOutcome::Unknown => {
                state.count_failure(&req);
                unknown(&state)
            }
            ConfirmOutcome::Expired => {
                state.count_failure(&req);
                expired(&state)
            }
            ConfirmOutcome::Used => used(&state),
            ConfirmOutcome::Confirmed(subs) => {
                let newsletters = Confirmed::list(&state, &subs);
                // The confirm page says which language it was in.
                let lang = field("lang")
                    .and_then(|l| Language::parse(l).ok())
                    .unwrap_or_else(|| state.browser_lang(&req));
                state.page(
                    StatusCode::OK,
                    "pages/confirmed.html",
                    json!({ "newsletters": newsletters, "lang": lang }),
                )
            }
        },
    )
}
