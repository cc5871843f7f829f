//! A newsletter's schedule: a cron expression (5 fields, or 6 with seconds
//! first) read in an IANA time zone. Slots are computed in that zone, so
//! 07:00 Europe/Kyiv stays 07:00 local across both daylight-saving
//! switches: a local time the spring switch skips runs once at the first
//! instant after the gap, and one the autumn switch repeats runs once.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use super::fields::{refused, Refused};

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    expression: String,
    cron: Cron,
    zone: Tz,
}

/// An IANA zone name (`Europe/Kyiv`); 422 for anything else.
pub fn parse_zone(raw: &str) -> Result<Tz, Refused> {
    raw.trim().parse::<Tz>().map_err(|_| {
        refused(
            "invalid_timezone",
            format!("`{}` is not an IANA time zone", raw.escape_debug()),
        )
    })
}

impl Schedule {
    pub fn parse(expression: &str, zone: Tz) -> Result<Self, Refused> {
        let expression = expression.split_whitespace().collect::<Vec<_>>().join(" ");
        let invalid = |why: String| {
            refused(
                "invalid_schedule",
                format!("not a cron expression of 5 fields, or 6 with seconds first: {why}"),
            )
        };
        let fields = expression.split(' ').filter(|f| !f.is_empty()).count();
        if !(5..=6).contains(&fields) || expression.chars().any(char::is_control) {
            return Err(invalid(format!("{fields} fields")));
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build()
            .parse(&expression)
            .map_err(|e| invalid(e.to_string()))?;
        let schedule = Schedule {
            expression,
            cron,
            zone,
        };
        // A pattern that never fires (the 31st of February) is refused too.
        if schedule.next_after(Utc::now()).is_none() {
            return Err(invalid("it never fires".into()));
        }
        Ok(schedule)
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The first slot strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&t.with_timezone(&self.zone), false)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }

    /// The slots after `after` up to and including `until`, oldest first;
    /// at most the last `max` of them. Walked back from `until`, so a long
    /// downtime costs `max` steps, not one per slot passed.
    pub fn slots(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        max: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let (mut t, mut inclusive) = (until, true);
        while out.len() < max {
            let Ok(prev) = self
                .cron
                .find_previous_occurrence(&t.with_timezone(&self.zone), inclusive)
            else {
                break;
            };
            let prev = prev.with_timezone(&Utc);
            if prev <= after || prev > until {
                break;
            }
            out.push(prev);
            (t, inclusive) = (prev, false);
        }
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn kyiv(expr: &str) -> Schedule {
        Schedule::parse(expr, parse_zone("Europe/Kyiv").unwrap()).unwrap()
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn seven_in_kyiv_stays_seven_local_across_both_switches() {
        let s = kyiv("0 7 * * *");
        // Winter (UTC+2), then summer time from 29 March 2026 (UTC+3).
        let slots = s.slots(utc(2026, 3, 27, 12, 0, 0), utc(2026, 3, 30, 12, 0, 0), 10);
        assert_eq!(
            slots,
            [
                utc(2026, 3, 28, 5, 0, 0),
                utc(2026, 3, 29, 4, 0, 0),
                utc(2026, 3, 30, 4, 0, 0)
            ]
        );
        // Summer, then winter time again from 25 October 2026.
        let slots = s.slots(utc(2026, 10, 24, 0, 0, 0), utc(2026, 10, 26, 12, 0, 0), 10);
        assert_eq!(
            slots,
            [
                utc(2026, 10, 24, 4, 0, 0),
                utc(2026, 10, 25, 5, 0, 0),
                utc(2026, 10, 26, 5, 0, 0)
            ]
        );
    }

    #[test]
    fn a_skipped_local_time_runs_once_after_the_gap() {
        // 29 March 2026 in Kyiv: 03:00 EET jumps to 04:00 EEST, so 03:30
        // does not exist that day. It runs once, at the first instant after
        // the gap (04:00 local = 01:00 UTC).
        let s = kyiv("30 3 * * *");
        let slots = s.slots(utc(2026, 3, 28, 12, 0, 0), utc(2026, 3, 30, 12, 0, 0), 10);
        assert_eq!(
            slots,
            [utc(2026, 3, 29, 1, 0, 0), utc(2026, 3, 30, 0, 30, 0)]
        );
    }

    #[test]
    fn a_repeated_local_time_runs_once() {
        // 25 October 2026 in Kyiv: 04:00 EEST falls back to 03:00 EET, so
        // 03:30 happens twice (00:30 and 01:30 UTC). It runs once.
        let s = kyiv("30 3 * * *");
        let slots = s.slots(utc(2026, 10, 24, 12, 0, 0), utc(2026, 10, 26, 12, 0, 0), 10);
        assert_eq!(slots.len(), 2, "{slots:?}");
        assert_eq!(slots[0], utc(2026, 10, 25, 0, 30, 0));
        assert_eq!(slots[1], utc(2026, 10, 26, 1, 30, 0));
    }

    #[test]
    fn seconds_are_optional_and_bad_input_is_refused() {
        let every_five = kyiv("*/5 * * * * *");
        let t = utc(2026, 12, 4, 10, 0, 1);
        assert_eq!(every_five.next_after(t), Some(utc(2026, 12, 4, 10, 0, 5)));
        assert_eq!(
            kyiv("0 7 * * 1-5").next_after(utc(2026, 12, 4, 6, 0, 0)),
            Some(utc(2026, 12, 7, 5, 0, 0)),
            "Friday 4 December 2026 08:00 Kyiv is past: next is Monday"
        );
        let zone = parse_zone("UTC").unwrap();
        for bad in [
            "",
            "* * * *",
            "0 0 0 * * * 2030",
            "61 * * * *",
            "0 7 31 2 *",
            "a b c d e",
        ] {
            let e = Schedule::parse(bad, zone).unwrap_err();
            assert_eq!(e.code, "invalid_schedule", "{bad:?}");
        }
        assert_eq!(
            parse_zone("Mars/Olympus").unwrap_err().code,
            "invalid_timezone"
        );
        assert_eq!(
            kyiv("*/5 * * * * *").slots(t, utc(2026, 12, 4, 10, 1, 0), 3),
            [
                utc(2026, 12, 4, 10, 0, 50),
                utc(2026, 12, 4, 10, 0, 55),
                utc(2026, 12, 4, 10, 1, 0)
            ],
            "only the last few slots are kept"
        );
        // A month of every-second slots: the last 1,000, ending now.
        let month = kyiv("* * * * * *").slots(t - chrono::Duration::days(30), t, 1000);
        assert_eq!(month.len(), 1000);
        assert_eq!(*month.last().unwrap(), t);
        assert_eq!(month[0], t - chrono::Duration::seconds(999));
    }
}
