//! A newsletter's welcome email, from its subject and Markdown body, and
//! the email that carries a reader's link to their preference page.

use pulldown_cmark::{Event, Options, Parser};
use serde_json::json;

use super::{new_message_id, Templates, MANAGE_SENTINEL, UNSUBSCRIBE_SENTINEL};
use crate::config::Config;
use crate::domain::MessageKind;
use crate::store::{NewMessage, Newsletter};

/// Markdown as HTML for an email: HTML written inside the Markdown is shown
/// as text, and links keep only http, https and mailto targets.
pub fn markdown_html(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).map(|e| match e {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        e => e,
    });
    let mut html = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events);
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean(&html)
        .to_string()
}

/// The newsletter's welcome to `recipient`, if it has one. The reader's
/// unsubscribe and manage links are filled in when it is sent.
pub fn welcome_message(
    templates: &Templates,
    config: &Config,
    recipient: &str,
    n: &Newsletter,
) -> anyhow::Result<Option<NewMessage>> {
    let (Some(subject), Some(body)) = (&n.welcome_subject, &n.welcome_body) else {
        return Ok(None);
    };
    let rendered = templates.render_email(
        "welcome",
        json!({
            "subject": subject,
            "body_text": body,
            "body_html": markdown_html(body),
            "newsletter": { "name": n.name, "description": n.description },
            "lang": n.lang(templates.look().language),
            "unsubscribe_url": UNSUBSCRIBE_SENTINEL,
            "manage_url": MANAGE_SENTINEL,
        }),
    )?;
    Ok(Some(NewMessage {
        kind: MessageKind::Welcome,
        recipient: recipient.to_string(),
        message_id: new_message_id(&config.from),
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        sender: n.sender(),
        reply_to: n.reply_to.clone(),
        subscription_id: None,
    }))
}

/// The email with a reader's preference-page link, asked for by address.
pub fn manage_link_message(
    templates: &Templates,
    config: &Config,
    recipient: &str,
    manage_url: &str,
) -> anyhow::Result<NewMessage> {
    let rendered = templates.render_email("manage", json!({ "manage_url": manage_url }))?;
    Ok(NewMessage {
        kind: MessageKind::Manage,
        recipient: recipient.to_string(),
        message_id: new_message_id(&config.from),
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        sender: None,
        reply_to: None,
        subscription_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_comes_out_inert() {
        let html = markdown_html(
            "# Welcome\n\n**Glad** you're here. <script>alert(1)</script>\n\n\
             [home](https://news.example/) [bad](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        assert!(
            html.contains("<h1>Welcome</h1>") && html.contains("<strong>Glad</strong>"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;") && !html.contains("<script"),
            "{html}"
        );
        assert!(html.contains("href=\"https://news.example/\""), "{html}");
        assert!(
            !html.contains("javascript:") && !html.contains("<img"),
            "{html}"
        );
    }
}
