//! Text from editors and feeds: plain text only, links only to http, https
//! and mailto. Feed content is written by strangers, so anything that looks
//! like HTML is cleaned with ammonia and then flattened to text.

/// Plain text: tags dropped (the content of `script` and `style` too),
/// entities decoded, control characters removed, whitespace collapsed.
pub fn plain_text(raw: &str) -> String {
    let cleaned = if raw.contains('<') || raw.contains('&') {
        let no_tags = ammonia::Builder::empty().clean(raw).to_string();
        html_escape::decode_html_entities(&no_tags).into_owned()
    } else {
        raw.to_string()
    };
    cleaned
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The URL if it is absolute and http, https or mailto; `None` otherwise
/// (`javascript:`, `data:`, relative links …).
pub fn safe_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.chars().any(char::is_control) {
        return None;
    }
    let url = url::Url::parse(raw).ok()?;
    matches!(url.scheme(), "http" | "https" | "mailto").then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_harmless_text() {
        assert_eq!(plain_text("Plain title"), "Plain title");
        assert_eq!(
            plain_text("<b>Big</b> news<script>alert(1)</script> &amp; more"),
            "Big news & more"
        );
        assert_eq!(plain_text("<img src=x onerror=alert(1)>Hi"), "Hi");
        assert_eq!(plain_text("a\n\tb\u{0}c"), "a b c");
        // Decoded text is escaped again by the templates, never trusted.
        assert_eq!(plain_text("&lt;script&gt;"), "<script>");
    }

    #[test]
    fn only_web_and_mail_links() {
        assert_eq!(
            safe_url(" https://example.com/a?b=1 ").as_deref(),
            Some("https://example.com/a?b=1")
        );
        assert!(safe_url("mailto:desk@example.com").is_some());
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "/relative",
            "ftp://x/y",
            "http://exa\nmple.com",
        ] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
    }
}
