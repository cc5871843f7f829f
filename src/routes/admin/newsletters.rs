//! `/api/admin/newsletters`: create, list, read, update, archive.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Deserializer};

use super::Admin;
use crate::domain::{has_control, NewsletterSlug};
use crate::routes::{body, error::ApiError, error::ErrorBody, AppState};
use crate::store::{Error, NewNewsletter, Newsletter};

const BODY_LIMIT: usize = 64 * 1024;

/// The newsletters that take signups.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct NewsletterList {
    pub newsletters: Vec<Newsletter>,
}

#[utoipa::path(get, path = "/api/admin/newsletters", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every newsletter that is not archived", body = NewsletterList),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
    ))]
pub async fn list(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let newsletters = state.store.list_newsletters().await?;
    Ok(HttpResponse::Ok().json(NewsletterList { newsletters }))
}

/// `Some(None)` for an explicit `null`, `None` when the field is absent.
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A newsletter to create (`slug` and `name` required) or the fields to
/// change (`null` clears an optional one).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewsletterBody {
    pub(crate) slug: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) from_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) from_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) reply_to: Option<Option<String>>,
    /// The subject of its digests; by default its name and the date.
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) digest_subject: Option<Option<String>>,
}

fn text_ok(s: &str, max: usize, newlines: bool) -> bool {
    s.chars().count() <= max
        && !s
            .chars()
            .any(|c| c.is_control() && !(newlines && c == '\n'))
}

fn address_ok(s: &str) -> bool {
    !has_control(s) && s.parse::<lettre::Address>().is_ok()
}

/// Checks a newsletter's fields; the CLI uses the same rules.
pub fn check_newsletter(slug: &str, name: &str, description: &str) -> Result<(), ApiError> {
    NewsletterSlug::parse(slug).map_err(|m| ApiError::unprocessable("invalid_slug", m))?;
    let name = name.trim();
    if name.is_empty() || !text_ok(name, 200, false) {
        return Err(ApiError::unprocessable(
            "invalid_name",
            "a name is 1-200 characters with no control characters",
        ));
    }
    if !text_ok(description, 2000, true) {
        return Err(ApiError::unprocessable(
            "invalid_description",
            "a description is at most 2000 characters with no control characters",
        ));
    }
    Ok(())
}

pub(crate) fn check_sender(b: &NewsletterBody) -> Result<(), ApiError> {
    if let Some(Some(n)) = &b.from_name {
        if !text_ok(n, 200, false) {
            return Err(ApiError::unprocessable(
                "invalid_from_name",
                "a sender name is at most 200 characters with no control characters",
            ));
        }
    }
    for (field, value) in [("from_address", &b.from_address), ("reply_to", &b.reply_to)] {
        if let Some(Some(a)) = value {
            if !address_ok(a) {
                return Err(ApiError::unprocessable(
                    "invalid_address",
                    format!("`{field}` is not an email address"),
                ));
            }
        }
    }
    if let Some(Some(s)) = &b.digest_subject {
        if s.trim().is_empty() || !text_ok(s, 200, false) {
            return Err(ApiError::unprocessable(
                "invalid_digest_subject",
                "a digest subject is 1-200 characters with no control characters",
            ));
        }
    }
    if matches!(&b.from_name, Some(Some(_))) && matches!(&b.from_address, None | Some(None)) {
        return Err(ApiError::unprocessable(
            "invalid_address",
            "a sender name needs a `from_address`",
        ));
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/admin/newsletters", tag = "admin", security(("bearer" = [])),
    request_body = NewsletterBody,
    responses(
        (status = 201, description = "Created", body = Newsletter),
        (status = 400, description = "The body or query doesn't parse, or a required field is missing", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 409, description = "A newsletter with this slug exists (also an archived one)", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody),
    ))]
pub async fn create(
    _: Admin,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b: NewsletterBody = body::json(&req, payload, BODY_LIMIT).await?;
    let (Some(slug), Some(name)) = (&b.slug, &b.name) else {
        return Err(ApiError::bad_request("`slug` and `name` are required"));
    };
    let description = b.description.as_deref().unwrap_or_default();
    check_newsletter(slug, name, description)?;
    check_sender(&b)?;
    let created = state
        .store
        .create_newsletter(NewNewsletter {
            slug,
            name: name.trim(),
            description: description.trim(),
            from_name: b.from_name.clone().flatten().as_deref(),
            from_address: b.from_address.clone().flatten().as_deref(),
            reply_to: b.reply_to.clone().flatten().as_deref(),
            digest_subject: b.digest_subject.clone().flatten().as_deref(),
        })
        .await
        .map_err(|e| match e {
            Error::Conflict => ApiError::new(
                StatusCode::CONFLICT,
                "slug_taken",
                "a newsletter with this slug exists",
            ),
            e => e.into(),
        })?;
    Ok(HttpResponse::Created().json(created))
}

#[utoipa::path(get, path = "/api/admin/newsletters/{slug}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, description = "The newsletter", body = Newsletter), (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody)))]
pub async fn get(
    _: Admin,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let n = state.store.newsletter_by_slug(&slug).await?;
    Ok(HttpResponse::Ok().json(n))
}

/// Changes the fields given; `null` clears an optional one. The slug stays.
#[utoipa::path(patch, path = "/api/admin/newsletters/{slug}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body = NewsletterBody,
    responses((status = 200, description = "Updated", body = Newsletter), (status = 400, description = "The body or query doesn't parse, or a required field is missing", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn update(
    _: Admin,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b: NewsletterBody = body::json(&req, payload, BODY_LIMIT).await?;
    if b.slug.as_deref().is_some_and(|s| s != slug.as_str()) {
        return Err(ApiError::unprocessable(
            "invalid_slug",
            "a newsletter's slug cannot change",
        ));
    }
    let current = state.store.newsletter_by_slug(&slug).await?;
    let name = b.name.clone().unwrap_or(current.name);
    let description = b.description.clone().unwrap_or(current.description);
    check_newsletter(&slug, &name, &description)?;
    let merged = NewsletterBody {
        slug: None,
        name: None,
        description: None,
        from_name: Some(b.from_name.clone().unwrap_or(current.from_name)),
        from_address: Some(b.from_address.clone().unwrap_or(current.from_address)),
        reply_to: Some(b.reply_to.clone().unwrap_or(current.reply_to)),
        digest_subject: Some(b.digest_subject.clone().unwrap_or(current.digest_subject)),
    };
    check_sender(&merged)?;
    let updated = state
        .store
        .update_newsletter(
            &slug,
            NewNewsletter {
                slug: &slug,
                name: name.trim(),
                description: description.trim(),
                from_name: merged.from_name.clone().flatten().as_deref(),
                from_address: merged.from_address.clone().flatten().as_deref(),
                reply_to: merged.reply_to.clone().flatten().as_deref(),
                digest_subject: merged.digest_subject.clone().flatten().as_deref(),
            },
        )
        .await?;
    state.newsletters.clear();
    Ok(HttpResponse::Ok().json(updated))
}

/// Archives: no more signups, not listed; history is kept.
#[utoipa::path(delete, path = "/api/admin/newsletters/{slug}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 204, description = "Archived: no more signups, history kept"), (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody)))]
pub async fn archive(
    _: Admin,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.store.archive_newsletter(&slug).await?;
    state.newsletters.clear();
    Ok(HttpResponse::NoContent().finish())
}
