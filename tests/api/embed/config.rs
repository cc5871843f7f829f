//! A value in `HERALD_ALLOWED_ORIGINS` (or `allowed_origins` in
//! herald.toml) that isn't an origin stops the start, naming the value.

use crate::helpers::random_hex;

async fn serve(env: &[(&str, &str)], toml: Option<&str>) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("herald-origins-{}", random_hex(12)));
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(t) = toml {
        std::fs::write(dir.join("herald.toml"), t).unwrap();
    }
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.arg("serve")
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .env_remove("HERALD_ALLOWED_ORIGINS")
        .env(
            "HERALD_DATABASE_URL",
            format!("sqlite://{}", dir.join("h.db").display()),
        )
        .env("HERALD_LISTEN", "127.0.0.1:0")
        .env("HERALD_OUTBOX_DIR", dir.join("outbox"))
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(30), cmd.output())
        .await
        .expect("herald serve should stop at once")
        .expect("run the herald binary");
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[tokio::test]
async fn an_origin_that_does_not_parse_stops_the_start() {
    for bad in [
        "https://news.example/articles",
        "news.example",
        "https://user@news.example",
        "https://news.example?x=1",
        "*",
    ] {
        let list = format!("https://ok.example, {bad}");
        let out = serve(&[("HERALD_ALLOWED_ORIGINS", &list)], None).await;
        assert!(!out.status.success(), "{bad}: started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("allowed_origins") && stderr.contains(&format!("`{bad}`")),
            "{bad}: {stderr}"
        );
    }
    let out = serve(&[], Some("allowed_origins = [\"ftp://news.example\"]\n")).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`ftp://news.example`"), "{stderr}");
}
