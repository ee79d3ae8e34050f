//! Onboarding municipalities from manifests, and reading them over GraphQL,
//! on the embedded default and on PostgreSQL + Redis alike.

use std::path::Path;

use serde_json::json;

use crate::harness::{
    Backend, PLATFORM_ADMIN, SEED_SLUGS, Server, add_user, demo_account, demo_password, run_kentro,
    seed_tenants_dir, stderr_of, stdout_of, tenant_slugs,
};

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

    let response = server
        .graphql_as(
            Some(&admin),
            r#"query($slug: String!) { tenant(slug: $slug) {
                nameEl region { code nameEl } funding { programme }
                centers { kind name address { street locality } phones { number }
                          accessibility { wheelchairAccessible }
                          openingHours { weekday ranges { opens closes } }
                          staff { role count } } } }"#,
            json!({ "slug": "veria" }),
        )
        .await;
    assert!(response.get("errors").is_none(), "{response}");
    let veria = &response["data"]["tenant"];
    assert_eq!(veria["nameEl"], "Δήμος Βέροιας");
    assert_eq!(veria["region"]["code"], "CENTRAL_MACEDONIA");
    assert_eq!(
        veria["funding"]["programme"],
        "Κεντρική Μακεδονία 2014-2020"
    );
    let main = &veria["centers"][0];
    assert_eq!(main["kind"], "MAIN");
    assert_eq!(main["address"]["street"], "Σταδίου 51");
    assert_eq!(main["phones"][0]["number"], "2331353834");
    assert_eq!(main["accessibility"]["wheelchairAccessible"], true);
    assert_eq!(main["openingHours"].as_array().unwrap().len(), 5);
    assert_eq!(
        main["openingHours"][0],
        json!({ "weekday": "MONDAY", "ranges": [{ "opens": "08:00", "closes": "16:00" }] })
    );
    assert_eq!(
        main["staff"],
        json!([{ "role": "SOCIAL_WORKER", "count": 2 }, { "role": "PSYCHOLOGIST", "count": 1 }])
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
    let response = server
        .graphql_as(
            Some(&admin),
            r#"{ tenant(slug: "petroupoli") { centers { phones { number } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        response["data"]["tenant"]["centers"][0]["phones"][0]["number"], "2105065886",
        "{response}"
    );
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

    let unknown = server
        .graphql_as(
            Some(&admin),
            r#"{ tenant(slug: "atlantis") { slug } }"#,
            json!({}),
        )
        .await;
    assert!(unknown.get("errors").is_none(), "{unknown}");
    assert!(unknown["data"]["tenant"].is_null());

    let malformed = server
        .graphql_as(
            Some(&admin),
            r#"{ tenant(slug: "Not A Slug") { slug } }"#,
            json!({}),
        )
        .await;
    let error = &malformed["errors"][0];
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{malformed}");
    assert_eq!(error["extensions"]["field"], "slug", "{malformed}");
}

