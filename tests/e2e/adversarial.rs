//! The adversarial cross-tenant suite: for every argument of type `ID` in
//! the schema (nested in input objects too), staff of Paiania passing one
//! of Veria's IDs get `NOT_FOUND` with the same message as for an ID that
//! never existed (or an answer without Veria's data, for list filters), and
//! Veria's data is unchanged. The list of attacks is checked against the
//! committed schema, so a new ID argument fails the guard until it is
//! attacked here. The suite runs on each wall alone: on SQLite, where the
//! application's tenant filter is the only wall; on PostgreSQL with
//! row-level security disabled on every table; and on PostgreSQL as
//! deployed.

use std::collections::BTreeSet;

use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::harness::{
    Backend, Server, demo_account, demo_password, ok_as, optional_code, repo_root,
};

pub(crate) struct Tenant {
    admin: String,
    worker: String,
}

pub(crate) async fn login(server: &Server, password: &str, slug: &str) -> Tenant {
    Tenant {
        admin: server
            .login(&demo_account("tenant-admin", slug), password)
            .await,
        worker: server
            .login(&demo_account("social-worker", slug), password)
            .await,
    }
}

/// Everything Veria has that carries an ID.
pub(crate) struct VeriaIds {
    person: String,
    child: String,
    household: String,
    application: String,
    case: String,
    appointment: String,
    worker: String,
    referral: String,
    partner_key: String,
    partner_link: String,
    suggestion: String,
    invitation: String,
}

/// Veria's seeded soup kitchen and organization (`tenants/veria/directory.hsds.json`).
const VERIA_SOUP_KITCHEN: &str = "8b6cb85d-0abb-5b83-bde5-cdb0d054085f";
pub(crate) const VERIA_ORGANIZATION: &str = "7362f8c2-9006-5bd7-bbf5-72e4bb9453ca";

