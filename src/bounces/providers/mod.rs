//! Bounce and complaint events from sending providers: Amazon SES through
//! SNS notifications (signature checked, [`sns`]) and Postmark webhooks
//! (HTTP Basic credentials).

pub mod sns;

use secrecy::ExposeSecret;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::app::App;
use crate::domain::SuppressionReason;
use crate::suppressions::Source;

/// Why a provider's call was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Bad or missing credentials or signature: 401, nothing changed.
    #[error("{0}")]
    Unauthorized(String),
    /// Unparsable or incomplete: 400.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What a call did: how many addresses it suppressed.
#[derive(Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Handled {
    /// Addresses the event suppressed (0 for events with nothing to do).
    pub suppressed: usize,
}

/// HTTP Basic credentials as sent.
pub struct Credentials {
    pub user: String,
    pub password: String,
}

/// Whether `given` are the configured Postmark webhook credentials
/// (compared in constant time); never without configured ones.
fn postmark_allowed(app: &App, given: Option<&Credentials>) -> bool {
    let b = &app.config.bounce;
    let (Some(user), Some(password), Some(given)) = (&b.webhook_user, &b.webhook_password, given)
    else {
        return false;
    };
    let user_ok = user.as_bytes().ct_eq(given.user.as_bytes());
    let password_ok = password
        .expose_secret()
        .as_bytes()
        .ct_eq(given.password.as_bytes());
    (user_ok & password_ok).into()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PostmarkEvent {
    record_type: String,
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// `POST /webhooks/postmark`: a Bounce (hard ones suppress) or a
/// SpamComplaint (suppresses as complained).
pub async fn postmark(
    app: &App,
    credentials: Option<&Credentials>,
    body: &[u8],
) -> Result<Handled, WebhookError> {
    if !postmark_allowed(app, credentials) {
        return Err(WebhookError::Unauthorized(
            "no valid webhook credentials".into(),
        ));
    }
    let event: PostmarkEvent = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Invalid(format!("invalid JSON: {e}")))?;
    let reason = match (event.record_type.as_str(), event.kind.as_deref()) {
        ("Bounce", Some("HardBounce" | "BadEmailAddress")) => SuppressionReason::HardBounce,
        ("SpamComplaint", _) => SuppressionReason::Complained,
        (record, kind) => {
            tracing::info!(record, kind, "postmark event: nothing to do");
            return Ok(Handled::default());
        }
    };
    let Some(email) = event.email.filter(|e| e.contains('@')) else {
        return Err(WebhookError::Invalid("the event names no Email".into()));
    };
    let evidence = [event.kind, event.details.or(event.description)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ");
    app.suppressor()
        .suppress(&email, reason, Source::Postmark, Some(&evidence))
        .await?;
    Ok(Handled { suppressed: 1 })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    #[serde(default)]
    notification_type: Option<String>,
    #[serde(default)]
    event_type: Option<String>,
    #[serde(default)]
    bounce: Option<SesBounce>,
    #[serde(default)]
    complaint: Option<SesComplaint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesBounce {
    bounce_type: String,
    #[serde(default)]
    bounced_recipients: Vec<SesRecipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesComplaint {
    #[serde(default)]
    complained_recipients: Vec<SesRecipient>,
    #[serde(default)]
    complaint_feedback_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesRecipient {
    email_address: String,
    #[serde(default)]
    diagnostic_code: Option<String>,
}

/// `POST /webhooks/ses`: an SNS message, its signature checked; a
/// subscription confirmation is logged with the URL that confirms it; a
/// notification carrying an SES Bounce (Permanent) or Complaint
/// suppresses its recipients.
pub async fn ses(app: &App, body: &[u8]) -> Result<Handled, WebhookError> {
    let message: sns::SnsMessage = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Invalid(format!("not an SNS message: {e}")))?;
    sns::verify(&app.config.bounce, &message).await?;
    match message.kind.as_str() {
        "SubscriptionConfirmation" => {
            crate::telemetry::notice(
                tracing::Level::WARN,
                &format!(
                    "Amazon SNS asks to confirm the subscription of topic {} to /webhooks/ses: \
                     open this URL to confirm it: {}",
                    message.topic_arn,
                    message.subscribe_url.as_deref().unwrap_or("(none given)")
                ),
            );
            return Ok(Handled::default());
        }
        "Notification" => {}
        other => {
            tracing::info!(kind = other, "SNS message: nothing to do");
            return Ok(Handled::default());
        }
    }
    let Ok(event) = serde_json::from_str::<SesEvent>(&message.message) else {
        tracing::info!("SNS notification without an SES event: nothing to do");
        return Ok(Handled::default());
    };
    let kind = event
        .notification_type
        .or(event.event_type)
        .unwrap_or_default();
    let mut found: Vec<(String, SuppressionReason, String)> = Vec::new();
    match (kind.as_str(), event.bounce, event.complaint) {
        ("Bounce", Some(b), _) if b.bounce_type == "Permanent" => {
            for r in b.bounced_recipients {
                let evidence = r
                    .diagnostic_code
                    .unwrap_or_else(|| "Permanent bounce".into());
                found.push((r.email_address, SuppressionReason::HardBounce, evidence));
            }
        }
        ("Complaint", _, Some(c)) => {
            let evidence = format!(
                "complaint: {}",
                c.complaint_feedback_type.as_deref().unwrap_or("abuse")
            );
            for r in c.complained_recipients {
                found.push((
                    r.email_address,
                    SuppressionReason::Complained,
                    evidence.clone(),
                ));
            }
        }
        (kind, _, _) => tracing::info!(kind, "SES event: nothing to do"),
    }
    let suppressor = app.suppressor();
    for (email, reason, evidence) in &found {
        // "Name <address>" as SES may write it: the address only.
        let email = email
            .rsplit_once('<')
            .map_or(email.as_str(), |(_, a)| a.trim_end_matches('>'));
        suppressor
            .suppress(email, *reason, Source::Ses, Some(evidence))
            .await?;
    }
    Ok(Handled {
        suppressed: found.len(),
    })
}
