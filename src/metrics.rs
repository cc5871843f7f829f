//! Process-local delivery counters and the send-latency histogram behind
//! `GET /metrics`, as plain atomics: the worker bumps them on every message,
//! so they must cost next to nothing and never block.
//!
//! They count what *this* process did since it started (Prometheus works
//! out rates and survives restarts); the queue depth, shared by every
//! process, is read from the database at scrape time instead.

use std::fmt::Write;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The `kind` label values; any other kind is counted as `other`.
const KINDS: [&str; 3] = ["confirm", "digest", "other"];

/// Upper bounds of the latency buckets, in seconds: from a local relay's
/// few milliseconds to a slow remote one's seconds.
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

/// One counter per `kind`.
struct ByKind([AtomicU64; 3]);

impl ByKind {
    const fn new() -> Self {
        ByKind([const { AtomicU64::new(0) }; 3])
    }

    fn inc(&self, kind: &str) {
        let i = KINDS[..2].iter().position(|k| *k == kind).unwrap_or(2);
        self.0[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts per bucket (not cumulative; summed when rendered), plus the
/// total count and the sum in nanoseconds.
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    const fn new() -> Self {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; BUCKETS.len()],
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn observe(&self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|le| seconds <= *le) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos
            .fetch_add((seconds * 1e9) as u64, Ordering::Relaxed);
    }
}

struct Metrics {
    sent: ByKind,
    failed: ByKind,
    retried: ByKind,
    skipped: ByKind,
    send_duration: Histogram,
}

/// One set per process, like the process itself: a global avoids threading
/// a handle through every worker for what is only ever incremented.
/// The outcomes of scheduled slots, in [`RUN_STATUSES`] order.
static SCHEDULE_RUNS: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];
const RUN_STATUSES: [&str; 3] = ["sent", "skipped", "missed"];

/// A scheduled slot ended `sent`, `skipped` or `missed`.
pub fn schedule_run(status: &str) {
    if let Some(i) = RUN_STATUSES.iter().position(|s| *s == status) {
        SCHEDULE_RUNS[i].fetch_add(1, Ordering::Relaxed);
    }
}

static METRICS: Metrics = Metrics {
    sent: ByKind::new(),
    failed: ByKind::new(),
    retried: ByKind::new(),
    skipped: ByKind::new(),
    send_duration: Histogram::new(),
};

/// The relay accepted the message (or the outbox stored it).
pub fn sent(kind: &str) {
    METRICS.sent.inc(kind);
}

/// Given up on: a permanent reply, or temporary ones for too long.
pub fn failed(kind: &str) {
    METRICS.failed.inc(kind);
}

/// A temporary failure; the message is queued again for later.
pub fn retried(kind: &str) {
    METRICS.retried.inc(kind);
}

