//! Onboarding municipalities from manifests, and reading them over GraphQL,
//! on the embedded default and on PostgreSQL + Redis alike.

use std::path::Path;

use serde_json::json;

use crate::harness::{
    Backend, PLATFORM_ADMIN, SEED_SLUGS, Server, add_user, demo_account, demo_password, run_kentro,
    seed_tenants_dir, stderr_of, stdout_of, tenant_slugs,
};
use crate::operations::{
    CreateTenant, DemoWeek, InviteCoordinator, KeaChecklists, LogIn, MeAndMyTenant, OffboardTenant,
    PeopleIds, PersonForDesk, PlatformLog, ReactivateTenant, RegisterNamed, SuspendTenant,
    TenantExport, TenantProfile, TenantReadinessOf, TenantStatusOf, UpdateTenant, demo_week,
    from_json, invite_coordinator, log_in, me_and_my_tenant, offboard_tenant, people_ids,
    person_for_desk, platform_log, reactivate_tenant, register_named, suspend_tenant,
    tenant_export, tenant_profile, tenant_readiness_of, tenant_status_of,
};

fn slug(slug: &str) -> String {
    slug.to_owned()
}

/// A municipality as a platform admin reads it.
async fn profile_of(
    server: &Server,
    token: &str,
    name: &str,
) -> tenant_profile::TenantProfileTenant {
    server
        .caller(token)
        .run::<TenantProfile>(tenant_profile::Variables { slug: slug(name) })
        .await
        .ok()
        .tenant
        .unwrap_or_else(|| panic!("{name} is onboarded"))
}

async fn demo_onboards_the_five_seed_municipalities(backend: Backend) {
    let env = backend.demo_env();
    let server = Server::start(&env, &["--demo"]);
    assert!(
        server.banner.iter().any(|l| l.contains("GraphQL API")),
        "the banner tells a newcomer where to go: {:?}",
        server.banner
    );
    let admin = server.login(PLATFORM_ADMIN, &demo_password(&backend)).await;
    assert_eq!(tenant_slugs(&server, &admin).await, SEED_SLUGS);

    use tenant_profile::{CenterKind, RegionCode, StaffRole, Weekday};
    let veria = profile_of(&server, &admin, "veria").await;
    assert_eq!(veria.name_el, "Δήμος Βέροιας");
    assert_eq!(veria.region.code, RegionCode::CENTRAL_MACEDONIA);
    assert_eq!(veria.funding.programme, "Κεντρική Μακεδονία 2014-2020");
    let main = &veria.centers[0];
    assert_eq!(main.kind, CenterKind::MAIN);
    assert_eq!(
        main.address.as_ref().and_then(|a| a.street.as_deref()),
        Some("Σταδίου 51")
    );
    assert_eq!(main.phones[0].number, "2331353834");
    assert_eq!(main.accessibility.wheelchair_accessible, Some(true));
    assert_eq!(main.opening_hours.len(), 5);
    let monday = &main.opening_hours[0];
    assert_eq!(monday.weekday, Weekday::MONDAY);
    assert_eq!(
        monday
            .ranges
            .iter()
            .map(|r| (r.opens.as_str(), r.closes.as_str()))
            .collect::<Vec<_>>(),
        [("08:00", "16:00")]
    );
    assert_eq!(
        main.staff
            .iter()
            .map(|s| (s.role.clone(), s.count))
            .collect::<Vec<_>>(),
        [(StaffRole::SOCIAL_WORKER, 2), (StaffRole::PSYCHOLOGIST, 1)]
    );

    // The operator's view after --demo: one line per tenant.
    let output = run_kentro(&env, &["tenant", "list"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let slugs: Vec<String> = stdout_of(&output)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(slugs, SEED_SLUGS);

    // --demo again onboards nothing new.
    drop(server);
    let server = Server::start(&env, &["--demo"]);
    assert!(
        server
            .banner
            .iter()
            .filter(|l| SEED_SLUGS.iter().any(|s| l.starts_with(&format!("  {s} "))))
            .all(|l| l.contains("unchanged")),
        "{:?}",
        server.banner
    );
    let admin = server.login(PLATFORM_ADMIN, &demo_password(&backend)).await;
    assert_eq!(tenant_slugs(&server, &admin).await, SEED_SLUGS);
}

#[tokio::test]
async fn demo_onboards_the_five_seed_municipalities_on_sqlite() {
    demo_onboards_the_five_seed_municipalities(Backend::sqlite()).await;
}

#[tokio::test]
async fn demo_onboards_the_five_seed_municipalities_on_postgres() {
    demo_onboards_the_five_seed_municipalities(Backend::postgres().await).await;
}

#[tokio::test]
async fn without_demo_nothing_is_seeded() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &[]);
    assert!(
        !server.banner.iter().any(|l| l.contains("demo")),
        "{:?}",
        server.banner
    );
    let output = run_kentro(&backend.env(), &["tenant", "list"]);
    assert_eq!(stdout_of(&output), "");
    let output = run_kentro(&backend.env(), &["user", "list"]);
    assert_eq!(stdout_of(&output), "");
}

