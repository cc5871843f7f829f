//! One error type for every route: a status, a stable code and a message,
//! sent as `{"error": code, "message": text}`. Internal errors are logged
//! once with their whole cause chain and answered with an opaque 500.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

/// The body of every error answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code, such as `invalid_email` or `unauthorized`.
    pub error: String,
    /// A human-readable explanation.
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Client {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Client {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid admin bearer token is required",
        )
    }
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed",
        )
    }
}

impl From<crate::app::Error> for ApiError {
    fn from(e: crate::app::Error) -> Self {
        use crate::app::Error;
        match e {
            Error::Invalid { code, message } => ApiError::unprocessable(code, message),
            Error::NotFound { message } => ApiError::not_found(message),
            Error::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            Error::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<crate::store::Error> for ApiError {
    fn from(e: crate::store::Error) -> Self {
        crate::app::Error::from(e).into()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Client { status, .. } => *status,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(e) if crate::store::unavailable_in(e) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (code, message) = match self {
            ApiError::Client { code, message, .. } => (*code, message.clone()),
            ApiError::TooManyRequests { .. } => (
                "too_many_requests",
                "too many requests, try again later".to_string(),
            ),
            ApiError::Internal(e) if crate::store::unavailable_in(e) => {
                tracing::warn!(error = %format!("{e:#}"), "database unavailable");
                (
                    "unavailable",
                    "the database is unavailable; try again shortly".to_string(),
                )
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "request failed");
                ("internal", "internal error".to_string())
            }
        };
        let mut resp = HttpResponse::build(self.status_code());
        match self {
            ApiError::TooManyRequests { retry_after } => {
                resp.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            ApiError::Internal(e) if crate::store::unavailable_in(e) => {
                resp.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::Client { status, .. } if *status == StatusCode::UNAUTHORIZED => {
                resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        resp.json(ErrorBody {
            error: code.to_string(),
            message,
        })
    }
}
