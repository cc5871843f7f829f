//! The public news feed: `/news`, a page at a time with a "More news"
//! link, and `/news.atom`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::{ApiError, AppState};
use crate::news::{self, atom};

/// How deep a listing's `?page=` goes.
pub const MAX_PAGE: u32 = 1000;

/// The `page` query parameter: 1 when absent, `None` when it is not a
/// whole number from 1 to [`MAX_PAGE`].
pub fn page_number(req: &HttpRequest) -> Option<u32> {
    match url::form_urlencoded::parse(req.query_string().as_bytes()).find(|(k, _)| k == "page") {
        None => Some(1),
        Some((_, v)) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n)),
    }
}

pub fn bad_page(state: &AppState) -> HttpResponse {
    state.error_page(
        StatusCode::BAD_REQUEST,
        "No such page",
        &format!("The page number is a whole number from 1 to {MAX_PAGE}."),
        None,
    )
}

pub fn past_the_end(state: &AppState, first: &str) -> HttpResponse {
    state.error_page(
        StatusCode::NOT_FOUND,
        "No such page",
        "There is nothing this far back.",
        Some((first, "Back to the first page")),
    )
}

/// A time as a reader reads it, in `HERALD_TIMEZONE`.
pub fn local_time(state: &AppState, t: DateTime<Utc>) -> String {
    t.with_timezone(&state.config.timezone)
        .format("%-d %B %Y, %H:%M %Z")
        .to_string()
}

/// The name readers know the site by.
pub fn site_name(_state: &AppState) -> &'static str {
    "Herald"
}

pub fn atom_response(xml: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(atom::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(xml)
}

#[utoipa::path(get, path = "/news", tag = "public",
    params(("page" = Option<u32>, Query, minimum = 1, maximum = 1000,
        description = "Which page of 20 items, newest first (default 1)")),
    responses(
        (status = 200, description = "The latest published news items, with a \"More news\" link when there are older ones", content_type = "text/html", body = String),
        (status = 400, description = "`page` is not a whole number from 1 to 1000", content_type = "text/html", body = String),
        (status = 404, description = "A page past the last one", content_type = "text/html", body = String)))]
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Some(page) = page_number(&req) else {
        return Ok(bad_page(&state));
    };
    let p = news::news_page(&state, page).await?;
    if p.items.is_empty() && page > 1 {
        return Ok(past_the_end(&state, "/news"));
    }
    let items: Vec<_> = p
        .items
        .iter()
        .map(|i| {
            json!({
                "title": i.title,
                "url": i.url,
                "summary": i.summary,
                "published_at": i.published_at.to_rfc3339(),
                "published": local_time(&state, i.published_at),
            })
        })
        .collect();
    Ok(state.page(
        StatusCode::OK,
        "pages/news.html",
        json!({ "items": items, "page": page, "next_page": p.next_page }),
    ))
}

#[utoipa::path(get, path = "/news.atom", tag = "public",
    responses((status = 200, description = "The latest 50 published news items as an Atom feed", content_type = "application/atom+xml", body = String)))]
pub async fn atom_feed(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(atom_response(
        news::news_atom(&state, site_name(&state)).await?,
    ))
}
