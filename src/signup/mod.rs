//! Signing up and leaving: a reader's signup (from a form, a script or an
//! admin), confirming it from the email's link, and unsubscribing.
//!
//! Every accepted signup gets the same outcome whatever the address's state
//! (new, pending, confirmed, unsubscribed), and nothing is sent inline: the
//! confirmation email is queued in the signup's own transaction.

mod coalescer;
mod links;

pub use coalescer::{Render, SignupJob, Signups};
pub use links::{
    confirm, confirm_page, unsubscribe, unsubscribe_page, welcomes, Confirmed, UnsubscribePage,
};

use crate::app::{App, Error, Result};
use crate::domain::{has_control, token, SubscriberEmail, SubscriberName};
use crate::email::confirmation_message;
use crate::store::{self, ConsentContext, Newsletter};

const MAX_NEWSLETTERS: usize = 50;

/// A signup as it arrived, not yet checked.
#[derive(Debug, Default)]
pub struct Request {
    pub email: String,
    pub name: Option<String>,
    /// Newsletter slugs; none means the only newsletter, if there is one.
    pub newsletters: Vec<String>,
    /// The honeypot field: people leave it empty.
    pub website: Option<String>,
    pub consent: ConsentContext,
}

/// What became of a signup.
#[derive(Debug)]
pub enum Outcome {
    /// Recorded; a confirmation email is queued if one was due.
    Accepted,
    /// The honeypot was filled: answered as accepted, nothing written.
    Dropped,
    /// The address can't be one; the newsletters asked for, to show the
    /// form again.
    InvalidEmail(Vec<Newsletter>),
}

/// Checks and records a public signup.
pub async fn signup(app: &App, req: Request) -> Result<Outcome> {
    if req.website.as_deref().is_some_and(|w| !w.trim().is_empty()) {
        return Ok(Outcome::Dropped);
    }
    let newsletters = resolve_newsletters(app, &req.newsletters).await?;
    let email = match SubscriberEmail::parse(&req.email) {
        Ok(e) => e,
        Err(reason) => {
            tracing::debug!(%reason, "signup refused");
            return Ok(Outcome::InvalidEmail(newsletters));
        }
    };
    let name = SubscriberName::parse(req.name.as_deref().unwrap_or_default())
        .map_err(|m| Error::invalid("invalid_name", m))?;
    let job = confirmation_job(app, &email, name.as_ref(), newsletters, req.consent)?;
    submit(app, job).await?;
    Ok(Outcome::Accepted)
}

/// Queues a signup job and wakes the worker if it queued mail. A signup
/// that left the address pending is counted in `/metrics`.
pub async fn submit(app: &App, job: SignupJob) -> Result<store::SignupOutcome> {
    let outcome = app.signups.submit(job).await?;
    if outcome.email_queued {
        app.mail_queued();
    }
    if outcome.pending {
        crate::metrics::signup_accepted();
    }
    Ok(outcome)
}

/// A signup of `email` to `newsletters` (distinct, at least one) that
/// queues a confirmation email unless one went out within the cooldown:
/// the public form's and the admin API's.
pub fn confirmation_job(
    app: &App,
    email: &SubscriberEmail,
    name: Option<&SubscriberName>,
    newsletters: Vec<Newsletter>,
    consent: ConsentContext,
) -> Result<SignupJob> {
    let config = &app.config;
    let raw_token = token::generate();
    let mut by_id: Vec<&Newsletter> = newsletters.iter().collect();
    by_id.sort_by_key(|n| n.id);
    let expected = by_id.iter().map(|n| n.name.clone()).collect();
    let newsletter_ids = newsletters.iter().map(|n| n.id).collect();
    let (templates, config_owned) = (app.templates.clone(), config.clone());
    let confirm_url = app.links.confirm_url(&raw_token);
    let recipient = email.as_str().to_string();
    let render: Render = Box::new(move |pending| {
        confirmation_message(
            &templates,
            &config_owned,
            &recipient,
            &confirm_url,
            pending,
            &newsletters,
        )
    });
    Ok(SignupJob {
        email: email.as_str().to_string(),
        name: name.map(|n| n.as_str().to_string()),
        newsletter_ids,
        cooldown: chrono::Duration::from_std(config.resend_cooldown)
            .map_err(anyhow::Error::from)?,
        confirm_ttl: chrono::Duration::from_std(config.confirm_ttl).map_err(anyhow::Error::from)?,
        token_hash: token::hash(&raw_token),
        consent,
        expected,
        render,
    })
}

/// The newsletters asked for; 422 for an unknown or malformed one. With
/// none named and exactly one newsletter existing, that one.
async fn resolve_newsletters(app: &App, slugs: &[String]) -> Result<Vec<Newsletter>> {
    if slugs.len() > MAX_NEWSLETTERS {
        return Err(Error::invalid(
            "too_many_newsletters",
            format!("at most {MAX_NEWSLETTERS} newsletters per signup"),
        ));
    }
    if slugs.is_empty() {
        let all = app.store.list_newsletters().await?;
        if all.len() == 1 {
            return Ok(all);
        }
        return Err(Error::invalid(
            "newsletter_required",
            "name the newsletter to subscribe to",
        ));
    }
    let mut out: Vec<Newsletter> = Vec::with_capacity(slugs.len());
    for slug in slugs {
        if has_control(slug) {
            return Err(Error::invalid(
                "invalid_newsletter",
                "control characters are not allowed",
            ));
        }
        match app.newsletters.get(&app.store, slug.trim()).await {
            Ok(n) => {
                if !out.iter().any(|o| o.id == n.id) {
                    out.push(n)
                }
            }
            Err(store::Error::NotFound) => {
                return Err(Error::invalid(
                    "unknown_newsletter",
                    "there is no such newsletter",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}
