//! Whole documents: a JSON import read as records (one object, a list, or
//! the export bundle), the bundle an export writes, and what a root reaches.

use super::*;

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

pub(super) const BUNDLE_VERSION: &str = "hsds_version";

pub(super) fn is_bundle(object: &Map<String, Value>) -> bool {
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

pub(super) fn collect_reached(value: &Value, table: &str, seen: &mut BTreeSet<(String, String)>) {
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
