//! Digests: preview the next one (in a sandboxed frame), send it after a
//! confirmation step, follow its progress live, pause, resume, cancel, and
//! read the SMTP replies of failed deliveries.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::json;

use super::newsletters::not_found;
use super::{csrf, page, resource, see_other, seg, ConsoleError, Result, Session};
use crate::app::Error;
use crate::digest::{self, DigestOptions};
use crate::domain::token;
use crate::routes::AppState;
use crate::store::{Digest, DigestAction};

/// The preview document: its own styles only, images from the web, no
/// script at all, and framed by the console alone.
const PREVIEW_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
     frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(
        "/newsletters/{slug}/digest",
        vec![("GET", web::get().to(next)), ("POST", web::post().to(send))],
    ))
    .service(resource(
        "/newsletters/{slug}/digest/test",
        vec![("POST", web::post().to(test_send))],
    ))
    .service(resource(
        "/newsletters/{slug}/digest/preview",
        vec![("GET", web::get().to(preview))],
    ))
    .service(resource(
        "/newsletters/{slug}/digest/confirm",
        vec![("GET", web::get().to(confirm))],
    ))
    .service(resource(
        "/digests/{id}",
        vec![("GET", web::get().to(show))],
    ))
    .service(resource(
        "/digests/{id}/progress",
        vec![("GET", web::get().to(progress))],
    ))
    .service(resource(
        "/digests/{id}/{action}",
        vec![("POST", web::post().to(act))],
    ));
}

/// How far a digest has gone, 0 to 100.
fn percent(d: &Digest) -> i64 {
    if d.recipients <= 0 {
        return if d.status.is_finished() { 100 } else { 0 };
    }
    ((d.sent + d.failed + d.skipped) * 100 / d.recipients).clamp(0, 100)
}

fn progress_json(d: &Digest) -> serde_json::Value {
    let mut v = json!(d);
    v["percent"] = json!(percent(d));
    v["done"] = json!(d.status.is_finished());
    v
}

/// The next digest's page: its items, the preview, the newsletter's last digests.
pub async fn next(
    session: Session,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    next_page(&state, &session, &slug, StatusCode::OK, json!(null)).await
}

async fn next_page(
    state: &AppState,
    session: &Session,
    slug: &str,
    status: StatusCode,
    notice: serde_json::Value,
) -> Result<HttpResponse> {
    let n = state
        .store
        .newsletter_by_slug(slug)
        .await
        .map_err(|e| not_found(e.into()))?;
    let items = state.store.digest_candidates(n.id, Utc::now(), 10).await?;
    let mut digests = Vec::new();
    for id in state.store.recent_digest_ids(Some(n.id), 10).await? {
        digests.push(progress_json(&state.store.digest(id).await?));
    }
    Ok(page(
        state,
        status,
        "admin/digest_next.html",
        Some(session),
        "newsletters",
        json!({ "newsletter": n, "items": items, "digests": digests, "notice": notice }),
    ))
}

/// Sends the next digest to one address (the admin's own by default),
/// marked as a test.
pub async fn test_send(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let to = match form.get("to").trim() {
        "" => session.user.email.clone(),
        to => to.to_string(),
    };
    match digest::send_test(&state, &slug, &to).await {
        Ok(sent) => {
            let text = format!("A test of the next digest is on its way to {}.", sent.to);
            next_page(
                &state,
                &session,
                &slug,
                StatusCode::OK,
                json!({ "text": text }),
            )
            .await
        }
        Err(e) => match super::refusal(&e) {
            Some((status, message)) if status != StatusCode::NOT_FOUND => {
                next_page(&state, &session, &slug, status, json!({ "error": message })).await
            }
            _ => Err(not_found(e)),
        },
    }
}

