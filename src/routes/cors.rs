//! CORS on `/subscriptions` only, for the news sites listed in
//! `HERALD_ALLOWED_ORIGINS`: they may post a JSON signup from their pages
//! (the embed script does). actix-cors answers the preflight and adds
//! `Access-Control-Allow-Origin` to the answers of listed origins; [`finish`]
//! adapts the rest to Herald's contract: a preflight answer is a 204 naming
//! `Content-Type`, a refused preflight gets our JSON error body, and a
//! cross-origin script may read `Retry-After` (to say when to try again).

use actix_cors::{Cors, CorsError};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, Method, StatusCode};
use actix_web::ResponseError;

use super::ApiError;
use crate::domain::Origin;

/// POST with a `Content-Type` header from the listed origins; no
/// credentials (the default), `Vary: Origin` on every answer (the default).
/// An empty list allows no origin at all.
pub fn signup_cors(origins: &[Origin]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, o| cors.allowed_origin(o.as_str()))
        .allowed_methods([Method::POST])
        .allowed_header(header::CONTENT_TYPE)
}

/// The error a refused preflight answers with, in our usual body.
fn refusal(e: &CorsError) -> ApiError {
    match e {
        CorsError::OriginNotAllowed => ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "this site may not sign readers up here (it is not in HERALD_ALLOWED_ORIGINS)",
        ),
        other => ApiError::new(StatusCode::BAD_REQUEST, "bad_preflight", other.to_string()),
    }
}

/// Applied to every answer of `/subscriptions`, after actix-cors.
pub fn finish<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
    method: &Method,
) -> ServiceResponse<BoxBody> {
    let refused = res
        .response()
        .error()
        .and_then(|e| e.as_error::<CorsError>())
        .map(refusal);
    let mut res = match refused {
        Some(e) => {
            let (req, _) = res.into_parts();
            let mut resp = e.error_response();
            resp.headers_mut().insert(
                header::VARY,
                header::HeaderValue::from_static("Origin, Access-Control-Request-Method"),
            );
            ServiceResponse::new(req, resp)
        }
        None => res.map_into_boxed_body(),
    };
    if method == Method::OPTIONS && res.status() == StatusCode::OK {
        *res.response_mut().status_mut() = StatusCode::NO_CONTENT;
        // actix-cors lower-cases it; the contract spells the header's name.
        if res
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_HEADERS)
        {
            res.headers_mut().insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                header::HeaderValue::from_static("Content-Type"),
            );
        }
    }
    if res
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        && method == Method::POST
    {
        res.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            header::HeaderValue::from_static("Retry-After"),
        );
    }
    res
}
