//! CSV import and export of a newsletter's subscribers: refusals, exact
//! counts and line numbers, confirmation mail for pending imports, consent
//! for confirmed ones, an export that imports back, and a 100,000-row file.

use std::collections::{BTreeSet, HashSet};
use std::time::Instant;

use serde_json::{json, Value};

use crate::helpers::{
    confirm, confirm_token_for, emails_to, random_hex, set_status, spawn_app, wait_for_emails,
    TestApp,
};

const IMPORT: &str = "/api/admin/newsletters/daily/subscribers/import";

async fn import_as(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Imports `csv` and returns the summary, checking for a 200.
async fn import(app: &TestApp, path: &str, csv: impl Into<reqwest::Body>) -> Value {
    let r = import_as(app, path, "text/csv", csv).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn error_of(r: reqwest::Response, status: u16) -> String {
    assert_eq!(r.status(), status);
    let body: Value = r.json().await.unwrap();
    body["error"].as_str().unwrap().to_string()
}

async fn export(app: &TestApp, slug: &str, query: &str) -> String {
    let r = app
        .admin_get(&format!(
            "/api/admin/newsletters/{slug}/subscribers/export{query}"
        ))
        .await;
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/csv"), "{ct}");
    r.text().await.unwrap()
}

/// The rows of an export, as (email, name, status) after checking its header.
fn export_rows(csv: &str) -> Vec<(String, String, String)> {
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("email,name,status,created_at,confirmed_at,unsubscribed_at")
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string(), r[2].to_string())
        })
        .collect()
}

/// An address unique to this test run, under a readable prefix.
fn addr(prefix: &str, run: &str) -> String {
    format!("{prefix}-{run}@example.com")
}

