//! On the news site: a newsletter's language, the publication's name and
//! look, times in its zone, and catalogs a deployment overrides.

mod branding;
mod language;

use serde_json::{json, Value};

use crate::helpers::{admin_post, TestApp};

/// Creates a newsletter with `extra` fields through the admin API.
async fn newsletter(app: &TestApp, slug: &str, name: &str, extra: Value) -> reqwest::Response {
    let mut body = json!({ "slug": slug, "name": name });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    admin_post(app, "/api/admin/newsletters", body).await
}
