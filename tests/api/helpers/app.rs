//! `spawn_app()`: a real Herald on a random loopback port, with its own
//! SQLite file or, when `TEST_DATABASE_URL` is set, its own PostgreSQL
//! database (dropped afterwards), sending to the real SMTP capture server.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use herald::config::Config;
use herald::startup::{open_store, Application};
use herald::store::Store;
use serde_json::Value;

use super::{random_hex, smtp_url, subscribers};

/// The test's database: a temporary SQLite file or a PostgreSQL database,
/// removed on drop.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Someone else's database: nothing to remove.
    None,
    Dir(std::path::PathBuf),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl TestDb {
    /// Another handle on a database some other `TestDb` owns (and removes).
    pub fn shared(url: &str) -> Self {
        TestDb {
            url: url.to_string(),
            cleanup: Cleanup::None,
        }
    }

    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("herald_test_{}", random_hex(12));
                let store = Store::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                let Store::Postgres(pool) = &store else {
                    panic!("TEST_DATABASE_URL must be a postgres:// URL")
                };
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(pool)
                    .await
                    .expect("create test database");
                store.close().await;
                let mut url = url::Url::parse(&admin_url).unwrap();
                url.set_path(&format!("/{name}"));
                TestDb {
                    url: url.to_string(),
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
            _ => Self::sqlite(),
        }
    }

    /// A fresh SQLite file in a folder of its own (removed on drop),
    /// whatever `TEST_DATABASE_URL` says: for what only SQLite has.
    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("herald-test-{}", random_hex(12)));
        std::fs::create_dir_all(&dir).unwrap();
        TestDb {
            url: format!("sqlite://{}", dir.join("herald.db").display()),
            cleanup: Cleanup::Dir(dir),
        }
    }

    /// The folder of a SQLite test database (where its backups may go).
    pub fn dir(&self) -> Option<&std::path::Path> {
        match &self.cleanup {
            Cleanup::Dir(dir) => Some(dir),
            _ => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::None => {}
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        if let Ok(store) = Store::connect(&admin_url).await {
                            if let Store::Postgres(pool) = &store {
                                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                                let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await;
                            }
                            store.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub admin_token: String,
    /// Kept alive for the test; dropping it removes the database.
    #[allow(dead_code)]
    pub db: TestDb,
}

/// Settings every test app gets; `overrides` change or add keys.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        herald::telemetry::init(herald::config::LogFormat::Text);
    }
    let db = TestDb::create().await;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let admin_token = random_hex(40);
    let mut values: BTreeMap<String, String> = [
        ("database_url", db.url.clone()),
        ("listen", format!("127.0.0.1:{port}")),
        ("base_url", format!("http://127.0.0.1:{port}")),
        ("smtp_url", smtp_url()),
        ("from", "Herald Test <news@herald.test>".to_string()),
        ("admin_token", admin_token.clone()),
        ("signup_rate", "0".to_string()),
        ("auth_failure_rate", "0".to_string()),
        ("worker_poll", "100ms".to_string()),
        ("retry_base", "100ms".to_string()),
        ("retry_max", "500ms".to_string()),
        ("smtp_timeout", "10s".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in overrides {
        values.insert(k.to_string(), v.to_string());
    }
    let config = Config::from_values(&values).expect("test config");
    let store = open_store(&config).await.expect("open store");
    let app = Application::build_with_listener(config, store.clone(), listener)
        .await
        .expect("build app");
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        admin_token,
        db,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Adds a newsletter through the admin API.
    pub async fn add_newsletter(&self, slug: &str, name: &str) {
        let r = self
            .client
            .post(self.url("/api/admin/newsletters"))
            .bearer_auth(&self.admin_token)
            .json(&serde_json::json!({ "slug": slug, "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    pub async fn post_form(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// A JSON signup of `email` to the given newsletters.
    pub async fn signup(&self, email: &str, newsletters: &[&str]) -> reqwest::Response {
        self.post_json(
            "/subscriptions",
            &serde_json::json!({ "email": email, "newsletters": newsletters }),
        )
        .await
    }

    pub async fn admin_get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .unwrap()
    }

    /// The status of `email` in newsletter `slug`, from the admin API.
    pub async fn status_of(&self, slug: &str, email: &str) -> Option<String> {
        subscribers(self, slug)
            .await
            .iter()
            .find(|s| s["email"] == email)
            .map(|s| s["status"].as_str().unwrap().to_string())
    }

    /// Waits until no message is queued or being sent, so counting the
    /// mail that arrived is final.
    pub async fn wait_queue_drained(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let counts = self.store.message_counts().await.unwrap();
            let busy = counts
                .iter()
                .any(|(status, n)| (status == "queued" || status == "sending") && *n > 0);
            if !busy {
                return;
            }
            assert!(Instant::now() < deadline, "queue not drained: {counts:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until no message is leased (in flight), whatever is queued.
    pub async fn wait_no_sending(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.message_count("sending").await > 0 {
            assert!(Instant::now() < deadline, "messages stay in flight");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn message_count(&self, status: &str) -> i64 {
        self.store
            .message_counts()
            .await
            .unwrap()
            .into_iter()
            .find(|(s, _)| s == status)
            .map(|(_, n)| n)
            .unwrap_or(0)
    }
}
