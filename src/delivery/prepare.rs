//! Turning a claimed message into MIME: a confirmation from its stored
//! body; a digest from its one rendering (read and encoded once per digest
//! and worker) with the reader's own unsubscribe link and the list headers.

use std::sync::Arc;

use crate::domain::SubscriptionStatus;
use crate::email::{
    build_message, link_forms, BodyText, Outgoing, QpTemplate, SendError, UNSUBSCRIBE_SENTINEL,
};
use crate::store::{DigestBody, QueuedMessage};

use super::Worker;

/// A digest as the worker sends it: read once, its bodies encoded once.
pub struct CachedDigest {
    body: DigestBody,
    text: QpTemplate,
    html: QpTemplate,
}

/// What to do with a claimed message.
pub(super) enum Prepared {
    Send(Box<lettre::Message>),
    /// A digest delivery whose reader is no longer subscribed.
    Skip(String),
}

impl Worker {
    async fn digest_body(&self, id: i64) -> anyhow::Result<Arc<CachedDigest>> {
        if let Some(b) = self.digests.lock().expect("not poisoned").get(&id) {
            return Ok(b.clone());
        }
        let body = self.store.digest_body(id).await?;
        let body = Arc::new(CachedDigest {
            text: QpTemplate::new(&body.body_text, UNSUBSCRIBE_SENTINEL),
            html: QpTemplate::new(&body.body_html, UNSUBSCRIBE_SENTINEL),
            body,
        });
        let mut cache = self.digests.lock().expect("not poisoned");
        if cache.len() > 64 {
            cache.clear();
        }
        cache.insert(id, body.clone());
        Ok(body)
    }

    /// Builds the MIME message: a confirmation from its stored body; a
    /// digest from the digest's rendering with the reader's own unsubscribe
    /// link and the list headers (RFC 2369, 2919, 8058).
    pub(super) async fn prepare(&self, m: &QueuedMessage) -> Result<Prepared, SendError> {
        let permanent = |e: anyhow::Error| SendError {
            transient: false,
            message: format!("cannot build the message: {e:#}"),
        };
        let (Some(digest_id), Some(subscription_id)) = (m.digest_id, m.subscription_id) else {
            let from = match &m.sender {
                Some(s) => s.parse().map_err(|e| permanent(anyhow::Error::from(e)))?,
                None => self.config.from.clone(),
            };
            let message = build_message(Outgoing {
                from,
                reply_to: m.reply_to.as_deref(),
                to: &m.recipient,
                subject: &m.subject,
                message_id: &m.message_id,
                text: BodyText::Plain(m.body_text.as_deref().unwrap_or_default()),
                html: BodyText::Plain(m.body_html.as_deref().unwrap_or_default()),
                headers: Vec::new(),
            })
            .map_err(permanent)?;
            return Ok(Prepared::Send(Box::new(message)));
        };
        let transient = |e: anyhow::Error| SendError {
            transient: true,
            message: format!("reading the digest failed: {e:#}"),
        };
        let status = m.subscription_status;
        if status != Some(SubscriptionStatus::Confirmed) {
            return Ok(Prepared::Skip(format!(
                "subscription is {}",
                status.map(SubscriptionStatus::as_str).unwrap_or("gone")
            )));
        }
        let cached = self.digest_body(digest_id).await.map_err(transient)?;
        let d = &cached.body;
        let unsubscribe = self.links.unsubscribe_url(subscription_id);
        // The same substitution as `email::personalise`, on encoded bodies.
        let (in_text, in_html) = link_forms(&unsubscribe);
        let text = cached.text.fill(in_text);
        let html = cached.html.fill(&in_html);
        let from = match &d.from_address {
            Some(address) => lettre::message::Mailbox::new(
                d.from_name.clone(),
                address
                    .parse()
                    .map_err(|e| permanent(anyhow::Error::from(e)))?,
            ),
            None => self.config.from.clone(),
        };
        let list_id = list_id(
            &d.newsletter_name,
            &d.newsletter_slug,
            self.config.from.email.domain(),
        );
        let message = build_message(Outgoing {
            from,
            reply_to: d.reply_to.as_deref(),
            to: &m.recipient,
            subject: &m.subject,
            message_id: &m.message_id,
            text: BodyText::Encoded(text),
            html: BodyText::Encoded(html),
            headers: vec![
                ("List-Unsubscribe", format!("<{unsubscribe}>")),
                (
                    "List-Unsubscribe-Post",
                    "List-Unsubscribe=One-Click".to_string(),
                ),
                ("List-Id", list_id),
            ],
        })
        .map_err(permanent)?;
        Ok(Prepared::Send(Box::new(message)))
    }
}

/// `List-Id` (RFC 2919): the newsletter's name as a phrase, then
/// `<slug.domain>`. An ASCII name is quoted; a non-ASCII one is left
/// unquoted (stripped of characters a phrase can't hold), because the
/// encoded words lettre makes of it may not sit inside quotes.
pub fn list_id(name: &str, slug: &str, domain: &str) -> String {
    let label = format!("<{slug}.{domain}>");
    if name.is_ascii() {
        let name = name.replace(['"', '\\'], "");
        format!("\"{name}\" {label}")
    } else {
        let phrase: String = name
            .chars()
            .map(|c| {
                if "\"(),.:;<>@[\\]".contains(c) {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
        format!("{phrase} {label}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_ids() {
        assert_eq!(
            list_id("Daily \"news\"", "daily", "h.example"),
            "\"Daily news\" <daily.h.example>"
        );
        assert_eq!(
            list_id("Le Matin, édition", "matin", "h.example"),
            "Le Matin édition <matin.h.example>"
        );
    }
}
