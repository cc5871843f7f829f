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
    })
}

/// The answer to every accepted signup (also a honeypot hit). A form's
/// reader lands on the "check your inbox" page in the newsletter's
/// language.
async fn accepted(state: &AppState, kind: Kind, signup: &Signup) -> Result<HttpResponse, ApiError> {
    if kind == Kind::Json {
        return Ok(HttpResponse::Accepted().json(Accepted {
            status: "pending".to_string(),
        }));
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

#[utoipa::path(post, path = "/subscriptions", tag = "public",
    request_body(content(
        (JsonSignup = "application/json"),
        (FormSignup = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 202, description = "Accepted (JSON): a confirmation email is on its way if one is due", body = Accepted),
        (status = 303, description = "Accepted (form): see the pending page",
            headers(("Location" = String, description = "/subscriptions/pending"))),
        (status = 400, description = "The body doesn't parse or lacks `email`", body = ErrorBody),
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
