//! Accounts, sessions, roles, the audit log and API limits, as a client meets them.

use serde_json::{Value, json};

use crate::harness::{
    Answer, Backend, MINISTRY_OVERSEER, PLATFORM_ADMIN, Server, code, demo_account, demo_password,
    run_kentro, seed_tenants_dir, stderr_of, stdout_of,
};
use crate::operations::{
    AuditByActor, AuditSequencesOf, AuditTrail, LogIn, LogOut, Me, MyEmail, OpenHousingCase,
    PeopleAndCaseIds, RegisterNamed, TenantName, TenantSlugs, Users, WhoRead, audit_by_actor,
    audit_sequences_of, log_in, me, open_housing_case, register_named, tenant_name, users,
    who_read,
};

const USERS: &str = "{ users(first: 50) { edges { node { id email role disabled } } } }";

/// The actions of the caller's center's last 100 audit entries, newest
/// first.
pub(crate) async fn audit_actions(caller: &crate::harness::Client<'_>) -> Vec<String> {
    caller
        .run::<AuditTrail>(crate::operations::audit_trail::Variables)
        .await
        .ok()
        .audit_log
        .edges
        .into_iter()
        .map(|e| e.node.action)
        .collect()
}

/// The staff of the caller's center, by e-mail and id.
pub(crate) async fn user_ids(server: &Server, token: &str) -> Vec<(String, String)> {
    server
        .caller(token)
        .run::<Users>(users::Variables)
        .await
        .ok()
        .users
        .edges
        .into_iter()
        .map(|e| (e.node.email, e.node.id))
        .collect()
}

#[tokio::test]
async fn unauthenticated_clients_can_only_log_in_and_ask_who_they_are() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);

    let me = server
        .caller("")
        .run::<MyEmail>(crate::operations::my_email::Variables)
        .await
        .ok();
    assert_eq!(me.me, None);

    for query in [
        "{ tenants { slug } }",
        r#"{ tenant(slug: "veria") { slug } }"#,
        USERS,
        "{ auditLog { edges { node { action } } } }",
        "mutation { logout }",
    ] {
        let response = server.graphql(query, json!({})).await;
        assert_eq!(code(&response), "UNAUTHENTICATED", "{query}: {response}");
    }
}

#[tokio::test]
async fn tenants_are_listed_for_platform_roles_only() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);

    let tenant_slugs = crate::operations::tenant_slugs::Variables;
    for email in [PLATFORM_ADMIN, MINISTRY_OVERSEER] {
        let token = server.login(email, &password).await;
        let listed = server
            .caller(&token)
            .run::<TenantSlugs>(tenant_slugs.clone())
            .await
            .ok();
        assert_eq!(listed.tenants.len(), 5, "{email}: {listed:?}");
    }

    let social_worker = server
        .login(&demo_account("social-worker", "veria"), &password)
        .await;
    let social_worker = server.caller(&social_worker);
    social_worker
        .run::<TenantSlugs>(tenant_slugs)
        .await
        .refused("FORBIDDEN");

    // Center staff see their own center, and no other.
    let name_of = |slug: &str| tenant_name::Variables {
        slug: slug.to_owned(),
    };
    let own = social_worker
        .run::<TenantName>(name_of("veria"))
        .await
        .ok()
        .tenant
        .expect("the caller's own center");
    assert_eq!(own.name_el, "Δήμος Βέροιας");
    let other = social_worker
        .run::<TenantName>(name_of("paiania"))
        .await
        .ok();
    assert_eq!(other.tenant, None);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_are_refused_alike() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

    let wrong_password = server
        .graphql(
            login,
            json!({ "e": PLATFORM_ADMIN, "p": "not the password at all" }),
        )
        .await;
    let unknown_email = server
        .graphql(
            login,
            json!({ "e": "nobody@nowhere.gr", "p": "not the password at all" }),
        )
        .await;
    assert_eq!(code(&wrong_password), "UNAUTHENTICATED");
    assert_eq!(wrong_password["errors"], unknown_email["errors"]);
}

