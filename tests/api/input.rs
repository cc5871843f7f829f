//! `POST /subscriptions` against hostile and malformed input: the address
//! rules, every 4xx the contract names, the honeypot and the rate limit.

use rand::Rng;
use serde_json::{json, Value};

use crate::helpers::{random_hex, spawn_app, spawn_app_with, subscribers, unique_email, TestApp};

const INVALID_EMAIL: &str = "Please, enter correct email address";

/// Request headers, as name/value pairs.
type Headers<'a> = Vec<(&'a str, &'a str)>;

/// A form body with every pair percent-encoded.
fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// Messages in the outgoing queue, whatever their state.
async fn all_messages(app: &TestApp) -> i64 {
    app.store
        .message_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .sum()
}

/// Nothing reached the database: no subscriber, no queued or sent email.
async fn assert_nothing_stored(app: &TestApp, slug: &str) {
    let subs = subscribers(app, slug).await;
    assert!(subs.is_empty(), "stored: {subs:?}");
    assert_eq!(
        app.message_count("queued").await + app.message_count("sent").await,
        0
    );
    assert_eq!(all_messages(app).await, 0);
}

/// A POST of raw bytes with the given headers.
async fn post_raw(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut req = app.client.post(app.url(path)).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn error_json(r: reqwest::Response) -> Value {
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "content type {ct}");
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    assert!(body["message"].is_string(), "{body}");
    body
}

/// `local@domain` where the domain (labels of at most 63 octets) makes the
/// whole address exactly `total` octets long, with a 64-octet local part.
fn address_of_length(total: usize) -> String {
    let local = random_hex(64);
    // "@", then labels each followed by a dot, then "com"
    let mut left = total - 64 - 1 - 3;
    let mut labels = Vec::new();
    let fill = ['d', 'e', 'f', 'g'];
    let mut i = 0;
    while left > 0 {
        // a label, plus the dot that follows it
        let len = (left - 1).min(63);
        assert!(len > 0);
        labels.push(fill[i % fill.len()].to_string().repeat(len));
        left -= len + 1;
        i += 1;
    }
    let address = format!("{local}@{}.com", labels.join("."));
    assert_eq!(address.len(), total);
    address
}

#[tokio::test]
async fn accepted_addresses_are_stored_normalised() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let ordinary = unique_email();
    let hex = random_hex(12);
    let long_local = format!("{}@example.com", random_hex(64));
    let longest = address_of_length(254);
    let cases: Vec<(String, String)> = vec![
        (ordinary.clone(), ordinary.clone()),
        (
            format!("  Reader-{hex}@Example.COM  "),
            format!("reader-{hex}@example.com"),
        ),
        (
            format!("u{hex}@bücher.example"),
            format!("u{hex}@xn--bcher-kva.example"),
        ),
        (long_local.clone(), long_local),
        (longest.clone(), longest),
    ];
    for (sent, stored) in &cases {
        let r = app
            .post_json(
                "/subscriptions",
                &json!({ "email": sent, "newsletter": "daily" }),
            )
            .await;
        assert_eq!(r.status(), 202, "{sent:?}: {}", r.text().await.unwrap());
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"status": "pending"})
        );
        assert_eq!(
            app.status_of("daily", stored).await.as_deref(),
            Some("pending"),
            "{sent:?} stored as {stored:?}"
        );
    }
    // The same address in another case and spacing is the same subscriber.
    let again = format!(" READER-{}@EXAMPLE.com", hex.to_uppercase());
    let r = app
        .post_form(
            "/subscriptions",
            &form(&[("email", &again), ("newsletter", "daily")]),
        )
        .await;
    assert_eq!(r.status(), 303);
    let subs = subscribers(&app, "daily").await;
    assert_eq!(subs.len(), cases.len(), "{subs:?}");
    for s in &subs {
        let email = s["email"].as_str().unwrap();
        assert_eq!(email, email.trim().to_lowercase());
    }
}

