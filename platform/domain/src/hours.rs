//! Opening hours per weekday, as a center publishes them ("Δευτέρα έως Παρασκευή 08:00-16:00").

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, Duration, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Weekday::Monday => "monday",
            Weekday::Tuesday => "tuesday",
            Weekday::Wednesday => "wednesday",
            Weekday::Thursday => "thursday",
            Weekday::Friday => "friday",
            Weekday::Saturday => "saturday",
            Weekday::Sunday => "sunday",
        }
    }

    pub fn from_key(key: &str) -> Option<Weekday> {
        Weekday::ALL.into_iter().find(|d| d.key() == key)
    }

    /// The weekday of a date.
    pub fn of(day: NaiveDate) -> Weekday {
        use chrono::Datelike;
        Weekday::ALL[day.weekday().num_days_from_monday() as usize]
    }
}

/// Minutes since midnight, 00:00 to 24:00 inclusive (24:00 closes a day that runs to midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || format!("{raw:?} is not a time of day (expected HH:MM, e.g. \"08:00\")");
        let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return Err(bad());
        }
        let hours: u16 = h.parse().map_err(|_| bad())?;
        let minutes: u16 = m.parse().map_err(|_| bad())?;
        if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
            return Err(bad());
        }
        Ok(TimeOfDay(hours * 60 + minutes))
    }

    pub fn minutes_since_midnight(self) -> u16 {
        self.0
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeRange {
    pub opens: TimeOfDay,
    pub closes: TimeOfDay,
}

impl TimeRange {
    /// Parses "08:00-16:00" (an en dash is accepted too, as press releases use it).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let (a, b) = raw
            .split_once(['-', '–'])
            .ok_or_else(|| format!("{raw:?} is not a time range (expected \"HH:MM-HH:MM\")"))?;
        let opens = TimeOfDay::parse(a)?;
        let closes = TimeOfDay::parse(b)?;
        if opens >= closes {
            return Err(format!("{raw:?} closes before it opens"));
        }
        Ok(TimeRange { opens, closes })
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.opens, self.closes)
    }
}

/// The ranges a center is open on each weekday; a day that is absent is closed.
/// Ranges of one day are sorted and never overlap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyHours(BTreeMap<Weekday, Vec<TimeRange>>);

impl WeeklyHours {
    /// `ranges` is what a manifest gives for one day: a comma-separated list, or
    /// "closed". Returns the problem in words when the day cannot be accepted.
    pub fn set_day(&mut self, day: Weekday, ranges: &str) -> Result<(), String> {
        if ranges.trim().eq_ignore_ascii_case("closed") {
            self.0.remove(&day);
            return Ok(());
        }
        let mut parsed = ranges
            .split(',')
            .map(TimeRange::parse)
            .collect::<Result<Vec<_>, _>>()?;
        parsed.sort();
        if let Some(pair) = parsed.windows(2).find(|w| w[0].closes > w[1].opens) {
            return Err(format!("{} overlaps {}", pair[0], pair[1]));
        }
        self.0.insert(day, parsed);
        Ok(())
    }

    pub fn day(&self, day: Weekday) -> &[TimeRange] {
        self.0.get(&day).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn open_days(&self) -> impl Iterator<Item = (Weekday, &[TimeRange])> {
        self.0.iter().map(|(d, r)| (*d, r.as_slice()))
    }
}

/// Days a center is closed although its weekly hours say open (a holiday
/// break, a strike, a move), both ends included, with the reason shown to
/// whoever tries to book then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

impl Closure {
    /// The longest one closure may last: longer is a center that has closed.
    pub const MAX_DAYS: i64 = 366;

    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// Orthodox Easter Sunday of `year` in the Gregorian calendar (Meeus's
/// Julian algorithm; the Julian calendar runs 13 days behind from 1900 to
/// 2099, the years a center books in).
pub fn orthodox_easter(year: i32) -> NaiveDate {
    let (a, b, c) = (year % 4, year % 7, year % 19);
    let d = (19 * c + 15) % 30;
    let e = (2 * a + 4 * b - d + 34) % 7;
    let month = (d + e + 114) / 31;
    let day = (d + e + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
        .map(|julian| julian + Duration::days(13))
        .unwrap_or_default()
}

/// The public holidays on which Greece's public services close in `year`,
/// by date, with their names: the fixed ones and those that move with
/// Orthodox Easter.
pub fn public_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let fixed =
        |month: u32, day: u32| NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default();
    let easter = orthodox_easter(year);
    let mut days = vec![
        (fixed(1, 1), "Πρωτοχρονιά"),
        (fixed(1, 6), "Θεοφάνια"),
        (easter - Duration::days(48), "Καθαρά Δευτέρα"),
        (fixed(3, 25), "Εθνική Επέτειος της 25ης Μαρτίου"),
        (easter - Duration::days(2), "Μεγάλη Παρασκευή"),
        (easter + Duration::days(1), "Δευτέρα του Πάσχα"),
        (fixed(5, 1), "Πρωτομαγιά"),
        (easter + Duration::days(50), "Αγίου Πνεύματος"),
        (fixed(8, 15), "Κοίμηση της Θεοτόκου"),
        (fixed(10, 28), "Επέτειος του «Όχι»"),
        (fixed(12, 25), "Χριστούγεννα"),
        (fixed(12, 26), "Σύναξη της Θεοτόκου"),
    ];
    days.sort();
    days
}

/// The public holiday on `day`, if it is one.
pub fn public_holiday(day: NaiveDate) -> Option<&'static str> {
    public_holidays(day.year())
        .into_iter()
        .find(|(date, _)| *date == day)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn orthodox_easter_falls_on_the_published_sundays() {
        for (year, easter) in [
            (2024, date(2024, 5, 5)),
            (2025, date(2025, 4, 20)),
            (2026, date(2026, 4, 12)),
            (2027, date(2027, 5, 2)),
            (2028, date(2028, 4, 16)),
        ] {
            assert_eq!(orthodox_easter(year), easter, "{year}");
        }
    }

