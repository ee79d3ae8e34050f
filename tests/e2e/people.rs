//! The person registry, as reception and social workers use it.

use serde_json::{Value, json};

use crate::harness::{Answer, Backend, Client, TestApp, demo_account};
use crate::operations::{
    CasePerson, MergePersons, OpenPhoneCase, PeopleIds, PersonAuditTrail, PersonForDesk,
    PossibleDuplicates, RegisterPerson, SearchPeople, case_person, from_json, merge_persons,
    open_phone_case, people_ids, person_audit_trail, person_for_desk, possible_duplicates,
    register_person, search_people,
};

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

/// Maria without the special category reception may not record.
fn maria_as_reception_records_her() -> Value {
    let mut input = maria();
    input["minority"] = Value::Null;
    input
}

async fn register(desk: &Client<'_>, input: Value) -> Answer<register_person::ResponseData> {
    desk.run::<RegisterPerson>(from_json(json!({ "input": input })))
        .await
}

/// Registers `input` at the desk; the new person's id.
async fn registered(desk: &Client<'_>, input: Value) -> String {
    register(desk, input).await.ok().register_person.id
}

async fn people_count(desk: &Client<'_>) -> usize {
    desk.run::<PeopleIds>(people_ids::Variables {})
        .await
        .ok()
        .people
        .edges
        .len()
}

/// The names `search` finds, as reception's search box lists them.
async fn names_found(desk: &Client<'_>, search: &str) -> Vec<String> {
    desk.run::<SearchPeople>(search_people::Variables {
        q: Some(search.to_owned()),
    })
    .await
    .ok()
    .people
    .edges
    .into_iter()
    .map(|edge| edge.node.display_name)
    .collect()
}

