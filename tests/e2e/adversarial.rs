//! The adversarial cross-tenant suite: for every query and mutation that
//! takes an ID, staff of Paiania using Veria's IDs get `NOT_FOUND` (or an
//! empty answer for lists), exactly as for IDs that never existed, and
//! Veria's data is unchanged. Runs on PostgreSQL with row-level security.

use serde_json::{Value, json};

use crate::harness::{Backend, Server, demo_account, demo_password};

fn code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

struct Tenant {
    admin: String,
    worker: String,
}

async fn login(server: &Server, password: &str, slug: &str) -> Tenant {
    Tenant {
        admin: server
            .login(&demo_account("tenant-admin", slug), password)
            .await,
        worker: server
            .login(&demo_account("social-worker", slug), password)
            .await,
    }
}

async fn ok(server: &Server, token: &str, query: &str, variables: Value) -> Value {
    let response = server.graphql_as(Some(token), query, variables).await;
    assert!(response.get("errors").is_none(), "{query}: {response}");
    response["data"].clone()
}

/// Everything Veria has that carries an ID.
struct VeriaIds {
    person: String,
    child: String,
    household: String,
    application: String,
    case: String,
    appointment: String,
    worker: String,
    referral: String,
    partner_key: String,
}

/// Veria's seeded soup kitchen and organization (`tenants/veria/directory.hsds.json`).
const VERIA_SOUP_KITCHEN: &str = "8b6cb85d-0abb-5b83-bde5-cdb0d054085f";
const VERIA_ORGANIZATION: &str = "7362f8c2-9006-5bd7-bbf5-72e4bb9453ca";