    #[test]
    fn the_holidays_that_move_follow_easter_and_the_others_stay() {
        assert_eq!(public_holiday(date(2026, 2, 23)), Some("Καθαρά Δευτέρα"));
        assert_eq!(public_holiday(date(2026, 4, 10)), Some("Μεγάλη Παρασκευή"));
        assert_eq!(public_holiday(date(2026, 4, 13)), Some("Δευτέρα του Πάσχα"));
        assert_eq!(public_holiday(date(2026, 6, 1)), Some("Αγίου Πνεύματος"));
        assert_eq!(public_holiday(date(2026, 12, 25)), Some("Χριστούγεννα"));
        assert_eq!(
            public_holiday(date(2026, 10, 28)),
            Some("Επέτειος του «Όχι»")
        );
        assert_eq!(public_holiday(date(2026, 12, 2)), None);
        assert_eq!(public_holidays(2027).len(), 12);
    }

    #[test]
    fn a_closure_covers_both_of_its_ends() {
        let closure = Closure {
            from: date(2026, 12, 24),
            to: date(2026, 12, 31),
            reason: "Χριστούγεννα".into(),
        };
        assert!(closure.covers(date(2026, 12, 24)));
        assert!(closure.covers(date(2026, 12, 31)));
        assert!(!closure.covers(date(2027, 1, 1)));
        assert!(!closure.covers(date(2026, 12, 23)));
    }

    #[test]
    fn a_split_day_keeps_both_ranges_in_order() {
        let mut hours = WeeklyHours::default();
        hours
            .set_day(Weekday::Monday, "17:00-20:00, 08:00-12:00")
            .unwrap();
        let ranges: Vec<String> = hours
            .day(Weekday::Monday)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ranges, ["08:00-12:00", "17:00-20:00"]);
    }

    #[test]
    fn overlapping_ranges_are_rejected() {
        let mut hours = WeeklyHours::default();
        let err = hours
            .set_day(Weekday::Monday, "08:00-12:00,11:00-13:00")
            .unwrap_err();
        assert!(err.contains("overlaps"), "{err}");
    }

    #[test]
    fn a_range_that_closes_before_it_opens_is_rejected() {
        assert!(TimeRange::parse("17:00-09:00").is_err());
        assert!(TimeRange::parse("09:00-09:00").is_err());
    }

    #[test]
    fn en_dash_from_press_releases_is_accepted() {
        assert_eq!(
            TimeRange::parse("09:00 – 17:00").unwrap().to_string(),
            "09:00-17:00"
        );
    }

    #[test]
    fn times_outside_the_day_are_rejected() {
        assert!(TimeOfDay::parse("25:00").is_err());
        assert!(TimeOfDay::parse("24:30").is_err());
        assert!(TimeOfDay::parse("9:60").is_err());
        assert_eq!(TimeOfDay::parse("9:05").unwrap().to_string(), "09:05");
    }

    #[test]
    fn closed_removes_the_day() {
        let mut hours = WeeklyHours::default();
        hours.set_day(Weekday::Saturday, "10:00-14:00").unwrap();
        hours.set_day(Weekday::Saturday, "closed").unwrap();
        assert!(hours.is_empty());
    }
}
