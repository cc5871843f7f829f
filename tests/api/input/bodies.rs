//! Request bodies: unparsable, badly encoded, too large, chunked, or of an
//! unsupported type.

use serde_json::json;

use crate::helpers::{random_hex, spawn_app, subscribers, unique_email, TestApp};

use super::*;

#[tokio::test]
async fn unparsable_or_incomplete_bodies_get_400() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let json_ct: Headers = vec![("Content-Type", "application/json")];
    let form_ct: Headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
    let email = unique_email();
    let cases: Vec<(&str, &Headers, String)> = vec![
        (
            "unparsable JSON",
            &json_ct,
            format!("{{\"email\": \"{email}\""),
        ),
        ("not JSON at all", &json_ct, "email=x@example.com".into()),
        ("empty JSON body", &json_ct, String::new()),
        (
            "JSON without email",
            &json_ct,
            r#"{"newsletter":"daily"}"#.into(),
        ),
        (
            "email is a number",
            &json_ct,
            r#"{"email":42,"newsletter":"daily"}"#.into(),
        ),
        (
            "email is null",
            &json_ct,
            r#"{"email":null,"newsletter":"daily"}"#.into(),
        ),
        (
            "newsletters is a string",
            &json_ct,
            format!(r#"{{"email":"{email}","newsletters":"daily"}}"#),
        ),
        (
            "an array, not an object",
            &json_ct,
            format!(r#"[{{"email":"{email}"}}]"#),
        ),
        (
            "form without email",
            &form_ct,
            "newsletter=daily&name=Ada".into(),
        ),
        ("empty form", &form_ct, String::new()),
    ];
    for (what, headers, body) in cases {
        let r = post_raw(&app, "/subscriptions", headers, body).await;
        assert_eq!(r.status(), 400, "{what}");
        let body = error_json(r).await;
        assert_eq!(body["error"], "bad_request", "{what}");
    }
    assert_nothing_stored(&app, "daily").await;
}

/// A form body must be valid percent-encoded UTF-8: the server must not
/// silently replace what it can't decode and store the result.
#[tokio::test]
async fn a_form_with_invalid_encoding_gets_400() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let ct = [("Content-Type", "application/x-www-form-urlencoded")];
    let email = unique_email();
    let at = email.replace('@', "%40");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "percent-encoded invalid UTF-8 in name",
            format!("email={at}&newsletter=daily&name=Ada%FF%FE").into_bytes(),
        ),
        ("raw invalid UTF-8 in name", {
            let mut b = format!("email={at}&newsletter=daily&name=Ada").into_bytes();
            b.extend_from_slice(&[0xff, 0xfe, 0x80]);
            b
        }),
        (
            "malformed percent-escape in name",
            format!("email={at}&newsletter=daily&name=Ada%ZZ%4").into_bytes(),
        ),
        (
            "malformed percent-escape in email",
            format!(
                "email=reader%zz{}%40example.com&newsletter=daily",
                random_hex(8)
            )
            .into_bytes(),
        ),
    ];
    let mut failures = Vec::new();
    for (what, body) in cases {
        let r = post_raw(&app, "/subscriptions", &ct, body).await;
        let status = r.status();
        if status != 400 {
            failures.push(format!("{what}: {status} {}", r.text().await.unwrap()));
        }
    }
    let subs = subscribers(&app, "daily").await;
    assert!(
        failures.is_empty() && subs.is_empty(),
        "expected 400 and nothing stored; got {failures:#?}, stored {subs:#?}"
    );
}

