//! Reading request bodies ourselves, so every route answers the same way:
//! 415 for a missing or unexpected content type, 413 past the size limit,
//! 400 for a body that doesn't parse. Nothing is ever decompressed.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Public routes take at most 16 KiB.
pub const PUBLIC_LIMIT: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Form,
    Json,
    Multipart,
}

/// The body's kind, from its `Content-Type`.
pub fn kind(req: &HttpRequest) -> Option<Kind> {
    let ct = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = ct.split(';').next()?.trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Some(Kind::Form),
        "application/json" => Some(Kind::Json),
        "multipart/form-data" => Some(Kind::Multipart),
        _ => None,
    }
}

pub fn unsupported_type(expected: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("send the body as {expected}"),
    )
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body is larger than {limit} bytes"),
    )
}

/// Reads the whole body, refusing it past `limit` bytes (before reading, when
/// `Content-Length` already says so), and refusing any `Content-Encoding`.
pub async fn read(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    if let Some(enc) = req.headers().get(header::CONTENT_ENCODING) {
        if enc.as_bytes() != b"identity" {
            return Err(unsupported_type("an uncompressed body"));
        }
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    // A client that trickles its body in is cut off: it would hold a
    // connection and a buffer for as long as it likes.
    let deadline = req
        .app_data::<web::Data<super::AppState>>()
        .map_or(std::time::Duration::from_secs(30), |s| {
            s.config.body_timeout
        });
    let reading = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
            if body.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    tokio::time::timeout(deadline, reading).await.map_err(|_| {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the body took too long to arrive",
        )
    })?
}

/// Form fields in order; repeated names stay repeated. Strict: a broken
/// `%` escape or bytes that aren't UTF-8 make the body unparsable (400),
/// rather than being carried on as replacement characters.
pub fn parse_form(bytes: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    bytes
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            Ok((decode_component(k)?, decode_component(v)?))
        })
        .collect()
}

fn decode_component(raw: &[u8]) -> Result<String, ApiError> {
    let bad = || ApiError::bad_request("invalid form: bad percent-encoding or not UTF-8");
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = raw.get(i + 1).copied().and_then(hex).ok_or_else(bad)?;
                let lo = raw.get(i + 2).copied().and_then(hex).ok_or_else(bad)?;
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad())
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))
}

/// A JSON body for an admin route: 415 unless `application/json`.
pub async fn json<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    parse_json(&json_bytes(req, payload, limit).await?)
}

/// A JSON body's bytes, unparsed (to hash them as sent): 415 unless
/// `application/json`.
pub async fn json_bytes(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    if kind(req) != Some(Kind::Json) {
        return Err(unsupported_type("application/json"));
    }
    read(req, payload, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_strictly() {
        let f =
            parse_form(b"email=a%40b.example&newsletter=x&newsletter=y&name=Ada+L&flag").unwrap();
        assert_eq!(f[0], ("email".into(), "a@b.example".into()));
        assert_eq!(f[2].1, "y");
        assert_eq!(f[3].1, "Ada L");
        assert_eq!(f[4], ("flag".into(), String::new()));
        assert_eq!(parse_form(b"name=J%C3%B6rg").unwrap()[0].1, "Jörg");
        for bad in [
            &b"name=Ada%FF"[..],
            b"name=%ZZ",
            b"name=%4",
            b"name=\xff",
            b"n=%+1",
        ] {
            assert!(parse_form(bad).is_err(), "{bad:?}");
        }
    }
}
