//! A newsletter's subscribers: search, filter, page through; add,
//! unsubscribe; import a CSV (uploaded by `fetch`, with a progress bar) and
//! export; and one address's history, which can be erased.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::newsletters::not_found;
use super::{csrf, page, refusal, resource, see_other, seg, ConsoleError, Result, Session};
use crate::app::Error;
use crate::routes::admin::import::{export_csv, import_csv};
use crate::routes::AppState;
use crate::subscribers::{self, AddBody};

const PAGE: u32 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(
        "/newsletters/{slug}/subscribers",
        vec![("GET", web::get().to(list)), ("POST", web::post().to(add))],
    ))
    .service(resource(
        "/newsletters/{slug}/subscribers/unsubscribe",
        vec![("POST", web::post().to(unsubscribe))],
    ))
    .service(resource(
        "/newsletters/{slug}/subscribers/import",
        vec![("POST", web::post().to(import))],
    ))
    .service(resource(
        "/newsletters/{slug}/subscribers/export",
        vec![("GET", web::get().to(export))],
    ))
    .service(resource(
        "/subscribers",
        vec![("GET", web::get().to(history))],
    ))
    .service(resource(
        "/subscribers/erase",
        vec![("POST", web::post().to(erase))],
    ));
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    after: Option<String>,
}

fn bad(message: &str) -> ConsoleError {
    ConsoleError::Client(StatusCode::BAD_REQUEST, message.to_string())
}

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    slug: &str,
    status_code: StatusCode,
    notice: serde_json::Value,
) -> Result<HttpResponse> {
    let q: ListQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| bad("That search doesn't parse."))?;
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.chars().count() > 320 || s.chars().any(char::is_control)) {
        return Err(bad("Search for at most 320 characters of an address."));
    }
    let status = subscribers::status_filter(q.status.as_deref())
        .map_err(|_| bad("The status is pending, confirmed or unsubscribed."))?;
    let after = match q.after.as_deref().filter(|s| !s.is_empty()) {
        None => 0,
        Some(a) => a
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| bad("That page doesn't exist."))?,
    };
    let n = state
        .store
        .newsletter_by_slug(slug)
        .await
        .map_err(|e| not_found(e.into()))?;
    let found = state
        .store
        .search_subscribers(n.id, status, search, PAGE, after)
        .await?;
    let next = found.next.as_ref().map(|cursor| {
        serde_urlencoded::to_string([
            ("q", search.unwrap_or_default()),
            ("status", status.map(|s| s.as_str()).unwrap_or_default()),
            ("after", cursor.as_str()),
        ])
        .unwrap_or_default()
    });
    Ok(page(
        state,
        status_code,
        "admin/subscribers.html",
        Some(session),
        "newsletters",
        json!({
            "newsletter": n,
            "subscribers": found.subscribers,
            "q": search.unwrap_or_default(),
            "status": status.map(|s| s.as_str()).unwrap_or_default(),
            "next": next,
            "first_page": after == 0,
            "notice": notice,
        }),
    ))
}

pub async fn list(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    list_page(&req, &state, &session, &slug, StatusCode::OK, json!(null)).await
}

/// Adds one address, pending (a confirmation email goes out) or, with a
/// consent note, confirmed.
pub async fn add(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let b = AddBody {
        email: form.get("email").to_string(),
        name: Some(form.get("name").to_string()).filter(|s| !s.is_empty()),
        status: Some(form.get("status").to_string()).filter(|s| !s.is_empty()),
        consent: Some(form.get("consent").to_string()).filter(|s| !s.is_empty()),
    };
    match subscribers::add(&state, &slug, &b).await {
        Ok((existed, row)) => {
            let text = if existed {
                format!("{} was already on the list ({}).", row.email, row.status)
            } else {
                format!("Added {} ({}).", row.email, row.status)
            };
            list_page(
                &req,
                &state,
                &session,
                &slug,
                StatusCode::OK,
                json!({ "text": text }),
            )
            .await
        }
        Err(e) => match refusal(&e) {
            Some((status, message)) if status != StatusCode::NOT_FOUND => {
                list_page(
                    &req,
                    &state,
                    &session,
                    &slug,
                    status,
                    json!({ "error": message }),
                )
                .await
            }
            _ => Err(not_found(e)),
        },
    }
}

pub async fn unsubscribe(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let email = subscribers::parse_email(form.get("email"))?;
    crate::newsletters::get(&state, &slug)
        .await
        .map_err(not_found)?;
    // Only an existing subscription changes status.
    subscribers::set_status(
        &state,
        &slug,
        email.as_str(),
        "unsubscribed",
        Some("unsubscribed by an admin in the console"),
    )
    .await
    .map_err(|e| match e {
        Error::NotFound { .. } => ConsoleError::Client(
            StatusCode::NOT_FOUND,
            "That address is not on this newsletter.".into(),
        ),
        e => e.into(),
    })?;
    Ok(see_other(&format!(
        "/admin/newsletters/{}/subscribers",
        seg(&slug)
    )))
}

/// The admin API's import, for a CSV the page uploads with `fetch` (the
/// CSRF token in `X-CSRF-Token`); answers with the API's JSON summary.
pub async fn import(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    if !csrf::same_origin(&req, &state.config.base_url) {
        return Err(ConsoleError::Forbidden(
            "This request did not come from the console's own pages.",
        ));
    }
    let sent = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    csrf::check_token(sent, &session)?;
    // The session stands in for the bearer token; a refusal stays the API's
    // JSON, whose message the page shows.
    Ok(import_csv(req, slug, payload, state)
        .await
        .unwrap_or_else(|e| actix_web::ResponseError::error_response(&e)))
}

pub async fn export(
    req: HttpRequest,
    _session: Session,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(export_csv(req, slug, state).await?)
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    email: Option<String>,
}

/// Everything held on one address: subscriptions, consent log, deliveries.
pub async fn history(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    let q: HistoryQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| bad("That query doesn't parse."))?;
    let raw = q.email.unwrap_or_default();
    let data = if raw.trim().is_empty() {
        None
    } else {
        match subscribers::address(&state, &raw).await {
            Ok(d) => Some(d),
            Err(Error::NotFound { .. }) => {
                return Err(ConsoleError::Client(
                    StatusCode::NOT_FOUND,
                    "Nothing is held on that address.".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    };
    Ok(page(
        &state,
        StatusCode::OK,
        "admin/subscriber.html",
        Some(&session),
        "subscribers",
        json!({ "email": raw.trim(), "data": data }),
    ))
}

/// Erases the address everywhere (only a hash remains, so imports skip it).
pub async fn erase(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let email = subscribers::erase(&state, form.get("email")).await?;
    Ok(page(
        &state,
        StatusCode::OK,
        "admin/subscriber.html",
        Some(&session),
        "subscribers",
        json!({ "email": "", "data": null, "erased": email.as_str() }),
    ))
}
