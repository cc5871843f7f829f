//! Turns a queued message into a MIME message.

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::store::QueuedMessage;

/// Bodies always go out quoted-printable with CRLF line endings, so no
/// content of ours (or a feed's) can end the SMTP DATA early with a bare LF
/// (RUSTSEC-2026-0561, unfixed in the lettre available here).
fn part(content_type: ContentType, body: &str) -> SinglePart {
    SinglePart::builder()
        .header(content_type)
        .header(ContentTransferEncoding::QuotedPrintable)
        .body(normalise_newlines(body))
}

/// Every line break becomes CRLF.
pub fn normalise_newlines(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 32);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            c => out.push(c),
        }
    }
    out
}

pub fn build_message(from: &Mailbox, m: &QueuedMessage) -> anyhow::Result<Message> {
    let to: Mailbox = m.recipient.parse()?;
    let text = m.body_text.as_deref().unwrap_or_default();
    let html = m.body_html.as_deref().unwrap_or_default();
    Ok(Message::builder()
        .from(from.clone())
        .to(to)
        .subject(m.subject.clone())
        .message_id(Some(m.message_id.clone()))
        .date_now()
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, text))
                .singlepart(part(ContentType::TEXT_HTML, html)),
        )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_line_feeds_cannot_end_the_data() {
        assert_eq!(normalise_newlines("a\nb\rc\r\nd"), "a\r\nb\r\nc\r\nd");
        let m = QueuedMessage {
            id: 1,
            kind: "confirm".into(),
            recipient: "a@example.com".into(),
            message_id: "<x@example.com>".into(),
            subject: "Hi".into(),
            body_text: Some("line\n.\nQUIT\n".into()),
            body_html: Some("<p>x</p>\n.\n".into()),
            attempts: 1,
            created_at: chrono::Utc::now(),
        };
        let msg = build_message(&"Herald <n@example.com>".parse().unwrap(), &m).unwrap();
        let raw = String::from_utf8(msg.formatted()).unwrap();
        assert!(raw.contains("Content-Transfer-Encoding: quoted-printable"));
        let bytes = raw.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'\n' => assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF in {raw:?}"),
                b'\r' => assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR in {raw:?}"),
                _ => {}
            }
        }
        assert!(raw.contains("Message-ID: <x@example.com>"));
    }
}