#[tokio::test]
async fn refused_addresses_get_422_and_store_nothing() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let cases: Vec<(&str, String)> = vec![
        ("no @", "plainaddress.example.com".into()),
        ("no dot in the domain", "abc@bar".into()),
        ("IPv4 literal", "a@127.0.0.1".into()),
        ("bracketed IP literal", "a@[127.0.0.1]".into()),
        ("IPv6 literal", "a@[IPv6:::1]".into()),
        (
            "65-octet local part",
            format!("{}@example.com", "a".repeat(65)),
        ),
        ("255 octets", address_of_length(255)),
        ("non-ASCII local part", "jörg@example.com".into()),
        ("CR LF", "a@example.com\r\nBcc: x@example.com".into()),
        ("LF", "a@example.com\nx@example.com".into()),
        ("NUL", "a\0@example.com".into()),
        ("empty", String::new()),
        ("blank", "   ".into()),
        ("no local part", "@example.com".into()),
        ("two @", "a@b@example.com".into()),
        ("space in the domain", "a@exa mple.com".into()),
    ];
    for (what, email) in &cases {
        let r = app
            .post_json(
                "/subscriptions",
                &json!({ "email": email, "newsletter": "daily" }),
            )
            .await;
        assert_eq!(r.status(), 422, "JSON, {what}: {email:?}");
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"error": "invalid_email", "message": INVALID_EMAIL}),
            "JSON, {what}"
        );

        let r = app
            .post_form(
                "/subscriptions",
                &form(&[("email", email), ("newsletter", "daily")]),
            )
            .await;
        assert_eq!(r.status(), 422, "form, {what}: {email:?}");
        assert!(
            r.text().await.unwrap().contains(INVALID_EMAIL),
            "form, {what}"
        );
    }
    for (_, email) in &cases {
        let key = email.trim().to_lowercase();
        assert_eq!(app.status_of("daily", &key).await, None, "{email:?}");
    }
    assert_nothing_stored(&app, "daily").await;
}

#[tokio::test]
async fn a_form_with_a_bad_address_gets_its_page_back_with_the_value_kept() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let r = app
        .post_form(
            "/subscriptions",
            "newsletter=daily&email=not-an-address&website=",
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert_eq!(html.matches(INVALID_EMAIL).count(), 1, "{html}");
    assert!(html.contains("value=\"not-an-address\""), "{html}");
    assert!(html.contains("Daily briefing"), "the newsletter's own page");
    assert!(
        html.contains("value=\"daily\""),
        "the form names the newsletter"
    );

    // The typed value is escaped, not echoed as markup.
    let r = app
        .post_form(
            "/subscriptions",
            &form(&[
                ("newsletter", "daily"),
                ("email", "\"><script>alert(1)</script>"),
            ]),
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains(INVALID_EMAIL));
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert_nothing_stored(&app, "daily").await;
}

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

#[tokio::test]
async fn refused_fields_get_422() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let json_cases = [
        (
            "unknown newsletter",
            json!({ "email": email, "newsletter": "nope" }),
        ),
        (
            "one unknown among several",
            json!({ "email": email, "newsletters": ["daily", "nope"] }),
        ),
        (
            "control character in the name",
            json!({ "email": email, "newsletter": "daily", "name": "Ada\u{7}" }),
        ),
        (
            "CR LF in the name",
            json!({ "email": email, "newsletter": "daily", "name": "Ada\r\nBcc: x@example.com" }),
        ),
        (
            "control character in the newsletter",
            json!({ "email": email, "newsletter": "daily\n" }),
        ),
        (
            "NUL in the newsletter",
            json!({ "email": email, "newsletters": ["da\u{0}ily"] }),
        ),
    ];
    for (what, body) in &json_cases {
        let r = app.post_json("/subscriptions", body).await;
        assert_eq!(r.status(), 422, "JSON, {what}");
        let body = error_json(r).await;
        assert_ne!(body["error"], "invalid_email", "JSON, {what}");
    }
    let form_cases = [
        (
            "unknown newsletter",
            form(&[("email", &email), ("newsletter", "nope")]),
        ),
        (
            "control character in the name",
            form(&[
                ("email", &email),
                ("newsletter", "daily"),
                ("name", "Ada\u{1b}[31m"),
            ]),
        ),
        (
            "control character in the newsletter",
            form(&[("email", &email), ("newsletter", "daily\r")]),
        ),
    ];
    for (what, body) in &form_cases {
        let r = app.post_form("/subscriptions", body).await;
        assert_eq!(r.status(), 422, "form, {what}");
    }
    assert_eq!(app.status_of("daily", &email).await, None);
    assert_nothing_stored(&app, "daily").await;
}

#[tokio::test]
async fn wrong_methods_get_405_with_a_json_body() {
    let app = spawn_app().await;
    let cases = [
        (reqwest::Method::PUT, "/subscriptions"),
        (reqwest::Method::GET, "/subscriptions"),
        (reqwest::Method::DELETE, "/subscriptions/confirm"),
        (reqwest::Method::PATCH, "/subscriptions/unsubscribe"),
        (reqwest::Method::POST, "/health"),
        (reqwest::Method::POST, "/subscriptions/pending"),
        (reqwest::Method::DELETE, "/"),
    ];
    for (method, path) in cases {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{method} {path}");
        let body = error_json(r).await;
        assert_eq!(body["error"], "method_not_allowed", "{method} {path}");
    }
}

