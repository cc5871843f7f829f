//! The admin API (`Authorization: Bearer TOKEN`): newsletters, their
//! subscribers, one address's data, import and export.

pub(crate) mod digests;
pub(crate) mod feed_items;
pub(crate) mod feeds;
pub(crate) mod import;
pub(crate) mod newsletters;
pub(crate) mod schedules;
pub(crate) mod subscribers;
pub(crate) mod suppressions;
pub(crate) mod webhooks;

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};

use super::error::ApiError;
use super::{resource, AppState};

/// Proof that the request carried a valid admin token.
pub struct Admin;

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Admin, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let ip = state
            .as_ref()
            .and_then(|s| crate::routes::client::client_ip(req, &s.config.trusted_proxies));
        let bearer = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_string());
        Box::pin(async move {
            let Some(state) = state else {
                return Err(ApiError::unauthorized());
            };
            // A client that keeps guessing tokens is slowed down first.
            if let Some(retry_after) = state.failures.over(ip) {
                return Err(ApiError::TooManyRequests { retry_after });
            }
            match bearer {
                Some(b) if crate::admins::check_bearer(&state, &b).await? => Ok(Admin),
                _ => {
                    let _ = state.failures.check(ip);
                    Err(ApiError::unauthorized())
                }
            }
        })
    }
}

pub fn scope() -> actix_web::Scope {
    web::scope("/api/admin")
        .service(resource(
            "/newsletters",
            vec![
                ("GET", web::get().to(newsletters::list)),
                ("POST", web::post().to(newsletters::create)),
            ],
        ))
        .service(resource(
            "/newsletters/{slug}",
            vec![
                ("GET", web::get().to(newsletters::get)),
                ("PATCH", web::patch().to(newsletters::update)),
                ("DELETE", web::delete().to(newsletters::archive)),
            ],
        ))
        .service(resource(
            "/newsletters/{slug}/subscribers",
            vec![
                ("GET", web::get().to(subscribers::list)),
                ("POST", web::post().to(subscribers::add)),
            ],
        ))
        .service(resource(
            "/newsletters/{slug}/subscribers/import",
            vec![("POST", web::post().to(import::import))],
        ))
        .service(resource(
            "/newsletters/{slug}/subscribers/export",
            vec![("GET", web::get().to(import::export))],
        ))
        .service(resource(
            "/newsletters/{slug}/subscribers/{email}",
            vec![
                ("GET", web::get().to(subscribers::get_one)),
                ("PATCH", web::patch().to(subscribers::set_status)),
            ],
        ))
        .service(resource(
            "/newsletters/{slug}/runs",
            vec![("GET", web::get().to(schedules::runs))],
        ))
        .service(resource(
            "/newsletters/{slug}/digests/preview",
            vec![("GET", web::get().to(digests::preview))],
        ))
        .service(resource(
            "/newsletters/{slug}/digests/test",
            vec![("POST", web::post().to(digests::test))],
        ))
        .service(resource(
            "/newsletters/{slug}/digests",
            vec![("POST", web::post().to(digests::create))],
        ))
        .service(resource(
            "/digests/{id}",
            vec![("GET", web::get().to(digests::get))],
        ))
        .service(resource(
            "/digests/{id}/pause",
            vec![("POST", web::post().to(digests::pause))],
        ))
        .service(resource(
            "/digests/{id}/resume",
            vec![("POST", web::post().to(digests::resume))],
        ))
        .service(resource(
            "/digests/{id}/cancel",
            vec![("POST", web::post().to(digests::cancel))],
        ))
        .service(resource(
            "/feed-items",
            vec![
                ("GET", web::get().to(feed_items::list)),
                ("POST", web::post().to(feed_items::create)),
            ],
        ))
        .service(resource(
            "/feed-items/{id}",
            vec![("DELETE", web::delete().to(feed_items::delete))],
        ))
        .service(resource(
            "/feeds",
            vec![
                ("GET", web::get().to(feeds::list)),
                ("POST", web::post().to(feeds::create)),
            ],
        ))
        .service(resource(
            "/feeds/{id}",
            vec![
                ("GET", web::get().to(feeds::get)),
                ("DELETE", web::delete().to(feeds::delete)),
            ],
        ))
        .service(resource(
            "/webhooks",
            vec![
                ("GET", web::get().to(webhooks::list)),
                ("POST", web::post().to(webhooks::create)),
            ],
        ))
        .service(resource(
            "/webhooks/{id}",
            vec![
                ("GET", web::get().to(webhooks::get)),
                ("PATCH", web::patch().to(webhooks::update)),
                ("DELETE", web::delete().to(webhooks::delete)),
            ],
        ))
        .service(resource(
            "/webhooks/{id}/deliveries",
            vec![("GET", web::get().to(webhooks::deliveries))],
        ))
        .service(resource(
            "/subscribers/{email}",
            vec![
                ("GET", web::get().to(subscribers::address)),
                ("DELETE", web::delete().to(subscribers::erase)),
            ],
        ))
        .service(resource(
            "/suppressions",
            vec![("GET", web::get().to(suppressions::list))],
        ))
        .service(resource(
            "/suppressions/{email}",
            vec![
                ("GET", web::get().to(suppressions::get)),
                ("DELETE", web::delete().to(suppressions::lift)),
            ],
        ))
}
