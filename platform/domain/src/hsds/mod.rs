//! The service directory's data model: Open Referral HSDS 3.0.
//!
//! A directory is a set of flat [`Record`]s, one per row of the tables of the
//! HSDS tabular data package (`datapackage-3.0.json`, kept as published), plus
//! `service_capacity` from HSDS 3.1. The API's object shapes (`service_full`,
//! `organization_full`, ...) are those records nested along their links
//! ([`RELATIONS`]): [`flatten`] takes a nested object apart, [`nest`] builds it
//! again, so JSON and CSV are two views of the same records.

mod relations;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{Map, Value};

pub use relations::{Link, RELATIONS, Relation};

/// One row of an HSDS table: field name → value, only the fields present.
pub type Record = Map<String, Value>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Number,
    Date,
    DateTime,
    Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Uuid,
    Email,
    Uri,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub field_type: FieldType,
    pub format: Option<Format>,
    pub required: bool,
    pub allowed: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Table {
    /// The resource name, e.g. `service`.
    pub name: String,
    /// The CSV file of the tabular package, e.g. `services.csv`.
    pub file: String,
    pub fields: Vec<Field>,
    /// `(field, referenced table)`: the package's declared foreign keys.
    pub foreign_keys: Vec<(String, String)>,
}

impl Table {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The record's own id; every HSDS record has one.
    pub fn id_of<'r>(&self, record: &'r Record) -> Option<&'r str> {
        record.get("id").and_then(Value::as_str)
    }
}

const DATAPACKAGE: &str = include_str!("datapackage-3.0.json");

/// The HSDS 3.1 `service_capacity` table, which 3.0 lacks.
const SERVICE_CAPACITY: &str = r#"{
  "name": "service_capacity", "path": "service_capacities.csv",
  "schema": {
    "fields": [
      {"name": "id", "type": "string", "format": "uuid", "constraints": {"required": true}},
      {"name": "service_id", "type": "string", "format": "uuid", "constraints": {"required": true}},
      {"name": "unit", "type": "string", "constraints": {"required": true}},
      {"name": "available", "type": "number", "constraints": {"required": true}},
      {"name": "maximum", "type": "number", "constraints": {"required": false}},
      {"name": "description", "type": "string", "constraints": {"required": false}},
      {"name": "updated", "type": "datetime", "constraints": {"required": true}}
    ],
    "foreignKeys": [{"fields": "service_id", "reference": {"resource": "service", "fields": "id"}}]
  }
}"#;

#[derive(Deserialize)]
struct RawPackage {
    resources: Vec<RawResource>,
}

#[derive(Deserialize)]
struct RawResource {
    name: String,
    path: String,
    schema: RawSchema,
}

#[derive(Deserialize)]
struct RawSchema {
    fields: Vec<RawField>,
    #[serde(default, rename = "foreignKeys")]
    foreign_keys: Vec<RawForeignKey>,
}

#[derive(Deserialize)]
struct RawField {
    name: String,
    #[serde(rename = "type")]
    field_type: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    constraints: RawConstraints,
}

#[derive(Deserialize, Default)]
struct RawConstraints {
    #[serde(default)]
    required: bool,
    #[serde(default, rename = "enum")]
    allowed: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawForeignKey {
    fields: String,
    reference: RawReference,
}

#[derive(Deserialize)]
struct RawReference {
    resource: String,
}

fn table_from(raw: RawResource) -> Table {
    Table {
        name: raw.name,
        file: raw.path,
        fields: raw
            .schema
            .fields
            .into_iter()
            .map(|f| Field {
                field_type: match f.field_type.as_str() {
                    "number" | "integer" => FieldType::Number,
                    "date" => FieldType::Date,
                    "datetime" => FieldType::DateTime,
                    "time" => FieldType::Time,
                    _ => FieldType::String,
                },
                format: match f.format.as_deref() {
                    Some("uuid") => Some(Format::Uuid),
                    Some("email") => Some(Format::Email),
                    Some("uri") => Some(Format::Uri),
                    _ => None,
                },
                required: f.constraints.required,
                allowed: f.constraints.allowed,
                name: f.name,
            })
            .collect(),
        foreign_keys: raw
            .schema
            .foreign_keys
            .into_iter()
            .map(|k| (k.fields, k.reference.resource))
            .collect(),
    }
}

static TABLES: LazyLock<Vec<Table>> = LazyLock::new(|| {
    let package: RawPackage =
        serde_json::from_str(DATAPACKAGE).expect("the bundled HSDS data package is valid JSON");
    let capacity: RawResource =
        serde_json::from_str(SERVICE_CAPACITY).expect("the service_capacity table is valid JSON");
    package
        .resources
        .into_iter()
        .chain([capacity])
        .map(table_from)
        .collect()
});

/// Every table of the directory, in the package's order (parents first).
pub fn tables() -> &'static [Table] {
    &TABLES
}

pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// The tabular package's descriptor for the tables an export writes.
pub fn datapackage() -> Value {
    let mut package: Value =
        serde_json::from_str(DATAPACKAGE).expect("the bundled HSDS data package is valid JSON");
    let capacity: Value =
        serde_json::from_str(SERVICE_CAPACITY).expect("the service_capacity table is valid JSON");
    if let Some(resources) = package["resources"].as_array_mut() {
        resources.push(capacity);
    }
    package
}

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

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn check_format(format: Format, s: &str) -> Result<(), String> {
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

fn check_value(field: &Field, value: &Value) -> Result<(), String> {
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
fn parse_time(s: &str) -> Option<chrono::NaiveTime> {
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
fn check_fields(table: &Table, record: &Record, location: &str) -> Vec<Problem> {
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

fn check_required(table: &Table, record: &Record, location: &str) -> Vec<Problem> {
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

fn parse_number(cell: &str) -> Option<serde_json::Number> {
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

/// Records keyed by table and id: what an import brings, or a directory holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordSet {
    tables: BTreeMap<String, BTreeMap<String, Record>>,
    /// Where each record was first seen, for problems found later.
    origins: BTreeMap<(String, String), String>,
}

impl RecordSet {
    pub fn new() -> RecordSet {
        RecordSet::default()
    }

    pub fn len(&self) -> usize {
        self.tables.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, table: &str, id: &str) -> Option<&Record> {
        self.tables.get(table)?.get(id)
    }

    /// Every record as `(table, id, record)`, tables in package order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Table, &str, &Record)> {
        tables().iter().flat_map(move |t| {
            self.tables
                .get(&t.name)
                .into_iter()
                .flat_map(move |rows| rows.iter().map(move |(id, r)| (t, id.as_str(), r)))
        })
    }

    pub fn records_of(&self, table: &str) -> impl Iterator<Item = &Record> {
        self.tables.get(table).into_iter().flat_map(|t| t.values())
    }

    /// Adds a record, merging with one of the same id seen before (nested
    /// JSON repeats shared records); a field given twice with two values is
    /// a problem.
    pub fn merge(&mut self, table: &Table, record: Record, location: &str) -> Result<(), Problem> {
        let id = table
            .id_of(&record)
            .ok_or_else(|| Problem {
                location: location.to_owned(),
                field: "id".into(),
                problem: "is required".into(),
            })?
            .to_owned();
        let rows = self.tables.entry(table.name.clone()).or_default();
        match rows.get_mut(&id) {
            None => {
                self.origins
                    .insert((table.name.clone(), id.clone()), location.to_owned());
                rows.insert(id, record);
            }
            Some(existing) => {
                for (name, value) in record {
                    match existing.get(&name) {
                        Some(old) if *old != value => {
                            return Err(Problem {
                                location: location.to_owned(),
                                field: name,
                                problem: format!(
                                    "{} {id} appears more than once, with {old} and with {value}",
                                    table.name
                                ),
                            });
                        }
                        Some(_) => {}
                        None => {
                            existing.insert(name, value);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Replaces (or adds) a record as it is.
    pub fn put(&mut self, table: &str, id: String, record: Record) {
        self.origins
            .insert((table.to_owned(), id.clone()), format!("{table} {id}"));
        self.tables
            .entry(table.to_owned())
            .or_default()
            .insert(id, record);
    }

    /// A program nested in a service without its organization (as in the
    /// official `service_list.json`) belongs to the service's organization.
    fn infer_program_organizations(&mut self) {
        let owners: Vec<(String, Value)> = self
            .records_of("service")
            .filter_map(|s| {
                Some((
                    s.get("program_id")?.as_str()?.to_owned(),
                    s.get("organization_id")?.clone(),
                ))
            })
            .collect();
        if let Some(programs) = self.tables.get_mut("program") {
            for (program_id, organization) in owners {
                if let Some(program) = programs.get_mut(&program_id) {
                    program.entry("organization_id").or_insert(organization);
                }
            }
        }
    }

    /// Everything wrong with the set as a whole: required fields missing
    /// from a record once all its appearances are merged, and required
    /// references to records that do not exist.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems: Vec<Problem> = self
            .iter()
            .flat_map(|(table, id, record)| check_required(table, record, self.origin(table, id)))
            .collect();
        problems.extend(self.missing_required_references());
        problems
    }

    fn origin(&self, table: &Table, id: &str) -> &str {
        self.origins
            .get(&(table.name.clone(), id.to_owned()))
            .map_or("", String::as_str)
    }

    /// Declared references that are required but point at nothing: the only
    /// dangling links refused (optional links may name records held
    /// elsewhere, as the official examples do).
    pub fn missing_required_references(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (table, id, record) in self.iter() {
            for (field, target) in &table.foreign_keys {
                let required = table.field(field).is_some_and(|f| f.required);
                let Some(reference) = record.get(field).and_then(Value::as_str) else {
                    continue;
                };
                if required && self.get(target, reference).is_none() {
                    problems.push(Problem {
                        location: self.origin(table, id).to_owned(),
                        field: field.clone(),
                        problem: format!("refers to {target} {reference}, which does not exist"),
                    });
                }
            }
        }
        problems
    }
}

/// The API object shapes an import accepts and an export produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Service,
    Organization,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
}

impl Shape {
    pub const ALL: [Shape; 5] = [
        Shape::Service,
        Shape::Organization,
        Shape::ServiceAtLocation,
        Shape::Taxonomy,
        Shape::TaxonomyTerm,
    ];

    pub fn table(self) -> &'static str {
        match self {
            Shape::Service => "service",
            Shape::Organization => "organization",
            Shape::ServiceAtLocation => "service_at_location",
            Shape::Taxonomy => "taxonomy",
            Shape::TaxonomyTerm => "taxonomy_term",
        }
    }

    /// The key of a bundle (our JSON export) holding objects of this shape.
    pub fn bundle_key(self) -> &'static str {
        match self {
            Shape::Service => "services",
            Shape::Organization => "organizations",
            Shape::ServiceAtLocation => "service_at_locations",
            Shape::Taxonomy => "taxonomies",
            Shape::TaxonomyTerm => "taxonomy_terms",
        }
    }

    pub fn from_table(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.table() == name)
    }

    /// Guesses the shape from a file name such as `service_full.json` or
    /// `service_list.json`.
    pub fn from_file_name(name: &str) -> Option<Shape> {
        let stem = name.rsplit(['/', '\\']).next()?.split('.').next()?;
        let stem = stem
            .strip_suffix("_full")
            .or_else(|| stem.strip_suffix("_list"))
            .or_else(|| stem.strip_suffix('s'))
            .unwrap_or(stem);
        Shape::from_table(stem).or(match stem {
            "taxonomie" => Some(Shape::Taxonomy),
            _ => None,
        })
    }
}

/// Takes a nested HSDS object apart into records, linking each nested
/// object to its parent as the relations say. `path` names the object in
/// problems, e.g. `service_full.json $`.
pub fn flatten(
    table: &'static Table,
    object: &Value,
    path: &str,
    into: &mut RecordSet,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    flatten_into(
        table,
        object,
        path,
        Inherited::default(),
        into,
        &mut problems,
    );
    problems
}

/// What a nested object takes from its parent: the link to it (which must
/// agree with the object's own field, if given) and a default.
#[derive(Default, Clone, Copy)]
struct Inherited<'a> {
    link: Option<(&'a str, &'a str)>,
    default: Option<(&'a str, &'a str)>,
}

fn flatten_into(
    table: &'static Table,
    object: &Value,
    path: &str,
    inherited: Inherited<'_>,
    into: &mut RecordSet,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let Some(object) = object.as_object() else {
        problems.push(Problem {
            location: path.to_owned(),
            field: table.name.clone(),
            problem: "must be a JSON object".into(),
        });
        return None;
    };
    let mut record = Record::new();
    let mut nested = Vec::new();
    for (key, value) in object {
        match relations::of(&table.name, key) {
            Some(relation) => nested.push((relation, value)),
            None => {
                record.insert(key.clone(), value.clone());
            }
        }
    }
    if let Some((field, value)) = inherited.default
        && !record.contains_key(field)
    {
        record.insert(field.to_owned(), Value::String(value.to_owned()));
    }
    if let Some((field, value)) = inherited.link {
        match record.get(field) {
            Some(Value::String(given)) if given != value => problems.push(Problem {
                location: path.to_owned(),
                field: field.to_owned(),
                problem: format!("is {given} but the object is nested under {value}"),
            }),
            _ => {
                record.insert(field.to_owned(), Value::String(value.to_owned()));
            }
        }
    }
    let id = table.id_of(&record).map(str::to_owned);
    for (relation, value) in nested {
        let child = table_of(relation.child);
        let child_path = format!("{path}.{}", relation.property);
        match relation.link {
            Link::ChildRefersToParent(field) => {
                let Some(items) = value.as_array() else {
                    problems.push(Problem {
                        location: path.to_owned(),
                        field: relation.property.to_owned(),
                        problem: "must be an array".into(),
                    });
                    continue;
                };
                let kind = entity_field(relation.child).map(|f| (f, table.name.as_str()));
                for (i, item) in items.iter().enumerate() {
                    let inherited = Inherited {
                        link: id.as_deref().map(|id| (field, id)),
                        default: kind,
                    };
                    let item_path = format!("{child_path}[{i}]");
                    flatten_into(child, item, &item_path, inherited, into, problems);
                }
            }
            Link::ParentRefersToChild(field) => {
                if value.is_null() {
                    continue;
                }
                if let Some(child_id) = flatten_into(
                    child,
                    value,
                    &child_path,
                    Inherited::default(),
                    into,
                    problems,
                ) {
                    record.insert(field.to_owned(), Value::String(child_id));
                }
            }
        }
    }
    problems.extend(check_fields(table, &record, path));
    let id = table.id_of(&record).map(str::to_owned);
    if id.is_some()
        && let Err(p) = into.merge(table, record, path)
    {
        problems.push(p);
    }
    id
}

/// The field naming the kind of record an attribute or a metadata entry is
/// attached to.
fn entity_field(child: &str) -> Option<&'static str> {
    match child {
        "attribute" => Some("link_entity"),
        "metadata" => Some("resource_type"),
        _ => None,
    }
}

fn table_of(name: &str) -> &'static Table {
    table(name).expect("relations name HSDS tables")
}

/// Builds the nested API object for one record, following every relation
/// except back to a table already on the path (so a service's organization
/// lists its locations but not its services again). Link fields that the
/// nesting expresses are left out; a link to a record the set lacks is kept.
pub fn nest(set: &RecordSet, table: &str, id: &str) -> Option<Value> {
    let record = set.get(table, id)?;
    let mut path = vec![table.to_owned()];
    Some(nest_record(set, table, record, &mut path, None))
}

fn nest_record(
    set: &RecordSet,
    table: &str,
    record: &Record,
    path: &mut Vec<String>,
    nested_under: Option<&str>,
) -> Value {
    let mut object = Record::new();
    let own_id = record.get("id").and_then(Value::as_str).unwrap_or_default();
    for (name, value) in record {
        let drop = nested_under.is_some() && expressed_by_nesting(set, table, name, value)
            || nested_here(set, table, name, value, path);
        if !drop {
            object.insert(name.clone(), value.clone());
        }
    }
    for relation in RELATIONS.iter().filter(|r| r.parent_matches(table)) {
        if path.iter().any(|p| p == relation.child) {
            continue;
        }
        match relation.link {
            Link::ChildRefersToParent(field) => {
                let children: Vec<&Record> = set
                    .records_of(relation.child)
                    .filter(|c| c.get(field).and_then(Value::as_str) == Some(own_id))
                    .collect();
                if children.is_empty() {
                    continue;
                }
                path.push(relation.child.to_owned());
                let items = children
                    .into_iter()
                    .map(|c| nest_record(set, relation.child, c, path, Some(table)))
                    .collect();
                path.pop();
                object.insert(relation.property.to_owned(), Value::Array(items));
            }
            Link::ParentRefersToChild(field) => {
                let Some(child) = record
                    .get(field)
                    .and_then(Value::as_str)
                    .and_then(|cid| set.get(relation.child, cid))
                else {
                    continue;
                };
                path.push(relation.child.to_owned());
                let value = nest_record(set, relation.child, child, path, Some(table));
                path.pop();
                object.insert(relation.property.to_owned(), value);
            }
        }
    }
    Value::Object(object)
}

/// Whether a record's link field names a record that is nested into it
/// (a service's `organization_id` when its organization is shown inside).
fn nested_here(set: &RecordSet, table: &str, field: &str, value: &Value, path: &[String]) -> bool {
    let Some(target) = value.as_str() else {
        return false;
    };
    RELATIONS.iter().any(|r| {
        r.parent_matches(table)
            && matches!(r.link, Link::ParentRefersToChild(f) if f == field)
            && !path.iter().any(|p| p == r.child)
            && set.get(r.child, target).is_some()
    })
}

/// Whether a nested child's field is a link to a record the set holds (the
/// nesting under one of its parents says it; an export emits every record
/// somewhere, so the link comes back on import).
fn expressed_by_nesting(set: &RecordSet, table: &str, field: &str, value: &Value) -> bool {
    let Some(target) = value.as_str() else {
        return false;
    };
    RELATIONS.iter().any(|r| {
        r.child == table
            && matches!(r.link, Link::ChildRefersToParent(f) if f == field)
            && r.parents().any(|p| set.get(p, target).is_some())
    })
}

/// What a JSON document holds: our bundle (see [`bundle`]), a list page
/// (`{"contents": [...]}`), an array, or one object of the given shape.
/// Returns the records once the whole document is read and checked.
pub fn read_document(
    document: &Value,
    shape: Option<Shape>,
    file: &str,
) -> Result<RecordSet, Vec<Problem>> {
    let mut set = RecordSet::new();
    let mut problems = Vec::new();
    let need_shape = || Problem {
        location: file.to_owned(),
        field: "object".into(),
        problem: "cannot tell which HSDS object this file holds; name it \
                  (service, organization, service_at_location, taxonomy, taxonomy_term)"
            .into(),
    };
    let mut read_objects = |shape: Shape, items: &[Value], path: &str, set: &mut RecordSet| {
        let table = table_of(shape.table());
        for (i, item) in items.iter().enumerate() {
            problems.extend(flatten(table, item, &format!("{file} {path}[{i}]"), set));
        }
    };
    match document {
        Value::Object(object) if is_bundle(object) => {
            for shape in Shape::ALL {
                if let Some(items) = object.get(shape.bundle_key()).and_then(Value::as_array) {
                    read_objects(shape, items, &format!("$.{}", shape.bundle_key()), &mut set);
                }
            }
            if let Some(records) = object.get("records").and_then(Value::as_object) {
                for (name, items) in records {
                    let Some(table) = table(name) else {
                        problems.push(Problem {
                            location: format!("{file} $.records"),
                            field: name.clone(),
                            problem: "is not an HSDS table".into(),
                        });
                        continue;
                    };
                    for (i, item) in items
                        .as_array()
                        .map_or(&[][..], Vec::as_slice)
                        .iter()
                        .enumerate()
                    {
                        let path = format!("{file} $.records.{name}[{i}]");
                        problems.extend(flatten(table, item, &path, &mut set));
                    }
                }
            }
        }
        Value::Object(object) if object.get("contents").is_some_and(Value::is_array) => match shape
        {
            Some(shape) => read_objects(
                shape,
                object["contents"].as_array().map_or(&[][..], Vec::as_slice),
                "$.contents",
                &mut set,
            ),
            None => problems.push(need_shape()),
        },
        Value::Array(items) => match shape {
            Some(shape) => read_objects(shape, items, "$", &mut set),
            None => problems.push(need_shape()),
        },
        object => match shape {
            Some(shape) => {
                let path = format!("{file} $");
                problems.extend(flatten(table_of(shape.table()), object, &path, &mut set));
            }
            None => problems.push(need_shape()),
        },
    }
    set.infer_program_organizations();
    problems.extend(set.problems());
    if problems.is_empty() {
        Ok(set)
    } else {
        Err(problems)
    }
}

const BUNDLE_VERSION: &str = "hsds_version";

fn is_bundle(object: &Map<String, Value>) -> bool {
    object.contains_key(BUNDLE_VERSION)
}

/// A whole directory as one JSON document: organizations (each
/// `organization_full`, with its services), taxonomies and terms, and under
/// `records` every record those do not reach, nested as far as it goes. It
/// holds every record, so reading it back gives the same set.
pub fn bundle(set: &RecordSet) -> Value {
    let mut reached_so_far = BTreeSet::new();
    let mut document = Map::new();
    document.insert(BUNDLE_VERSION.into(), Value::String("3.0".into()));
    for shape in [Shape::Organization, Shape::Taxonomy, Shape::TaxonomyTerm] {
        let mut objects = Vec::new();
        for record in set.records_of(shape.table()) {
            let id = record.get("id").and_then(Value::as_str).unwrap_or_default();
            if let Some(object) = nest(set, shape.table(), id) {
                collect_reached(&object, shape.table(), &mut reached_so_far);
                objects.push(object);
            }
        }
        document.insert(shape.bundle_key().into(), Value::Array(objects));
    }
    let mut leftovers = Map::new();
    for (table, id, _) in set.iter() {
        if reached_so_far.contains(&(table.name.clone(), id.to_owned())) {
            continue;
        }
        if let Some(object) = nest(set, &table.name, id) {
            collect_reached(&object, &table.name, &mut reached_so_far);
            leftovers
                .entry(table.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
                .as_array_mut()
                .expect("inserted as an array")
                .push(object);
        }
    }
    document.insert("records".into(), Value::Object(leftovers));
    Value::Object(document)
}

/// Every record's table and id that some nesting rooted at `roots` reaches.
pub fn reached(set: &RecordSet, root_table: &str, root_id: &str) -> BTreeSet<(String, String)> {
    let mut seen = BTreeSet::new();
    if let Some(value) = nest(set, root_table, root_id) {
        collect_reached(&value, root_table, &mut seen);
    }
    seen
}

fn collect_reached(value: &Value, table: &str, seen: &mut BTreeSet<(String, String)>) {
    let Some(object) = value.as_object() else {
        return;
    };
    if let Some(id) = object.get("id").and_then(Value::as_str) {
        seen.insert((table.to_owned(), id.to_owned()));
    }
    for (key, child) in object {
        if let Some(relation) = relations::of(table, key) {
            match child {
                Value::Array(items) => {
                    for item in items {
                        collect_reached(item, relation.child, seen);
                    }
                }
                other => collect_reached(other, relation.child, seen),
            }
        }
    }
}

#[cfg(test)]
mod tests;
