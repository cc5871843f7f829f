//! The registry renders what was recorded, as Prometheus text.

use std::time::Duration;

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

/// The change of `series` between two renderings (0 where absent).
fn delta(before: &str, after: &str, series: &str) -> f64 {
    let v = |text: &str| {
        text.lines()
            .find_map(|l| {
                l.strip_prefix(series)?
                    .strip_prefix(' ')?
                    .parse::<f64>()
                    .ok()
            })
            .unwrap_or(0.0)
    };
    v(after) - v(before)
}

#[test]
fn requests_count_by_method_route_and_status_with_bounded_labels() {
    let before = render(&[]);
    let route = "/test/{slug}/requests";
    http_request("GET", route, "200", Duration::from_micros(300));
    http_request("GET", route, "200", Duration::from_millis(30));
    http_request("POST", route, "422", Duration::from_millis(2));
    http_request("BREW", route, "405", Duration::from_millis(1));
    let after = render(&[]);
    let series = |m: &str, s: &str| {
        format!("herald_http_requests_total{{method=\"{m}\",route=\"{route}\",status=\"{s}\"}}")
    };
    assert_eq!(delta(&before, &after, &series("GET", "200")), 2.0);
    assert_eq!(delta(&before, &after, &series("POST", "422")), 1.0);
    // A method outside the standard ones is not a label value of its own.
    assert_eq!(delta(&before, &after, &series("other", "405")), 1.0);
    assert!(!after.contains("BREW"), "{after}");
    let h = format!("herald_http_request_duration_seconds_bucket{{route=\"{route}\",le=");
    assert_eq!(value(&after, &format!("{h}\"0.0005\"}}")), 1.0);
    assert_eq!(value(&after, &format!("{h}\"0.025\"}}")), 3.0);
    assert_eq!(value(&after, &format!("{h}\"+Inf\"}}")), 4.0);
    let count = format!("herald_http_request_duration_seconds_count{{route=\"{route}\"}}");
    assert_eq!(value(&after, &count), 4.0);
    assert!(after.contains("# TYPE herald_http_requests_total counter\n"));
    assert!(after.contains("# TYPE herald_http_request_duration_seconds histogram\n"));
}

#[test]
fn reader_counters_show_from_the_start_and_count() {
    let before = render(&[]);
    for name in [
        "herald_signups_total",
        "herald_confirmations_total",
        "herald_unsubscribes_total",
    ] {
        assert!(
            before.contains(&format!("# TYPE {name} counter\n")),
            "{name}"
        );
        value(&before, name);
    }
    signup_accepted();
    subscriptions_confirmed(2);
    subscriptions_ended(3);
    let after = render(&[]);
    // Other tests in this process may count too.
    assert!(delta(&before, &after, "herald_signups_total") >= 1.0);
    assert!(delta(&before, &after, "herald_confirmations_total") >= 2.0);
    assert!(delta(&before, &after, "herald_unsubscribes_total") >= 3.0);
}

#[test]
fn webhook_attempts_show_from_the_start_and_count_by_outcome() {
    let before = render(&[]);
    for outcome in ["delivered", "failed"] {
        value(
            &before,
            &format!("herald_webhook_attempts_total{{outcome=\"{outcome}\"}}"),
        );
    }
    webhook_attempt(true);
    webhook_attempt(false);
    webhook_attempt(false);
    let after = render(&[]);
    let series = |o: &str| format!("herald_webhook_attempts_total{{outcome=\"{o}\"}}");
    assert!(delta(&before, &after, &series("delivered")) >= 1.0);
    assert!(delta(&before, &after, &series("failed")) >= 2.0);
}
