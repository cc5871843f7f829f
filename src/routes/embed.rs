//! `GET /embed.js`: the script that turns a news site's `<form data-herald>`
//! into an in-place signup. Rendered once at start from `templates/embed.js`
//! (so an override in `HERALD_TEMPLATES_DIR` applies), with the
//! Subresource Integrity hash the console's snippet pins it by.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use sha2::{Digest, Sha384};

use super::AppState;
use crate::domain::Language;
use crate::email::Templates;

/// The script's bytes, its `ETag` and its `integrity` value.
pub struct EmbedScript {
    body: web::Bytes,
    etag: String,
    integrity: String,
}

impl EmbedScript {
    /// Renders the script; a broken override stops the start.
    pub fn render(templates: &Templates) -> anyhow::Result<Self> {
        let languages: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
        let body = templates.render("embed.js", serde_json::json!({ "languages": languages }))?;
        let digest = Sha384::digest(body.as_bytes());
        Ok(EmbedScript {
            etag: format!("\"{}\"", hex::encode(&digest[..16])),
            integrity: format!(
                "sha384-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ),
            body: web::Bytes::from(body),
        })
    }

    /// `sha384-…`, for the `integrity` attribute of the `<script>` tag.
    pub fn integrity(&self) -> &str {
        &self.integrity
    }

    /// True when an `If-None-Match` header names this version (or `*`).
    fn matches(&self, if_none_match: &str) -> bool {
        if_none_match
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == self.etag.as_str())
    }
}

#[utoipa::path(get, path = "/embed.js", tag = "public",
    params(("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer")),
    responses(
        (status = 200, description = "The signup script for news sites (`text/javascript`), cacheable for an hour, readable from any origin (for `integrity` with `crossorigin`)",
            content_type = "text/javascript", body = String,
            headers(
                ("ETag" = String, description = "This version of the script"),
                ("Cache-Control" = String, description = "public, max-age=3600"),
                ("Access-Control-Allow-Origin" = String, description = "*"),
            )),
        (status = 304, description = "`If-None-Match` names the current version"),
    ))]
pub async fn script(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let embed = &state.embed;
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| embed.matches(v));
    let mut resp = HttpResponse::build(if fresh {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    });
    resp.insert_header((header::ETAG, embed.etag.clone()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"));
    if fresh {
        return resp.finish();
    }
    resp.content_type("text/javascript; charset=utf-8")
        .body(embed.body.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_carries_both_languages_and_its_hash() {
        let s =
            EmbedScript::render(&Templates::new(crate::email::Look::builtin()).unwrap()).unwrap();
        let text = std::str::from_utf8(&s.body).unwrap();
        assert!(text.contains("\"Please, enter correct email address\""));
        assert!(text.contains("\"Ви успішно підписалися\""));
        assert!(text.contains("\"Будь ласка, введіть правильну адресу електронної пошти\""));
        // Every plural form of "try again in N seconds", with the number left to the script.
        assert!(text.contains("\"Too many attempts. Please try again in {seconds} seconds.\""));
        assert!(text.contains("за {seconds} секунди"), "{text}");
        assert!(text.contains("за {seconds} секунд.") && text.contains("за {seconds} секунду"));
        assert!(!text.contains("{{") && !text.contains("{%"));
        assert!(s.integrity().starts_with("sha384-") && s.integrity().len() == 71);
        assert!(s.matches(&s.etag) && s.matches("W/\"x\", *"));
        assert!(!s.matches("\"other\""));
    }
}
