//! A newsletter's subscribers as admins see them: list, add, change
//! status, everything held on one address, erase; bulk import and export.

mod csv_rows;
mod export;
mod import;

pub use csv_rows::{channel_reader, ChunkSender, InvalidRow, MAX_RECORD_BYTES};
pub use export::{export, EXPORT_PAGE};
pub use import::{ImportError, Importer, Mode, Summary, MAX_INVALID_LISTED};

use chrono::Utc;
use serde::Deserialize;
use validator::Validate;

use crate::app::{App, Error, Result};
use crate::domain::{ConsentNote, SubscriberEmail, SubscriberName, SubscriptionStatus};
use crate::signup;
use crate::store::{self, AddressData, ConsentContext, SubscriberPage, SubscriberRow};

/// An address typed by an admin (a path, a form), normalised; 422 when it
/// can't be one.
pub fn parse_email(raw: &str) -> Result<SubscriberEmail> {
    SubscriberEmail::parse(raw)
        .map_err(|_| Error::invalid("invalid_email", "not a valid email address"))
}

/// A status filter or value as text; 422 for any other word.
pub fn parse_status(raw: &str) -> Result<SubscriptionStatus> {
    raw.parse().map_err(|_| {
        Error::invalid(
            "invalid_status",
            format!("status is {}", SubscriptionStatus::names()),
        )
    })
}

/// An optional status filter, empty meaning none.
pub fn status_filter(raw: Option<&str>) -> Result<Option<SubscriptionStatus>> {
    raw.filter(|s| !s.is_empty()).map(parse_status).transpose()
}

/// Which page of a newsletter's subscribers to list.
#[derive(Deserialize, Default, utoipa::IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// pending, confirmed or unsubscribed
    #[param(pattern = "^(pending|confirmed|unsubscribed)?$")]
    pub status: Option<String>,
    /// 1 to 1000 (default 50)
    #[param(minimum = 1, maximum = 1000)]
    #[validate(range(
        min = 1,
        max = 1000,
        code = "invalid_limit",
        message = "limit is 1 to 1000"
    ))]
    pub limit: Option<u32>,
    /// The `next` cursor of the previous page
    pub after: Option<String>,
}

/// A page of a newsletter's subscribers, `limit` after the cursor.
pub async fn list(app: &App, slug: &str, q: &PageQuery) -> Result<SubscriberPage> {
    let status = status_filter(q.status.as_deref())?;
    q.validate()?;
    let limit = q.limit.unwrap_or(50);
    let after = match q.after.as_deref().filter(|s| !s.is_empty()) {
        None => 0,
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| Error::invalid("invalid_cursor", "unknown cursor"))?,
    };
    let newsletter = app.store.newsletter_by_slug(slug).await?;
    Ok(app
        .store
        .list_subscribers(newsletter.id, status, limit, after)
        .await?)
}

/// One address to add: pending (a confirmation email goes out) or, with a
/// consent note, confirmed.
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct AddBody {
    pub email: String,
    pub name: Option<String>,
    pub status: Option<String>,
    pub consent: Option<String>,
}

const CONSENT_REQUIRED: &str = "say how this person consented (`consent`) to add them as confirmed";

