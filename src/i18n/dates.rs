//! Dates and times as readers see them: in `HERALD_TIMEZONE`, with the
//! month's name and the order of the parts from the catalog.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use fluent_bundle::FluentValue;

use super::Catalogs;
use crate::domain::Language;

/// The zone every time a reader sees is shown in.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub zone: Tz,
}

impl Clock {
    /// "December 4, 2026" / "4 грудня 2026 р.", or with the time of day
    /// ("…, 18:05") when `with_time`.
    pub fn format(
        &self,
        catalogs: &Catalogs,
        lang: Language,
        at: DateTime<Utc>,
        with_time: bool,
    ) -> String {
        let local = at.with_timezone(&self.zone);
        let month = catalogs.text(lang, &format!("month-{}", local.month()), None);
        let time = local.format("%H:%M").to_string();
        let key = if with_time {
            "datetime-format"
        } else {
            "date-format"
        };
        catalogs.text_with(
            lang,
            key,
            &[
                ("day", FluentValue::from(local.day().to_string())),
                ("month", FluentValue::from(month)),
                ("year", FluentValue::from(local.year().to_string())),
                ("time", FluentValue::from(time)),
            ],
        )
    }

    /// `format`, for a timestamp as it comes out of serde (RFC 3339);
    /// `None` when it isn't one.
    pub fn format_str(
        &self,
        catalogs: &Catalogs,
        lang: Language,
        raw: &str,
        with_time: bool,
    ) -> Option<String> {
        let at = DateTime::parse_from_rfc3339(raw).ok()?.with_timezone(&Utc);
        Some(self.format(catalogs, lang, at, with_time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shown_in_the_zone_and_language() {
        let c = Catalogs::load(None).unwrap();
        let kyiv = Clock {
            zone: "Europe/Kyiv".parse().unwrap(),
        };
        // 22:30 UTC on 31 December is already 1 January in Kyiv.
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 22, 30, 0).unwrap();
        assert_eq!(
            kyiv.format(&c, Language::Uk, at, true),
            "1 січня 2027, 00:30"
        );
        assert_eq!(kyiv.format(&c, Language::En, at, false), "January 1, 2027");
        let utc = Clock { zone: Tz::UTC };
        assert_eq!(
            utc.format(&c, Language::En, at, true),
            "December 31, 2026, 22:30"
        );
        assert_eq!(
            utc.format_str(&c, Language::Uk, "2026-12-04T18:05:00Z", false)
                .unwrap(),
            "4 грудня 2026 р."
        );
        assert!(utc
            .format_str(&c, Language::Uk, "yesterday", false)
            .is_none());
    }
}
