//! Cases as social workers and psychologists work them.

use std::collections::BTreeSet;

use serde_json::json;

use crate::harness::{Backend, Client, TestApp, key_of};
use crate::operations::{
    AddNote, AssessNeeds, CaseAsItStands, CaseIds, CaseNotes, CaseStatusOf, CaseTimeline,
    CasesPeopleAsListed, CasesPeopleWithIdentifiers, CasesWithTheirTexts, OpenCase, PersonReads,
    RecordOutcome, RegisterPerson, TransitionCase, TwoCaseStatuses, TwoCasesPeople, add_note,
    assess_needs, case_as_it_stands, case_ids, case_notes, case_status_of, case_timeline,
    cases_people_as_listed, cases_people_with_identifiers, cases_with_their_texts, from_json,
    open_case, person_reads, record_outcome, transition_case, two_case_statuses, two_cases_people,
};

use transition_case::CaseStatus::{CLOSED, IN_PROGRESS, REOPENED};

/// Γιάννης Οικονόμου, registered, with an open case of income support and
/// housing: (person id, case id).
async fn person_and_case(client: &Client<'_>) -> (String, String) {
    let person = client
        .run::<RegisterPerson>(from_json(json!({ "input": {
            "givenNameEl": "Γιάννης", "familyNameEl": "Οικονόμου"
        }})))
        .await
        .ok()
        .register_person;
    let case = client
        .run::<OpenCase>(from_json(json!({ "input": {
            "personId": person.id, "channel": "WALK_IN",
            "categories": ["INCOME_SUPPORT", "HOUSING"]
        }})))
        .await
        .ok()
        .open_case;
    assert_eq!(case.status, open_case::CaseStatus::OPEN);
    (person.id, case.id)
}

fn transition(id: &str, to: transition_case::CaseStatus) -> transition_case::Variables {
    transition_case::Variables {
        id: id.to_owned(),
        to,
    }
}

#[tokio::test]
async fn a_case_follows_its_lifecycle_and_a_bad_move_names_both_states() {
    let app = TestApp::spawn(Backend::postgres().await);
    let worker = app.login_as("social-worker", "veria").await;
    let (_, case_id) = person_and_case(&worker).await;

    for to in [IN_PROGRESS, CLOSED] {
        let moved = worker
            .run::<TransitionCase>(transition(&case_id, to.clone()))
            .await
            .ok();
        assert_eq!(moved.transition_case.status, to);
    }
    let bad = worker
        .run::<TransitionCase>(transition(&case_id, IN_PROGRESS))
        .await
        .refused("INVALID_TRANSITION");
    assert_eq!(bad.extensions["from"], "closed");
    assert_eq!(bad.extensions["to"], "in_progress");
    let reopened = worker
        .run::<TransitionCase>(transition(&case_id, REOPENED))
        .await
        .ok()
        .transition_case;
    assert_eq!(reopened.status, REOPENED);
    assert_eq!(reopened.closed_at, None);

    let updated = worker
        .run::<AssessNeeds>(assess_needs::Variables {
            id: case_id.clone(),
            needs: "Χρειάζεται στέγη".into(),
        })
        .await
        .ok();
    assert_eq!(
        updated.update_case.needs_assessment.as_deref(),
        Some("Χρειάζεται στέγη")
    );

    let timeline = worker
        .run::<CaseTimeline>(case_timeline::Variables {
            id: case_id.clone(),
        })
        .await
        .ok()
        .case
        .timeline;
    let events: Vec<String> = timeline
        .iter()
        .map(|e| format!("{} {}", e.kind, e.detail))
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
    use add_note::NoteConfidentiality::{PSYCHOLOGICAL, SENSITIVE, STANDARD};
    let app = TestApp::spawn(Backend::postgres().await);
    let worker = app.login_as("social-worker", "veria").await;
    let psychologist = app.login_as("psychologist", "veria").await;
    let coordinator = app.login_as("tenant-admin", "veria").await;
    let reception = app.login_as("reception", "veria").await;
    let (_, case_id) = person_and_case(&worker).await;

    for (author, confidentiality, body) in [
        (&worker, STANDARD, "standard by worker"),
        (&worker, SENSITIVE, "sensitive by worker"),
        (&worker, PSYCHOLOGICAL, "psychological by worker"),
        (
            &psychologist,
            PSYCHOLOGICAL,
            "psychological by psychologist",
        ),
    ] {
        author
            .run::<AddNote>(add_note::Variables {
                case: case_id.clone(),
                confidentiality,
                body: body.into(),
            })
            .await
            .ok();
    }

    assert_eq!(
        notes_seen_by(&worker, &case_id).await,
        [
            "standard by worker",
            "sensitive by worker",
            "psychological by worker"
        ]
    );
    assert_eq!(
        notes_seen_by(&psychologist, &case_id).await,
        [
            "standard by worker",
            "sensitive by worker",
            "psychological by worker",
            "psychological by psychologist"
        ]
    );
    assert_eq!(
        notes_seen_by(&coordinator, &case_id).await,
        ["standard by worker", "sensitive by worker"]
    );
    reception
        .run::<CaseNotes>(case_notes::Variables { id: case_id })
        .await
        .refused("FORBIDDEN");
}