/// Not sent because its reader unsubscribed before their turn.
pub fn skipped(kind: &str) {
    METRICS.skipped.inc(kind);
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

/// The Prometheus text exposition (format 0.0.4) of the counters, with the
/// queue depth per status from `queue` (as `Store::message_counts` gives it).
pub fn render(queue: &[(String, i64)]) -> String {
    let m = &METRICS;
    let mut out = String::with_capacity(4096);
    for (name, help, counter) in [
        (
            "herald_messages_sent_total",
            "Messages the mail server accepted (or the outbox stored), by this process.",
            &m.sent,
        ),
        (
            "herald_messages_failed_total",
            "Messages given up on (a permanent reply, or retried for too long), by this process.",
            &m.failed,
        ),
        (
            "herald_messages_retried_total",
            "Temporary send failures that put a message back in the queue, in this process.",
            &m.retried,
        ),
        (
            "herald_messages_skipped_total",
            "Digest deliveries not sent because the reader had unsubscribed, in this process.",
            &m.skipped,
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (i, kind) in KINDS.iter().enumerate() {
            let v = counter.0[i].load(Ordering::Relaxed);
            if *kind != "other" || v > 0 {
                let _ = writeln!(out, "{name}{{kind=\"{kind}\"}} {v}");
            }
        }
    }

    let name = "herald_schedule_runs_total";
    let _ = writeln!(
        out,
        "# HELP {name} Scheduled digest slots by outcome, handled by this process.\n# TYPE {name} counter"
    );
    for (i, status) in RUN_STATUSES.iter().enumerate() {
        let v = SCHEDULE_RUNS[i].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}{{status=\"{status}\"}} {v}");
    }

    let name = "herald_queue_depth";
    let _ = writeln!(
        out,
        "# HELP {name} Messages in the database per status, across all processes.\n# TYPE {name} gauge"
    );
    for status in STATUSES {
        let n = queue
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(out, "{name}{{status=\"{status}\"}} {n}");
    }
    for (status, n) in queue {
        if !STATUSES.contains(&status.as_str()) {
            let status = escape_label(status);
            let _ = writeln!(out, "{name}{{status=\"{status}\"}} {n}");
        }
    }

    let name = "herald_send_duration_seconds";
    let h = &m.send_duration;
    let _ = writeln!(
        out,
        "# HELP {name} Time one message took to hand to the mail server (or outbox).\n# TYPE {name} histogram"
    );
    let mut cumulative = 0;
    for (i, le) in BUCKETS.iter().enumerate() {
        cumulative += h.buckets[i].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
    }
    let count = h.count.load(Ordering::Relaxed);
    // Read separately from the buckets, so under load `+Inf` may briefly
    // lag or lead them by a message in flight; never below the last bucket.
    let _ = writeln!(
        out,
        "{name}_bucket{{le=\"+Inf\"}} {}",
        count.max(cumulative)
    );
    let sum = h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
    let _ = writeln!(
        out,
        "{name}_sum {sum}\n{name}_count {}",
        count.max(cumulative)
    );
    out
}

/// Label values escape `\`, `"` and newlines (the exposition format's rule).
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the first line starting with `series `.
    fn value(text: &str, series: &str) -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
            .parse()
            .unwrap()
    }

    #[tokio::test]
    async fn counters_histogram_and_depth_render_as_prometheus_text() {
        // Other tests in this process count too: compare before and after.
        let before = render(&[]);
        sent("digest");
        sent("digest");
        failed("confirm");
        retried("digest");
        skipped("digest");
        sent("weird");
        timed(async { tokio::time::sleep(std::time::Duration::from_millis(30)).await }).await;
        let after = render(&[("queued".into(), 7), ("odd\"one".into(), 1)]);
        let delta = |s: &str| {
            value(&after, s)
                - before
                    .lines()
                    .find_map(|l| l.strip_prefix(s)?.strip_prefix(' ')?.parse::<f64>().ok())
                    .unwrap_or(0.0)
        };
        assert!(delta("herald_messages_sent_total{kind=\"digest\"}") >= 2.0);
        assert!(delta("herald_messages_failed_total{kind=\"confirm\"}") >= 1.0);
        assert!(delta("herald_messages_retried_total{kind=\"digest\"}") >= 1.0);
        assert!(delta("herald_messages_skipped_total{kind=\"digest\"}") >= 1.0);
        assert!(delta("herald_messages_sent_total{kind=\"other\"}") >= 1.0);
        assert!(delta("herald_send_duration_seconds_count") >= 1.0);
        assert!(delta("herald_send_duration_seconds_sum") >= 0.03);
        assert!(delta("herald_send_duration_seconds_bucket{le=\"+Inf\"}") >= 1.0);
        assert_eq!(value(&after, "herald_queue_depth{status=\"queued\"}"), 7.0);
        assert_eq!(value(&after, "herald_queue_depth{status=\"sent\"}"), 0.0);
        assert_eq!(
            value(&after, "herald_queue_depth{status=\"odd\\\"one\"}"),
            1.0
        );
        // Buckets are cumulative and end at the count.
        let buckets: Vec<f64> = after
            .lines()
            .filter(|l| l.starts_with("herald_send_duration_seconds_bucket"))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(buckets.len(), BUCKETS.len() + 1);
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
        // Every family has HELP and TYPE, and every line is a comment or a sample.
        for family in ["sent", "failed", "retried", "skipped"] {
            assert!(after.contains(&format!("# TYPE herald_messages_{family}_total counter\n")));
        }
        assert!(after.contains("# TYPE herald_queue_depth gauge\n"));
        assert!(after.contains("# TYPE herald_send_duration_seconds histogram\n"));
        assert!(after.ends_with('\n'));
    }

    #[tokio::test]
    async fn a_send_given_up_on_is_timed_too() {
        let count = || value(&render(&[]), "herald_send_duration_seconds_count");
        let before = count();
        let hung = timed(std::future::pending::<()>());
        let r = tokio::time::timeout(std::time::Duration::from_millis(5), hung).await;
        assert!(r.is_err());
        assert!(count() >= before + 1.0);
    }
}
