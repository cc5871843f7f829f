//! Reading a report mailed to the bounce address with `mail-parser`: a
//! delivery status notification (RFC 3464, `multipart/report;
//! report-type=delivery-status`) or an abuse report (RFC 5965, ARF,
//! `report-type=feedback-report`). Anything else is `Other`.

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

/// One per-recipient block of a DSN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientStatus {
    /// `Final-Recipient` / `Original-Recipient`, the address only.
    pub final_recipient: Option<String>,
    pub original_recipient: Option<String>,
    /// `failed`, `delayed`, `delivered`, `relayed`, `expanded`.
    pub action: String,
    /// `5.1.1` and the like.
    pub status: String,
    pub diagnostic: Option<String>,
}

impl RecipientStatus {
    /// A permanent failure: action failed, status 5.x.x.
    pub fn is_hard(&self) -> bool {
        self.action.eq_ignore_ascii_case("failed") && self.status.starts_with("5.")
    }

    /// Whether the block names `email` (as final or original recipient).
    pub fn names(&self, email: &str) -> bool {
        [&self.final_recipient, &self.original_recipient]
            .into_iter()
            .flatten()
            .any(|a| a.eq_ignore_ascii_case(email))
    }

    /// What is kept as the suppression's evidence.
    pub fn evidence(&self) -> String {
        match &self.diagnostic {
            Some(d) => format!("{} {}", self.status, d),
            None => self.status.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// A DSN and its per-recipient blocks.
    Dsn(Vec<RecipientStatus>),
    /// An ARF report.
    Feedback {
        /// `abuse`, `fraud`, `not-spam`, …
        feedback_type: String,
        original_rcpt_to: Option<String>,
    },
    /// Not a report we read (why, for the log).
    Other(&'static str),
}

/// A report, and the envelope sender of the original message it returns
/// (its `Return-Path`), when the report carries the original's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub report: Report,
    pub original_return_path: Option<String>,
}

pub fn read(raw: &[u8]) -> Parsed {
    let parser = MessageParser::new();
    let Some(message) = parser.parse(raw) else {
        return Parsed {
            report: Report::Other("not a message"),
            original_return_path: None,
        };
    };
    let report_type = message
        .content_type()
        .filter(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
        .and_then(|ct| ct.attribute("report-type"))
        .map(str::to_ascii_lowercase);
    let report = match report_type.as_deref() {
        Some("delivery-status") => dsn(&message),
        Some("feedback-report") => feedback(&message),
        Some(_) => Report::Other("a report of another type"),
        None => Report::Other("not a multipart/report"),
    };
    Parsed {
        report,
        original_return_path: original_return_path(&message),
    }
}

/// The first part whose type is `message/{subtype}` (one of `subtypes`).
fn part_of<'a>(message: &'a Message<'_>, subtypes: &[&str]) -> Option<&'a [u8]> {
    message.parts.iter().skip(1).find_map(|p| {
        let ct = p.content_type()?;
        let wanted = ct.ctype().eq_ignore_ascii_case("message")
            && ct
                .subtype()
                .is_some_and(|s| subtypes.iter().any(|w| s.eq_ignore_ascii_case(w)));
        wanted.then(|| p.contents())
    })
}

/// Header-style field blocks separated by blank lines (RFC 3464 2.1).
fn blocks(body: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    text.split("\n\n")
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(|b| format!("{}\r\n\r\n", b.replace('\n', "\r\n")).into_bytes())
        .collect()
}

fn field(block: &Message<'_>, name: &str) -> Option<String> {
    block
        .header_raw(name)
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|v| !v.is_empty())
}

/// `rfc822; someone@example.com` → `someone@example.com`.
fn address(value: Option<String>) -> Option<String> {
    let value = value?;
    let address = value
        .split_once(';')
        .map_or(value.as_str(), |(_, a)| a)
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_ascii_lowercase();
    address.contains('@').then_some(address)
}

fn dsn(message: &Message<'_>) -> Report {
    let Some(body) = part_of(message, &["delivery-status", "global-delivery-status"]) else {
        return Report::Other("a DSN without a delivery-status part");
    };
    let parser = MessageParser::new();
    let recipients: Vec<RecipientStatus> = blocks(body)
        .iter()
        .filter_map(|b| {
            let fields = parser.parse_headers(b.as_slice())?;
            let action = field(&fields, "Action")?;
            let status = field(&fields, "Status")?
                .split_whitespace()
                .next()?
                .to_string();
            Some(RecipientStatus {
                final_recipient: address(field(&fields, "Final-Recipient")),
                original_recipient: address(field(&fields, "Original-Recipient")),
                action: action.to_ascii_lowercase(),
                status,
                diagnostic: field(&fields, "Diagnostic-Code"),
            })
        })
        .collect();
    if recipients.is_empty() {
        return Report::Other("a DSN without per-recipient fields");
    }
    Report::Dsn(recipients)
}

fn feedback(message: &Message<'_>) -> Report {
    let Some(body) = part_of(message, &["feedback-report"]) else {
        return Report::Other("an ARF report without a feedback-report part");
    };
    let parser = MessageParser::new();
    let Some(fields) = blocks(body)
        .first()
        .and_then(|b| parser.parse_headers(b.as_slice()).map(|m| m.into_owned()))
    else {
        return Report::Other("an empty feedback-report part");
    };
    let Some(feedback_type) = field(&fields, "Feedback-Type") else {
        return Report::Other("a feedback report without Feedback-Type");
    };
    Report::Feedback {
        feedback_type: feedback_type.to_ascii_lowercase(),
        original_rcpt_to: address(field(&fields, "Original-Rcpt-To")),
    }
}

/// The `Return-Path` of the returned original (a `message/rfc822` part or
/// `text/rfc822-headers`): where a report mailed to another of our
/// addresses (a feedback loop's) finds its VERP token.
fn original_return_path(message: &Message<'_>) -> Option<String> {
    let parser = MessageParser::new();
    message.parts.iter().skip(1).find_map(|p| {
        let headers = match &p.body {
            PartType::Message(m) => m.header_raw("Return-Path").map(str::to_string),
            _ => {
                let ct = p.content_type()?;
                let is_headers = ct.ctype().eq_ignore_ascii_case("text")
                    && ct
                        .subtype()
                        .is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers"));
                if !is_headers {
                    return None;
                }
                parser
                    .parse_headers(p.contents())
                    .and_then(|m| m.header_raw("Return-Path").map(str::to_string))
            }
        }?;
        let path = headers
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        (!path.is_empty()).then(|| path.to_string())
    })
}

#[cfg(test)]
mod tests;