#[tokio::test]
async fn unknown_paths_get_404() {
    let app = spawn_app().await;
    for path in ["/nope", "/subscriptions/nope", "/newsletters/daily/extra"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = app
        .client
        .post(app.url("/subscription"))
        .json(&json!({ "email": unique_email() }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app.client.get(app.url("/api/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_json(r).await["error"], "not_found");
}

#[tokio::test]
async fn a_filled_honeypot_is_answered_like_a_signup_and_dropped() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let bot_json = unique_email();
    let bot_form = unique_email();

    let r = app
        .post_json(
            "/subscriptions",
            &json!({ "email": bot_json, "newsletter": "daily", "website": "http://spam.example" }),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"status": "pending"})
    );

    let r = app
        .post_form(
            "/subscriptions",
            &form(&[
                ("email", &bot_form),
                ("newsletter", "daily"),
                ("website", "spam"),
            ]),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/subscriptions/pending");
    let honeypot_form_body = r.bytes().await.unwrap();

    assert_eq!(app.status_of("daily", &bot_json).await, None);
    assert_eq!(app.status_of("daily", &bot_form).await, None);
    assert_nothing_stored(&app, "daily").await;

    // A real signup gets the very same answers.
    let human = unique_email();
    let r = app
        .post_json(
            "/subscriptions",
            &json!({ "email": human, "newsletter": "daily", "website": "" }),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"status": "pending"})
    );
    let human2 = unique_email();
    let r = app
        .post_form(
            "/subscriptions",
            &form(&[("email", &human2), ("newsletter", "daily"), ("website", "")]),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/subscriptions/pending");
    assert_eq!(r.bytes().await.unwrap(), honeypot_form_body);
    assert_eq!(
        app.status_of("daily", &human).await.as_deref(),
        Some("pending")
    );
    assert_eq!(subscribers(&app, "daily").await.len(), 2);
}

fn retry_after(r: &reqwest::Response) -> u64 {
    let value = r
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap();
    let secs: u64 = value
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After {value:?} is not delta-seconds"));
    assert!(secs > 0, "Retry-After {secs}");
    secs
}

#[tokio::test]
async fn the_third_signup_in_a_minute_gets_429() {
    let app = spawn_app_with(&[("signup_rate", "2/min")]).await;
    app.add_newsletter("daily", "Daily").await;
    let (a, b, c) = (unique_email(), unique_email(), unique_email());
    assert_eq!(app.signup(&a, &["daily"]).await.status(), 202);
    assert_eq!(app.signup(&b, &["daily"]).await.status(), 202);
    let r = app.signup(&c, &["daily"]).await;
    assert_eq!(r.status(), 429);
    assert!(retry_after(&r) <= 60);
    assert_eq!(error_json(r).await["error"], "too_many_requests");
    // A form is limited the same way.
    let r = app
        .post_form(
            "/subscriptions",
            &form(&[("email", &c), ("newsletter", "daily")]),
        )
        .await;
    assert_eq!(r.status(), 429);
    retry_after(&r);
    assert_eq!(app.status_of("daily", &c).await, None);
    assert_eq!(subscribers(&app, "daily").await.len(), 2);
}

#[tokio::test]
async fn honeypot_hits_count_against_the_rate_limit() {
    let app = spawn_app_with(&[("signup_rate", "2/min")]).await;
    app.add_newsletter("daily", "Daily").await;
    let bot = json!({ "email": unique_email(), "newsletter": "daily", "website": "x" });
    assert_eq!(app.post_json("/subscriptions", &bot).await.status(), 202);
    assert_eq!(app.post_json("/subscriptions", &bot).await.status(), 202);
    let r = app.post_json("/subscriptions", &bot).await;
    assert_eq!(r.status(), 429);
    retry_after(&r);
    let human = unique_email();
    let r = app.signup(&human, &["daily"]).await;
    assert_eq!(r.status(), 429, "the bot's client has used its budget");
    assert_nothing_stored(&app, "daily").await;
}

async fn signup_from(app: &TestApp, forwarded_for: &str) -> reqwest::Response {
    app.client
        .post(app.url("/subscriptions"))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({ "email": unique_email(), "newsletter": "daily" }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_ip_has_its_own_budget() {
    let app = spawn_app_with(&[("signup_rate", "2/min"), ("trusted_proxies", "127.0.0.1")]).await;
    app.add_newsletter("daily", "Daily").await;
    for ip in ["203.0.113.7", "198.51.100.23", "2001:db8::1"] {
        assert_eq!(signup_from(&app, ip).await.status(), 202, "{ip} 1st");
        assert_eq!(signup_from(&app, ip).await.status(), 202, "{ip} 2nd");
        let r = signup_from(&app, ip).await;
        assert_eq!(r.status(), 429, "{ip} 3rd");
        retry_after(&r);
    }
    // The right-most untrusted hop counts: a spoofed left-most entry doesn't
    // buy a new budget.
    let r = signup_from(&app, "192.0.2.99, 203.0.113.7").await;
    assert_eq!(r.status(), 429);
    assert_eq!(subscribers(&app, "daily").await.len(), 6);
}

#[tokio::test]
async fn x_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(&[("signup_rate", "2/min")]).await;
    app.add_newsletter("daily", "Daily").await;
    assert_eq!(signup_from(&app, "203.0.113.1").await.status(), 202);
    assert_eq!(signup_from(&app, "203.0.113.2").await.status(), 202);
    let r = signup_from(&app, "203.0.113.3").await;
    assert_eq!(r.status(), 429, "the socket address counts, not the header");
    retry_after(&r);
}

#[tokio::test]
async fn no_input_produces_a_5xx() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let random: Vec<Vec<u8>> = {
        let mut rng = rand::rng();
        (0..8)
            .map(|i| (0..64 * (i + 1)).map(|_| rng.random::<u8>()).collect())
            .collect()
    };
    let deep_arrays = format!("{}{}", "[".repeat(4000), "]".repeat(4000));
    let deep_objects = format!("{}null{}", r#"{"email":"#.repeat(1500), "}".repeat(1500));
    let many: Vec<String> = (0..60).map(|i| format!("n{i}")).collect();
    let json_bodies: Vec<String> = vec![
        deep_arrays,
        deep_objects,
        r#"{"email":1e999999}"#.into(),
        r#"{"email":-123456789012345678901234567890123456789}"#.into(),
        format!(r#"{{"email":"{email}","name":1e400,"newsletter":"daily"}}"#),
        format!(r#"{{"email":"{email}","newsletters":[1e400]}}"#),
        r#"[]"#.into(),
        r#"[1,2,3]"#.into(),
        r#""x@example.com""#.into(),
        r#"null"#.into(),
        r#"{"email":null}"#.into(),
        r#"{"email":["x@example.com"]}"#.into(),
        r#"{"email":{"address":"x@example.com"}}"#.into(),
        r#"{"email":"x@example.com","email":"y@example.com","newsletter":"daily"}"#.into(),
        format!(r#"{{"email":"{email}","newsletters":[null]}}"#),
        json!({ "email": email, "newsletters": many }).to_string(),
        json!({ "email": email, "newsletter": "" }).to_string(),
        json!({ "email": email, "newsletter": "x".repeat(5000) }).to_string(),
        json!({ "email": "x".repeat(10000) }).to_string(),
        json!({ "email": format!("{}@example.com", "é".repeat(3000)) }).to_string(),
        json!({ "email": email, "newsletter": "daily", "name": "é".repeat(257) }).to_string(),
        json!({ "email": "\u{feff}x@example.com", "newsletter": "daily" }).to_string(),
        json!({ "email": "x@example.com\u{0}", "newsletter": "daily" }).to_string(),
        json!({ "email": "x@xn--.com", "newsletter": "daily" }).to_string(),
        json!({ "email": "x@\u{200b}.com", "newsletter": "daily" }).to_string(),
        r#"{"email":"\ud800@example.com","newsletter":"daily"}"#.into(),
        "\u{feff}{}".into(),
    ];
    let form_bodies: Vec<String> = vec![
        "email".into(),
        "=&=&&==".into(),
        "email=%00&newsletter=daily".into(),
        "email=a%40b.c&newsletter=%00".into(),
        "email=nope&newsletter=daily&page=%00".into(),
        "email=&email=&email=".into(),
        "%%%%%%".into(),
        format!("email={}", "%41".repeat(4000)),
        (0..60)
            .map(|i| format!("newsletter=n{i}&"))
            .collect::<String>()
            + "email=a%40example.com",
    ];

    let mut requests: Vec<(String, &str, Vec<u8>)> = Vec::new();
    for b in &json_bodies {
        requests.push(("json".into(), "application/json", b.clone().into_bytes()));
    }
    for b in &form_bodies {
        requests.push((
            "form".into(),
            "application/x-www-form-urlencoded",
            b.clone().into_bytes(),
        ));
    }
    for (i, b) in random.iter().enumerate() {
        requests.push((format!("random {i}"), "application/json", b.clone()));
        requests.push((
            format!("random {i}"),
            "application/x-www-form-urlencoded",
            b.clone(),
        ));
        requests.push((format!("random {i}"), "multipart/form-data", b.clone()));
    }
    let mut failures = Vec::new();
    for (what, ct, body) in requests {
        let shown = String::from_utf8_lossy(&body)
            .chars()
            .take(80)
            .collect::<String>();
        let r = post_raw(&app, "/subscriptions", &[("Content-Type", ct)], body).await;
        if r.status().is_server_error() {
            failures.push(format!("POST {what} {ct} {shown:?}: {}", r.status()));
        }
    }

    // Odd paths and links, too.
    for path in [
        "/newsletters/%FF%FE",
        "/newsletters/..%2F..%2Fetc%2Fpasswd",
        "/subscriptions/confirm?token=%00",
        "/subscriptions/confirm?token=%FF",
        "/subscriptions/unsubscribe?token=%00",
        "/subscriptions/unsubscribe?token=not.a.token",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        if r.status().is_server_error() {
            failures.push(format!("GET {path}: {}", r.status()));
        }
    }
    for (path, body) in [
        ("/subscriptions/confirm", "token=%00"),
        ("/subscriptions/confirm", "token=%FF%FE"),
        ("/subscriptions/confirm?token=%00", ""),
        (
            "/subscriptions/unsubscribe?token=%00",
            "List-Unsubscribe=One-Click",
        ),
        (
            "/subscriptions/unsubscribe?token=x",
            "List-Unsubscribe=One-Click",
        ),
    ] {
        let r = app.post_form(path, body).await;
        if r.status().is_server_error() {
            failures.push(format!("POST {path} {body:?}: {}", r.status()));
        }
    }
    assert!(failures.is_empty(), "5xx answers: {failures:#?}");

    // Nothing half-written by all that.
    assert_nothing_stored(&app, "daily").await;
    let r = app.signup(&email, &["daily"]).await;
    assert_eq!(r.status(), 202, "the server still works");
}

/// A NUL byte in a path segment reaches the database as text; PostgreSQL
/// refuses such a string, which must end as a 404, not a 500.
#[tokio::test]
async fn a_nul_byte_in_a_slug_is_a_404_not_a_5xx() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let mut answers = Vec::new();
    for path in [
        "/newsletters/%00",
        "/newsletters/daily%00",
        "/api/admin/newsletters/%00/subscribers",
    ] {
        let r = app.admin_get(path).await;
        answers.push((path, r.status().as_u16()));
    }
    assert!(
        answers.iter().all(|(_, s)| *s == 404),
        "expected 404 for each: {answers:?}"
    );
}

/// `X-Forwarded-For` may arrive as several header lines (a proxy that adds
/// its own line instead of appending to the client's); together they are one
/// list, and only its right-most untrusted entry may be believed.
#[tokio::test]
async fn a_client_cannot_escape_the_limit_with_its_own_forwarded_for_line() {
    let app = spawn_app_with(&[("signup_rate", "2/min"), ("trusted_proxies", "127.0.0.1")]).await;
    app.add_newsletter("daily", "Daily").await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        // The client's forged line first, then the line the proxy added.
        let r = app
            .client
            .post(app.url("/subscriptions"))
            .header("X-Forwarded-For", format!("192.0.2.{}", 10 + i))
            .header("X-Forwarded-For", "203.0.113.7")
            .json(&json!({ "email": unique_email(), "newsletter": "daily" }))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![202, 202, 429, 429], "all from 203.0.113.7");
}

/// RFC 9110 §15.5.6: a 405 answer MUST carry an `Allow` header listing the
/// methods the resource supports.
#[tokio::test]
async fn a_405_names_the_allowed_methods() {
    let app = spawn_app().await;
    let cases = [
        (reqwest::Method::PUT, "/subscriptions", &["POST"][..]),
        (
            reqwest::Method::DELETE,
            "/subscriptions/confirm",
            &["GET", "HEAD", "POST"][..],
        ),
        (reqwest::Method::POST, "/health", &["GET", "HEAD"][..]),
    ];
    let mut missing = Vec::new();
    for (method, path, want) in cases {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{method} {path}");
        let allow: Vec<String> = r
            .headers()
            .get_all("allow")
            .iter()
            .flat_map(|v| v.to_str().unwrap().split(','))
            .map(|m| m.trim().to_ascii_uppercase())
            .collect();
        if !want.iter().all(|m| allow.iter().any(|a| a == m)) {
            missing.push(format!("{method} {path}: Allow {allow:?}, want {want:?}"));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}