/// The next digest as its readers would see it, for the sandboxed frame.
pub async fn preview(
    _session: Session,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    let html = match digest::preview_html(&state, &slug).await {
        Ok(html) => html,
        Err(Error::Conflict { .. }) => {
            "<!DOCTYPE html><p>Nothing new since the last digest.</p>".to_string()
        }
        Err(Error::NotFound { .. }) => {
            return Err(ConsoleError::Client(
                StatusCode::NOT_FOUND,
                "There is no such newsletter.".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(framed_preview(html))
}

/// An email's HTML as the console's sandboxed preview frame shows it: its
/// own styles only, no script, framed by the console alone.
pub fn framed_preview(html: String) -> HttpResponse {
    let mut resp = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html);
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(PREVIEW_CSP),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("SAMEORIGIN"),
    );
    resp
}

/// The confirmation step: what goes to whom, and one button.
pub async fn confirm(
    session: Session,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    let n = state
        .store
        .newsletter_by_slug(&slug)
        .await
        .map_err(|e| not_found(e.into()))?;
    let items = state.store.digest_candidates(n.id, Utc::now(), 10).await?;
    let counts = state.store.status_counts(n.id).await?;
    Ok(page(
        &state,
        StatusCode::OK,
        "admin/digest_confirm.html",
        Some(&session),
        "newsletters",
        json!({
            "newsletter": n,
            "items": items,
            "recipients": counts.confirmed,
            // A second click (or a reload) sends nothing twice.
            "key": token::generate(),
        }),
    ))
}

pub async fn send(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let key = Some(form.get("key")).filter(|k| !k.is_empty());
    let d = digest::create(&state, &slug, &DigestOptions::default(), key)
        .await
        .map_err(|e| match e {
            Error::Conflict { .. } => ConsoleError::Client(
                StatusCode::CONFLICT,
                "Nothing was published since the last digest, so there is nothing to send.".into(),
            ),
            Error::NotFound { .. } => {
                ConsoleError::Client(StatusCode::NOT_FOUND, "There is no such newsletter.".into())
            }
            e => e.into(),
        })?;
    tracing::info!(admin = %session.user.email, digest = d.id, newsletter = %d.newsletter, "console: digest queued");
    Ok(see_other(&format!("/admin/digests/{}", d.id)))
}

fn no_such_digest(e: Error) -> ConsoleError {
    match e {
        Error::NotFound { .. } => {
            ConsoleError::Client(StatusCode::NOT_FOUND, "There is no such digest.".into())
        }
        e => e.into(),
    }
}

async fn load(state: &AppState, raw: &str) -> Result<Digest> {
    let id = digest::parse_id(raw).map_err(no_such_digest)?;
    digest::get(state, id).await.map_err(no_such_digest)
}

pub async fn show(
    session: Session,
    state: web::Data<AppState>,
    raw: web::Path<String>,
) -> Result<HttpResponse> {
    let d = load(&state, &raw).await?;
    Ok(page(
        &state,
        StatusCode::OK,
        "admin/digest.html",
        Some(&session),
        "newsletters",
        json!({ "digest": progress_json(&d) }),
    ))
}

/// What the progress bar polls.
pub async fn progress(
    _session: Session,
    state: web::Data<AppState>,
    raw: web::Path<String>,
) -> Result<HttpResponse> {
    let d = load(&state, &raw).await?;
    Ok(HttpResponse::Ok().json(progress_json(&d)))
}

pub async fn act(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (raw, action) = path.into_inner();
    let action = match action.as_str() {
        "pause" => DigestAction::Pause,
        "resume" => DigestAction::Resume,
        "cancel" => DigestAction::Cancel,
        _ => {
            return Err(ConsoleError::Client(
                StatusCode::NOT_FOUND,
                "There is no such action.".into(),
            ))
        }
    };
    csrf::form(&req, payload, &state, &session).await?;
    let id = digest::parse_id(&raw).map_err(no_such_digest)?;
    digest::act(&state, id, action).await.map_err(|e| match e {
        Error::Conflict { .. } => ConsoleError::Client(
            StatusCode::CONFLICT,
            "The digest can't change that way in its current state.".into(),
        ),
        e => no_such_digest(e),
    })?;
    Ok(see_other(&format!("/admin/digests/{}", seg(&raw))))
}
