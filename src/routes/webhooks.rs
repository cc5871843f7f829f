//! Provider webhooks: `POST /webhooks/ses` (Amazon SNS notifications) and
//! `POST /webhooks/postmark` (HTTP Basic credentials).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;

use super::{body, ApiError, AppState};
use crate::bounces::providers::{self, Credentials, WebhookError};

/// The largest event body read.
const LIMIT: usize = 256 * 1024;

fn map(e: WebhookError) -> ApiError {
    match e {
        WebhookError::Unauthorized(m) => ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m),
        WebhookError::Invalid(m) => ApiError::bad_request(m),
        WebhookError::Internal(e) => ApiError::Internal(e),
    }
}

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
            .json(super::error::ErrorBody {
                error: "unauthorized".into(),
                message: m,
            })),
        Err(e) => Err(map(e)),
    }
}
