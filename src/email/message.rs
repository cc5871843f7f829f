//! Turns a queued message into a MIME message.

use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::Message;

/// Everything a message is built from.
pub struct Outgoing<'a> {
    pub from: Mailbox,
    pub reply_to: Option<&'a str>,
    pub to: &'a str,
    pub subject: &'a str,
    pub message_id: &'a str,
    pub text: BodyText<'a>,
    pub html: BodyText<'a>,
    /// Extra headers such as `List-Unsubscribe`; the values are encoded by
    /// lettre, so no CR or LF can start a header of its own.
    pub headers: Vec<(&'static str, String)>,
    /// The SMTP envelope sender (MAIL FROM) when it is not the From
    /// address: a VERP bounce address.
    pub envelope_from: Option<String>,
}

/// A body as given, or already quoted-printable (a [`QpTemplate`] filled in).
pub enum BodyText<'a> {
    Plain(&'a str),
    Owned(String),
    Encoded(Vec<u8>),
}

/// Bodies always go out quoted-printable with CRLF line endings, so no
/// content of ours (or a feed's) can end the SMTP DATA early with a bare LF
/// (RUSTSEC-2026-0561, unfixed in the lettre available here).
fn part(content_type: ContentType, body: BodyText<'_>) -> SinglePart {
    let encoded = match body {
        BodyText::Plain(s) => quoted_printable::encode(normalise_newlines(s)),
        BodyText::Owned(s) => quoted_printable::encode(normalise_newlines(&s)),
        BodyText::Encoded(bytes) => bytes,
    };
    SinglePart::builder()
        .header(content_type)
        .body(Body::dangerous_pre_encoded(
            encoded,
            ContentTransferEncoding::QuotedPrintable,
        ))
}

/// A body encoded once, quoted-printable, around placeholders that differ
/// per recipient (the unsubscribe and manage links). Filling them in
/// encodes only the values: a digest to 100,000 readers is encoded once,
/// not 100,000 times.
///
/// Each piece starts on a line of its own, joined by soft line breaks
/// (`=` CRLF, which decode to nothing), so no line grows past the 76
/// characters quoted-printable allows.
#[derive(Debug)]
pub struct QpTemplate {
    pieces: Vec<Vec<u8>>,
    /// Which placeholder stands before each piece but the first.
    slots: Vec<usize>,
}

impl QpTemplate {
    pub fn new(body: &str, placeholders: &[&str]) -> Self {
        let body = normalise_newlines(body);
        let (mut pieces, mut slots) = (Vec::new(), Vec::new());
        let mut rest = body.as_str();
        loop {
            let next = placeholders
                .iter()
                .enumerate()
                .filter_map(|(i, p)| rest.find(p).map(|at| (at, i, p.len())))
                .min();
            let Some((at, slot, len)) = next else {
                pieces.push(quoted_printable::encode(rest));
                break;
            };
            pieces.push(quoted_printable::encode(&rest[..at]));
            slots.push(slot);
            rest = &rest[at + len..];
        }
        Self { pieces, slots }
    }

    /// The body with `values[i]` wherever placeholder `i` stood.
    pub fn fill<S: AsRef<str>>(&self, values: &[S]) -> Vec<u8> {
        let values: Vec<Vec<u8>> = values
            .iter()
            .map(|v| quoted_printable::encode(v.as_ref()))
            .collect();
        let extra: usize = self.slots.iter().map(|s| values[*s].len() + 6).sum();
        let mut out = Vec::with_capacity(self.pieces.iter().map(Vec::len).sum::<usize>() + extra);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                if !(out.is_empty() || out.ends_with(b"\r\n")) {
                    out.extend_from_slice(b"=\r\n");
                }
                out.extend_from_slice(&values[self.slots[i - 1]]);
                out.extend_from_slice(b"=\r\n");
            }
            out.extend_from_slice(piece);
        }
        out
    }
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

pub fn build_message(m: Outgoing<'_>) -> anyhow::Result<Message> {
    let mut builder = Message::builder()
        .from(m.from)
        .to(m.to.parse()?)
        .subject(m.subject)
        .message_id(Some(m.message_id.to_string()))
        .date_now();
    if let Some(reply_to) = m.reply_to {
        builder = builder.reply_to(reply_to.parse()?);
    }
    if let Some(sender) = m.envelope_from {
        let to: lettre::Address = m.to.parse()?;
        builder = builder.envelope(lettre::address::Envelope::new(
            Some(sender.parse()?),
            vec![to],
        )?);
    }
    let mut message = builder.multipart(
        MultiPart::alternative()
            .singlepart(part(ContentType::TEXT_PLAIN, m.text))
            .singlepart(part(ContentType::TEXT_HTML, m.html)),
    )?;
    for (name, value) in m.headers {
        if value.chars().any(char::is_control) {
            anyhow::bail!("header {name} holds a control character");
        }
        message.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str(name),
            value,
        ));
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(text: &'a str, headers: Vec<(&'static str, String)>) -> Outgoing<'a> {
        Outgoing {
            from: "Herald <n@example.com>".parse().unwrap(),
            reply_to: None,
            to: "a@example.com",
            subject: "Hi",
            message_id: "<x@example.com>",
            text: BodyText::Plain(text),
            html: BodyText::Plain("<p>x</p>\n.\n"),
            headers,
            envelope_from: None,
        }
    }

    #[test]
    fn bare_line_feeds_cannot_end_the_data() {
        assert_eq!(normalise_newlines("a\nb\rc\r\nd"), "a\r\nb\r\nc\r\nd");
        let msg = build_message(sample("line\n.\nQUIT\n", vec![])).unwrap();
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

    #[test]
    fn list_headers_are_added_and_injection_refused() {
        let headers = vec![
            (
                "List-Unsubscribe",
                "<https://h.example/u?token=1-ab>".to_string(),
            ),
            (
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_string(),
            ),
        ];
        let raw =
            String::from_utf8(build_message(sample("x", headers)).unwrap().formatted()).unwrap();
        assert!(raw.contains("List-Unsubscribe: <https://h.example/u?token=1-ab>\r\n"));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        let evil = vec![("List-Id", "x\r\nBcc: victim@example.com".to_string())];
        assert!(build_message(sample("x", evil)).is_err());
    }

    #[test]
    fn a_filled_template_decodes_to_the_replaced_body() {
        let body = "Hello é\nUnsubscribe: @@ \n.\nlong ".to_string() + &"x".repeat(150) + "@@end\n";
        let url = "https://news.example/subscriptions/unsubscribe?token=123-abcdefabcdefabcdefabcdefabcdefabcdef0123456789";
        let filled = QpTemplate::new(&body, &["@@"]).fill(&[url]);
        let decoded =
            quoted_printable::decode(&filled, quoted_printable::ParseMode::Strict).unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            normalise_newlines(&body.replace("@@", url))
        );
        let text = String::from_utf8(filled).unwrap();
        for line in text.split("\r\n") {
            assert!(line.len() <= 76, "{line:?} is too long");
            assert!(!line.contains('\n') && !line.contains('\r'));
        }
        // No placeholder at all: the body as it is.
        assert_eq!(
            QpTemplate::new("plain\n", &["@@"]).fill(&[url]),
            quoted_printable::encode("plain\r\n")
        );
        // Two placeholders, each filled with its own value, wherever they are.
        let two = QpTemplate::new("a @U b @M c @U", &["@U", "@M"]).fill(&["1", "2"]);
        let decoded = quoted_printable::decode(&two, quoted_printable::ParseMode::Strict).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "a 1 b 2 c 1");
    }
}
