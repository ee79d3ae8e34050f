//! Appointments at a center: inside its opening hours, and never two at
//! once for one staff member or one room. Times are the center's local time
//! (all centers are in Greece), so opening hours compare directly.

use chrono::{Datelike, NaiveDateTime, Timelike, Weekday as ChronoWeekday};

use crate::hours::{Weekday, WeeklyHours};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppointmentKind {
    Intake,
    Counselling,
}

codes!(AppointmentKind {
    Intake => "intake",
    Counselling => "counselling",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppointmentStatus {
    Booked,
    Cancelled,
    Kept,
    Missed,
}

codes!(AppointmentStatus {
    Booked => "booked",
    Cancelled => "cancelled",
    Kept => "kept",
    Missed => "missed",
});

/// The longest appointment that can be booked, in minutes.
pub const MAX_MINUTES: u32 = 8 * 60;

fn weekday(day: ChronoWeekday) -> Weekday {
    match day {
        ChronoWeekday::Mon => Weekday::Monday,
        ChronoWeekday::Tue => Weekday::Tuesday,
        ChronoWeekday::Wed => Weekday::Wednesday,
        ChronoWeekday::Thu => Weekday::Thursday,
        ChronoWeekday::Fri => Weekday::Friday,
        ChronoWeekday::Sat => Weekday::Saturday,
        ChronoWeekday::Sun => Weekday::Sunday,
    }
}

/// Whether `start..end` (same day) lies inside one of the day's opening ranges.
pub fn check_within_hours(
    hours: &WeeklyHours,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<(), String> {
    if end <= start {
        return Err("ends before it starts".into());
    }
    if end.date() != start.date() {
        return Err("must start and end on the same day".into());
    }
    let minutes = |t: NaiveDateTime| (t.hour() * 60 + t.minute()) as u16;
    let (from, to) = (minutes(start), minutes(end));
    let day = weekday(start.weekday());
    let ranges = hours.day(day);
    if ranges.is_empty() {
        return Err(format!("the center is closed on {}", day.key()));
    }
    let inside = ranges.iter().any(|r| {
        r.opens.minutes_since_midnight() <= from && to <= r.closes.minutes_since_midnight()
    });
    if inside {
        Ok(())
    } else {
        let open: Vec<String> = ranges.iter().map(ToString::to_string).collect();
        Err(format!(
            "is outside the center's opening hours on {} ({})",
            day.key(),
            open.join(", ")
        ))
    }
}

/// Whether two half-open intervals share a moment.
pub fn overlaps(a: (NaiveDateTime, NaiveDateTime), b: (NaiveDateTime, NaiveDateTime)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, h: u32, m: u32) -> NaiveDateTime {
        // November 2026: the 23rd is a Monday, the 28th a Saturday.
        NaiveDate::from_ymd_opt(2026, 11, day)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    fn weekdays_8_to_4() -> WeeklyHours {
        let mut hours = WeeklyHours::default();
        for day in [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
        ] {
            hours.set_day(day, "08:00-16:00").unwrap();
        }
        hours
    }

    #[test]
    fn an_appointment_inside_the_hours_is_accepted() {
        assert!(check_within_hours(&weekdays_8_to_4(), at(23, 9, 0), at(23, 9, 45)).is_ok());
        assert!(check_within_hours(&weekdays_8_to_4(), at(23, 15, 0), at(23, 16, 0)).is_ok());
    }

    #[test]
    fn after_hours_and_closed_days_are_refused_with_the_hours() {
        let err =
            check_within_hours(&weekdays_8_to_4(), at(23, 15, 30), at(23, 16, 30)).unwrap_err();
        assert!(err.contains("08:00-16:00"), "{err}");
        let err = check_within_hours(&weekdays_8_to_4(), at(28, 10, 0), at(28, 11, 0)).unwrap_err();
        assert!(err.contains("closed on saturday"), "{err}");
        assert!(check_within_hours(&weekdays_8_to_4(), at(23, 10, 0), at(23, 9, 0)).is_err());
    }

    #[test]
    fn touching_appointments_do_not_overlap() {
        assert!(!overlaps(
            (at(23, 9, 0), at(23, 10, 0)),
            (at(23, 10, 0), at(23, 11, 0))
        ));
        assert!(overlaps(
            (at(23, 9, 0), at(23, 10, 0)),
            (at(23, 9, 30), at(23, 9, 45))
        ));
    }
}
