//! The suppression list: what it shows, lifting (by an admin, or by the
//! reader's own new confirmation), imports, admin adds and erasure.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::fake_smtp::FakeSmtp;
use crate::helpers::{
    add_confirmed, admin, admin_post, confirm, spawn_app_with, unique_email, wait_digest_status,
    TestApp,
};

use super::*;

/// A server whose relay refuses each of `dead` once, and those addresses
/// suppressed by a first digest.
async fn bounced(dead: &[String]) -> (TestApp, FakeSmtp) {
    let refused = dead.to_vec();
    let smtp = FakeSmtp::start(Arc::new(move |rcpt: &str, attempt: usize| {
        if attempt == 1 && refused.iter().any(|d| d == rcpt) {
            "550 5.1.1 User unknown".to_string()
        } else {
            "250 OK".to_string()
        }
    }))
    .await;
    let app = spawn_app_with(&[("smtp_url", &smtp.url), ("resend_cooldown", "0s")]).await;
    app.add_newsletter("daily", "Daily").await;
    for e in dead {
        add_confirmed(&app, "daily", e).await;
    }
    let id = start_digest(&app).await;
    wait_digest_status(&app, id, "sent").await;
    for e in dead {
        assert!(suppression_of(&app, e).await.is_some(), "{e} is suppressed");
    }
    (app, smtp)
}

async fn wait_messages(smtp: &FakeSmtp, rcpt: &str, n: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let m = smtp.messages(rcpt);
        if m.len() >= n || Instant::now() > deadline {
            assert_eq!(m.len(), n, "messages to {rcpt}");
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_new_signup_gets_its_confirmation_and_confirming_lifts_the_suppression() {
    let dead = unique_email();
    let (app, smtp) = bounced(std::slice::from_ref(&dead)).await;
    let r = app.signup(&dead, &["daily"]).await;
    assert_eq!(r.status(), 202);
    // Double opt-in is fresh consent: the confirmation goes out…
    let mails = wait_messages(&smtp, &dead, 1).await;
    assert_eq!(
        app.status_of("daily", &dead).await.as_deref(),
        Some("pending")
    );
    assert!(
        suppression_of(&app, &dead).await.is_some(),
        "lifted only by confirming"
    );
    // …and confirming lifts the suppression.
    let token = token_in_raw(&mails[0].1, "confirm");
    assert_eq!(confirm(&app, &token).await.status(), 200);
    assert!(suppression_of(&app, &dead).await.is_none());
    assert_eq!(
        app.status_of("daily", &dead).await.as_deref(),
        Some("confirmed")
    );
    let id = start_digest(&app).await;
    let d = wait_digest_status(&app, id, "sent").await;
    assert_eq!(d["recipients"].as_i64(), Some(1), "{d}");
    assert_eq!(
        smtp.delivered(&dead),
        2,
        "the confirmation and the new digest"
    );
}

#[tokio::test]
async fn an_admin_lists_and_lifts_suppressions() {
    let dead = [unique_email(), unique_email(), unique_email()];
    let (app, _smtp) = bounced(&dead).await;

    // Pages, newest first, with a cursor.
    let r = app.admin_get("/api/admin/suppressions?limit=2").await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["suppressions"].as_array().unwrap().len(), 2, "{page}");
    let next = page["next"].as_str().expect("a next page").to_string();
    let r = app
        .admin_get(&format!("/api/admin/suppressions?limit=2&after={next}"))
        .await;
    let rest: Value = r.json().await.unwrap();
    assert_eq!(rest["suppressions"].as_array().unwrap().len(), 1, "{rest}");
    assert!(rest["next"].is_null(), "{rest}");
    let mut seen: Vec<String> = page["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["suppressions"].as_array().unwrap())
        .map(|s| s["email"].as_str().unwrap().to_string())
        .collect();
    seen.sort();
    let mut want = dead.to_vec();
    want.sort();
    assert_eq!(seen, want);

    // Bad requests change nothing.
    for (path, status) in [
        ("/api/admin/suppressions?limit=0", 422),
        ("/api/admin/suppressions?limit=x", 400),
        ("/api/admin/suppressions?after=nope", 422),
    ] {
        assert_eq!(app.admin_get(path).await.status(), status, "{path}");
    }
    let r = app
        .client
        .get(app.url("/api/admin/suppressions"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .delete(app.url(&format!("/api/admin/suppressions/{}", dead[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = admin(
        &app,
        Method::DELETE,
        "/api/admin/suppressions/not-an-address",
        None,
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = admin(
        &app,
        Method::DELETE,
        &format!("/api/admin/suppressions/{}", unique_email()),
        None,
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(suppressions(&app).await.len(), 3);

    // An admin can't confirm a suppressed address by hand…
    let r = admin_post(
        &app,
        "/api/admin/newsletters/daily/subscribers",
        json!({"email": dead[0], "status": "confirmed", "consent": "phone call"}),
    )
    .await;
    assert_eq!(r.status(), 409);
    // …but lifts the suppression, and the bounced subscription is back.
    let path = format!("/api/admin/suppressions/{}", dead[0].to_uppercase());
    let r = admin(&app, Method::GET, &path, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["reason"], "hard_bounce");
    assert_eq!(admin(&app, Method::DELETE, &path, None).await.status(), 204);
    assert_eq!(admin(&app, Method::DELETE, &path, None).await.status(), 404);
    assert_eq!(
        app.status_of("daily", &dead[0]).await.as_deref(),
        Some("confirmed")
    );
    assert_eq!(suppressions(&app).await.len(), 2);
}

#[tokio::test]
async fn imports_skip_suppressed_addresses_and_say_so() {
    let dead = unique_email();
    let (app, _smtp) = bounced(std::slice::from_ref(&dead)).await;
    app.add_newsletter("weekly", "Weekly").await;
    let fresh = unique_email();
    let r = app
        .client
        .post(app.url("/api/admin/newsletters/weekly/subscribers/import?confirmed=true&consent=x"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "text/csv")
        .body(format!("email\n{}\n{fresh}\n", dead.to_uppercase()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["imported"], 1, "{summary}");
    assert_eq!(summary["suppressed"], 1, "{summary}");
    assert_eq!(summary["suppressed_addresses"], json!([dead]), "{summary}");
    assert_eq!(app.status_of("weekly", &dead).await, None);
    assert_eq!(
        app.status_of("weekly", &fresh).await.as_deref(),
        Some("confirmed")
    );
}

#[tokio::test]
async fn erasing_an_address_drops_its_evidence_and_keeps_the_hash() {
    let dead = unique_email();
    let (app, _smtp) = bounced(std::slice::from_ref(&dead)).await;
    let path = format!("/api/admin/subscribers/{dead}");
    assert_eq!(admin(&app, Method::DELETE, &path, None).await.status(), 204);
    let list = suppressions(&app).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert!(
        list[0]["email"].is_null() && list[0]["evidence"].is_null(),
        "{list:?}"
    );
    assert_eq!(list[0]["reason"], "hard_bounce");
    let everything = app.store.clone();
    let held = format!("{:?}", everything.suppressions(0, 10).await.unwrap());
    assert!(!held.contains(&dead), "{held}");
    assert_eq!(admin(&app, Method::GET, &path, None).await.status(), 404);
}
