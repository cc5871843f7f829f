//! Managing newsletters and one address through the admin API: update,
//! archive, add by hand, change status, see everything, erase; the purge.
//! Shared helpers live here.

mod erasure;
mod newsletters;
mod subscribers;

use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn unauthorised(app: &TestApp, method: reqwest::Method, path: &str) {
    for token in [None, Some("wrong")] {
        let mut r = app
            .client
            .request(method.clone(), app.url(path))
            .json(&json!({}));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "unauthorized");
    }
}
