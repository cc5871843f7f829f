//! Personalisation: a message rendered once for many readers carries
//! sentinels where each reader's own links go (unsubscribe, manage),
//! filled in per copy. The one place that knows how a link is written into
//! each part.

use std::borrow::Cow;

/// Stands where each recipient's unsubscribe URL goes. Letters only, so
/// HTML escaping leaves it as it is.
pub const UNSUBSCRIBE_SENTINEL: &str = "HERALDUNSUBSCRIBEURLXQZ";
/// Stands where each recipient's preference-page URL goes.
pub const MANAGE_SENTINEL: &str = "HERALDMANAGEURLXQZ";
/// Both, in the order [`PersonalLinks::values`] gives their values.
pub const SENTINELS: [&str; 2] = [UNSUBSCRIBE_SENTINEL, MANAGE_SENTINEL];

/// One reader's links.
#[derive(Debug, Clone, Copy)]
pub struct PersonalLinks<'a> {
    pub unsubscribe: &'a str,
    pub manage: &'a str,
}

impl PersonalLinks<'_> {
    /// The links as they go into the text part, in [`SENTINELS`] order.
    pub fn in_text(&self) -> [Cow<'_, str>; 2] {
        [Cow::Borrowed(self.unsubscribe), Cow::Borrowed(self.manage)]
    }

    /// The links as they go into the HTML part (inside double-quoted
    /// attributes and text alike), in [`SENTINELS`] order.
    pub fn in_html(&self) -> [Cow<'_, str>; 2] {
        [
            html_escape::encode_double_quoted_attribute(self.unsubscribe),
            html_escape::encode_double_quoted_attribute(self.manage),
        ]
    }
}

/// One recipient's copy of plain bodies: their own links in both parts.
/// (The delivery worker does the same on encoded bodies, through
/// [`super::QpTemplate`] and [`PersonalLinks`].)
pub fn personalise(text: &str, html: &str, links: &PersonalLinks<'_>) -> (String, String) {
    let fill = |body: &str, values: [Cow<'_, str>; 2]| {
        let mut out = body.to_string();
        for (sentinel, value) in SENTINELS.iter().zip(values) {
            out = out.replace(sentinel, &value);
        }
        out
    };
    (fill(text, links.in_text()), fill(html, links.in_html()))
}

/// The public copy of an HTML body (the archive's): where each reader's
/// own links went, `public_url` (a page that needs no token) goes, so no
/// copy a stranger sees ever carries one.
pub fn public_html(html: &str, public_url: &str) -> String {
    let links = PersonalLinks {
        unsubscribe: public_url,
        manage: public_url,
    };
    personalise("", html, &links).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_copy_has_no_sentinel_left() {
        let html = format!(
            "<a href=\"{UNSUBSCRIBE_SENTINEL}\">Unsubscribe</a> <a href=\"{MANAGE_SENTINEL}\">Manage</a>"
        );
        let out = public_html(&html, "https://h.example/newsletters/daily?a=1&b=2");
        assert_eq!(
            out,
            "<a href=\"https://h.example/newsletters/daily?a=1&amp;b=2\">Unsubscribe</a> \
             <a href=\"https://h.example/newsletters/daily?a=1&amp;b=2\">Manage</a>"
        );
    }
}
