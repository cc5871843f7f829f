//! HTTP requests by method, route and status, their latency by route, and
//! what readers did: signups, confirmations, unsubscribes.
//!
//! Every request passes through [`http_request`], so it allocates nothing:
//! the label values are `&str`s looked up (hashed) among the series that
//! exist, and a series is created only the first time a combination shows
//! up. Labels stay a small, bounded set: methods outside the standard ones
//! count as `other`, routes are the patterns the routes were registered
//! with (or `unmatched`), statuses are three digits.

use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry};

use super::METRICS;

/// Upper bounds of the request-latency buckets, in seconds: from a cached
/// page's sub-millisecond answer to a slow database's seconds.
pub const HTTP_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

pub(super) struct Http {
    requests: IntCounterVec,
    duration: HistogramVec,
    signups: IntCounter,
    confirmations: IntCounter,
    unsubscribes: IntCounter,
}

impl Http {
    pub(super) fn register(registry: &Registry) -> Self {
        let requests = IntCounterVec::new(
            Opts::new(
                "herald_http_requests_total",
                "HTTP requests answered by this process, by method, route pattern and status.",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "herald_http_request_duration_seconds",
                "Time from a request's arrival to its answer's head, by route pattern.",
            )
            .buckets(HTTP_BUCKETS.to_vec()),
            &["route"],
        )
        .expect("valid metric");
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("valid metric");
            registry.register(Box::new(c.clone())).expect("unique name");
            c
        };
        let signups = counter(
            "herald_signups_total",
            "Signups accepted that left the address pending confirmation, in this process.",
        );
        let confirmations = counter(
            "herald_confirmations_total",
            "Subscriptions confirmed by their reader, in this process.",
        );
        let unsubscribes = counter(
            "herald_unsubscribes_total",
            "Subscriptions ended by their reader, in this process.",
        );
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duration.clone()),
        ] {
            registry.register(c).expect("unique name");
        }
        Http {
            requests,
            duration,
            signups,
            confirmations,
            unsubscribes,
        }
    }
}

/// The `method` label: the standard methods, or `other` (a client may
/// send any token as a method; each would otherwise be a new series).
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "other",
    }
}

/// One answered request. `route` is the pattern that matched (such as
/// `/newsletters/{slug}/archive`) or `unmatched`, never the path itself, so
/// that the set of series stays bounded and no token lands in a label;
/// `status` is the three-digit code.
pub fn http_request(method: &str, route: &str, status: &str, elapsed: Duration) {
    let http = &METRICS.http;
    http.requests
        .with_label_values(&[method_label(method), route, status])
        .inc();
    http.duration
        .with_label_values(&[route])
        .observe(elapsed.as_secs_f64());
}

/// A signup was accepted and left the address pending for at least one
/// newsletter (a confirmation is due).
pub fn signup_accepted() {
    METRICS.http.signups.inc();
}

/// `n` subscriptions were confirmed by their reader.
pub fn subscriptions_confirmed(n: usize) {
    METRICS.http.confirmations.inc_by(n as u64);
}

/// `n` subscriptions were ended by their reader (an unsubscribe link, the
/// one-click POST, or the preferences page).
pub fn subscriptions_ended(n: usize) {
    METRICS.http.unsubscribes.inc_by(n as u64);
}
