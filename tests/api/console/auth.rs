//! Signing in and out, sessions, passwords, rate limits and CSRF.

use super::*;
use crate::helpers::{spawn_app, spawn_app_with, unique_email};

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in() {
    let app = spawn_app().await;
    for path in [
        "/admin",
        "/admin/newsletters",
        "/admin/feeds",
        "/admin/digests/1",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(r.headers()["location"], "/admin/sign-in", "{path}");
    }
    // A made-up cookie is no session either, and a post changes nothing.
    let r = post(
        &app,
        "/admin/newsletters",
        "herald_session=00ff",
        Some(&origin(&app)),
        &[("slug", "daily"), ("name", "Daily")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(!newsletter_exists(&app, "daily").await);
    let r = app
        .client
        .get(app.url("/admin/sign-in"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("name=\"password\""));
}

#[tokio::test]
async fn sign_in_sets_a_strict_cookie_and_sign_out_ends_the_session() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    // The address is matched whatever its case.
    let r = sign_in_as(&app, &email.to_uppercase(), PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(set.contains(flag), "{flag} in {set}");
    }
    assert!(!set.contains("Secure"), "plain http base URL: {set}");
    let cookie = session_cookie(&r).unwrap();

    let r = get(&app, "/admin", &cookie).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(&email), "the admin's address is shown");
    let csrf = csrf_in(&html);

    // Signing out needs the token too.
    let r = post(&app, "/admin/sign-out", &cookie, Some(&origin(&app)), &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(get(&app, "/admin", &cookie).await.status(), 200);

    let r = post(
        &app,
        "/admin/sign-out",
        &cookie,
        Some(&origin(&app)),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let r = get(&app, "/admin", &cookie).await;
    assert_eq!(r.status(), 303, "the old cookie no longer works");
}

#[tokio::test]
async fn the_cookie_is_secure_behind_https() {
    let app = spawn_app_with(&[("base_url", "https://news.example")]).await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    // The origin to match is the base URL's, not the socket's.
    let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 403);
    let r = sign_in_as(&app, &email, PASSWORD, "https://news.example").await;
    assert_eq!(r.status(), 303);
    let set = r.headers()["set-cookie"].to_str().unwrap();
    assert!(set.contains("; Secure"), "{set}");
}

#[tokio::test]
async fn a_wrong_password_or_address_gives_no_session() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    for (who, secret) in [
        (email.as_str(), "wrong password"),
        ("nobody@example.com", PASSWORD),
    ] {
        let r = sign_in_as(&app, who, secret, &origin(&app)).await;
        assert_eq!(r.status(), 401, "{who}");
        assert!(session_cookie(&r).is_none());
        let html = r.text().await.unwrap();
        assert!(
            html.contains("don&#x27;t match") || html.contains("don't match"),
            "{html}"
        );
    }
    // Empty fields and a body that isn't a form are refused plainly.
    let r = sign_in_as(&app, "", "", &origin(&app)).await;
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .post(app.url("/admin/sign-in"))
        .header("Origin", origin(&app))
        .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert!(session_cookie(&r).is_none());
}

#[tokio::test]
async fn failed_sign_ins_slow_an_address_down_without_locking_it() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    for _ in 0..5 {
        let r = sign_in_as(&app, &email, "not it at all", &origin(&app)).await;
        assert_eq!(r.status(), 401);
    }
    // Even the right password waits now, refused before it is checked.
    let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=2).contains(&wait),
        "a short wait, not a lock-out: {wait}"
    );
    assert!(session_cookie(&r).is_none());
    // Another admin from elsewhere is not slowed by this address.
    let other = unique_email();
    add_admin(&app, &other, PASSWORD).await;
    let r = sign_in_as(&app, &other, PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 303);
    // After the wait, the owner gets in.
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 303);
}

/// The counts live in the database: a second process on the same
/// database sees the first one's failures.
#[tokio::test]
async fn sign_in_counts_are_shared_by_every_process() {
    let first = spawn_app().await;
    let second = spawn_app_with(&[("database_url", first.db.url.as_str())]).await;
    let email = unique_email();
    add_admin(&first, &email, PASSWORD).await;
    for _ in 0..5 {
        let r = sign_in_as(&first, &email, "not it at all", &origin(&first)).await;
        assert_eq!(r.status(), 401);
    }
    let r = sign_in_as(&second, &email, PASSWORD, &origin(&second)).await;
    assert_eq!(r.status(), 429, "the second process knows of the failures");
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited_per_client() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    for i in 0..20 {
        let r = sign_in_as(
            &app,
            &format!("guess-{i}@example.com"),
            "guess",
            &origin(&app),
        )
        .await;
        assert_eq!(r.status(), 401);
    }
    let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 429, "this client used up its failures");
}

