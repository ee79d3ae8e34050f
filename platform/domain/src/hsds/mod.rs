//! The service directory's data model: Open Referral HSDS 3.0.
//!
//! A directory is a set of flat [`Record`]s, one per row of the tables of the
//! HSDS tabular data package (`datapackage-3.0.json`, kept as published), plus
//! `service_capacity` from HSDS 3.1. The API's object shapes (`service_full`,
//! `organization_full`, ...) are those records nested along their links
//! ([`RELATIONS`]): [`flatten`] takes a nested object apart, [`nest`] builds it
//! again, so JSON and CSV are two views of the same records.

mod csv;
mod documents;
mod nesting;
mod relations;
mod schema;
mod validation;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{Map, Value};

pub use csv::*;
pub use documents::*;
pub use nesting::*;
pub use relations::{Link, RELATIONS, Relation};
pub use schema::*;
pub use validation::*;

/// One row of an HSDS table: field name → value, only the fields present.
pub type Record = Map<String, Value>;

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

#[cfg(test)]
mod tests;
