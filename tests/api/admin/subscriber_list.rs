//! The subscriber list: status and timestamps, bad queries refused, and
//! paging that sees everyone once while signups continue.

use std::collections::HashSet;

use chrono::Utc;
use serde_json::Value;

use crate::helpers::{confirm, confirm_token_for, spawn_app, unique_email};

use super::*;

#[tokio::test]
async fn the_subscriber_list_shows_status_and_timestamps() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("weekly", "Weekly").await;
    let pending = unique_email();
    let confirmed = unique_email();
    let elsewhere = unique_email();
    let before = Utc::now() - chrono::Duration::seconds(5);
    assert_eq!(app.signup(&pending, &["daily"]).await.status(), 202);
    assert_eq!(app.signup(&confirmed, &["daily"]).await.status(), 202);
    assert_eq!(app.signup(&elsewhere, &["weekly"]).await.status(), 202);
    let token = confirm_token_for(&confirmed).await;
    let r = confirm(&app, &token).await;
    assert_eq!(r.status(), 200);

    let all = page(&app, "").await;
    assert_eq!(all["next"], Value::Null);
    let subs = all["subscribers"].as_array().unwrap();
    assert_eq!(
        subs.len(),
        2,
        "only this newsletter's subscribers: {subs:?}"
    );
    let find = |email: &str| {
        subs.iter()
            .find(|s| s["email"] == email)
            .unwrap_or_else(|| panic!("{email} listed"))
            .clone()
    };
    let p = find(&pending);
    let c = find(&confirmed);
    assert_eq!(p["status"], "pending");
    assert_eq!(c["status"], "confirmed");
    for s in [&p, &c] {
        for key in [
            "email",
            "name",
            "status",
            "created_at",
            "confirmed_at",
            "unsubscribed_at",
        ] {
            assert!(s.get(key).is_some(), "{key} in {s}");
        }
        let created = timestamp(&s["created_at"]);
        assert!(created >= before && created <= Utc::now(), "{created}");
        assert_eq!(s["unsubscribed_at"], Value::Null);
    }
    assert_eq!(p["confirmed_at"], Value::Null);
    let confirmed_at = timestamp(&c["confirmed_at"]);
    assert!(confirmed_at >= timestamp(&c["created_at"]));
    assert!(confirmed_at <= Utc::now());

    assert_eq!(
        emails(&page(&app, "status=pending").await),
        vec![pending.clone()]
    );
    assert_eq!(
        emails(&page(&app, "status=confirmed").await),
        vec![confirmed.clone()]
    );
    assert!(emails(&page(&app, "status=unsubscribed").await).is_empty());
    assert_eq!(emails(&page(&app, "status=").await).len(), 2);
    assert_eq!(emails(&page(&app, "limit=1000").await).len(), 2);
    let one = page(&app, "limit=1").await;
    assert_eq!(emails(&one).len(), 1);
    assert!(one["next"].is_string(), "{one}");
}

#[tokio::test]
async fn the_subscriber_list_refuses_bad_queries() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    assert_eq!(app.signup(&unique_email(), &["daily"]).await.status(), 202);

    for path in [
        "/api/admin/newsletters/nope/subscribers",
        "/api/admin/newsletters/nope/subscribers?status=pending",
        "/api/admin/newsletters/DAILY/subscribers",
        "/api/admin/newsletters/da%20ily/subscribers",
    ] {
        let r = app.admin_get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(error_code(r).await, "not_found", "{path}");
    }
    for query in [
        "status=bogus",
        "status=PENDING",
        "limit=0",
        "limit=1001",
        "after=garbage",
        "after=1;DROP",
    ] {
        let r = app
            .admin_get(&format!("/api/admin/newsletters/daily/subscribers?{query}"))
            .await;
        assert_eq!(r.status(), 422, "{query}");
        error_code(r).await;
    }
    for query in ["limit=-1", "limit=many", "limit=99999999999"] {
        let r = app
            .admin_get(&format!("/api/admin/newsletters/daily/subscribers?{query}"))
            .await;
        assert!(
            r.status() == 400 || r.status() == 422,
            "{query}: {}",
            r.status()
        );
    }
    // The list still answers.
    assert_eq!(emails(&page(&app, "").await).len(), 1);
}

#[tokio::test]
async fn paging_sees_every_subscriber_once_while_signups_continue() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let mut existing = HashSet::new();
    for _ in 0..25 {
        let email = unique_email();
        assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
        existing.insert(email);
    }

    let mut seen: Vec<String> = Vec::new();
    let mut added_later = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            None => "limit=7".to_string(),
            Some(c) => format!("limit=7&after={c}"),
        };
        let p = page(&app, &query).await;
        let batch = emails(&p);
        assert!(batch.len() <= 7, "{batch:?}");
        seen.extend(batch);
        pages += 1;
        assert!(pages < 20, "paging does not end");

        // Signups keep arriving between pages.
        for _ in 0..2 {
            let email = unique_email();
            assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
            added_later.insert(email);
        }

        match &p["next"] {
            Value::Null => break,
            Value::String(c) => {
                assert!(!c.is_empty());
                cursor = Some(c.clone());
            }
            other => panic!("next is {other}"),
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an address was listed twice");
    for email in &existing {
        assert!(unique.contains(email), "{email} never listed");
    }
    for email in &seen {
        assert!(
            existing.contains(email) || added_later.contains(email),
            "{email} is nobody's"
        );
    }
    assert!(pages >= 4, "25 addresses take at least 4 pages of 7");
}
