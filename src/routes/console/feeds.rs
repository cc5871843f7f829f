//! Feed items (add, remove) and the feeds Herald polls (add, remove, see
//! why the last poll failed), on one page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::{csrf, page, refusal, resource, see_other, ConsoleError, Result, Session};
use crate::app::Error;
use crate::news::{self, FeedBody, ItemBody};
use crate::routes::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/feeds", vec![("GET", web::get().to(show))]))
        .service(resource(
            "/feeds/add",
            vec![("POST", web::post().to(create_feed))],
        ))
        .service(resource(
            "/feeds/{id}/delete",
            vec![("POST", web::post().to(delete_feed))],
        ))
        .service(resource(
            "/feed-items",
            vec![("POST", web::post().to(create_item))],
        ))
        .service(resource(
            "/feed-items/{id}/delete",
            vec![("POST", web::post().to(delete_item))],
        ));
}

async fn feeds_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    notice: Value,
) -> Result<HttpResponse> {
    let items = state.store.list_items(50, None).await?;
    let feeds = state.store.list_feeds().await?;
    let newsletters = state.store.list_newsletters().await?;
    Ok(page(
        state,
        status,
        "admin/feeds.html",
        Some(session),
        "feeds",
        json!({ "items": items.items, "feeds": feeds, "newsletters": newsletters, "notice": notice }),
    ))
}

pub async fn show(session: Session, state: web::Data<AppState>) -> Result<HttpResponse> {
    feeds_page(&state, &session, StatusCode::OK, json!(null)).await
}

/// A refused value shows on the page again; anything else is an error.
async fn outcome<T>(
    state: &AppState,
    session: &Session,
    result: Result<T, Error>,
    done: &str,
) -> Result<HttpResponse> {
    match result {
        Ok(_) => feeds_page(state, session, StatusCode::OK, json!({ "text": done })).await,
        Err(e) => match refusal(&e) {
            Some((status, message)) => {
                feeds_page(state, session, status, json!({ "error": message })).await
            }
            None => Err(e.into()),
        },
    }
}

pub async fn create_item(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let b = ItemBody {
        title: form.get("title").to_string(),
        url: form.get("url").to_string(),
        summary: form.get("summary").to_string(),
        published_at: None,
        newsletters: form.all("newsletter"),
    };
    let result = news::add_item(&state, &b).await;
    outcome(&state, &session, result, "Item added.").await
}

pub async fn create_feed(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let interval = match form.get("interval_minutes") {
        "" => None,
        m => Some(
            m.parse::<i64>()
                .ok()
                .filter(|m| (1..=43_200).contains(m))
                .ok_or_else(|| {
                    ConsoleError::Client(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Poll every 1 to 43200 minutes.".into(),
                    )
                })?
                * 60,
        ),
    };
    let b = FeedBody {
        url: form.get("url").to_string(),
        newsletters: form.all("newsletter"),
        interval_secs: interval,
    };
    let result = news::add_feed(&state, &b).await;
    outcome(
        &state,
        &session,
        result,
        "Feed added; its first poll comes within seconds.",
    )
    .await
}

fn gone(e: Error) -> ConsoleError {
    match e {
        Error::NotFound { .. } => {
            ConsoleError::Client(StatusCode::NOT_FOUND, "It is gone already.".into())
        }
        e => e.into(),
    }
}

pub async fn delete_item(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    raw: web::Path<String>,
) -> Result<HttpResponse> {
    csrf::form(&req, payload, &state, &session).await?;
    news::delete_item(&state, &raw).await.map_err(gone)?;
    Ok(see_other("/admin/feeds"))
}

pub async fn delete_feed(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
    raw: web::Path<String>,
) -> Result<HttpResponse> {
    csrf::form(&req, payload, &state, &session).await?;
    news::delete_feed(&state, &raw).await.map_err(gone)?;
    Ok(see_other("/admin/feeds"))
}
