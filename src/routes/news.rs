//! The public news feed: `/news`, a page at a time with a "More news"
//! link, and `/news.atom`. Also the pieces the archive's pages share with
//! it: the `?page=` parameter, their error pages, the Atom answer.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{ApiError, AppState};
use crate::domain::Language;
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

/// The error page in `lang`: `error` names the catalog's `…-title` and
/// `…-message`, the link onwards is an address and a catalog key. (Like
/// [`AppState::error_page`], in a language chosen here.)
pub fn error_in(
    state: &AppState,
    lang: Language,
    status: StatusCode,
    error: &str,
    link: Option<(&str, &str)>,
) -> HttpResponse {
    let link = link.map(|(href, text)| json!({ "href": href, "text": text }));
    state.page(
        status,
        "pages/error.html",
        json!({ "status": status.as_u16(), "error": error, "link": link, "lang": lang.code() }),
    )
}

pub fn bad_page(state: &AppState, lang: Language) -> HttpResponse {
    error_in(
        state,
        lang,
        StatusCode::BAD_REQUEST,
        "news-page-invalid",
        None,
    )
}

pub fn past_the_end(state: &AppState, lang: Language, first: &str) -> HttpResponse {
    error_in(
        state,
        lang,
        StatusCode::NOT_FOUND,
        "news-page-past-end",
        Some((first, "news-first-page")),
    )
}

pub fn atom_response(xml: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(atom::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(xml)
}

#[utoipa::path(get, path = "/news", tag = "public", operation_id = "get_news",
    params(("page" = Option<u32>, Query, minimum = 1, maximum = 1000,
        description = "Which page of 20 items, newest first (default 1)")),
    responses(
        (status = 200, description = "The latest published news items, with a \"More news\" link when there are older ones", content_type = "text/html", body = String),
        (status = 400, description = "`page` is not a whole number from 1 to 1000", content_type = "text/html", body = String),
        (status = 404, description = "A page past the last one", content_type = "text/html", body = String)))]
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let lang = state.browser_lang(&req);
    let Some(page) = page_number(&req) else {
        return Ok(bad_page(&state, lang));
    };
    let p = news::news_page(&state, page).await?;
    if p.items.is_empty() && page > 1 {
        return Ok(past_the_end(&state, lang, "/news"));
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
            })
        })
        .collect();
    Ok(state.page(
        StatusCode::OK,
        "pages/news.html",
        json!({ "items": items, "page": page, "next_page": p.next_page, "lang": lang.code() }),
    ))
}

#[utoipa::path(get, path = "/news.atom", tag = "public",
    responses((status = 200, description = "The latest 50 published news items as an Atom feed", content_type = "application/atom+xml", body = String)))]
pub async fn atom_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = state.browser_lang(&req);
    Ok(atom_response(news::news_atom(&state, lang).await?))
}