/// Adds one address: pending (a confirmation email goes out, as for a
/// signup) or, with a consent note, confirmed at once. Answers whether it
/// was there already, and its subscription afterwards.
pub async fn add(app: &App, slug: &str, b: &AddBody) -> Result<(bool, SubscriberRow)> {
    let email = parse_email(&b.email)?;
    let name = SubscriberName::parse(b.name.as_deref().unwrap_or_default())
        .map_err(|m| Error::invalid("invalid_name", m))?;
    let status = parse_status(b.status.as_deref().unwrap_or("pending"))?;
    let newsletter = app.store.newsletter_by_slug(slug).await?;
    let existed = match app.store.subscriber_in(newsletter.id, email.as_str()).await {
        Ok(_) => true,
        Err(store::Error::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    match status {
        SubscriptionStatus::Confirmed => {
            let note = ConsentNote::parse(b.consent.as_deref(), CONSENT_REQUIRED)?;
            refuse_suppressed(app, email.as_str()).await?;
            // An erased person comes back only by their own double opt-in.
            if app.store.is_erased(email.as_str(), &app.erasure).await? {
                return Err(Error::conflict(
                    "erased",
                    "this address was erased; it can come back only by signing up and confirming again",
                ));
            }
            app.store
                .set_status(
                    newsletter.id,
                    email.as_str(),
                    name.as_ref().map(SubscriberName::as_str),
                    SubscriptionStatus::Confirmed,
                    Some(note.as_str()),
                    Utc::now(),
                )
                .await?;
        }
        SubscriptionStatus::Pending => {
            let consent = ConsentContext {
                form: Some("admin".to_string()),
                note: b.consent.clone().filter(|c| !c.trim().is_empty()),
                ..Default::default()
            };
            let job = signup::confirmation_job(
                app,
                &email,
                name.as_ref(),
                vec![newsletter.clone()],
                consent,
            )?;
            signup::submit(app, job).await?;
        }
        SubscriptionStatus::Unsubscribed
        | SubscriptionStatus::Bounced
        | SubscriptionStatus::Complained => {
            return Err(Error::invalid(
                "invalid_status",
                "a new subscriber is pending or confirmed",
            ))
        }
    }
    let row = app
        .store
        .subscriber_in(newsletter.id, email.as_str())
        .await?;
    Ok((existed, row))
}

/// An admin can't confirm a suppressed address: the suppression is lifted
/// first, on purpose, or by the reader's own confirmation.
async fn refuse_suppressed(app: &App, email: &str) -> Result<()> {
    if app.store.suppression(email).await?.is_some() {
        return Err(Error::conflict(
            "suppressed",
            "this address is suppressed (it bounced or complained); lift the suppression first",
        ));
    }
    Ok(())
}

/// One subscription of one address.
pub async fn get_one(app: &App, slug: &str, email: &str) -> Result<SubscriberRow> {
    let email = parse_email(email)?;
    let newsletter = app.store.newsletter_by_slug(slug).await?;
    Ok(app
        .store
        .subscriber_in(newsletter.id, email.as_str())
        .await?)
}

/// Confirms (with a consent note) or unsubscribes an existing subscriber.
pub async fn set_status(
    app: &App,
    slug: &str,
    email: &str,
    status: &str,
    consent: Option<&str>,
) -> Result<SubscriberRow> {
    let email = parse_email(email)?;
    let status = parse_status(status)?;
    let note = match status {
        SubscriptionStatus::Confirmed => Some(
            ConsentNote::parse(consent, CONSENT_REQUIRED)?
                .as_str()
                .to_string(),
        ),
        SubscriptionStatus::Unsubscribed => {
            consent.filter(|c| !c.trim().is_empty()).map(str::to_string)
        }
        SubscriptionStatus::Pending => {
            return Err(Error::invalid(
                "invalid_status",
                "set confirmed or unsubscribed; add the address again to send a confirmation",
            ))
        }
        SubscriptionStatus::Bounced | SubscriptionStatus::Complained => {
            return Err(Error::invalid(
                "invalid_status",
                "set confirmed or unsubscribed; bounces and complaints are suppressions",
            ))
        }
    };
    if status == SubscriptionStatus::Confirmed {
        refuse_suppressed(app, email.as_str()).await?;
    }
    let newsletter = app.store.newsletter_by_slug(slug).await?;
    // Only an existing subscription changes status here.
    app.store
        .subscriber_in(newsletter.id, email.as_str())
        .await?;
    app.store
        .set_status(
            newsletter.id,
            email.as_str(),
            None,
            status,
            note.as_deref(),
            Utc::now(),
        )
        .await?;
    Ok(app
        .store
        .subscriber_in(newsletter.id, email.as_str())
        .await?)
}

/// Everything held on one address: subscriptions, consent log, deliveries.
pub async fn address(app: &App, email: &str) -> Result<AddressData> {
    let email = parse_email(email)?;
    Ok(app.store.address_data(email.as_str()).await?)
}

/// Erases the address everywhere, keeping only a hash so an import skips it.
pub async fn erase(app: &App, email: &str) -> Result<SubscriberEmail> {
    let email = parse_email(email)?;
    app.store
        .erase(email.as_str(), &app.erasure, Utc::now())
        .await?;
    Ok(email)
}
