//! `herald health` exits 0 when the server answers 200 on `/health`, and
//! non-zero, soon, when it answers anything else or nothing.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{herald, text, Scratch};
use crate::helpers::{free_port, spawn_app};

#[tokio::test]
async fn a_healthy_server_passes_by_url_and_by_its_listen_address() {
    let app = spawn_app().await;
    let scratch = Scratch::new("health");
    let out = herald(&scratch.0, &["health", "--url", &app.address], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("200"), "{}", text(&out.stdout));

    // No --url: the configured HERALD_LISTEN, as in the container.
    let listen = app.address.trim_start_matches("http://");
    let out = herald(&scratch.0, &["health"], &[("HERALD_LISTEN", listen)]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn no_server_fails() {
    let scratch = Scratch::new("health");
    let url = format!("http://127.0.0.1:{}", free_port());
    let out = herald(&scratch.0, &["health", "--url", &url], &[]).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains(&url), "{}", text(&out.stderr));
}

/// A server that answers every connection with `answer`, or with nothing
/// (holding the connection open) when `answer` is `None`.
async fn fake_server(answer: Option<&'static str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        // A few connections at most: the tests make one each.
        for _ in 0..4 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                match answer {
                    Some(a) => {
                        let _ = socket.write_all(a.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn a_503_fails() {
    let url = fake_server(Some(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ))
    .await;
    let scratch = Scratch::new("health");
    let out = herald(&scratch.0, &["health", "--url", &url], &[]).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("503"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn a_silent_server_fails_after_the_timeout() {
    let url = fake_server(None).await;
    let scratch = Scratch::new("health");
    let started = Instant::now();
    let out = herald(
        &scratch.0,
        &["health", "--url", &url, "--timeout", "1s"],
        &[],
    )
    .await;
    assert!(!out.status.success());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        text(&out.stderr).contains("no answer within"),
        "{}",
        text(&out.stderr)
    );
}
