//! The person registry, as reception and social workers use it.

use serde_json::{Value, json};

use crate::harness::{Backend, Client, TestApp, code, demo_account};

const REGISTER: &str =
    "mutation($input: PersonInput!) { registerPerson(input: $input) { id displayName } }";

/// A valid ΑΜΚΑ for 15/03/1985.
fn amka_15_03_85() -> String {
    kentro_domain::identifiers::fixtures::amka(15, 3, 85, 1234)
}

fn maria() -> Value {
    json!({
        "givenNameEl": "Μαρία", "familyNameEl": "Παπαδοπούλου",
        "birthDate": "1985-03-15", "amka": amka_15_03_85(), "gender": "FEMALE",
        "minority": "YES", "employmentStatus": "LONG_TERM_UNEMPLOYED"
    })
}

async fn register(desk: &Client<'_>, input: Value) -> Value {
    desk.call(REGISTER, json!({ "input": input })).await
}

async fn people_count(desk: &Client<'_>) -> usize {
    let data = desk
        .ok(
            "{ people(first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    data["people"]["edges"].as_array().unwrap().len()
}

#[tokio::test]
async fn reception_cannot_see_roma_flag() {
    let app = TestApp::spawn(Backend::postgres().await);
    let social_worker = app.login_as("social-worker", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let registered = register(&social_worker, maria()).await;
    let id = registered["data"]["registerPerson"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{registered}"))
        .to_owned();
    let read = "query($id: ID!) { person(id: $id) { displayName minority employmentStatus } }";

    let worker_view = social_worker.call(read, json!({ "id": id })).await;
    assert_eq!(
        worker_view["data"]["person"]["minority"], "YES",
        "{worker_view}"
    );

    let reception_view = reception.call(read, json!({ "id": id })).await;
    let person = &reception_view["data"]["person"];
    assert_eq!(
        person["displayName"], "Μαρία Παπαδοπούλου",
        "{reception_view}"
    );
    assert_eq!(person["employmentStatus"], "LONG_TERM_UNEMPLOYED");
    assert!(person["minority"].is_null(), "{reception_view}");
    assert_eq!(code(&reception_view), "FORBIDDEN_FIELD");
    assert_eq!(
        reception_view["errors"][0]["path"],
        json!(["person", "minority"])
    );

    // Nor may reception record a special category.
    let mut input = maria();
    input["amka"] = Value::Null;
    input["disability"] = json!("YES");
    let refused = register(&reception, input).await;
    assert_eq!(code(&refused), "FORBIDDEN_FIELD", "{refused}");
}

async fn greek_and_latin_spellings_find_the_same_person(backend: Backend) {
    let app = TestApp::spawn(backend);
    let reception = app.login_as("reception", "veria").await;
    let registered = register(&reception, {
        let mut input = maria();
        input["minority"] = Value::Null;
        input
    })
    .await;
    assert!(registered.get("errors").is_none(), "{registered}");
    register(
        &reception,
        json!({ "givenNameLatin": "Ahmad", "familyNameLatin": "Karimi", "nationality": "AF" }),
    )
    .await;

    let search = "query($q: String) { people(search: $q) { edges { node { displayName } } } }";
    for query in [
        "Papadopoulou",
        "ΠΑΠΑΔΟΠΟΥΛΟΥ",
        "papadopulu",
        "Μαρια",
        "maria papadopoulou",
        &amka_15_03_85(),
    ] {
        let response = reception.call(search, json!({ "q": query })).await;
        let names: Vec<&str> = response["data"]["people"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"))
            .iter()
            .map(|e| e["node"]["displayName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Μαρία Παπαδοπούλου"], "searching {query:?}");
    }
    let none = reception.call(search, json!({ "q": "Γεωργίου" })).await;
    assert_eq!(
        none["data"]["people"]["edges"].as_array().map(Vec::len),
        Some(0)
    );
    let karimi = reception.call(search, json!({ "q": "Καρίμι" })).await;
    assert_eq!(
        karimi["data"]["people"]["edges"][0]["node"]["displayName"], "Ahmad Karimi",
        "a Greek spelling finds a Latin-only record: {karimi}"
    );
}

#[tokio::test]
async fn greek_and_latin_spellings_find_the_same_person_on_sqlite() {
    greek_and_latin_spellings_find_the_same_person(Backend::sqlite()).await;
}

#[tokio::test]
async fn greek_and_latin_spellings_find_the_same_person_on_postgres() {
    greek_and_latin_spellings_find_the_same_person(Backend::postgres().await).await;
}

#[tokio::test]
async fn every_invalid_field_is_reported_at_once_and_nothing_is_written() {
    let app = TestApp::spawn(Backend::sqlite());
    let social_worker = app.login_as("social-worker", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let response = register(
        &reception,
        json!({
            "givenNameEl": "Νίκος", "familyNameEl": "Νικολάου",
            "amka": "12345678901", "afm": "123456789", "email": "nikos-at-mail",
            "birthDate": "1990-02-30"
        }),
    )
    .await;
    assert_eq!(code(&response), "VALIDATION", "{response}");
    let fields: Vec<&str> = response["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["input.birthDate", "input.amka", "input.afm", "input.email"],
        "{response}"
    );
    assert_eq!(people_count(&social_worker).await, 0);
}

#[tokio::test]
async fn a_known_amka_is_refused_and_similar_people_are_offered_before_intake() {
    let app = TestApp::spawn(Backend::postgres().await);
    let social_worker = app.login_as("social-worker", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let first = register(&social_worker, maria()).await;
    let existing_id = first["data"]["registerPerson"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let again = register(&reception, {
        let mut input = maria();
        input["minority"] = Value::Null;
        input
    })
    .await;
    assert_eq!(code(&again), "DUPLICATE_IDENTIFIER", "{again}");
    assert_eq!(again["errors"][0]["extensions"]["field"], "input.amka");
    assert_eq!(
        again["errors"][0]["extensions"]["existingPersonId"],
        existing_id
    );
    assert_eq!(people_count(&social_worker).await, 1);

    // The same woman at another desk, spelled in Latin letters, without ΑΜΚΑ.
    let duplicates = reception
        .call(
            "query($input: PersonInput!) { findPossibleDuplicates(input: $input) {
                person { id displayName } reasons score } }",
            json!({ "input": {
                "givenNameLatin": "Maria", "familyNameLatin": "Papadopulu",
                "birthDate": "1985-03-15"
            }}),
        )
        .await;
    let candidates = duplicates["data"]["findPossibleDuplicates"]
        .as_array()
        .unwrap_or_else(|| panic!("{duplicates}"));
    assert_eq!(candidates.len(), 1, "{duplicates}");
    assert_eq!(candidates[0]["person"]["id"], existing_id);
    assert_eq!(
        candidates[0]["reasons"],
        json!(["SAME_BIRTH_DATE_AND_SIMILAR_NAME"])
    );

    // Same birth date, different person: not offered.
    let other = reception
        .call(
            "query($input: PersonInput!) { findPossibleDuplicates(input: $input) { score } }",
            json!({ "input": {
                "givenNameEl": "Ελένη", "familyNameEl": "Γεωργίου", "birthDate": "1985-03-15"
            }}),
        )
        .await;
    assert_eq!(
        other["data"]["findPossibleDuplicates"]
            .as_array()
            .map(Vec::len),
        Some(0),
        "{other}"
    );
}

#[tokio::test]
async fn another_centers_people_are_not_found_and_every_read_is_audited() {
    let app = TestApp::spawn(Backend::postgres().await);
    let social_worker = app.login_as("social-worker", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let registered = register(&social_worker, maria()).await;
    let id = registered["data"]["registerPerson"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outsider = app.login_as("social-worker", "paiania").await;
    let read = "query($id: ID!) { person(id: $id) { displayName } }";
    let response = outsider.call(read, json!({ "id": id })).await;
    assert_eq!(code(&response), "NOT_FOUND", "{response}");
    let listed = outsider
        .call(
            "{ people(search: \"Papadopoulou\") { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["people"]["edges"].as_array().map(Vec::len),
        Some(0)
    );

    reception.call(read, json!({ "id": id })).await;
    let admin = app.login_as("tenant-admin", "veria").await;
    let log = admin
        .call(
            "{ auditLog(filter: { entityType: \"person\" }) { edges { node { action actor } } } }",
            json!({}),
        )
        .await;
    let entries: Vec<(String, String)> = log["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .map(|e| {
            (
                e["node"]["action"].as_str().unwrap().to_owned(),
                e["node"]["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("person.read".to_owned(), demo_account("reception", "veria")),
            (
                "person.register".to_owned(),
                demo_account("social-worker", "veria")
            ),
        ]
    );
}

#[tokio::test]
async fn merging_two_records_keeps_one_with_everything_that_referred_to_either() {
    let app = TestApp::spawn(Backend::postgres().await);
    let social_worker = app.login_as("social-worker", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let keep = register(&social_worker, maria()).await["data"]["registerPerson"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let remove = register(&reception, json!({ "givenNameLatin": "Maria", "familyNameLatin": "Papadopoulou",
                "afm": kentro_domain::identifiers::fixtures::afm(12_345_678), "phone": "6971234567" }),
    )
    .await["data"]["registerPerson"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let case = social_worker.call("mutation($p: ID!) { openCase(input: { personId: $p, channel: PHONE, categories: [FOOD_AID] }) { id } }",
            json!({ "p": remove }),
        )
        .await["data"]["openCase"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let merged = social_worker.call("mutation($k: ID!, $r: ID!) { mergePersons(keep: $k, remove: $r) { id displayName givenNameLatin afm phone amka } }",
            json!({ "k": keep, "r": remove }),
        )
        .await;
    let person = &merged["data"]["mergePersons"];
    assert_eq!(person["id"], keep, "{merged}");
    assert_eq!(person["displayName"], "Μαρία Παπαδοπούλου");
    assert_eq!(person["givenNameLatin"], "Maria");
    assert_eq!(person["phone"], "6971234567");
    assert!(
        person["afm"].is_string() && person["amka"].is_string(),
        "{merged}"
    );

    let gone = social_worker
        .call(
            "query($id: ID!) { person(id: $id) { id } }",
            json!({ "id": remove }),
        )
        .await;
    assert_eq!(code(&gone), "NOT_FOUND");
    let moved = social_worker
        .call(
            "query($id: ID!) { case(id: $id) { person { id } } }",
            json!({ "id": case }),
        )
        .await;
    assert_eq!(moved["data"]["case"]["person"]["id"], keep, "{moved}");
    assert_eq!(people_count(&social_worker).await, 1);

    let same = social_worker
        .call(
            "mutation($k: ID!) { mergePersons(keep: $k, remove: $k) { id } }",
            json!({ "k": keep }),
        )
        .await;
    assert_eq!(code(&same), "VALIDATION", "{same}");
}

async fn concurrent_registrations_all_succeed_and_keep_the_audit_chain(backend: Backend) {
    let app = TestApp::spawn(backend);
    let social_worker = app.login_as("social-worker", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let registrations = (0..12).map(|i| {
        let reception = &reception;
        async move {
            register(
                reception,
                json!({ "givenNameEl": "Ελένη", "familyNameEl": format!("Παράλληλη {i}") }),
            )
            .await
        }
    });
    let results = futures::future::join_all(registrations).await;
    for result in &results {
        assert!(result.get("errors").is_none(), "{result}");
    }
    assert_eq!(people_count(&social_worker).await, 12);
    let env = app.backend().env();
    let verified = crate::harness::run_kentro(&env, &["audit", "verify", "--tenant", "veria"]);
    assert!(
        verified.status.success(),
        "{}",
        crate::harness::stdout_of(&verified)
    );
}

#[tokio::test]
async fn concurrent_registrations_all_succeed_on_sqlite() {
    concurrent_registrations_all_succeed_and_keep_the_audit_chain(Backend::sqlite()).await;
}

#[tokio::test]
async fn concurrent_registrations_all_succeed_on_postgres() {
    concurrent_registrations_all_succeed_and_keep_the_audit_chain(Backend::postgres().await).await;
}

#[tokio::test]
async fn two_desks_registering_the_same_amka_at_once_get_one_record_and_a_duplicate_error() {
    let app = TestApp::spawn(Backend::postgres().await);
    let social_worker = app.login_as("social-worker", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let attempts = (0..6).map(|_| {
        let reception = &reception;
        async move {
            let mut input = maria();
            input["minority"] = Value::Null;
            register(reception, input).await
        }
    });
    let results = futures::future::join_all(attempts).await;
    let registered = results
        .iter()
        .filter(|r| r["data"]["registerPerson"]["id"].is_string())
        .count();
    assert_eq!(registered, 1, "{results:?}");
    for refused in results.iter().filter(|r| r.get("errors").is_some()) {
        assert_eq!(code(refused), "DUPLICATE_IDENTIFIER", "{refused}");
    }
    assert_eq!(people_count(&social_worker).await, 1);
}