fn copy_seed_tenant(slug: &str, into: &Path) {
    let folder = into.join(slug);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(
        seed_tenants_dir().join(slug).join("tenant.toml"),
        folder.join("tenant.toml"),
    )
    .unwrap();
}

async fn tenant_apply_is_idempotent_and_follows_changed_manifests(backend: Backend) {
    let env = backend.env();
    let dir = tempfile::tempdir().unwrap();
    copy_seed_tenant("petroupoli", dir.path());
    copy_seed_tenant("paiania", dir.path());
    let path = dir.path().display().to_string();

    let first = run_kentro(&env, &["tenant", "apply", &path]);
    assert!(first.status.success(), "{}", stderr_of(&first));
    // Paiania's manifest names the tutoring plugin, not installed here: the
    // operator is told, and the tenants are applied all the same.
    const NOT_INSTALLED: &str = "paiania cannot enable tutoring: no plugin tutoring is installed\n";
    assert_eq!(
        stdout_of(&first),
        format!("created    paiania\ncreated    petroupoli\n{NOT_INSTALLED}")
    );

    let second = run_kentro(&env, &["tenant", "apply", &path]);
    assert!(second.status.success(), "{}", stderr_of(&second));
    assert_eq!(
        stdout_of(&second),
        format!("unchanged  paiania\nunchanged  petroupoli\n{NOT_INSTALLED}")
    );

    // A new phone number for Petroupoli updates that tenant only.
    let manifest = dir.path().join("petroupoli/tenant.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("210 50 65 885", "210 50 65 886")).unwrap();
    let third = run_kentro(&env, &["tenant", "apply", &path]);
    assert!(third.status.success(), "{}", stderr_of(&third));
    assert_eq!(
        stdout_of(&third),
        format!("unchanged  paiania\nupdated    petroupoli\n{NOT_INSTALLED}")
    );

    add_user(
        &env,
        None,
        "platform_admin",
        "admin@platform.test",
        "a long enough password",
    );
    let server = Server::start(&env, &[]);
    let admin = server
        .login("admin@platform.test", "a long enough password")
        .await;
    let petroupoli = profile_of(&server, &admin, "petroupoli").await;
    assert_eq!(petroupoli.centers[0].phones[0].number, "2105065886");
}

#[tokio::test]
async fn tenant_apply_is_idempotent_and_follows_changed_manifests_on_sqlite() {
    tenant_apply_is_idempotent_and_follows_changed_manifests(Backend::sqlite()).await;
}

#[tokio::test]
async fn tenant_apply_is_idempotent_and_follows_changed_manifests_on_postgres() {
    tenant_apply_is_idempotent_and_follows_changed_manifests(Backend::postgres().await).await;
}

#[tokio::test]
async fn a_bad_manifest_is_reported_by_file_key_and_problem_and_nothing_is_applied() {
    let backend = Backend::postgres().await;
    let env = backend.env();
    let dir = tempfile::tempdir().unwrap();
    copy_seed_tenant("veria", dir.path());
    copy_seed_tenant("mylopotamos", dir.path());
    let broken = dir.path().join("mylopotamos/tenant.toml");
    let text = std::fs::read_to_string(&broken).unwrap();
    std::fs::write(
        &broken,
        text.replace("\"28340-23144\"", "\"2834\"")
            .replace("region = \"crete\"", "region = \"kriti\""),
    )
    .unwrap();
    let path = dir.path().display().to_string();

    for command in ["check", "apply"] {
        let output = run_kentro(&env, &["tenant", command, &path]);
        assert_eq!(output.status.code(), Some(1), "tenant {command}");
        let stderr = stderr_of(&output);
        let file = broken.display().to_string();
        assert!(
            stderr.contains(&format!("{file}: region: \"kriti\" is not a Greek region")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("{file}: centers[0].phones[0].number:")),
            "{stderr}"
        );
        assert!(stderr.contains("nothing was applied"), "{stderr}");
    }

    // Veria's manifest was valid, but nothing is applied from a failing set.
    let output = run_kentro(&env, &["tenant", "list"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output), "");
}

#[test]
fn tenant_check_accepts_the_seed_manifests_without_a_database() {
    let data_dir = tempfile::tempdir().unwrap();
    let env = [(
        "KENTRO_DATA_DIR",
        data_dir.path().join("never-created").display().to_string(),
    )];
    let output = run_kentro(
        &env,
        &["tenant", "check", &seed_tenants_dir().display().to_string()],
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output).lines().count(), 5);
    assert!(!data_dir.path().join("never-created").exists());
}

