//! Console sessions end after a while without use, and an admin can end
//! all of theirs at once.

use std::time::Duration;

use super::*;
use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn an_unused_session_ends_and_a_used_one_lives_on() {
    let app = spawn_app_with(&[("console_idle", "2s")]).await;
    let admin = signed_in(&app).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let r = get(&app, "/admin", &admin.cookie).await;
        assert_eq!(r.status(), 200, "a session in use stays open");
    }
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let r = get(&app, "/admin", &admin.cookie).await;
    assert_eq!(r.status(), 303, "an idle session ends");
    assert_eq!(r.headers()["location"], "/admin/sign-in");
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_that_admin() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    let here = origin(&app);
    let cookie = |r: reqwest::Response| session_cookie(&r).unwrap();
    let laptop = cookie(sign_in_as(&app, &email, PASSWORD, &here).await);
    let phone = cookie(sign_in_as(&app, &email, PASSWORD, &here).await);
    let someone_else = signed_in(&app).await;
    let html = get(&app, "/admin/password", &laptop)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Sign out everywhere"));
    let csrf = csrf_in(&html);

    // Without the CSRF token, nothing ends.
    let r = post(
        &app,
        "/admin/sign-out-everywhere",
        &laptop,
        Some(&here),
        &[],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(get(&app, "/admin", &phone).await.status(), 200);

    let r = post(
        &app,
        "/admin/sign-out-everywhere",
        &laptop,
        Some(&here),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    for c in [&laptop, &phone] {
        assert_eq!(get(&app, "/admin", c).await.status(), 303);
    }
    assert_eq!(
        get(&app, "/admin", &someone_else.cookie).await.status(),
        200
    );
}
