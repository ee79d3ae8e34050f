//! Cases as social workers and psychologists work them.

use serde_json::{Value, json};

use crate::harness::{Backend, Server, demo_account, demo_password};

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code: {response}"))
}

struct Staff {
    server: Server,
    password: String,
    _backend: Backend,
}

impl Staff {
    async fn start(backend: Backend) -> Staff {
        let env = backend.demo_env();
        let server = Server::start(&env, &["--demo"]);
        let password = demo_password(&backend);
        Staff {
            server,
            password,
            _backend: backend,
        }
    }

    async fn login(&self, role: &str, slug: &str) -> String {
        self.server
            .login(&demo_account(role, slug), &self.password)
            .await
    }

    async fn call(&self, token: &str, query: &str, variables: Value) -> Value {
        self.server.graphql_as(Some(token), query, variables).await
    }
}

async fn person_and_case(staff: &Staff, token: &str) -> (String, String) {
    let person = staff
        .call(
            token,
            "mutation { registerPerson(input: { givenNameEl: \"Γιάννης\", familyNameEl: \"Οικονόμου\" }) { id } }",
            json!({}),
        )
        .await;
    let person_id = person["data"]["registerPerson"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{person}"))
        .to_owned();
    let case = staff
        .call(
            token,
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
    let staff = Staff::start(Backend::postgres().await).await;
    let worker = staff.login("social-worker", "veria").await;
    let (_, case_id) = person_and_case(&staff, &worker).await;

    for to in ["IN_PROGRESS", "CLOSED"] {
        let moved = staff
            .call(&worker, TRANSITION, json!({ "id": case_id, "to": to }))
            .await;
        assert_eq!(moved["data"]["transitionCase"]["status"], to, "{moved}");
    }
    let bad = staff
        .call(
            &worker,
            TRANSITION,
            json!({ "id": case_id, "to": "IN_PROGRESS" }),
        )
        .await;
    assert_eq!(code(&bad), "INVALID_TRANSITION", "{bad}");
    assert_eq!(bad["errors"][0]["extensions"]["from"], "closed");
    assert_eq!(bad["errors"][0]["extensions"]["to"], "in_progress");
    let reopened = staff
        .call(
            &worker,
            TRANSITION,
            json!({ "id": case_id, "to": "REOPENED" }),
        )
        .await;
    assert_eq!(reopened["data"]["transitionCase"]["status"], "REOPENED");
    assert!(reopened["data"]["transitionCase"]["closedAt"].is_null());

    let updated = staff
        .call(
            &worker,
            "mutation($id: ID!) { updateCase(id: $id, input: { needsAssessment: \"Χρειάζεται στέγη\" }) { needsAssessment } }",
            json!({ "id": case_id }),
        )
        .await;
    assert_eq!(
        updated["data"]["updateCase"]["needsAssessment"],
        "Χρειάζεται στέγη"
    );

    let timeline = staff
        .call(
            &worker,
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
    let staff = Staff::start(Backend::postgres().await).await;
    let worker = staff.login("social-worker", "veria").await;
    let psychologist = staff.login("psychologist", "veria").await;
    let coordinator = staff.login("tenant-admin", "veria").await;
    let reception = staff.login("reception", "veria").await;
    let (_, case_id) = person_and_case(&staff, &worker).await;

    let add = "mutation($id: ID!, $c: NoteConfidentiality!, $b: String!) { addNote(caseId: $id, confidentiality: $c, body: $b) { id } }";
    for (token, confidentiality, body) in [
        (&worker, "STANDARD", "standard by worker"),
        (&worker, "SENSITIVE", "sensitive by worker"),
        (&worker, "PSYCHOLOGICAL", "psychological by worker"),
        (
            &psychologist,
            "PSYCHOLOGICAL",
            "psychological by psychologist",
        ),
    ] {
        let added = staff
            .call(
                token,
                add,
                json!({ "id": case_id, "c": confidentiality, "b": body }),
            )
            .await;
        assert!(added.get("errors").is_none(), "{added}");
    }

    let read = "query($id: ID!) { case(id: $id) { notes { body } } }";
    let bodies = |response: &Value| -> Vec<String> {
        response["data"]["case"]["notes"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"))
            .iter()
            .map(|n| n["body"].as_str().unwrap().to_owned())
            .collect()
    };
    let seen_by = |token: &str| {
        let staff = &staff;
        let token = token.to_owned();
        let case_id = case_id.clone();
        async move { staff.call(&token, read, json!({ "id": case_id })).await }
    };
    assert_eq!(
        bodies(&seen_by(&worker).await),
        [
            "standard by worker",
            "sensitive by worker",
            "psychological by worker"
        ]
    );
    assert_eq!(
        bodies(&seen_by(&psychologist).await),
        [
            "standard by worker",
            "sensitive by worker",
            "psychological by worker",
            "psychological by psychologist"
        ]
    );
    assert_eq!(
        bodies(&seen_by(&coordinator).await),
        ["standard by worker", "sensitive by worker"]
    );
    let refused = seen_by(&reception).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
}

#[tokio::test]
async fn opening_a_case_reports_every_bad_field() {
    let staff = Staff::start(Backend::sqlite()).await;
    let worker = staff.login("social-worker", "veria").await;
    let response = staff
        .call(
            &worker,
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
    let staff = Staff::start(Backend::postgres().await).await;
    let veria = staff.login("social-worker", "veria").await;
    let paiania = staff.login("social-worker", "paiania").await;
    let (_, case_id) = person_and_case(&staff, &veria).await;

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
        let response = staff.call(&paiania, query, variables).await;
        assert_eq!(code(&response), "NOT_FOUND", "{query}: {response}");
    }
    let listed = staff
        .call(&paiania, "{ cases { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(
        listed["data"]["cases"]["edges"].as_array().map(Vec::len),
        Some(0)
    );
    let mine = staff
        .call(
            &veria,
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

async fn person_reads(staff: &Staff, coordinator: &str) -> Vec<String> {
    let log = staff
        .call(
            coordinator,
            "{ auditLog(first: 100, filter: { action: \"person.read\" }) { edges { node { entityId } } } }",
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
    let staff = Staff::start(Backend::postgres().await).await;
    let worker = staff.login("social-worker", "veria").await;
    let coordinator = staff.login("tenant-admin", "veria").await;
    let mut people = Vec::new();
    for _ in 0..3 {
        people.push(person_and_case(&staff, &worker).await.0);
    }
    // Without the person field, no person is read.
    let page = staff
        .call(
            &worker,
            "{ cases(first: 2) { edges { node { status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        page["data"]["cases"]["edges"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(person_reads(&staff, &coordinator).await.is_empty());

    // With it, one entry names the two people shown (not the third, read ahead of the page).
    let page = staff
        .call(
            &worker,
            "{ cases(first: 2) { edges { node { person { id } } } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        page["data"]["cases"]["pageInfo"]["hasNextPage"], true,
        "{page}"
    );
    let reads = person_reads(&staff, &coordinator).await;
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
