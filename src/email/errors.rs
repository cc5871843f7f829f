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
    /// 552 (which RFC 5321 lets mean "too many recipients, try later").
    pub fn is_hard_bounce(&self) -> bool {
        !self.transient && self.code.is_some_and(|c| (500..600).contains(&c) && c != 552)
    }
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
