//! Digests: preview the next one, build and queue it, follow it, pause,
//! resume, cancel. The content itself is rendered by [`content`], purely.

pub mod content;

pub use content::{render, DigestContent};

use chrono::Utc;
use serde::Deserialize;
use validator::Validate;

use crate::app::{App, Error, Result};
use crate::domain::{IdempotencyKey, MessageKind, Subject, SubscriberEmail};
use crate::email::{new_message_id, personalise, PersonalLinks};
use crate::store::{self, Created, Digest, DigestAction, NewDigest, NewMessage, Newsletter};

/// Optional settings for one digest.
#[derive(Deserialize, Default, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct DigestOptions {
    /// At most this many items, newest first (1-100, default 10).
    #[schema(minimum = 1, maximum = 100)]
    #[validate(range(
        min = 1,
        max = 100,
        code = "invalid_max_items",
        message = "max_items is 1 to 100"
    ))]
    pub max_items: Option<u32>,
    /// This digest's subject, instead of the newsletter's.
    pub subject: Option<String>,
}

fn nothing_new() -> Error {
    Error::conflict(
        "nothing_new",
        "no items were published since the last digest",
    )
}

/// The next digest's content and its items' ids, or `nothing_new`.
async fn next_content(
    app: &App,
    newsletter: &Newsletter,
    o: &DigestOptions,
) -> Result<(DigestContent, Vec<i64>)> {
    o.validate()?;
    let max = o.max_items.unwrap_or(10);
    let subject = o.subject.as_deref().map(Subject::parse).transpose()?;
    let now = Utc::now();
    let items = app.store.digest_candidates(newsletter.id, now, max).await?;
    if items.is_empty() {
        return Err(nothing_new());
    }
    let content = render(
        &app.templates,
        newsletter,
        &items,
        now,
        subject.as_ref().map(Subject::as_str),
    )?;
    Ok((content, items.iter().map(|i| i.id).collect()))
}

/// The newsletter and its next digest as a reader would get it, with
/// sample links (they lead nowhere): subject, text, HTML.
async fn sample(app: &App, slug: &str) -> Result<(Newsletter, String, String, String)> {
    let newsletter = app.store.newsletter_by_slug(slug).await?;
    let (content, _) = next_content(app, &newsletter, &DigestOptions::default()).await?;
    let (unsubscribe, manage) = (
        app.links.sample_unsubscribe_url(),
        app.links.sample_manage_url(),
    );
    let links = PersonalLinks {
        unsubscribe: &unsubscribe,
        manage: &manage,
    };
    let (text, html) = personalise(&content.text, &content.html, &links);
    Ok((newsletter, content.subject, text, html))
}

/// The next digest as its readers would see it (HTML); nothing is sent.
pub async fn preview_html(app: &App, slug: &str) -> Result<String> {
    Ok(sample(app, slug).await?.3)
}

/// The subject and plain-text part of the next digest.
pub async fn preview_text(app: &App, slug: &str) -> Result<String> {
    let (_, subject, text, _) = sample(app, slug).await?;
    Ok(format!("Subject: {subject}\n\n{text}"))
}

/// A test send's answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TestSend {
    /// Always `queued`: it goes out through the queue, with its retries.
    pub status: String,
    pub to: String,
    pub subject: String,
}

/// Sends the next digest to one address now, marked as a test (`[Test]`
/// before its subject, sample links). It moves no cut-off and counts in no
/// digest: the next real digest holds the same items.
pub async fn send_test(app: &App, slug: &str, to: &str) -> Result<TestSend> {
    let to = SubscriberEmail::parse(to)
        .map_err(|_| Error::invalid("invalid_email", "`to` is one email address"))?;
    let (newsletter, subject, text, html) = sample(app, slug).await?;
    let subject = format!("[Test] {subject}");
    let message = NewMessage {
        kind: MessageKind::Test,
        recipient: to.as_str().to_string(),
        message_id: new_message_id(&app.config.from),
        subject: subject.clone(),
        body_text: text,
        body_html: html,
        sender: newsletter.sender(),
        reply_to: newsletter.reply_to.clone(),
        subscription_id: None,
    };
    app.store.queue_message(&message, Utc::now()).await?;
    app.mail_queued();
    Ok(TestSend {
        status: "queued".into(),
        to: to.as_str().to_string(),
        subject,
    })
}

/// Builds and queues the newsletter's next digest, one delivery per
/// confirmed subscriber; the same `Idempotency-Key` gives the same digest.
pub async fn create(
    app: &App,
    slug: &str,
    options: &DigestOptions,
    key: Option<&str>,
) -> Result<Digest> {
    let newsletter = app.store.newsletter_by_slug(slug).await?;
    let key = key.map(IdempotencyKey::parse).transpose()?;
    create_keyed(
        app,
        &newsletter,
        options,
        key.as_ref().map(IdempotencyKey::as_str),
    )
    .await
}

/// The digest of one scheduled slot: its key holds a space, which no
/// `Idempotency-Key` may, so an admin's key can never stand for a slot.
pub async fn create_for_slot(app: &App, slug: &str, slot: chrono::DateTime<Utc>) -> Result<Digest> {
    let newsletter = app.store.newsletter_by_slug(slug).await?;
    let key = format!("schedule slot {}", slot.timestamp());
    create_keyed(app, &newsletter, &DigestOptions::default(), Some(&key)).await
}

async fn create_keyed(
    app: &App,
    newsletter: &Newsletter,
    options: &DigestOptions,
    key: Option<&str>,
) -> Result<Digest> {
    // A key seen before answers with its digest, even when nothing is new.
    let (content, item_ids): (DigestContent, Vec<i64>) =
        match next_content(app, newsletter, options).await {
            Ok(c) => c,
            Err(e) => match key {
                Some(k) => match app.store.digest_id_by_key(newsletter.id, k).await? {
                    Some(id) => return Ok(app.store.digest(id).await?),
                    None => return Err(e),
                },
                None => return Err(e),
            },
        };
    let domain = app.config.from.email.domain().to_string();
    let created = app
        .store
        .create_digest(NewDigest {
            newsletter_id: newsletter.id,
            idempotency_key: key,
            subject: &content.subject,
            body_text: &content.text,
            body_html: &content.html,
            item_ids: &item_ids,
            now: Utc::now(),
            message_domain: &domain,
        })
        .await?;
    let id = match created {
        Created::New(id) => {
            app.mail_queued();
            id
        }
        Created::Existing(id) => id,
    };
    Ok(app.store.digest(id).await?)
}

/// A digest id from a path; anything else names no digest.
pub fn parse_id(raw: &str) -> Result<i64> {
    raw.parse().map_err(|_| Error::not_found("no such digest"))
}

/// One digest with its delivery counts.
pub async fn get(app: &App, id: i64) -> Result<Digest> {
    Ok(app.store.digest(id).await?)
}

/// Pauses, resumes or cancels a digest; 409 when its state doesn't allow it.
pub async fn act(app: &App, id: i64, action: DigestAction) -> Result<Digest> {
    app.store
        .digest_action(id, action, Utc::now())
        .await
        .map_err(|e| match e {
            store::Error::Conflict => Error::conflict(
                "invalid_state",
                "the digest can't change that way in its current state",
            ),
            e => e.into(),
        })?;
    if action == DigestAction::Resume {
        app.mail_queued();
    }
    Ok(app.store.digest(id).await?)
}
