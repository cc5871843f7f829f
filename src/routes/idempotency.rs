//! The `Idempotency-Key` header on the admin routes that create something:
//! read and checked as an extractor, the request hashed (query and body,
//! SHA-256; a streamed body as it is read), the work wrapped so that a
//! repeated request gets the first answer again (see [`crate::idempotency`]).
//!
//! Answers after the work are kept when they are 2xx or 4xx; a 5xx lets the
//! key go, so that a retry does the work. A replayed answer carries
//! `Idempotent-Replayed: true`.

use std::cell::RefCell;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::error::PayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::app::App;
use crate::idempotency::{self, Answer, Claim, ScopedKey, Start, Waited};

/// The request's `Idempotency-Key`, if it has one: 422
/// `invalid_idempotency_key` for a bad one (also one that isn't ASCII).
pub struct Idempotency(Option<Keyed>);

struct Keyed {
    key: ScopedKey,
    query: String,
}

impl FromRequest for Idempotency {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Idempotency::read(req))
    }
}

impl Idempotency {
    fn read(req: &HttpRequest) -> Result<Self, ApiError> {
        let Some(value) = req.headers().get("idempotency-key") else {
            return Ok(Idempotency(None));
        };
        let raw = value.to_str().map_err(|_| {
            ApiError::unprocessable(
                "invalid_idempotency_key",
                "an Idempotency-Key is 1-200 printable ASCII characters",
            )
        })?;
        Ok(Idempotency(Some(Keyed {
            key: ScopedKey::parse(scope(req), raw)?,
            query: req.query_string().to_string(),
        })))
    }

    /// Runs `work` once per key and body: the first request with a key
    /// does it, later ones (also concurrent ones) get its answer.
    pub async fn run(
        self,
        app: &App,
        body: &[u8],
        work: impl Future<Output = Result<HttpResponse, ApiError>>,
    ) -> Result<HttpResponse, ApiError> {
        let Some(keyed) = self.0 else {
            return work.await;
        };
        let mut hasher = keyed.hasher();
        hasher.update(body);
        let hash = hex::encode(hasher.finalize());
        match idempotency::start(app, &keyed.key, &hash).await? {
            Start::Replay(answer) => Ok(replay(&answer)),
            Start::Run(claim) => {
                let response = respond(claim.hold(work).await);
                keep(claim, Some(hash), response).await
            }
        }
    }

    /// As [`Idempotency::run`] for a body the work streams (at most `limit`
    /// bytes), hashed as it goes. A request that finds its key taken reads
    /// its own body whole to hash it before waiting for the answer; should
    /// the key come free meanwhile, it answers 409 (its body is gone) and a
    /// retry does the work.
    pub async fn run_streamed<W, F>(
        self,
        app: &App,
        payload: web::Payload,
        limit: u64,
        work: W,
    ) -> Result<HttpResponse, ApiError>
    where
        W: FnOnce(HashedBody) -> F,
        F: Future<Output = Result<HttpResponse, ApiError>>,
    {
        let Some(keyed) = self.0 else {
            return work(HashedBody::new(payload, None, limit)).await;
        };
        let body = HashedBody::new(payload, Some(keyed.hasher()), limit);
        match idempotency::claim(app, &keyed.key, None).await? {
            Some(claim) => {
                let response = respond(claim.hold(work(body.clone())).await);
                // The work may stop early (a bad header): the hash covers
                // the whole body all the same.
                body.drain().await;
                keep(claim, body.digest(), response).await
            }
            None => {
                body.drain().await;
                let hash = body.digest().ok_or_else(|| body.refusal())?;
                let until = Instant::now() + idempotency::WAIT_FOR;
                match idempotency::wait(app, &keyed.key, &hash, until).await? {
                    Waited::Answer(answer) => Ok(replay(&answer)),
                    Waited::Free => Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "idempotency_key_in_use",
                        "the request that held this Idempotency-Key failed; try again",
                    )),
                }
            }
        }
    }
}