#[tokio::test]
async fn sign_in_from_another_origin_is_refused() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    let r = sign_in_as(&app, &email, PASSWORD, "http://evil.example").await;
    assert_eq!(r.status(), 403);
    assert!(session_cookie(&r).is_none());
    // No Origin and no Referer: refused too.
    let r = app
        .client
        .post(app.url("/admin/sign-in"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A same-origin Referer stands in for a missing Origin.
    let r = app
        .client
        .post(app.url("/admin/sign-in"))
        .header("Referer", app.url("/admin/sign-in"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn forms_without_the_token_or_from_elsewhere_change_nothing() {
    let app = spawn_app().await;
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let cases: [(Option<&str>, Option<&str>, &str); 4] = [
        (Some(&here), None, "no token"),
        (Some(&here), Some("0123abcd"), "a wrong token"),
        (
            Some("http://evil.example"),
            Some(&admin.csrf),
            "another origin",
        ),
        (None, Some(&admin.csrf), "no origin at all"),
    ];
    for (origin, token, why) in cases {
        let mut form = vec![("slug", "daily"), ("name", "Daily")];
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        let r = post(&app, "/admin/newsletters", &admin.cookie, origin, &form).await;
        assert_eq!(r.status(), 403, "{why}");
        assert!(!newsletter_exists(&app, "daily").await, "{why}");
    }
    // Another session's token is no good either.
    let other = signed_in(&app).await;
    let r = post(
        &app,
        "/admin/newsletters",
        &admin.cookie,
        Some(&here),
        &[("slug", "daily"), ("name", "Daily"), ("csrf", &other.csrf)],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert!(!newsletter_exists(&app, "daily").await);

    let r = post(
        &app,
        "/admin/newsletters",
        &admin.cookie,
        Some(&here),
        &[("slug", "daily"), ("name", "Daily"), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/newsletters/daily");
    assert!(newsletter_exists(&app, "daily").await);
}

#[tokio::test]
async fn the_bearer_api_keeps_working_and_a_session_is_not_a_token() {
    let app = spawn_app().await;
    let admin = signed_in(&app).await;
    let r = app.admin_get("/api/admin/newsletters").await;
    assert_eq!(r.status(), 200);
    let r = get(&app, "/api/admin/newsletters", &admin.cookie).await;
    assert_eq!(
        r.status(),
        401,
        "the API has no CSRF check, so no cookie opens it"
    );
}

#[tokio::test]
async fn a_password_change_ends_every_session() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    let mut cookies = Vec::new();
    for _ in 0..2 {
        let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
        cookies.push(session_cookie(&r).unwrap());
    }
    for c in &cookies {
        assert_eq!(get(&app, "/admin", c).await.status(), 200);
    }
    // `herald admin add` for an existing address changes its password.
    let out = herald_admin_add(&app, &email, "a brand new password\n").await;
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("password changed"));
    for c in &cookies {
        assert_eq!(get(&app, "/admin", c).await.status(), 303);
    }
    let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 401, "the old password is gone");
    let r = sign_in_as(&app, &email, "a brand new password", &origin(&app)).await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn herald_admin_add_creates_an_admin_and_refuses_weak_input() {
    let app = spawn_app().await;
    let email = unique_email();
    let out = herald_admin_add(&app, &email, "short\n").await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));
    let out = herald_admin_add(&app, "not an address", "long enough password\n").await;
    assert!(!out.status.success());
    let out = herald_admin_add(&app, &email, "long enough password\n").await;
    assert!(out.status.success(), "{out:?}");
    let r = sign_in_as(&app, &email, "long enough password", &origin(&app)).await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn changing_the_password_in_the_console_ends_the_other_sessions() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    let other = session_cookie(&sign_in_as(&app, &email, PASSWORD, &origin(&app)).await).unwrap();
    let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
    let mine = session_cookie(&r).unwrap();
    let html = get(&app, "/admin/password", &mine)
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&html);
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let (app, mine, csrf) = (&app, mine.clone(), csrf.clone());
        async move {
            post(
                app,
                "/admin/password",
                &mine,
                Some(&origin(app)),
                &[
                    ("current", current),
                    ("new", new),
                    ("again", again),
                    ("csrf", &csrf),
                ],
            )
            .await
        }
    };
    let r = change(
        "wrong one here",
        "another good password",
        "another good password",
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = change(PASSWORD, "short", "short").await;
    assert_eq!(r.status(), 422);
    let r = change(PASSWORD, "another good password", "a different one").await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        get(&app, "/admin", &other).await.status(),
        200,
        "nothing changed yet"
    );

    let r = change(PASSWORD, "another good password", "another good password").await;
    assert_eq!(r.status(), 303);
    let fresh = session_cookie(&r).expect("this browser gets a new session");
    assert_eq!(get(&app, "/admin", &fresh).await.status(), 200);
    assert_eq!(
        get(&app, "/admin", &other).await.status(),
        303,
        "other sessions end"
    );
    assert_eq!(
        get(&app, "/admin", &mine).await.status(),
        303,
        "and the old cookie"
    );
    let r = sign_in_as(&app, &email, "another good password", &origin(&app)).await;
    assert_eq!(r.status(), 303);
}
