//! Import refusals before any row is read, and exact counts and line
//! numbers for valid, invalid, duplicate, subscribed and erased rows.

use serde_json::{json, Value};

use crate::helpers::{random_hex, set_status, spawn_app};

use super::*;

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