#[tokio::test]
async fn opening_a_case_reports_every_bad_field() {
    let app = TestApp::spawn(Backend::sqlite());
    let worker = app.login_as("social-worker", "veria").await;
    let refused = worker
        .run::<OpenCase>(from_json(json!({ "input": {
            "personId": "not-an-id", "channel": "PHONE", "categories": [],
            "requestDate": "2099-01-01"
        }})))
        .await
        .refused("VALIDATION");
    let fields: Vec<&str> = refused.extensions["fields"]
        .as_array()
        .expect("the fields")
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

    paiania
        .run::<CaseStatusOf>(case_status_of::Variables {
            id: case_id.clone(),
        })
        .await
        .refused("NOT_FOUND");
    paiania
        .run::<TransitionCase>(transition(&case_id, IN_PROGRESS))
        .await
        .refused("NOT_FOUND");
    paiania
        .run::<RecordOutcome>(record_outcome::Variables {
            id: case_id.clone(),
            outcome: "x".into(),
        })
        .await
        .refused("NOT_FOUND");
    paiania
        .run::<AddNote>(add_note::Variables {
            case: case_id.clone(),
            confidentiality: add_note::NoteConfidentiality::STANDARD,
            body: "x".into(),
        })
        .await
        .refused("NOT_FOUND");
    let listed = paiania.run::<CaseIds>(case_ids::Variables {}).await.ok();
    assert!(listed.cases.edges.is_empty(), "{listed:?}");

    let mine = veria
        .run::<CaseAsItStands>(case_as_it_stands::Variables { id: case_id })
        .await
        .ok()
        .case;
    assert_eq!(mine.status, case_as_it_stands::CaseStatus::OPEN);
    assert!(mine.notes.is_empty(), "{mine:?}");
    assert_eq!(mine.timeline.len(), 1, "{mine:?}");
}

async fn notes_seen_by(client: &Client<'_>, case_id: &str) -> Vec<String> {
    client
        .run::<CaseNotes>(case_notes::Variables {
            id: case_id.to_owned(),
        })
        .await
        .ok()
        .case
        .notes
        .into_iter()
        .map(|n| n.body)
        .collect()
}

/// The entities each `person.read` entry of the center's log names.
async fn person_reads_logged(coordinator: &Client<'_>) -> Vec<String> {
    coordinator
        .run::<PersonReads>(person_reads::Variables {})
        .await
        .ok()
        .audit_log
        .edges
        .into_iter()
        .map(|e| e.node.entity_id)
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
        .run::<TwoCaseStatuses>(two_case_statuses::Variables {})
        .await
        .ok();
    assert_eq!(page.cases.edges.len(), 2);
    assert!(person_reads_logged(&coordinator).await.is_empty());

    // With it, one entry names the two people shown (not the third, read
    // ahead of the page).
    let page = worker
        .run::<TwoCasesPeople>(two_cases_people::Variables {})
        .await
        .ok()
        .cases;
    assert!(page.page_info.has_next_page, "{page:?}");
    let reads = person_reads_logged(&coordinator).await;
    assert_eq!(reads.len(), 1, "{reads:?}");
    // Exactly the people shown: the ids in the entry are those of the page.
    let shown: BTreeSet<String> = page
        .edges
        .iter()
        .map(|e| key_of(&e.node.person.id))
        .collect();
    let recorded: BTreeSet<String> = reads[0].split(',').map(str::to_owned).collect();
    assert_eq!(recorded, shown, "{reads:?}");
    assert!(
        !recorded.contains(&key_of(&people[2])),
        "the third person, read ahead of the page, was not shown"
    );
}