#[tokio::test]
async fn serve_demo_seeds_every_center_with_a_living_week_once() {
    use crate::harness::{Server, demo_account, demo_password};
    use serde_json::Value;
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
    let answer = server
        .graphql_as(
            Some(&token),
            "query($from: String!, $to: String!) {
               people(first: 100) { nodes { id household { id } consents { purpose } } }
               cases(first: 100) { nodes { status notes { id } withheldNotes { id } } }
               referrals(first: 100) { nodes { status } }
               calendar(from: $from, to: $to) { id }
             }",
            json!({ "from": monday.to_string(), "to": (monday + chrono::Duration::days(7)).to_string() }),
        )
        .await;
    assert!(answer.get("errors").is_none(), "{answer}");
    let data = &answer["data"];
    let people = data["people"]["nodes"].as_array().expect("people");
    assert!(people.len() >= 40, "at least 40 people: {}", people.len());
    assert!(
        people.iter().filter(|p| p["household"].is_object()).count() >= 10,
        "households"
    );
    assert!(
        people
            .iter()
            .any(|p| p["consents"].as_array().is_some_and(|c| !c.is_empty())),
        "consents"
    );
    let statuses = |list: &Value| -> std::collections::BTreeSet<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|n| n["status"].as_str().expect("a status").to_owned())
            .collect()
    };
    assert_eq!(
        statuses(&data["cases"]["nodes"]),
        ["CLOSED", "IN_PROGRESS", "OPEN", "REOPENED"]
            .map(String::from)
            .into(),
        "cases in every state"
    );
    assert!(
        data["cases"]["nodes"]
            .as_array()
            .expect("cases")
            .iter()
            .all(|c| !c["notes"].as_array().expect("notes").is_empty()),
        "each case has notes"
    );
    let referral_states = statuses(&data["referrals"]["nodes"]);
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
        data["calendar"].as_array().is_some_and(|a| a.len() >= 5),
        "this week's appointments: {}",
        data["calendar"]
    );
    let kea = server
        .graphql_as(Some(&token), "{ people(first: 100) { nodes { household { keaApplications { checklist { status } } } } } }", json!({}))
        .await;
    let checklists: Vec<&Value> = kea["data"]["people"]["nodes"]
        .as_array()
        .expect("people")
        .iter()
        .filter_map(|p| p["household"]["keaApplications"].as_array())
        .flatten()
        .collect();
    assert!(!checklists.is_empty(), "minimum-income applications");
    assert!(
        checklists.iter().any(|a| {
            let items = a["checklist"].as_array().expect("a checklist");
            items.iter().any(|i| i["status"] == "RECEIVED")
                && items.iter().any(|i| i["status"] == "MISSING")
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
        .graphql_as(
            Some(&token),
            "{ people(first: 100) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        people["data"]["people"]["nodes"].as_array().map(Vec::len),
        Some(count),
        "seeded once"
    );
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
    const SUSPEND: &str = "mutation($slug: String!, $reason: String!) {
        suspendTenant(slug: $slug, reason: $reason) { slug status suspendedReason } }";

    let not_theirs = server
        .graphql_as(
            Some(&admin),
            SUSPEND,
            json!({ "slug": "veria", "reason": "x" }),
        )
        .await;
    assert_eq!(
        not_theirs["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{not_theirs}"
    );
    let no_reason = server
        .graphql_as(
            Some(&platform),
            SUSPEND,
            json!({ "slug": "veria", "reason": "  " }),
        )
        .await;
    assert_eq!(
        no_reason["errors"][0]["extensions"]["field"], "reason",
        "{no_reason}"
    );

    let suspended = server
        .graphql_as(
            Some(&platform),
            SUSPEND,
            json!({ "slug": "veria", "reason": "Λήξη σύμβασης χρηματοδότησης" }),
        )
        .await;
    assert_eq!(
        suspended["data"]["suspendTenant"]["status"], "SUSPENDED",
        "{suspended}"
    );
    for token in [&worker, &admin] {
        let (status, _) = server
            .post_graphql(Some(token), &json!({ "query": "{ me { id } }" }))
            .await;
        assert_eq!(status, 401, "the sessions ended at once");
    }
    let refused = server
        .graphql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": worker_email, "p": password }),
        )
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    // Another municipality carries on.
    server
        .login(&demo_account("social-worker", "paiania"), &password)
        .await;

    let reactivated = server
        .graphql_as(
            Some(&platform),
            "mutation { reactivateTenant(slug: \"veria\") { status suspendedReason } }",
            json!({}),
        )
        .await;
    assert_eq!(
        reactivated["data"]["reactivateTenant"],
        json!({ "status": "ACTIVE", "suspendedReason": null })
    );
    let worker = server.login(&worker_email, &password).await;
    let kept = server
        .graphql_as(
            Some(&worker),
            "query($id: ID!) { person(id: $id) { displayName } }",
            json!({ "id": person }),
        )
        .await;
    assert_eq!(
        kept["data"]["person"]["displayName"], "Σοφία Λάμπρου",
        "{kept}"
    );
    let admin = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let log = server
        .graphql_as(
            Some(&admin),
            "{ auditLog(first: 20) { edges { node { action } } } }",
            json!({}),
        )
        .await
        .to_string();
    for action in ["tenant.suspended", "tenant.reactivated"] {
        assert!(log.contains(action), "{action} in {log}");
    }
}

const CREATE: &str = "mutation($input: TenantInput!) { createTenant(input: $input) {
    slug nameEl nameLatin region { code } status plugins { id running } centers { key } } }";
