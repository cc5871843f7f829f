//! Newsletters: list and create, edit, archive, and the snippet that puts
//! a newsletter's signup form on another site.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::{csrf, page, refusal, resource, see_other, seg, ConsoleError, Result, Session};
use crate::app::Error;
use crate::newsletters::{self, NewsletterBody};
use crate::routes::AppState;
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
            "description": form.get("description"), "error": message });
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

/// The HTML another site pastes to show this newsletter's signup form.
fn embed_snippet(base_url: &str, n: &Newsletter) -> String {
    let attr = |s: &str| html_escape::encode_double_quoted_attribute(s).to_string();
    format!(
        "<form method=\"post\" action=\"{base}/subscriptions\">\n  \
         <input type=\"hidden\" name=\"newsletter\" value=\"{slug}\">\n  \
         <label for=\"herald-email-{slug}\">Subscribe to {name}</label>\n  \
         <input type=\"email\" id=\"herald-email-{slug}\" name=\"email\" required autocomplete=\"email\">\n  \
         <button type=\"submit\">Subscribe</button>\n</form>",
        base = attr(base_url),
        slug = attr(&n.slug),
        name = html_escape::encode_text(&n.name),
    )
}

async fn edit_page(
    state: &AppState,
    session: &Session,
    slug: &str,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse> {
    let n = state
        .store
        .newsletter_by_slug(slug)
        .await
        .map_err(|e| not_found(e.into()))?;
    let counts = state.store.status_counts(n.id).await?;
    Ok(page(
        state,
        status,
        "admin/newsletter.html",
        Some(session),
        "newsletters",
        json!({
            "newsletter": n,
            "counts": counts,
            "snippet": embed_snippet(&state.config.base_url, &n),
            "error": error,
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
                edit_page(&state, &session, &slug, status, Some(message)).await
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
