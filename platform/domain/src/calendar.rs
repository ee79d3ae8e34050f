//! The center's calendar day. Kentro serves Greece: "today" (a date not in
//! the future, a request's default date, a checklist's reference date) is
//! the day in Athens, whatever the server's clock zone. Between midnight in
//! Athens and midnight UTC the two differ by a day.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Athens;

/// The calendar day in Greece at `now`.
pub fn day_in_greece(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Athens).date_naive()
}

/// The instant a calendar day begins in Greece.
pub fn start_of_day_in_greece(day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    use chrono::offset::LocalResult;
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    match Athens.from_local_datetime(&midnight) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        // Greece changes its clocks at 03:00 and 04:00, never at midnight.
        LocalResult::None => midnight.and_utc(),
    }
}

/// Today in Greece.
pub fn today_in_greece() -> NaiveDate {
    day_in_greece(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_ten_in_the_evening_utc_it_is_already_tomorrow_in_athens() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // Winter: UTC+2.
        assert_eq!(day_in_greece(at("2026-12-01T22:11:00Z")), day(2026, 12, 2));
        assert_eq!(day_in_greece(at("2026-12-01T21:59:00Z")), day(2026, 12, 1));
        // Summer: UTC+3.
        assert_eq!(day_in_greece(at("2026-07-01T21:00:00Z")), day(2026, 7, 2));
        assert_eq!(day_in_greece(at("2026-07-01T20:59:00Z")), day(2026, 7, 1));
        assert_eq!(
            start_of_day_in_greece(day(2026, 12, 2)),
            at("2026-12-01T22:00:00Z")
        );
        assert_eq!(
            start_of_day_in_greece(day(2026, 7, 2)),
            at("2026-07-01T21:00:00Z")
        );
    }
}