#[tokio::test]
async fn tenant_by_slug_is_null_when_unknown_and_an_error_naming_the_field_when_malformed() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let admin = server.login(PLATFORM_ADMIN, &demo_password(&backend)).await;

    let admin = server.caller(&admin);
    let status_of = |name: &str| tenant_status_of::Variables { slug: slug(name) };
    let unknown = admin
        .run::<TenantStatusOf>(status_of("atlantis"))
        .await
        .ok();
    assert!(unknown.tenant.is_none());

    let malformed = admin
        .run::<TenantStatusOf>(status_of("Not A Slug"))
        .await
        .refused("VALIDATION");
    assert_eq!(malformed.extensions["field"], "slug", "{malformed:?}");
}

#[tokio::test]
async fn serve_demo_seeds_every_center_with_a_living_week_once() {
    use std::collections::BTreeSet;
    let backend = crate::harness::Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo", "--workload"]);
    let token = server
        .login(
            &demo_account("social-worker", "veria"),
            &demo_password(&backend),
        )
        .await;
    let today = chrono::Utc::now().date_naive();
    let monday = today
        - chrono::Duration::days(
            chrono::Datelike::weekday(&today)
                .num_days_from_monday()
                .into(),
        );
    let worker = server.caller(&token);
    let week = worker
        .run::<DemoWeek>(demo_week::Variables {
            from: monday.to_string(),
            to: (monday + chrono::Duration::days(7)).to_string(),
        })
        .await
        .ok();
    let people = &week.people.nodes;
    assert!(people.len() >= 40, "at least 40 people: {}", people.len());
    assert!(
        people.iter().filter(|p| p.household.is_some()).count() >= 10,
        "households"
    );
    assert!(people.iter().any(|p| !p.consents.is_empty()), "consents");
    let case_states: BTreeSet<String> = week
        .cases
        .nodes
        .iter()
        .map(|c| format!("{:?}", c.status))
        .collect();
    assert_eq!(
        case_states,
        ["CLOSED", "IN_PROGRESS", "OPEN", "REOPENED"]
            .map(String::from)
            .into(),
        "cases in every state"
    );
    assert!(
        week.cases.nodes.iter().all(|c| !c.notes.is_empty()),
        "each case has notes"
    );
    let referral_states: BTreeSet<String> = week
        .referrals
        .nodes
        .iter()
        .map(|r| format!("{:?}", r.status))
        .collect();
    for state in [
        "DRAFT",
        "SENT",
        "ACCEPTED",
        "DECLINED",
        "IN_PROGRESS",
        "COMPLETED",
        "NOT_COMPLETED",
        "CANCELLED",
    ] {
        assert!(
            referral_states.contains(state),
            "a referral {state}: {referral_states:?}"
        );
    }
    assert!(
        week.calendar.len() >= 5,
        "this week's appointments: {:?}",
        week.calendar
    );
    let kea = worker
        .run::<KeaChecklists>(crate::operations::kea_checklists::Variables)
        .await
        .ok();
    let applications: Vec<_> = kea
        .people
        .nodes
        .iter()
        .filter_map(|p| p.household.as_ref())
        .flat_map(|h| &h.kea_applications)
        .collect();
    assert!(!applications.is_empty(), "minimum-income applications");
    assert!(
        applications.iter().any(|a| {
            let states: Vec<String> = a
                .checklist
                .iter()
                .map(|i| format!("{:?}", i.status))
                .collect();
            states.iter().any(|s| s == "RECEIVED") && states.iter().any(|s| s == "MISSING")
        }),
        "an application with part of its documents"
    );
    let count = people.len();
    drop(server);

    // A second start keeps the week as it is.
    let again = Server::start(&backend.demo_env(), &["--demo", "--workload"]);
    let token = again
        .login(
            &demo_account("reception", "veria"),
            &demo_password(&backend),
        )
        .await;
    let people = again
        .caller(&token)
        .run::<PeopleIds>(people_ids::Variables)
        .await
        .ok();
    assert_eq!(people.people.edges.len(), count, "seeded once");
}

