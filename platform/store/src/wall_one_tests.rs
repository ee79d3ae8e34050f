//! Wall 1 alone, at the store: on SQLite there is no row-level security, so
//! only `ScopedTxn` and `TenantEntity` stand between two centers. One
//! center's repositories neither read, nor change, nor refer to another's
//! rows, and what they refuse leaves the other's data as it was.

use chrono::NaiveDate;
use kentro_domain::case::{CaseStatus, NoteConfidentiality, RequestCategory, RequestChannel};
use kentro_domain::household::{ConsentMethod, ConsentPurpose};

use crate::test_databases::{as_operator, details, two_centers};
use crate::{
    Access, Actor, AuditFilter, CaseFilter, CasePageParts, ConsentStatement, NewCase, StoreError,
};

fn is_not_found(result: Result<impl std::fmt::Debug, StoreError>, what: &str) {
    match result {
        Err(StoreError::NotFound { what: found }) => assert_eq!(found, what),
        other => panic!("expected no such {what}, got {other:?}"),
    }
}

#[tokio::test]
async fn another_centers_person_and_case_are_not_found_and_stay_as_they_were() {
    let centers = two_centers().await;
    let store = &centers.store;
    let access = as_operator();
    let person = store
        .people()
        .register(centers.theirs, &details("Εκείνων"), &access)
        .await
        .unwrap();
    let case = store
        .cases()
        .open(
            centers.theirs,
            NewCase {
                person_id: person.id,
                request_date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                channel: RequestChannel::WalkIn,
                categories: vec![RequestCategory::Housing],
                assigned_to: None,
            },
            &access,
        )
        .await
        .unwrap();

    // Reads from our center find nothing of theirs.
    let ours = centers.ours;
    assert!(
        store
            .people()
            .get(ours, person.id, &access)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .people()
            .search(ours, Some("Εκείνων"), None, 20, &access)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .cases()
            .get(ours, case.id, &access)
            .await
            .unwrap()
            .is_none()
    );
    let page = store
        .cases()
        .list(
            ours,
            &CaseFilter {
                status: None,
                assigned_to: None,
                person_id: None,
            },
            None,
            20,
            CasePageParts {
                access: &access,
                people: true,
                assignees: true,
            },
        )
        .await
        .unwrap();
    assert!(page.cases.is_empty());

    // Changes and references from our center are refused as unknown.
    is_not_found(
        store
            .people()
            .update(ours, person.id, &details("Άλλαξε"), &access)
            .await,
        "Person",
    );
    is_not_found(
        store
            .cases()
            .transition(ours, case.id, CaseStatus::Closed, &access)
            .await,
        "Case",
    );
    let our_worker = Actor {
        account_id: Some(1),
        name: "social-worker@ours".into(),
        role: "social_worker".into(),
    };
    let as_our_worker = Access {
        actor: &our_worker,
        purpose: "test",
        request_id: "test",
    };
    is_not_found(
        store
            .cases()
            .add_note(
                ours,
                case.id,
                NoteConfidentiality::Standard,
                &kentro_domain::case::NoteBody::parse("σημείωση").unwrap(),
                &as_our_worker,
            )
            .await,
        "Case",
    );
    is_not_found(
        store
            .cases()
            .open(
                ours,
                NewCase {
                    person_id: person.id,
                    request_date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                    channel: RequestChannel::Phone,
                    categories: vec![RequestCategory::Other],
                    assigned_to: None,
                },
                &access,
            )
            .await,
        "Person",
    );
    is_not_found(
        store
            .households()
            .record_consent(
                ours,
                ConsentStatement {
                    person_id: person.id,
                    purpose: ConsentPurpose::ReferralSharing,
                    given: true,
                    on_date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                    method: ConsentMethod::SignedForm,
                    witness: None,
                },
                &access,
            )
            .await,
        "Person",
    );
    is_not_found(
        store.households().create(ours, person.id, &access).await,
        "Person",
    );

    // Their center still has everything as it was, and only its own log
    // tells of it.
    let theirs = centers.theirs;
    let unchanged = store
        .people()
        .get(theirs, person.id, &access)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.details.family_name_el.as_deref(), Some("Εκείνων"));
    let case_now = store
        .cases()
        .get(theirs, case.id, &access)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case_now.status, CaseStatus::Open);
    assert!(
        store
            .cases()
            .notes(theirs, case.id, |_| true, &access)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .households()
            .has_consent(theirs, person.id, ConsentPurpose::ReferralSharing)
            .await
            .unwrap()
    );
    let our_log = store
        .audit_log()
        .list(ours, &AuditFilter::default(), None, 100)
        .await
        .unwrap();
    assert!(
        our_log
            .iter()
            .all(|e| e.entity_id != person.id.to_string() && e.entity_id != case.id.to_string()),
        "{our_log:?}"
    );
    let their_log = store
        .audit_log()
        .list(theirs, &AuditFilter::default(), None, 100)
        .await
        .unwrap();
    assert!(
        their_log
            .iter()
            .any(|e| e.action == "case.opened" || e.action == "opened")
    );
}
