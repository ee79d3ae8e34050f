//! Dates as Greek readers expect them: dd/mm/yyyy, in Europe/Athens time.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use chrono_tz::Europe::Athens;

/// `YYYY-MM-DD` → `dd/mm/yyyy`; anything else as it came.
pub fn date(value: &str) -> String {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| value.to_owned())
}

/// An instant (RFC 3339) in Athens time, `dd/mm/yyyy HH:MM`.
pub fn instant(value: &str) -> String {
    DateTime::parse_from_rfc3339(value)
        .map(|t| {
            t.with_timezone(&Athens)
                .format("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| value.to_owned())
}

/// `HH:MM` of a center's local time.
pub fn clock(value: &str) -> String {
    NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S")
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_else(|_| value.to_owned())
}

/// A month as a reader names it: `Μάρτιος 2026`, `March 2026`.
pub fn month_name(lang: kentro_labels::Lang, first: NaiveDate) -> String {
    use chrono::Datelike;
    const EL: [&str; 12] = [
        "Ιανουάριος",
        "Φεβρουάριος",
        "Μάρτιος",
        "Απρίλιος",
        "Μάιος",
        "Ιούνιος",
        "Ιούλιος",
        "Αύγουστος",
        "Σεπτέμβριος",
        "Οκτώβριος",
        "Νοέμβριος",
        "Δεκέμβριος",
    ];
    let index = first.month0() as usize;
    match lang {
        kentro_labels::Lang::El => format!("{} {}", EL[index], first.year()),
        kentro_labels::Lang::En => first.format("%B %Y").to_string(),
    }
}

/// Today in Athens, as the API reckons it.
pub fn today() -> NaiveDate {
    kentro_domain::calendar::today_in_greece()
}

/// `dd/mm/yyyy` typed by a person → `YYYY-MM-DD` for the API; ISO dates
/// pass through; anything else is passed on for the API to name.
pub fn typed_date(value: &str) -> String {
    let value = value.trim();
    NaiveDate::parse_from_str(value, "%d/%m/%Y")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_day_month_year_in_athens_time() {
        assert_eq!(date("2026-03-09"), "09/03/2026");
        // 22:30 UTC on 31 December is already New Year in Athens.
        assert_eq!(instant("2026-12-31T22:30:00Z"), "01/01/2027 00:30");
        // Summer time: UTC+3.
        assert_eq!(instant("2026-07-01T09:00:00+00:00"), "01/07/2026 12:00");
        assert_eq!(clock("2026-07-01T09:30:00"), "09:30");
        assert_eq!(typed_date("9/3/2026"), "2026-03-09");
        assert_eq!(typed_date("2026-03-09"), "2026-03-09");
    }
}
