//! The admin API (`Authorization: Bearer TOKEN`): newsletters and their
//! subscribers.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::Utc;
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::{body, resource, AppState};
use crate::domain::{has_control, token, NewsletterSlug};
use crate::store::NewNewsletter;

/// Proof that the request carried a valid admin token.
pub struct Admin;

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Admin, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let (Some(state), Some(bearer)) = (state, bearer) else {
                return Err(ApiError::unauthorized());
            };
            let hash = token::hash(&bearer);
            if let Some(configured) = &state.config.admin_token {
                // Compare digests, so the comparison time says nothing about the token.
                let want = Sha256::digest(configured.expose_secret().as_bytes());
                let got = Sha256::digest(bearer.as_bytes());
                if want == got {
                    return Ok(Admin);
                }
            }
            if state.store.use_admin_token(&hash, Utc::now()).await? {
                Ok(Admin)
            } else {
                Err(ApiError::unauthorized())
            }
        })
    }
}

pub fn scope() -> actix_web::Scope {
    web::scope("/api/admin")
        .service(resource(
            "/newsletters",
            vec![
                web::get().to(list_newsletters),
                web::post().to(create_newsletter),
            ],
        ))
        .service(resource(
            "/newsletters/{slug}/subscribers",
            vec![web::get().to(list_subscribers)],
        ))
}

async fn list_newsletters(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let newsletters = state.store.list_newsletters().await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "newsletters": newsletters })))
}

#[derive(Deserialize)]
struct CreateNewsletter {
    slug: String,
    name: String,
    #[serde(default)]
    description: String,
}

/// Checks a newsletter's fields; the CLI uses the same rules.
pub fn check_newsletter(slug: &str, name: &str, description: &str) -> Result<(), ApiError> {
    NewsletterSlug::parse(slug).map_err(|m| ApiError::unprocessable("invalid_slug", m))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || has_control(name) {
        return Err(ApiError::unprocessable(
            "invalid_name",
            "a name is 1-200 characters with no control characters",
        ));
    }
    if description.chars().count() > 2000
        || description.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(ApiError::unprocessable(
            "invalid_description",
            "a description is at most 2000 characters with no control characters",
        ));
    }
    Ok(())
}

async fn create_newsletter(
    _: Admin,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input: CreateNewsletter = body::json(&req, payload, 64 * 1024).await?;
    check_newsletter(&input.slug, &input.name, &input.description)?;
    let created = state
        .store
        .create_newsletter(NewNewsletter {
            slug: &input.slug,
            name: input.name.trim(),
            description: input.description.trim(),
        })
        .await
        .map_err(|e| match e {
            crate::store::Error::Conflict => ApiError::new(
                StatusCode::CONFLICT,
                "slug_taken",
                "a newsletter with this slug exists",
            ),
            e => e.into(),
        })?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Deserialize)]
struct PageQuery {
    status: Option<String>,
    limit: Option<u32>,
    after: Option<String>,
}

async fn list_subscribers(
    _: Admin,
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: PageQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))?;
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    if status.is_some_and(|s| !matches!(s, "pending" | "confirmed" | "unsubscribed")) {
        return Err(ApiError::unprocessable(
            "invalid_status",
            "status is pending, confirmed or unsubscribed",
        ));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::unprocessable(
            "invalid_limit",
            "limit is 1 to 1000",
        ));
    }
    let after = match q.after.as_deref().filter(|s| !s.is_empty()) {
        None => 0,
        Some(c) => c
            .parse::<i64>()
            .map_err(|_| ApiError::unprocessable("invalid_cursor", "unknown cursor"))?,
    };
    let newsletter = state.store.newsletter_by_slug(&slug).await?;
    let page = state
        .store
        .list_subscribers(newsletter.id, status, limit, after)
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
