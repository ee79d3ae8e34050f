use super::*;

const SERVICE_FULL: &str = include_str!("../../../../tests/fixtures/hsds-3.0/service_full.json");
const ORGANIZATION_FULL: &str =
    include_str!("../../../../tests/fixtures/hsds-3.0/organization_full.json");
const SERVICE_AT_LOCATION_FULL: &str =
    include_str!("../../../../tests/fixtures/hsds-3.0/service_at_location_full.json");
const TAXONOMY: &str = include_str!("../../../../tests/fixtures/hsds-3.0/taxonomy.json");
const TAXONOMY_TERM: &str = include_str!("../../../../tests/fixtures/hsds-3.0/taxonomy_term.json");

fn round_trip(shape: Shape, text: &str) -> (Value, Value, RecordSet) {
    let original: Value = serde_json::from_str(text).unwrap();
    let mut set = RecordSet::new();
    let mut problems = flatten(table(shape.table()).unwrap(), &original, "$", &mut set);
    problems.extend(set.problems());
    assert_eq!(problems, vec![], "{shape:?}");
    let id = original["id"].as_str().unwrap();
    let rebuilt = nest(&set, shape.table(), id).unwrap();
    (original, rebuilt, set)
}

#[test]
fn the_official_api_examples_come_back_unchanged_from_their_records() {
    for (shape, text) in [
        (Shape::Service, SERVICE_FULL),
        (Shape::Organization, ORGANIZATION_FULL),
        (Shape::ServiceAtLocation, SERVICE_AT_LOCATION_FULL),
        (Shape::Taxonomy, TAXONOMY),
        (Shape::TaxonomyTerm, TAXONOMY_TERM),
    ] {
        let (original, rebuilt, _) = round_trip(shape, text);
        assert_eq!(
            rebuilt,
            original,
            "{shape:?}:\n{}",
            serde_json::to_string_pretty(&rebuilt).unwrap()
        );
    }
}

#[test]
fn a_record_repeated_in_nested_objects_becomes_one_record_with_every_link() {
    let (_, _, set) = round_trip(Shape::Service, SERVICE_FULL);
    let phone = set
        .get("phone", "1554f2e2-a373-45db-a3fa-9fc48a61c15e")
        .unwrap();
    for link in [
        "service_id",
        "organization_id",
        "location_id",
        "contact_id",
        "service_at_location_id",
    ] {
        assert!(phone.contains_key(link), "phone lacks {link}: {phone:?}");
    }
    let attribute = set
        .get("attribute", "ae58cc39-8b70-4ab1-8aea-786882e5ac8e")
        .unwrap();
    assert_eq!(attribute["link_id"], "ac148810-d857-441c-9679-408f346de14b");
    assert_eq!(
        attribute["taxonomy_term_id"],
        "3f7b145d-84af-42d7-8fae-eaca714b02b2"
    );
    let metadata = set
        .get("metadata", "6cd71e9f-1013-49d9-8370-26b8f59d3e5a")
        .unwrap();
    assert_eq!(
        metadata["resource_id"],
        "ac148810-d857-441c-9679-408f346de14b"
    );
}

#[test]
fn every_bad_field_is_reported_with_its_path() {
    let object = serde_json::json!({
        "id": "not-a-uuid",
        "status": "sleeping",
        "minimum_age": "twelve",
        "colour": "blue",
        "phones": [{"id": "1554f2e2-a373-45db-a3fa-9fc48a61c15e"}]
    });
    let mut set = RecordSet::new();
    let mut problems = flatten(table("service").unwrap(), &object, "in.json $", &mut set);
    problems.extend(set.problems());
    let seen: Vec<(String, String)> = problems
        .iter()
        .map(|p| (p.location.clone(), p.field.clone()))
        .collect();
    for expected in [
        ("in.json $", "id"),
        ("in.json $", "status"),
        ("in.json $", "minimum_age"),
        ("in.json $", "colour"),
        ("in.json $", "name"),
        ("in.json $.phones[0]", "number"),
    ] {
        assert!(
            seen.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} missing from {problems:#?}"
        );
    }
    let status = problems.iter().find(|p| p.field == "status").unwrap();
    assert!(status.problem.contains("active, inactive"), "{status}");
}

#[test]
fn the_same_record_with_two_different_values_is_refused() {
    let object = serde_json::json!({
        "id": "ac148810-d857-441c-9679-408f346de14b", "name": "A", "status": "active",
        "phones": [{"id": "1554f2e2-a373-45db-a3fa-9fc48a61c15e", "number": "210 1"}],
        "contacts": [{"id": "1e7efce3-639b-4880-940c-b95cd30cdb50",
            "phones": [{"id": "1554f2e2-a373-45db-a3fa-9fc48a61c15e", "number": "210 2"}]}]
    });
    let mut set = RecordSet::new();
    let problems = flatten(table("service").unwrap(), &object, "$", &mut set);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, "number");
    assert!(problems[0].location.ends_with("phones[0]"), "{problems:?}");
    assert!(problems[0].problem.contains("\"210 1\""), "{problems:?}");
}