/// Suspending a municipality ends its staff's sessions and refuses their
/// logins; its data stays, and reactivating lets them in again. Only a
/// platform admin may do either, and each is in the center's audit log.
#[tokio::test]
async fn a_suspended_municipality_cannot_log_in_and_keeps_its_data() {
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);
    let platform = server.login(PLATFORM_ADMIN, &password).await;
    let (worker_email, worker, person) = veria_registers_a_person(&server, &password).await;
    let admin = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let suspend = |reason: &str| suspend_tenant::Variables {
        slug: slug("veria"),
        reason: reason.to_owned(),
    };
    let platform = server.caller(&platform);

    server
        .caller(&admin)
        .run::<SuspendTenant>(suspend("x"))
        .await
        .refused("FORBIDDEN");
    let no_reason = platform
        .run::<SuspendTenant>(suspend("  "))
        .await
        .refused("VALIDATION");
    assert_eq!(no_reason.extensions["field"], "reason", "{no_reason:?}");

    let suspended = platform
        .run::<SuspendTenant>(suspend("Λήξη σύμβασης χρηματοδότησης"))
        .await
        .ok()
        .suspend_tenant;
    assert_eq!(suspended.status, suspend_tenant::TenantStatus::SUSPENDED);
    for token in [&worker, &admin] {
        let (status, _) = server
            .post_graphql(Some(token), &json!({ "query": "{ me { id } }" }))
            .await;
        assert_eq!(status, 401, "the sessions ended at once");
    }
    server
        .caller("")
        .run::<LogIn>(log_in::Variables {
            email: worker_email.clone(),
            password: password.clone(),
        })
        .await
        .refused("FORBIDDEN");
    // Another municipality carries on.
    server
        .login(&demo_account("social-worker", "paiania"), &password)
        .await;

    let reactivated =
        veria_is_reactivated_with_its_data(&server, &platform, (&worker_email, &password), &person)
            .await;
    assert_eq!(reactivated.suspended_reason, None);
    let admin = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let actions = crate::access::audit_actions(&server.caller(&admin)).await;
    for action in ["tenant.suspended", "tenant.reactivated"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

/// Kalamata as a platform admin would type it in: the same fields as a
/// `tenant.toml`.
fn kalamata() -> serde_json::Value {
    json!({
        "slug": "kalamata",
        "nameEl": "Δήμος Καλαμάτας",
        "nameLatin": "Municipality of Kalamata",
        "region": "peloponnese",
        "funding": { "programme": "Πελοπόννησος 2021-2027", "misCode": "6001234",
                     "inclusionDecision": "ΑΠ 1234/2026" },
        "centers": [{
            "key": "main", "kind": "main", "name": "Κέντρο Κοινότητας Δήμου Καλαμάτας",
            "address": { "street": "Αριστομένους 10", "postalCode": "24100", "locality": "Καλαμάτα" },
            "phones": [{ "number": "2721360700", "label": "Υποδοχή" }],
            "emails": ["kk@kalamata.gr"],
            "accessibility": { "wheelchairAccessible": true },
            "openingHours": [{ "day": "monday", "hours": "08:00-15:00" },
                             { "day": "wednesday", "hours": "08:00-15:00" }],
            "servesAreas": ["Καλαμάτα", "Ασπρόχωμα"],
            "closedOnPublicHolidays": false, "closures": [], "staff": []
        }, {
            "key": "mobile", "kind": "mobile_unit", "name": "Κινητή μονάδα",
            "servesAreas": ["Βέργα", "Ελαιοχώρι"],
            // The typed variables have no defaults: every field is named.
            "phones": [], "emails": [], "openingHours": [],
            "closedOnPublicHolidays": false, "closures": [], "staff": []
        }],
        "plugins": [{ "id": "tutoring",
                      "config": { "subjects": ["Μαθηματικά"], "min_grade": 1, "max_grade": 6 } }]
    })
}

fn create(input: serde_json::Value) -> crate::operations::create_tenant::Variables {
    from_json(json!({ "input": input }))
}

fn update(input: serde_json::Value) -> crate::operations::update_tenant::Variables {
    from_json(json!({ "input": input }))
}

/// Onboarding without a shell: a platform admin creates a municipality
/// over GraphQL (every bad field named by its path, nothing half-saved),
/// its plugins run at once, and its first coordinator is invited by e-mail
/// and chooses their own password.
async fn a_platform_admin_onboards_a_municipality_over_graphql(backend: Backend) {
    let (port, mut mailbox) = crate::harness::fake_smtp().await;
    let mut env = crate::plugins::plugin_env(&backend);
    env.push(("KENTRO_NOTIFY_INTERVAL_SECONDS", "1".into()));
    env.push(("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{port}")));
    let server = Server::start(&env, &["--demo"]);
    let password = demo_password(&backend);
    let admin = server.login(PLATFORM_ADMIN, &password).await;

    // Every problem at once, each at its path; nothing is saved.
    let mut bad = kalamata();
    bad["region"] = json!("atlantis");
    bad["centers"][0]["phones"][0]["number"] = json!("12");
    bad["centers"][0]["openingHours"][0]["hours"] = json!("25:00-26:00");
    bad["centers"][1]["kind"] = json!("spaceship");
    let admin = server.caller(&admin);
    let refused = admin
        .run::<CreateTenant>(create(bad))
        .await
        .refused("VALIDATION");
    let fields: Vec<&str> = refused.extensions["fields"]
        .as_array()
        .expect("every problem")
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for expected in [
        "input.region",
        "input.centers[0].phones[0].number",
        "input.centers[0].openingHours.monday",
        "input.centers[1].kind",
    ] {
        assert!(fields.contains(&expected), "{expected} in {fields:?}");
    }
    let kalamata_status = || tenant_status_of::Variables {
        slug: slug("kalamata"),
    };
    let nothing = admin.run::<TenantStatusOf>(kalamata_status()).await.ok();
    assert!(nothing.tenant.is_none(), "{nothing:?}");

    // A good one: created, with its centers, and its plugin running.
    let tenant = admin
        .run::<CreateTenant>(create(kalamata()))
        .await
        .ok()
        .create_tenant;
    assert_eq!(tenant.slug, "kalamata");
    assert_eq!(
        tenant.region.code,
        crate::operations::create_tenant::RegionCode::PELOPONNESE
    );
    assert_eq!(
        tenant.status,
        crate::operations::create_tenant::TenantStatus::ACTIVE
    );
    assert_eq!(
        tenant
            .centers
            .iter()
            .map(|c| c.key.as_str())
            .collect::<Vec<_>>(),
        ["main", "mobile"]
    );
    assert_eq!(
        tenant
            .plugins
            .iter()
            .map(|p| (p.id.as_str(), p.running))
            .collect::<Vec<_>>(),
        [("tutoring", true)],
        "the manifest's plugin runs at once, outside --demo's own path"
    );

    // The slug is taken now; a change goes through updateTenant.
    let again = admin
        .run::<CreateTenant>(create(kalamata()))
        .await
        .refused("CONFLICT");
    assert_eq!(again.extensions["field"], "input.slug");
    let mut renamed = kalamata();
    renamed["nameLatin"] = json!("Kalamata");
    let updated = admin
        .run::<UpdateTenant>(update(renamed))
        .await
        .ok()
        .update_tenant;
    assert_eq!(
        (updated.slug.as_str(), updated.name_latin.as_str()),
        ("kalamata", "Kalamata")
    );
    let mut nowhere = kalamata();
    nowhere["slug"] = json!("nowhere");
    let unknown = admin
        .run::<UpdateTenant>(update(nowhere))
        .await
        .refused("VALIDATION");
    assert_eq!(unknown.extensions["field"], "input.slug");

    // The first coordinator: invited by e-mail, chooses their own password.
    let invite = |tenant: &str, email: &str, name: &str| invite_coordinator::Variables {
        tenant: tenant.to_owned(),
        email: email.to_owned(),
        name: name.to_owned(),
    };
    let invited = admin
        .run::<InviteCoordinator>(invite("kalamata", "syntonistria@kalamata.gr", "Μαρία Κ."))
        .await
        .ok()
        .invite_coordinator;
    assert_eq!(invited.email, "syntonistria@kalamata.gr");
    assert_eq!(invited.role, invite_coordinator::Role::TENANT_ADMIN);
    assert_eq!(
        invited.status,
        invite_coordinator::InvitationStatus::PENDING
    );
    let mail = crate::invitations::mail_to(&mut mailbox, "syntonistria@kalamata.gr").await;
    let token = crate::invitations::invitation_token(&mail);
    let session = server
        .caller("")
        .run::<crate::operations::AcceptInvitation>(
            crate::operations::accept_invitation::Variables {
                token,
                password: "ο κωδικός της συντονίστριας".into(),
            },
        )
        .await
        .ok()
        .accept_invitation
        .token;
    let coordinator = server.caller(&session);
    let me = coordinator
        .run::<MeAndMyTenant>(me_and_my_tenant::Variables)
        .await
        .ok();
    assert_eq!(
        me.me.map(|me| me.role),
        Some(me_and_my_tenant::Role::TENANT_ADMIN)
    );
    let own = me.my_tenant.expect("the coordinator's center");
    assert_eq!(own.slug, "kalamata");

    // The readiness checklist: the platform admin's and the coordinator's
    // own, nobody else's.
    let readiness_of_kalamata = || tenant_readiness_of::Variables {
        slug: slug("kalamata"),
    };
    let seen = admin
        .run::<TenantReadinessOf>(readiness_of_kalamata())
        .await
        .ok()
        .tenant
        .expect("Kalamata")
        .readiness;
    {
        use tenant_readiness_of::ReadinessItem::{DIRECTORY, PARTNER_KEYS, STAFF};
        assert_eq!(seen.missing, [STAFF, DIRECTORY, PARTNER_KEYS]);
    }
    assert_eq!(
        (seen.coordinators, seen.plugins_enabled, seen.plugins_named),
        (1, 1, 1)
    );
    assert_eq!(own.readiness.coordinators, 1);
    let overseer = server
        .login(crate::harness::MINISTRY_OVERSEER, &password)
        .await;
    server
        .caller(&overseer)
        .run::<TenantReadinessOf>(readiness_of_kalamata())
        .await
        .refused("FORBIDDEN");

    // The platform's own log holds what happened, its chain whole.
    let log = admin
        .run::<PlatformLog>(platform_log::Variables)
        .await
        .ok()
        .platform_audit_log;
    assert_eq!(log.first_broken, None, "{log:?}");
    let seen = |action: &str, entity: &str| {
        log.entries
            .iter()
            .any(|e| e.action == action && e.entity_id.contains(entity))
    };
    assert!(seen("tenant.created", "kalamata"), "{log:?}");
    assert!(seen("tenant.updated", "kalamata"), "{log:?}");
    assert!(seen("plugin.installed", "tutoring"), "{log:?}");
    assert!(
        log.entries
            .iter()
            .any(|e| e.action == "session.login" && e.actor == PLATFORM_ADMIN),
        "the platform admin's login: {log:?}"
    );

    // Offboarding's export: every record of the municipality, no one
    // else's, no secret.
    let file = admin
        .run::<TenantExport>(tenant_export::Variables {
            slug: slug("kalamata"),
        })
        .await
        .ok()
        .tenant_export;
    assert!(
        file.filename.starts_with("kentro-kalamata-"),
        "{}",
        file.filename
    );
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&file.content_base64)
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(!text.contains("argon2"), "no password hash leaves");
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["municipality"]["slug"], "kalamata");
    let tables = document["tables"].as_object().unwrap();
    for required in [
        "user_account",
        "audit_entry",
        "center",
        "invitation",
        "plugin_activation",
    ] {
        assert!(
            tables
                .get(required)
                .and_then(|t| t.as_array())
                .is_some_and(|rows| !rows.is_empty()),
            "{required} is in the export: {}",
            tables.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    let ids: std::collections::BTreeSet<i64> = tables
        .values()
        .flat_map(|rows| rows.as_array().unwrap())
        .map(|row| {
            row["tenant_id"]
                .as_i64()
                .expect("every row names its tenant")
        })
        .collect();
    assert_eq!(ids.len(), 1, "one municipality's rows only: {ids:?}");
    assert!(document["directory_hsds"].is_object());
    let seen_export = admin
        .run::<PlatformLog>(platform_log::Variables)
        .await
        .ok()
        .platform_audit_log;
    assert!(
        seen_export
            .entries
            .iter()
            .any(|e| e.action == "tenant.exported" && e.entity_id == "kalamata"),
        "the export is on the platform's log: {seen_export:?}"
    );

    // Only the platform admin onboards.
    let coordinator = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let coordinator = server.caller(&coordinator);
    let mut other = kalamata();
    other["slug"] = json!("sparti");
    coordinator
        .run::<CreateTenant>(create(other))
        .await
        .refused("FORBIDDEN");
    coordinator
        .run::<InviteCoordinator>(invite("kalamata", "x@kalamata.gr", "X"))
        .await
        .refused("FORBIDDEN");
}

#[tokio::test]
async fn a_platform_admin_onboards_a_municipality_over_graphql_on_sqlite() {
    a_platform_admin_onboards_a_municipality_over_graphql(Backend::sqlite()).await;
}

#[tokio::test]
async fn a_platform_admin_onboards_a_municipality_over_graphql_on_postgres() {
    a_platform_admin_onboards_a_municipality_over_graphql(Backend::postgres().await).await;
}

/// Veria's social worker logs in and registers Σοφία Λάμπρου: the worker's
/// e-mail, session token, and the person's id.
async fn veria_registers_a_person(server: &Server, password: &str) -> (String, String, String) {
    let worker_email = demo_account("social-worker", "veria");
    let worker = server.login(&worker_email, password).await;
    let person = server
        .caller(&worker)
        .run::<RegisterNamed>(register_named::Variables {
            given: "Σοφία".into(),
            family: "Λάμπρου".into(),
        })
        .await
        .ok()
        .register_person
        .id;
    (worker_email, worker, person)
}

/// Reactivates Veria as `platform`; its worker logs in again and finds
/// Σοφία Λάμπρου (`person`) as she was.
async fn veria_is_reactivated_with_its_data(
    server: &Server,
    platform: &crate::harness::Client<'_>,
    (worker_email, password): (&str, &str),
    person: &str,
) -> reactivate_tenant::ReactivateTenantReactivateTenant {
    let reactivated = platform
        .run::<ReactivateTenant>(reactivate_tenant::Variables {
            slug: slug("veria"),
        })
        .await
        .ok()
        .reactivate_tenant;
    assert_eq!(reactivated.status, reactivate_tenant::TenantStatus::ACTIVE);
    let worker = server.login(worker_email, password).await;
    let kept = server
        .caller(&worker)
        .run::<PersonForDesk>(person_for_desk::Variables {
            id: person.to_owned(),
        })
        .await
        .ok()
        .person;
    assert_eq!(kept.display_name, "Σοφία Λάμπρου");
    reactivated
}

/// How many rows each table holds for `tenant_id`, for every table that has
/// the column, read past row-level security.
async fn rows_per_table(
    db: &sea_orm::DatabaseConnection,
    tenant_id: i64,
) -> std::collections::BTreeMap<String, i64> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let backend = db.get_database_backend();
    let catalog = match backend {
        DbBackend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.columns
              WHERE table_schema = 'public' AND column_name = 'tenant_id'"
        }
        _ => {
            "SELECT m.name AS name FROM sqlite_master m, pragma_table_info(m.name) p
              WHERE m.type = 'table' AND p.name = 'tenant_id'"
        }
    };
    let mut counts = std::collections::BTreeMap::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, catalog))
        .await
        .unwrap()
    {
        let table: String = row.try_get("", "name").unwrap();
        let count = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table} WHERE tenant_id = {tenant_id}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        counts.insert(table, count);
    }
    counts
}

