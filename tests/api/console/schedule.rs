//! The console's schedule form on a newsletter's page: set, shown with the
//! next three runs in words, refused clearly, turned off; and the CLI's
//! `herald newsletter schedule`.

use super::*;
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_schedule_is_set_from_the_newsletter_page_with_its_next_runs() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let admin = signed_in(&app).await;
    let o = origin(&app);
    let path = "/admin/newsletters/daily/schedule";
    let form = |cron: &'static str, zone: &'static str| {
        vec![
            ("csrf", admin.csrf.as_str()),
            ("schedule", cron),
            ("timezone", zone),
            ("min_items", "1"),
        ]
    };
    let r = post(
        &app,
        path,
        &admin.cookie,
        Some(&o),
        &form("0 7 * * 1-5", "Europe/Kyiv"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let html = get(&app, "/admin/newsletters/daily", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<code>0 7 * * 1-5</code> in Europe/Kyiv"),
        "{html}"
    );
    let start = html.find("<ul id=\"next-runs\">").expect("the next runs");
    let list = &html[start..start + html[start..].find("</ul>").unwrap()];
    assert_eq!(list.matches("<li>").count(), 3, "{list}");
    assert_eq!(
        list.matches(", 07:00:00 EET").count() + list.matches(", 07:00:00 EEST").count(),
        3,
        "{list}"
    );
    assert!(
        !list.contains("Saturday") && !list.contains("Sunday"),
        "{list}"
    );

    // A bad expression comes back on the page, and nothing changes.
    let r = post(
        &app,
        path,
        &admin.cookie,
        Some(&o),
        &form("at seven", "Europe/Kyiv"),
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("not a cron expression"), "{html}");
    let n: serde_json::Value = app
        .admin_get("/api/admin/newsletters/daily")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(n["schedule"], "0 7 * * 1-5");

    // Without the CSRF token: refused.
    let r = post(
        &app,
        path,
        &admin.cookie,
        Some(&o),
        &[("schedule", "0 8 * * *")],
    )
    .await;
    assert_eq!(r.status(), 403);

    // Empty: no schedule.
    let r = post(&app, path, &admin.cookie, Some(&o), &form("", "")).await;
    assert_eq!(r.status(), 303);
    let html = get(&app, "/admin/newsletters/daily", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No schedule"), "{html}");
}

#[tokio::test]
async fn herald_newsletter_schedule_sets_and_stops_it() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let run = |args: Vec<&'static str>| {
        let url = app.db.url.clone();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"))
                .args(args)
                .env("HERALD_DATABASE_URL", url)
                .env("RUST_LOG", "warn")
                .output()
                .await
                .unwrap()
        }
    };
    let out = run(vec![
        "newsletter",
        "schedule",
        "daily",
        "30 6 * * *",
        "--zone",
        "Europe/Kyiv",
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"30 6 * * *\" in Europe/Kyiv"), "{text}");
    assert_eq!(text.matches("next: ").count(), 3, "{text}");
    let n: serde_json::Value = app
        .admin_get("/api/admin/newsletters/daily")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(n["schedule"], "30 6 * * *");
    assert_eq!(n["timezone"], "Europe/Kyiv");

    let out = run(vec!["newsletter", "schedule", "daily", "nonsense"]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a cron expression"),
        "{out:?}"
    );

    let out = run(vec!["newsletter", "schedule", "daily", "--off"]).await;
    assert!(out.status.success(), "{out:?}");
    let n: serde_json::Value = app
        .admin_get("/api/admin/newsletters/daily")
        .await
        .json()
        .await
        .unwrap();
    assert!(n["schedule"].is_null(), "{n}");
}

#[tokio::test]
async fn the_console_sets_a_newsletters_language_and_archive() {
    let app = crate::helpers::spawn_app().await;
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let r = post(
        &app,
        "/admin/newsletters",
        &admin.cookie,
        Some(&here),
        &[
            ("slug", "visti"),
            ("name", "Вісті"),
            ("language", "uk"),
            ("public_archive", "1"),
            ("csrf", &admin.csrf),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let n: serde_json::Value = app
        .admin_get("/api/admin/newsletters/visti")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (n["language"].as_str(), n["public_archive"].as_bool()),
        (Some("uk"), Some(true))
    );
    // Unticked, the archive is private; an unknown language is refused.
    let r = post(
        &app,
        "/admin/newsletters/visti",
        &admin.cookie,
        Some(&here),
        &[("name", "Вісті"), ("language", "xx"), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = post(
        &app,
        "/admin/newsletters/visti",
        &admin.cookie,
        Some(&here),
        &[("name", "Вісті"), ("language", "en"), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    let n: serde_json::Value = app
        .admin_get("/api/admin/newsletters/visti")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (n["language"].as_str(), n["public_archive"].as_bool()),
        (Some("en"), Some(false))
    );
    let page = get(&app, "/admin/newsletters/visti", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<option value="en" selected>"#), "{page}");
}