#[tokio::test]
async fn reception_cannot_see_roma_flag() {
    let app = TestApp::spawn(Backend::postgres().await);
    let social_worker = app.login_as("social-worker", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let id = registered(&social_worker, maria()).await;
    let read = || person_for_desk::Variables { id: id.clone() };

    let worker_view = social_worker.run::<PersonForDesk>(read()).await.ok();
    assert_eq!(
        worker_view.person.minority,
        Some(person_for_desk::SpecialCategoryAnswer::YES)
    );

    let reception_view = reception.run::<PersonForDesk>(read()).await;
    assert_eq!(reception_view.errors.len(), 1, "{reception_view:?}");
    assert_eq!(reception_view.errors[0].code, "FORBIDDEN_FIELD");
    assert_eq!(reception_view.errors[0].path, json!(["person", "minority"]));
    let person = reception_view.data.expect("the rest of the person").person;
    assert_eq!(person.display_name, "Μαρία Παπαδοπούλου");
    assert_eq!(
        person.employment_status,
        Some(person_for_desk::EmploymentStatus::LONG_TERM_UNEMPLOYED)
    );
    assert_eq!(person.minority, None);

    // Nor may reception record a special category.
    let mut input = maria();
    input["amka"] = Value::Null;
    input["disability"] = json!("YES");
    register(&reception, input).await.refused("FORBIDDEN_FIELD");
}

async fn greek_and_latin_spellings_find_the_same_person(backend: Backend) {
    let app = TestApp::spawn(backend);
    let reception = app.login_as("reception", "veria").await;
    register(&reception, maria_as_reception_records_her())
        .await
        .ok();
    register(
        &reception,
        json!({ "givenNameLatin": "Ahmad", "familyNameLatin": "Karimi", "nationality": "AF" }),
    )
    .await
    .ok();

    for query in [
        "Papadopoulou",
        "ΠΑΠΑΔΟΠΟΥΛΟΥ",
        "papadopulu",
        "Μαρια",
        "maria papadopoulou",
        &amka_15_03_85(),
    ] {
        assert_eq!(
            names_found(&reception, query).await,
            ["Μαρία Παπαδοπούλου"],
            "searching {query:?}"
        );
    }
    assert!(names_found(&reception, "Γεωργίου").await.is_empty());
    assert_eq!(
        names_found(&reception, "Καρίμι").await,
        ["Ahmad Karimi"],
        "a Greek spelling finds a Latin-only record"
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
    let refused = register(
        &reception,
        json!({
            "givenNameEl": "Νίκος", "familyNameEl": "Νικολάου",
            "amka": "12345678901", "afm": "123456789", "email": "nikos-at-mail",
            "birthDate": "1990-02-30"
        }),
    )
    .await
    .refused("VALIDATION");
    let fields: Vec<&str> = refused.extensions["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["input.birthDate", "input.amka", "input.afm", "input.email"]
    );
    assert_eq!(people_count(&social_worker).await, 0);
}

#[tokio::test]
async fn a_known_amka_is_refused_and_similar_people_are_offered_before_intake() {
    let app = TestApp::spawn(Backend::postgres().await);
    let social_worker = app.login_as("social-worker", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let existing_id = registered(&social_worker, maria()).await;

    let again = register(&reception, maria_as_reception_records_her())
        .await
        .refused("DUPLICATE_IDENTIFIER");
    assert_eq!(again.extensions["field"], "input.amka");
    assert_eq!(again.extensions["existingPersonId"], existing_id.as_str());
    assert_eq!(people_count(&social_worker).await, 1);

    // The same woman at another desk, spelled in Latin letters, without ΑΜΚΑ.
    let candidates = reception
        .run::<PossibleDuplicates>(from_json(json!({ "input": {
            "givenNameLatin": "Maria", "familyNameLatin": "Papadopulu",
            "birthDate": "1985-03-15"
        }})))
        .await
        .ok()
        .find_possible_duplicates;
    assert_eq!(candidates.len(), 1, "{candidates:?}");
    assert_eq!(candidates[0].person.id, existing_id);
    assert_eq!(
        candidates[0].reasons,
        [possible_duplicates::DuplicateReason::SAME_BIRTH_DATE_AND_SIMILAR_NAME]
    );

    // Same birth date, different person: not offered.
    let other = reception
        .run::<PossibleDuplicates>(from_json(json!({ "input": {
            "givenNameEl": "Ελένη", "familyNameEl": "Γεωργίου", "birthDate": "1985-03-15"
        }})))
        .await
        .ok()
        .find_possible_duplicates;
    assert!(other.is_empty(), "{other:?}");
}

#[tokio::test]
async fn another_centers_people_are_not_found_and_every_read_is_audited() {
    let app = TestApp::spawn(Backend::postgres().await);
    let social_worker = app.login_as("social-worker", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let id = registered(&social_worker, maria()).await;
    let outsider = app.login_as("social-worker", "paiania").await;
    outsider
        .run::<PersonForDesk>(person_for_desk::Variables { id: id.clone() })
        .await
        .refused("NOT_FOUND");
    assert!(names_found(&outsider, "Papadopoulou").await.is_empty());

    // The read is the desk's own (a field reception may not see comes
    // back refused, and the read is still audited once).
    reception
        .run::<PersonForDesk>(person_for_desk::Variables { id })
        .await;
    let admin = app.login_as("tenant-admin", "veria").await;
    let entries: Vec<(String, String)> = admin
        .run::<PersonAuditTrail>(person_audit_trail::Variables {})
        .await
        .ok()
        .audit_log
        .edges
        .into_iter()
        .map(|edge| (edge.node.action, edge.node.actor))
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
    let keep = registered(&social_worker, maria()).await;
    let remove = registered(
        &reception,
        json!({ "givenNameLatin": "Maria", "familyNameLatin": "Papadopoulou",
                "afm": kentro_domain::identifiers::fixtures::afm(12_345_678), "phone": "6971234567" }),
    )
    .await;
    let case = social_worker
        .run::<OpenPhoneCase>(open_phone_case::Variables {
            person: remove.clone(),
        })
        .await
        .ok()
        .open_case
        .id;

    let person = social_worker
        .run::<MergePersons>(merge_persons::Variables {
            keep: keep.clone(),
            remove: remove.clone(),
        })
        .await
        .ok()
        .merge_persons;
    assert_eq!(person.id, keep);
    assert_eq!(person.display_name, "Μαρία Παπαδοπούλου");
    assert_eq!(person.given_name_latin.as_deref(), Some("Maria"));
    assert_eq!(person.phone.as_deref(), Some("6971234567"));
    assert!(person.afm.is_some() && person.amka.is_some(), "{person:?}");

    social_worker
        .run::<PersonForDesk>(person_for_desk::Variables { id: remove })
        .await
        .refused("NOT_FOUND");
    let moved = social_worker
        .run::<CasePerson>(case_person::Variables { id: case })
        .await
        .ok();
    assert_eq!(moved.case.person.id, keep);
    assert_eq!(people_count(&social_worker).await, 1);

    social_worker
        .run::<MergePersons>(merge_persons::Variables {
            keep: keep.clone(),
            remove: keep,
        })
        .await
        .refused("VALIDATION");
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
    for result in results {
        result.ok();
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
        async move { register(reception, maria_as_reception_records_her()).await }
    });
    let results = futures::future::join_all(attempts).await;
    let (registered, refused): (Vec<_>, Vec<_>) =
        results.into_iter().partition(|r| r.errors.is_empty());
    assert_eq!(registered.len(), 1, "{registered:?}");
    for answer in refused {
        answer.refused("DUPLICATE_IDENTIFIER");
    }
    assert_eq!(people_count(&social_worker).await, 1);
}
