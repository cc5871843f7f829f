//! Process-local counters and histograms behind `GET /metrics`, in one
//! `prometheus` registry: deliveries (bumped by the worker on every
//! message), HTTP requests (on every request) and what readers did
//! ([`http`]). Recording is a few atomic operations and never blocks on
//! I/O; rendering is the `prometheus` crate's text encoder.
//!
//! They count what *this* process did since it started (Prometheus works
//! out rates and survives restarts); the queue depth, shared by every
//! process, is read from the database at scrape time instead.

mod http;

pub use http::{
    http_request, signup_accepted, subscriptions_confirmed, subscriptions_ended, HTTP_BUCKETS,
};

use std::future::Future;
use std::sync::LazyLock;
use std::time::Instant;

use prometheus::{
    Histogram, HistogramOpts, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The `kind` label values; any other kind is counted as `other` (shown
/// once it is non-zero).
const KINDS: [&str; 3] = ["confirm", "digest", "other"];

/// Upper bounds of the send-latency buckets, in seconds: from a local
/// relay's few milliseconds to a slow remote one's seconds.
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Message statuses always reported, even at zero, so a graph shows a
/// flat line instead of a gap.
const STATUSES: [&str; 6] = [
    "queued",
    "sending",
    "sent",
    "failed",
    "skipped",
    "cancelled",
];

/// The outcomes of scheduled slots.
const RUN_STATUSES: [&str; 3] = ["sent", "skipped", "missed"];

/// The outcomes of webhook delivery attempts.
const WEBHOOK_OUTCOMES: [&str; 2] = ["delivered", "failed"];

/// Every series this process keeps, and the registry that renders them.
struct Metrics {
    registry: Registry,
    sent: IntCounterVec,
    failed: IntCounterVec,
    retried: IntCounterVec,
    skipped: IntCounterVec,
    schedule_runs: IntCounterVec,
    webhook_attempts: IntCounterVec,
    suppressions: IntCounterVec,
    send_duration: Histogram,
    http: http::Http,
}

/// One set per process, like the process itself: a global avoids threading
/// a handle through every worker and handler for what is only ever
/// incremented. The names and help texts are fixed, so building it can't
/// fail.
static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let by_kind = |name: &str, help: &str| {
        let c = IntCounterVec::new(Opts::new(name, help), &["kind"]).expect("valid metric");
        // The usual kinds show from the start, at zero.
        for kind in &KINDS[..2] {
            c.with_label_values(&[*kind]);
        }
        registry.register(Box::new(c.clone())).expect("unique name");
        c
    };
    let sent = by_kind(
        "herald_messages_sent_total",
        "Messages the mail server accepted (or the outbox stored), by this process.",
    );
    let failed = by_kind(
        "herald_messages_failed_total",
        "Messages given up on (a permanent reply, or retried for too long), by this process.",
    );
    let retried = by_kind(
        "herald_messages_retried_total",
        "Temporary send failures that put a message back in the queue, in this process.",
    );
    let skipped = by_kind(
        "herald_messages_skipped_total",
        "Digest deliveries not sent because the reader had unsubscribed, in this process.",
    );
    let schedule_runs = IntCounterVec::new(
        Opts::new(
            "herald_schedule_runs_total",
            "Scheduled digest slots by outcome, handled by this process.",
        ),
        &["status"],
    )
    .expect("valid metric");
    for status in RUN_STATUSES {
        schedule_runs.with_label_values(&[status]);
    }
    registry
        .register(Box::new(schedule_runs.clone()))
        .expect("unique name");
    let webhook_attempts = IntCounterVec::new(
        Opts::new(
            "herald_webhook_attempts_total",
            "Webhook delivery attempts by outcome, made by this process.",
        ),
        &["outcome"],
    )
    .expect("valid metric");
    for outcome in WEBHOOK_OUTCOMES {
        webhook_attempts.with_label_values(&[outcome]);
    }
    registry
        .register(Box::new(webhook_attempts.clone()))
        .expect("unique name");
    let suppressions = IntCounterVec::new(
        Opts::new(
            "herald_suppressions_total",
            "Addresses suppressed by this process, by reason (hard_bounce, soft_bounce, complained).",
        ),
        &["reason"],
    )
    .expect("valid metric");
    registry
        .register(Box::new(suppressions.clone()))
        .expect("unique name");
    let send_duration = Histogram::with_opts(
        HistogramOpts::new(
            "herald_send_duration_seconds",
            "Time one message took to hand to the mail server (or outbox).",
        )
        .buckets(BUCKETS.to_vec()),
    )
    .expect("valid metric");
    registry
        .register(Box::new(send_duration.clone()))
        .expect("unique name");
    let http = http::Http::register(&registry);
    Metrics {
        registry,
        sent,
        failed,
        retried,
        skipped,
        schedule_runs,
        webhook_attempts,
        suppressions,
        send_duration,
        http,
    }
});