const UPDATE: &str =
    "mutation($input: TenantInput!) { updateTenant(input: $input) { slug nameLatin } }";
const INVITE_COORDINATOR: &str = "mutation($tenant: String!, $email: String!, $name: String!) {
    inviteCoordinator(tenant: $tenant, email: $email, name: $name) { email role status } }";

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
            "servesAreas": ["Καλαμάτα", "Ασπρόχωμα"]
        }, {
            "key": "mobile", "kind": "mobile_unit", "name": "Κινητή μονάδα",
            "servesAreas": ["Βέργα", "Ελαιοχώρι"]
        }],
        "plugins": [{ "id": "tutoring",
                      "config": { "subjects": ["Μαθηματικά"], "min_grade": 1, "max_grade": 6 } }]
    })
}

fn errors_code(response: &serde_json::Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
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
    let refused = server
        .graphql_as(Some(&admin), CREATE, json!({ "input": bad }))
        .await;
    assert_eq!(errors_code(&refused), Some("VALIDATION"), "{refused}");
    let fields: Vec<&str> = refused["errors"][0]["extensions"]["fields"]
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
    let nothing = server
        .graphql_as(
            Some(&admin),
            "{ tenant(slug: \"kalamata\") { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(
        nothing["data"]["tenant"],
        serde_json::Value::Null,
        "{nothing}"
    );

    // A good one: created, with its centers, and its plugin running.
    let created = server
        .graphql_as(Some(&admin), CREATE, json!({ "input": kalamata() }))
        .await;
    assert!(created.get("errors").is_none(), "{created}");
    let tenant = &created["data"]["createTenant"];
    assert_eq!(tenant["slug"], "kalamata");
    assert_eq!(tenant["region"]["code"], "PELOPONNESE");
    assert_eq!(tenant["status"], "ACTIVE");
    assert_eq!(
        tenant["centers"],
        json!([{ "key": "main" }, { "key": "mobile" }])
    );
    assert_eq!(
        tenant["plugins"],
        json!([{ "id": "tutoring", "running": true }]),
        "the manifest's plugin runs at once, outside --demo's own path"
    );

    // The slug is taken now; a change goes through updateTenant.
    let again = server
        .graphql_as(Some(&admin), CREATE, json!({ "input": kalamata() }))
        .await;
    assert_eq!(errors_code(&again), Some("CONFLICT"), "{again}");
    assert_eq!(again["errors"][0]["extensions"]["field"], "input.slug");
    let mut renamed = kalamata();
    renamed["nameLatin"] = json!("Kalamata");
    let updated = server
        .graphql_as(Some(&admin), UPDATE, json!({ "input": renamed }))
        .await;
    assert_eq!(
        updated["data"]["updateTenant"],
        json!({ "slug": "kalamata", "nameLatin": "Kalamata" }),
        "{updated}"
    );
    let mut nowhere = kalamata();
    nowhere["slug"] = json!("nowhere");
    let unknown = server
        .graphql_as(Some(&admin), UPDATE, json!({ "input": nowhere }))
        .await;
    assert_eq!(errors_code(&unknown), Some("VALIDATION"), "{unknown}");
    assert_eq!(unknown["errors"][0]["extensions"]["field"], "input.slug");

    // The first coordinator: invited by e-mail, chooses their own password.
    let invited = server
        .graphql_as(
            Some(&admin),
            INVITE_COORDINATOR,
            json!({ "tenant": "kalamata", "email": "syntonistria@kalamata.gr", "name": "Μαρία Κ." }),
        )
        .await;
    assert_eq!(
        invited["data"]["inviteCoordinator"],
        json!({ "email": "syntonistria@kalamata.gr", "role": "TENANT_ADMIN", "status": "PENDING" }),
        "{invited}"
    );
    let mail = crate::invitations::mail_to(&mut mailbox, "syntonistria@kalamata.gr").await;
    let token = crate::invitations::invitation_token(&mail);
    let accepted = server
        .graphql_as(
            None,
            "mutation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) { token } }",
            json!({ "token": token, "password": "ο κωδικός της συντονίστριας" }),
        )
        .await;
    let session = accepted["data"]["acceptInvitation"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{accepted}"))
        .to_owned();
    let me = server
        .graphql_as(
            Some(&session),
            "{ me { role } myTenant { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["data"],
        json!({ "me": { "role": "TENANT_ADMIN" }, "myTenant": { "slug": "kalamata" } })
    );

    // The readiness checklist: the platform admin's and the coordinator's
    // own, nobody else's.
    let readiness = "{ tenant(slug: \"kalamata\") { readiness { missing coordinators pluginsEnabled pluginsNamed } } }";
    let seen = server.graphql_as(Some(&admin), readiness, json!({})).await;
    assert_eq!(
        seen["data"]["tenant"]["readiness"],
        json!({ "missing": ["STAFF", "DIRECTORY", "PARTNER_KEYS"], "coordinators": 1,
                "pluginsEnabled": 1, "pluginsNamed": 1 }),
        "{seen}"
    );
    let own = server
        .graphql_as(
            Some(&session),
            "{ myTenant { readiness { coordinators } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        own["data"]["myTenant"]["readiness"]["coordinators"], 1,
        "{own}"
    );
    let overseer = server
        .login(crate::harness::MINISTRY_OVERSEER, &password)
        .await;
    let refused = server
        .graphql_as(Some(&overseer), readiness, json!({}))
        .await;
    assert_eq!(errors_code(&refused), Some("FORBIDDEN"), "{refused}");

    // The platform's own log holds what happened, its chain whole.
    let log = server
        .graphql_as(
            Some(&admin),
            "{ platformAuditLog(first: 100) { chainLength firstBroken entries { action entityId actor } } }",
            json!({}),
        )
        .await;
    let log = &log["data"]["platformAuditLog"];
    assert_eq!(log["firstBroken"], serde_json::Value::Null, "{log}");
    let seen = |action: &str, entity: &str| {
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == action && e["entityId"].as_str().unwrap().contains(entity))
    };
    assert!(seen("tenant.created", "kalamata"), "{log}");
    assert!(seen("tenant.updated", "kalamata"), "{log}");
    assert!(seen("plugin.installed", "tutoring"), "{log}");
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "session.login" && e["actor"] == PLATFORM_ADMIN),
        "the platform admin's login: {log}"
    );

    // Offboarding's export: every record of the municipality, no one
    // else's, no secret.
    let export = server
        .graphql_as(
            Some(&admin),
            "{ tenantExport(slug: \"kalamata\") { filename contentType contentBase64 } }",
            json!({}),
        )
        .await;
    let file = &export["data"]["tenantExport"];
    assert!(
        file["filename"]
            .as_str()
            .unwrap()
            .starts_with("kentro-kalamata-"),
        "{export}"
    );
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file["contentBase64"].as_str().unwrap())
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
    let seen_export = server
        .graphql_as(
            Some(&admin),
            "{ platformAuditLog { entries { action entityId } } }",
            json!({}),
        )
        .await;
    assert!(
        seen_export["data"]["platformAuditLog"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "tenant.exported" && e["entityId"] == "kalamata"),
        "the export is on the platform's log: {seen_export}"
    );

    // Only the platform admin onboards.
    let coordinator = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let mut other = kalamata();
    other["slug"] = json!("sparti");
    for (query, variables) in [
        (CREATE, json!({ "input": other })),
        (
            INVITE_COORDINATOR,
            json!({ "tenant": "kalamata", "email": "x@kalamata.gr", "name": "X" }),
        ),
    ] {
        let refused = server
            .graphql_as(Some(&coordinator), query, variables)
            .await;
        assert_eq!(errors_code(&refused), Some("FORBIDDEN"), "{refused}");
    }
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
async fn veria_registers_a_person(
    server: &Server,
    password: &str,
) -> (String, String, serde_json::Value) {
    let worker_email = demo_account("social-worker", "veria");
    let worker = server.login(&worker_email, password).await;
    let person = server
        .graphql_as(
            Some(&worker),
            "mutation { registerPerson(input: { givenNameEl: \"Σοφία\", familyNameEl: \"Λάμπρου\" }) { id } }",
            json!({}),
        )
        .await["data"]["registerPerson"]["id"]
        .clone();
    assert!(person.is_string(), "Σοφία is registered: {person}");
    (worker_email, worker, person)
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

const OFFBOARD: &str = "mutation($slug: String!) {
    offboardTenant(slug: $slug) { slug status deletionDueAt dataDeletedAt } }";

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
    let refused = server
        .graphql_as(Some(&coordinator), OFFBOARD, json!({ "slug": "veria" }))
        .await;
    assert_eq!(errors_code(&refused), Some("FORBIDDEN"), "{refused}");

    let offboarded = server
        .graphql_as(Some(&platform), OFFBOARD, json!({ "slug": "veria" }))
        .await;
    let tenant = &offboarded["data"]["offboardTenant"];
    assert_eq!(tenant["status"], "OFFBOARDING", "{offboarded}");
    assert_eq!(tenant["dataDeletedAt"], serde_json::Value::Null);
    let due: chrono::DateTime<chrono::Utc> =
        tenant["deletionDueAt"].as_str().unwrap().parse().unwrap();
    let days = (due - chrono::Utc::now()).num_days();
    assert!(
        (29..=30).contains(&days),
        "30 days' grace by default: {due}"
    );
    let again = server
        .graphql_as(Some(&platform), OFFBOARD, json!({ "slug": "veria" }))
        .await;
    assert_eq!(errors_code(&again), Some("CONFLICT"), "{again}");
    let (status, _) = server
        .post_graphql(Some(&worker), &json!({ "query": "{ me { id } }" }))
        .await;
    assert_eq!(status, 401, "the staff's sessions ended at once");
    let login = server
        .graphql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": worker_email, "p": password }),
        )
        .await;
    assert_eq!(errors_code(&login), Some("FORBIDDEN"), "{login}");
    let export = server
        .graphql_as(
            Some(&platform),
            "{ tenantExport(slug: \"veria\") { filename } }",
            json!({}),
        )
        .await;
    assert!(
        export["data"]["tenantExport"]["filename"].is_string(),
        "the data can be exported in the grace period: {export}"
    );
    // A change of mind within the grace period keeps everything.
    let reactivated = server
        .graphql_as(
            Some(&platform),
            "mutation { reactivateTenant(slug: \"veria\") { status deletionDueAt } }",
            json!({}),
        )
        .await;
    assert_eq!(
        reactivated["data"]["reactivateTenant"],
        json!({ "status": "ACTIVE", "deletionDueAt": null }),
        "{reactivated}"
    );
    let worker = server.login(&worker_email, &password).await;
    let kept = server
        .graphql_as(
            Some(&worker),
            "query($id: ID!) { person(id: $id) { displayName } }",
            json!({ "id": person }),
        )
        .await;
    assert_eq!(kept["data"]["person"]["displayName"], "Σοφία Λάμπρου");
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
    server
        .graphql_as(Some(&platform), OFFBOARD, json!({ "slug": "veria" }))
        .await;
    let mut status = serde_json::Value::Null;
    for _ in 0..100 {
        status = server
            .graphql_as(
                Some(&platform),
                "{ tenant(slug: \"veria\") { status dataDeletedAt } }",
                json!({}),
            )
            .await;
        if status["data"]["tenant"]["status"] == "OFFBOARDED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(status["data"]["tenant"]["status"], "OFFBOARDED", "{status}");
    assert!(status["data"]["tenant"]["dataDeletedAt"].is_string());

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
    for too_late in [
        "{ tenantExport(slug: \"veria\") { filename } }",
        "mutation { reactivateTenant(slug: \"veria\") { status } }",
    ] {
        let refused = server
            .graphql_as(Some(&platform), too_late, json!({}))
            .await;
        assert_eq!(errors_code(&refused), Some("CONFLICT"), "{refused}");
    }
    let log = server
        .graphql_as(
            Some(&platform),
            "{ platformAuditLog(first: 100) { entries { action entityId } } }",
            json!({}),
        )
        .await
        .to_string();
    for action in [
        "tenant.offboarded",
        "tenant.offboarding_cancelled",
        "tenant.exported",
        "tenant.deleted",
    ] {
        assert!(
            log.contains(action),
            "{action} on the platform's log: {log}"
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
