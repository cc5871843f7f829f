//! List hygiene: addresses that bounce or complain are suppressed, so no
//! more digests go to them; an admin, or the reader's own confirmation,
//! lifts it. Send-time bounces, bounce reports and provider events all end
//! here.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::app::{App, Error, Result};
use crate::domain::erasure::ErasureKey;
use crate::domain::{SubscriberEmail, SuppressionReason};
use crate::store::{NewSuppression, Store, Suppressed, Suppression};

/// Temporary failures that end deliveries as failed in this many different
/// digests make a soft bounce.
pub const SOFT_BOUNCE_DIGESTS: i64 = 3;

/// The longest evidence kept: an SMTP reply or the useful part of a report.
const EVIDENCE_MAX: usize = 2000;

/// Suppresses addresses; shared by the delivery worker, the bounce
/// listener and the provider webhooks.
#[derive(Clone)]
pub struct Suppressor {
    store: Store,
    key: ErasureKey,
}

/// Where a suppression was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The relay's reply while sending.
    Smtp,
    /// A delivery status notification (RFC 3464) sent to the bounce address.
    Dsn,
    /// An abuse report (RFC 5965).
    Arf,
    Ses,
    Postmark,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Smtp => "smtp",
            Source::Dsn => "dsn",
            Source::Arf => "arf",
            Source::Ses => "ses",
            Source::Postmark => "postmark",
        }
    }
}

impl Suppressor {
    pub fn new(store: Store, key: ErasureKey) -> Self {
        Self { store, key }
    }

    /// Suppresses `email` (already lower-cased, as addresses are stored)
    /// for `reason`. Answers whether this was news.
    pub async fn suppress(
        &self,
        email: &str,
        reason: SuppressionReason,
        source: Source,
        evidence: Option<&str>,
    ) -> anyhow::Result<bool> {
        let email = email.trim().to_lowercase();
        let evidence = evidence.map(|e| clip(e, EVIDENCE_MAX));
        let outcome = self
            .store
            .suppress(
                &NewSuppression {
                    email: &email,
                    email_hash: &self.key.hash(&email),
                    reason,
                    source: source.as_str(),
                    evidence: evidence.as_deref(),
                },
                Utc::now(),
            )
            .await?;
        if outcome == Suppressed::New {
            tracing::info!(reason = reason.as_str(), source = source.as_str(), "address suppressed");
            crate::metrics::suppressed(reason.as_str());
        }
        Ok(outcome == Suppressed::New)
    }

    /// A delivery of digest `digest_id` to `email` ended failed after
    /// temporary failures: the third such digest suppresses the address.
    pub async fn soft_failure(
        &self,
        email: &str,
        digest_id: i64,
        reply: &str,
    ) -> anyhow::Result<bool> {
        let n = self
            .store
            .record_soft_bounce(email, digest_id, Utc::now())
            .await?;
        if n < SOFT_BOUNCE_DIGESTS {
            return Ok(false);
        }
        self.suppress(
            email,
            SuppressionReason::SoftBounce,
            Source::Smtp,
            Some(reply),
        )
        .await
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Which page of the suppression list to show.
#[derive(Debug, Default, Deserialize, Validate, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// At most this many (default 50, at most 1000).
    #[validate(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// A page of suppressions, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuppressionPage {
    pub suppressions: Vec<Suppression>,
    /// The cursor for the next page, or `null` at the end.
    pub next: Option<String>,
}

pub async fn list(app: &App, q: &PageQuery) -> Result<SuppressionPage> {
    q.validate()?;
    let limit = q.limit.unwrap_or(50);
    let before = match q.after.as_deref().filter(|s| !s.is_empty()) {
        None => 0,
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| Error::invalid("invalid_cursor", "after is not a cursor from a page"))?,
    };
    let suppressions = app.store.suppressions(before, limit).await?;
    let next = (suppressions.len() == limit as usize)
        .then(|| suppressions.last().map(|s| s.id.to_string()))
        .flatten();
    Ok(SuppressionPage { suppressions, next })
}

/// The address's suppression; `NotFound` if it has none.
pub async fn get(app: &App, email: &str) -> Result<Suppression> {
    let email = parse(email)?;
    app.store
        .suppression(email.as_str())
        .await?
        .ok_or_else(|| Error::not_found("this address is not suppressed"))
}

/// Lifts the address's suppression; `NotFound` if it has none.
pub async fn lift(app: &App, email: &str) -> Result<()> {
    let email = parse(email)?;
    if !app.store.lift_suppression(email.as_str(), Utc::now()).await? {
        return Err(Error::not_found("this address is not suppressed"));
    }
    tracing::info!("suppression lifted by an admin");
    Ok(())
}

/// How many addresses are suppressed now.
pub async fn count(app: &App) -> Result<i64> {
    Ok(app.store.suppression_count().await?)
}

fn parse(email: &str) -> Result<SubscriberEmail> {
    crate::subscribers::parse_email(email)
}
