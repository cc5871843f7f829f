//! The confirmation email, shared by signups, admin adds and imports.

use serde_json::json;

use super::Templates;
use crate::config::Config;
use crate::domain::{Language, MessageKind};
use crate::i18n::Catalogs;
use crate::store::{NewMessage, Newsletter};

/// Renders the confirmation for `recipient`, naming every newsletter in
/// `pending`. It holds no text the requester typed (no name, not even the
/// address), so a signup can't carry spam to a victim. The sender is the
/// first of `newsletters` that has its own, else the configured one.
pub fn confirmation_message(
    templates: &Templates,
    config: &Config,
    recipient: &str,
    confirm_url: &str,
    pending: &[String],
    newsletters: &[Newsletter],
) -> anyhow::Result<NewMessage> {
    let names: Vec<_> = pending.iter().map(|n| json!({ "name": n })).collect();
    // In the language of the newsletter signed up to (the first, if several).
    let lang = newsletters.first().map_or(templates.look().language, |n| {
        n.lang(templates.look().language)
    });
    let rendered = templates.render_email(
        "confirm",
        json!({
            "newsletters": names,
            "confirm_url": confirm_url,
            "expires_in": human_duration(templates.catalogs(), lang, config.confirm_ttl),
            "lang": lang,
        }),
    )?;
    let own = newsletters.iter().find(|n| n.from_address.is_some());
    Ok(NewMessage {
        kind: MessageKind::Confirm,
        recipient: recipient.to_string(),
        message_id: new_message_id(&config.from),
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        sender: own.and_then(Newsletter::sender),
        reply_to: newsletters.iter().find_map(|n| n.reply_to.clone()),
        subscription_id: None,
    })
}

/// A fresh `<random@sender-domain>`; it stays with the queued row, so a
/// retried delivery carries the same one.
pub fn new_message_id(from: &lettre::message::Mailbox) -> String {
    format!(
        "<{}@{}>",
        &crate::domain::token::generate()[..32],
        from.email.domain()
    )
}

/// "48 hours", "10 minutes", "3 days" (or "48 годин"), from the catalog.
pub fn human_duration(catalogs: &Catalogs, lang: Language, d: std::time::Duration) -> String {
    let s = d.as_secs();
    let (n, unit) = if s >= 86400 && s.is_multiple_of(86400) && s / 86400 > 2 {
        (s / 86400, "duration-days")
    } else if s >= 3600 {
        (s / 3600, "duration-hours")
    } else if s >= 60 {
        (s / 60, "duration-minutes")
    } else {
        (s, "duration-seconds")
    };
    catalogs.text_with(lang, unit, &[("count", (n as i64).into())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        use std::time::Duration;
        let c = Catalogs::load(None).unwrap();
        let en = |s| human_duration(&c, Language::En, Duration::from_secs(s));
        assert_eq!(en(48 * 3600), "48 hours");
        assert_eq!(en(3 * 86400), "3 days");
        assert_eq!(en(600), "10 minutes");
        assert_eq!(en(1), "1 second");
        let uk = |s| human_duration(&c, Language::Uk, Duration::from_secs(s));
        assert_eq!(uk(48 * 3600), "48 годин");
        assert_eq!(uk(3 * 86400), "3 дні");
        assert_eq!(uk(22 * 60), "22 хвилини");
    }
}
