//! Calendar dates as the schema gives and takes them.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A date in the schema's `NaiveDate` scalar, the same as async-graphql's
/// own (the committed schema holds its name and description), written
/// digit by digit rather than by a `strftime` pattern parsed for every
/// value (or chrono's `Display`, which goes through `Debug`'s padding): a
/// page of cases writes forty dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Date(date)
    }
}

/// ISO 8601 calendar date without timezone.
/// Format: %Y-%m-%d
///
/// # Examples
///
/// * `1994-11-13`
/// * `2000-02-24`
#[Scalar(name = "NaiveDate")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(Date(NaiveDate::parse_from_str(&s, "%Y-%m-%d")?)),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(iso_date(self.0))
    }
}

/// `YYYY-MM-DD`; a year outside 0..=9999 as chrono writes it.
fn iso_date(date: NaiveDate) -> String {
    use chrono::Datelike;
    let year = date.year();
    if !(0..=9999).contains(&year) {
        return date.to_string();
    }
    let (year, month, day) = (year as u32, date.month(), date.day());
    let mut text = [b'-'; 10];
    for (at, value) in [(0, year / 100), (2, year % 100), (5, month), (8, day)] {
        text[at] = b'0' + (value / 10) as u8;
        text[at + 1] = b'0' + (value % 10) as u8;
    }
    String::from_utf8_lossy(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_written_as_the_schema_has_always_written_it() {
        for (y, m, d) in [
            (2026, 12, 3),
            (1, 1, 1),
            (999, 9, 9),
            (9999, 12, 31),
            (-5, 3, 1),
            (10000, 1, 1),
            (0, 2, 29),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(
                Date(date).to_value(),
                Value::String(date.format("%Y-%m-%d").to_string()),
                "{date:?}"
            );
            assert_eq!(
                Date::parse(Date(date).to_value()).ok(),
                Some(Date(date)),
                "{date:?} reads back"
            );
        }
        assert!(Date::parse(Value::String("3/12/2026".into())).is_err());
    }
}
