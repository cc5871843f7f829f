//! HTTP routes: public pages and forms, the admin API, the web console. No SQL here.

mod admin;
pub use admin::check_newsletter;
pub use admin::digests::{create_digest, preview_text, DigestBody as DigestOptions};
pub use error::ApiError;
pub use subscriptions::INVALID_EMAIL;
pub mod body;
pub mod client;
mod confirm;
pub mod console;
pub mod error;
mod health;
mod metrics;
pub mod openapi;
mod pages;
mod subscriptions;
mod unsubscribe;

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, Route};
use serde::Serialize;
use tokio::sync::Notify;

use crate::config::Config;
use crate::domain::token::LinkSigner;
use crate::email::Templates;
use crate::store::Store;
use client::RateLimiter;

/// Everything a handler needs, shared by all workers of the HTTP server.
pub struct AppState {
    pub store: Store,
    pub templates: Templates,
    pub config: Arc<Config>,
    pub limiter: RateLimiter,
    pub links: LinkSigner,
    /// Wakes the in-process delivery worker when mail is queued.
    pub wake: Arc<Notify>,
    /// Newsletters by slug for the public signup path, briefly.
    pub newsletters: NewsletterCache,
    /// Signups wait here to be written together.
    pub signups: crate::store::Signups,
    /// The web console's sign-in limits.
    pub console: console::ConsoleState,
}

/// Newsletters looked up by slug, kept for a quarter of a second: a signup
/// burst then costs one query per slug per 250 ms instead of one per
/// request. This process's admin changes clear it at once; another
/// process's show within the 250 ms.
#[derive(Default)]
pub struct NewsletterCache {
    by_slug: std::sync::Mutex<
        std::collections::HashMap<String, (std::time::Instant, crate::store::Newsletter)>,
    >,
}

impl NewsletterCache {
    const TTL: std::time::Duration = std::time::Duration::from_millis(250);

    pub async fn get(
        &self,
        store: &Store,
        slug: &str,
    ) -> crate::store::Result<crate::store::Newsletter> {
        if let Some((at, n)) = self.by_slug.lock().expect("not poisoned").get(slug) {
            if at.elapsed() < Self::TTL {
                return Ok(n.clone());
            }
        }
        let n = store.newsletter_by_slug(slug).await?;
        let mut cache = self.by_slug.lock().expect("not poisoned");
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(slug.to_string(), (std::time::Instant::now(), n.clone()));
        Ok(n)
    }

    pub fn clear(&self) {
        self.by_slug.lock().expect("not poisoned").clear();
    }
}

impl AppState {
    /// An HTML page; a template failure becomes a logged, opaque 500.
    pub fn page(&self, status: StatusCode, name: &str, ctx: impl Serialize) -> HttpResponse {
        match self.templates.render(name, ctx) {
            Ok(html) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(html),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), template = name, "rendering failed");
                HttpResponse::InternalServerError()
                    .content_type("text/plain; charset=utf-8")
                    .body("Internal server error")
            }
        }
    }

    /// The error page, with an optional link onwards.
    pub fn error_page(
        &self,
        status: StatusCode,
        title: &str,
        message: &str,
        link: Option<(&str, &str)>,
    ) -> HttpResponse {
        let link = link.map(|(href, text)| serde_json::json!({ "href": href, "text": text }));
        self.page(
            status,
            "pages/error.html",
            serde_json::json!({ "status": status.as_u16(), "title": title, "message": message, "link": link }),
        )
    }

    pub fn unsubscribe_url(&self, subscription_id: i64) -> String {
        format!(
            "{}/subscriptions/unsubscribe?token={}",
            self.config.base_url,
            self.links.unsubscribe_token(subscription_id)
        )
    }
}

/// A resource whose other methods get 405, with an `Allow` header naming
/// the methods it has, instead of 404.
fn resource(path: &str, routes: Vec<(&'static str, Route)>) -> actix_web::Resource {
    let allow = routes
        .iter()
        .map(|(m, _)| *m)
        .collect::<Vec<_>>()
        .join(", ");
    let mut r = web::resource(path);
    for (_, route) in routes {
        r = r.route(route);
    }
    r.default_service(web::to(move || {
        let allow = allow.clone();
        async move {
            let mut resp =
                actix_web::ResponseError::error_response(&ApiError::method_not_allowed());
            if let Ok(v) = header::HeaderValue::from_str(&allow) {
                resp.headers_mut().insert(header::ALLOW, v);
            }
            resp
        }
    }))
}

/// GET and HEAD on the same handler (HEAD answers carry no body).
macro_rules! get_head {
    ($handler:expr) => {
        vec![
            ("GET", web::get().to($handler)),
            ("HEAD", web::head().to($handler)),
        ]
    };
}

async fn not_found(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if req.path().starts_with("/api/") {
        return actix_web::ResponseError::error_response(&ApiError::not_found("no such route"));
    }
    state.error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address.",
        Some(("/", "See all newsletters")),
    )
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health", get_head!(health::health)))
        .service(resource("/", get_head!(pages::index)))
        .service(resource(
            "/newsletters/{slug}",
            get_head!(pages::newsletter),
        ))
        .service(resource(
            "/subscriptions",
            vec![("POST", web::post().to(subscriptions::subscribe))],
        ))
        .service(resource(
            "/subscriptions/pending",
            get_head!(pages::pending),
        ))
        .service(resource("/subscriptions/confirm", {
            let mut r = get_head!(confirm::show);
            r.push(("POST", web::post().to(confirm::confirm)));
            r
        }))
        .service(resource("/subscriptions/unsubscribe", {
            let mut r = get_head!(unsubscribe::show);
            r.push(("POST", web::post().to(unsubscribe::unsubscribe)));
            r
        }))
        .service(resource(
            "/api/openapi.json",
            get_head!(openapi::openapi_json),
        ))
        .service(resource(
            "/metrics",
            vec![("GET", web::get().to(metrics::metrics))],
        ))
        .service(admin::scope())
        .configure(console::configure)
        .default_service(web::to(not_found));
}

/// Security headers for every answer: no sniffing, no framing, no referrer
/// leaking tokens from confirm and unsubscribe URLs.
pub fn default_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
}
