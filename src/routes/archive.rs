//! A newsletter's public archive: `/newsletters/{slug}/archive` (its sent
//! digests), `…/archive/{id}` (one, as sent but with no reader's link in
//! it) and `…/archive.atom`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::news::{atom_response, bad_page, error_in, page_number, past_the_end};
use super::{ApiError, AppState};
use crate::app::Error;
use crate::archive;
use crate::domain::Language;

/// The archived copy's page. The copy sits in an `<iframe sandbox srcdoc>`,
/// which inherits this policy: its inline styles and https images load,
/// nothing runs, and its links open outside the frame.
const COPY_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
                        frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// A 404 for what isn't in a public archive (in the reader's language:
/// the newsletter's may be the thing that is secret); other errors as they are.
fn not_found(
    state: &AppState,
    lang: Language,
    slug: &str,
    e: Error,
) -> Result<HttpResponse, ApiError> {
    match e {
        Error::NotFound { .. } => Ok(error_in(
            state,
            lang,
            StatusCode::NOT_FOUND,
            "archive-not-found",
            Some((&format!("/newsletters/{slug}"), "archive-see-newsletter")),
        )),
        e => Err(e.into()),
    }
}

#[utoipa::path(get, path = "/newsletters/{slug}/archive", tag = "public",
    params(("slug" = String, Path, description = "The newsletter's slug"),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 1000,
        description = "Which page of 20 digests, newest first (default 1)")),
    responses(
        (status = 200, description = "The newsletter's sent digests, newest first", content_type = "text/html", body = String),
        (status = 400, description = "`page` is not a whole number from 1 to 1000", content_type = "text/html", body = String),
        (status = 404, description = "No such newsletter, its archive is not public, or a page past the last one", content_type = "text/html", body = String)))]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let lang = state.browser_lang(&req);
    let Some(page) = page_number(&req) else {
        return Ok(bad_page(&state, lang));
    };
    let p = match archive::list(&state, &slug, page).await {
        Ok(p) => p,
        Err(e) => return not_found(&state, lang, &slug, e),
    };
    let lang = p.newsletter.lang(state.config.language);
    if p.digests.is_empty() && page > 1 {
        return Ok(past_the_end(
            &state,
            lang,
            &format!("/newsletters/{}/archive", p.newsletter.slug),
        ));
    }
    let digests: Vec<_> = p
        .digests
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "subject": d.subject,
                "headlines": d.headlines,
                "sent_at": d.sent_at.to_rfc3339(),
            })
        })
        .collect();
    Ok(state.page(
        StatusCode::OK,
        "pages/archive.html",
        json!({
            "newsletter": p.newsletter,
            "digests": digests,
            "page": page,
            "next_page": p.next_page,
            "lang": lang.code(),
        }),
    ))
}

/// Makes every link of the copy open outside its frame (a sandboxed frame
/// may open popups, which escape the sandbox, but not navigate the page).
fn links_open_outside(html: &str) -> String {
    const BASE: &str = "<base target=\"_blank\">";
    // `<head>` or `<head …>`, not `<header>`.
    let at = html
        .match_indices("<head")
        .map(|(start, _)| start)
        .find(|&start| {
            html[start + 5..]
                .chars()
                .next()
                .is_some_and(|c| c == '>' || c.is_ascii_whitespace())
        })
        .and_then(|start| html[start..].find('>').map(|end| start + end + 1));
    match at {
        Some(at) => format!("{}{BASE}{}", &html[..at], &html[at..]),
        None => format!("{BASE}{html}"),
    }
}

#[utoipa::path(get, path = "/newsletters/{slug}/archive/{id}", tag = "public",
    params(("slug" = String, Path, description = "The newsletter's slug"),
        ("id" = String, Path, description = "The digest's id")),
    responses(
        (status = 200, description = "The digest as its readers got it, with no reader's link or token in it", content_type = "text/html", body = String),
        (status = 404, description = "No such newsletter, its archive is not public, or no sent digest of it with this id", content_type = "text/html", body = String)))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, id) = path.into_inner();
    let copy = match archive::get(&state, &slug, &id).await {
        Ok(c) => c,
        Err(e) => return not_found(&state, state.browser_lang(&req), &slug, e),
    };
    let lang = copy.newsletter.lang(state.config.language);
    let mut resp = state.page(
        StatusCode::OK,
        "pages/archive_digest.html",
        json!({
            "newsletter": copy.newsletter,
            "id": copy.id,
            "subject": copy.subject,
            "sent_at": copy.sent_at.to_rfc3339(),
            "html": links_open_outside(&copy.html),
            "lang": lang.code(),
        }),
    );
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(COPY_CSP),
    );
    Ok(resp)
}

#[utoipa::path(get, path = "/newsletters/{slug}/archive.atom", tag = "public",
    params(("slug" = String, Path, description = "The newsletter's slug")),
    responses(
        (status = 200, description = "The newsletter's latest sent digests as an Atom feed", content_type = "application/atom+xml", body = String),
        (status = 404, description = "No such newsletter, or its archive is not public", content_type = "text/html", body = String)))]
pub async fn atom_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    match archive::atom(&state, &slug).await {
        Ok(xml) => Ok(atom_response(xml)),
        Err(e) => not_found(&state, state.browser_lang(&req), &slug, e),
    }
}

#[cfg(test)]
mod tests {
    use super::links_open_outside;

    #[test]
    fn the_base_goes_into_the_head() {
        assert_eq!(
            links_open_outside("<html><head lang=\"en\"><title>x</title>"),
            "<html><head lang=\"en\"><base target=\"_blank\"><title>x</title>"
        );
        assert_eq!(
            links_open_outside("<header><head>"),
            "<header><head><base target=\"_blank\">"
        );
        assert_eq!(
            links_open_outside("<p>x</p>"),
            "<base target=\"_blank\"><p>x</p>"
        );
    }
}
