//! Households, consent, and the minimum-income application's checklist.

use serde_json::{Value, json};

use crate::harness::{Backend, Client, TestApp, code};

async fn register(desk: &Client<'_>, input: Value) -> String {
    let data = desk
        .ok(
            "mutation($input: PersonInput!) { registerPerson(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await;
    data["registerPerson"]["id"].as_str().unwrap().to_owned()
}

const CHECKLIST: &str = "query($id: ID!) { keaApplication(id: $id) { status externalReference
    checklist { document status receivedOn person { displayName } } } }";

fn items(data: &Value) -> Vec<(String, String, String)> {
    data["keaApplication"]["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["document"].as_str().unwrap().to_owned(),
                i["person"]["displayName"]
                    .as_str()
                    .unwrap_or("household")
                    .to_owned(),
                i["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn has(list: &[(String, String, String)], document: &str, whose: &str, status: &str) -> bool {
    list.iter()
        .any(|(d, w, s)| d == document && w == whose && s == status)
}

#[tokio::test]
async fn the_checklist_follows_the_household_and_changes_when_a_member_becomes_unemployed() {
    let app = TestApp::spawn(Backend::postgres().await);
    let desk = app.login_as("social-worker", "veria").await;
    let head_input = json!({
        "givenNameEl": "Ελένη", "familyNameEl": "Δημητρίου", "birthDate": "1984-05-02",
        "employmentStatus": "EMPLOYED", "nationality": "GR"
    });
    let head = register(&desk, head_input.clone()).await;
    let child = register(
        &desk,
        json!({
            "givenNameEl": "Νίκος", "familyNameEl": "Δημητρίου", "birthDate": "2016-09-01"
        }),
    )
    .await;
    let household = desk
        .ok(
            "mutation($head: ID!) { createHousehold(headPersonId: $head) { id } }",
            json!({ "head": head }),
        )
        .await["createHousehold"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let members = desk
        .ok(
            "mutation($h: ID!, $p: ID!) { addHouseholdMember(householdId: $h, personId: $p, relationship: CHILD) {
                members { relationship person { displayName } } } }",
            json!({ "h": household, "p": child }),
        )
        .await;
    assert_eq!(
        members["addHouseholdMember"]["members"][0]["relationship"],
        "HEAD"
    );

    let application = desk
        .ok(
            "mutation($input: StartKeaApplicationInput!) { startKeaApplication(input: $input) { id status } }",
            json!({ "input": { "householdId": household, "rentsHome": true,
                               "divorcedOrSeparated": false, "submittedOnBehalfOf": head } }),
        )
        .await["startKeaApplication"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The application is found from the head's household.
    let found = desk
        .ok(
            "query($p: ID!) { person(id: $p) { household { keaApplications { id status } } } }",
            json!({ "p": head }),
        )
        .await;
    assert_eq!(
        found["person"]["household"]["keaApplications"],
        json!([{ "id": application, "status": "PREPARING" }])
    );

    let list = items(&desk.ok(CHECKLIST, json!({ "id": application })).await);
    assert!(has(&list, "AFM", "Ελένη Δημητρίου", "MISSING"), "{list:?}");
    assert!(
        !list
            .iter()
            .any(|(d, w, _)| d == "AFM" && w == "Νίκος Δημητρίου")
    );
    assert!(has(
        &list,
        "SCHOOL_CERTIFICATE",
        "Νίκος Δημητρίου",
        "MISSING"
    ));
    assert!(has(&list, "LEASE_OR_E2", "household", "MISSING"));
    assert!(has(&list, "SINGLE_PARENT_PROOF", "household", "MISSING"));
    assert!(!list.iter().any(|(d, _, _)| d == "UNEMPLOYMENT_CARD"));

    let record = "mutation($input: KeaDocumentInput!) { recordKeaDocument(input: $input) { id } }";
    desk.ok(
        record,
        json!({ "input": { "applicationId": application, "document": "IBAN", "receivedOn": "2026-11-02" } }),
    )
    .await;
    desk.ok(
        record,
        json!({ "input": { "applicationId": application, "document": "ELECTRICITY_BILL",
                           "receivedOn": "2025-01-10", "expiresOn": "2025-03-10" } }),
    )
    .await;

    // The head loses her job: the checklist now asks for her unemployment card.
    let mut unemployed = head_input;
    unemployed["employmentStatus"] = json!("UNEMPLOYED");
    desk.ok(
        "mutation($id: ID!, $input: PersonInput!) { updatePerson(id: $id, input: $input) { employmentStatus } }",
        json!({ "id": head, "input": unemployed }),
    )
    .await;
    let list = items(&desk.ok(CHECKLIST, json!({ "id": application })).await);
    assert!(has(&list, "IBAN", "household", "RECEIVED"), "{list:?}");
    assert!(
        has(&list, "ELECTRICITY_BILL", "household", "EXPIRED"),
        "{list:?}"
    );
    assert!(
        has(&list, "UNEMPLOYMENT_CARD", "Ελένη Δημητρίου", "MISSING"),
        "{list:?}"
    );

    let transition = "mutation($id: ID!, $to: KeaApplicationStatus!, $ref: String) {
        transitionKeaApplication(id: $id, to: $to, externalReference: $ref) { status externalReference } }";
    let refused = desk
        .call(transition, json!({ "id": application, "to": "APPROVED" }))
        .await;
    assert_eq!(code(&refused), "VALIDATION", "{refused}");
    let submitted = desk
        .ok(
            transition,
            json!({ "id": application, "to": "SUBMITTED", "ref": "ΚΕΑ-2026-001234" }),
        )
        .await;
    assert_eq!(
        submitted["transitionKeaApplication"],
        json!({ "status": "SUBMITTED", "externalReference": "ΚΕΑ-2026-001234" })
    );
}

#[tokio::test]
async fn a_person_belongs_to_one_household_at_a_time() {
    let app = TestApp::spawn(Backend::sqlite());
    let desk = app.login_as("social-worker", "veria").await;
    let a = register(&desk, json!({ "givenNameEl": "Άννα", "familyNameEl": "Α" })).await;
    let b = register(
        &desk,
        json!({ "givenNameEl": "Βασίλης", "familyNameEl": "Β" }),
    )
    .await;
    let create = "mutation($head: ID!) { createHousehold(headPersonId: $head) { id } }";
    let first = desk.ok(create, json!({ "head": a })).await["createHousehold"]["id"].clone();
    desk.ok(create, json!({ "head": b })).await;
    let again = desk
        .call(
            "mutation($h: ID!, $p: ID!) { addHouseholdMember(householdId: $h, personId: $p, relationship: SPOUSE) { id } }",
            json!({ "h": first, "p": b }),
        )
        .await;
    assert_eq!(code(&again), "CONFLICT", "{again}");
    assert_eq!(again["errors"][0]["extensions"]["field"], "personId");
    desk.expect_code(create, json!({ "head": a }), "CONFLICT")
        .await;
}

#[tokio::test]
async fn consent_can_be_withdrawn_and_verbal_consent_needs_a_witness() {
    let app = TestApp::spawn(Backend::postgres().await);
    let desk = app.login_as("social-worker", "veria").await;
    let person = register(
        &desk,
        json!({ "givenNameEl": "Σοφία", "familyNameEl": "Ιωάννου" }),
    )
    .await;
    let record =
        "mutation($input: ConsentInput!) { recordConsent(input: $input) { purpose given } }";
    let unwitnessed = desk
        .call(
            record,
            json!({ "input": { "personId": person, "purpose": "REFERRAL_SHARING", "given": true,
                               "onDate": "2026-11-20", "method": "VERBAL_WITH_WITNESS" } }),
        )
        .await;
    assert_eq!(code(&unwitnessed), "VALIDATION");
    assert_eq!(
        unwitnessed["errors"][0]["extensions"]["field"],
        "input.witness"
    );

    desk.ok(
        record,
        json!({ "input": { "personId": person, "purpose": "REFERRAL_SHARING", "given": true,
                           "onDate": "2026-11-20", "method": "VERBAL_WITH_WITNESS",
                           "witness": "Κ. Παπαδάκη" } }),
    )
    .await;
    desk.ok(
        record,
        json!({ "input": { "personId": person, "purpose": "STATISTICS", "given": true,
                           "onDate": "2026-11-20", "method": "SIGNED_FORM" } }),
    )
    .await;
    desk.ok(
        record,
        json!({ "input": { "personId": person, "purpose": "REFERRAL_SHARING", "given": false,
                           "onDate": "2026-11-21", "method": "SIGNED_FORM" } }),
    )
    .await;
    let consents = desk
        .ok(
            "query($id: ID!) { person(id: $id) { consents { purpose given onDate } } }",
            json!({ "id": person }),
        )
        .await;
    assert_eq!(
        consents["person"]["consents"],
        json!([
            { "purpose": "REFERRAL_SHARING", "given": false, "onDate": "2026-11-21" },
            { "purpose": "STATISTICS", "given": true, "onDate": "2026-11-20" },
        ])
    );
}

/// Nested lists cost what they could reach: a household's members' households'
/// members… is refused before it runs; and a person reached again through
/// nested fields in one request is read and audited once.
#[tokio::test]
async fn nested_lists_are_bounded_and_a_person_is_audited_once_per_request() {
    let app = TestApp::spawn(Backend::sqlite());
    let worker = app.login_as("social-worker", "paiania").await;
    let admin = app.login_as("tenant-admin", "paiania").await;
    let register = "mutation($g: String!) { registerPerson(input: { givenNameEl: $g, familyNameEl: \"Φωλιά\" }) { id } }";
    let head = worker.ok(register, json!({ "g": "Άρτεμις" })).await["registerPerson"]["id"].clone();
    let child = worker.ok(register, json!({ "g": "Ίασον" })).await["registerPerson"]["id"].clone();
    let household = worker
        .ok(
            "mutation($p: ID!) { createHousehold(headPersonId: $p) { id } }",
            json!({ "p": head }),
        )
        .await["createHousehold"]["id"]
        .clone();
    worker.ok("mutation($h: ID!, $p: ID!) { addHouseholdMember(householdId: $h, personId: $p, relationship: CHILD) { id } }",
        json!({ "h": household, "p": child }),
    )
    .await;

    let key_of = |id: &Value| crate::harness::key_of(id.as_str().unwrap());
    let reads_of_head = || {
        let admin = &admin;
        let id = key_of(&head);
        async move {
            admin.ok(
                "query($e: String!) { auditLog(first: 100, filter: { entityType: \"person\", entityId: $e }) { edges { node { action } } } }",
                json!({ "e": id }),
            )
            .await["auditLog"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["node"]["action"] == "person.read")
                .count()
        }
    };
    let before = reads_of_head().await;
    // The head is reached three times: as a member, and twice more through
    // the members of their own household.
    let looped = worker.ok("query($h: ID!) { household(id: $h) { members { person { id household { members { person { id } } } } } } }",
        json!({ "h": household }),
    )
    .await;
    assert_eq!(
        looped["household"]["members"][0]["person"]["household"]["members"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{looped}"
    );
    assert_eq!(
        reads_of_head().await - before,
        1,
        "one read of the head in one request"
    );

    let nested = worker
        .call(
            "query($h: ID!) { household(id: $h) { members { person { household { members { person {
                household { members { person { household { members { person { id } } } } } } } } } } } } }",
            json!({ "h": household }),
        )
        .await;
    assert_eq!(code(&nested), "INVALID_QUERY", "{nested}");
    assert!(
        nested["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested lists"),
        "{nested}"
    );
}
