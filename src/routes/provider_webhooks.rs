//! Provider webhooks: `POST /webhooks/ses` (Amazon SNS notifications) and
//! `POST /webhooks/postmark` (HTTP Basic credentials).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;

use super::error::ErrorBody;
use super::{body, ApiError, AppState};
use crate::bounces::providers::{self, Credentials, Handled, WebhookError};

/// The largest event body read.
const LIMIT: usize = 256 * 1024;

fn map(e: WebhookError) -> ApiError {
    match e {
        WebhookError::Unauthorized(m) => ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m),
        WebhookError::Invalid(m) => ApiError::bad_request(m),
        WebhookError::Internal(e) => ApiError::Internal(e),
    }
}

/// Amazon SES bounce and complaint events, as Amazon SNS HTTP(S)
/// notifications. The signature is checked against the signing
/// certificate (fetched only from `https://sns.<region>.amazonaws.com`);
/// a subscription confirmation is logged with the URL that confirms it.
#[utoipa::path(post, path = "/webhooks/ses", tag = "webhooks",
    request_body(content = Object, description = "An SNS message (Notification or SubscriptionConfirmation)", content_type = "text/plain"),
    responses((status = 200, description = "Read", body = Handled),
        (status = 400, description = "Not an SNS message", body = ErrorBody),
        (status = 401, description = "A bad signature, certificate URL or topic; nothing changed", body = ErrorBody),
        (status = 413, description = "Larger than 256 KiB", body = ErrorBody)))]
pub async fn ses(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = body::read(&req, payload, LIMIT).await?;
    let handled = providers::ses(&state, &bytes).await.map_err(map)?;
    Ok(HttpResponse::Ok().json(handled))
}

/// `Authorization: Basic …`, if well formed.
fn basic(req: &HttpRequest) -> Option<Credentials> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (user, password) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some(Credentials {
        user: user.to_string(),
        password: password.to_string(),
    })
}

/// Postmark Bounce and SpamComplaint webhook events, behind HTTP Basic
/// credentials (`HERALD_WEBHOOK_USER`/`HERALD_WEBHOOK_PASSWORD`).
#[utoipa::path(post, path = "/webhooks/postmark", tag = "webhooks",
    request_body(content = Object, description = "A Postmark webhook event", content_type = "application/json"),
    responses((status = 200, description = "Read", body = Handled),
        (status = 400, description = "Unparsable JSON", body = ErrorBody),
        (status = 401, description = "Bad or missing credentials, or none configured; nothing changed", body = ErrorBody),
        (status = 413, description = "Larger than 256 KiB", body = ErrorBody)))]
pub async fn postmark(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let credentials = basic(&req);
    let bytes = body::read(&req, payload, LIMIT).await?;
    match providers::postmark(&state, credentials.as_ref(), &bytes).await {
        Ok(handled) => Ok(HttpResponse::Ok().json(handled)),
        Err(WebhookError::Unauthorized(m)) => Ok(HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"herald-webhooks\""))
            .json(ErrorBody {
                error: "unauthorized".into(),
                message: m,
            })),
        Err(e) => Err(map(e)),
    }
}
