//! Throwaway PostgreSQL databases for the store's own tests, on the server
//! the test command starts (`KENTRO_TEST_POSTGRES_URL`), and two centers on
//! a SQLite file for the repositories' tests.

use chrono::NaiveDate;
use kentro_domain::person::{PersonDetails, PersonInput};
use kentro_domain::tenant::TenantManifest;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use std::sync::LazyLock;

use crate::{Access, Actor, DatabaseTarget, Store, TenantScope};

/// A fresh database owned by `kentro_owner`; dropped with this value's
/// `drop_now`, or left for the next run's `DROP … IF EXISTS`.
pub(crate) struct TestDatabase {
    admin: DatabaseConnection,
    host: String,
    name: String,
}

impl TestDatabase {
    /// A new, empty database called `<prefix>_<process id>`.
    pub(crate) async fn create(prefix: &str) -> TestDatabase {
        let admin_url = std::env::var("KENTRO_TEST_POSTGRES_URL").expect(
            "KENTRO_TEST_POSTGRES_URL: run the tests with infra/test.sh, which starts PostgreSQL",
        );
        let name = format!("{prefix}_{}", std::process::id());
        let admin = sea_orm::Database::connect(admin_url.as_str())
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name} OWNER kentro_owner"))
            .await
            .unwrap();
        let host = admin_url
            .split_once('@')
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(host, _)| host.to_owned())
            .expect("the test server's URL names its host");
        TestDatabase { admin, host, name }
    }

    /// The database as `role` (e.g. `kentro_owner`, `kentro_server`) reaches it.
    pub(crate) fn as_role(&self, role: &str) -> DatabaseTarget {
        DatabaseTarget::Postgres(format!("postgres://{role}@{}/{}", self.host, self.name))
    }

    pub(crate) async fn drop_now(self) {
        self.admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap();
    }
}

pub(crate) fn manifest(slug: &str, name: &str) -> TenantManifest {
    TenantManifest::from_toml(&format!(
        r#"
slug = "{slug}"
name_el = "Δήμος {name}"
name_latin = "Municipality of {slug}"
region = "attica"
[funding]
programme = "Αττική 2021-2027"
[[centers]]
key = "main"
kind = "main"
name = "Κέντρο Κοινότητας {name}"
opening_hours = {{ monday = "09:00-17:00" }}
"#
    ))
    .unwrap()
}

pub(crate) struct TwoCenters {
    pub(crate) store: Store,
    pub(crate) ours: TenantScope,
    pub(crate) theirs: TenantScope,
    _dir: tempfile::TempDir,
}

/// Two municipalities, `ours` and `theirs`, on a fresh SQLite file.
pub(crate) async fn two_centers() -> TwoCenters {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&DatabaseTarget::SqliteFile(dir.path().join("k.db")))
        .await
        .unwrap();
    store.migrate(None).await.unwrap();
    let (ours, theirs) = (manifest("ours", "Ημών"), manifest("theirs", "Εκείνων"));
    store
        .tenants()
        .apply(&[ours.clone(), theirs.clone()], &Actor::operator(), "test")
        .await
        .unwrap();
    TwoCenters {
        ours: store.operator_scope(&ours.slug).await.unwrap().unwrap(),
        theirs: store.operator_scope(&theirs.slug).await.unwrap().unwrap(),
        store,
        _dir: dir,
    }
}

impl TwoCenters {
    /// Another replica's store: its own connections and memory, on the
    /// same database.
    pub(crate) async fn another_replica(&self) -> Store {
        Store::connect(&DatabaseTarget::SqliteFile(self._dir.path().join("k.db")))
            .await
            .unwrap()
    }
}

/// One municipality, `ours`, on a fresh PostgreSQL database migrated by its
/// owner, and reached as the server reaches it.
pub(crate) struct OneCenterOnPostgres {
    pub(crate) database: TestDatabase,
    /// The owner's connection: past the server role's grants (row-level
    /// security still applies).
    pub(crate) owner: Store,
    pub(crate) store: Store,
    pub(crate) ours: TenantScope,
}

impl OneCenterOnPostgres {
    /// Closes both connections and drops the database.
    pub(crate) async fn drop_now(self) {
        drop((self.store, self.owner));
        self.database.drop_now().await;
    }
}

