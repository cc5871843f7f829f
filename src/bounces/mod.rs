//! Bounces and complaints after the fact: VERP envelope senders, the SMTP
//! listener that receives reports at the bounce domain, and reading those
//! reports (DSNs and ARF) into suppressions. The provider webhooks (SES,
//! Postmark) are in [`providers`].

mod listener;
pub mod providers;
mod report;
mod verp;

pub use listener::{serve, Listener};
pub use report::{read as read_report, Parsed, RecipientStatus, Report};
pub use verp::{Addressed, Verp};

use crate::config::Config;
use crate::domain::SuppressionReason;
use crate::store::Store;
use crate::suppressions::{Source, Suppressor};

/// The VERP signer when `bounce_domain` is set; its key is shared by every
/// process through the database.
pub async fn verp(config: &Config, store: &Store) -> anyhow::Result<Option<Verp>> {
    let Some(domain) = &config.bounce.domain else {
        return Ok(None);
    };
    let key = store
        .secret("verp_key", crate::domain::token::generate().into_bytes())
        .await?;
    Ok(Some(Verp::new(key, domain)))
}

/// What became of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Suppressed(SuppressionReason),
    /// Read, and nothing to do (a temporary failure, a report already
    /// known, a non-abuse feedback type).
    Ignored(String),
    /// Not usable: malformed, not a report, or naming no delivery of ours.
    Dropped(String),
}

/// Reads reports mailed to the bounce domain into suppressions.
#[derive(Clone)]
pub struct Inbound {
    pub store: Store,
    pub suppressor: Suppressor,
    pub verp: Verp,
}

impl Inbound {
    /// Handles one message received for `rcpt` (an address at the bounce
    /// domain). Only a database failure is an error (the sender is told to
    /// try again later).
    pub async fn handle(&self, rcpt: &str, raw: &[u8]) -> anyhow::Result<Outcome> {
        let parsed = report::read(raw);
        // The token in the address the report came to, else the one in the
        // returned original's Return-Path (a feedback loop's own address).
        let id = self.verp.recipient(rcpt).message().or_else(|| {
            parsed
                .original_return_path
                .as_deref()
                .and_then(|p| self.verp.recipient(p).message())
        });
        let Some(id) = id else {
            return Ok(Outcome::Dropped("no valid VERP token".into()));
        };
        let Some(message) = self.store.returned_message(id).await? else {
            return Ok(Outcome::Dropped("the message is no longer known".into()));
        };
        let email = message.recipient.to_lowercase();
        let (reason, source, evidence) = match parsed.report {
            Report::Other(why) => return Ok(Outcome::Dropped(why.into())),
            Report::Dsn(rcpts) => {
                // The block about this delivery's recipient, else the only one.
                let block = rcpts
                    .iter()
                    .find(|r| r.names(&email))
                    .or_else(|| (rcpts.len() == 1).then(|| &rcpts[0]));
                let Some(block) = block else {
                    return Ok(Outcome::Dropped("the DSN names other recipients".into()));
                };
                if !block.is_hard() {
                    return Ok(Outcome::Ignored(format!(
                        "{} {}",
                        block.action, block.status
                    )));
                }
                (SuppressionReason::HardBounce, Source::Dsn, block.evidence())
            }
            Report::Feedback {
                feedback_type,
                original_rcpt_to,
            } => {
                if original_rcpt_to.as_deref().is_some_and(|r| r != email) {
                    return Ok(Outcome::Dropped(
                        "the report's Original-Rcpt-To is another address".into(),
                    ));
                }
                if feedback_type != "abuse" {
                    return Ok(Outcome::Ignored(format!("feedback type {feedback_type}")));
                }
                (
                    SuppressionReason::Complained,
                    Source::Arf,
                    format!("Feedback-Type: {feedback_type}"),
                )
            }
        };
        if message.kind == "test" {
            return Ok(Outcome::Ignored("a test digest to an editor".into()));
        }
        self.suppressor
            .suppress(&email, reason, source, Some(&evidence))
            .await?;
        Ok(Outcome::Suppressed(reason))
    }
}