#[tokio::test]
async fn repeated_logins_for_one_account_are_throttled_even_with_the_right_password() {
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    let target = demo_account("tenant-admin", "veria");

    for _ in 0..5 {
        let response = server
            .graphql(login, json!({ "e": target, "p": "guessing the password" }))
            .await;
        assert_eq!(code(&response), "UNAUTHENTICATED", "{response}");
    }
    let throttled = server
        .graphql(login, json!({ "e": target, "p": demo_password(&backend) }))
        .await;
    assert_eq!(code(&throttled), "RATE_LIMITED", "{throttled}");
    assert!(
        throttled["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .is_some_and(|s| s > 0),
        "{throttled}"
    );

    // Another account is not affected.
    server
        .login(
            &demo_account("tenant-admin", "paiania"),
            &demo_password(&backend),
        )
        .await;
}

async fn login_from(
    server: &Server,
    address: &str,
    email: &str,
    password: &str,
) -> Answer<log_in::ResponseData> {
    use graphql_client::GraphQLQuery;
    let response: Value = reqwest::Client::new()
        .post(format!("{}/graphql", server.base_url))
        .header("x-forwarded-for", address)
        .json(&LogIn::build_query(log_in::Variables {
            email: email.to_owned(),
            password: password.to_owned(),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Answer::of(&response)
}

/// Guessing from one address gets that address refused, never the account
/// locked: the colleague whose e-mail was guessed still logs in from their
/// desk, after a short wait at most.
#[tokio::test]
async fn an_outsider_guessing_a_password_cannot_lock_a_colleague_out() {
    let backend = Backend::sqlite();
    let mut env = backend.demo_env();
    env.push(("KENTRO_TRUSTED_PROXIES", "127.0.0.0/8".into()));
    let server = Server::start(&env, &["--demo"]);
    let target = demo_account("social-worker", "veria");
    let outsider = "203.0.113.66";
    for _ in 0..5 {
        login_from(&server, outsider, &target, "guessing the password")
            .await
            .refused("UNAUTHENTICATED");
    }
    login_from(&server, outsider, &target, "guessing again")
        .await
        .refused("RATE_LIMITED");

    // The colleague is not locked out.
    let desk = login_from(&server, "198.51.100.4", &target, &demo_password(&backend)).await;
    assert_eq!(desk.ok().login.token.len(), 64);
}

#[tokio::test]
async fn an_invalid_bearer_token_is_refused_rather_than_treated_as_anonymous() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.env(), &[]);
    let (status, body) = server
        .post_graphql(Some("made-up"), &json!({ "query": "{ me { email } }" }))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let token = server
        .login(
            &demo_account("reception", "veria"),
            &demo_password(&backend),
        )
        .await;
    let reception = server.caller(&token);
    let me = reception.run::<Me>(me::Variables).await.ok().me;
    assert_eq!(me.map(|me| me.role), Some(me::Role::RECEPTION));

    let out = reception
        .run::<LogOut>(crate::operations::log_out::Variables)
        .await
        .ok();
    assert!(out.logout);
    let (status, _) = server
        .post_graphql(Some(&token), &json!({ "query": "{ me { email } }" }))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_coordinator_manages_their_centers_staff_and_a_disabled_account_is_locked_out() {
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);
    let admin = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;

    // Accounts come from invitations (tests/e2e/invitations.rs); this one
    // is the demo's.
    let worker_email = demo_account("social-worker", "veria");
    let worker = server.login(&worker_email, &password).await;
    let id = user_ids(&server, &admin)
        .await
        .into_iter()
        .find(|(email, _)| *email == worker_email)
        .map(|(_, id)| id)
        .expect("the worker is listed");

    // A social worker may not manage staff.
    let response = server.graphql_as(Some(&worker), USERS, json!({})).await;
    assert_eq!(code(&response), "FORBIDDEN", "{response}");

    let disabled = server
        .caller(&admin)
        .run::<crate::operations::DisableUser>(crate::operations::disable_user::Variables { id })
        .await
        .ok();
    assert!(disabled.disable_user.disabled);
    let (status, _) = server
        .post_graphql(Some(&worker), &json!({ "query": "{ me { email } }" }))
        .await;
    assert_eq!(status, 401, "a disabled account's session ends");
    let again = server
        .graphql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": worker_email, "p": password }),
        )
        .await;
    assert_eq!(code(&again), "UNAUTHENTICATED");

    // Every change is in the center's audit log, newest first.
    let actions = audit_actions(&server.caller(&admin)).await;
    let has = |action: &str| actions.iter().any(|a| a == action);
    assert_eq!(actions[0], "account.disable", "{actions:?}");
    assert!(has("account.create"), "{actions:?}");
    assert!(has("session.login"), "{actions:?}");
    assert!(has("tenant.apply"), "{actions:?}");
}

/// The adversarial suite: staff of one center using another center's IDs get
/// `NOT_FOUND`, exactly as for IDs that never existed, and nothing changes.
#[tokio::test]
async fn another_centers_ids_are_not_found_and_change_nothing() {
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);
    let veria = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let paiania = server
        .login(&demo_account("tenant-admin", "paiania"), &password)
        .await;
    let veria_users = user_ids(&server, &veria).await;
    assert_cross_tenant_ids_are_not_found(&server, &paiania, &veria_users).await;
    // Veria's accounts are untouched.
    assert_eq!(user_ids(&server, &veria).await, veria_users);
    let still_active = server
        .caller(&veria)
        .run::<Users>(users::Variables)
        .await
        .ok();
    assert!(
        still_active.users.edges.iter().all(|e| !e.node.disabled),
        "{still_active:?}"
    );
}

