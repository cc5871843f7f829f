//! Turning a claimed message into MIME: a confirmation from its stored
//! body; a digest from its one rendering (read and encoded once per digest
//! and worker) with the reader's own unsubscribe link and the list headers.

use std::sync::Arc;

use crate::domain::{MessageKind, SubscriptionStatus};
use crate::email::{
    build_message, personalise, BodyText, Outgoing, PersonalLinks, QpTemplate, SendError, SENTINELS,
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
            text: QpTemplate::new(&body.body_text, &SENTINELS),
            html: QpTemplate::new(&body.body_html, &SENTINELS),
            body,
        });
        let mut cache = self.digests.lock().expect("not poisoned");
        if cache.len() > 64 {
            cache.clear();
        }
        cache.insert(id, body.clone());
        Ok(body)
    }

    /// Builds the MIME message: a digest from the digest's rendering, a
    /// welcome from its stored body, each with the reader's own links and
    /// the list headers (RFC 2369, 2919, 8058); anything else from its
    /// stored body as it is.
    pub(super) async fn prepare(&self, m: &QueuedMessage) -> Result<Prepared, SendError> {
        let personal = match (m.kind, m.subscription_id, m.subscriber_id) {
            (MessageKind::Digest | MessageKind::Welcome, Some(subscription), Some(subscriber)) => {
                Some((subscription, subscriber))
            }
            _ => None,
        };
        let Some((subscription_id, subscriber_id)) = personal else {
            let from = self.sender(m.sender.as_deref(), None)?;
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
        let status = m.subscription_status;
        if status != Some(SubscriptionStatus::Confirmed) {
            return Ok(Prepared::Skip(format!(
                "subscription is {}",
                status.map(SubscriptionStatus::as_str).unwrap_or("gone")
            )));
        }
        let unsubscribe = self.links.unsubscribe_url(subscription_id);
        let manage = self.links.manage_url(subscriber_id);
        let links = PersonalLinks {
            unsubscribe: &unsubscribe,
            manage: &manage,
        };
        let (from, reply_to, list_id, text, html) = match m.digest_id {
            Some(digest_id) => {
                let cached = self.digest_body(digest_id).await.map_err(transient)?;
                let d = &cached.body;
                // The same substitution as `email::personalise`, on encoded bodies.
                (
                    self.sender(d.from_address.as_deref(), d.from_name.clone())?,
                    d.reply_to.clone(),
                    list_id(
                        &format!("{} | {}", d.newsletter_name, self.config.site_name),
                        &d.newsletter_slug,
                        self.config.from.email.domain(),
                    ),
                    BodyText::Encoded(cached.text.fill(&links.in_text())),
                    BodyText::Encoded(cached.html.fill(&links.in_html())),
                )
            }
            None => {
                let info = self
                    .store
                    .subscription_info(subscription_id)
                    .await
                    .map_err(|e| transient(e.into()))?;
                let (text, html) = personalise(
                    m.body_text.as_deref().unwrap_or_default(),
                    m.body_html.as_deref().unwrap_or_default(),
                    &links,
                );
                (
                    self.sender(m.sender.as_deref(), None)?,
                    m.reply_to.clone(),
                    list_id(
                        &format!("{} | {}", info.newsletter_name, self.config.site_name),
                        &info.newsletter_slug,
                        self.config.from.email.domain(),
                    ),
                    BodyText::Owned(text),
                    BodyText::Owned(html),
                )
            }
        };
        let message = build_message(Outgoing {
            from,
            reply_to: reply_to.as_deref(),
            to: &m.recipient,
            subject: &m.subject,
            message_id: &m.message_id,
            text,
            html,
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

    /// The From of a message: its own sender (an address, or `"Name"
    /// <address>` text), else the configured one.
    fn sender(
        &self,
        own: Option<&str>,
        name: Option<String>,
    ) -> Result<lettre::message::Mailbox, SendError> {
        match (own, name) {
            (Some(address), Some(name)) => Ok(lettre::message::Mailbox::new(
                Some(name),
                address
                    .parse()
                    .map_err(|e| permanent(anyhow::Error::from(e)))?,
            )),
            (Some(sender), None) => sender
                .parse()
                .map_err(|e| permanent(anyhow::Error::from(e))),
            (None, _) => Ok(self.config.from.clone()),
        }
    }
}

fn permanent(e: anyhow::Error) -> SendError {
    SendError {
        code: None,
        transient: false,
        message: format!("cannot build the message: {e:#}"),
    }
}

fn transient(e: anyhow::Error) -> SendError {
    SendError {
        code: None,
        transient: true,
        message: format!("reading the message's parts failed: {e:#}"),
    }
}

/// `List-Id` (RFC 2919): the newsletter's name (and the publication's,
/// "Daily | Kyiv News") as a phrase, then
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
