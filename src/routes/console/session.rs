//! Console sessions: a random token in an `HttpOnly`, `SameSite=Strict`
//! cookie (`Secure` behind https), stored hashed; the CSRF token of a
//! session is derived from its token, so it needs no storage.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ConsoleError;
use crate::domain::token;
use crate::routes::AppState;
use crate::store::{AdminUser, Error};

/// The session cookie's name; its path is `/admin`.
pub const COOKIE: &str = "herald_session";

/// How long a session lasts after sign-in.
pub fn ttl() -> chrono::Duration {
    chrono::Duration::hours(12)
}

/// A session unused this long ends (`HERALD_CONSOLE_IDLE`).
pub fn idle(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.config.console_idle).unwrap_or(chrono::Duration::hours(1))
}

/// A signed-in admin, from a live session cookie.
pub struct Session {
    pub user: AdminUser,
    /// The hash under which the session is stored.
    pub token_hash: String,
    /// The token every state-changing form must carry back.
    pub csrf: String,
}

/// The CSRF token of the session with this (raw) token.
pub fn csrf_for(raw: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(raw.as_bytes()).expect("any key length");
    mac.update(b"herald console csrf");
    hex::encode(mac.finalize().into_bytes())
}

/// The session token from the `Cookie` header(s), if any.
pub fn cookie_value(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn secure(state: &AppState) -> &'static str {
    if state.config.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// `Set-Cookie` for a new session.
pub fn set_cookie(state: &AppState, raw: &str) -> String {
    format!(
        "{COOKIE}={raw}; Path=/admin; Max-Age={}; HttpOnly; SameSite=Strict{}",
        ttl().num_seconds(),
        secure(state)
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(state: &AppState) -> String {
    format!(
        "{COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict{}",
        secure(state)
    )
}

impl FromRequest for Session {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Session, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let raw = cookie_value(req);
        Box::pin(async move {
            let (Some(state), Some(raw)) = (state, raw) else {
                return Err(ConsoleError::SignIn);
            };
            let token_hash = token::hash(&raw);
            match state
                .store
                .admin_session_user(&token_hash, Utc::now(), idle(&state))
                .await
            {
                Ok(user) => Ok(Session {
                    user,
                    token_hash,
                    csrf: csrf_for(&raw),
                }),
                Err(Error::NotFound) => Err(ConsoleError::SignIn),
                Err(e) => Err(e.into()),
            }
        })
    }
}
