//! The tables of the HSDS 3.0 tabular data package (as published), plus
//! `service_capacity` from HSDS 3.1, and their fields' types and formats.

use super::*;

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

pub(super) const DATAPACKAGE: &str = include_str!("datapackage-3.0.json");

/// The HSDS 3.1 `service_capacity` table, which 3.0 lacks.
pub(super) const SERVICE_CAPACITY: &str = r#"{
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
pub(super) struct RawPackage {
    resources: Vec<RawResource>,
}

#[derive(Deserialize)]
pub(super) struct RawResource {
    name: String,
    path: String,
    schema: RawSchema,
}

#[derive(Deserialize)]
pub(super) struct RawSchema {
    fields: Vec<RawField>,
    #[serde(default, rename = "foreignKeys")]
    foreign_keys: Vec<RawForeignKey>,
}

#[derive(Deserialize)]
pub(super) struct RawField {
    name: String,
    #[serde(rename = "type")]
    field_type: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    constraints: RawConstraints,
}

#[derive(Deserialize, Default)]
pub(super) struct RawConstraints {
    #[serde(default)]
    required: bool,
    #[serde(default, rename = "enum")]
    allowed: Option<Vec<String>>,
}

#[derive(Deserialize)]
pub(super) struct RawForeignKey {
    fields: String,
    reference: RawReference,
}

#[derive(Deserialize)]
pub(super) struct RawReference {
    resource: String,
}

pub(super) fn table_from(raw: RawResource) -> Table {
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

pub(super) static TABLES: LazyLock<Vec<Table>> = LazyLock::new(|| {
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