async fn assert_cross_tenant_ids_are_not_found(
    server: &Server,
    attacker: &str,
    victims: &[(String, String)],
) {
    assert!(!victims.is_empty());
    for (_, id) in victims {
        for (query, variables) in [
            (
                "query($id: ID!) { user(id: $id) { email } }",
                json!({ "id": id }),
            ),
            (
                "mutation($id: ID!) { disableUser(id: $id) { email } }",
                json!({ "id": id }),
            ),
        ] {
            let response = server.graphql_as(Some(attacker), query, variables).await;
            assert_eq!(code(&response), "NOT_FOUND", "{query}: {response}");
            let made_up = server
                .graphql_as(Some(attacker), query, json!({ "id": "VXNlcjo5OTk5OTk5" }))
                .await;
            assert_eq!(
                response["errors"][0]["message"], made_up["errors"][0]["message"],
                "another tenant's object must look exactly like a missing one"
            );
        }
        let log = server
            .caller(attacker)
            .run::<AuditByActor>(audit_by_actor::Variables { id: id.clone() })
            .await
            .ok();
        assert!(log.audit_log.edges.is_empty(), "{log:?}");
    }
}

/// Wall 1 alone: with row-level security switched off in the database, the
/// store's tenant scope still keeps every center to its own rows.
#[tokio::test]
async fn with_row_level_security_off_the_api_still_returns_only_the_callers_tenant() {
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let superuser_url = backend.database().expect("PostgreSQL").superuser_url;
    let superuser = sea_orm::Database::connect(superuser_url.as_str())
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    for table in [
        "center",
        "tenant_plugin",
        "audit_entry",
        "person",
        "household",
        "household_member",
        "case_file",
        "case_event",
        "case_note",
        "consent",
        "kea_application",
        "kea_document",
        "appointment",
        "directory_record",
        "referral",
        "partner_link",
        "partner_key",
        "notification",
        "plugin_activation",
        "plugin_record",
        "plugin_metric",
        "referral_suggestion",
    ] {
        superuser
            .execute_unprepared(&format!(
                "ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"
            ))
            .await
            .unwrap();
    }

    let password = demo_password(&backend);
    let veria = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let paiania = server
        .login(&demo_account("tenant-admin", "paiania"), &password)
        .await;

    let log = server
        .caller(&paiania)
        .run::<AuditTrail>(crate::operations::audit_trail::Variables)
        .await
        .ok();
    assert!(!log.audit_log.edges.is_empty());
    for entry in &log.audit_log.edges {
        let text = format!("{} {}", entry.node.actor, entry.node.entity_id);
        assert!(!text.contains("veria"), "paiania sees veria's entry {text}");
    }
    let users = user_ids(&server, &paiania).await;
    assert!(
        users
            .iter()
            .all(|(email, _)| email.ends_with("@paiania.demo")),
        "{users:?}"
    );

    let veria_users = user_ids(&server, &veria).await;
    assert_cross_tenant_ids_are_not_found(&server, &paiania, &veria_users).await;
}

