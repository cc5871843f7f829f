//! CSV import and export of a newsletter's subscribers. Both stream: the
//! import feeds the request body chunk by chunk to the import core, the
//! export writes one page of rows at a time, so neither holds a whole file.

use std::io;

use actix_web::error::PayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::future::{select, Either};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;

use super::Admin;
use crate::routes::body::unsupported_type;
use crate::routes::idempotency::Idempotency;
use crate::routes::{error::ApiError, error::ErrorBody, AppState};
use crate::subscribers::{self, channel_reader, ChunkSender, ImportError, Importer, Mode};

/// The largest import body: far beyond any real list, small enough that a
/// runaway upload stops.
pub const IMPORT_LIMIT: u64 = 1 << 30;

/// Chunks of the body that may wait for the parser.
const CHUNKS_IN_FLIGHT: usize = 16;

#[derive(Deserialize)]
pub struct ImportQuery {
    confirmed: Option<String>,
    consent: Option<String>,
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("an import is at most {IMPORT_LIMIT} bytes"),
    )
}

/// 415 unless the body is uncompressed `text/csv`.
fn check_body(req: &HttpRequest) -> Result<(), ApiError> {
    let essence = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if essence.as_deref() != Some("text/csv") {
        return Err(unsupported_type("text/csv"));
    }
    if let Some(enc) = req.headers().get(header::CONTENT_ENCODING) {
        if enc.as_bytes() != b"identity" {
            return Err(unsupported_type("an uncompressed body"));
        }
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > IMPORT_LIMIT) {
        return Err(too_large());
    }
    Ok(())
}

/// `?confirmed=true|false|1|0`.
fn flag(value: Option<&str>) -> Result<bool, ApiError> {
    match value.map(str::trim) {
        None | Some("" | "false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(ApiError::bad_request("`confirmed` is true or false")),
    }
}

/// Why feeding the body stopped early.
enum FeedError {
    TooLarge,
    Body,
}

/// Passes the body to the parser chunk by chunk, waiting while the channel
/// is full (so a fast client is slowed to the database's pace). Stops
/// quietly when the parser no longer listens.
async fn feed<S>(mut payload: S, tx: ChunkSender) -> Result<(), FeedError>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    let mut total: u64 = 0;
    while let Some(chunk) = payload.next().await {
        let (item, outcome) = match chunk {
            Ok(chunk) => {
                total += chunk.len() as u64;
                if total > IMPORT_LIMIT {
                    (
                        Err(io::Error::other("the body is too large")),
                        Err(FeedError::TooLarge),
                    )
                } else {
                    (Ok(chunk), Ok(()))
                }
            }
            Err(e) => (Err(io::Error::other(e.to_string())), Err(FeedError::Body)),
        };
        if tx.send(item).await.is_err() {
            return Ok(());
        }
        outcome?;
    }
    Ok(())
}

/// Imports a CSV (a header row; `email` required, `name` optional, other
/// columns ignored), streamed: rows are pending unless `confirmed=true`
/// with a `consent` note says they agreed already.
#[utoipa::path(post, path = "/api/admin/newsletters/{slug}/subscribers/import", tag = "admin", security(("bearer" = [])),
    params(
        ("slug" = String, Path),
        ("confirmed" = Option<bool>, Query, description = "The rows agreed already: confirmed at once, no email"),
        ("consent" = Option<String>, Query, description = "How they agreed; required with `confirmed=true`"),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeating a key with the same query and body answers as the first time, without importing again"),
    ),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, description = "`{\"imported\",\"skipped\",\"invalid\":[{\"line\",\"value\",\"reason\"}],\"invalid_total\",\"suppressed\",\"suppressed_addresses\"}`", body = Object),
        (status = 400, description = "The query doesn't parse, or the body could not be read", body = ErrorBody),
        (status = 401, description = "No valid admin bearer token", body = ErrorBody),
        (status = 404, description = "No such newsletter", body = ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is still being handled", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 GiB", body = ErrorBody),
        (status = 415, description = "The body isn't uncompressed text/csv", body = ErrorBody),
        (status = 422, description = "Not a CSV with an `email` column, `confirmed` without `consent`, or an Idempotency-Key that is invalid or came with another request", body = ErrorBody),
    ))]
pub async fn import(
    _: Admin,
    once: Idempotency,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mode = import_mode(&req)?;
    once.run_streamed(&state, payload, IMPORT_LIMIT, |body| {
        run_import(&state, &slug, mode, body)
    })
    .await
}

/// `GET …/subscribers/export` for a bearer token.
pub async fn export(
    _: Admin,
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    export_csv(req, slug, state).await
}

/// Imports a CSV of subscribers, for the console (the API adds
/// `Idempotency-Key` around the same work).
pub(crate) async fn import_csv(
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mode = import_mode(&req)?;
    run_import(&state, &slug, mode, payload).await
}

/// What is refused before any work: the body's type and declared size, the
/// query.
fn import_mode(req: &HttpRequest) -> Result<Mode, ApiError> {
    check_body(req)?;
    let q: ImportQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))?;
    Ok(Mode::new(
        flag(q.confirmed.as_deref())?,
        q.consent.as_deref(),
    )?)
}

/// Imports the CSV `body` streams (see [`subscribers::Importer`]); answers
/// with the counts and the refused rows.
async fn run_import<S>(
    state: &AppState,
    slug: &str,
    mode: Mode,
    body: S,
) -> Result<HttpResponse, ApiError>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    let newsletter = crate::newsletters::get(state, slug).await?;
    let importer = Importer {
        app: state,
        newsletter: &newsletter,
        mode,
    };
    let (tx, reader) = channel_reader(CHUNKS_IN_FLIGHT);
    let run = std::pin::pin!(importer.run(reader));
    let fed = std::pin::pin!(feed(body, tx));
    // Once the import ends (also early, on a bad header) the rest of the
    // body is not waited for.
    let (result, fed) = match select(run, fed).await {
        Either::Left((result, _)) => (result, None),
        Either::Right((fed, run)) => (run.await, Some(fed)),
    };
    match result {
        Ok(summary) => Ok(HttpResponse::Ok().json(summary)),
        Err(ImportError::Csv(message)) => Err(ApiError::unprocessable("invalid_csv", message)),
        Err(e @ ImportError::Read { .. }) => {
            tracing::warn!(error = %e, newsletter = %newsletter.slug, "import cut short");
            Err(match fed {
                Some(Err(FeedError::TooLarge)) => too_large(),
                Some(Err(FeedError::Body)) | Some(Ok(())) | None => {
                    ApiError::bad_request(e.to_string())
                }
            })
        }
        Err(ImportError::Store(e)) => Err(ApiError::Internal(e)),
    }
}

#[derive(Deserialize)]
pub struct ExportQuery {
    status: Option<String>,
}

/// Streams a newsletter's subscribers as CSV, one page of rows at a time;
/// `?status=` filters as in the list. Errors before the first byte get a
/// status code; a database failure later cuts the response short (and is
/// logged), which a client sees as a truncated transfer.
pub(crate) async fn export_csv(
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: ExportQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))?;
    let (newsletter, pages) = subscribers::export(&state, &slug, q.status.as_deref()).await?;
    let pages = pages.map(|page| page.map_err(ApiError::from));
    let filename = format!("{}-subscribers.csv", newsletter.slug);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(pages))
}