#[tokio::test]
async fn import_refuses_bad_requests_before_reading_rows() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let csv = "email\nsomeone@example.com\n";

    let r = app
        .client
        .post(app.url(IMPORT))
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r, 401).await, "unauthorized");

    let r = import_as(
        &app,
        "/api/admin/newsletters/nope/subscribers/import",
        "text/csv",
        csv,
    )
    .await;
    assert_eq!(error_of(r, 404).await, "not_found");

    for ct in ["application/json", "text/plain", "multipart/form-data"] {
        let r = import_as(&app, IMPORT, ct, csv).await;
        assert_eq!(error_of(r, 415).await, "unsupported_media_type", "{ct}");
    }
    let r = app
        .client
        .post(app.url(IMPORT))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "text/csv")
        .header("Content-Encoding", "gzip")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r, 415).await, "unsupported_media_type");

    let endless = format!("email\n{}\n", "x".repeat(200_000));
    for body in ["name,mail\nAda,ada@example.com\n", "", "\n\n", &endless] {
        let r = import_as(&app, IMPORT, "text/csv; charset=utf-8", body.to_string()).await;
        assert_eq!(error_of(r, 422).await, "invalid_csv", "{body:?}");
    }

    for query in [
        "?confirmed=true",
        "?confirmed=true&consent=",
        "?confirmed=1&consent=%20",
    ] {
        let r = import_as(&app, &format!("{IMPORT}{query}"), "text/csv", csv).await;
        assert_eq!(error_of(r, 422).await, "consent_required", "{query}");
    }
    let r = import_as(&app, &format!("{IMPORT}?confirmed=maybe"), "text/csv", csv).await;
    assert_eq!(r.status(), 400);

    let r = app
        .client
        .get(app.url("/api/admin/newsletters/daily/subscribers/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .admin_get("/api/admin/newsletters/nope/subscribers/export")
        .await;
    assert_eq!(error_of(r, 404).await, "not_found");
    let r = app
        .admin_get("/api/admin/newsletters/daily/subscribers/export?status=gone")
        .await;
    assert_eq!(error_of(r, 422).await, "invalid_status");

    // Nothing was written by any of them.
    assert_eq!(export_rows(&export(&app, "daily", "").await), vec![]);
    assert!(app.store.message_counts().await.unwrap().is_empty());
}

#[tokio::test]
async fn import_counts_valid_invalid_duplicate_subscribed_and_erased_rows() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("other", "Other").await;
    let run = random_hex(10);
    let subscribed = addr("subscribed", &run);
    let left = addr("left", &run);
    let erased = addr("erased", &run);

    assert_eq!(app.signup(&subscribed, &["daily"]).await.status(), 202);
    let add = json!({ "email": left, "status": "confirmed", "consent": "paper form" });
    let r = app
        .client
        .post(app.url("/api/admin/newsletters/daily/subscribers"))
        .bearer_auth(&app.admin_token)
        .json(&add)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = set_status(&app, "daily", &left, "unsubscribed").await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.signup(&erased, &["other"]).await.status(), 202);
    let r = app
        .client
        .delete(app.url(&format!("/api/admin/subscribers/{erased}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    let ada = addr("ada", &run);
    let carol = addr("carol", &run);
    // A BOM, upper-case headers in another order, an ignored column, CRLF,
    // a blank line and a quoted name spanning two lines.
    let csv = format!(
        "\u{feff}Name,EMAIL,extra\r\n\
         \"Lovelace, Ada\",{ada},1\r\n\
         ,not-an-email,2\r\n\
         Bob,{},3\r\n\
         ,{subscribed},\r\n\
         ,{left},\r\n\
         ,{},\r\n\
         \"Multi\r\nline\",multi-{run}@example.com,\r\n\
         \r\n\
         ,  {carol}  ,\r\n\
         ,,\r\n\
         only-one-field\r\n\
         ,\"ctl\u{7}@example.com\",\r\n",
        ada.to_uppercase(),
        erased.replace("erased", "ERASED"),
    );
    let summary = import(&app, IMPORT, csv).await;
    assert_eq!(summary["imported"], 2, "{summary}");
    assert_eq!(summary["skipped"], 4, "{summary}");
    assert_eq!(summary["invalid_total"], 5, "{summary}");
    let invalid: Vec<(u64, String)> = summary["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert!(i["reason"].as_str().is_some_and(|r| !r.is_empty()), "{i}");
            (
                i["line"].as_u64().unwrap(),
                i["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        invalid,
        vec![
            (3, "not-an-email".to_string()),
            (8, format!("multi-{run}@example.com")),
            (12, String::new()),
            (13, String::new()),
            (14, "ctl@example.com".to_string()),
        ]
    );

    assert_eq!(
        app.status_of("daily", &ada).await.as_deref(),
        Some("pending")
    );
    assert_eq!(
        app.status_of("daily", &carol).await.as_deref(),
        Some("pending")
    );
    assert_eq!(
        app.status_of("daily", &left).await.as_deref(),
        Some("unsubscribed")
    );
    assert_eq!(
        app.status_of("daily", &subscribed).await.as_deref(),
        Some("pending")
    );
    assert_eq!(app.status_of("daily", &erased).await, None);
    let r = app
        .admin_get(&format!("/api/admin/subscribers/{erased}"))
        .await;
    assert_eq!(r.status(), 404, "an erased address stays erased");
    let data: Value = app
        .admin_get(&format!("/api/admin/subscribers/{ada}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(data["name"], "Lovelace, Ada");

    // The same file again adds nothing.
    let again = import(&app, IMPORT, format!("email\n{ada}\n{carol}\n")).await;
    assert_eq!(again["imported"], 0);
    assert_eq!(again["skipped"], 2);
    assert_eq!(again["invalid"], json!([]));
}

#[tokio::test]
async fn a_pending_import_sends_confirmations_that_confirm() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("other", "Other").await;
    let run = random_hex(10);
    let (one, two, recent) = (addr("one", &run), addr("two", &run), addr("recent", &run));
    // `recent` had a confirmation moments ago: the cooldown holds the next.
    assert_eq!(app.signup(&recent, &["other"]).await.status(), 202);
    wait_for_emails(&recent, 1).await;

    let summary = import(
        &app,
        IMPORT,
        format!("email,name\n{one},One\n{two},\n{recent},\n"),
    )
    .await;
    assert_eq!(summary["imported"], 3, "{summary}");
    assert_eq!(summary["skipped"], 0);

    let token = confirm_token_for(&one).await;
    let emails = wait_for_emails(&two, 1).await;
    assert_eq!(emails.len(), 1);
    assert!(emails[0]["subject"].as_str().unwrap().contains("Daily"));
    let r = confirm(&app, &token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.status_of("daily", &one).await.as_deref(),
        Some("confirmed")
    );
    assert_eq!(
        app.status_of("daily", &two).await.as_deref(),
        Some("pending")
    );

    let data: Value = app
        .admin_get(&format!("/api/admin/subscribers/{two}"))
        .await
        .json()
        .await
        .unwrap();
    let consent = &data["consent"][0];
    assert_eq!(consent["action"], "requested");
    assert_eq!(consent["form"], "import");

    app.wait_queue_drained().await;
    assert_eq!(emails_to(&recent).await.len(), 1, "the cooldown holds");
    assert_eq!(
        app.status_of("daily", &recent).await.as_deref(),
        Some("pending")
    );
}

#[tokio::test]
async fn a_confirmed_import_records_the_consent_note_and_sends_nothing() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let run = random_hex(10);
    let email = addr("fair", &run);
    let summary = import(
        &app,
        &format!("{IMPORT}?confirmed=true&consent=Signed%20up%20at%20the%20book%20fair"),
        format!("email\n{email}\n"),
    )
    .await;
    assert_eq!(summary["imported"], 1, "{summary}");

    let data: Value = app
        .admin_get(&format!("/api/admin/subscribers/{email}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(data["subscriptions"][0]["status"], "confirmed");
    assert!(data["subscriptions"][0]["confirmed_at"].is_string());
    let consent = data["consent"].as_array().unwrap();
    assert_eq!(consent.len(), 1, "{data}");
    assert_eq!(consent[0]["action"], "confirmed");
    assert_eq!(consent[0]["form"], "import");
    assert_eq!(consent[0]["note"], "Signed up at the book fair");
    assert!(app.store.message_counts().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_export_imports_back_into_another_newsletter() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("weekly", "Weekly").await;
    let run = random_hex(10);
    let names = ["Ada", "Lovelace, Ada", "\"Quoted\" Name", "Ünïcødé", ""];
    let mut csv = String::from("email,name\n");
    for (i, name) in names.iter().enumerate() {
        let name = name.replace('"', "\"\"");
        csv.push_str(&format!("{},\"{name}\"\n", addr(&format!("r{i}"), &run)));
    }
    let confirmed = "?confirmed=true&consent=exported";
    let summary = import(&app, &format!("{IMPORT}{confirmed}"), csv).await;
    assert_eq!(summary["imported"], 5, "{summary}");
    let unsubscribed = addr("r0", &run);
    let r = set_status(&app, "daily", &unsubscribed, "unsubscribed").await;
    assert_eq!(r.status(), 200);

    let exported = export(&app, "daily", "").await;
    let rows = export_rows(&exported);
    assert_eq!(rows.len(), 5);
    let first = csv::Reader::from_reader(exported.as_bytes())
        .records()
        .next()
        .unwrap()
        .unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&first[3]).is_ok(),
        "{exported}"
    );
    assert!(
        chrono::DateTime::parse_from_rfc3339(&first[5]).is_ok(),
        "{exported}"
    );
    let confirmed_only = export_rows(&export(&app, "daily", "?status=confirmed").await);
    assert_eq!(confirmed_only.len(), 4);

    let weekly = "/api/admin/newsletters/weekly/subscribers/import";
    let summary = import(&app, &format!("{weekly}{confirmed}"), exported).await;
    assert_eq!(summary["imported"], 5, "{summary}");
    let pairs = |rows: Vec<(String, String, String)>| -> BTreeSet<(String, String)> {
        rows.into_iter().map(|(e, n, _)| (e, n)).collect()
    };
    let back = export_rows(&export(&app, "weekly", "").await);
    assert_eq!(pairs(back), pairs(rows));
}

#[tokio::test]
async fn a_100k_row_import_is_exact_and_exports_whole() {
    const ROWS: usize = 100_000;
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let run = random_hex(8);
    // Every 1000th row repeats the one before it; every 10,000th is invalid.
    let mut csv = String::with_capacity(ROWS * 40);
    csv.push_str("email,name\n");
    let mut expected = HashSet::new();
    let mut invalid_lines = Vec::new();
    for i in 0..ROWS {
        let line = i as u64 + 2;
        if i % 10_000 == 5_000 {
            csv.push_str("not an address,\n");
            invalid_lines.push(line);
        } else if i % 1000 == 999 {
            csv.push_str(&format!("bulk{}-{run}@example.com,\n", i - 1));
        } else {
            let email = format!("bulk{i}-{run}@example.com");
            csv.push_str(&format!("{email},Reader {i}\n"));
            expected.insert(email);
        }
    }
    let started = Instant::now();
    let summary = import(
        &app,
        &format!("{IMPORT}?confirmed=true&consent=bulk%20test"),
        csv,
    )
    .await;
    let took = started.elapsed();
    assert_eq!(summary["imported"], expected.len() as u64, "{summary}");
    assert_eq!(summary["imported"], 99_890);
    assert_eq!(summary["skipped"], 100);
    assert_eq!(summary["invalid_total"], 10);
    let lines: Vec<u64> = summary["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, invalid_lines);
    eprintln!("imported {ROWS} rows in {took:?}");

    let exported = export(&app, "daily", "").await;
    let rows = export_rows(&exported);
    assert_eq!(rows.len(), expected.len());
    let got: HashSet<String> = rows.into_iter().map(|(e, _, _)| e).collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn repeats_in_other_batches_are_skipped_and_the_first_name_kept() {
    // More rows than any backend's batch, then the same addresses again in
    // reverse with other names: every repeat lands in another batch than
    // its first occurrence, some right across a batch boundary.
    const ROWS: usize = 12_000;
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let run = random_hex(8);
    let email = |i: usize| format!("rep{i}-{run}@example.com");
    let mut csv = String::from("email,name\n");
    for i in 0..ROWS {
        csv.push_str(&format!("{},First {i}\n", email(i)));
    }
    for i in (0..ROWS).rev() {
        csv.push_str(&format!("{},Second {i}\n", email(i)));
    }
    let summary = import(
        &app,
        &format!("{IMPORT}?confirmed=true&consent=repeats"),
        csv,
    )
    .await;
    assert_eq!(summary["imported"], ROWS as u64, "{summary}");
    assert_eq!(summary["skipped"], ROWS as u64, "{summary}");
    assert_eq!(summary["invalid_total"], 0, "{summary}");

    let rows = export_rows(&export(&app, "daily", "").await);
    assert_eq!(rows.len(), ROWS);
    for (email, name, status) in rows {
        let i: usize = email[3..email.find('-').unwrap()].parse().unwrap();
        assert_eq!(name, format!("First {i}"), "{email}");
        assert_eq!(status, "confirmed");
    }
    // One consent record per imported address, none for the repeats.
    let data: Value = app
        .admin_get(&format!("/api/admin/subscribers/{}", email(ROWS - 1)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(data["consent"].as_array().unwrap().len(), 1, "{data}");
}