pub(crate) async fn veria_data(server: &Server, veria: &Tenant) -> VeriaIds {
    let register = "mutation($input: PersonInput!) { registerPerson(input: $input) { id } }";
    let person = ok_as(
        server,
        &veria.worker,
        register,
        json!({ "input": { "givenNameEl": "Ιωάννα", "familyNameEl": "Κ", "birthDate": "1980-01-01" } }),
    )
    .await["registerPerson"]["id"]
        .clone();
    let child = ok_as(
        server,
        &veria.worker,
        register,
        json!({ "input": { "givenNameEl": "Λίνα", "familyNameEl": "Κ", "birthDate": "2015-01-01" } }),
    )
    .await["registerPerson"]["id"]
        .clone();
    let household = ok_as(
        server,
        &veria.worker,
        "mutation($p: ID!) { createHousehold(headPersonId: $p) { id } }",
        json!({ "p": person }),
    )
    .await["createHousehold"]["id"]
        .clone();
    let application = ok_as(
        server,
        &veria.worker,
        "mutation($h: ID!) { startKeaApplication(input: { householdId: $h, rentsHome: false, divorcedOrSeparated: false }) { id } }",
        json!({ "h": household }),
    )
    .await["startKeaApplication"]["id"]
        .clone();
    let case = ok_as(
        server,
        &veria.worker,
        "mutation($p: ID!) { openCase(input: { personId: $p, channel: WALK_IN, categories: [HOUSING] }) { id } }",
        json!({ "p": person }),
    )
    .await["openCase"]["id"]
        .clone();
    let worker = ok_as(server, &veria.worker, "{ me { id } }", json!({})).await["me"]["id"].clone();
    let appointment = ok_as(
        server,
        &veria.worker,
        "mutation($p: ID!, $s: ID!) { bookAppointment(input: { personId: $p, staffId: $s, centerKey: \"main\",
            kind: INTAKE, slot: { date: \"2026-11-30\", startTime: \"09:00\", durationMinutes: 30 } }) { id } }",
        json!({ "p": person, "s": worker }),
    )
    .await["bookAppointment"]["id"]
        .clone();
    ok_as(
        server,
        &veria.worker,
        "mutation($p: ID!) { recordConsent(input: { personId: $p, purpose: REFERRAL_SHARING, given: true,
            onDate: \"2026-11-20\", method: SIGNED_FORM }) { given } }",
        json!({ "p": person }),
    )
    .await;
    let referral = ok_as(
        server,
        &veria.worker,
        "mutation($c: ID!, $s: String!) { createReferral(input: { caseId: $c, scope: OWN, serviceId: $s,
            level: LOCAL, urgency: ROUTINE, reason: \"meals\", envelopeFields: [NAME] }) { id } }",
        json!({ "c": case, "s": VERIA_SOUP_KITCHEN }),
    )
    .await["createReferral"]["id"]
        .clone();
    let partner_link = ok_as(
        server,
        &veria.worker,
        "mutation($id: ID!) { sendReferral(id: $id) { partnerLink } }",
        json!({ "id": referral }),
    )
    .await["sendReferral"]["partnerLink"]
        .clone();
    let partner_key = ok_as(
        server,
        &veria.admin,
        "mutation($o: String!) { createPartnerKey(organizationId: $o, label: \"Συσσίτιο\") { key { id } } }",
        json!({ "o": VERIA_ORGANIZATION }),
    )
    .await["createPartnerKey"]["key"]["id"]
        .clone();
    // Veria's job-market plugin suggests a referral to ΔΥΠΑ.
    ok_as(
        server,
        &veria.worker,
        "mutation($p: String!) { pluginOperation(plugin: \"job-market\", operation: \"refer\", input: { personId: $p, to: \"dypa\" }) }",
        json!({ "p": person }),
    )
    .await;
    let suggestion = ok_as(
        server,
        &veria.worker,
        "query($p: ID!) { referralSuggestions(personId: $p) { id } }",
        json!({ "p": person }),
    )
    .await["referralSuggestions"][0]["id"]
        .clone();
    let invitation = ok_as(
        server,
        &veria.admin,
        "mutation { inviteUser(input: { email: \"invited@veria.demo\", name: \"Νέα Συνάδελφος\", role: RECEPTION }) { id } }",
        json!({}),
    )
    .await["inviteUser"]["id"]
        .clone();
    let text = |v: Value| v.as_str().unwrap().to_owned();
    VeriaIds {
        invitation: text(invitation),
        suggestion: text(suggestion),
        partner_link: text(partner_link),
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

/// What Veria sees of its own data, to compare before and after the
/// attempts: its records, its accounts (disabled or not), and whether its
/// partner's link still opens.
async fn veria_snapshot(server: &Server, veria: &Tenant, ids: &VeriaIds) -> Value {
    let link = reqwest::get(&ids.partner_link)
        .await
        .unwrap()
        .status()
        .as_u16();
    let mut snapshot = ok_as(
        server,
        &veria.admin,
        "query($p: ID!, $h: ID!, $a: ID!, $c: ID!, $r: ID!) {
            users { edges { node { id disabled role } } }
            invitations { id status role }
            referral(id: $r) { status closedAt }
            partnerKeys { id revokedAt }
            person(id: $p) { displayName phone consents { purpose given } household { id } }
            household(id: $h) { members { relationship person { id } } }
            keaApplication(id: $a) { status externalReference checklist { document status } }
            case(id: $c) { status assignedTo { id } notes { body } person { id } }
            calendar(from: \"2026-11-30\", to: \"2026-12-01\") { id status startsAt }
            referralSuggestions(personId: $p) { id title }
        }",
        json!({ "p": ids.person, "h": ids.household, "a": ids.application, "c": ids.case,
                "r": ids.referral }),
    )
    .await;
    snapshot["partnerLinkStatus"] = json!(link);
    snapshot
}

/// Paiania's own objects, so that each attack carries exactly one of
/// Veria's IDs and nothing else could explain a refusal.
struct OwnIds {
    person: String,
    second_person: String,
    case: String,
    household: String,
    bare_household: String,
    application: String,
    worker: String,
    partner_key: String,
}

/// Paiania's seeded organization (`tenants/paiania/directory.hsds.json`).
const PAIANIA_ORGANIZATION: &str = "71e0266e-a92e-53d5-801e-e27257be7400";

async fn paiania_data(server: &Server, paiania: &Tenant) -> OwnIds {
    let register = |given: &'static str| json!({ "input": { "givenNameEl": given, "familyNameEl": "Π", "birthDate": "1985-01-01" } });
    let mut people = Vec::new();
    for given in ["Ξένη", "Δεύτερη", "Τρίτη"] {
        people.push(
            ok_as(
                server,
                &paiania.worker,
                "mutation($input: PersonInput!) { registerPerson(input: $input) { id } }",
                register(given),
            )
            .await["registerPerson"]["id"]
                .clone(),
        );
    }
    let household = ok_as(
        server,
        &paiania.worker,
        "mutation($p: ID!) { createHousehold(headPersonId: $p) { id } }",
        json!({ "p": people[0] }),
    )
    .await["createHousehold"]["id"]
        .clone();
    let bare_household = ok_as(
        server,
        &paiania.worker,
        "mutation($p: ID!) { createHousehold(headPersonId: $p) { id } }",
        json!({ "p": people[2] }),
    )
    .await["createHousehold"]["id"]
        .clone();
    let application = ok_as(
        server,
        &paiania.worker,
        "mutation($h: ID!) { startKeaApplication(input: { householdId: $h, rentsHome: false, divorcedOrSeparated: false }) { id } }",
        json!({ "h": household }),
    )
    .await["startKeaApplication"]["id"]
        .clone();
    let case = ok_as(
        server,
        &paiania.worker,
        "mutation($p: ID!) { openCase(input: { personId: $p, channel: WALK_IN, categories: [HOUSING] }) { id } }",
        json!({ "p": people[0] }),
    )
    .await["openCase"]["id"]
        .clone();
    let worker =
        ok_as(server, &paiania.worker, "{ me { id } }", json!({})).await["me"]["id"].clone();
    let partner_key = ok_as(
        server,
        &paiania.admin,
        "mutation($o: String!) { createPartnerKey(organizationId: $o, label: \"Δομές\") { secret } }",
        json!({ "o": PAIANIA_ORGANIZATION }),
    )
    .await["createPartnerKey"]["secret"]
        .clone();
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    OwnIds {
        person: text(&people[0]),
        second_person: text(&people[1]),
        case: text(&case),
        household: text(&household),
        bare_household: text(&bare_household),
        application: text(&application),
        worker: text(&worker),
        partner_key: text(&partner_key),
    }
}

/// Who makes an attack.
#[derive(Clone, Copy, PartialEq)]
enum Caller {
    Worker,
    Admin,
    PartnerKey,
}

/// One attempt with one of Veria's IDs, at the schema paths it covers.
struct Attack {
    covers: &'static [&'static str],
    caller: Caller,
    query: &'static str,
    variables: Value,
    /// The variable holding Veria's ID.
    foreign: &'static str,
    /// `NOT_FOUND`, unless the ID names something that must belong to
    /// another object (a household member), which a foreign ID is not.
    expect: &'static str,
}

fn attack(
    covers: &'static [&'static str],
    caller: Caller,
    query: &'static str,
    foreign: &'static str,
    variables: Value,
) -> Attack {
    Attack {
        covers,
        caller,
        query,
        variables,
        foreign,
        expect: "NOT_FOUND",
    }
}

impl Attack {
    fn expecting(self, code: &'static str) -> Attack {
        Attack {
            expect: code,
            ..self
        }
    }
}

fn attacks(v: &VeriaIds, own: &OwnIds) -> Vec<Attack> {
    use Caller::*;
    vec![
        attack(&["user.id"], Admin, "query($id: ID!) { user(id: $id) { id } }", "id", json!({ "id": v.worker })),
        attack(&["person.id"], Worker, "query($id: ID!) { person(id: $id) { id } }", "id", json!({ "id": v.person })),
        attack(&["household.id"], Worker, "query($id: ID!) { household(id: $id) { id } }", "id", json!({ "id": v.household })),
        attack(&["keaApplication.id"], Worker, "query($id: ID!) { keaApplication(id: $id) { id } }", "id", json!({ "id": v.application })),
        attack(&["case.id"], Worker, "query($id: ID!) { case(id: $id) { id } }", "id", json!({ "id": v.case })),
        attack(&["referral.id"], Worker, "query($id: ID!) { referral(id: $id) { id } }", "id", json!({ "id": v.referral })),
        attack(&["referralSuggestions.personId"], Worker, "query($p: ID!) { referralSuggestions(personId: $p) { id } }", "p", json!({ "p": v.person })),
        attack(&["dismissSuggestion.id"], Worker,
            "mutation($id: ID!) { dismissSuggestion(id: $id, reason: \"not for her\") { id } }",
            "id", json!({ "id": v.suggestion })),
        attack(&["updatePerson.id"], Worker,
            "mutation($id: ID!) { updatePerson(id: $id, input: { givenNameEl: \"Χ\", familyNameEl: \"Χ\" }) { id } }",
            "id", json!({ "id": v.person })),
        attack(&["mergePersons.remove"], Worker, "mutation($k: ID!, $r: ID!) { mergePersons(keep: $k, remove: $r) { id } }",
            "r", json!({ "k": own.person, "r": v.person })),
        attack(&["mergePersons.keep"], Worker, "mutation($k: ID!, $r: ID!) { mergePersons(keep: $k, remove: $r) { id } }",
            "k", json!({ "k": v.person, "r": own.second_person })),
        attack(&["createHousehold.headPersonId"], Worker, "mutation($p: ID!) { createHousehold(headPersonId: $p) { id } }",
            "p", json!({ "p": v.child })),
        attack(&["addHouseholdMember.householdId"], Worker,
            "mutation($h: ID!, $p: ID!) { addHouseholdMember(householdId: $h, personId: $p, relationship: CHILD) { id } }",
            "h", json!({ "h": v.household, "p": own.second_person })),
        attack(&["addHouseholdMember.personId"], Worker,
            "mutation($h: ID!, $p: ID!) { addHouseholdMember(householdId: $h, personId: $p, relationship: CHILD) { id } }",
            "p", json!({ "h": own.household, "p": v.child })),
        attack(&["removeHouseholdMember.personId"], Worker, "mutation($p: ID!) { removeHouseholdMember(personId: $p) { id } }",
            "p", json!({ "p": v.person })),
        attack(&["recordConsent.input.personId"], Worker,
            "mutation($p: ID!) { recordConsent(input: { personId: $p, purpose: REFERRAL_SHARING, given: true, onDate: \"2026-11-20\", method: SIGNED_FORM }) { given } }",
            "p", json!({ "p": v.person })),
        attack(&["startKeaApplication.input.householdId"], Worker,
            "mutation($h: ID!) { startKeaApplication(input: { householdId: $h, rentsHome: true, divorcedOrSeparated: false }) { id } }",
            "h", json!({ "h": v.household })),
        attack(&["startKeaApplication.input.submittedOnBehalfOf"], Worker,
            "mutation($h: ID!, $p: ID) { startKeaApplication(input: { householdId: $h, rentsHome: true, divorcedOrSeparated: false, submittedOnBehalfOf: $p }) { id } }",
            "p", json!({ "h": own.bare_household, "p": v.person }))
            .expecting("VALIDATION"),
        attack(&["transitionKeaApplication.id"], Worker,
            "mutation($a: ID!) { transitionKeaApplication(id: $a, to: SUBMITTED, externalReference: \"X\") { id } }",
            "a", json!({ "a": v.application })),
        attack(&["recordKeaDocument.input.applicationId"], Worker,
            "mutation($a: ID!) { recordKeaDocument(input: { applicationId: $a, document: IBAN, receivedOn: \"2026-11-20\" }) { id } }",
            "a", json!({ "a": v.application })),
        attack(&["recordKeaDocument.input.personId"], Worker,
            "mutation($a: ID!, $p: ID) { recordKeaDocument(input: { applicationId: $a, document: IBAN, receivedOn: \"2026-11-20\", personId: $p }) { id } }",
            "p", json!({ "a": own.application, "p": v.person })),
        attack(&["openCase.input.personId"], Worker,
            "mutation($p: ID!) { openCase(input: { personId: $p, channel: PHONE, categories: [OTHER] }) { id } }",
            "p", json!({ "p": v.person })),
        attack(&["openCase.input.assignedTo"], Worker,
            "mutation($p: ID!, $u: ID) { openCase(input: { personId: $p, channel: PHONE, categories: [OTHER], assignedTo: $u }) { id } }",
            "u", json!({ "p": own.person, "u": v.worker })).expecting("VALIDATION"),
        attack(&["transitionCase.id"], Worker, "mutation($c: ID!) { transitionCase(id: $c, to: CLOSED) { id } }",
            "c", json!({ "c": v.case })),
        attack(&["updateCase.id"], Worker, "mutation($c: ID!) { updateCase(id: $c, input: { outcome: \"x\" }) { id } }",
            "c", json!({ "c": v.case })),
        attack(&["assignCase.id"], Worker, "mutation($c: ID!, $u: ID!) { assignCase(id: $c, to: $u) { id } }",
            "c", json!({ "c": v.case, "u": own.worker })),
        attack(&["assignCase.to"], Worker, "mutation($c: ID!, $u: ID!) { assignCase(id: $c, to: $u) { id } }",
            "u", json!({ "c": own.case, "u": v.worker })).expecting("VALIDATION"),
        attack(&["addNote.caseId"], Worker,
            "mutation($c: ID!) { addNote(caseId: $c, confidentiality: STANDARD, body: \"x\") { id } }",
            "c", json!({ "c": v.case })),
        attack(&["bookAppointment.input.personId"], Worker,
            "mutation($p: ID!, $s: ID!) { bookAppointment(input: { personId: $p, staffId: $s, centerKey: \"main\",
                kind: INTAKE, slot: { date: \"2026-11-30\", startTime: \"10:00\", durationMinutes: 30 } }) { id } }",
            "p", json!({ "p": v.person, "s": own.worker })),
        attack(&["bookAppointment.input.staffId"], Worker,
            "mutation($p: ID!, $s: ID!) { bookAppointment(input: { personId: $p, staffId: $s, centerKey: \"main\",
                kind: INTAKE, slot: { date: \"2026-11-30\", startTime: \"10:00\", durationMinutes: 30 } }) { id } }",
            "s", json!({ "p": own.person, "s": v.worker })).expecting("VALIDATION"),
        attack(&["rescheduleAppointment.id"], Worker,
            "mutation($id: ID!) { rescheduleAppointment(id: $id, slot: { date: \"2026-11-30\", startTime: \"11:00\", durationMinutes: 30 }) { id } }",
            "id", json!({ "id": v.appointment })),
        attack(&["cancelAppointment.id"], Worker, "mutation($id: ID!) { cancelAppointment(id: $id) { id } }",
            "id", json!({ "id": v.appointment })),
        attack(&["recordAttendance.id"], Worker, "mutation($id: ID!) { recordAttendance(id: $id, kept: false) { id } }",
            "id", json!({ "id": v.appointment })),
        attack(&["disableUser.id"], Admin, "mutation($id: ID!) { disableUser(id: $id) { id } }",
            "id", json!({ "id": v.worker })),
        attack(&["enableUser.id"], Admin, "mutation($id: ID!) { enableUser(id: $id) { id } }",
            "id", json!({ "id": v.worker })),
        attack(&["changeUserRole.id"], Admin,
            "mutation($id: ID!) { changeUserRole(id: $id, role: TENANT_ADMIN) { id } }",
            "id", json!({ "id": v.worker })),
        attack(&["revokeInvitation.id"], Admin, "mutation($id: ID!) { revokeInvitation(id: $id) { id } }",
            "id", json!({ "id": v.invitation })),
        attack(&["createReferral.input.caseId"], Worker,
            "mutation($c: ID!) { createReferral(input: { caseId: $c, scope: NATIONAL,
                serviceId: \"2143fb2a-2444-565e-a100-32177e488204\", level: NATIONAL, urgency: ROUTINE,
                reason: \"x\", envelopeFields: [NAME] }) { id } }",
            "c", json!({ "c": v.case })),
        attack(&["sendReferral.id"], Worker, "mutation($id: ID!) { sendReferral(id: $id) { partnerLink } }",
            "id", json!({ "id": v.referral })),
        attack(&["cancelReferral.id"], Worker, "mutation($id: ID!) { cancelReferral(id: $id) { id } }",
            "id", json!({ "id": v.referral })),
        attack(&["revokePartnerLinks.referralId"], Worker, "mutation($id: ID!) { revokePartnerLinks(referralId: $id) }",
            "id", json!({ "id": v.referral })),
        attack(&["revokePartnerKey.id"], Admin, "mutation($id: ID!) { revokePartnerKey(id: $id) { id } }",
            "id", json!({ "id": v.partner_key })),
        attack(&["respondToReferral.id"], PartnerKey,
            "mutation($id: ID!) { respondToReferral(id: $id, action: ACCEPT) { status } }",
            "id", json!({ "id": v.referral })),
    ]
}

/// Lists filtered by one of Veria's IDs: an answer, without Veria's data.
fn filtered_lists(v: &VeriaIds) -> Vec<Attack> {
    use Caller::*;
    vec![
        attack(
            &["auditLog.filter.actor"],
            Admin,
            "query($u: ID) { auditLog(filter: { actor: $u }) { edges { node { entityId actor } } } }",
            "u",
            json!({ "u": v.worker }),
        ),
        attack(
            &["auditLog.filter.personId"],
            Admin,
            "query($p: ID) { auditLog(filter: { personId: $p }) { edges { node { entityId actor } } } }",
            "p",
            json!({ "p": v.person }),
        ),
        attack(
            &["cases.filter.personId"],
            Worker,
            "query($p: ID) { cases(filter: { personId: $p }) { edges { node { id } } } }",
            "p",
            json!({ "p": v.person }),
        ),
        attack(
            &["cases.filter.assignedTo"],
            Worker,
            "query($u: ID) { cases(filter: { assignedTo: $u }) { edges { node { id } } } }",
            "u",
            json!({ "u": v.worker }),
        ),
        attack(
            &["calendar.staffId"],
            Worker,
            "query($s: ID) { calendar(from: \"2026-11-30\", to: \"2026-12-01\", staffId: $s) { id } }",
            "s",
            json!({ "s": v.worker }),
        ),
        attack(
            &["referrals.filter.caseId"],
            Worker,
            "query($c: ID) { referrals(filter: { caseId: $c }) { edges { node { id } } } }",
            "c",
            json!({ "c": v.case }),
        ),
        attack(
            &["referrals.filter.personId"],
            Worker,
            "query($p: ID) { referrals(filter: { personId: $p }) { edges { node { id } } } }",
            "p",
            json!({ "p": v.person }),
        ),
    ]
}

/// Subscriptions, attacked over WebSocket.
const SUBSCRIPTION_ATTACKS: [&str; 1] = ["referralUpdated.id"];

/// The same ID with a key that never existed (`Kind:999999999`).
fn made_up(id: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let text = String::from_utf8(engine.decode(id).expect("a global ID")).unwrap();
    let (kind, _) = text.split_once(':').unwrap();
    engine.encode(format!("{kind}:999999999"))
}

/// The first error's code and message, with the IDs in it masked.
fn refusal(response: &Value, ids: &[&str]) -> (Option<String>, String) {
    let mut message = response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for id in ids {
        message = message.replace(id, "<id>");
    }
    (optional_code(response).map(str::to_owned), message)
}

/// Subscribes over WebSocket and returns the first message about it.
async fn subscribe_once(server: &Server, token: &str, query: &str, variables: Value) -> Value {
    let url = format!(
        "{}/graphql/ws",
        server.base_url.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |v: Value| Message::text(v.to_string());
    socket
        .send(send(json!({ "type": "connection_init",
                            "payload": { "authorization": format!("Bearer {token}") } })))
        .await
        .unwrap();
    socket
        .send(send(json!({ "id": "1", "type": "subscribe",
                            "payload": { "query": query, "variables": variables } })))
        .await
        .unwrap();
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(30), socket.next())
            .await
            .expect("an answer")
            .expect("the socket stays open")
            .unwrap();
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            match value["type"].as_str() {
                Some("next") => return value["payload"].clone(),
                Some("error") => return json!({ "errors": value["payload"] }),
                _ => continue,
            }
        }
    }
}

/// Which wall stands.
#[derive(Clone, Copy, PartialEq)]
enum Walls {
    /// The application's tenant filter and row-level security.
    Both,
    /// Row-level security disabled on every table: the filter alone.
    FilterOnly,
}

async fn every_id_of_another_center_is_not_found_and_nothing_changes(
    backend: Backend,
    walls: Walls,
) {
    // With the demo's plugins: Veria's job-market makes a real suggestion.
    let server = Server::start(&crate::plugins::plugin_env(&backend), &["--demo"]);
    if walls == Walls::FilterOnly && backend.database().is_some() {
        disable_row_level_security(&backend).await;
    }
    let password = demo_password(&backend);
    let veria = login(&server, &password, "veria").await;
    let paiania = login(&server, &password, "paiania").await;
    let ids = veria_data(&server, &veria).await;
    let own = paiania_data(&server, &paiania).await;
    let before = veria_snapshot(&server, &veria, &ids).await;
    assert_eq!(before["partnerLinkStatus"], 200, "{before}");

    let token = |caller: Caller| match caller {
        Caller::Worker => paiania.worker.clone(),
        Caller::Admin => paiania.admin.clone(),
        Caller::PartnerKey => own.partner_key.clone(),
    };
    for a in attacks(&ids, &own) {
        let foreign = a.variables[a.foreign].as_str().unwrap().to_owned();
        let response = server
            .graphql_as(Some(&token(a.caller)), a.query, a.variables.clone())
            .await;
        let mut invented = a.variables.clone();
        invented[a.foreign] = json!(made_up(&foreign));
        let baseline = server
            .graphql_as(Some(&token(a.caller)), a.query, invented.clone())
            .await;
        let masked = [foreign.as_str(), invented[a.foreign].as_str().unwrap()];
        assert_eq!(
            optional_code(&response),
            Some(a.expect),
            "{:?}: {response}",
            a.covers
        );
        assert_eq!(
            refusal(&response, &masked),
            refusal(&baseline, &masked),
            "{:?}: another center's ID must read like one that never existed",
            a.covers
        );
    }
    for a in filtered_lists(&ids) {
        let response = ok_as(&server, &token(a.caller), a.query, a.variables.clone()).await;
        let text = response.to_string();
        for theirs in [
            &ids.appointment,
            &ids.case,
            &ids.referral,
            &ids.person,
            &ids.worker,
        ] {
            assert!(
                !text.contains(theirs.as_str()),
                "{:?}: {response}",
                a.covers
            );
        }
    }
    let subscribed = subscribe_once(
        &server,
        &paiania.worker,
        "subscription($id: ID) { referralUpdated(id: $id) { id } }",
        json!({ "id": ids.referral }),
    )
    .await;
    assert_eq!(
        optional_code(&subscribed),
        Some("NOT_FOUND"),
        "{subscribed}"
    );

    assert_eq!(veria_snapshot(&server, &veria, &ids).await, before);
}

/// Turns row-level security off on every table that has it, as the
/// database superuser, so only the application's filter stands.
async fn disable_row_level_security(backend: &Backend) {
    use sea_orm::ConnectionTrait;
    let superuser_url = backend.database().expect("PostgreSQL").superuser_url;
    let superuser = sea_orm::Database::connect(superuser_url.as_str())
        .await
        .unwrap();
    let rows = superuser
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity",
        ))
        .await
        .unwrap();
    let tables: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("", "name").unwrap())
        .collect();
    assert!(tables.len() >= 20, "row-level security on {tables:?}");
    for table in tables {
        superuser
            .execute_unprepared(&format!(
                "ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"
            ))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn every_id_of_another_center_is_not_found_on_sqlite_where_the_filter_is_the_only_wall() {
    every_id_of_another_center_is_not_found_and_nothing_changes(
        Backend::sqlite(),
        Walls::FilterOnly,
    )
    .await;
}

#[tokio::test]
async fn every_id_of_another_center_is_not_found_on_postgres_with_row_level_security_off() {
    every_id_of_another_center_is_not_found_and_nothing_changes(
        Backend::postgres().await,
        Walls::FilterOnly,
    )
    .await;
}

#[tokio::test]
async fn every_id_of_another_center_is_not_found_on_postgres_as_deployed() {
    every_id_of_another_center_is_not_found_and_nothing_changes(
        Backend::postgres().await,
        Walls::Both,
    )
    .await;
}

/// Every argument of type `ID` of a query, mutation or subscription,
/// nested in input objects too, as `field.argument[.inputField…]`, read
/// from the committed schema.
fn id_arguments_of_the_schema() -> BTreeSet<String> {
    let sdl = std::fs::read_to_string(repo_root().join("platform/api/schema.graphql")).unwrap();
    let mut blocks: std::collections::BTreeMap<(String, String), Vec<String>> = Default::default();
    let mut current: Option<(String, String)> = None;
    let mut in_description = false;
    for line in sdl.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("\"\"\"") {
            if trimmed.matches("\"\"\"").count() == 1 {
                in_description = !in_description;
            }
            continue;
        }
        if in_description {
            continue;
        }
        if let Some(rest) = line.strip_suffix(" {") {
            let mut words = rest.split_whitespace();
            if let (Some(kind @ ("type" | "input")), Some(name)) = (words.next(), words.next()) {
                current = Some((kind.to_owned(), name.to_owned()));
                blocks.insert(current.clone().unwrap(), Vec::new());
                continue;
            }
        }
        if trimmed == "}" {
            current = None;
        } else if let Some(block) = &current {
            blocks.get_mut(block).unwrap().push(trimmed.to_owned());
        }
    }
    let base = |t: &str| {
        t.split('=')
            .next()
            .unwrap()
            .replace(['[', ']', '!'], "")
            .trim()
            .to_owned()
    };
    fn paths(
        prefix: String,
        ty: String,
        blocks: &std::collections::BTreeMap<(String, String), Vec<String>>,
        base: &dyn Fn(&str) -> String,
        depth: usize,
        out: &mut BTreeSet<String>,
    ) {
        if ty == "ID" {
            out.insert(prefix);
        } else if let Some(fields) = blocks.get(&("input".to_owned(), ty)).filter(|_| depth < 4) {
            for field in fields {
                if let Some((name, t)) = field.split_once(": ") {
                    paths(
                        format!("{prefix}.{name}"),
                        base(t),
                        blocks,
                        base,
                        depth + 1,
                        out,
                    );
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    for root in ["Query", "Mutation", "Subscription"] {
        for field in blocks
            .get(&("type".to_owned(), root.to_owned()))
            .into_iter()
            .flatten()
        {
            let Some((name, rest)) = field.split_once('(') else {
                continue;
            };
            let args = rest.rsplit_once("):").map_or("", |(a, _)| a);
            for arg in args.split(", ") {
                if let Some((arg_name, t)) = arg.split_once(": ") {
                    paths(
                        format!("{name}.{arg_name}"),
                        base(t),
                        &blocks,
                        &base,
                        0,
                        &mut out,
                    );
                }
            }
        }
    }
    out
}

#[test]
fn every_id_argument_of_the_schema_is_attacked() {
    let in_schema = id_arguments_of_the_schema();
    assert!(
        in_schema.len() >= 40,
        "the schema reader found {in_schema:?}"
    );
    let veria = VeriaIds {
        person: String::new(),
        child: String::new(),
        household: String::new(),
        application: String::new(),
        case: String::new(),
        appointment: String::new(),
        worker: String::new(),
        referral: String::new(),
        partner_key: String::new(),
        partner_link: String::new(),
        suggestion: String::new(),
        invitation: String::new(),
    };
    let own = OwnIds {
        person: String::new(),
        second_person: String::new(),
        case: String::new(),
        household: String::new(),
        bare_household: String::new(),
        application: String::new(),
        worker: String::new(),
        partner_key: String::new(),
    };
    let attacked: BTreeSet<String> = attacks(&veria, &own)
        .iter()
        .chain(filtered_lists(&veria).iter())
        .flat_map(|a| a.covers.iter().map(|c| (*c).to_owned()))
        .chain(SUBSCRIPTION_ATTACKS.iter().map(|c| (*c).to_owned()))
        .collect();
    let missing: Vec<&String> = in_schema.difference(&attacked).collect();
    assert!(
        missing.is_empty(),
        "attack these ID arguments with another center's IDs in tests/e2e/adversarial.rs: {missing:?}"
    );
    let stale: Vec<&String> = attacked.difference(&in_schema).collect();
    assert!(stale.is_empty(), "no longer in the schema: {stale:?}");
}