/// A page that shows only what a list shows of its people (names, gender,
/// birth date) reads no more of them; one that asks for more, even through
/// a fragment, gets each field from the whole record, never a null.
#[tokio::test]
async fn a_page_of_cases_shows_its_peoples_names_and_their_identifiers_when_asked() {
    let app = TestApp::spawn(Backend::sqlite());
    let worker = app.login_as("social-worker", "veria").await;
    let person = worker
        .run::<RegisterPerson>(from_json(json!({ "input": {
            "givenNameEl": "Ελένη", "familyNameEl": "Σταύρου",
            "givenNameLatin": "Eleni", "familyNameLatin": "Stavrou",
            "gender": "FEMALE", "birthDate": "1990-01-01", "amka": "01019012341"
        }})))
        .await
        .ok()
        .register_person;
    worker
        .run::<OpenCase>(from_json(json!({ "input": {
            "personId": person.id, "channel": "WALK_IN", "categories": ["HOUSING"]
        }})))
        .await
        .ok();

    let listed = worker
        .run::<CasesPeopleAsListed>(cases_people_as_listed::Variables {})
        .await
        .ok();
    let shown: Vec<_> = (listed.cases.edges.into_iter())
        .map(|e| e.node.person)
        .filter(|p| p.display_name == person.display_name)
        .collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(person.display_name, "Ελένη Σταύρου");
    assert_eq!(shown[0].given_name_latin.as_deref(), Some("Eleni"));
    assert_eq!(shown[0].family_name_el.as_deref(), Some("Σταύρου"));
    assert_eq!(shown[0].gender, cases_people_as_listed::Gender::FEMALE);
    assert_eq!(shown[0].birth_date.as_deref(), Some("1990-01-01"));

    let with_identifiers = worker
        .run::<CasesPeopleWithIdentifiers>(cases_people_with_identifiers::Variables {})
        .await
        .ok();
    let shown: Vec<_> = (with_identifiers.cases.edges.into_iter())
        .map(|e| e.node.person)
        .filter(|p| p.display_name == person.display_name)
        .collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].identifiers.amka.as_deref(), Some("01019012341"));
    assert!(!shown[0].identifiers.created_at.is_empty());
}

/// A page of cases leaves the cases' free texts unread unless its selection
/// asks for one, even through a fragment; then each is read, never a null.
#[tokio::test]
async fn a_page_of_cases_shows_the_texts_it_asks_for() {
    for backend in [Backend::sqlite(), Backend::postgres().await] {
        page_with_texts(TestApp::spawn(backend)).await;
    }
}

async fn page_with_texts(app: TestApp) {
    let worker = app.login_as("social-worker", "veria").await;
    let (_, case_id) = person_and_case(&worker).await;
    worker
        .run::<AssessNeeds>(assess_needs::Variables {
            id: case_id.clone(),
            needs: "Στέγη για τρεις".into(),
        })
        .await
        .ok();
    let page = worker
        .run::<CasesWithTheirTexts>(cases_with_their_texts::Variables {})
        .await
        .ok();
    let case = (page.cases.edges.into_iter())
        .map(|e| e.node)
        .find(|c| c.id == case_id)
        .expect("the case is on the page");
    assert_eq!(case.person.display_name, "Γιάννης Οικονόμου");
    assert_eq!(
        case.texts.needs_assessment.as_deref(),
        Some("Στέγη για τρεις")
    );
    assert_eq!(case.texts.outcome, None);
}