/// The `kind` label of a message kind: a bounded set.
fn kind_label(kind: &str) -> &'static str {
    KINDS[..2]
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or(KINDS[2])
}

/// The relay accepted the message (or the outbox stored it).
pub fn sent(kind: &str) {
    METRICS.sent.with_label_values(&[kind_label(kind)]).inc();
}

/// Given up on: a permanent reply, or temporary ones for too long.
pub fn failed(kind: &str) {
    METRICS.failed.with_label_values(&[kind_label(kind)]).inc();
}

/// A temporary failure; the message is queued again for later.
pub fn retried(kind: &str) {
    METRICS.retried.with_label_values(&[kind_label(kind)]).inc();
}

/// Not sent because its reader unsubscribed before their turn.
pub fn skipped(kind: &str) {
    METRICS.skipped.with_label_values(&[kind_label(kind)]).inc();
}

/// An address was suppressed (`reason` is one of the suppression reasons).
pub fn suppressed(reason: &str) {
    METRICS.suppressions.with_label_values(&[reason]).inc();
}

/// A scheduled slot ended `sent`, `skipped` or `missed`.
pub fn schedule_run(status: &str) {
    if RUN_STATUSES.contains(&status) {
        METRICS.schedule_runs.with_label_values(&[status]).inc();
    }
}

/// A webhook delivery attempt ended `delivered` (a 2xx) or `failed`.
pub fn webhook_attempt(delivered: bool) {
    let outcome = WEBHOOK_OUTCOMES[usize::from(!delivered)];
    METRICS.webhook_attempts.with_label_values(&[outcome]).inc();
}

/// Runs `send` and records how long it took, whatever the outcome, also
/// when the caller gives up on it (a timeout drops the future): slow
/// failures are what a latency graph is for.
pub async fn timed<F: Future>(send: F) -> F::Output {
    struct Observe(Instant);
    impl Drop for Observe {
        fn drop(&mut self) {
            METRICS
                .send_duration
                .observe(self.0.elapsed().as_secs_f64());
        }
    }
    let _observe = Observe(Instant::now());
    send.await
}

/// The Prometheus text exposition (format 0.0.4) of every series, with the
/// queue depth per status from `queue` (as `Store::message_counts` gives it).
pub fn render(queue: &[(String, i64)]) -> String {
    let depth = IntGaugeVec::new(
        Opts::new(
            "herald_queue_depth",
            "Messages in the database per status, across all processes.",
        ),
        &["status"],
    )
    .expect("valid metric");
    for status in STATUSES {
        depth.with_label_values(&[status]).set(0);
    }
    for (status, n) in queue {
        depth.with_label_values(&[status.as_str()]).set(*n);
    }
    let mut families = METRICS.registry.gather();
    families.extend(prometheus::core::Collector::collect(&depth));
    families.sort_by(|a, b| a.name().cmp(b.name()));
    let mut out = String::with_capacity(16 * 1024);
    // Only fails on a family without a name or samples of the wrong type,
    // which the fixed definitions above rule out.
    if let Err(e) = TextEncoder::new().encode_utf8(&families, &mut out) {
        tracing::error!(error = %e, "rendering /metrics failed");
    }
    out
}

#[cfg(test)]
mod tests;
