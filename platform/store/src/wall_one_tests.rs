//! Wall 1 alone, at the store: on SQLite there is no row-level security, so
//! only `ScopedTxn` and `TenantEntity` stand between two centers. One
//! center's repositories neither read, nor change, nor refer to another's
//! rows, and what they refuse leaves the other's data as it was.

use chrono::NaiveDate;
use kentro_domain::case::{CaseStatus, NoteConfidentiality, RequestCategory, RequestChannel};
use kentro_domain::household::ConsentPurpose;

use crate::test_databases::{
    as_operator, details, person_with_a_case, signed_referral_consent, two_centers,
};
use crate::{
    Access, Actor, AuditFilter, CaseFilter, CasePageParts, NewCase, PeopleOnPage, StoreError,
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
    let (person_id, case_id) = person_with_a_case(store, centers.theirs, "Εκείνων").await;

    // Reads from our center find nothing of theirs.
    let ours = centers.ours;
    assert!(
        store
            .people()
            .get(ours, person_id, &access)
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
            .get(ours, case_id, &access)
            .await
            .unwrap()
            .is_none()
    );
    for people in [PeopleOnPage::Records, PeopleOnPage::Summaries] {
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
                    people,
                    assignees: true,
                    texts: true,
                },
            )
            .await
            .unwrap();
        assert!(page.cases.is_empty());
        assert!(page.people.is_empty() && page.summaries.is_empty());
    }

    // Changes and references from our center are refused as unknown.
    is_not_found(
        store
            .people()
            .update(ours, person_id, &details("Άλλαξε"), &access)
            .await,
        "Person",
    );
    is_not_found(
        store
            .cases()
            .transition(ours, case_id, CaseStatus::Closed, &access)
            .await,
        "Case",
    );
    let our_worker = Actor {
        account_id: Some(kentro_domain::keys::AccountId::new(1)),
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
                case_id,
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
                    person_id,
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
            .record_consent(ours, signed_referral_consent(person_id), &access)
            .await,
        "Person",
    );
    is_not_found(
        store.households().create(ours, person_id, &access).await,
        "Person",
    );

    // Their center still has everything as it was, and only its own log
    // tells of it.
    let theirs = centers.theirs;
    let unchanged = store
        .people()
        .get(theirs, person_id, &access)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.details.family_name_el.as_deref(), Some("Εκείνων"));
    let case_now = store
        .cases()
        .get(theirs, case_id, &access)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case_now.status, CaseStatus::Open);
    assert!(
        store
            .cases()
            .notes(theirs, case_id, |_| true, &access)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .households()
            .has_consent(theirs, person_id, ConsentPurpose::ReferralSharing)
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
            .all(|e| e.entity_id != person_id.to_string() && e.entity_id != case_id.to_string()),
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
