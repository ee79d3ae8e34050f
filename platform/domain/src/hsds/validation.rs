//! A record checked against its table: each field's type and format, and
//! the required fields, every problem named by where it was found.

use super::*;

/// One thing wrong with the input: where (a CSV row or a JSON path), which
/// field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub location: String,
    pub field: String,
    pub problem: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location, self.field, self.problem)
    }
}

pub(super) fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

pub(super) fn check_format(format: Format, s: &str) -> Result<(), String> {
    match format {
        Format::Uuid if !is_uuid(s) => Err(format!("{s:?} is not a UUID")),
        Format::Email if crate::contact::Email::parse(s).is_err() => {
            Err(format!("{s:?} is not an e-mail address"))
        }
        Format::Uri
            if !s
                .split_once(':')
                .is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty()) =>
        {
            Err(format!(
                "{s:?} is not a URI (it needs a scheme such as https:)"
            ))
        }
        _ => Ok(()),
    }
}

pub(super) fn check_value(field: &Field, value: &Value) -> Result<(), String> {
    match (field.field_type, value) {
        (_, Value::Null) => Ok(()),
        (FieldType::Number, Value::Number(_)) => Ok(()),
        (FieldType::Number, other) => Err(format!("must be a number, not {other}")),
        (_, Value::String(s)) => {
            match field.field_type {
                FieldType::Date => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|_| ())
                    .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))?,
                FieldType::DateTime => chrono::DateTime::parse_from_rfc3339(s)
                    .map(|_| ())
                    .map_err(|_| format!("{s:?} is not a date-time (RFC 3339)"))?,
                FieldType::Time => parse_time(s)
                    .map(|_| ())
                    .ok_or_else(|| format!("{s:?} is not a time (HH:MM[:SS], optional offset)"))?,
                FieldType::String | FieldType::Number => {}
            }
            if let Some(format) = field.format {
                check_format(format, s)?;
            }
            if let Some(allowed) = &field.allowed
                && !allowed.iter().any(|a| a == s)
            {
                return Err(format!("{s:?} is not one of: {}", allowed.join(", ")));
            }
            Ok(())
        }
        (_, other) => Err(format!("must be a string, not {other}")),
    }
}

/// `HH:MM` or `HH:MM:SS`, optionally followed by `Z` or `±HH:MM`.
pub(super) fn parse_time(s: &str) -> Option<chrono::NaiveTime> {
    let clock = s
        .strip_suffix('Z')
        .or_else(|| {
            let cut = s.len().checked_sub(6)?;
            let (clock, offset) = s.split_at(cut);
            (offset.starts_with(['+', '-'])
                && chrono::NaiveTime::parse_from_str(&offset[1..], "%H:%M").is_ok())
            .then_some(clock)
        })
        .unwrap_or(s);
    chrono::NaiveTime::parse_from_str(clock, "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(clock, "%H:%M"))
        .ok()
}

/// Checks one flat record against its table: known fields, types, formats,
/// allowed values and required fields. Every problem is reported.
pub fn validate(table: &Table, record: &Record, location: &str) -> Vec<Problem> {
    let mut problems = check_fields(table, record, location);
    problems.extend(check_required(table, record, location));
    problems
}

/// Known fields, types, formats and allowed values, but not whether the
/// required fields are there: a nested object may get them from another
/// place the same record appears.
pub(super) fn check_fields(table: &Table, record: &Record, location: &str) -> Vec<Problem> {
    let problem = |field: &str, problem: String| Problem {
        location: location.to_owned(),
        field: field.to_owned(),
        problem,
    };
    let mut problems = Vec::new();
    for (name, value) in record {
        match table.field(name) {
            None => problems.push(problem(
                name,
                format!("is not a field of HSDS table {}", table.name),
            )),
            Some(field) => {
                if let Err(p) = check_value(field, value) {
                    problems.push(problem(name, p));
                }
            }
        }
    }
    problems
}

pub(super) fn check_required(table: &Table, record: &Record, location: &str) -> Vec<Problem> {
    table
        .fields
        .iter()
        .filter(|f| f.required && record.get(&f.name).is_none_or(Value::is_null))
        .map(|f| Problem {
            location: location.to_owned(),
            field: f.name.clone(),
            problem: "is required".into(),
        })
        .collect()
}
