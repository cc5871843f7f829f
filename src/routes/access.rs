//! The access log and the HTTP metrics: one line per request at target
//! `herald::access` (level info) with the method, the route pattern, the
//! status and the duration, and the same request counted in `/metrics`.
//!
//! Only the pattern the request matched is recorded (such as
//! `/subscriptions/confirm` or `/newsletters/{slug}/archive`, `unmatched`
//! when none did), never the path or its query: confirm, unsubscribe and
//! manage links carry their tokens there. This runs on every request, so
//! it stays cheap: the pattern is looked up from the ids routing recorded,
//! and a line filtered out by `RUST_LOG` costs a cached level check.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::Method;

/// The route of a request that matched none (a 404 from the default
/// service, or an error before routing).
pub const UNMATCHED: &str = "unmatched";

/// Wraps the whole app (outermost, so its time includes every other
/// middleware).
pub struct AccessLog;

impl<S, B> Transform<S, ServiceRequest> for AccessLog
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = AccessLogService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AccessLogService { service }))
    }
}

pub struct AccessLogService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for AccessLogService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = Timed<S::Future>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&self, req: ServiceRequest) -> Self::Future {
        Timed {
            // A standard method is a copy, not an allocation.
            method: req.method().clone(),
            start: Instant::now(),
            inner: self.service.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's answer, recorded when it is ready (in place:
    /// no allocation per request).
    pub struct Timed<F> {
        method: Method,
        start: Instant,
        #[pin]
        inner: F,
    }
}

impl<F, B> Future for Timed<F>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = match this.inner.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        let elapsed = this.start.elapsed();
        match &result {
            Ok(res) => {
                // Routing recorded which resource answered; the pattern
                // is built from that, not by matching the path again.
                let route = res.request().match_pattern();
                record(
                    this.method,
                    route.as_deref().unwrap_or(UNMATCHED),
                    res.status(),
                    elapsed,
                );
            }
            // An error that skipped the handlers: its request (and so its
            // route) is gone, its status is the error's.
            Err(e) => record(
                this.method,
                UNMATCHED,
                e.as_response_error().status_code(),
                elapsed,
            ),
        }
        Poll::Ready(result)
    }
}

fn record(
    method: &Method,
    route: &str,
    status: actix_web::http::StatusCode,
    elapsed: std::time::Duration,
) {
    crate::metrics::http_request(method.as_str(), route, status.as_str(), elapsed);
    tracing::info!(
        target: "herald::access",
        method = %method,
        route = %route,
        status = status.as_u16(),
        duration_ms = elapsed.as_micros() as f64 / 1000.0,
        "request"
    );
}
