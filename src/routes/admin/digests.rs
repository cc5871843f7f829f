//! Digests: preview the next one, send it, follow it, pause, resume, cancel.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::Admin;
use crate::digest::{self, personalise};
use crate::routes::{body, error::ApiError, error::ErrorBody, AppState};
use crate::store::{Created, Digest, DigestAction, Error, NewDigest, Newsletter};

/// Optional settings for one digest.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DigestBody {
    /// At most this many items, newest first (1-100, default 10).
    max_items: Option<u32>,
    /// This digest's subject, instead of the newsletter's.
    subject: Option<String>,
}

fn nothing_new() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "nothing_new",
        "no items were published since the last digest",
    )
}

/// The next digest's content, or 409 when there is nothing new.
async fn next_content(
    state: &AppState,
    newsletter: &Newsletter,
    b: &DigestBody,
) -> Result<(digest::DigestContent, Vec<i64>), ApiError> {
    let max = b.max_items.unwrap_or(10);
    if !(1..=100).contains(&max) {
        return Err(ApiError::unprocessable(
            "invalid_max_items",
            "max_items is 1 to 100",
        ));
    }
    if let Some(s) = &b.subject {
        if s.trim().is_empty() || s.chars().count() > 200 || s.chars().any(char::is_control) {
            return Err(ApiError::unprocessable(
                "invalid_subject",
                "a subject is 1-200 characters with no control characters",
            ));
        }
    }
    let now = Utc::now();
    let items = state
        .store
        .digest_candidates(newsletter.id, now, max)
        .await?;
    if items.is_empty() {
        return Err(nothing_new());
    }
    let content = digest::render(
        &state.templates,
        newsletter,
        &items,
        now,
        b.subject.as_deref(),
    )?;
    Ok((content, items.iter().map(|i| i.id).collect()))
}

#[utoipa::path(get, path = "/api/admin/newsletters/{slug}/digests/preview", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses(
        (status = 200, description = "The next digest as HTML; nothing is sent", content_type = "text/html", body = String),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter", body = ErrorBody),
        (status = 409, description = "Nothing new since the last digest", body = ErrorBody),
    ))]
pub async fn preview(
    _: Admin,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let newsletter = state.store.newsletter_by_slug(&slug).await?;
    let (content, _) = next_content(&state, &newsletter, &DigestBody::default()).await?;
    let sample = format!(
        "{}/subscriptions/unsubscribe?token=preview",
        state.config.base_url
    );
    let (_, html) = personalise(&content.text, &content.html, &sample);
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// The plain-text part of the next digest, for `herald digest preview`.
pub async fn preview_text(state: &AppState, newsletter: &Newsletter) -> Result<String, ApiError> {
    let (content, _) = next_content(state, newsletter, &DigestBody::default()).await?;
    let sample = format!(
        "{}/subscriptions/unsubscribe?token=preview",
        state.config.base_url
    );
    Ok(format!(
        "Subject: {}\n\n{}",
        content.subject,
        personalise(&content.text, "", &sample).0
    ))
}

/// Builds and queues a digest; the same `Idempotency-Key` gives the same one.
pub async fn create_digest(
    state: &AppState,
    newsletter: &Newsletter,
    b: &DigestBody,
    key: Option<&str>,
) -> Result<Digest, ApiError> {
    if let Some(k) = key {
        if k.is_empty() || k.len() > 200 || !k.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ApiError::unprocessable(
                "invalid_idempotency_key",
                "an Idempotency-Key is 1-200 printable ASCII characters",
            ));
        }
    }
    // A key seen before answers with its digest, even when nothing is new.
    let (content, item_ids) = match next_content(state, newsletter, b).await {
        Ok(c) => c,
        Err(e) => match key {
            Some(k) => match state.store.digest_id_by_key(newsletter.id, k).await? {
                Some(id) => return Ok(state.store.digest(id).await?),
                None => return Err(e),
            },
            None => return Err(e),
        },
    };
    let domain = state.config.from.email.domain().to_string();
    let created = state
        .store
        .create_digest(NewDigest {
            newsletter_id: newsletter.id,
            idempotency_key: key,
            subject: &content.subject,
            body_text: &content.text,
            body_html: &content.html,
            item_ids: &item_ids,
            now: Utc::now(),
            message_domain: &domain,
        })
        .await?;
    let id = match created {
        Created::New(id) => {
            state.wake.notify_one();
            id
        }
        Created::Existing(id) => id,
    };
    Ok(state.store.digest(id).await?)
}

#[utoipa::path(post, path = "/api/admin/newsletters/{slug}/digests", tag = "admin", security(("bearer" = [])),
    params(
        ("slug" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeating a key returns the digest it made"),
    ),
    request_body(content = Option<DigestBody>, content_type = "application/json"),
    responses(
        (status = 202, description = "Queued (or the digest this key made before)", body = Digest),
        (status = 400, description = "The body doesn't parse", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter", body = ErrorBody),
        (status = 409, description = "Nothing new since the last digest", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "A body that isn't JSON", body = ErrorBody),
        (status = 422, description = "A refused value", body = ErrorBody),
    ))]
pub async fn create(
    _: Admin,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bytes = body::read(&req, payload, 16 * 1024).await?;
    let b: DigestBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        DigestBody::default()
    } else if body::kind(&req) == Some(body::Kind::Json) {
        body::parse_json(&bytes)?
    } else {
        return Err(body::unsupported_type("application/json"));
    };
    let key = match req.headers().get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| {
            ApiError::unprocessable(
                "invalid_idempotency_key",
                "the Idempotency-Key must be ASCII",
            )
        })?),
        None => None,
    };
    let newsletter = state.store.newsletter_by_slug(&slug).await?;
    let digest = create_digest(&state, &newsletter, &b, key).await?;
    Ok(HttpResponse::Accepted().json(digest))
}

fn digest_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found("no such digest"))
}

#[utoipa::path(get, path = "/api/admin/digests/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The digest and its delivery counts", body = Digest),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such digest", body = ErrorBody),
    ))]
pub async fn get(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.store.digest(digest_id(&id)?).await?))
}

async fn act(state: &AppState, raw: &str, action: DigestAction) -> Result<HttpResponse, ApiError> {
    let id = digest_id(raw)?;
    state
        .store
        .digest_action(id, action, Utc::now())
        .await
        .map_err(|e| match e {
            Error::Conflict => ApiError::new(
                StatusCode::CONFLICT,
                "invalid_state",
                "the digest can't change that way in its current state",
            ),
            e => e.into(),
        })?;
    if action == DigestAction::Resume {
        state.wake.notify_one();
    }
    Ok(HttpResponse::Ok().json(state.store.digest(id).await?))
}

#[utoipa::path(post, path = "/api/admin/digests/{id}/pause", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Paused: no more deliveries start; those in flight finish", body = Digest),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such digest", body = ErrorBody),
        (status = 409, description = "Not queued or sending", body = ErrorBody),
    ))]
pub async fn pause(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &id, DigestAction::Pause).await
}

#[utoipa::path(post, path = "/api/admin/digests/{id}/resume", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Resumed where it stopped", body = Digest),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such digest", body = ErrorBody),
        (status = 409, description = "Not paused", body = ErrorBody),
    ))]
pub async fn resume(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &id, DigestAction::Resume).await
}

#[utoipa::path(post, path = "/api/admin/digests/{id}/cancel", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Cancelled: what was not sent never will be", body = Digest),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such digest", body = ErrorBody),
        (status = 409, description = "Already finished", body = ErrorBody),
    ))]
pub async fn cancel(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &id, DigestAction::Cancel).await
}
