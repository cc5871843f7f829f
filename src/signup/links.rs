//! What the links in a confirmation or digest email do: confirm pending
//! subscriptions (a random token, stored hashed, that expires) and
//! unsubscribe (a signed token that never does).

use chrono::Utc;

use crate::app::{App, Result};
use crate::domain::token;
use crate::email::welcome_message;
use crate::store::{
    self, ConfirmOutcome, ConsentContext, NewMessage, SubscriptionInfo, TokenState,
};

/// What the confirm page shows for a token; nothing changes.
pub async fn confirm_page(app: &App, raw_token: &str) -> Result<TokenState> {
    Ok(app
        .store
        .confirm_token_state(&token::hash(raw_token), Utc::now())
        .await?)
}

/// A confirmed newsletter, with the reader's link to leave it.
#[derive(Debug, serde::Serialize)]
pub struct Confirmed {
    pub name: String,
    pub unsubscribe_url: String,
}

/// Confirms the token's pending subscriptions (only those in `only`, when
/// given). The first confirm that changes something uses the link up;
/// after that it answers `Used` and confirms nothing. Each newsletter's welcome, if it has one, is
/// rendered first and queued in the same transaction, for the
/// subscriptions this call confirms.
pub async fn confirm(
    app: &App,
    raw_token: &str,
    only: Option<&[String]>,
    consent: &ConsentContext,
) -> Result<ConfirmOutcome> {
    let hash = token::hash(raw_token);
    let (welcomes, wanted) = match app.store.confirm_token_state(&hash, Utc::now()).await? {
        // An unknown or expired token writes nothing: no write lock taken
        // for a stranger's guess.
        TokenState::Unknown => return Ok(ConfirmOutcome::Unknown),
        TokenState::Expired => return Ok(ConfirmOutcome::Expired),
        TokenState::Used => return Ok(ConfirmOutcome::Used),
        TokenState::Valid { email, pending } => {
            let wanted = pending
                .iter()
                .filter(|(_, slug, _)| only.is_none_or(|o| o.contains(slug)))
                .map(|(_, slug, _)| slug.clone())
                .collect::<Vec<_>>();
            (welcomes(app, &email, &wanted).await?, wanted.len())
        }
    };
    let outcome = app
        .store
        .confirm(&hash, Utc::now(), only, consent, &welcomes)
        .await?;
    if !welcomes.is_empty() {
        app.mail_queued();
    }
    if matches!(outcome, ConfirmOutcome::Confirmed(_)) {
        // The subscriptions that were pending when this call looked; two
        // clicks at the same instant may both count them.
        crate::metrics::subscriptions_confirmed(wanted);
    }
    Ok(outcome)
}

/// The welcome emails to `email` of those of `slugs` that have one, by
/// newsletter id, rendered for sending.
pub async fn welcomes(app: &App, email: &str, slugs: &[String]) -> Result<Vec<(i64, NewMessage)>> {
    let mut out = Vec::new();
    for slug in slugs {
        let n = match app.newsletters.get(&app.store, slug).await {
            Ok(n) => n,
            Err(store::Error::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        if let Some(m) = welcome_message(&app.templates, &app.config, email, &n)? {
            out.push((n.id, m));
        }
    }
    Ok(out)
}

impl Confirmed {
    /// The confirmed subscriptions of an outcome, with their links.
    pub fn list(app: &App, subscriptions: &[(i64, String)]) -> Vec<Confirmed> {
        subscriptions
            .iter()
            .map(|(id, name)| Confirmed {
                name: name.clone(),
                unsubscribe_url: app.links.unsubscribe_url(*id),
            })
            .collect()
    }
}

/// What the unsubscribe page shows for a token: its subscription and the
/// token again (normalised), or `None` for a token that isn't ours.
pub struct UnsubscribePage {
    pub token: String,
    pub info: SubscriptionInfo,
}

pub async fn unsubscribe_page(app: &App, raw_token: &str) -> Result<Option<UnsubscribePage>> {
    let Some(id) = app.links.verify_unsubscribe(raw_token) else {
        return Ok(None);
    };
    match app.store.subscription_info(id).await {
        Ok(info) => Ok(Some(UnsubscribePage {
            token: app.links.unsubscribe_token(id),
            info,
        })),
        Err(store::Error::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Unsubscribes the token's subscription (idempotent); `None` for a token
/// that isn't ours.
pub async fn unsubscribe(
    app: &App,
    raw_token: &str,
    consent: &ConsentContext,
) -> Result<Option<SubscriptionInfo>> {
    let Some(id) = app.links.verify_unsubscribe(raw_token) else {
        return Ok(None);
    };
    match app.store.unsubscribe(id, Utc::now(), consent).await {
        Ok((info, ended)) => {
            if ended {
                crate::metrics::subscriptions_ended(1);
            }
            Ok(Some(info))
        }
        Err(store::Error::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