pub(crate) async fn one_center_on_postgres(prefix: &str) -> OneCenterOnPostgres {
    let database = TestDatabase::create(prefix).await;
    let owner = Store::connect(&database.as_role("kentro_owner"))
        .await
        .unwrap();
    owner.migrate(None).await.unwrap();
    let store = Store::connect(&database.as_role("kentro_server"))
        .await
        .unwrap();
    let center = manifest("ours", "Ημών");
    store
        .tenants()
        .apply(std::slice::from_ref(&center), &Actor::operator(), "test")
        .await
        .unwrap();
    OneCenterOnPostgres {
        ours: store.operator_scope(&center.slug).await.unwrap().unwrap(),
        database,
        owner,
        store,
    }
}

/// A person's details with this family name.
pub(crate) fn details(family_name: &str) -> PersonDetails {
    PersonInput {
        given_name_el: Some("Ελένη".into()),
        family_name_el: Some(family_name.into()),
        ..PersonInput::default()
    }
    .validate(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
    .unwrap()
}

/// The operator, reading and writing for a test.
pub(crate) fn as_operator() -> Access<'static> {
    static OPERATOR: LazyLock<Actor> = LazyLock::new(Actor::operator);
    Access {
        actor: &OPERATOR,
        purpose: "test",
        request_id: "test",
    }
}

/// A social worker of a center (account 1), reading and writing for a
/// test: what only staff do, such as making a referral.
pub(crate) fn as_social_worker() -> Access<'static> {
    static WORKER: LazyLock<Actor> = LazyLock::new(|| Actor {
        account_id: Some(kentro_domain::keys::AccountId::new(1)),
        name: "social-worker@ours".into(),
        role: "social_worker".into(),
    });
    Access {
        actor: &WORKER,
        ..as_operator()
    }
}

/// A person of `scope` with an open housing case, registered by the
/// operator: (person id, case id).
pub(crate) async fn person_with_a_case(
    store: &Store,
    scope: TenantScope,
    family_name: &str,
) -> (kentro_domain::keys::PersonId, kentro_domain::keys::CaseId) {
    let access = as_operator();
    let person = store
        .people()
        .register(scope, &details(family_name), &access)
        .await
        .unwrap();
    let case = store
        .cases()
        .open(
            scope,
            crate::NewCase {
                person_id: person.id,
                request_date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                channel: kentro_domain::case::RequestChannel::WalkIn,
                categories: vec![kentro_domain::case::RequestCategory::Housing],
                assigned_to: None,
            },
            &access,
        )
        .await
        .unwrap();
    (person.id, case.id)
}

/// The person's signed consent to share what a referral needs.
pub(crate) fn signed_referral_consent(
    person_id: kentro_domain::keys::PersonId,
) -> crate::ConsentStatement {
    use kentro_domain::household::{ConsentMethod, ConsentPurpose};
    crate::ConsentStatement {
        person_id,
        purpose: ConsentPurpose::ReferralSharing,
        given: true,
        on_date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        method: ConsentMethod::SignedForm,
        witness: None,
    }
}

/// The id of the shelter service every referral test sends to.
pub(crate) const SHELTER: &str = "7c1d1b3e-2f0a-4c55-9d7e-0a1b2c3d4e5f";

/// An urgent referral of the case to [`SHELTER`], sharing the person's name.
pub(crate) fn urgent_referral_to_shelter(
    case_id: kentro_domain::keys::CaseId,
) -> crate::NewReferral {
    use kentro_domain::referral::{
        EnvelopeField, ReferralLevel, ReferralReason, TargetScope, Urgency,
    };
    crate::NewReferral {
        case_id,
        target: crate::ServiceTarget {
            scope: TargetScope::Own,
            tenant: None,
            service_id: SHELTER.into(),
        },
        level: ReferralLevel::Local,
        reason: ReferralReason::parse("Χωρίς στέγη από σήμερα").unwrap(),
        urgency: Urgency::Urgent,
        envelope_fields: vec![EnvelopeField::Name],
    }
}

/// Lists [`SHELTER`], which answers by e-mail, in `scope`'s own directory.
pub(crate) async fn shelter_in_directory(store: &Store, scope: TenantScope) {
    use kentro_domain::hsds::{self, Shape};
    let service = hsds::read_document(
        &serde_json::json!({
            "id": SHELTER, "name": "Ξενώνας φιλοξενίας", "status": "active",
            "email": "xenonas@example.gr",
            "organization": { "id": "0b6f7c1a-3d2e-4f50-8a91-b2c3d4e5f607",
                              "name": "Δήμος", "description": "Κοινωνική υπηρεσία" }
        }),
        Some(Shape::Service),
        "test",
    )
    .unwrap();
    store
        .directory()
        .import(
            crate::DirectoryScope::Tenant(scope),
            &service,
            &as_operator(),
            &|_| {},
        )
        .await
        .unwrap();
}