impl Keyed {
    /// A hasher that has seen the query string (length first, so that no
    /// query and body can pass for another).
    fn hasher(&self) -> Sha256 {
        let mut h = Sha256::new();
        h.update((self.query.len() as u64).to_be_bytes());
        h.update(self.query.as_bytes());
        h
    }
}

/// The key's scope: the route's pattern, and the newsletter where the path
/// names one.
fn scope(req: &HttpRequest) -> String {
    let pattern = req
        .match_pattern()
        .unwrap_or_else(|| req.path().to_string());
    match req.match_info().get("slug") {
        Some(slug) => format!("{} {pattern} {slug}", req.method()),
        None => format!("{} {pattern}", req.method()),
    }
}

fn respond(result: Result<HttpResponse, ApiError>) -> HttpResponse {
    result.unwrap_or_else(|e| e.error_response())
}

/// Keeps a 2xx or 4xx answer for the key and sends it; anything else (or a
/// body that could not be hashed whole) lets the key go.
async fn keep(
    claim: Claim,
    hash: Option<String>,
    response: HttpResponse,
) -> Result<HttpResponse, ApiError> {
    let status = response.status();
    let Some(hash) = hash.filter(|_| status.is_success() || status.is_client_error()) else {
        if let Err(e) = claim.release().await {
            tracing::warn!(error = %format!("{e:#}"), "could not let an idempotency key go");
        }
        return Ok(response);
    };
    let bytes = actix_web::body::to_bytes(response.into_body())
        .await
        .map_err(|e| anyhow::anyhow!("reading an answer to keep: {e}"))?;
    let body = String::from_utf8(bytes.to_vec())
        .map_err(|_| anyhow::anyhow!("an answer to keep is not UTF-8"))?;
    let answer = Answer {
        status: status.as_u16(),
        body,
    };
    claim.finish(Some(&hash), &answer).await?;
    Ok(send(&answer))
}

fn send(answer: &Answer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type("application/json")
        .body(answer.body.clone())
}

fn replay(answer: &Answer) -> HttpResponse {
    let mut response = send(answer);
    response.headers_mut().insert(
        header::HeaderName::from_static("idempotent-replayed"),
        header::HeaderValue::from_static("true"),
    );
    response
}

/// A request body that hashes itself as it is read, and counts, so that
/// one past its limit is known not to have been hashed whole.
#[derive(Clone)]
pub struct HashedBody(Rc<RefCell<Hashing>>);

struct Hashing {
    payload: web::Payload,
    hasher: Option<Sha256>,
    total: u64,
    limit: u64,
    failed: bool,
}

impl HashedBody {
    fn new(payload: web::Payload, hasher: Option<Sha256>, limit: u64) -> Self {
        HashedBody(Rc::new(RefCell::new(Hashing {
            payload,
            hasher,
            total: 0,
            limit,
            failed: false,
        })))
    }

    /// Reads (and hashes) what the work left unread, up to the limit.
    async fn drain(&self) {
        let mut body = self.clone();
        loop {
            {
                let h = body.0.borrow();
                if h.failed || h.total > h.limit {
                    return;
                }
            }
            if body.next().await.is_none() {
                return;
            }
        }
    }

    /// The whole body's hash; `None` when it failed to arrive or was over
    /// the limit.
    fn digest(&self) -> Option<String> {
        let h = self.0.borrow();
        if h.failed || h.total > h.limit {
            return None;
        }
        h.hasher.clone().map(|h| hex::encode(h.finalize()))
    }

    /// Why [`HashedBody::digest`] has none: 413 or 400.
    fn refusal(&self) -> ApiError {
        let h = self.0.borrow();
        if h.total > h.limit {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {} bytes", h.limit),
            )
        } else {
            ApiError::bad_request("the body could not be read")
        }
    }
}

impl Stream for HashedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut h = self.0.borrow_mut();
        let next = Pin::new(&mut h.payload).poll_next(cx);
        match &next {
            Poll::Ready(Some(Ok(chunk))) => {
                h.total += chunk.len() as u64;
                if let Some(hasher) = h.hasher.as_mut() {
                    hasher.update(chunk);
                }
            }
            Poll::Ready(Some(Err(_))) => h.failed = true,
            _ => {}
        }
        next
    }
}