#[tokio::test]
async fn bodies_over_16_kib_get_413_and_change_nothing() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let padding = "a".repeat(16 * 1024);

    let body = form(&[
        ("email", &email),
        ("newsletter", "daily"),
        ("name", &padding),
    ]);
    assert!(body.len() > 16 * 1024);
    let r = app.post_form("/subscriptions", &body).await;
    assert_eq!(r.status(), 413);
    assert_eq!(error_json(r).await["error"], "payload_too_large");

    let r = app
        .post_json(
            "/subscriptions",
            &json!({ "email": email, "newsletter": "daily", "website": "", "name": padding }),
        )
        .await;
    assert_eq!(r.status(), 413);
    assert_eq!(error_json(r).await["error"], "payload_too_large");

    // Just at the limit it is read (and refused for its content, not its size).
    let overhead = json!({ "email": email, "newsletter": "daily", "name": "" })
        .to_string()
        .len();
    let name = "a".repeat(16 * 1024 - overhead);
    let body = json!({ "email": email, "newsletter": "daily", "name": name }).to_string();
    assert_eq!(body.len(), 16 * 1024);
    let r = post_raw(
        &app,
        "/subscriptions",
        &[("Content-Type", "application/json")],
        body,
    )
    .await;
    assert_eq!(
        r.status(),
        422,
        "a 16 KiB body is read; the name is too long"
    );

    // Without a Content-Length (chunked), the limit holds while reading.
    let status = chunked_post(
        &app,
        "application/json",
        &format!(r#"{{"email":"{email}","newsletter":"daily","name":"{padding}"}}"#),
    )
    .await;
    assert_eq!(status, 413);

    assert_eq!(app.status_of("daily", &email).await, None);
    assert_nothing_stored(&app, "daily").await;
}

/// Sends `body` as `Transfer-Encoding: chunked` (no Content-Length) over a
/// raw connection and returns the answer's status code.
async fn chunked_post(app: &TestApp, content_type: &str, body: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let mut request = format!(
        "POST /subscriptions HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for piece in body.as_bytes().chunks(4096) {
        request.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        request.extend_from_slice(piece);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    // The server may answer (and stop reading) before the whole body is in.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e) => {
                assert!(!answer.is_empty(), "no answer: {e}");
                break;
            }
        }
    }
    let head = String::from_utf8_lossy(&answer);
    head.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"))
}

#[tokio::test]
async fn bodies_without_a_supported_type_get_415() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let json_body = json!({ "email": email, "newsletter": "daily" }).to_string();
    let form_body = form(&[("email", &email), ("newsletter", "daily")]);
    let cases: Vec<(&str, Headers, String)> = vec![
        ("no Content-Type", vec![], json_body.clone()),
        ("no Content-Type, form body", vec![], form_body.clone()),
        (
            "text/plain",
            vec![("Content-Type", "text/plain")],
            json_body.clone(),
        ),
        (
            "text/plain for a form",
            vec![("Content-Type", "text/plain; charset=utf-8")],
            form_body.clone(),
        ),
        (
            "application/xml",
            vec![("Content-Type", "application/xml")],
            format!("<email>{email}</email>"),
        ),
        (
            "gzip JSON",
            vec![
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            json_body.clone(),
        ),
        (
            "deflate form",
            vec![
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Content-Encoding", "deflate"),
            ],
            form_body.clone(),
        ),
    ];
    for (what, headers, body) in cases {
        let r = post_raw(&app, "/subscriptions", &headers, body).await;
        assert_eq!(r.status(), 415, "{what}");
        assert_eq!(
            error_json(r).await["error"],
            "unsupported_media_type",
            "{what}"
        );
    }
    // A real gzip stream (of `{"email":…}`) is refused too, never inflated.
    let gzip: Vec<u8> = vec![
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0x56, 0x4a, 0xcd, 0x4d,
        0xcc, 0xcc, 0x51, 0xb2, 0x52, 0x4a, 0xd4, 0x48, 0xad, 0x48, 0xcc, 0x2d, 0xc8, 0x49, 0xd5,
        0x4b, 0xce, 0xcf, 0x55, 0xaa, 0x05, 0x00,
    ];
    let r = post_raw(
        &app,
        "/subscriptions",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
        ],
        gzip,
    )
    .await;
    assert_eq!(r.status(), 415);
    assert_nothing_stored(&app, "daily").await;
}
