//! `herald admin add` on a real (pseudo-)terminal.

use super::*;
use crate::helpers::spawn_app;

/// On a terminal, `herald admin add` asks twice with the echo off: the
/// password never shows on the screen.
#[tokio::test]
async fn the_password_prompt_does_not_echo() {
    let app = spawn_app().await;
    let email = unique_email();
    let secret = "a terminal password 123";
    let out = tokio::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/pty_password.py"
        ))
        .arg(secret)
        .arg(env!("CARGO_BIN_EXE_herald"))
        .args(["admin", "add", &email])
        .env("HERALD_DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let shown = report["shown"].as_str().unwrap();
    assert_eq!(report["status"], 0, "{shown}");
    assert!(
        shown.contains("Password: ") && shown.contains("Again: "),
        "{shown}"
    );
    assert!(!shown.contains(secret), "the password was echoed: {shown}");
    let r = sign_in_as(&app, &email, secret, &origin(&app)).await;
    assert_eq!(r.status(), 303);
}
