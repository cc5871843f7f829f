//! `POST /subscriptions`: a signup from an HTML form or a JSON client.
//!
//! Every accepted signup gets the same answer whatever the address's state
//! (new, pending, confirmed, unsubscribed), and nothing is sent inline: the
//! confirmation email is queued in the signup's own transaction.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::body::{self, Kind};
use super::client::{client_ip, consent};
use super::error::{ApiError, ErrorBody};
use super::pages::{render_index, render_newsletter, FormState};
use super::AppState;
use crate::domain::{has_control, token, SubscriberEmail, SubscriberName};
use crate::email::confirmation_render;
use crate::store::{ConsentContext, Newsletter, SignupJob};

pub const INVALID_EMAIL: &str = "Please, enter correct email address";
const MAX_NEWSLETTERS: usize = 50;

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

/// The answer to every accepted signup (also a honeypot hit).
fn accepted(kind: Kind) -> HttpResponse {
    match kind {
        Kind::Json => HttpResponse::Accepted().json(Accepted {
            status: "pending".to_string(),
        }),
        _ => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/subscriptions/pending"))
            .finish(),
    }
}

/// A signup of `email` to `newsletters` (distinct, at least one) that
/// queues a confirmation email unless one went out within the cooldown:
/// the public form's and the admin API's.
pub(crate) fn confirmation_job(
    state: &AppState,
    email: &SubscriberEmail,
    name: Option<&SubscriberName>,
    newsletters: Vec<Newsletter>,
    consent: ConsentContext,
) -> Result<SignupJob, ApiError> {
    let config = &state.config;
    let raw_token = token::generate();
    let mut by_id: Vec<&Newsletter> = newsletters.iter().collect();
    by_id.sort_by_key(|n| n.id);
    Ok(SignupJob {
        email: email.as_str().to_string(),
        name: name.map(|n| n.as_str().to_string()),
        newsletter_ids: newsletters.iter().map(|n| n.id).collect(),
        cooldown: chrono::Duration::from_std(config.resend_cooldown)
            .map_err(anyhow::Error::from)?,
        confirm_ttl: chrono::Duration::from_std(config.confirm_ttl).map_err(anyhow::Error::from)?,
        token_hash: token::hash(&raw_token),
        consent,
        expected: by_id.iter().map(|n| n.name.clone()).collect(),
        render: confirmation_render(
            state.templates.clone(),
            config.clone(),
            email.as_str().to_string(),
            raw_token,
            newsletters,
        ),
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
    if signup
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        tracing::info!(?ip, "honeypot filled; signup dropped");
        return Ok(accepted(kind));
    }

    let newsletters = resolve_newsletters(&state, &signup.newsletters).await?;
    let email = match SubscriberEmail::parse(&signup.email) {
        Ok(e) => e,
        Err(reason) => {
            tracing::debug!(%reason, "signup refused");
            return invalid_email(&state, kind, &signup, &newsletters).await;
        }
    };
    let name = SubscriberName::parse(signup.name.as_deref().unwrap_or_default())
        .map_err(|m| ApiError::unprocessable("invalid_name", m))?;

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
    let consent = consent(&req, ip, &channel);
    let job = confirmation_job(&state, &email, name.as_ref(), newsletters, consent)?;
    let outcome = state.signups.submit(job).await?;
    if outcome.email_queued {
        state.wake.notify_one();
    }
    Ok(accepted(kind))
}

/// The newsletters asked for; 422 for an unknown or malformed one. With
/// none named and exactly one newsletter existing, that one.
async fn resolve_newsletters(
    state: &AppState,
    slugs: &[String],
) -> Result<Vec<Newsletter>, ApiError> {
    if slugs.len() > MAX_NEWSLETTERS {
        return Err(ApiError::unprocessable(
            "too_many_newsletters",
            format!("at most {MAX_NEWSLETTERS} newsletters per signup"),
        ));
    }
    if slugs.is_empty() {
        let all = state.store.list_newsletters().await?;
        if all.len() == 1 {
            return Ok(all);
        }
        return Err(ApiError::unprocessable(
            "newsletter_required",
            "name the newsletter to subscribe to",
        ));
    }
    let mut out: Vec<Newsletter> = Vec::with_capacity(slugs.len());
    for slug in slugs {
        if has_control(slug) {
            return Err(ApiError::unprocessable(
                "invalid_newsletter",
                "control characters are not allowed",
            ));
        }
        match state.newsletters.get(&state.store, slug.trim()).await {
            Ok(n) => {
                if !out.iter().any(|o| o.id == n.id) {
                    out.push(n)
                }
            }
            Err(crate::store::Error::NotFound) => {
                return Err(ApiError::unprocessable(
                    "unknown_newsletter",
                    "there is no such newsletter",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// 422 "Please, enter correct email address": JSON, or the form's page again
/// with the message next to the field and the typed value kept.
async fn invalid_email(
    state: &AppState,
    kind: Kind,
    signup: &Signup,
    newsletters: &[Newsletter],
) -> Result<HttpResponse, ApiError> {
    if kind == Kind::Json {
        return Err(ApiError::unprocessable("invalid_email", INVALID_EMAIL));
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
        error: INVALID_EMAIL.to_string(),
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    if let [one] = newsletters {
        if signup.page.as_deref() != Some("index") {
            return Ok(render_newsletter(state, status, one, Some(form(&one.slug))));
        }
    }
    let all = state.store.list_newsletters().await?;
    let slug = newsletters
        .first()
        .map(|n| n.slug.as_str())
        .unwrap_or_default();
    Ok(render_index(state, status, &all, Some(form(slug))))
}
