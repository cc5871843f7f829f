//! `GET /api/openapi.json`: the OpenAPI 3 document, generated from the
//! handlers' annotations and the types they send and take.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::admin::{digests, feed_items, feeds, newsletters, subscribers};
use super::{confirm, health, pages, subscriptions, unsubscribe};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Herald", description = "Newsletter subscription and distribution server"),
    paths(
        health::health,
        pages::index,
        pages::newsletter,
        pages::pending,
        subscriptions::subscribe,
        confirm::show,
        confirm::confirm,
        unsubscribe::show,
        unsubscribe::unsubscribe,
        openapi_json,
        newsletters::list,
        newsletters::create,
        newsletters::get,
        newsletters::update,
        newsletters::archive,
        subscribers::list,
        subscribers::add,
        subscribers::get_one,
        subscribers::set_status,
        subscribers::address,
        subscribers::erase,
        digests::preview,
        digests::create,
        digests::get,
        digests::pause,
        digests::resume,
        digests::cancel,
        feed_items::create,
        feed_items::list,
        feed_items::delete,
        feeds::create,
        feeds::list,
        feeds::get,
        feeds::delete,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "public", description = "Signup pages and forms, confirm and unsubscribe links"),
        (name = "admin", description = "The admin API: `Authorization: Bearer TOKEN`"),
    )
)]
pub struct ApiDoc;

#[utoipa::path(get, path = "/api/openapi.json", tag = "public",
    responses((status = 200, description = "This document", content_type = "application/json", body = Object)))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
