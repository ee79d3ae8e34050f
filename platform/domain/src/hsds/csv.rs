//! A record as a row of its table's CSV file, and back, typed by the
//! table's fields.

use super::*;

/// The descriptor of a tabular package, naming its tables' files.
pub const PACKAGE_DESCRIPTOR: &str = "datapackage.json";

/// Reads a tabular package from its files (name → text): every table the
/// descriptor lists, or, without one, every known table whose file is
/// there. Each problem names its file, row and field; a file that is none
/// of the package's is a problem too, so nothing given is silently left out.
pub fn read_package(files: &BTreeMap<String, String>) -> Result<RecordSet, Vec<Problem>> {
    let mut problems = Vec::new();
    let listed: Vec<(String, String)> = match files.get(PACKAGE_DESCRIPTOR) {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(value) => value["resources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    Some((
                        r["name"].as_str()?.to_owned(),
                        r["path"].as_str()?.to_owned(),
                    ))
                })
                .collect(),
            Err(e) => {
                return Err(vec![Problem {
                    location: PACKAGE_DESCRIPTOR.to_owned(),
                    field: String::new(),
                    problem: format!("not JSON: {e}"),
                }]);
            }
        },
        None => tables()
            .iter()
            .map(|t| (t.name.clone(), t.file.clone()))
            .filter(|(_, file)| files.contains_key(file))
            .collect(),
    };
    for name in files.keys() {
        if name != PACKAGE_DESCRIPTOR && !listed.iter().any(|(_, file)| file == name) {
            problems.push(Problem {
                location: name.clone(),
                field: String::new(),
                problem: "is not a table of the package".into(),
            });
        }
    }
    let mut set = RecordSet::new();
    for (name, file) in listed {
        let Some(table) = table(&name) else {
            problems.push(Problem {
                location: PACKAGE_DESCRIPTOR.to_owned(),
                field: name,
                problem: "is not an HSDS table".into(),
            });
            continue;
        };
        let Some(text) = files.get(&file) else {
            problems.push(Problem {
                location: file,
                field: String::new(),
                problem: "is listed in the descriptor but missing".into(),
            });
            continue;
        };
        read_table(table, &file, text, &mut set, &mut problems);
    }
    problems.extend(set.problems());
    if problems.is_empty() {
        Ok(set)
    } else {
        Err(problems)
    }
}

/// Adds one table's CSV file to `set`; row 1 is the header.
fn read_table(
    table: &Table,
    file: &str,
    text: &str,
    set: &mut RecordSet,
    problems: &mut Vec<Problem>,
) {
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(e) => {
            problems.push(Problem {
                location: format!("{file} row 1"),
                field: String::new(),
                problem: format!("not CSV: {e}"),
            });
            return;
        }
    };
    for (i, row) in reader.records().enumerate() {
        let location = format!("{file} row {}", i + 2);
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                problems.push(Problem {
                    location,
                    field: String::new(),
                    problem: format!("not CSV: {e}"),
                });
                continue;
            }
        };
        let cells: BTreeMap<String, String> = headers
            .iter()
            .zip(row.iter())
            .map(|(h, v)| (h.to_owned(), v.to_owned()))
            .collect();
        match record_from_csv(table, &cells, &location) {
            Ok(record) => {
                if let Err(p) = set.merge(table, record, &location) {
                    problems.push(p);
                }
            }
            Err(found) => problems.extend(found),
        }
    }
}

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
