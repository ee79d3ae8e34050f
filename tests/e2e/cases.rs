//! Cases as social workers and psychologists work them.

use serde_json::{Value, json};

use crate::harness::{Backend, Client, TestApp, code};

async fn person_and_case(client: &Client<'_>) -> (String, String) {
    let person = client.call("mutation { registerPerson(input: { givenNameEl: \"Γιάννης\", familyNameEl: \"Οικονόμου\" }) { id } }",
            json!({}),
        )
        .await;
    let person_id = person["data"]["registerPerson"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{person}"))
        .to_owned();
    let case = client
        .call(
            "mutation($input: OpenCaseInput!) { openCase(input: $input) { id status categories } }",
            json!({ "input": {
                "personId": person_id, "channel": "WALK_IN",
                "categories": ["INCOME_SUPPORT", "HOUSING"]
            }}),
        )
        .await;
    assert_eq!(case["data"]["openCase"]["status"], "OPEN", "{case}");
    let case_id = case["data"]["openCase"]["id"].as_str().unwrap().to_owned();
    (person_id, case_id)
}

const TRANSITION: &str =
    "mutation($id: ID!, $to: CaseStatus!) { transitionCase(id: $id, to: $to) { status closedAt } }";

#[tokio::test]
async fn a_case_follows_its_lifecycle_and_a_bad_move_names_both_states() {
    let app = TestApp::spawn(Backend::postgres().await);
    let worker = app.login_as("social-worker", "veria").await;
    let (_, case_id) = person_and_case(&worker).await;

    for to in ["IN_PROGRESS", "CLOSED"] {
        let moved = worker
            .call(TRANSITION, json!({ "id": case_id, "to": to }))
            .await;
        assert_eq!(moved["data"]["transitionCase"]["status"], to, "{moved}");
    }
    let bad = worker
        .call(TRANSITION, json!({ "id": case_id, "to": "IN_PROGRESS" }))
        .await;
    assert_eq!(code(&bad), "INVALID_TRANSITION", "{bad}");
    assert_eq!(bad["errors"][0]["extensions"]["from"], "closed");
    assert_eq!(bad["errors"][0]["extensions"]["to"], "in_progress");
    let reopened = worker
        .call(TRANSITION, json!({ "id": case_id, "to": "REOPENED" }))
        .await;
    assert_eq!(reopened["data"]["transitionCase"]["status"], "REOPENED");
    assert!(reopened["data"]["transitionCase"]["closedAt"].is_null());

    let updated = worker.call("mutation($id: ID!) { updateCase(id: $id, input: { needsAssessment: \"Χρειάζεται στέγη\" }) { needsAssessment } }",
            json!({ "id": case_id }),
        )
        .await;
    assert_eq!(
        updated["data"]["updateCase"]["needsAssessment"],
        "Χρειάζεται στέγη"
    );

    let timeline = worker
        .call(
            "query($id: ID!) { case(id: $id) { timeline { kind detail actor } } }",
            json!({ "id": case_id }),
        )
        .await;
    let events: Vec<String> = timeline["data"]["case"]["timeline"]
        .as_array()
        .unwrap_or_else(|| panic!("{timeline}"))
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["kind"].as_str().unwrap(),
                e["detail"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(events.len(), 5, "{events:?}");
    assert!(events[0].starts_with("opened"), "{events:?}");
    assert_eq!(events[1], "status open → in_progress");
    assert_eq!(events[2], "status in_progress → closed");
    assert_eq!(events[3], "status closed → reopened");
    assert_eq!(events[4], "updated needsAssessment");
}

#[tokio::test]
async fn note_confidentiality_decides_who_reads_each_note() {
    let app = TestApp::spawn(Backend::postgres().await);
    let worker = app.login_as("social-worker", "veria").await;
    let psychologist = app.login_as("psychologist", "veria").await;
    let coordinator = app.login_as("tenant-admin", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let (_, case_id) = person_and_case(&worker).await;

    let add = "mutation($id: ID!, $c: NoteConfidentiality!, $b: String!) { addNote(caseId: $id, confidentiality: $c, body: $b) { id } }";
    for (author, confidentiality, body) in [
        (&worker, "STANDARD", "standard by worker"),
        (&worker, "SENSITIVE", "sensitive by worker"),
        (&worker, "PSYCHOLOGICAL", "psychological by worker"),
        (
            &psychologist,
            "PSYCHOLOGICAL",
            "psychological by psychologist",
        ),
    ] {
        let added = author
            .call(
                add,
                json!({ "id": case_id, "c": confidentiality, "b": body }),
            )
            .await;
        assert!(added.get("errors").is_none(), "{added}");
    }

    let bodies = |response: &Value| -> Vec<String> {
        response["data"]["case"]["notes"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"))
            .iter()
            .map(|n| n["body"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        bodies(&notes_seen_by(&worker, &case_id).await),
        [
            "standard by worker",
            "sensitive by worker",
            "psychological by worker"
        ]
    );
    assert_eq!(
        bodies(&notes_seen_by(&psychologist, &case_id).await),
        [
            "standard by worker",
            "sensitive by worker",
            "psychological by worker",
            "psychological by psychologist"
        ]
    );
    assert_eq!(
        bodies(&notes_seen_by(&coordinator, &case_id).await),
        ["standard by worker", "sensitive by worker"]
    );
    let refused = notes_seen_by(&reception, &case_id).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
}

#[tokio::test]
async fn opening_a_case_reports_every_bad_field() {
    let app = TestApp::spawn(Backend::sqlite());
    let worker = app.login_as("social-worker", "veria").await;
    let response = worker
        .call(
            "mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }",
            json!({ "input": {
                "personId": "not-an-id", "channel": "PHONE", "categories": [],
                "requestDate": "2099-01-01"
            }}),
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
        ["input.personId", "input.requestDate", "input.categories"]
    );
}

#[tokio::test]
async fn another_centers_cases_are_not_found_and_unchanged() {
    let app = TestApp::spawn(Backend::postgres().await);
    let veria = app.login_as("social-worker", "veria").await;
    let paiania = app.login_as("social-worker", "paiania").await;
    let (_, case_id) = person_and_case(&veria).await;

    for (query, variables) in [
        (
            "query($id: ID!) { case(id: $id) { status } }",
            json!({ "id": case_id }),
        ),
        (TRANSITION, json!({ "id": case_id, "to": "IN_PROGRESS" })),
        (
            "mutation($id: ID!) { updateCase(id: $id, input: { outcome: \"x\" }) { status } }",
            json!({ "id": case_id }),
        ),
        (
            "mutation($id: ID!) { addNote(caseId: $id, confidentiality: STANDARD, body: \"x\") { id } }",
            json!({ "id": case_id }),
        ),
    ] {
        paiania.expect_code(query, variables, "NOT_FOUND").await;
    }
    let listed = paiania
        .call("{ cases { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(
        listed["data"]["cases"]["edges"].as_array().map(Vec::len),
        Some(0)
    );
    let mine = veria
        .call(
            "query($id: ID!) { case(id: $id) { status notes { body } timeline { kind } } }",
            json!({ "id": case_id }),
        )
        .await;
    assert_eq!(mine["data"]["case"]["status"], "OPEN", "{mine}");
    assert_eq!(mine["data"]["case"]["notes"], json!([]));
    assert_eq!(
        mine["data"]["case"]["timeline"].as_array().map(Vec::len),
        Some(1)
    );
}

async fn notes_seen_by(client: &Client<'_>, case_id: &str) -> Value {
    client
        .call(
            "query($id: ID!) { case(id: $id) { notes { body } } }",
            json!({ "id": case_id }),
        )
        .await
}

async fn person_reads(coordinator: &Client<'_>) -> Vec<String> {
    let log = coordinator.call("{ auditLog(first: 100, filter: { action: \"person.read\" }) { edges { node { entityId } } } }",
            json!({}),
        )
        .await;
    log["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .map(|e| e["node"]["entityId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_page_of_cases_records_one_read_of_exactly_the_people_it_shows() {
    let app = TestApp::spawn(Backend::postgres().await);
    let worker = app.login_as("social-worker", "veria").await;
    let coordinator = app.login_as("tenant-admin", "veria").await;
    let mut people = Vec::new();
    for _ in 0..3 {
        people.push(person_and_case(&worker).await.0);
    }
    // Without the person field, no person is read.
    let page = worker
        .call(
            "{ cases(first: 2) { edges { node { status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        page["data"]["cases"]["edges"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(person_reads(&coordinator).await.is_empty());

    // With it, one entry names the two people shown (not the third, read ahead of the page).
    let page = worker
        .call(
            "{ cases(first: 2) { edges { node { person { id } } } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        page["data"]["cases"]["pageInfo"]["hasNextPage"], true,
        "{page}"
    );
    let reads = person_reads(&coordinator).await;
    assert_eq!(reads.len(), 1, "{reads:?}");
    // Exactly the people shown: the ids in the entry are those of the page.
    let key_of = crate::harness::key_of;
    let shown: std::collections::BTreeSet<String> = page["data"]["cases"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| key_of(e["node"]["person"]["id"].as_str().unwrap()))
        .collect();
    let recorded: std::collections::BTreeSet<String> =
        reads[0].split(',').map(str::to_owned).collect();
    assert_eq!(recorded, shown, "{reads:?}");
    assert!(
        !recorded.contains(&key_of(&people[2])),
        "the third person, read ahead of the page, was not shown"
    );
}