async fn tenant_id_of(db: &sea_orm::DatabaseConnection, slug: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        format!("SELECT id FROM tenant WHERE slug = '{slug}'"),
    ))
    .await
    .unwrap()
    .expect("the municipality exists")
    .try_get::<i64>("", "id")
    .unwrap()
}

fn offboard(name: &str) -> offboard_tenant::Variables {
    offboard_tenant::Variables { slug: slug(name) }
}

/// Offboarding locks a municipality's staff out at once and keeps its data
/// for the grace period, in which it can be exported, and reactivating
/// cancels the deletion. Once the grace period has passed, the server
/// deletes every row of its data, its audit log included, and nothing of
/// another municipality's; the platform's log records each step, and the
/// remaining chains still verify.
async fn an_offboarded_municipality_is_deleted_after_its_grace_period(backend: Backend) {
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);
    let platform = server.login(PLATFORM_ADMIN, &password).await;
    let (worker_email, worker, person) = veria_registers_a_person(&server, &password).await;
    let coordinator = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    server
        .caller(&coordinator)
        .run::<OffboardTenant>(offboard("veria"))
        .await
        .refused("FORBIDDEN");

    let platform = server.caller(&platform);
    let tenant = platform
        .run::<OffboardTenant>(offboard("veria"))
        .await
        .ok()
        .offboard_tenant;
    assert_eq!(tenant.status, offboard_tenant::TenantStatus::OFFBOARDING);
    assert_eq!(tenant.data_deleted_at, None);
    let due: chrono::DateTime<chrono::Utc> = tenant
        .deletion_due_at
        .expect("a deletion date")
        .parse()
        .unwrap();
    let days = (due - chrono::Utc::now()).num_days();
    assert!(
        (29..=30).contains(&days),
        "30 days' grace by default: {due}"
    );
    platform
        .run::<OffboardTenant>(offboard("veria"))
        .await
        .refused("CONFLICT");
    let (status, _) = server
        .post_graphql(Some(&worker), &json!({ "query": "{ me { id } }" }))
        .await;
    assert_eq!(status, 401, "the staff's sessions ended at once");
    server
        .caller("")
        .run::<LogIn>(log_in::Variables {
            email: worker_email.clone(),
            password: password.clone(),
        })
        .await
        .refused("FORBIDDEN");
    let export = platform
        .run::<TenantExport>(tenant_export::Variables {
            slug: slug("veria"),
        })
        .await
        .ok()
        .tenant_export;
    assert!(
        export.filename.starts_with("kentro-veria-"),
        "the data can be exported in the grace period: {}",
        export.filename
    );
    // A change of mind within the grace period keeps everything.
    let reactivated =
        veria_is_reactivated_with_its_data(&server, &platform, (&worker_email, &password), &person)
            .await;
    assert_eq!(reactivated.deletion_due_at, None);
    drop(server);

    let db = backend.every_row().await;
    let veria = tenant_id_of(&db, "veria").await;
    let paiania = tenant_id_of(&db, "paiania").await;
    if let Some(database) = backend.database() {
        // The server's role cannot delete an active municipality, even by
        // calling the owner's function itself.
        let server_role = sea_orm::Database::connect(database.server_url.as_str())
            .await
            .unwrap();
        use sea_orm::ConnectionTrait;
        let early = server_role
            .execute_unprepared(&format!("SELECT kentro_delete_offboarded_tenant({veria})"))
            .await;
        assert!(early.is_err(), "an active municipality was deleted");
    }
    let before = rows_per_table(&db, veria).await;
    assert!(
        before["person"] > 0 && before["audit_entry"] > 0,
        "{before:?}"
    );
    let others_before = rows_per_table(&db, paiania).await;

    // With no grace period, the server deletes on its next round.
    let mut env = backend.demo_env();
    env.push(("KENTRO_OFFBOARDING_GRACE_DAYS", "0".into()));
    env.push(("KENTRO_NOTIFY_INTERVAL_SECONDS", "1".into()));
    let server = Server::start(&env, &["--demo"]);
    let platform = server.login(PLATFORM_ADMIN, &password).await;
    let platform = server.caller(&platform);
    platform.run::<OffboardTenant>(offboard("veria")).await.ok();
    let mut tenant = None;
    for _ in 0..100 {
        tenant = platform
            .run::<TenantStatusOf>(tenant_status_of::Variables {
                slug: slug("veria"),
            })
            .await
            .ok()
            .tenant;
        if tenant.as_ref().map(|t| &t.status) == Some(&tenant_status_of::TenantStatus::OFFBOARDED) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let tenant = tenant.expect("Veria is still listed");
    assert_eq!(tenant.status, tenant_status_of::TenantStatus::OFFBOARDED);
    assert!(tenant.data_deleted_at.is_some());

    let after = rows_per_table(&db, veria).await;
    let left: Vec<_> = after
        .iter()
        .filter(|(table, n)| {
            **n > 0
                && ![
                    "tenant_suspension",
                    "tenant_offboarding",
                    "indicator_cell",
                    "tenant_indicator_state",
                ]
                .contains(&table.as_str())
        })
        .collect();
    assert!(left.is_empty(), "rows left behind: {left:?}");
    assert_eq!(
        rows_per_table(&db, paiania).await,
        others_before,
        "another municipality keeps every row"
    );
    platform
        .run::<TenantExport>(tenant_export::Variables {
            slug: slug("veria"),
        })
        .await
        .refused("CONFLICT");
    platform
        .run::<ReactivateTenant>(reactivate_tenant::Variables {
            slug: slug("veria"),
        })
        .await
        .refused("CONFLICT");
    let log = platform
        .run::<PlatformLog>(platform_log::Variables)
        .await
        .ok()
        .platform_audit_log;
    for action in [
        "tenant.offboarded",
        "tenant.offboarding_cancelled",
        "tenant.exported",
        "tenant.deleted",
    ] {
        assert!(
            log.entries.iter().any(|e| e.action == action),
            "{action} on the platform's log: {log:?}"
        );
    }
    drop(server);
    let verify = run_kentro(&backend.demo_env(), &["audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr_of(&verify));
}

#[tokio::test]
async fn an_offboarded_municipality_is_deleted_after_its_grace_period_on_sqlite() {
    an_offboarded_municipality_is_deleted_after_its_grace_period(Backend::sqlite()).await;
}

#[tokio::test]
async fn an_offboarded_municipality_is_deleted_after_its_grace_period_on_postgres() {
    an_offboarded_municipality_is_deleted_after_its_grace_period(Backend::postgres().await).await;
}
