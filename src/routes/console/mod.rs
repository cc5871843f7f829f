//! The admin web console at `/admin`: server-rendered pages behind a
//! session cookie, a little JavaScript of our own, a strict CSP. Handlers
//! call the same use cases as the admin API.

mod auth;
pub mod csrf;
mod dashboard;
mod digests;
mod feeds;
pub mod limiter;
mod newsletters;
pub mod session;
mod subscribers;
mod suppressions;
mod webhooks;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::{resource, AppState};
pub use session::Session;

/// What the console keeps in memory beside the shared state.
#[derive(Default)]
pub struct ConsoleState {
    /// Password checks running at once: about one per core, one per client.
    pub passwords: limiter::PasswordGate,
}

/// No inline script or style, nothing from elsewhere; frames only from here
/// (the digest preview).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Why a console request ends without its page.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: go and sign in.
    #[error("sign in first")]
    SignIn,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("too many failed sign-ins")]
    TooMany(u64),
    #[error("{1}")]
    Client(StatusCode, String),
    #[error("internal error")]
    Internal(anyhow::Error),
}

impl From<ApiError> for ConsoleError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Client {
                status, message, ..
            } => ConsoleError::Client(status, message),
            ApiError::TooManyRequests { retry_after } => ConsoleError::TooMany(retry_after),
            ApiError::Internal(e) => ConsoleError::Internal(e),
        }
    }
}

impl From<crate::store::Error> for ConsoleError {
    fn from(e: crate::store::Error) -> Self {
        ApiError::from(e).into()
    }
}

impl From<crate::app::Error> for ConsoleError {
    fn from(e: crate::app::Error) -> Self {
        ApiError::from(e).into()
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignIn => StatusCode::SEE_OTHER,
            ConsoleError::Forbidden(_) => StatusCode::FORBIDDEN,
            ConsoleError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            ConsoleError::Client(status, _) => *status,
            ConsoleError::Internal(e) if crate::store::unavailable_in(e) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ConsoleError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A bare page: errors have no access to the templates, and this one
    /// must render even when they fail.
    fn error_response(&self) -> HttpResponse {
        if let ConsoleError::SignIn = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/admin/sign-in"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
        }
        let message = match self {
            ConsoleError::Internal(e) if crate::store::unavailable_in(e) => {
                tracing::warn!(error = %format!("{e:#}"), "console: database unavailable");
                "The database is unavailable. Try again in a few seconds.".to_string()
            }
            ConsoleError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "console request failed");
                "Something went wrong on our side. It has been logged.".to_string()
            }
            ConsoleError::TooMany(_) => {
                "Too many failed sign-ins. Wait a while and try again.".to_string()
            }
            other => other.to_string(),
        };
        let status = self.status_code();
        let mut resp = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.insert_header((header::RETRY_AFTER, "5"));
        }
        if let ConsoleError::TooMany(secs) = self {
            resp.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        resp.content_type("text/html; charset=utf-8").body(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{code} · Herald console</title><link rel=\"stylesheet\" href=\"/admin/static/console.css\"></head>\
             <body><main class=\"wrap\"><h1>{code} {reason}</h1><p class=\"error\" role=\"alert\">{msg}</p>\
             <p><a href=\"/admin\">Back to the console</a></p></main></body></html>",
            code = status.as_u16(),
            reason = status.canonical_reason().unwrap_or(""),
            msg = html_escape::encode_text(&message),
        ))
    }
}

pub type Result<T, E = ConsoleError> = std::result::Result<T, E>;

/// A use case's refusal as the status and message to show on its page
/// again; `None` for a failure of ours.
pub fn refusal(e: &crate::app::Error) -> Option<(StatusCode, String)> {
    use crate::app::Error;
    let status = match e {
        Error::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Internal(_) => return None,
    };
    Some((status, e.to_string()))
}

/// Renders a console page; `ctx` gets the admin's address, the CSRF token
/// and the section to highlight.
pub fn page(
    state: &AppState,
    status: StatusCode,
    name: &str,
    session: Option<&Session>,
    section: &str,
    ctx: impl Serialize,
) -> HttpResponse {
    let mut ctx = serde_json::to_value(ctx).unwrap_or(Value::Null);
    if !ctx.is_object() {
        ctx = json!({});
    }
    if let Some(s) = session {
        ctx["me"] = json!(s.user.email);
        ctx["csrf"] = json!(s.csrf);
    }
    ctx["section"] = json!(section);
    state.page(status, name, ctx)
}

/// 303 to another console page (after a form, so reloading doesn't repeat it).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A path segment, percent-encoded for a URL (unreserved characters stay).
pub fn seg(s: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(include_str!("../../../templates/admin/console.js"))
}

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(include_str!("../../../templates/admin/console.css"))
}

/// Every console route, with its security headers.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let get = |h| vec![("GET", h)];
    cfg.service(
        web::scope("/admin")
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add((header::CONTENT_SECURITY_POLICY, CSP))
                    // Not `no-referrer`: with it, browsers send `Origin: null`
                    // on form posts, and the CSRF check needs the real origin.
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((header::CACHE_CONTROL, "no-store")),
            )
            .service(resource("", get(web::get().to(dashboard::show))))
            .service(resource("/", get(web::get().to(dashboard::show))))
            .service(resource("/static/console.js", get(web::get().to(script))))
            .service(resource("/static/console.css", get(web::get().to(style))))
            .service(resource(
                "/sign-in",
                vec![
                    ("GET", web::get().to(auth::show)),
                    ("POST", web::post().to(auth::sign_in)),
                ],
            ))
            .service(resource(
                "/password",
                vec![
                    ("GET", web::get().to(auth::password_form)),
                    ("POST", web::post().to(auth::change_password)),
                ],
            ))
            .service(resource(
                "/sign-out",
                vec![("POST", web::post().to(auth::sign_out))],
            ))
            .service(resource(
                "/sign-out-everywhere",
                vec![("POST", web::post().to(auth::sign_out_everywhere))],
            ))
            .configure(newsletters::routes)
            .configure(subscribers::routes)
            .configure(feeds::routes)
            .configure(suppressions::routes)
            .configure(digests::routes)
            .configure(webhooks::routes),
    );
}
