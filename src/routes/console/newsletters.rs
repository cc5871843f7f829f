//! Newsletters: list and create, edit, archive, and the snippet that puts
//! a newsletter's signup form on another site.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::{csrf, page, refusal, resource, see_other, seg, ConsoleError, Result, Session};
use crate::app::Error;
use crate::newsletters::{self, NewsletterBody};
use crate::routes::AppState;
use crate::schedule;
use crate::store::Newsletter;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(
        "/newsletters",
        vec![
            ("GET", web::get().to(list)),
            ("POST", web::post().to(create)),
        ],
    ))
    .service(resource(
        "/newsletters/{slug}",
        vec![
            ("GET", web::get().to(edit)),
            ("POST", web::post().to(update)),
        ],
    ))
    .service(resource(
        "/newsletters/{slug}/welcome/preview",
        vec![("GET", web::get().to(welcome_preview))],
    ))
    .service(resource(
        "/newsletters/{slug}/schedule",
        vec![("POST", web::post().to(set_schedule))],
    ))
    .service(resource(
        "/newsletters/{slug}/archive",
        vec![("POST", web::post().to(archive))],
    ));
}

/// Empty form fields mean "none".
fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// The form's fields, as the admin API's body (every field given: the
/// form shows them all).
fn fields(form: &csrf::Form, slug: &str) -> NewsletterBody {
    NewsletterBody {
        slug: Some(slug.to_string()),
        name: Some(form.get("name").to_string()),
        description: Some(form.get("description").to_string()),
        from_name: Some(opt(form.get("from_name"))),
        from_address: Some(opt(form.get("from_address"))),
        reply_to: Some(opt(form.get("reply_to"))),
        digest_subject: Some(opt(form.get("digest_subject"))),
        welcome_subject: Some(opt(form.get("welcome_subject"))),
        welcome_body: Some(opt(form.get("welcome_body"))),
        language: opt(form.get("language")),
        public_archive: Some(form.get("public_archive") == "1"),
        ..Default::default()
    }
}

/// A refused value to show on the form again, with its status (not a
/// missing newsletter: that is a page of its own).
fn refused_field(e: &Error) -> Option<(StatusCode, String)> {
    match e {
        Error::Conflict { .. } => Some((
            StatusCode::CONFLICT,
            "A newsletter with this slug exists (perhaps archived).".into(),
        )),
        Error::NotFound { .. } => None,
        e => refusal(e),
    }
}

async fn list_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    form: Value,
) -> Result<HttpResponse> {
    let all = newsletters::list(state).await?;
    Ok(page(
        state,
        status,
        "admin/newsletters.html",
        Some(session),
        "newsletters",
        json!({ "newsletters": all, "form": form }),
    ))
}

pub async fn list(session: Session, state: web::Data<AppState>) -> Result<HttpResponse> {
    list_page(&state, &session, StatusCode::OK, json!({})).await
}

pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let slug = form.get("slug").to_string();
    let refused = |message: String, status| {
        let values = json!({ "slug": slug, "name": form.get("name"),
            "description": form.get("description"), "language": form.get("language"),
            "public_archive": form.get("public_archive") == "1", "error": message });
        list_page(&state, &session, status, values)
    };
    let b = fields(&form, &slug);
    match newsletters::create(&state, &slug, form.get("name"), &b).await {
        Ok(n) => Ok(see_other(&format!("/admin/newsletters/{}", seg(&n.slug)))),
        Err(e) => match refused_field(&e) {
            Some((status, message)) => refused(message, status).await,
            None => Err(e.into()),
        },
    }
}

/// The HTML another site pastes to show this newsletter's signup form:
/// the form that works without script, and `/embed.js` pinned by its hash.
fn embed_snippet(state: &AppState, n: &Newsletter) -> anyhow::Result<String> {
    let html = state.templates.render(
        "admin/snippet.html",
        json!({
            "base_url": state.config.base_url,
            "newsletter": { "slug": n.slug, "name": n.name },
            "integrity": state.embed.integrity(),
            "lang": n.lang(state.config.language).code(),
        }),
    )?;
    Ok(html.trim_end().to_string())
}

