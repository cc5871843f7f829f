//! Signed outgoing webhooks: endpoints through the admin API and the
//! console, and deliveries to a receiver that checks every signature with
//! an independent implementation (tests/webhook_receiver.py, the
//! `standardwebhooks` package from PyPI).

mod crud;
mod delivery;
mod processes;
mod suppressed;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{admin_post, TestApp};

pub const ALL_EVENTS: &[&str] = &[
    "subscriber.confirmed",
    "subscriber.unsubscribed",
    "subscriber.bounced",
    "subscriber.complained",
    "subscriber.erased",
    "digest.sent",
];

/// The Python receiver, running until dropped.
pub struct Receiver {
    pub port: u16,
    child: Child,
}

impl Receiver {
    /// Starts the receiver; it fails its first `fail_first` calls.
    pub async fn start(fail_first: u32) -> Receiver {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webhook_receiver.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(fail_first.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(10),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("the receiver starts")
        .unwrap();
        let port = line
            .trim()
            .strip_prefix("port ")
            .unwrap_or_else(|| {
                panic!("webhook_receiver.py didn't start (python3 -m pip install standardwebhooks==1.3.0, or run bash .ci/run): {line:?}")
            })
            .parse()
            .unwrap();
        Receiver { port, child }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Hands the receiver the endpoint's secret; it answers calls from then on.
    pub async fn give_secret(&mut self, secret: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin
            .write_all(format!("{secret}\n").as_bytes())
            .await
            .unwrap();
        stdin.flush().await.unwrap();
    }

    pub async fn state(&self) -> Value {
        reqwest::get(format!("http://127.0.0.1:{}/state", self.port))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until events of every type in `types` (with repeats) were
    /// accepted, and returns the state.
    pub async fn wait_for(&self, types: &[&str]) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state = self.state().await;
            let mut got: Vec<String> = state["events"]
                .as_object()
                .unwrap()
                .values()
                .map(|e| e["type"].as_str().unwrap().to_string())
                .collect();
            got.sort();
            let mut want: Vec<String> = types.iter().map(|t| t.to_string()).collect();
            want.sort();
            if want.iter().all(|w| got.contains(w)) && got.len() >= want.len() {
                return state;
            }
            assert!(
                Instant::now() < deadline,
                "expected events {want:?}, the receiver has {state}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Adds an endpoint for `events` through the admin API; answers the body.
pub async fn add_endpoint(app: &TestApp, url: &str, events: &[&str]) -> Value {
    let r = admin_post(
        app,
        "/api/admin/webhooks",
        json!({ "url": url, "events": events }),
    )
    .await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

/// Waits until `check` holds for the endpoint as the API shows it.
pub async fn wait_endpoint(app: &TestApp, id: i64, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let w: Value = app
            .admin_get(&format!("/api/admin/webhooks/{id}"))
            .await
            .json()
            .await
            .unwrap();
        if check(&w) {
            return w;
        }
        assert!(Instant::now() < deadline, "the endpoint stays {w}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The endpoint's delivery log, newest first.
pub async fn attempts(app: &TestApp, id: i64) -> Vec<Value> {
    let r = app
        .admin_get(&format!("/api/admin/webhooks/{id}/deliveries?limit=1000"))
        .await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    page["attempts"].as_array().unwrap().clone()
}
