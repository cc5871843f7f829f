//! A sign-in flood: hundreds of concurrent password guesses must neither
//! run hundreds of argon2 checks at once (each takes ~19 MiB) nor get more
//! guesses than the limit allows. The server runs as its own process, so
//! its peak memory is its own.

use std::time::Duration;

use herald::store::Store;

use super::add_admin_to;
use crate::helpers::{free_port, random_hex, unique_email, TestDb};

/// Peak resident memory of a process, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

#[tokio::test]
async fn two_hundred_concurrent_sign_ins_stay_small_and_get_five_guesses() {
    let db = TestDb::create().await;
    let store = Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let email = unique_email();
    add_admin_to(&store, &email, "the real password, long").await;
    store.close().await;

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let dir = std::env::temp_dir().join(format!("herald-flood-{}", random_hex(10)));
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("serve")
        .current_dir(&dir)
        .env("HERALD_DATABASE_URL", &db.url)
        .env("HERALD_LISTEN", format!("127.0.0.1:{port}"))
        .env("HERALD_BASE_URL", &base)
        .env("HERALD_ADMIN_TOKEN", random_hex(40))
        .env("HERALD_TRUSTED_PROXIES", "127.0.0.1")
        .env("HERALD_WORKERS", "0")
        .env_remove("DATABASE_URL")
        .env_remove("HERALD_SMTP_URL")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = server.id().unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for _ in 0..200 {
        if client
            .get(format!("{base}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = peak_rss_kib(pid);

    // 200 guesses at once, each from its own client address.
    let guesses = (0..200).map(|i| {
        let (client, base, email) = (client.clone(), base.clone(), email.clone());
        async move {
            client
                .post(format!("{base}/admin/sign-in"))
                .header("Origin", &base)
                .header(
                    "X-Forwarded-For",
                    format!("10.9.{}.{}", i / 250, i % 250 + 1),
                )
                .form(&[("email", email.as_str()), ("password", "a wrong guess")])
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(evaluated + refused, 200, "{statuses:?}");
    assert!(
        (1..=5).contains(&evaluated),
        "{evaluated} guesses were checked"
    );

    let peak = peak_rss_kib(pid);
    assert!(
        peak < 100 * 1024,
        "peak RSS {} MiB (was {} MiB before the flood)",
        peak / 1024,
        before / 1024
    );
    server.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