/// Which form on the page a refusal belongs to.
enum Refused {
    Fields(String),
    Schedule(String),
}

async fn edit_page(
    state: &AppState,
    session: &Session,
    slug: &str,
    status: StatusCode,
    refused: Option<Refused>,
) -> Result<HttpResponse> {
    let n = newsletters::get(state, slug).await.map_err(not_found)?;
    let counts = state.store.status_counts(n.id).await?;
    let zone = match n.timezone.as_deref().map(crate::domain::parse_zone) {
        Some(Ok(z)) => z,
        _ => state.config.timezone,
    };
    let in_words = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&zone)
            .format("%A %-d %B %Y, %H:%M:%S %Z")
            .to_string()
    };
    let next_runs: Vec<String> = schedule::next_runs(state, &n, 3)
        .into_iter()
        .map(in_words)
        .collect();
    let runs: Vec<Value> = state
        .store
        .schedule_runs(&n, 10)
        .await?
        .into_iter()
        .map(|r| json!({ "slot": in_words(r.slot), "status": r.status, "digest_id": r.digest_id }))
        .collect();
    let (error, schedule_error) = match refused {
        Some(Refused::Fields(m)) => (Some(m), None),
        Some(Refused::Schedule(m)) => (None, Some(m)),
        None => (None, None),
    };
    Ok(page(
        state,
        status,
        "admin/newsletter.html",
        Some(session),
        "newsletters",
        json!({
            "newsletter": n,
            "counts": counts,
            "snippet": embed_snippet(state, &n).map_err(ConsoleError::Internal)?,
            "error": error,
            "schedule_error": schedule_error,
            "zone": zone.name(),
            "default_zone": state.config.timezone.name(),
            "next_runs": next_runs,
            "runs": runs,
        }),
    ))
}

pub fn not_found(e: Error) -> ConsoleError {
    match e {
        Error::NotFound { .. } => {
            ConsoleError::Client(StatusCode::NOT_FOUND, "There is no such newsletter.".into())
        }
        e => e.into(),
    }
}

pub async fn edit(
    session: Session,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    edit_page(&state, &session, &slug, StatusCode::OK, None).await
}

pub async fn update(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    match newsletters::update(&state, &slug, &fields(&form, &slug)).await {
        Ok(_) => Ok(see_other(&format!("/admin/newsletters/{}", seg(&slug)))),
        Err(e) => match refused_field(&e) {
            Some((status, message)) => {
                edit_page(
                    &state,
                    &session,
                    &slug,
                    status,
                    Some(Refused::Fields(message)),
                )
                .await
            }
            None => Err(not_found(e)),
        },
    }
}

/// The welcome email as readers will see it, for the sandboxed frame.
pub async fn welcome_preview(
    _session: Session,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    let html = newsletters::welcome_preview(&state, &slug)
        .await
        .map_err(not_found)?
        .unwrap_or_else(|| "<!DOCTYPE html><p>No welcome email.</p>".to_string());
    Ok(super::digests::framed_preview(html))
}

/// Sets or clears the schedule from its form.
pub async fn set_schedule(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let min_items = match form.get("min_items").trim() {
        "" => None,
        m => Some(m.parse::<i32>().map_err(|_| {
            ConsoleError::Client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "New items is a whole number from 1 to 100.".into(),
            )
        })?),
    };
    let change = schedule::Change {
        schedule: Some(opt(form.get("schedule").trim())),
        timezone: Some(opt(form.get("timezone").trim())),
        min_items,
    };
    match schedule::set(&state, &slug, &change).await {
        Ok(_) => Ok(see_other(&format!(
            "/admin/newsletters/{}#schedule",
            seg(&slug)
        ))),
        Err(e) => match refused_field(&e) {
            Some((status, message)) => {
                edit_page(
                    &state,
                    &session,
                    &slug,
                    status,
                    Some(Refused::Schedule(message)),
                )
                .await
            }
            None => Err(not_found(e)),
        },
    }
}

pub async fn archive(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    csrf::form(&req, payload, &state, &session).await?;
    newsletters::archive(&state, &slug)
        .await
        .map_err(not_found)?;
    Ok(see_other("/admin/newsletters"))
}
