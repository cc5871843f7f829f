//! Signing in and out.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::json;

use super::{csrf, page, session, ConsoleError, Result, Session};
use crate::admins::{password, sign_in};
use crate::domain::token;
use crate::routes::client::client_ip;
use crate::routes::AppState;
use crate::store::Error;

fn form_page(
    state: &AppState,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> HttpResponse {
    page(
        state,
        status,
        "admin/sign_in.html",
        None,
        "sign-in",
        json!({ "email": email, "error": error }),
    )
}

/// The sign-in form (or the dashboard, for someone already signed in).
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse> {
    if let Some(raw) = session::cookie_value(&req) {
        if state
            .store
            .admin_session_user(&token::hash(&raw), Utc::now(), session::idle(&state))
            .await
            .is_ok()
        {
            return Ok(super::see_other("/admin"));
        }
    }
    Ok(form_page(&state, StatusCode::OK, "", None))
}

/// Checks the password (off the async threads: argon2 is slow on purpose)
/// and starts a session. Every attempt counts toward the sign-in limits
/// before its check (a success is taken back), only about one check per
/// core runs at once and one per client, and an unknown address costs as
/// much time as a wrong password.
pub async fn sign_in(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    let form = csrf::origin_checked_form(&req, payload, &state).await?;
    let email = form.get("email").to_lowercase();
    let password = form.raw("password");
    let addr = client_ip(&req, &state.config.trusted_proxies);
    let ip = addr.map(|ip| ip.to_string());
    if email.is_empty() || password.is_empty() || email.len() > 320 || password.len() > 4096 {
        return Ok(form_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &email,
            Some("Enter your email address and password."),
        ));
    }
    let Some(_pass) = state.console.passwords.enter(ip.as_deref()) else {
        return Err(ConsoleError::TooMany(1));
    };
    sign_in::attempt(&state, addr, &email)
        .await?
        .map_err(ConsoleError::TooMany)?;
    let user = match state.store.admin_user_by_email(&email).await {
        Ok(u) => Some(u),
        Err(Error::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let stored = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::decoy().to_string());
    let ok = web::block(move || password::verify(&stored, &password))
        .await
        .map_err(|e| ConsoleError::Internal(e.into()))?;
    let Some(user) = user.filter(|_| ok) else {
        tracing::warn!(ip = ip.as_deref().unwrap_or("?"), "console: failed sign-in");
        return Ok(form_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &email,
            Some("That email address and password don't match."),
        ));
    };
    sign_in::succeeded(&state, addr, &email).await?;
    let raw = token::generate();
    let now = Utc::now();
    state
        .store
        .create_admin_session(user.id, &token::hash(&raw), now, now + session::ttl())
        .await?;
    tracing::info!(admin = %user.email, "console: signed in");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .insert_header((header::SET_COOKIE, session::set_cookie(&state, &raw)))
        .finish())
}

/// Ends every session of this admin, in every browser, and clears the cookie.
pub async fn sign_out_everywhere(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse> {
    csrf::form(&req, payload, &state, &session).await?;
    let ended = state
        .store
        .delete_admin_sessions_of(session.user.id)
        .await?;
    tracing::info!(admin = %session.user.email, ended, "console: signed out everywhere");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/sign-in"))
        .insert_header((header::SET_COOKIE, session::clear_cookie(&state)))
        .finish())
}

/// Ends this session and clears the cookie.
pub async fn sign_out(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse> {
    csrf::form(&req, payload, &state, &session).await?;
    state
        .store
        .delete_admin_session(&session.token_hash)
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/sign-in"))
        .insert_header((header::SET_COOKIE, session::clear_cookie(&state)))
        .finish())
}

fn password_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    error: Option<&str>,
) -> HttpResponse {
    page(
        state,
        status,
        "admin/password.html",
        Some(session),
        "password",
        json!({ "error": error, "min": password::MIN_LEN }),
    )
}

pub async fn password_form(session: Session, state: web::Data<AppState>) -> HttpResponse {
    password_page(&state, &session, StatusCode::OK, None)
}

/// Changes the signed-in admin's password: every session of theirs ends,
/// and this browser gets a fresh one. A wrong current password counts as a
/// failed sign-in.
pub async fn change_password(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let email = session.user.email.clone();
    let addr = client_ip(&req, &state.config.trusted_proxies);
    let ip = addr.map(|ip| ip.to_string());
    let (current, new, again) = (form.raw("current"), form.raw("new"), form.raw("again"));
    if current.len() > 4096 {
        return Ok(password_page(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("That is not your current password."),
        ));
    }
    let Some(_pass) = state.console.passwords.enter(ip.as_deref()) else {
        return Err(ConsoleError::TooMany(1));
    };
    sign_in::attempt(&state, addr, &email)
        .await?
        .map_err(ConsoleError::TooMany)?;
    let stored = session.user.password_hash.clone();
    let ok = web::block(move || password::verify(&stored, &current))
        .await
        .map_err(|e| ConsoleError::Internal(e.into()))?;
    if ok {
        sign_in::succeeded(&state, addr, &email).await?;
    } else {
        return Ok(password_page(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("That is not your current password."),
        ));
    }
    if new != again {
        return Ok(password_page(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("The two new passwords differ."),
        ));
    }
    // Checked, hashed and stored as `herald admin add` does; every
    // session ends, and this browser gets a new one.
    match crate::admins::add_admin(&state.store, &email, new).await {
        Ok(_) => {}
        Err(crate::app::Error::Invalid { message, .. }) => {
            return Ok(password_page(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&message),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let now = Utc::now();
    let raw = token::generate();
    state
        .store
        .create_admin_session(
            session.user.id,
            &token::hash(&raw),
            now,
            now + session::ttl(),
        )
        .await?;
    tracing::info!(admin = %email, "console: password changed, other sessions ended");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .insert_header((header::SET_COOKIE, session::set_cookie(&state, &raw)))
        .finish())
}