#[test]
fn csv_cells_are_typed_by_the_package_and_written_back_the_same() {
    let table = table("phone").unwrap();
    let row: BTreeMap<String, String> = [
        ("id", "1554f2e2-a373-45db-a3fa-9fc48a61c15e"),
        ("number", "\"+44 1234 234567\""),
        ("extension", "100"),
        ("service_id", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let record = record_from_csv(table, &row, "phones.csv row 2").unwrap();
    assert_eq!(record["extension"], 100);
    assert!(!record.contains_key("service_id"));
    let cells = record_to_csv(table, &record);
    assert_eq!(cells[0], "1554f2e2-a373-45db-a3fa-9fc48a61c15e");
    assert!(cells.contains(&"100".to_owned()));

    let bad: BTreeMap<String, String> = [("id", "x"), ("number", ""), ("extension", "ten")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let problems = record_from_csv(table, &bad, "phones.csv row 3").unwrap_err();
    let fields: BTreeSet<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, BTreeSet::from(["id", "number", "extension"]));
}

#[test]
fn a_required_reference_to_nothing_is_reported() {
    let mut set = RecordSet::new();
    let service = serde_json::json!({
        "id": "ac148810-d857-441c-9679-408f346de14b", "name": "A", "status": "active",
        "organization_id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
    });
    let service = service.as_object().unwrap().clone();
    set.merge(table("service").unwrap(), service, "x").unwrap();
    let problems = set.missing_required_references();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].location, "x");
    assert_eq!(problems[0].field, "organization_id");
}

#[test]
fn shapes_are_recognised_from_the_official_file_names() {
    assert_eq!(
        Shape::from_file_name("service_full.json"),
        Some(Shape::Service)
    );
    assert_eq!(
        Shape::from_file_name("x/organization_full.json"),
        Some(Shape::Organization)
    );
    assert_eq!(
        Shape::from_file_name("service_at_location_full.json"),
        Some(Shape::ServiceAtLocation)
    );
    assert_eq!(
        Shape::from_file_name("taxonomy.json"),
        Some(Shape::Taxonomy)
    );
    assert_eq!(
        Shape::from_file_name("taxonomy_term.json"),
        Some(Shape::TaxonomyTerm)
    );
    assert_eq!(
        Shape::from_file_name("service_list.json"),
        Some(Shape::Service)
    );
    assert_eq!(Shape::from_file_name("services.json"), Some(Shape::Service));
    assert_eq!(Shape::from_file_name("notes.json"), None);
}

#[test]
fn the_tables_are_the_package_and_service_capacity() {
    assert_eq!(tables().len(), 22);
    assert!(
        table("service_capacity")
            .unwrap()
            .field("available")
            .unwrap()
            .required
    );
    for relation in RELATIONS {
        assert!(table(relation.child).is_some(), "{}", relation.child);
        for parent in relation.parents {
            assert!(table(parent).is_some(), "{parent}");
        }
    }
}

#[test]
fn a_bundle_holds_every_record_and_reads_back_to_the_same_set() {
    let mut set = RecordSet::new();
    for (shape, text) in [
        (Shape::Service, SERVICE_FULL),
        (Shape::Taxonomy, TAXONOMY),
        (Shape::TaxonomyTerm, TAXONOMY_TERM),
    ] {
        let value: Value = serde_json::from_str(text).unwrap();
        let read = read_document(&value, Some(shape), "x.json").unwrap();
        for (table, id, record) in read.iter() {
            set.put(&table.name, id.to_owned(), record.clone());
        }
    }
    // A record nothing nests, with a link to a record held elsewhere.
    let orphan = serde_json::json!({"id": "0b2f6a5e-2a51-4a4c-9d55-94f27c5b8a10",
        "organization_id": "ae67a707-5893-4225-b0b1-320ab9cb596b", "name": "Orphan"});
    set.put(
        "contact",
        "0b2f6a5e-2a51-4a4c-9d55-94f27c5b8a10".into(),
        orphan.as_object().unwrap().clone(),
    );
    let bundle = bundle(&set);
    assert_eq!(bundle["organizations"].as_array().unwrap().len(), 1);
    let back = read_document(&bundle, None, "bundle.json").unwrap();
    assert_eq!(back.len(), set.len());
    for (table, id, record) in set.iter() {
        assert_eq!(
            back.get(&table.name, id),
            Some(record),
            "{} {id}",
            table.name
        );
    }
}

#[test]
fn a_list_page_and_an_array_are_read_as_their_objects() {
    let page: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/hsds-3.0/service_list.json"
    ))
    .unwrap();
    let read = read_document(&page, Some(Shape::Service), "service_list.json").unwrap();
    assert!(read.records_of("service").count() >= 1);
    let array = serde_json::json!([serde_json::from_str::<Value>(TAXONOMY).unwrap()]);
    let read = read_document(&array, Some(Shape::Taxonomy), "t.json").unwrap();
    assert_eq!(read.records_of("taxonomy").count(), 1);
    let problems = read_document(&array, None, "t.json").unwrap_err();
    assert_eq!(problems[0].field, "object");
}
