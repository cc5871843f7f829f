//! The dashboard: per newsletter, its subscribers by status, a chart of
//! signups and unsubscribes per day over 30 days, and its last digests.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{Duration, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use super::{page, Result, Session};
use crate::routes::AppState;
use crate::store::{DayCount, Digest};

const DAYS: usize = 30;
/// The chart's drawing area, in SVG units.
const WIDTH: usize = DAYS * 10;
const HEIGHT: f64 = 80.0;

/// One day's pair of bars, positioned for the SVG.
#[derive(Serialize)]
struct Day {
    date: String,
    signups: u32,
    unsubscribes: u32,
    x: usize,
    signup_y: f64,
    signup_h: f64,
    unsub_y: f64,
    unsub_h: f64,
}

/// Lays out per-day counts over the 30 days ending today.
fn chart(today: NaiveDate, counts: &[DayCount]) -> Vec<Day> {
    let first = today - Duration::days(DAYS as i64 - 1);
    let mut signups = [0u32; DAYS];
    let mut unsubs = [0u32; DAYS];
    for c in counts {
        let Ok(date) = NaiveDate::parse_from_str(&c.day, "%Y-%m-%d") else {
            continue;
        };
        let i = (date - first).num_days();
        if !(0..DAYS as i64).contains(&i) {
            continue;
        }
        let n = u32::try_from(c.n).unwrap_or(u32::MAX);
        match c.kind.as_str() {
            "signup" => signups[i as usize] += n,
            "unsubscribe" => unsubs[i as usize] += n,
            _ => {}
        }
    }
    let max = signups
        .iter()
        .chain(&unsubs)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let h = |n: u32| (f64::from(n) / f64::from(max) * HEIGHT * 10.0).round() / 10.0;
    (0..DAYS)
        .map(|i| Day {
            date: (first + Duration::days(i as i64))
                .format("%Y-%m-%d")
                .to_string(),
            signups: signups[i],
            unsubscribes: unsubs[i],
            x: i * 10,
            signup_y: HEIGHT - h(signups[i]),
            signup_h: h(signups[i]),
            unsub_y: HEIGHT - h(unsubs[i]),
            unsub_h: h(unsubs[i]),
        })
        .collect()
}

pub async fn show(session: Session, state: web::Data<AppState>) -> Result<HttpResponse> {
    let now = Utc::now();
    let since = (now - Duration::days(DAYS as i64 - 1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    // Endpoints disabled for failing get a notice here too.
    let disabled_webhooks: Vec<_> = crate::webhooks::list(&state)
        .await?
        .into_iter()
        .filter(|w| w.disabled_at.is_some())
        .collect();
    let mut cards = Vec::new();
    for n in state.store.list_newsletters().await? {
        let counts = state.store.status_counts(n.id).await?;
        let activity = state.store.daily_activity(n.id, since).await?;
        let days = chart(now.date_naive(), &activity);
        let mut digests: Vec<Digest> = Vec::new();
        for id in state.store.recent_digest_ids(Some(n.id), 5).await? {
            digests.push(state.store.digest(id).await?);
        }
        cards.push(json!({
            "newsletter": n,
            "counts": counts,
            "days": days,
            "total_signups": days.iter().map(|d| d.signups).sum::<u32>(),
            "total_unsubscribes": days.iter().map(|d| d.unsubscribes).sum::<u32>(),
            "digests": digests,
        }));
    }
    Ok(page(
        &state,
        StatusCode::OK,
        "admin/dashboard.html",
        Some(&session),
        "dashboard",
        json!({
            "cards": cards,
            "chart_width": WIDTH,
            "chart_height": HEIGHT,
            "disabled_webhooks": disabled_webhooks,
            "suppressed": crate::suppressions::count(&state).await?,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_days_and_scales_to_the_tallest() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 30).unwrap();
        let count = |day: &str, kind: &str, n| DayCount {
            day: day.to_string(),
            kind: kind.to_string(),
            n,
        };
        let days = chart(
            today,
            &[
                count("2026-03-30", "signup", 2),
                count("2026-03-30", "unsubscribe", 1),
                count("2026-03-01", "signup", 1), // the first of the 30 days
                count("2026-02-28", "signup", 9), // before the window
                count("garbage", "signup", 9),
            ],
        );
        assert_eq!(days.len(), 30);
        assert_eq!(days[29].date, "2026-03-30");
        assert_eq!(days[29].signups, 2);
        assert_eq!(days[29].unsubscribes, 1);
        assert_eq!(days[29].signup_h, HEIGHT);
        assert_eq!(days[29].unsub_h, HEIGHT / 2.0);
        assert_eq!(days[29].unsub_y, HEIGHT / 2.0);
        assert_eq!(days[0].date, "2026-03-01");
        assert_eq!(days[0].signups, 1);
        assert_eq!(days.iter().map(|d| d.signups).sum::<u32>(), 3);
    }
}
