//! Cross-site request forgery: every state-changing console request must
//! come from the base URL's origin (`Origin`, else `Referer`), and every
//! form of a signed-in admin must carry the session's CSRF token.

use actix_web::http::header;
use actix_web::{web, HttpRequest};

use super::{session::Session, ConsoleError};
use crate::routes::{body, AppState};

const FORM_LIMIT: usize = 64 * 1024;

/// True when the request names the base URL's origin as its own.
pub fn same_origin(req: &HttpRequest, base_url: &str) -> bool {
    let Ok(base) = url::Url::parse(base_url) else {
        return false;
    };
    let want = base.origin().ascii_serialization();
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(origin) = header(header::ORIGIN) {
        return origin == want;
    }
    header(header::REFERER)
        .and_then(|r| url::Url::parse(r).ok())
        .is_some_and(|r| r.origin().ascii_serialization() == want)
}

/// Compares in time that depends only on the lengths.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A console form's fields.
pub struct Form(Vec<(String, String)>);

impl Form {
    /// The first value of a field, trimmed; `""` when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or_default()
    }

    /// The first value of a field as sent (passwords are not trimmed).
    pub fn raw(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// Checks the origin, then reads an urlencoded form.
pub async fn origin_checked_form(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<Form, ConsoleError> {
    if !same_origin(req, &state.config.base_url) {
        return Err(ConsoleError::Forbidden(
            "This request did not come from the console's own pages.",
        ));
    }
    if body::kind(req) != Some(body::Kind::Form) {
        return Err(body::unsupported_type("application/x-www-form-urlencoded").into());
    }
    let bytes = body::read(req, payload, FORM_LIMIT).await?;
    Ok(Form(body::parse_form(&bytes)?))
}

/// A signed-in admin's form: origin and CSRF token checked.
pub async fn form(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    session: &Session,
) -> Result<Form, ConsoleError> {
    let form = origin_checked_form(req, payload, state).await?;
    check_token(form.get("csrf"), session)?;
    Ok(form)
}

/// Checks a token sent outside a form (a header, for `fetch` uploads).
pub fn check_token(sent: &str, session: &Session) -> Result<(), ConsoleError> {
    if same_bytes(sent.as_bytes(), session.csrf.as_bytes()) {
        Ok(())
    } else {
        Err(ConsoleError::Forbidden(
            "The form's security token is missing or out of date. Reload the page and try again.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn origin_must_match_the_base_url() {
        let base = "http://127.0.0.1:8080";
        let ok = TestRequest::default()
            .insert_header(("Origin", "http://127.0.0.1:8080"))
            .to_http_request();
        assert!(same_origin(&ok, base));
        let evil = TestRequest::default()
            .insert_header(("Origin", "http://evil.test"))
            .to_http_request();
        assert!(!same_origin(&evil, base));
        let null = TestRequest::default()
            .insert_header(("Origin", "null"))
            .to_http_request();
        assert!(!same_origin(&null, base));
        let referer = TestRequest::default()
            .insert_header(("Referer", "http://127.0.0.1:8080/admin/newsletters"))
            .to_http_request();
        assert!(same_origin(&referer, base));
        let neither = TestRequest::default().to_http_request();
        assert!(!same_origin(&neither, base));
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"abc", b"ab"));
    }
}
