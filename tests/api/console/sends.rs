//! The console's test send from the next-digest page and its welcome
//! email fields with their sandboxed preview.

use serde_json::json;

use super::*;
use crate::helpers::{add_item, admin, spawn_app, wait_for_emails};

#[tokio::test]
async fn a_test_digest_goes_to_the_signed_in_admin_from_the_next_digest_page() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    add_item(&app, "Console test item", "https://news.example/c", "").await;
    let admin_user = signed_in(&app).await;
    let o = origin(&app);
    let page = get(&app, "/admin/newsletters/daily/digest", &admin_user.cookie)
        .await
        .text()
        .await
        .unwrap();
    let me = {
        let marker = "id=\"test-to\" name=\"to\" value=\"";
        let start = page.find(marker).expect("the test form") + marker.len();
        page[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect::<String>()
    };
    let r = post(
        &app,
        "/admin/newsletters/daily/digest/test",
        &admin_user.cookie,
        Some(&o),
        &[("csrf", admin_user.csrf.as_str()), ("to", "")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains(&format!("on its way to {me}")));
    let mails = wait_for_emails(&me, 1).await;
    assert!(mails[0]["subject"].as_str().unwrap().starts_with("[Test] "));
    // A bad address comes back on the page; without the token, refused.
    let r = post(
        &app,
        "/admin/newsletters/daily/digest/test",
        &admin_user.cookie,
        Some(&o),
        &[("csrf", admin_user.csrf.as_str()), ("to", "not an address")],
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = post(
        &app,
        "/admin/newsletters/daily/digest/test",
        &admin_user.cookie,
        Some(&o),
        &[("to", "")],
    )
    .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_welcome_email_is_set_on_the_newsletter_page_and_previewed_inert() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let admin_user = signed_in(&app).await;
    let r = admin(
        &app,
        reqwest::Method::PATCH,
        "/api/admin/newsletters/daily",
        Some(json!({ "welcome_subject": "Hello", "welcome_body": "**Hi** <script>x()</script> [a](javascript:x())" })),
    )
    .await;
    assert_eq!(r.status(), 200);
    let page = get(&app, "/admin/newsletters/daily", &admin_user.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"welcome_subject\" name=\"welcome_subject\" value=\"Hello\""),
        "{page}"
    );
    assert!(
        page.contains("/admin/newsletters/daily/welcome/preview"),
        "{page}"
    );
    let r = get(
        &app,
        "/admin/newsletters/daily/welcome/preview",
        &admin_user.cookie,
    )
    .await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("sandbox"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<strong>Hi</strong>") && html.contains("&lt;script&gt;"),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
}
