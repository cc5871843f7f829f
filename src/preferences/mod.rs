//! A reader's own preference page, reached from the manage link in every
//! welcome and digest email: see and set exactly which newsletters they
//! get and their name, leave them all (and undo that), or have the link
//! mailed again. The link proves the mailbox, so a newsly ticked
//! newsletter is confirmed at once.

use chrono::Utc;
use serde::Serialize;

use crate::app::{App, Error, Result};
use crate::domain::{SubscriberEmail, SubscriberName, SubscriptionStatus};
use crate::email::manage_link_message;
use crate::signup::welcomes;
use crate::store::{self, ConsentContext, Newsletter, PreferenceWrite, Preferences};

/// One newsletter on the page.
#[derive(Debug, Serialize)]
pub struct Choice {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub subscribed: bool,
}

/// What the page shows.
#[derive(Debug, Serialize)]
pub struct Page {
    pub token: String,
    pub email: String,
    pub name: Option<String>,
    pub newsletters: Vec<Choice>,
}

/// The subscriber a manage token names, with their preferences; `None` for
/// a token that isn't ours or a subscriber that is gone.
async fn holder(app: &App, token: &str) -> Result<Option<Preferences>> {
    let Some(id) = app.links.verify_manage(token) else {
        return Ok(None);
    };
    match app.store.preferences(id).await {
        Ok(p) => Ok(Some(p)),
        Err(store::Error::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn subscribed(p: &Preferences, n: &Newsletter) -> bool {
    p.subscriptions
        .iter()
        .any(|(id, s)| *id == n.id && *s == SubscriptionStatus::Confirmed)
}

/// Counts what a saved page changed, as the store reports it (a
/// newsletter ticked again, or left twice at once, changed nothing).
fn count(changes: &[(i64, SubscriptionStatus)]) {
    let ended = changes
        .iter()
        .filter(|(_, s)| *s == SubscriptionStatus::Unsubscribed)
        .count();
    crate::metrics::subscriptions_confirmed(changes.len() - ended);
    crate::metrics::subscriptions_ended(ended);
}

/// The page for a manage token; nothing changes.
pub async fn page(app: &App, token: &str) -> Result<Option<Page>> {
    let Some(p) = holder(app, token).await? else {
        return Ok(None);
    };
    let newsletters = app
        .store
        .list_newsletters()
        .await?
        .into_iter()
        .map(|n| Choice {
            subscribed: subscribed(&p, &n),
            slug: n.slug,
            name: n.name,
            description: n.description,
        })
        .collect();
    Ok(Some(Page {
        token: app.links.manage_token(p.subscriber_id),
        email: p.email,
        name: p.name,
        newsletters,
    }))
}

/// What a saved page says: the address and what it now receives, or, after
/// "unsubscribe from all", what it received before (to undo).
#[derive(Debug, Serialize)]
pub struct Saved {
    pub email: String,
    pub subscribed: Vec<String>,
    pub undo: Vec<String>,
}

/// Sets exactly the newsletters named by `slugs`, and the name when given
/// (`None` keeps it); 422 for a slug that is unknown or archived, with
/// nothing changed. `None` for a token that isn't ours.
pub async fn save(
    app: &App,
    token: &str,
    slugs: &[String],
    name: Option<&str>,
    consent: &ConsentContext,
) -> Result<Option<Saved>> {
    let Some(p) = holder(app, token).await? else {
        return Ok(None);
    };
    let name = match name {
        Some(n) => SubscriberName::parse(n)
            .map_err(|m| Error::invalid("invalid_name", m))?
            .map(|n| n.as_str().to_string()),
        None => p.name.clone(),
    };
    let offered = app.store.list_newsletters().await?;
    let mut wanted = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let n = offered.iter().find(|n| n.slug == *slug).ok_or_else(|| {
            Error::invalid(
                "unknown_newsletter",
                "there is no such newsletter to subscribe to",
            )
        })?;
        wanted.push(n.id);
    }
    let new_slugs: Vec<String> = offered
        .iter()
        .filter(|n| wanted.contains(&n.id) && !subscribed(&p, n))
        .map(|n| n.slug.clone())
        .collect();
    let welcomes = welcomes(app, &p.email, &new_slugs).await?;
    let offered_ids: Vec<i64> = offered.iter().map(|n| n.id).collect();
    let changes = app
        .store
        .set_preferences(&PreferenceWrite {
            subscriber_id: p.subscriber_id,
            name: name.as_deref(),
            wanted: &wanted,
            offered: &offered_ids,
            consent,
            welcomes: &welcomes,
            now: Utc::now(),
        })
        .await?;
    count(&changes);
    if !welcomes.is_empty() {
        app.mail_queued();
    }
    Ok(Some(Saved {
        email: p.email,
        subscribed: offered
            .iter()
            .filter(|n| wanted.contains(&n.id))
            .map(|n| n.name.clone())
            .collect(),
        undo: Vec::new(),
    }))
}

/// Unsubscribes from everything; answers what was subscribed before, so
/// the page can offer to undo it.
pub async fn unsubscribe_all(
    app: &App,
    token: &str,
    consent: &ConsentContext,
) -> Result<Option<Saved>> {
    let Some(p) = holder(app, token).await? else {
        return Ok(None);
    };
    let offered = app.store.list_newsletters().await?;
    let before: Vec<String> = offered
        .iter()
        .filter(|n| subscribed(&p, n))
        .map(|n| n.slug.clone())
        .collect();
    let offered_ids: Vec<i64> = offered.iter().map(|n| n.id).collect();
    let changes = app
        .store
        .set_preferences(&PreferenceWrite {
            subscriber_id: p.subscriber_id,
            name: p.name.as_deref(),
            wanted: &[],
            offered: &offered_ids,
            consent,
            welcomes: &[],
            now: Utc::now(),
        })
        .await?;
    count(&changes);
    Ok(Some(Saved {
        email: p.email,
        subscribed: Vec::new(),
        undo: before,
    }))
}

/// Mails the preference link to `email` if it is a subscriber's, at most
/// once per resend cooldown. The caller answers the same either way.
pub async fn email_link(app: &App, email: &str) -> Result<()> {
    let email = SubscriberEmail::parse(email).map_err(|_| {
        Error::invalid(
            "invalid_email",
            app.templates
                .text(app.config.language, "signup-invalid-email"),
        )
    })?;
    let Some(id) = app.store.subscriber_id(email.as_str()).await? else {
        return Ok(());
    };
    let message = manage_link_message(
        &app.templates,
        &app.config,
        email.as_str(),
        &app.links.manage_url(id),
    )?;
    let cooldown =
        chrono::Duration::from_std(app.config.resend_cooldown).map_err(anyhow::Error::from)?;
    if app
        .store
        .queue_manage_link(id, &message, cooldown, Utc::now())
        .await?
    {
        app.mail_queued();
    }
    Ok(())
}
