//! The API's object shapes: a nested object taken apart into flat records
//! ([`flatten`]) and built again from them ([`nest`]) along [`RELATIONS`].

use super::*;

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
pub(super) struct Inherited<'a> {
    link: Option<(&'a str, &'a str)>,
    default: Option<(&'a str, &'a str)>,
}

pub(super) fn flatten_into(
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
pub(super) fn entity_field(child: &str) -> Option<&'static str> {
    match child {
        "attribute" => Some("link_entity"),
        "metadata" => Some("resource_type"),
        _ => None,
    }
}

pub(super) fn table_of(name: &str) -> &'static Table {
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

pub(super) fn nest_record(
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
pub(super) fn nested_here(
    set: &RecordSet,
    table: &str,
    field: &str,
    value: &Value,
    path: &[String],
) -> bool {
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
pub(super) fn expressed_by_nesting(
    set: &RecordSet,
    table: &str,
    field: &str,
    value: &Value,
) -> bool {
    let Some(target) = value.as_str() else {
        return false;
    };
    RELATIONS.iter().any(|r| {
        r.child == table
            && matches!(r.link, Link::ChildRefersToParent(f) if f == field)
            && r.parents().any(|p| set.get(p, target).is_some())
    })
}