#[tokio::test]
async fn a_tampered_audit_entry_is_named_by_audit_verify() {
    let backend = Backend::postgres().await;
    let env = backend.demo_env();
    let server = Server::start(&env, &["--demo"]);
    let password = demo_password(&backend);
    server
        .login(&demo_account("social-worker", "veria"), &password)
        .await;
    drop(server);

    let output = run_kentro(&env, &["audit", "verify"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let report = stdout_of(&output);
    assert_eq!(
        report.lines().filter(|l| l.starts_with("ok")).count(),
        5,
        "{report}"
    );

    // Someone with database superuser rights rewrites history.
    let superuser_url = backend.database().expect("PostgreSQL").superuser_url;
    let superuser = sea_orm::Database::connect(superuser_url.as_str())
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    superuser
        .execute_unprepared(
            "UPDATE audit_entry SET actor = 'someone-else' \
             WHERE seq = 2 AND tenant_id = (SELECT id FROM tenant WHERE slug = 'veria')",
        )
        .await
        .unwrap();

    let output = run_kentro(&env, &["audit", "verify", "--tenant", "veria"]);
    assert_eq!(output.status.code(), Some(1));
    let report = stdout_of(&output);
    assert!(report.contains("BROKEN  veria: entry 2"), "{report}");
    assert!(report.contains("changed"), "{report}");
    let others = run_kentro(&env, &["audit", "verify", "--tenant", "paiania"]);
    assert!(others.status.success(), "{}", stdout_of(&others));
}

#[tokio::test]
async fn the_server_role_cannot_rewrite_the_audit_log() {
    let backend = Backend::postgres().await;
    let env = backend.demo_env();
    drop(Server::start(&env, &["--demo"]));
    let database_url = backend.database().expect("PostgreSQL").server_url;
    let app = sea_orm::Database::connect(database_url.as_str())
        .await
        .unwrap();
    use sea_orm::{ConnectionTrait, TransactionTrait};
    for (change, refusal) in [
        (
            "UPDATE audit_entry SET actor = 'x'",
            "the server's role must not update audit entries",
        ),
        (
            "UPDATE audit_pending SET actor = 'x'",
            "the server's role must not change entries waiting for the chain",
        ),
    ] {
        // Inside the tenant's scope, where row-level security lets the rows be seen.
        let txn = app.begin().await.unwrap();
        txn.execute_unprepared(
            "SELECT set_config('app.tenant_id', (SELECT id::text FROM tenant WHERE slug = 'veria'), true)",
        )
        .await
        .unwrap();
        assert!(txn.execute_unprepared(change).await.is_err(), "{refusal}");
        txn.rollback().await.ok();
    }
    let delete = app.execute_unprepared("DELETE FROM audit_entry").await;
    assert!(
        delete.is_err(),
        "the server's role must not delete audit entries"
    );
}

#[tokio::test]
async fn reception_cannot_read_the_audit_log() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let reception = server
        .login(
            &demo_account("reception", "veria"),
            &demo_password(&backend),
        )
        .await;
    let response = server
        .graphql_as(
            Some(&reception),
            "{ auditLog { edges { node { action } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&response), "FORBIDDEN", "{response}");
}

#[tokio::test]
async fn oversized_requests_are_refused_with_a_code() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let admin = server
        .login(
            &demo_account("tenant-admin", "veria"),
            &demo_password(&backend),
        )
        .await;

    let page = server
        .graphql_as(
            Some(&admin),
            "{ users(first: 1000) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&page), "VALIDATION", "{page}");
    assert_eq!(page["errors"][0]["extensions"]["field"], "first");

    let aliases: String = (0..31).map(|i| format!("a{i}: me {{ email }} ")).collect();
    let response = server
        .graphql_as(Some(&admin), &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(code(&response), "INVALID_QUERY", "{response}");

    let batch: Vec<Value> = (0..11)
        .map(|_| json!({ "query": "{ me { email } }" }))
        .collect();
    let (status, response) = server
        .post_graphql(Some(&admin), &Value::Array(batch))
        .await;
    assert_eq!(status, 200);
    assert_eq!(code(&response), "INVALID_QUERY", "{response}");

    let batch: Vec<Value> = (0..2)
        .map(|_| json!({ "query": "{ me { email } }" }))
        .collect();
    let (_, response) = server
        .post_graphql(Some(&admin), &Value::Array(batch))
        .await;
    assert_eq!(response.as_array().map(Vec::len), Some(2), "{response}");

    let malformed = server.graphql_as(Some(&admin), "{ me { ", json!({})).await;
    assert_eq!(code(&malformed), "INVALID_QUERY", "{malformed}");
}

#[tokio::test]
async fn too_many_requests_answer_429_with_retry_after() {
    let backend = Backend::postgres().await;
    let mut env = backend.env();
    env.push(("KENTRO_RATE_LIMIT_ANONYMOUS", "3".into()));
    let server = Server::start(&env, &[]);
    for _ in 0..3 {
        let (status, _) = server
            .post_graphql(None, &json!({ "query": "{ me { email } }" }))
            .await;
        assert_eq!(status, 200);
    }
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", server.base_url))
        .json(&json!({ "query": "{ me { email } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
}

#[test]
fn operators_manage_accounts_from_the_command_line() {
    let backend = Backend::sqlite();
    let env = backend.demo_env();
    let output = run_kentro(
        &env,
        &["tenant", "apply", &seed_tenants_dir().display().to_string()],
    );
    assert!(output.status.success(), "{}", stderr_of(&output));

    crate::harness::add_user(
        &env,
        Some("veria"),
        "reception",
        "desk@veria.gr",
        "reception desk password",
    );
    crate::harness::add_user(
        &env,
        None,
        "ministry_overseer",
        "overseer@ypakp.gr",
        "overseer password 1",
    );

    let output = run_kentro(&env, &["user", "list", "--tenant", "veria"]);
    assert_eq!(
        stdout_of(&output).lines().count(),
        1,
        "{}",
        stdout_of(&output)
    );
    assert!(stdout_of(&output).starts_with("desk@veria.gr\treception\tveria\tactive"));

    let output = run_kentro(
        &env,
        &[
            "user",
            "add",
            "--role",
            "reception",
            "--email",
            "x@veria.gr",
            "--name",
            "X",
            "--password-stdin",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("--tenant"),
        "{}",
        stderr_of(&output)
    );

    // A regional overseer names the region it oversees, and only it does.
    let regional = |extra: &[&'static str]| {
        let mut args = vec![
            "user",
            "add",
            "--role",
            "regional_overseer",
            "--email",
            "crete@ypakp.gr",
            "--name",
            "Crete",
            "--password-stdin",
        ];
        args.extend(extra);
        args
    };
    for (extra, complaint) in [
        (
            &[][..],
            "--region: the regional_overseer role needs the region",
        ),
        (
            &["--region", "atlantis"][..],
            "--region: \"atlantis\" is not one of",
        ),
    ] {
        let output = run_kentro(&env, &regional(extra));
        assert_eq!(output.status.code(), Some(1));
        assert!(
            stderr_of(&output).contains(complaint),
            "{}",
            stderr_of(&output)
        );
    }
    let output = run_kentro(
        &env,
        &[
            "user",
            "add",
            "--role",
            "reception",
            "--tenant",
            "veria",
            "--region",
            "crete",
            "--email",
            "y@veria.gr",
            "--name",
            "Y",
            "--password-stdin",
        ],
    );
    assert!(
        stderr_of(&output).contains("--region: only a regional_overseer has a region"),
        "{}",
        stderr_of(&output)
    );
    crate::harness::add_user_with(
        &env,
        &regional(&["--region", "crete"]),
        "crete@ypakp.gr",
        "overseer password 2",
    );

    let output = run_kentro(&env, &["user", "disable", "desk@veria.gr"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let output = run_kentro(&env, &["user", "list"]);
    assert!(stdout_of(&output).contains("desk@veria.gr\treception\tveria\tdisabled"));
    assert!(stdout_of(&output).contains("overseer@ypakp.gr\tministry_overseer\t-\tactive"));
    assert!(stdout_of(&output).contains("crete@ypakp.gr\tregional_overseer\t-\tactive"));
}

async fn anonymous_status(server: &Server, forwarded_for: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/graphql", server.base_url))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "query": "{ me { email } }" }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_quota() {
    let backend = Backend::sqlite();
    let mut env = backend.env();
    env.push(("KENTRO_RATE_LIMIT_ANONYMOUS", "2".into()));
    env.push(("KENTRO_TRUSTED_PROXIES", "127.0.0.0/8".into()));
    let server = Server::start(&env, &[]);
    for expected in [200, 200, 429] {
        assert_eq!(anonymous_status(&server, "203.0.113.1").await, expected);
    }
    assert_eq!(anonymous_status(&server, "203.0.113.2").await, 200);

    // Without trusted proxies the header is a client's claim and is ignored.
    let backend = Backend::sqlite();
    let mut env = backend.env();
    env.push(("KENTRO_RATE_LIMIT_ANONYMOUS", "2".into()));
    let server = Server::start(&env, &[]);
    for (forwarded, expected) in [
        ("203.0.113.1", 200),
        ("203.0.113.2", 200),
        ("203.0.113.3", 429),
    ] {
        assert_eq!(anonymous_status(&server, forwarded).await, expected);
    }
}

/// The pages and data anyone may ask for, and refused credentials, take
/// the client address's anonymous quota: nothing public is unmetered.
#[tokio::test]
async fn public_endpoints_and_refused_credentials_are_rate_limited_per_address() {
    for (path, first) in [
        ("/hsds/national/services", 200),
        (
            "/partner/referrals/1-0000000000000000000000000000000000000000000000000000000000000000",
            404,
        ),
    ] {
        let backend = Backend::sqlite();
        let mut env = backend.demo_env();
        env.push(("KENTRO_RATE_LIMIT_ANONYMOUS", "2".into()));
        let server = Server::start(&env, &["--demo"]);
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(server.get(path).await.0);
        }
        assert_eq!(statuses, [first, first, 429], "{path}");
    }

    let backend = Backend::sqlite();
    let mut env = backend.env();
    env.push(("KENTRO_RATE_LIMIT_ANONYMOUS", "2".into()));
    let server = Server::start(&env, &[]);
    let mut statuses = Vec::new();
    for token in ["made-up", "kpk_made-up", "0123"] {
        let (status, _) = server
            .post_graphql(Some(token), &json!({ "query": "{ me { email } }" }))
            .await;
        statuses.push(status);
    }
    assert_eq!(
        statuses,
        [401, 401, 429],
        "guessing credentials is throttled"
    );
}

/// Write access to Redis alone logs nobody in: a session record is
/// authenticated with the server's key, so a record moved to another
/// account, or made up for a token of one's own, is refused.
#[tokio::test]
async fn a_session_record_forged_in_redis_logs_nobody_in() {
    use sha2::Digest;
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let Backend::Postgres {
        redis_url,
        redis_key_prefix,
        ..
    } = &backend
    else {
        unreachable!()
    };
    let redis = |args: &[&str]| -> String {
        let output = std::process::Command::new("redis-cli")
            .args(["-u", redis_url.as_str()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let key_of = |token: &str| {
        let hash: String = sha2::Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{redis_key_prefix}session:{hash}")
    };
    let password = demo_password(&backend);
    let reception = server
        .login(&demo_account("reception", "veria"), &password)
        .await;
    let admin = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let admin_id = {
        let id = server.caller(&admin).my_id().await;
        use base64::Engine;
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id)
            .unwrap();
        String::from_utf8(text)
            .unwrap()
            .split_once(':')
            .unwrap()
            .1
            .parse::<i64>()
            .unwrap()
    };
    let record: Value = serde_json::from_str(&redis(&["GET", &key_of(&reception)])).unwrap();
    assert!(record["account_id"].is_i64(), "{record}");

    // The receptionist's record, moved to the coordinator's account.
    let mut promoted = record.clone();
    promoted["account_id"] = json!(admin_id);
    redis(&[
        "SET",
        &key_of(&reception),
        &promoted.to_string(),
        "EX",
        "600",
    ]);
    let (status, _) = server
        .post_graphql(Some(&reception), &json!({ "query": "{ me { email } }" }))
        .await;
    assert_eq!(status, 401, "a record moved to another account is refused");

    // A token of one's own with a copied record.
    let minted = "ab".repeat(32);
    redis(&["SET", &key_of(&minted), &record.to_string(), "EX", "600"]);
    let (status, _) = server
        .post_graphql(Some(&minted), &json!({ "query": "{ me { email } }" }))
        .await;
    assert_eq!(
        status, 401,
        "a made-up token with a copied record is refused"
    );

    // The untouched session still works.
    let (status, body) = server
        .post_graphql(Some(&admin), &json!({ "query": "{ me { email } }" }))
        .await;
    assert_eq!(status, 200, "{body}");
}

/// A server whose log has a few entries per tenant, the superuser's
/// connection, and Veria's id.
async fn audited_database(backend: &Backend) -> (sea_orm::DatabaseConnection, i64) {
    use sea_orm::ConnectionTrait;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(backend);
    for _ in 0..3 {
        server
            .login(&demo_account("social-worker", "veria"), &password)
            .await;
    }
    drop(server);
    // The server was killed, not stopped: verifying seals what it recorded.
    let (code, report) = verify_veria(backend);
    assert_eq!(code, Some(0), "intact before the attack: {report}");
    let superuser_url = backend.database().expect("PostgreSQL").superuser_url;
    let superuser = sea_orm::Database::connect(superuser_url.as_str())
        .await
        .unwrap();
    let veria: i64 = superuser
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT id FROM tenant WHERE slug = 'veria'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "id")
        .unwrap();
    (superuser, veria)
}

fn verify_veria(backend: &Backend) -> (Option<i32>, String) {
    let output = run_kentro(
        &backend.demo_env(),
        &["audit", "verify", "--tenant", "veria"],
    );
    (output.status.code(), stdout_of(&output))
}

/// Someone with the database's superuser rights changes an entry and
/// recomputes the chain from there on, as the unkeyed SHA-256 chain let
/// them: without the audit key the recomputed hashes give them away.
#[tokio::test]
async fn rewriting_and_rehashing_the_audit_chain_is_found() {
    use sea_orm::ConnectionTrait;
    use sha2::Digest;
    let backend = Backend::postgres().await;
    let (superuser, veria) = audited_database(&backend).await;
    let rows = superuser
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!(
                "SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at,
                        actor_id, actor, actor_role, action, entity_type, entity_id, purpose,
                        request_id, prev_hash
                   FROM audit_entry WHERE tenant_id = {veria} ORDER BY seq"
            ),
        ))
        .await
        .unwrap();
    assert!(rows.len() >= 3, "entries to rewrite");
    // The whole chain, from its first entry, as an unkeyed chain would be.
    let mut prev: Option<String> = None;
    for row in rows.iter() {
        let seq: i64 = row.try_get("", "seq").unwrap();
        let actor: String = if seq == 2 {
            "someone-else".into()
        } else {
            row.try_get("", "actor").unwrap()
        };
        let prev_hash = prev
            .clone()
            .unwrap_or_else(|| row.try_get::<String>("", "prev_hash").unwrap());
        let fields = json!([
            prev_hash,
            veria,
            seq,
            row.try_get::<String>("", "at").unwrap(),
            row.try_get::<Option<i64>>("", "actor_id").unwrap(),
            actor,
            row.try_get::<String>("", "actor_role").unwrap(),
            row.try_get::<String>("", "action").unwrap(),
            row.try_get::<String>("", "entity_type").unwrap(),
            row.try_get::<String>("", "entity_id").unwrap(),
            row.try_get::<String>("", "purpose").unwrap(),
            row.try_get::<String>("", "request_id").unwrap(),
        ]);
        let hash: String = sha2::Sha256::digest(fields.to_string().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        superuser
            .execute_unprepared(&format!(
                "UPDATE audit_entry SET actor = '{actor}', prev_hash = '{prev_hash}', hash = '{hash}'
                  WHERE tenant_id = {veria} AND seq = {seq}"
            ))
            .await
            .unwrap();
        prev = Some(hash);
    }
    let (code, report) = verify_veria(&backend);
    assert_eq!(code, Some(1), "{report}");
    // The unkeyed recomputation is exact (the entries the server's start-up
    // checkpoint vouched for pass as unkeyed), yet the first entry past the
    // checkpoint is not authenticated with the key the attacker lacks.
    assert!(report.contains("BROKEN  veria: entry"), "{report}");
    assert!(report.contains("rewritten"), "{report}");
}

/// Deleting a middle entry breaks the sequence; cutting the newest entries
/// is found against the platform's checkpoint of the head.
#[tokio::test]
async fn a_deleted_middle_entry_and_cut_newest_entries_are_found() {
    use sea_orm::ConnectionTrait;
    let backend = Backend::postgres().await;
    let (superuser, veria) = audited_database(&backend).await;
    let checkpoint = run_kentro(&backend.demo_env(), &["audit", "checkpoint"]);
    assert!(checkpoint.status.success(), "{}", stderr_of(&checkpoint));
    let (code, report) = verify_veria(&backend);
    assert_eq!(code, Some(0), "intact after the checkpoint: {report}");

    let last: i64 = superuser
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT max(seq) AS last FROM audit_entry WHERE tenant_id = {veria}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "last")
        .unwrap();
    superuser
        .execute_unprepared(&format!(
            "DELETE FROM audit_entry WHERE tenant_id = {veria} AND seq >= {}",
            last - 1
        ))
        .await
        .unwrap();
    let (code, report) = verify_veria(&backend);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("newest entries were cut"), "{report}");

    superuser
        .execute_unprepared(&format!(
            "DELETE FROM audit_entry WHERE tenant_id = {veria} AND seq = 2"
        ))
        .await
        .unwrap();
    let (code, report) = verify_veria(&backend);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("an entry is missing"), "{report}");
}

/// Sixteen clients of one center at once: their entries do not wait for
/// one another, and the sealer still makes of them one unbroken chain.
#[tokio::test]
async fn concurrent_audited_requests_of_one_center_make_one_unbroken_chain() {
    const CLIENTS: usize = 16;
    const EACH: usize = 3;
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);
    let worker = server
        .login(&demo_account("social-worker", "veria"), &password)
        .await;
    let clients = (0..CLIENTS).map(|client| {
        let (server, worker) = (&server, &worker);
        async move {
            for n in 0..EACH {
                let registered = server
                    .graphql_as(
                        Some(worker),
                        "mutation($g: String!) { registerPerson(input: { givenNameEl: $g, familyNameEl: \"Ταυτόχρονη\" }) { id } }",
                        json!({ "g": format!("Πελάτης {client}-{n}") }),
                    )
                    .await;
                assert!(registered.get("errors").is_none(), "{registered}");
            }
        }
    });
    futures::future::join_all(clients).await;

    let admin = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let log = server
        .caller(&admin)
        .run::<AuditSequencesOf>(audit_sequences_of::Variables {
            action: "person.register".into(),
        })
        .await
        .ok();
    let mut sequences: Vec<i64> = log
        .audit_log
        .edges
        .iter()
        .map(|e| e.node.sequence)
        .collect();
    sequences.sort_unstable();
    sequences.dedup();
    assert_eq!(
        sequences.len(),
        CLIENTS * EACH,
        "each on the chain once: {log:?}"
    );
    drop(server);
    let (code, report) = verify_veria(&backend);
    assert_eq!(code, Some(0), "{report}");
}

/// On SQLite, where no database role separates the server from the file,
/// triggers refuse to change or remove entries and checkpoints.
#[tokio::test]
async fn sqlite_refuses_to_change_or_remove_audit_entries() {
    use sea_orm::ConnectionTrait;
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    drop(server);
    let checkpoint = run_kentro(&backend.demo_env(), &["audit", "checkpoint"]);
    assert!(checkpoint.status.success(), "{}", stderr_of(&checkpoint));
    let Backend::Sqlite { data_dir } = &backend else {
        unreachable!()
    };
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}",
        data_dir.path().join("kentro.db").display()
    ))
    .await
    .unwrap();
    for change in [
        "UPDATE audit_entry SET actor = 'x'",
        "DELETE FROM audit_entry",
        "UPDATE audit_checkpoint SET hash = 'x'",
        "DELETE FROM audit_checkpoint",
    ] {
        let refused = db.execute_unprepared(change).await;
        assert!(refused.is_err(), "{change} was allowed");
    }
}

/// "Who read person 2" finds the list reads that showed them too, and a
/// page of cases is recorded as read like a single case.
#[tokio::test]
async fn list_reads_are_found_by_the_entity_they_showed() {
    list_reads_are_found_on(Backend::sqlite()).await;
}

/// On PostgreSQL the sealer writes the subject rows in a statement of its
/// own (`add_audit_subjects`), behind the log's row-level security.
#[tokio::test]
async fn list_reads_are_found_by_the_entity_they_showed_on_postgresql() {
    list_reads_are_found_on(Backend::postgres().await).await;
}

async fn list_reads_are_found_on(backend: Backend) {
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);
    let worker = server
        .login(&demo_account("social-worker", "paiania"), &password)
        .await;
    let admin = server
        .login(&demo_account("tenant-admin", "paiania"), &password)
        .await;
    let key_of = crate::harness::key_of;
    let desk = server.caller(&worker);
    let mut people = Vec::new();
    for given in ["Ρένα", "Σάκης"] {
        let registered = desk
            .run::<RegisterNamed>(register_named::Variables {
                given: given.into(),
                family: "Λιστα".into(),
            })
            .await
            .ok();
        people.push(registered.register_person.id);
    }
    let case = desk
        .run::<OpenHousingCase>(open_housing_case::Variables {
            person_id: people[1].clone(),
        })
        .await
        .ok()
        .open_case
        .id;
    desk.run::<PeopleAndCaseIds>(crate::operations::people_and_case_ids::Variables)
        .await
        .ok();

    let auditor = server.caller(&admin);
    let who_read = |entity_type: &'static str, entity_id: String| {
        let auditor = &auditor;
        async move {
            auditor
                .run::<WhoRead>(who_read::Variables {
                    entity_type: entity_type.into(),
                    entity_id,
                })
                .await
                .ok()
                .audit_log
                .edges
                .into_iter()
                .map(|e| e.node)
                .collect::<Vec<_>>()
        }
    };
    let reads_of_second = who_read("person", key_of(&people[1])).await;
    assert!(
        reads_of_second.iter().any(|e| e.action == "person.search"
            && e.entity_id.contains(',')
            && e.actor.contains("social-worker")),
        "the list read that showed the person: {reads_of_second:?}"
    );
    let reads_of_case = who_read("case", key_of(&case)).await;
    assert!(
        reads_of_case.iter().any(|e| e.action == "case.read"),
        "the page of cases: {reads_of_case:?}"
    );
    // An id is matched whole, not as a part of another id.
    let strangers = who_read("person", format!("{}9", key_of(&people[1]))).await;
    assert!(
        strangers.iter().all(|e| e.entity_id != key_of(&people[1])),
        "{strangers:?}"
    );
}
