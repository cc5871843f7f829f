//! Webhook endpoints in the console: add one (its secret shown once, on the
//! page that answers the form), list them with a notice for any that was
//! disabled, enable or remove one, and read an endpoint's delivery log.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::{csrf, page, refusal, resource, see_other, ConsoleError, Result, Session};
use crate::app::Error;
use crate::domain::EventType;
use crate::routes::AppState;
use crate::webhooks::{self, AttemptQuery, WebhookBody, WebhookPatch};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/webhooks", vec![("GET", web::get().to(show))]))
        .service(resource(
            "/webhooks/add",
            vec![("POST", web::post().to(create))],
        ))
        .service(resource(
            "/webhooks/{id}",
            vec![("GET", web::get().to(log))],
        ))
        .service(resource(
            "/webhooks/{id}/enable",
            vec![("POST", web::post().to(enable))],
        ))
        .service(resource(
            "/webhooks/{id}/delete",
            vec![("POST", web::post().to(delete))],
        ));
}

async fn list_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    notice: Value,
) -> Result<HttpResponse> {
    let endpoints = webhooks::list(state).await?;
    let events: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
    Ok(page(
        state,
        status,
        "admin/webhooks.html",
        Some(session),
        "webhooks",
        json!({ "webhooks": endpoints, "events": events, "notice": notice }),
    ))
}

pub async fn show(session: Session, state: web::Data<AppState>) -> Result<HttpResponse> {
    list_page(&state, &session, StatusCode::OK, json!(null)).await
}

/// Answers with the page itself (no redirect), so the secret shows once.
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let b = WebhookBody {
        url: form.get("url").to_string(),
        events: form.all("event"),
    };
    match webhooks::create(&state, &b).await {
        Ok(created) => {
            let notice =
                json!({ "text": "Endpoint added.", "secret": created.secret, "url": created.url });
            list_page(&state, &session, StatusCode::OK, notice).await
        }
        Err(e) => match refusal(&e) {
            Some((status, message)) => {
                list_page(&state, &session, status, json!({ "error": message })).await
            }
            None => Err(e.into()),
        },
    }
}

fn gone(e: Error) -> ConsoleError {
    match e {
        Error::NotFound { .. } => {
            ConsoleError::Client(StatusCode::NOT_FOUND, "No such endpoint.".into())
        }
        e => e.into(),
    }
}

/// One endpoint and its latest delivery attempts.
pub async fn log(
    session: Session,
    state: web::Data<AppState>,
    raw: web::Path<String>,
) -> Result<HttpResponse> {
    let endpoint = webhooks::get(&state, &raw).await.map_err(gone)?;
    let attempts = webhooks::attempts(&state, &raw, &AttemptQuery::default())
        .await
        .map_err(gone)?;
    Ok(page(
        &state,
        StatusCode::OK,
        "admin/webhook.html",
        Some(&session),
        "webhooks",
        json!({ "webhook": endpoint, "attempts": attempts.attempts }),
    ))
}

pub async fn enable(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    raw: web::Path<String>,
) -> Result<HttpResponse> {
    csrf::form(&req, payload, &state, &session).await?;
    let patch = WebhookPatch {
        events: None,
        enabled: Some(true),
    };
    webhooks::update(&state, &raw, &patch).await.map_err(gone)?;
    Ok(see_other("/admin/webhooks"))
}

pub async fn delete(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    raw: web::Path<String>,
) -> Result<HttpResponse> {
    csrf::form(&req, payload, &state, &session).await?;
    webhooks::delete(&state, &raw).await.map_err(gone)?;
    Ok(see_other("/admin/webhooks"))
}
