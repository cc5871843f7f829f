//! Personalisation: a message rendered once for many readers carries a
//! sentinel where each reader's own link goes, filled in per copy. The one
//! place that knows how a link is written into each part.

use std::borrow::Cow;

/// Stands where each recipient's unsubscribe URL goes. Letters only, so
/// HTML escaping leaves it as it is.
pub const UNSUBSCRIBE_SENTINEL: &str = "HERALDUNSUBSCRIBEURLXQZ";

/// A reader's link as it goes into the text part and into the HTML part
/// (inside a double-quoted attribute).
pub fn link_forms(url: &str) -> (&str, Cow<'_, str>) {
    (url, html_escape::encode_double_quoted_attribute(url))
}

/// One recipient's copy of plain bodies: their own unsubscribe link in both
/// parts. (The delivery worker does the same on encoded bodies, through
/// [`super::QpTemplate`] and [`link_forms`].)
pub fn personalise(text: &str, html: &str, unsubscribe_url: &str) -> (String, String) {
    let (in_text, in_html) = link_forms(unsubscribe_url);
    (
        text.replace(UNSUBSCRIBE_SENTINEL, in_text),
        html.replace(UNSUBSCRIBE_SENTINEL, &in_html),
    )
}
