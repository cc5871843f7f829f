//! `POST /subscriptions`: a signup from an HTML form or a JSON client,
//! recorded by [`crate::signup`]; every accepted one gets the same answer.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::body::{self, Kind};
use super::client::{client_ip, consent};
use super::error::{ApiError, ErrorBody};
use super::pages::{render_index, render_newsletter, FormState};
use super::AppState;
use crate::domain::Language;
use crate::newsletters;
use crate::signup::{self, Outcome};
use crate::store::Newsletter;

/// The fields of a signup, whichever way they came.
#[derive(Debug, Default)]
struct Signup {
    email: String,
    name: Option<String>,
    newsletters: Vec<String>,
    website: Option<String>,
    /// Which of our pages held the form (`index`), to show it again on error.
    page: Option<String>,
    /// Where a form signup sends the reader back to, if it is allowed.
    return_to: Option<String>,
}

/// A JSON signup.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct JsonSignup {
    /// The reader's address.
    email: String,
    /// An optional display name (never used in the confirmation email).
    name: Option<String>,
    /// One newsletter's slug; with none named and one newsletter existing, that one.
    newsletter: Option<String>,
    /// Several newsletters' slugs: one confirmation email covers them all.
    #[serde(default)]
    newsletters: Vec<String>,
    /// A honeypot: leave it empty.
    website: Option<String>,
}

/// An HTML form signup (repeat `newsletter` for several).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FormSignup {
    email: String,
    name: Option<String>,
    newsletter: Option<Vec<String>>,
    /// A honeypot: leave it empty.
    website: Option<String>,
    /// `index` when the form sat on the index page.
    page: Option<String>,
    /// An absolute URL on Herald's own origin or one in
    /// `HERALD_ALLOWED_ORIGINS` (the news site's page that holds the form):
    /// a successful signup answers 303 to it with `herald=pending` added.
    /// Any other value is ignored. JSON signups ignore it too.
    return_to: Option<String>,
}

/// The answer to an accepted JSON signup.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// Always `pending`, whatever the address's state.
    status: String,
}

fn from_form(fields: Vec<(String, String)>) -> Result<Signup, ApiError> {
    let mut s = Signup::default();
    let mut email = None;
    for (k, v) in fields {
        match k.as_str() {
            "email" if email.is_none() => email = Some(v),
            "name" => s.name = Some(v),
            "newsletter" | "newsletters" => s.newsletters.push(v),
            "website" => s.website = Some(v),
            "page" => s.page = Some(v),
            "return_to" => s.return_to = Some(v),
            _ => {}
        }
    }
    s.email = email.ok_or_else(|| ApiError::bad_request("the field `email` is required"))?;
    Ok(s)
}

fn from_json(bytes: &[u8]) -> Result<Signup, ApiError> {
    let j: JsonSignup = body::parse_json(bytes)?;
    let mut newsletters = j.newsletters;
    newsletters.extend(j.newsletter);
    Ok(Signup {
        email: j.email,
        name: j.name,
        newsletters,
        website: j.website,
        page: None,
        return_to: None,
    })
}

/// The answer to every accepted signup (also a honeypot hit). A form's
/// reader goes back to the allowed `return_to`, or else lands on the
/// "check your inbox" page in the newsletter's language.
async fn accepted(state: &AppState, kind: Kind, signup: &Signup) -> Result<HttpResponse, ApiError> {
    if kind == Kind::Json {
        return Ok(HttpResponse::Accepted().json(Accepted {
            status: "pending".to_string(),
        }));
    }
    if let Some(back) = signup
        .return_to
        .as_deref()
        .and_then(|r| state.origins.return_url(r))
    {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, back))
            .finish());
    }
    let lang = signup_lang(state, signup).await?;
    let location = if lang == state.config.language {
        "/subscriptions/pending".to_string()
    } else {
        format!("/subscriptions/pending?lang={lang}")
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish())
}

/// The language of the (first) newsletter signed up to.
async fn signup_lang(state: &AppState, signup: &Signup) -> Result<Language, ApiError> {
    Ok(match signup.newsletters.first() {
        Some(slug) => newsletters::language(state, slug).await?,
        None => state.config.language,
    })
}

/// 403 for a signup from a site that isn't Herald's own nor listed in
/// `HERALD_ALLOWED_ORIGINS` (only once that list is set): JSON, or a page
/// for a form.
fn foreign_origin(state: &AppState, kind: Option<Kind>) -> Result<HttpResponse, ApiError> {
    if kind == Some(Kind::Form) {
        return Ok(state.error_page(
            StatusCode::FORBIDDEN,
            "error-origin",
            Some(("/", "see-all-newsletters")),
        ));
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
        "this site may not sign readers up here (it is not in HERALD_ALLOWED_ORIGINS)",
    ))
}

