//! What a failed send means: the relay's reply classified for the retry
//! policy (worth another try, or not) and, where it says so, when to come
//! back. The SMTP transport and the delivery worker both read it.

use std::time::Duration;

/// A failed send, classified for the retry policy.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// True for 4xx replies, timeouts, refused or dropped connections:
    /// worth another try later. False for 5xx (but 552) and client errors.
    pub transient: bool,
    pub message: String,
    /// The relay's reply code, when it gave one.
    pub code: Option<u16>,
}

impl SendError {
    /// The relay refused the recipient for good: a 5xx reply other than
    /// 552 (which RFC 5321 lets mean "too many recipients, try later"),
    /// about the recipient rather than about us. A relay that refuses
    /// every message (530 authentication required, 554 5.7.1 relaying
    /// denied, a syntax error) must not suppress the whole list, so with
    /// an enhanced status code (RFC 3463) only the addressing (5.1.x),
    /// mailbox (5.2.x, but 5.2.2 "mailbox full") and routing (5.4.x)
    /// classes count; without one, 550, 551 and 553.
    pub fn is_hard_bounce(&self) -> bool {
        let Some(code) = self.code.filter(|c| (500..600).contains(c) && *c != 552) else {
            return false;
        };
        if self.transient {
            return false;
        }
        match enhanced_status(&self.message) {
            Some((class, detail)) => matches!(class, 1 | 4) || (class == 2 && detail != 2),
            None => matches!(code, 550 | 551 | 553),
        }
    }
}

/// The subject and detail of the first permanent enhanced status code
/// (`5.x.y`) in a reply.
fn enhanced_status(reply: &str) -> Option<(u16, u16)> {
    reply
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ':' | ',' | ';'))
        .find_map(|word| {
            let mut parts = word.split('.');
            let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
            let digits =
                |p: &str| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit());
            if class != "5" || parts.next().is_some() || !digits(subject) || !digits(detail) {
                return None;
            }
            Some((subject.parse().ok()?, detail.parse().ok()?))
        })
}

pub(super) fn classify(e: lettre::transport::smtp::Error) -> SendError {
    let code = e.status().map(|c| c.to_string());
    // RFC 5321 4.5.3.1.10: a 552 for too many recipients is really temporary.
    let permanent = (e.is_permanent() && code.as_deref() != Some("552")) || e.is_client();
    SendError {
        transient: !permanent,
        message: without_addresses(&e.to_string()),
        code: code.and_then(|c| c.parse().ok()),
    }
}

/// A relay's reply with every address in it (`<reader@example.com>:`)
/// replaced by `[address]`: replies end up in logs and in the failures
/// an admin lists, and need not carry whom they were about.
pub fn without_addresses(reply: &str) -> String {
    const AROUND: &[char] = &['<', '>', '(', ')', '[', ']', '"', '\'', ':', ';', ',', '.'];
    let mut out = String::with_capacity(reply.len());
    for (i, word) in reply.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let core = word.trim_matches(AROUND);
        match core.split_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
                let start = word.find(core).unwrap_or(0);
                out.push_str(&word[..start]);
                out.push_str("[address]");
                out.push_str(&word[start + core.len()..]);
            }
            _ => out.push_str(word),
        }
    }
    out
}

/// "try again in 120 seconds", "retry in 5 minutes": a server's own idea of
/// when to come back, at most a day.
pub fn retry_hint(reply: &str) -> Option<Duration> {
    let lower = reply.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.' || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(3).find_map(|w| {
        if w[0] != "in" {
            return None;
        }
        let n: u64 = w[1].parse().ok()?;
        let unit = match w[2] {
            u if u.starts_with("sec") || u == "s" => 1,
            u if u.starts_with("min") => 60,
            u if u.starts_with("hour") => 3600,
            _ => return None,
        };
        Some(Duration::from_secs((n * unit).min(86_400)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_lose_their_addresses() {
        assert_eq!(
            without_addresses("550 5.1.1 <ada@example.com>: Recipient address rejected"),
            "550 5.1.1 <[address]>: Recipient address rejected"
        );
        assert_eq!(
            without_addresses("552 mailbox of bob.smith+news@mail.example.org is full."),
            "552 mailbox of [address] is full."
        );
        assert_eq!(without_addresses("451 try later @ 5"), "451 try later @ 5");
    }

    fn refusal(code: u16, message: &str) -> SendError {
        SendError {
            transient: false,
            message: message.into(),
            code: Some(code),
        }
    }

    #[test]
    fn only_refusals_of_the_recipient_are_hard_bounces() {
        let hard = [
            (
                550,
                "permanent error (550): 5.1.1 <[address]>: Recipient address rejected",
            ),
            (550, "550 No such user here"),
            (553, "553 mailbox name not allowed"),
            (551, "551 User not local"),
            (
                550,
                "550 5.2.1 The email account that you tried to reach is disabled",
            ),
            (554, "554 5.4.4 Unable to route: no such domain"),
        ];
        for (code, message) in hard {
            assert!(refusal(code, message).is_hard_bounce(), "{message}");
        }
        let not_hard = [
            (552, "552 5.3.4 Too many recipients"),
            (530, "530 5.7.0 Authentication required"),
            (535, "535 Authentication credentials invalid"),
            (554, "554 5.7.1 Relay access denied"),
            (550, "550 5.7.1 Message rejected as spam"),
            (550, "550 5.2.2 Mailbox full"),
            (554, "554 Transaction failed"),
            (500, "500 Syntax error, command unrecognized"),
        ];
        for (code, message) in not_hard {
            assert!(!refusal(code, message).is_hard_bounce(), "{message}");
        }
        let mut later = refusal(550, "550 5.1.1 unknown");
        later.transient = true;
        assert!(!later.is_hard_bounce());
        assert!(!SendError {
            code: None,
            ..refusal(550, "client error")
        }
        .is_hard_bounce());
    }

    #[test]
    fn servers_say_when_to_come_back() {
        assert_eq!(
            retry_hint("451 4.7.1 Greylisted, try again in 300 seconds"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            retry_hint("421 retry in 2 minutes."),
            Some(Duration::from_secs(120))
        );
        assert_eq!(retry_hint("451 try later"), None);
        assert_eq!(
            retry_hint("in 99999 hours"),
            Some(Duration::from_secs(86_400))
        );
    }
}
