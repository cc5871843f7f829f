//! The suppression list: addresses that bounced or complained, why, the
//! evidence, and a button that lifts one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{csrf, page, refusal, resource, ConsoleError, Result, Session};
use crate::routes::AppState;
use crate::suppressions::{self, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(
        "/suppressions",
        vec![("GET", web::get().to(show))],
    ))
    .service(resource(
        "/suppressions/lift",
        vec![("POST", web::post().to(lift))],
    ));
}

#[derive(Deserialize)]
pub struct Query {
    after: Option<String>,
}

async fn list_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    after: Option<String>,
    notice: Value,
) -> Result<HttpResponse> {
    let q = PageQuery {
        limit: Some(100),
        after,
    };
    let list = match suppressions::list(state, &q).await {
        Ok(list) => list,
        Err(e) => {
            return Err(match refusal(&e) {
                Some((status, message)) => ConsoleError::Client(status, message),
                None => e.into(),
            })
        }
    };
    let total = suppressions::count(state).await?;
    Ok(page(
        state,
        status,
        "admin/suppressions.html",
        Some(session),
        "suppressions",
        json!({ "suppressions": list.suppressions, "next": list.next, "total": total, "notice": notice }),
    ))
}

pub async fn show(
    session: Session,
    q: web::Query<Query>,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    list_page(&state, &session, StatusCode::OK, q.into_inner().after, json!(null)).await
}

pub async fn lift(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse> {
    let form = csrf::form(&req, payload, &state, &session).await?;
    let email = form.get("email").to_string();
    let (status, notice) = match suppressions::lift(&state, &email).await {
        Ok(()) => (
            StatusCode::OK,
            json!({ "text": format!("Lifted the suppression of {email}.") }),
        ),
        Err(e) => match refusal(&e) {
            Some((status, message)) => (status, json!({ "error": message })),
            None => return Err(e.into()),
        },
    };
    list_page(&state, &session, status, None, notice).await
}
