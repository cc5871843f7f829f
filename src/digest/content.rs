//! A digest's content, pure: a newsletter's latest items rendered into an
//! email, once per digest. Each recipient's unsubscribe link is filled in at
//! send time, so 100,000 recipients cost one rendering, not 100,000.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::email::{Templates, MANAGE_SENTINEL, UNSUBSCRIBE_SENTINEL};
use crate::store::{FeedItem, Newsletter};

#[derive(Debug, Clone)]
pub struct DigestContent {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders the digest of `items` (newest first) for `newsletter`. The
/// subject is `subject` if given, else the newsletter's digest subject,
/// else the template's (the newsletter's name and the date).
pub fn render(
    templates: &Templates,
    newsletter: &Newsletter,
    items: &[FeedItem],
    now: DateTime<Utc>,
    subject: Option<&str>,
) -> anyhow::Result<DigestContent> {
    let items: Vec<_> = items
        .iter()
        .map(|i| {
            json!({
                "title": i.title,
                "url": i.url,
                "summary": i.summary,
                "published_at": i.published_at,
            })
        })
        .collect();
    let rendered = templates.render_email(
        "digest",
        json!({
            "newsletter": { "name": newsletter.name, "description": newsletter.description },
            "lang": newsletter.lang(templates.look().language),
            "date": now,
            "items": items,
            "unsubscribe_url": UNSUBSCRIBE_SENTINEL,
            "manage_url": MANAGE_SENTINEL,
        }),
    )?;
    let subject = subject
        .or(newsletter.digest_subject.as_deref())
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .unwrap_or(rendered.subject);
    Ok(DigestContent {
        subject,
        text: rendered.text,
        html: rendered.html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::{personalise, PersonalLinks};

    fn item(title: &str, url: &str, summary: &str) -> FeedItem {
        FeedItem {
            id: 1,
            title: title.into(),
            url: url.into(),
            summary: summary.into(),
            published_at: Utc::now(),
            created_at: Utc::now(),
            newsletters: vec![],
            feed_id: None,
        }
    }

    #[test]
    fn renders_items_escaped_with_a_personal_unsubscribe_link() {
        let t = Templates::new(crate::email::Look::builtin()).unwrap();
        let n = Newsletter {
            id: 1,
            slug: "daily".into(),
            name: "Daily briefing".into(),
            description: String::new(),
            from_name: None,
            from_address: None,
            reply_to: None,
            digest_subject: None,
            created_at: Utc::now(),
            schedule: None,
            timezone: None,
            min_items: 1,
            welcome_subject: None,
            welcome_body: None,
            language: None,
            public_archive: true,
            next_run_at: None,
        };
        let items = [item(
            "Rates <rise>",
            "https://news.example/rates?a=1&b=2",
            "Markets \"react\"",
        )];
        let c = render(&t, &n, &items, Utc::now(), None).unwrap();
        assert!(c.subject.starts_with("Daily briefing — "), "{}", c.subject);
        assert!(
            c.text.contains("Rates <rise>")
                && c.text.contains("https://news.example/rates?a=1&b=2")
        );
        assert!(c.html.contains("Rates &lt;rise&gt;") && !c.html.contains("<rise>"));
        let links = PersonalLinks {
            unsubscribe: "https://h.example/subscriptions/unsubscribe?token=7-ab",
            manage: "https://h.example/subscriptions/manage?token=3-cd&x=1",
        };
        let (text, html) = personalise(&c.text, &c.html, &links);
        assert!(
            text.contains("Unsubscribe: https://h.example/subscriptions/unsubscribe?token=7-ab")
        );
        assert!(html.contains("href=\"https://h.example/subscriptions/unsubscribe?token=7-ab\""));
        assert!(text.contains(
            "Manage your newsletters: https://h.example/subscriptions/manage?token=3-cd&x=1"
        ));
        assert!(html.contains("href=\"https://h.example/subscriptions/manage?token=3-cd&amp;x=1\""));
        for s in [UNSUBSCRIBE_SENTINEL, MANAGE_SENTINEL] {
            assert!(!html.contains(s) && !text.contains(s));
        }
        let custom = render(&t, &n, &items, Utc::now(), Some("  Special\nedition ")).unwrap();
        assert_eq!(custom.subject, "Special edition");
    }
}
