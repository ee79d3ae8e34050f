//! A record as a row of its table's CSV file, and back, typed by the
//! table's fields.

use super::*;

/// Reads one CSV row (header → cell) into a typed record: empty cells are
/// absent, numbers become JSON numbers.
pub fn record_from_csv(
    table: &Table,
    row: &BTreeMap<String, String>,
    location: &str,
) -> Result<Record, Vec<Problem>> {
    let mut record = Record::new();
    let mut problems = Vec::new();
    for (name, cell) in row {
        if cell.is_empty() {
            continue;
        }
        let value = match table.field(name).map(|f| f.field_type) {
            Some(FieldType::Number) => match parse_number(cell) {
                Some(n) => Value::Number(n),
                None => {
                    problems.push(Problem {
                        location: location.to_owned(),
                        field: name.clone(),
                        problem: format!("{cell:?} is not a number"),
                    });
                    continue;
                }
            },
            _ => Value::String(cell.clone()),
        };
        record.insert(name.clone(), value);
    }
    problems.extend(validate(table, &record, location));
    if problems.is_empty() {
        Ok(record)
    } else {
        Err(problems)
    }
}

pub(super) fn parse_number(cell: &str) -> Option<serde_json::Number> {
    if let Ok(i) = cell.parse::<i64>() {
        return Some(i.into());
    }
    cell.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
}

/// One CSV row of a record, in the table's column order.
pub fn record_to_csv(table: &Table, record: &Record) -> Vec<String> {
    table
        .fields
        .iter()
        .map(|f| match record.get(&f.name) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        })
        .collect()
}
