//! Logs and metrics, seen from outside: `herald serve` runs as its own
//! process, so its standard error is its own (every line read back) and its
//! `/metrics` counters count only what the test did.

mod logs;
mod metrics;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{free_port, random_hex, smtp_url, TestApp, TestDb};

/// A `herald serve` process on a database of its own, its standard error
/// collected line by line.
pub(super) struct Server {
    child: tokio::process::Child,
    pub app: TestApp,
    lines: Arc<Mutex<Vec<String>>>,
    reader: tokio::task::JoinHandle<()>,
    dir: std::path::PathBuf,
}

/// Starts `herald serve` with `env` on top of a test setup (mail to the
/// capture server, no herald.toml, no inherited `RUST_LOG` or log format)
/// and waits until `/health` answers. `admin_token` is the one set in
/// `env`, if any.
pub(super) async fn serve(env: &[(&str, &str)], admin_token: &str) -> Server {
    let db = TestDb::create().await;
    let port = free_port();
    let address = format!("http://127.0.0.1:{port}");
    let dir = std::env::temp_dir().join(format!("herald-obs-{}", random_hex(10)));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.arg("serve")
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .env_remove("HERALD_LOG_FORMAT")
        .env_remove("HERALD_ADMIN_TOKEN")
        .env("HERALD_DATABASE_URL", &db.url)
        .env("HERALD_LISTEN", format!("127.0.0.1:{port}"))
        .env("HERALD_BASE_URL", &address)
        .env("HERALD_SMTP_URL", smtp_url())
        .env("HERALD_WORKER_POLL", "100ms")
        .env("HERALD_SIGNUP_RATE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start herald serve");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let lines = lines.clone();
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                lines.lock().unwrap().push(line);
            }
        })
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client
        .get(format!("{address}/health"))
        .send()
        .await
        .map_or(true, |r| !r.status().is_success())
    {
        assert!(
            Instant::now() < deadline,
            "herald serve did not come up: {:?}",
            lines.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let store = herald::store::Store::connect(&db.url).await.unwrap();
    Server {
        child,
        app: TestApp {
            address,
            client,
            store,
            admin_token: admin_token.to_string(),
            db,
        },
        lines,
        reader,
        dir,
    }
}

impl Server {
    /// The lines written so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits for a line that `wanted` accepts and returns it.
    pub async fn wait_line(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(l) = self.lines().into_iter().find(|l| wanted(l)) {
                return l;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} line in {:#?}",
                self.lines()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the server as an operator would (SIGTERM), waits for it to
    /// exit, and returns everything it wrote to standard error.
    pub async fn stop(mut self) -> Vec<String> {
        let pid = self.child.id().expect("still running");
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        if tokio::time::timeout(Duration::from_secs(40), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.reader).await;
        self.app.store.close().await;
        let _ = std::fs::remove_dir_all(&self.dir);
        self.lines()
    }
}
