//! Unsubscribing: GET shows a page with a button; POST unsubscribes, also as
//! RFC 8058 one-click (`List-Unsubscribe=One-Click`, no cookies, no redirect).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::client::{client_ip, consent};
use super::confirm::{form_fields, query_token};
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::domain::SubscriptionStatus;
use crate::signup;

fn unknown(state: &AppState) -> HttpResponse {
    state.error_page(StatusCode::NOT_FOUND, "error-unsubscribe-unknown", None)
}

#[utoipa::path(get, path = "/subscriptions/unsubscribe", tag = "public",
    params(("token" = Option<String>, Query, description = "The token from the email")),
    responses(
        (status = 200, description = "A page with a button that POSTs", content_type = "text/html", body = String),
        (status = 404, description = "Unknown token", content_type = "text/html", body = String),
    ))]
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let raw = query_token(&req).unwrap_or_default();
    match signup::unsubscribe_page(&state, &raw).await? {
        Some(page) => Ok(state.page(
            StatusCode::OK,
            "pages/unsubscribe.html",
            json!({
                "lang": crate::newsletters::language(&state, &page.info.newsletter_slug).await?,
                "token": page.token,
                "newsletter": { "name": page.info.newsletter_name },
                "email": page.info.email,
                "already": page.info.status == SubscriptionStatus::Unsubscribed,
            }),
        )),
        None => Ok(unknown(&state)),
    }
}

/// An unsubscribe POST: the page's form, or RFC 8058 one-click.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UnsubscribeForm {
    token: Option<String>,
    /// `One-Click` from a mail client (RFC 8058).
    #[schema(rename = "List-Unsubscribe")]
    list_unsubscribe: Option<String>,
}

#[utoipa::path(post, path = "/subscriptions/unsubscribe", tag = "public",
    params(("token" = Option<String>, Query, description = "The token from the email or the List-Unsubscribe header")),
    request_body(content(
        (UnsubscribeForm = "application/x-www-form-urlencoded"),
        (UnsubscribeForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Unsubscribed (idempotent; never a redirect)", content_type = "text/html", body = String),
        (status = 400, description = "A body that doesn't parse", body = ErrorBody),
        (status = 404, description = "Unknown token", content_type = "text/html", body = String),
        (status = 413, description = "The body is over 16 KiB", body = ErrorBody),
        (status = 415, description = "A body that isn't a form", body = ErrorBody),
    ))]
pub async fn unsubscribe(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let fields = form_fields(&req, payload).await?;
    let raw = query_token(&req).or_else(|| {
        fields
            .iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.trim().to_string())
    });
    let raw = raw.unwrap_or_default();
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let one_click = fields
        .iter()
        .any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click");
    let consent = consent(
        &req,
        ip,
        if one_click {
            "one-click"
        } else {
            "unsubscribe"
        },
    );
    match signup::unsubscribe(&state, &raw, &consent).await? {
        Some(info) => Ok(state.page(
            StatusCode::OK,
            "pages/unsubscribed.html",
            json!({
                "newsletter": { "name": info.newsletter_name, "slug": info.newsletter_slug },
                "lang": crate::newsletters::language(&state, &info.newsletter_slug).await?,
            }),
        )),
        None => Ok(unknown(&state)),
    }
}
