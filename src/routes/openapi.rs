//! `GET /api/openapi.json`: the OpenAPI 3 document, generated from the
//! handlers' annotations and the types they send and take.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::admin::{
    digests, feed_items, feeds, import, newsletters, schedules, subscribers, suppressions, webhooks,
};
use super::{
    archive, confirm, embed, health, manage, metrics, news, pages, provider_webhooks,
    subscriptions, unsubscribe,
};
use crate::webhooks::payloads;

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

/// Handlers in different modules share names (`list`, `create` …), and
/// utoipa takes operation ids from them; OpenAPI wants them unique, so
/// every repeated one gets its method and path spelled out.
struct UniqueOperationIds;

impl Modify for UniqueOperationIds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut seen = std::collections::HashMap::<String, usize>::new();
        let each =
            |openapi: &mut utoipa::openapi::OpenApi,
             f: &mut dyn FnMut(&str, &str, &mut utoipa::openapi::path::Operation)| {
                for (path, item) in openapi.paths.paths.iter_mut() {
                    for (method, op) in [
                        ("get", &mut item.get),
                        ("post", &mut item.post),
                        ("put", &mut item.put),
                        ("patch", &mut item.patch),
                        ("delete", &mut item.delete),
                        ("head", &mut item.head),
                        ("options", &mut item.options),
                    ] {
                        if let Some(op) = op {
                            f(path, method, op);
                        }
                    }
                }
            };
        each(openapi, &mut |_, _, op| {
            if let Some(id) = &op.operation_id {
                *seen.entry(id.clone()).or_default() += 1;
            }
        });
        each(openapi, &mut |path, method, op| {
            let repeated = op.operation_id.as_ref().is_some_and(|id| seen[id] > 1);
            if repeated || op.operation_id.is_none() {
                let words: Vec<&str> = path
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| !w.is_empty() && *w != "api")
                    .collect();
                op.operation_id = Some(format!("{method}_{}", words.join("_")));
            }
        });
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
        news::page,
        news::atom_feed,
        archive::list,
        archive::show,
        archive::atom_feed,
        subscriptions::subscribe,
        subscriptions::preflight,
        embed::script,
        confirm::show,
        confirm::confirm,
        unsubscribe::show,
        unsubscribe::unsubscribe,
        manage::show,
        manage::save,
        openapi_json,
        newsletters::list,
        newsletters::create,
        newsletters::get,
        newsletters::update,
        newsletters::archive,
        subscribers::list,
        subscribers::add,
        import::import,
        subscribers::get_one,
        subscribers::set_status,
        subscribers::address,
        subscribers::erase,
        suppressions::list,
        suppressions::get,
        suppressions::lift,
        schedules::runs,
        digests::preview,
        digests::create,
        digests::test,
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
        webhooks::create,
        webhooks::list,
        webhooks::get,
        webhooks::update,
        webhooks::delete,
        webhooks::deliveries,
        metrics::metrics,
        provider_webhooks::ses,
        provider_webhooks::postmark,
    ),
    components(schemas(
        payloads::WebhookEvent,
        payloads::WebhookEventData,
        payloads::SubscriptionEventData,
        payloads::SuppressionEventData,
        payloads::ErasureEventData,
        payloads::DigestEventData,
    )),
    modifiers(&BearerAuth, &UniqueOperationIds),
    tags(
        (name = "public", description = "Signup pages and forms, confirm and unsubscribe links"),
        (name = "admin", description = "The admin API: `Authorization: Bearer TOKEN`"),
        (name = "webhooks", description = "Bounce and complaint events from sending providers"),
    )
)]
pub struct ApiDoc;

#[utoipa::path(get, path = "/api/openapi.json", tag = "public",
    responses((status = 200, description = "This document", content_type = "application/json", body = Object)))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
