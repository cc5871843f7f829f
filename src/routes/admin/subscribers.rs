//! A newsletter's subscribers (list, add, change status) and one address's
//! data across newsletters (see, erase).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::{path_email, Admin};
use crate::domain::SubscriberName;
use crate::routes::subscriptions::confirmation_job;
use crate::routes::{body, error::ApiError, error::ErrorBody, AppState};
use crate::store::{AddressData, ConsentContext, Error, SubscriberPage, SubscriberRow};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// pending, confirmed or unsubscribed
    #[param(pattern = "^(pending|confirmed|unsubscribed)?$")]
    status: Option<String>,
    /// 1 to 1000 (default 50)
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page
    after: Option<String>,
}

fn check_status(s: &str) -> Result<(), ApiError> {
    if matches!(s, "pending" | "confirmed" | "unsubscribed") {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "invalid_status",
            "status is pending, confirmed or unsubscribed",
        ))
    }
}

#[utoipa::path(get, path = "/api/admin/newsletters/{slug}/subscribers", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path), PageQuery),
    responses((status = 200, description = "A page of subscribers", body = SubscriberPage), (status = 400, description = "The body or query doesn't parse, or a required field is missing", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn list(
    _: Admin,
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: PageQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))?;
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = status {
        check_status(s)?;
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
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::unprocessable("invalid_cursor", "unknown cursor"))?,
    };
    let newsletter = state.store.newsletter_by_slug(&slug).await?;
    let page = state
        .store
        .list_subscribers(newsletter.id, status, limit, after)
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One address to add: pending (a confirmation email goes out) or, with a
/// consent note, confirmed.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddBody {
    pub(crate) email: String,
    pub(crate) name: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) consent: Option<String>,
}

/// A consent note: required to mark anyone confirmed by hand.
fn consent_note(note: Option<&str>) -> Result<String, ApiError> {
    let note = note.map(str::trim).unwrap_or_default();
    if note.is_empty() {
        return Err(ApiError::unprocessable(
            "consent_required",
            "say how this person consented (`consent`) to add them as confirmed",
        ));
    }
    if note.chars().count() > 1000 || note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::unprocessable(
            "invalid_consent",
            "a consent note is at most 1000 characters with no control characters",
        ));
    }
    Ok(note.to_string())
}

/// Adds one address: pending (a confirmation email goes out, as for a
/// signup) or, with a consent note, confirmed at once.
#[utoipa::path(post, path = "/api/admin/newsletters/{slug}/subscribers", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body = AddBody,
    responses(
        (status = 201, description = "Added", body = SubscriberRow),
        (status = 200, description = "Already there; unchanged unless now confirmed", body = SubscriberRow),
        (status = 400, description = "The body or query doesn't parse, or a required field is missing", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody),
    ))]
pub async fn add(
    _: Admin,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b: AddBody = body::json(&req, payload, 64 * 1024).await?;
    let (existed, row) = add_subscriber(&state, &slug, &b).await?;
    Ok(if existed {
        HttpResponse::Ok().json(row)
    } else {
        HttpResponse::Created().json(row)
    })
}

/// Adds one address (the API's and the console's way): whether it was
/// there already, and its subscription afterwards.
pub(crate) async fn add_subscriber(
    state: &AppState,
    slug: &str,
    b: &AddBody,
) -> Result<(bool, SubscriberRow), ApiError> {
    let email = path_email(&b.email)?;
    let name = SubscriberName::parse(b.name.as_deref().unwrap_or_default())
        .map_err(|m| ApiError::unprocessable("invalid_name", m))?;
    let status = b.status.as_deref().unwrap_or("pending");
    check_status(status)?;
    let newsletter = state.store.newsletter_by_slug(slug).await?;
    let existed = match state
        .store
        .subscriber_in(newsletter.id, email.as_str())
        .await
    {
        Ok(_) => true,
        Err(Error::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    let now = Utc::now();
    match status {
        "confirmed" => {
            let note = consent_note(b.consent.as_deref())?;
            state
                .store
                .set_status(
                    newsletter.id,
                    email.as_str(),
                    name.as_ref().map(SubscriberName::as_str),
                    "confirmed",
                    Some(&note),
                    now,
                )
                .await?;
        }
        "pending" => {
            let consent = ConsentContext {
                form: Some("admin".to_string()),
                note: b.consent.clone().filter(|c| !c.trim().is_empty()),
                ..Default::default()
            };
            let job = confirmation_job(
                state,
                &email,
                name.as_ref(),
                vec![newsletter.clone()],
                consent,
            )?;
            let queued = state.signups.submit(job).await?;
            if queued.email_queued {
                state.wake.notify_one();
            }
        }
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_status",
                "a new subscriber is pending or confirmed",
            ))
        }
    }
    let row = state
        .store
        .subscriber_in(newsletter.id, email.as_str())
        .await?;
    Ok((existed, row))
}