async fn veria_data(server: &Server, veria: &Tenant) -> VeriaIds {
    let register = "mutation($input: PersonInput!) { registerPerson(input: $input) { id } }";
    let person = ok(
        server,
        &veria.worker,
        register,
        json!({ "input": { "givenNameEl": "Ιωάννα", "familyNameEl": "Κ", "birthDate": "1980-01-01" } }),
    )
    .await["registerPerson"]["id"]
        .clone();
    let child = ok(
        server,
        &veria.worker,
        register,
        json!({ "input": { "givenNameEl": "Λίνα", "familyNameEl": "Κ", "birthDate": "2015-01-01" } }),
    )
    .await["registerPerson"]["id"]
        .clone();
    let household = ok(
        server,
        &veria.worker,
        "mutation($p: ID!) { createHousehold(headPersonId: $p) { id } }",
        json!({ "p": person }),
    )
    .await["createHousehold"]["id"]
        .clone();
    let application = ok(
        server,
        &veria.worker,
        "mutation($h: ID!) { startKeaApplication(input: { householdId: $h, rentsHome: false, divorcedOrSeparated: false }) { id } }",
        json!({ "h": household }),
    )
    .await["startKeaApplication"]["id"]
        .clone();
    let case = ok(
        server,
        &veria.worker,
        "mutation($p: ID!) { openCase(input: { personId: $p, channel: WALK_IN, categories: [HOUSING] }) { id } }",
        json!({ "p": person }),
    )
    .await["openCase"]["id"]
        .clone();
    let worker = ok(server, &veria.worker, "{ me { id } }", json!({})).await["me"]["id"].clone();
    let appointment = ok(
        server,
        &veria.worker,
        "mutation($p: ID!, $s: ID!) { bookAppointment(input: { personId: $p, staffId: $s, centerKey: \"main\",
            kind: INTAKE, slot: { date: \"2026-11-30\", startTime: \"09:00\", durationMinutes: 30 } }) { id } }",
        json!({ "p": person, "s": worker }),
    )
    .await["bookAppointment"]["id"]
        .clone();
    ok(
        server,
        &veria.worker,
        "mutation($p: ID!) { recordConsent(input: { personId: $p, purpose: REFERRAL_SHARING, given: true,
            onDate: \"2026-11-20\", method: SIGNED_FORM }) { given } }",
        json!({ "p": person }),
    )
    .await;
    let referral = ok(
        server,
        &veria.worker,
        "mutation($c: ID!, $s: String!) { createReferral(input: { caseId: $c, scope: OWN, serviceId: $s,
            level: LOCAL, urgency: ROUTINE, reason: \"meals\", envelopeFields: [NAME] }) { id } }",
        json!({ "c": case, "s": VERIA_SOUP_KITCHEN }),
    )
    .await["createReferral"]["id"]
        .clone();
    ok(
        server,
        &veria.worker,
        "mutation($id: ID!) { sendReferral(id: $id) { partnerLink } }",
        json!({ "id": referral }),
    )
    .await;
    let partner_key = ok(
        server,
        &veria.admin,
        "mutation($o: String!) { createPartnerKey(organizationId: $o, label: \"Συσσίτιο\") { key { id } } }",
        json!({ "o": VERIA_ORGANIZATION }),
    )
    .await["createPartnerKey"]["key"]["id"]
        .clone();
    let text = |v: Value| v.as_str().unwrap().to_owned();
    VeriaIds {
        referral: text(referral),
        partner_key: text(partner_key),
        person: text(person),
        child: text(child),
        household: text(household),
        application: text(application),
        case: text(case),
        appointment: text(appointment),
        worker: text(worker),
    }
}

/// What Veria sees of its own data, to compare before and after the attempts.
async fn veria_snapshot(server: &Server, veria: &Tenant, ids: &VeriaIds) -> Value {
    ok(
        server,
        &veria.admin,
        "query($p: ID!, $h: ID!, $a: ID!, $c: ID!, $r: ID!) {
            referral(id: $r) { status closedAt }
            partnerKeys { id revokedAt }
            person(id: $p) { displayName phone consents { purpose given } household { id } }
            household(id: $h) { members { relationship person { id } } }
            keaApplication(id: $a) { status externalReference checklist { document status } }
            case(id: $c) { status assignedTo { id } notes { body } person { id } }
            calendar(from: \"2026-11-30\", to: \"2026-12-01\") { id status startsAt }
        }",
        json!({ "p": ids.person, "h": ids.household, "a": ids.application, "c": ids.case,
                "r": ids.referral }),
    )
    .await
}

#[tokio::test]
async fn every_id_of_another_center_is_not_found_and_nothing_changes() {
    let backend = Backend::postgres().await;
    let env = backend.demo_env();
    let server = Server::start(&env, &["--demo"]);
    let password = demo_password(&backend);
    let veria = login(&server, &password, "veria").await;
    let paiania = login(&server, &password, "paiania").await;
    let ids = veria_data(&server, &veria).await;
    let before = veria_snapshot(&server, &veria, &ids).await;

    let own_person = ok(
        &server,
        &paiania.worker,
        "mutation { registerPerson(input: { givenNameEl: \"Ξένη\", familyNameEl: \"Π\" }) { id } }",
        json!({}),
    )
    .await["registerPerson"]["id"]
        .clone();
    let own_worker =
        ok(&server, &paiania.worker, "{ me { id } }", json!({})).await["me"]["id"].clone();

    let attempts: Vec<(&str, Value)> = vec![
        ("query($id: ID!) { person(id: $id) { id } }", json!({ "id": ids.person })),
        ("query($id: ID!) { household(id: $id) { id } }", json!({ "id": ids.household })),
        ("query($id: ID!) { keaApplication(id: $id) { id } }", json!({ "id": ids.application })),
        ("query($id: ID!) { case(id: $id) { id } }", json!({ "id": ids.case })),
        ("query($id: ID!) { user(id: $id) { id } }", json!({ "id": ids.worker })),
        (
            "mutation($id: ID!) { updatePerson(id: $id, input: { givenNameEl: \"Χ\", familyNameEl: \"Χ\" }) { id } }",
            json!({ "id": ids.person }),
        ),
        (
            "mutation($k: ID!, $r: ID!) { mergePersons(keep: $k, remove: $r) { id } }",
            json!({ "k": own_person, "r": ids.person }),
        ),
        (
            "mutation($p: ID!) { createHousehold(headPersonId: $p) { id } }",
            json!({ "p": ids.child }),
        ),
        (
            "mutation($h: ID!, $p: ID!) { addHouseholdMember(householdId: $h, personId: $p, relationship: CHILD) { id } }",
            json!({ "h": ids.household, "p": own_person }),
        ),
        (
            "mutation($p: ID!) { removeHouseholdMember(personId: $p) { id } }",
            json!({ "p": ids.person }),
        ),
        (
            "mutation($p: ID!) { recordConsent(input: { personId: $p, purpose: REFERRAL_SHARING, given: true, onDate: \"2026-11-20\", method: SIGNED_FORM }) { given } }",
            json!({ "p": ids.person }),
        ),
        (
            "mutation($h: ID!) { startKeaApplication(input: { householdId: $h, rentsHome: true, divorcedOrSeparated: false }) { id } }",
            json!({ "h": ids.household }),
        ),
        (
            "mutation($a: ID!) { transitionKeaApplication(id: $a, to: SUBMITTED, externalReference: \"X\") { id } }",
            json!({ "a": ids.application }),
        ),
        (
            "mutation($a: ID!) { recordKeaDocument(input: { applicationId: $a, document: IBAN, receivedOn: \"2026-11-20\" }) { id } }",
            json!({ "a": ids.application }),
        ),
        (
            "mutation($p: ID!) { openCase(input: { personId: $p, channel: PHONE, categories: [OTHER] }) { id } }",
            json!({ "p": ids.person }),
        ),
        (
            "mutation($c: ID!) { transitionCase(id: $c, to: CLOSED) { id } }",
            json!({ "c": ids.case }),
        ),
        (
            "mutation($c: ID!, $u: ID!) { assignCase(id: $c, to: $u) { id } }",
            json!({ "c": ids.case, "u": own_worker }),
        ),
        (
            "mutation($c: ID!) { addNote(caseId: $c, confidentiality: STANDARD, body: \"x\") { id } }",
            json!({ "c": ids.case }),
        ),
        (
            "mutation($p: ID!, $s: ID!) { bookAppointment(input: { personId: $p, staffId: $s, centerKey: \"main\",
                kind: INTAKE, slot: { date: \"2026-11-30\", startTime: \"10:00\", durationMinutes: 30 } }) { id } }",
            json!({ "p": ids.person, "s": own_worker }),
        ),
        (
            "mutation($id: ID!) { rescheduleAppointment(id: $id, slot: { date: \"2026-11-30\", startTime: \"11:00\", durationMinutes: 30 }) { id } }",
            json!({ "id": ids.appointment }),
        ),
        (
            "mutation($id: ID!) { cancelAppointment(id: $id) { id } }",
            json!({ "id": ids.appointment }),
        ),
        (
            "mutation($id: ID!) { recordAttendance(id: $id, kept: false) { id } }",
            json!({ "id": ids.appointment }),
        ),
        (
            "mutation($id: ID!) { disableUser(id: $id) { id } }",
            json!({ "id": ids.worker }),
        ),
        ("query($id: ID!) { referral(id: $id) { id } }", json!({ "id": ids.referral })),
        (
            "mutation($c: ID!) { createReferral(input: { caseId: $c, scope: NATIONAL,
                serviceId: \"2143fb2a-2444-565e-a100-32177e488204\", level: NATIONAL, urgency: ROUTINE,
                reason: \"x\", envelopeFields: [NAME] }) { id } }",
            json!({ "c": ids.case }),
        ),
        ("mutation($id: ID!) { sendReferral(id: $id) { partnerLink } }", json!({ "id": ids.referral })),
        ("mutation($id: ID!) { cancelReferral(id: $id) { id } }", json!({ "id": ids.referral })),
        (
            "mutation($id: ID!) { revokePartnerLinks(referralId: $id) }",
            json!({ "id": ids.referral }),
        ),
        (
            "mutation($id: ID!) { revokePartnerKey(id: $id) { id } }",
            json!({ "id": ids.partner_key }),
        ),
    ];
    for (query, variables) in attempts {
        let token = if query.contains("disableUser")
            || query.contains("user(id")
            || query.contains("PartnerKey")
        {
            &paiania.admin
        } else {
            &paiania.worker
        };
        let response = server.graphql_as(Some(token), query, variables).await;
        assert_eq!(code(&response), Some("NOT_FOUND"), "{query}: {response}");
    }

    // Lists filtered by another center's IDs are empty.
    for (query, variables) in [
        (
            "query($s: ID) { calendar(from: \"2026-11-30\", to: \"2026-12-01\", staffId: $s) { id } }",
            json!({ "s": ids.worker }),
        ),
        (
            "query($p: ID) { cases(filter: { personId: $p }) { edges { node { id } } } }",
            json!({ "p": ids.person }),
        ),
        (
            "query($c: ID) { referrals(filter: { caseId: $c }) { edges { node { id } } } }",
            json!({ "c": ids.case }),
        ),
        (
            "query($p: ID!) { referralSuggestions(personId: $p) { id } }",
            json!({ "p": ids.person }),
        ),
    ] {
        let response = ok(&server, &paiania.worker, query, variables).await;
        assert!(
            !response.to_string().contains(&ids.appointment)
                && !response.to_string().contains(&ids.case)
                && !response.to_string().contains(&ids.referral),
            "{query}: {response}"
        );
    }

    assert_eq!(veria_snapshot(&server, &veria, &ids).await, before);
}
