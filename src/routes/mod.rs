//! HTTP routes: public pages and forms, the admin API, the web console. No SQL here.

pub mod access;
mod admin;
mod archive;
pub use error::ApiError;
pub mod body;
pub mod client;
mod confirm;
pub mod console;
pub mod cors;
pub mod embed;
pub mod error;
mod health;
pub mod idempotency;
mod manage;
mod metrics;
mod news;
pub mod openapi;
mod pages;
mod provider_webhooks;
pub mod rate_limit;
mod subscriptions;
mod unsubscribe;

use actix_web::dev::Service;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, Route};
use serde::Serialize;

use crate::app::App;
use crate::domain::{Language, Origin, SignupOrigins};
use rate_limit::RateLimiter;

/// Everything a handler needs, shared by all workers of the HTTP server:
/// the use cases' [`App`] (reached through `Deref`) and what only HTTP
/// has, the per-client signup limit and the console's sign-in limits.
pub struct AppState {
    pub app: std::sync::Arc<App>,
    pub limiter: RateLimiter,
    /// Per client: wrong admin tokens, unknown confirm and unsubscribe links.
    pub failures: RateLimiter,
    /// The web console's sign-in limits.
    pub console: console::ConsoleState,
    /// Herald's own origin and the news sites allowed to embed its form.
    pub origins: SignupOrigins,
    /// `/embed.js`, rendered once.
    pub embed: embed::EmbedScript,
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl AppState {
    /// Fails when `/embed.js` doesn't render (a broken override).
    pub fn new(app: std::sync::Arc<App>) -> anyhow::Result<Self> {
        Ok(AppState {
            limiter: RateLimiter::new(app.config.signup_rate),
            failures: RateLimiter::new(app.config.auth_failure_rate),
            console: Default::default(),
            origins: app.config.signup_origins(),
            embed: embed::EmbedScript::render(&app.templates)?,
            app,
        })
    }

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

    /// 429 for a client that has failed too often lately (wrong tokens,
    /// unknown links): checked before the work, counting nothing.
    pub fn refuse_failing(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let ip = client::client_ip(req, &self.config.trusted_proxies);
        match self.failures.over(ip) {
            Some(retry_after) => Err(ApiError::TooManyRequests { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts one failure (an unknown or expired link) against the client.
    pub fn count_failure(&self, req: &HttpRequest) {
        let ip = client::client_ip(req, &self.config.trusted_proxies);
        let _ = self.failures.check(ip);
    }

    /// The language of a page that belongs to no one newsletter: the first
    /// shipped one the browser asks for, else `HERALD_LANGUAGE`.
    pub fn browser_lang(&self, req: &HttpRequest) -> Language {
        let header = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Language::negotiate(header, self.config.language)
    }

    /// The error page: `error` names the catalog's `error-…-title` and
    /// `error-…-message`; the link onwards is an address and a catalog key.
    pub fn error_page(
        &self,
        status: StatusCode,
        error: &str,
        link: Option<(&str, &str)>,
    ) -> HttpResponse {
        let link = link.map(|(href, text)| serde_json::json!({ "href": href, "text": text }));
        self.page(
            status,
            "pages/error.html",
            serde_json::json!({ "status": status.as_u16(), "error": error, "link": link }),
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
        "error-not-found",
        Some(("/", "see-all-newsletters")),
    )
}

/// Every route; `origins` are the news sites that get CORS on `/subscriptions`.
pub fn configure(cfg: &mut web::ServiceConfig, origins: &[Origin]) {
    cfg.service(resource("/health", get_head!(health::health)))
        .service(resource("/", get_head!(pages::index)))
        .service(resource(
            "/newsletters/{slug}",
            get_head!(pages::newsletter),
        ))
        .service(resource("/news", get_head!(news::page)))
        .service(resource("/news.atom", get_head!(news::atom_feed)))
        .service(resource(
            "/newsletters/{slug}/archive",
            get_head!(archive::list),
        ))
        .service(resource(
            "/newsletters/{slug}/archive.atom",
            get_head!(archive::atom_feed),
        ))
        .service(resource(
            "/newsletters/{slug}/archive/{id}",
            get_head!(archive::show),
        ))
        .service(
            resource(
                "/subscriptions",
                vec![
                    ("POST", web::post().to(subscriptions::subscribe)),
                    (
                        "OPTIONS",
                        web::route()
                            .method(Method::OPTIONS)
                            .to(subscriptions::preflight),
                    ),
                ],
            )
            .wrap(cors::signup_cors(origins))
            .wrap_fn(|req, srv| {
                let method = req.method().clone();
                let answer = srv.call(req);
                async move { Ok(cors::finish(answer.await?, &method)) }
            }),
        )
        .service(resource("/embed.js", get_head!(embed::script)))
        .service(resource(
            "/subscriptions/pending",
            get_head!(pages::pending),
        ))
        .service(resource("/subscriptions/confirm", {
            let mut r = get_head!(confirm::show);
            r.push(("POST", web::post().to(confirm::confirm)));
            r
        }))
        .service(resource("/subscriptions/manage", {
            let mut r = get_head!(manage::show);
            r.push(("POST", web::post().to(manage::save)));
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
        .service(resource(
            "/webhooks/ses",
            vec![("POST", web::post().to(provider_webhooks::ses))],
        ))
        .service(resource(
            "/webhooks/postmark",
            vec![("POST", web::post().to(provider_webhooks::postmark))],
        ))
        .service(admin::scope())
        .configure(console::configure)
        .default_service(web::to(not_found));
}

/// Security headers for every answer: no sniffing, no framing, no referrer
/// leaking tokens from confirm and unsubscribe URLs.
pub fn default_headers(config: &crate::config::Config) -> actix_web::middleware::DefaultHeaders {
    // The publication's logo is the one image a public page shows.
    let img = config
        .site
        .logo_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| format!("; img-src {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    let headers = actix_web::middleware::DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            format!(
                "default-src 'none'; style-src 'unsafe-inline'{img}; form-action 'self'; \
                 frame-ancestors 'none'; base-uri 'none'"
            ),
        ));
    // Behind https, browsers are told to come back only over https.
    if config.base_url.starts_with("https://") {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        headers
    }
}