#[utoipa::path(get, path = "/api/admin/newsletters/{slug}/subscribers/{email}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path), ("email" = String, Path)),
    responses((status = 200, description = "The subscription", body = SubscriberRow), (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn get_one(
    _: Admin,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (slug, email) = path.into_inner();
    let email = path_email(&email)?;
    let newsletter = state.store.newsletter_by_slug(&slug).await?;
    let row = state
        .store
        .subscriber_in(newsletter.id, email.as_str())
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// A status change: `confirmed` (with a consent note) or `unsubscribed`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusBody {
    status: String,
    consent: Option<String>,
}

/// Confirms (with a consent note) or unsubscribes one subscriber.
#[utoipa::path(patch, path = "/api/admin/newsletters/{slug}/subscribers/{email}", tag = "admin", security(("bearer" = [])),
    params(("slug" = String, Path), ("email" = String, Path)),
    request_body = StatusBody,
    responses((status = 200, description = "Changed", body = SubscriberRow), (status = 400, description = "The body or query doesn't parse, or a required field is missing", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 415, description = "The body isn't JSON", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn set_status(
    _: Admin,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b: StatusBody = body::json(&req, payload, 64 * 1024).await?;
    let (slug, email) = path.into_inner();
    let email = path_email(&email)?;
    check_status(&b.status)?;
    let note = match b.status.as_str() {
        "confirmed" => Some(consent_note(b.consent.as_deref())?),
        "unsubscribed" => b.consent.clone().filter(|c| !c.trim().is_empty()),
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_status",
                "set confirmed or unsubscribed; add the address again to send a confirmation",
            ))
        }
    };
    let newsletter = state.store.newsletter_by_slug(&slug).await?;
    // Only an existing subscription changes status here.
    state
        .store
        .subscriber_in(newsletter.id, email.as_str())
        .await?;
    state
        .store
        .set_status(
            newsletter.id,
            email.as_str(),
            None,
            &b.status,
            note.as_deref(),
            Utc::now(),
        )
        .await?;
    let row = state
        .store
        .subscriber_in(newsletter.id, email.as_str())
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Everything held on one address: subscriptions, consent log, deliveries.
#[utoipa::path(get, path = "/api/admin/subscribers/{email}", tag = "admin", security(("bearer" = [])),
    params(("email" = String, Path)),
    responses((status = 200, description = "Everything held on the address", body = AddressData), (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn address(
    _: Admin,
    email: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let email = path_email(&email)?;
    let data = state.store.address_data(email.as_str()).await?;
    Ok(HttpResponse::Ok().json(data))
}

/// Erases the address everywhere, keeping only a hash so an import skips it.
#[utoipa::path(delete, path = "/api/admin/subscribers/{email}", tag = "admin", security(("bearer" = [])),
    params(("email" = String, Path)),
    responses((status = 204, description = "Erased everywhere; only a hash remains"), (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter or subscriber", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody)))]
pub async fn erase(
    _: Admin,
    email: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let email = path_email(&email)?;
    state.store.erase(email.as_str(), Utc::now()).await?;
    Ok(HttpResponse::NoContent().finish())
}