#[utoipa::path(options, path = "/subscriptions", tag = "public",
    params(
        ("Origin" = Option<String>, Header, description = "The page's origin; a preflight from one listed in HERALD_ALLOWED_ORIGINS is allowed"),
        ("Access-Control-Request-Method" = Option<String>, Header, description = "`POST` in a CORS preflight"),
        ("Access-Control-Request-Headers" = Option<String>, Header, description = "At most `content-type`"),
    ),
    responses(
        (status = 204, description = "A CORS preflight from a listed origin (or a plain OPTIONS without `Access-Control-Request-Method`, answered with `Allow` and, for a listed origin, `Access-Control-Allow-Origin`). No credentials header.",
            headers(
                ("Access-Control-Allow-Origin" = String, description = "The requesting origin, when it is listed"),
                ("Access-Control-Allow-Methods" = String, description = "POST (preflight)"),
                ("Access-Control-Allow-Headers" = String, description = "content-type (preflight)"),
                ("Vary" = String, description = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
                ("Allow" = String, description = "POST, OPTIONS (plain OPTIONS)"),
            )),
        (status = 400, description = "A preflight without `Origin`, or asking for another method or other headers: no CORS headers", body = ErrorBody),
        (status = 403, description = "A preflight from an origin not in HERALD_ALLOWED_ORIGINS: no CORS headers", body = ErrorBody),
    ))]
pub async fn preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ALLOW, "POST, OPTIONS"))
        .finish()
}

#[utoipa::path(post, path = "/subscriptions", tag = "public",
    request_body(content(
        (JsonSignup = "application/json"),
        (FormSignup = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 202, description = "Accepted (JSON): a confirmation email is on its way if one is due", body = Accepted),
        (status = 303, description = "Accepted (form): see the pending page, or go back to an allowed `return_to`",
            headers(("Location" = String, description = "/subscriptions/pending, or `return_to` with `herald=pending` added to its query"))),
        (status = 400, description = "The body doesn't parse or lacks `email`", body = ErrorBody),
        (status = 403, description = "`HERALD_ALLOWED_ORIGINS` is set and the `Origin` header is neither Herald's own nor listed; nothing is written (a form gets a page)",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 413, description = "The body is over 16 KiB", body = ErrorBody),
        (status = 415, description = "Neither a form nor JSON", body = ErrorBody),
        (status = 422, description = "A refused value: \"Please, enter correct email address\" (a form gets its page again)",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 429, description = "Too many signups from this client", body = ErrorBody,
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ))]
pub async fn subscribe(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let origin = req.headers().get(header::ORIGIN).map(|v| v.as_bytes());
    let fetch_site = req.headers().get("sec-fetch-site").map(|v| v.as_bytes());
    if !state.origins.allows_signup_from(origin, fetch_site) {
        return foreign_origin(&state, body::kind(&req));
    }
    let kind = match body::kind(&req) {
        Some(k @ (Kind::Form | Kind::Json)) => k,
        _ => {
            return Err(body::unsupported_type(
                "application/x-www-form-urlencoded or application/json",
            ))
        }
    };
    let bytes = body::read(&req, payload, body::PUBLIC_LIMIT).await?;
    let signup = match kind {
        Kind::Json => from_json(&bytes)?,
        _ => from_form(body::parse_form(&bytes)?)?,
    };

    let ip = client_ip(&req, &state.config.trusted_proxies);
    state
        .limiter
        .check(ip)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    let channel = match (kind, signup.page.as_deref()) {
        (Kind::Json, _) => "json".to_string(),
        (_, Some("index")) => "form /".to_string(),
        (_, _) => match signup.newsletters.as_slice() {
            [one] => format!(
                "form /newsletters/{}",
                one.chars().take(64).collect::<String>()
            ),
            _ => "form".to_string(),
        },
    };
    let request = signup::Request {
        email: signup.email.clone(),
        name: signup.name.clone(),
        newsletters: signup.newsletters.clone(),
        website: signup.website.clone(),
        consent: consent(&req, ip, &channel),
    };
    match signup::signup(&state, request).await? {
        Outcome::Accepted => accepted(&state, kind, &signup).await,
        Outcome::Dropped => {
            tracing::info!(?ip, "honeypot filled; signup dropped");
            accepted(&state, kind, &signup).await
        }
        Outcome::InvalidEmail(newsletters) => {
            invalid_email(&state, kind, &signup, &newsletters).await
        }
    }
}

/// 422 "Please, enter correct email address": JSON, or the form's page again
/// with the message next to the field and the typed value kept.
async fn invalid_email(
    state: &AppState,
    kind: Kind,
    signup: &Signup,
    newsletters: &[Newsletter],
) -> Result<HttpResponse, ApiError> {
    let lang = match newsletters.first() {
        Some(n) => n.lang(state.config.language),
        None => signup_lang(state, signup).await?,
    };
    let message = state.templates.text(lang, "signup-invalid-email");
    if kind == Kind::Json {
        return Err(ApiError::unprocessable("invalid_email", message));
    }
    let typed: String = signup
        .email
        .chars()
        .filter(|c| !c.is_control())
        .take(320)
        .collect();
    let form = |slug: &str| FormState {
        slug: slug.to_string(),
        email: typed.clone(),
        error: message.clone(),
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    if let [one] = newsletters {
        if signup.page.as_deref() != Some("index") {
            return Ok(render_newsletter(state, status, one, Some(form(&one.slug))));
        }
    }
    let all = crate::newsletters::list(state).await?;
    let slug = newsletters
        .first()
        .map(|n| n.slug.as_str())
        .unwrap_or_default();
    Ok(render_index(state, status, &all, Some(form(slug)), lang))
}
