//! The plugin runtime end to end: the three municipal plugins over GraphQL
//! on both backends, signed installs, upgrade and rollback without a
//! restart, and a hostile plugin that never gets out of its sandbox.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{
    Backend, Client, PLATFORM_ADMIN, Server, code, demo_account, demo_password, repo_root,
    run_kentro, stderr_of, stdout_of,
};
use crate::operations::{
    EnableHostilePlugin, MyEmail, MyTenantPlugins, PluginOperation, enable_hostile_plugin,
    my_email, my_tenant_plugins, plugin_operation,
};

/// Compiled artifacts shared by every test, so each plugin is compiled
/// once. In the build's own folder for tests, not one per process: nextest
/// runs each test in a process of its own, and a folder per process id was
/// neither shared nor ever removed. An artifact is kept under the engine's
/// fingerprint and the component's digest, with its MAC under the key the
/// tests share, so a later run reuses it only for the same engine and
/// component.
fn shared_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

fn dist(name: &str) -> PathBuf {
    let path = repo_root().join(name);
    assert!(
        path.is_dir(),
        "{} is missing: build the plugins with infra/build-plugins.sh (infra/test.sh does)",
        path.display()
    );
    path
}

/// A publisher key of this test, and the environment that trusts it.
pub(crate) struct Publisher {
    dir: tempfile::TempDir,
    public: String,
}

impl Publisher {
    fn new(env: &[(&str, String)]) -> Publisher {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("publisher.key");
        let out = run_kentro(env, &["plugin", "keygen", "--out", key.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr_of(&out));
        Publisher {
            public: stdout_of(&out).trim().to_owned(),
            dir,
        }
    }

    fn key(&self) -> PathBuf {
        self.dir.path().join("publisher.key")
    }

    /// A signed copy of a built package.
    fn signed(&self, env: &[(&str, String)], package: &Path) -> PathBuf {
        let copy = self.dir.path().join(package.file_name().unwrap());
        std::fs::create_dir_all(&copy).unwrap();
        for entry in std::fs::read_dir(package).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
        let out = run_kentro(
            env,
            &[
                "plugin",
                "sign",
                copy.to_str().unwrap(),
                "--key",
                self.key().to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", stderr_of(&out));
        copy
    }
}

pub(crate) fn plugin_env(backend: &Backend) -> Vec<(&'static str, String)> {
    let mut env = backend.demo_env();
    env.push((
        "KENTRO_PLUGINS_DIR",
        dist("plugins/dist").display().to_string(),
    ));
    env.push((
        "KENTRO_PLUGIN_CACHE_DIR",
        shared_cache().display().to_string(),
    ));
    // The cache's artifacts carry a MAC under a key derived from the
    // session secret; the test servers share one, as replicas do.
    env.push(("KENTRO_SESSION_KEY", SHARED_SESSION_KEY.into()));
    env
}

const SHARED_SESSION_KEY: &str = "the-session-key-the-plugin-tests-share";

const OPERATION: &str = "mutation($plugin: String!, $operation: String!, $input: JSON!) {
    pluginOperation(plugin: $plugin, operation: $operation, input: $input) }";

/// A colleague at a plugin's desk: the operations a plugin offers, and
/// registering the people they are for.
impl Client<'_> {
    async fn operate(&self, plugin: &str, operation: &str, input: Value) -> Value {
        self.call(
            OPERATION,
            json!({ "plugin": plugin, "operation": operation, "input": input }),
        )
        .await
    }

    async fn operate_ok(&self, plugin: &str, operation: &str, input: Value) -> Value {
        self.run::<PluginOperation>(plugin_operation::Variables {
            plugin: plugin.into(),
            operation: operation.into(),
            input,
        })
        .await
        .ok()
        .plugin_operation
    }

    async fn register(&self, input: Value) -> String {
        let data = self
            .ok(
                "mutation($input: PersonInput!) { registerPerson(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        data["registerPerson"]["id"].as_str().unwrap().to_owned()
    }

    async fn call_enable(&self, plugin: &str, config: Value) -> Value {
        self.call(
            "mutation($p: String!, $c: JSON) { enablePlugin(plugin: $p, config: $c) { status } }",
            json!({ "p": plugin, "c": config }),
        )
        .await
    }
}

async fn desk<'a>(server: &'a Server, backend: &Backend, role: &str, slug: &str) -> Client<'a> {
    Client {
        server,
        token: server
            .login(&demo_account(role, slug), &demo_password(backend))
            .await,
    }
}

async fn the_three_plugins_work_end_to_end(backend: Backend) {
    let server = Server::start(&plugin_env(&backend), &["--demo"]);
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.contains("paiania enables tutoring")),
        "{:?}",
        server.banner
    );

    // Tutoring in Paiania.
    let paiania = desk(&server, &backend, "social-worker", "paiania").await;
    let child = paiania
        .register(
            json!({ "givenNameEl": "Νίκος", "familyNameEl": "Αλεξίου", "birthDate": "2016-04-02" }),
        )
        .await;
    let parent = paiania
        .register(
            json!({ "givenNameEl": "Άννα", "familyNameEl": "Αλεξίου", "birthDate": "1984-09-10" }),
        )
        .await;
    let child_id = child.clone();
    let parent_id = parent.clone();
    let group = paiania
        .operate_ok(
            "tutoring",
            "create-group",
            json!({ "subject": "Μαθηματικά", "grade": 4, "tutor": "Εθελόντρια Μ. Ραφαηλίδου", "volunteer": true }),
        )
        .await;
    let group_id = group["id"].as_str().unwrap();
    let off_config = paiania
        .operate(
            "tutoring",
            "create-group",
            json!({ "subject": "Χημεία", "grade": 4, "tutor": "Χ" }),
        )
        .await;
    assert_eq!(
        code(&off_config),
        "VALIDATION",
        "Paiania tutors no chemistry"
    );
    let no_consent = paiania
        .operate(
            "tutoring",
            "enrol-child",
            json!({ "personId": child_id, "groupId": group_id, "guardianConsent": false }),
        )
        .await;
    assert_eq!(
        no_consent["errors"][0]["extensions"]["field"],
        "input.guardianConsent"
    );
    let adult = paiania
        .operate(
            "tutoring",
            "enrol-child",
            json!({ "personId": parent_id, "groupId": group_id, "guardianConsent": true }),
        )
        .await;
    assert_eq!(adult["errors"][0]["extensions"]["field"], "input.personId");
    paiania
        .operate_ok(
            "tutoring",
            "enrol-child",
            json!({ "personId": child_id, "groupId": group_id, "guardianConsent": true }),
        )
        .await;
    paiania
        .operate_ok(
            "tutoring",
            "record-session",
            json!({ "groupId": group_id, "date": "2026-11-20", "present": [child_id] }),
        )
        .await;
    paiania
        .operate_ok(
            "tutoring",
            "record-session",
            json!({ "groupId": group_id, "date": "2026-11-22", "present": [] }),
        )
        .await;
    let rate = paiania
        .operate_ok(
            "tutoring",
            "attendance-rate",
            json!({ "personId": child_id }),
        )
        .await;
    assert_eq!(rate["rate"], 0.5, "{rate}");

    // A new case for the household suggests tutoring for the child.
    let household = paiania
        .ok(
            "mutation($p: ID!) { createHousehold(headPersonId: $p) { id } }",
            json!({ "p": parent }),
        )
        .await["createHousehold"]["id"]
        .clone();
    paiania
        .ok(
            "mutation($h: ID!, $p: ID!) { addHouseholdMember(householdId: $h, personId: $p, relationship: CHILD) { id } }",
            json!({ "h": household, "p": child }),
        )
        .await;
    paiania
        .ok(
            "mutation($p: ID!) { openCase(input: { personId: $p, channel: WALK_IN, categories: [EDUCATION] }) { id } }",
            json!({ "p": parent }),
        )
        .await;
    let mut suggestions = Value::Null;
    for _ in 0..50 {
        suggestions = paiania
            .ok(
                "query($p: ID!) { referralSuggestions(personId: $p) { plugin title } }",
                json!({ "p": child }),
            )
            .await["referralSuggestions"]
            .clone();
        if suggestions.as_array().is_some_and(|s| !s.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(suggestions[0]["plugin"], "tutoring", "{suggestions}");
    let parent_suggestions = paiania
        .ok(
            "query($p: ID!) { referralSuggestions(personId: $p) { plugin } }",
            json!({ "p": parent }),
        )
        .await;
    assert_eq!(
        parent_suggestions["referralSuggestions"],
        json!([]),
        "adults are not suggested"
    );

    // Creative activities in Veria: capacity, waiting list, attendance.
    let veria = desk(&server, &backend, "social-worker", "veria").await;
    let a = veria
        .register(json!({ "givenNameEl": "Ελπίδα", "familyNameEl": "Α" }))
        .await;
    let b = veria
        .register(json!({ "givenNameEl": "Μάρκος", "familyNameEl": "Β" }))
        .await;
    let (a, b) = (a.clone(), b.clone());
    let activity = veria
        .operate_ok(
            "creative-activities",
            "create-activity",
            json!({ "title": "Εργαστήρι ζωγραφικής", "date": "2026-12-05", "capacity": 1 }),
        )
        .await;
    let activity_id = activity["id"].as_str().unwrap();
    let first = veria
        .operate_ok(
            "creative-activities",
            "enrol",
            json!({ "activityId": activity_id, "personId": a }),
        )
        .await;
    assert_eq!(first["status"], "enrolled");
    let second = veria
        .operate_ok(
            "creative-activities",
            "enrol",
            json!({ "activityId": activity_id, "personId": b }),
        )
        .await;
    assert_eq!(second["status"], "waiting");
    let withdrawn = veria
        .operate_ok(
            "creative-activities",
            "withdraw",
            json!({ "activityId": activity_id, "personId": a }),
        )
        .await;
    assert_eq!(withdrawn["promoted"], b.as_str());
    veria
        .operate_ok(
            "creative-activities",
            "record-attendance",
            json!({ "activityId": activity_id, "present": [b] }),
        )
        .await;
    let report = veria
        .operate_ok("creative-activities", "participation-report", json!({}))
        .await;
    assert_eq!(report["activities"][0]["participants"], 1, "{report}");
    assert_eq!(report["activities"][0]["enrolled"], 1);

    // The job market in Mylopotamos: matching with reasons, referral, placement.
    let mylopotamos = desk(&server, &backend, "social-worker", "mylopotamos").await;
    let skilled = mylopotamos
        .register(json!({ "givenNameEl": "Γιώργος", "familyNameEl": "Ψαρουδάκης",
            "employmentStatus": "LONG_TERM_UNEMPLOYED", "educationLevel": "ISCED_3_TO_4", "area": "Πέραμα" }))
        .await;
    let other = mylopotamos
        .register(json!({ "givenNameEl": "Μαρία", "familyNameEl": "Σταυρακάκη",
            "employmentStatus": "UNEMPLOYED", "educationLevel": "ISCED_0_TO_2", "area": "Ρέθυμνο" }))
        .await;
    let skilled = skilled.clone();
    let other = other.clone();
    let employer = mylopotamos
        .operate_ok(
            "job-market",
            "add-employer",
            json!({ "name": "Ξενοδοχείο Μπαλί", "area": "Πέραμα", "sector": "τουρισμός" }),
        )
        .await;
    let posting = mylopotamos
        .operate_ok(
            "job-market",
            "add-posting",
            json!({ "employerId": employer["id"], "title": "Βοηθός κουζίνας", "minIsced": 3,
                    "area": "Πέραμα", "hoursPerWeek": 30, "skills": ["μαγειρική"] }),
        )
        .await;
    let matched = mylopotamos
        .operate_ok("job-market", "match", json!({ "postingId": posting["id"] }))
        .await;
    let candidates = matched["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 2, "{matched}");
    assert_eq!(candidates[0]["personId"], skilled.as_str(), "{matched}");
    assert!(
        candidates[0]["explanation"].to_string().contains("Πέραμα"),
        "{matched}"
    );
    assert_eq!(candidates[1]["personId"], other.as_str());
    let referral = mylopotamos
        .operate_ok(
            "job-market",
            "refer",
            json!({ "personId": skilled, "to": "employer", "postingId": posting["id"] }),
        )
        .await;
    mylopotamos
        .operate_ok(
            "job-market",
            "record-outcome",
            json!({ "referralId": referral["id"], "outcome": "placed" }),
        )
        .await;
    let metrics = mylopotamos
        .ok("{ pluginMetrics { plugin name total } }", json!({}))
        .await;
    assert!(
        metrics["pluginMetrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["plugin"] == "job-market" && m["name"] == "placements" && m["total"] == 1.0),
        "{metrics}"
    );

    // A plugin not enabled at a center does not exist there.
    let elsewhere = paiania
        .operate("job-market", "match", json!({ "postingId": "x" }))
        .await;
    assert_eq!(code(&elsewhere), "NOT_FOUND");
    // Reception reads but cannot change.
    let reception = desk(&server, &backend, "reception", "paiania").await;
    let refused = reception
        .operate(
            "tutoring",
            "create-group",
            json!({ "subject": "Μαθηματικά", "grade": 2, "tutor": "Χ" }),
        )
        .await;
    assert_eq!(code(&refused), "FORBIDDEN");
    reception
        .operate_ok("tutoring", "list-groups", json!({}))
        .await;
}

#[tokio::test]
async fn the_three_plugins_work_end_to_end_on_sqlite() {
    the_three_plugins_work_end_to_end(Backend::sqlite()).await;
}

#[tokio::test]
async fn the_three_plugins_work_end_to_end_on_postgres() {
    the_three_plugins_work_end_to_end(Backend::postgres().await).await;
}

const INSTALL: &str = "mutation($m: String!, $s: String!, $c: String!) {
    installPlugin(manifest: $m, signature: $s, componentBase64: $c) { id version sha256 } }";

fn install_variables(package: &Path) -> Value {
    use base64::Engine;
    json!({
        "m": std::fs::read_to_string(package.join("plugin.toml")).unwrap(),
        "s": std::fs::read_to_string(package.join("plugin.sig")).unwrap_or_default().trim(),
        "c": base64::engine::general_purpose::STANDARD
            .encode(std::fs::read(package.join("hostile.wasm")).unwrap()),
    })
}

/// A server with the hostile plugin installed (both versions) and enabled
/// at Paiania.
pub(crate) async fn hostile_server(
    backend: &Backend,
    extra: &[(&'static str, String)],
) -> (Server, Publisher) {
    let mut env = plugin_env(backend);
    let publisher = Publisher::new(&env);
    env.push((
        "KENTRO_PLUGIN_TRUSTED_KEYS",
        format!("{}:hostile", publisher.public),
    ));
    env.extend(extra.iter().cloned());
    let server = Server::start(&env, &["--demo"]);
    let platform = server.login(PLATFORM_ADMIN, &demo_password(backend)).await;
    for version in ["hostile-1.0.0", "hostile-1.1.0"] {
        let package = publisher.signed(&env, &dist("plugins/dist-test").join(version));
        let installed = server
            .graphql_as(Some(&platform), INSTALL, install_variables(&package))
            .await;
        assert!(installed.get("errors").is_none(), "{installed}");
    }
    let admin = server
        .login(
            &demo_account("tenant-admin", "paiania"),
            &demo_password(backend),
        )
        .await;
    let enabled = server
        .caller(&admin)
        .run::<EnableHostilePlugin>(enable_hostile_plugin::Variables)
        .await
        .ok()
        .enable_plugin;
    assert_eq!(
        (enabled.status.as_str(), enabled.version.as_str()),
        ("enabled", "1.0.0")
    );
    (server, publisher)
}

#[tokio::test]
async fn a_hostile_plugin_is_stopped_with_typed_errors_while_the_server_keeps_answering() {
    let backend = Backend::sqlite();
    let (server, _publisher) = hostile_server(&backend, &[]).await;
    let paiania = desk(&server, &backend, "social-worker", "paiania").await;

    let attacks = [
        ("loop", "PLUGIN_TIMEOUT"),
        ("grow-memory", "PLUGIN_LIMIT"),
        ("recurse", "PLUGIN_LIMIT"),
        ("flood", "PLUGIN_LIMIT"),
        ("panic", "PLUGIN_FAILED"),
    ];
    let run_attacks = futures::future::join_all(attacks.iter().map(|(op, _)| {
        let paiania = &paiania;
        async move { paiania.operate("hostile", op, json!({})).await }
    }));
    let keep_answering = async {
        let mut answered = 0;
        for _ in 0..10 {
            let me = paiania.run::<MyEmail>(my_email::Variables).await.ok().me;
            assert!(
                me.as_ref()
                    .is_some_and(|me| me.email.ends_with("@paiania.demo")),
                "{me:?}"
            );
            answered += 1;
        }
        answered
    };
    let (results, answered) = tokio::join!(run_attacks, keep_answering);
    assert_eq!(answered, 10, "other requests were answered throughout");
    for ((op, expected), result) in attacks.iter().zip(&results) {
        assert_eq!(code(result), *expected, "{op}: {result}");
    }
    // Each attack ended with its typed error above: none was left to run.
    // Five failures in a row suspend the plugin for Paiania only.
    let suspended = paiania.operate("hostile", "noop", json!({})).await;
    assert_eq!(code(&suspended), "PLUGIN_SUSPENDED", "{suspended}");
    let listed = paiania
        .ok("{ plugins { id status statusReason } }", json!({}))
        .await;
    let hostile = listed["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "hostile")
        .unwrap()
        .clone();
    assert_eq!(hostile["status"], "suspended", "{listed}");
    assert!(
        hostile["statusReason"]
            .as_str()
            .unwrap()
            .contains("failures")
    );
    let tutoring = paiania
        .operate_ok("tutoring", "list-groups", json!({}))
        .await;
    assert!(tutoring["groups"].is_array(), "other plugins go on");
}

#[tokio::test]
async fn a_hostile_plugin_reads_nothing_of_another_tenant_through_any_import() {
    let backend = Backend::sqlite();
    let (server, _publisher) = hostile_server(&backend, &[]).await;
    // Veria has people and plugin records of its own.
    let veria = desk(&server, &backend, "social-worker", "veria").await;
    let mut veria_ids = Vec::new();
    for name in ["Ιφιγένεια", "Οδυσσέας"] {
        let id = veria
            .register(json!({ "givenNameEl": name, "familyNameEl": "Βεροιώτη",
                             "employmentStatus": "UNEMPLOYED" }))
            .await;
        veria_ids.push(id.clone());
    }
    veria
        .operate_ok(
            "creative-activities",
            "create-activity",
            json!({ "title": "Θέατρο", "date": "2026-12-01" }),
        )
        .await;
    let paiania = desk(&server, &backend, "social-worker", "paiania").await;
    let own = paiania
        .register(json!({ "givenNameEl": "Παιανιώτισσα", "familyNameEl": "Π",
                         "employmentStatus": "UNEMPLOYED" }))
        .await;
    let own = own.clone();

    let attempt = paiania
        .operate_ok(
            "hostile",
            "read-other-tenant",
            json!({ "personIds": veria_ids, "collections": ["activities", "places", "groups"] }),
        )
        .await;
    let leaked = attempt["leaked"].as_array().unwrap();
    assert_eq!(leaked.len(), 1, "only Paiania's own person: {attempt}");
    assert_eq!(
        attempt["suggested"], 0,
        "no suggestion lands on another center's people"
    );
    assert_eq!(leaked[0]["id"], own.as_str());
    assert!(
        leaked[0].get("disability").is_some(),
        "a social worker's call sees the declared special category: {attempt}"
    );
    let reception = desk(&server, &backend, "reception", "paiania").await;
    let as_reception = reception
        .operate_ok(
            "hostile",
            "read-other-tenant",
            json!({ "personIds": [own], "collections": [] }),
        )
        .await;
    let seen = as_reception["leaked"].as_array().unwrap();
    assert_eq!(seen.len(), 2, "{as_reception}");
    for person in seen {
        assert!(
            person.get("disability").is_none(),
            "special categories only for roles that may see them: {as_reception}"
        );
        assert!(
            person.get("amka").is_none(),
            "identifiers never reach plugins"
        );
    }
}

#[tokio::test]
async fn packages_are_verified_and_versions_switch_without_a_restart() {
    let backend = Backend::sqlite();
    let (server, publisher) = hostile_server(&backend, &[]).await;
    let paiania = desk(&server, &backend, "social-worker", "paiania").await;
    let admin = desk(&server, &backend, "tenant-admin", "paiania").await;
    let platform = server.login(PLATFORM_ADMIN, &demo_password(&backend)).await;

    assert_eq!(
        paiania.operate_ok("hostile", "noop", json!({})).await["version"],
        "1.0.0"
    );
    admin
        .ok(
            "mutation { enablePlugin(plugin: \"hostile\", version: \"1.1.0\") { version } }",
            json!({}),
        )
        .await;
    assert_eq!(
        paiania.operate_ok("hostile", "noop", json!({})).await["version"],
        "1.1.0",
        "upgraded without a restart"
    );
    admin
        .ok(
            "mutation { enablePlugin(plugin: \"hostile\", version: \"1.0.0\") { version } }",
            json!({}),
        )
        .await;
    assert_eq!(
        paiania.operate_ok("hostile", "noop", json!({})).await["version"],
        "1.0.0",
        "rolled back"
    );
    let bad_config = admin
        .call_enable(
            "tutoring",
            json!({ "subjects": "Μαθηματικά", "colour": "blue" }),
        )
        .await;
    assert_eq!(code(&bad_config), "VALIDATION", "{bad_config}");

    let env = plugin_env(&backend);
    let signed = publisher.signed(&env, &dist("plugins/dist-test").join("hostile-1.0.0"));
    // A tampered component.
    let mut tampered = install_variables(&signed);
    let mut bytes = std::fs::read(signed.join("hostile.wasm")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    use base64::Engine;
    tampered["c"] = json!(base64::engine::general_purpose::STANDARD.encode(&bytes));
    let refused = server.graphql_as(Some(&platform), INSTALL, tampered).await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SHA-256"),
        "{refused}"
    );
    // A forged manifest: more capabilities, same signature.
    let mut forged = install_variables(&signed);
    forged["m"] = json!(
        forged["m"]
            .as_str()
            .unwrap()
            .replace("memory_mib = 16", "memory_mib = 64")
    );
    let refused = server.graphql_as(Some(&platform), INSTALL, forged).await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("trusted"),
        "{refused}"
    );
    // Unsigned, from the CLI: nothing installed, exit 3.
    let unsigned = run_kentro(
        &env,
        &[
            "plugin",
            "install",
            dist("plugins/dist-test")
                .join("hostile-1.0.0")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(!unsigned.status.success());
    // Only platform admins install.
    let forbidden = server
        .graphql_as(Some(&admin.token), INSTALL, install_variables(&signed))
        .await;
    assert_eq!(code(&forbidden), "FORBIDDEN");
}

/// A publisher's key is trusted for the plugin ids named with it: a key
/// trusted for `tutoring` cannot install `hostile` (nor ship another's id).
#[tokio::test]
async fn a_publisher_key_installs_only_the_plugin_ids_it_is_trusted_for() {
    let backend = Backend::sqlite();
    let mut env = plugin_env(&backend);
    let publisher = Publisher::new(&env);
    env.push((
        "KENTRO_PLUGIN_TRUSTED_KEYS",
        format!("{}:tutoring", publisher.public),
    ));
    let server = Server::start(&env, &["--demo"]);
    let platform = server.login(PLATFORM_ADMIN, &demo_password(&backend)).await;
    let package = publisher.signed(&env, &dist("plugins/dist-test").join("hostile-1.0.0"));
    let refused = server
        .graphql_as(Some(&platform), INSTALL, install_variables(&package))
        .await;
    let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("trusted to publish"), "{refused}");
    assert!(refused["data"].is_null() || refused["data"]["installPlugin"].is_null());
}

/// Signatures are checked at every load against the keys trusted now:
/// when a publisher's key is no longer trusted, its installed packages
/// stop loading, though they stay installed.
#[tokio::test]
async fn a_package_whose_key_is_no_longer_trusted_is_not_loaded() {
    let backend = Backend::sqlite();
    let (server, _publisher) = hostile_server(&backend, &[]).await;
    let paiania = desk(&server, &backend, "social-worker", "paiania").await;
    assert!(
        paiania
            .operate("hostile", "noop", json!({}))
            .await
            .get("errors")
            .is_none(),
        "trusted, it runs"
    );
    drop(paiania);
    drop(server);

    let untrusted = Server::start(&plugin_env(&backend), &[]);
    let paiania = desk(&untrusted, &backend, "social-worker", "paiania").await;
    let refused = paiania.operate("hostile", "noop", json!({})).await;
    assert_eq!(code(&refused), "PLUGIN_FAILED", "{refused}");
}

/// Cached artifacts are native code: one put in the cache directory by
/// anyone but this server (here another version's genuine artifact, with
/// its MAC, under the enabled version's name) fails its MAC and the
/// verified component is compiled again, never the planted one loaded. The
/// cache is the server user's alone (0700).
#[tokio::test]
async fn a_planted_artifact_in_the_cache_is_never_loaded() {
    use sha2::Digest;
    let backend = Backend::sqlite();
    let cache = tempfile::tempdir().unwrap();
    let private_cache = [(
        "KENTRO_PLUGIN_CACHE_DIR",
        cache.path().join("artifacts").display().to_string(),
    )];
    let (server, publisher) = hostile_server(&backend, &private_cache).await;
    let paiania = desk(&server, &backend, "social-worker", "paiania").await;
    assert!(
        paiania
            .operate("hostile", "noop", json!({}))
            .await
            .get("errors")
            .is_none()
    );
    drop(paiania);
    drop(server);

    let digest = |version: &str| -> String {
        let wasm =
            std::fs::read(dist("plugins/dist-test").join(version).join("hostile.wasm")).unwrap();
        sha2::Sha256::digest(&wasm)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let (enabled, other) = (digest("hostile-1.0.0"), digest("hostile-1.1.0"));
    let mut artifacts = Vec::new();
    let mut dirs = vec![cache.path().join("artifacts")];
    while let Some(dir) = dirs.pop() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", dir.display());
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "cwasm") {
                artifacts.push(path);
            }
        }
    }
    let find = |sha: &str| {
        artifacts
            .iter()
            .find(|p| p.file_stem().is_some_and(|s| s == sha))
            .unwrap_or_else(|| panic!("{sha} is cached: {artifacts:?}"))
            .clone()
    };
    let (target, donor) = (find(&enabled), find(&other));
    std::fs::copy(&donor, &target).unwrap();
    std::fs::copy(donor.with_extension("mac"), target.with_extension("mac")).unwrap();
    let planted = std::fs::read(&target).unwrap();

    let mut env = plugin_env(&backend);
    env.extend(private_cache.iter().cloned());
    env.push((
        "KENTRO_PLUGIN_TRUSTED_KEYS",
        format!("{}:hostile", publisher.public),
    ));
    let restarted = Server::start(&env, &[]);
    let paiania = desk(&restarted, &backend, "social-worker", "paiania").await;
    let answer = paiania.operate("hostile", "noop", json!({})).await;
    assert!(
        answer.get("errors").is_none(),
        "the enabled version runs: {answer}"
    );
    assert_ne!(
        std::fs::read(&target).unwrap(),
        planted,
        "the planted artifact was replaced by one compiled from the verified component"
    );
}

/// Records created by calls running at once get ids of their own: none
/// overwrites another (the SDK's ids were counted, and two calls could
/// take the same one).
#[tokio::test]
async fn records_created_at_once_by_concurrent_calls_all_survive() {
    let backend = Backend::postgres().await;
    let server = Server::start(&plugin_env(&backend), &["--demo"]);
    let worker = desk(&server, &backend, "social-worker", "paiania").await;
    let before = worker
        .operate_ok("tutoring", "list-groups", json!({}))
        .await["groups"]
        .as_array()
        .unwrap()
        .len();
    let created = futures::future::join_all((0..8).map(|n| {
        let worker = &worker;
        async move {
            worker
                .operate_ok(
                    "tutoring",
                    "create-group",
                    json!({ "subject": "Μαθηματικά", "grade": 3, "tutor": format!("Εθελόντρια {n}") }),
                )
                .await
        }
    }))
    .await;
    assert_eq!(created.len(), 8);
    let groups = worker
        .operate_ok("tutoring", "list-groups", json!({}))
        .await["groups"]
        .as_array()
        .unwrap()
        .clone();
    let ids: std::collections::BTreeSet<&str> =
        groups.iter().filter_map(|g| g["id"].as_str()).collect();
    assert_eq!(groups.len(), before + 8, "{groups:?}");
    assert_eq!(
        ids.len(),
        groups.len(),
        "every group has its own id: {groups:?}"
    );
}

/// The hostile plugin, enabled at two centers with records at both: what
/// one center's calls write or read through every import stays there; a
/// call flooding the database through host calls is stopped by its
/// host-time budget, and the other center is served throughout, through
/// the plugin pool too.
async fn a_hostile_plugin_in_two_centers(backend: Backend) {
    let (server, _publisher) = hostile_server(&backend, &[]).await;
    let veria_admin = desk(&server, &backend, "tenant-admin", "veria").await;
    let enabled = veria_admin
        .ok(
            "mutation { enablePlugin(plugin: \"hostile\", version: \"1.0.0\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(enabled["enablePlugin"]["status"], "enabled", "{enabled}");
    let veria = desk(&server, &backend, "social-worker", "veria").await;
    let paiania = desk(&server, &backend, "social-worker", "paiania").await;

    // Each center's hostile records: the last person-registered event,
    // written by the plugin in that center.
    let veria_person = veria
        .register(json!({ "givenNameEl": "Βεροιώτισσα", "familyNameEl": "Β",
                          "employmentStatus": "UNEMPLOYED" }))
        .await;
    let own = paiania
        .register(json!({ "givenNameEl": "Παιανιώτης", "familyNameEl": "Π",
                          "employmentStatus": "UNEMPLOYED" }))
        .await;
    let mut own_event_seen = false;
    for _ in 0..100 {
        let attempt = paiania
            .operate_ok(
                "hostile",
                "read-other-tenant",
                json!({ "personIds": [veria_person], "collections": ["events", "flood"] }),
            )
            .await;
        let text = attempt.to_string();
        assert!(
            !text.contains(veria_person.as_str()),
            "Veria's person reached Paiania's plugin: {attempt}"
        );
        assert_eq!(attempt["suggested"], 0, "{attempt}");
        // The event record's body names Paiania's own person.
        if text.contains("person_id") {
            own_event_seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        own_event_seen,
        "Paiania's own event record is readable to it"
    );
    let theirs = veria
        .operate_ok(
            "hostile",
            "read-other-tenant",
            json!({ "personIds": [own], "collections": ["events"] }),
        )
        .await;
    assert!(
        !theirs.to_string().contains(own.as_str()),
        "and the other way round: {theirs}"
    );
    assert!(
        theirs.to_string().contains(veria_person.as_str()),
        "Veria's plugin reads Veria's own records: {theirs}"
    );

    // The flood runs while Veria keeps working: its plugin calls (through
    // the same pool) and its GraphQL requests are answered throughout.
    let flood = paiania.operate("hostile", "db-flood", json!({}));
    let meanwhile = async {
        let mut answered = 0;
        for n in 0..10 {
            let listed = veria
                .ok("{ people(first: 5) { edges { node { id } } } }", json!({}))
                .await;
            assert!(listed["people"]["edges"].is_array(), "{listed}");
            let noop = veria.operate_ok("hostile", "noop", json!({ "n": n })).await;
            assert_eq!(noop["ok"], true, "{noop}");
            answered += 1;
        }
        answered
    };
    let (flooded, answered) = tokio::join!(flood, meanwhile);
    // Stopped by its host-time budget or host-call budget (PLUGIN_LIMIT), or,
    // where the host's own work between the waits adds up first, by the
    // deadline (PLUGIN_TIMEOUT): never left to run.
    assert!(
        matches!(code(&flooded), "PLUGIN_LIMIT" | "PLUGIN_TIMEOUT"),
        "{flooded}"
    );
    assert_eq!(answered, 10);
}

#[tokio::test]
async fn a_hostile_plugin_in_two_centers_on_sqlite() {
    a_hostile_plugin_in_two_centers(Backend::sqlite()).await;
}

#[tokio::test]
async fn a_hostile_plugin_in_two_centers_on_postgres() {
    a_hostile_plugin_in_two_centers(Backend::postgres().await).await;
}

/// `kentro tenant apply` enables the plugins a manifest names, with its
/// configuration, wherever the package is installed (not only under
/// `--demo`); a plugin that is not installed is reported and reads as not
/// running, while the tenant's other plugins run.
#[tokio::test]
async fn tenant_apply_enables_the_manifests_installed_plugins_outside_demo() {
    let backend = Backend::sqlite();
    let mut env = plugin_env(&backend);
    let publisher = Publisher::new(&env);
    env.push((
        "KENTRO_PLUGIN_TRUSTED_KEYS",
        format!("{}:tutoring", publisher.public),
    ));
    let signed = publisher.signed(&env, &dist("plugins/dist").join("tutoring"));
    let installed = run_kentro(&env, &["plugin", "install", signed.to_str().unwrap()]);
    assert!(installed.status.success(), "{}", stderr_of(&installed));

    let manifests = tempfile::tempdir().unwrap();
    let folder = manifests.path().join("kallithea");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("tenant.toml"),
        r#"
slug = "kallithea"
name_el = "Δήμος Καλλιθέας"
name_latin = "Municipality of Kallithea"
region = "attica"
[funding]
programme = "Αττική 2021-2027"
[[centers]]
key = "main"
kind = "main"
name = "Κέντρο Κοινότητας Δήμου Καλλιθέας"
address = { street = "Ματζαγριωτάκη 76", locality = "Καλλιθέα" }
opening_hours = { monday = "08:00-16:00", tuesday = "08:00-16:00" }
[[plugins]]
id = "tutoring"
config = { subjects = ["Μαθηματικά"], min_grade = 1, max_grade = 6 }
[[plugins]]
id = "job-market"
"#,
    )
    .unwrap();
    let applied = run_kentro(
        &env,
        &["tenant", "apply", manifests.path().to_str().unwrap()],
    );
    assert!(applied.status.success(), "{}", stderr_of(&applied));
    let said = stdout_of(&applied);
    assert!(said.contains("kallithea enables tutoring"), "{said}");
    assert!(
        said.contains("kallithea cannot enable job-market"),
        "{said}"
    );

    crate::harness::add_user(
        &env,
        Some("kallithea"),
        "social_worker",
        "worker@kallithea.example",
        "a long enough password",
    );
    let server = Server::start(&env, &[]);
    let worker = server
        .login("worker@kallithea.example", "a long enough password")
        .await;
    let plugins: Vec<(String, bool, Value)> = server
        .caller(&worker)
        .run::<MyTenantPlugins>(my_tenant_plugins::Variables)
        .await
        .ok()
        .my_tenant
        .expect("the worker's center")
        .plugins
        .into_iter()
        .map(|p| (p.id, p.running, p.config))
        .collect();
    assert_eq!(
        plugins,
        [
            (
                "tutoring".to_owned(),
                true,
                json!({ "subjects": ["Μαθηματικά"], "min_grade": 1, "max_grade": 6 })
            ),
            ("job-market".to_owned(), false, json!({}))
        ]
    );
    // The enabled plugin answers, with the manifest's configuration.
    let groups = server
        .graphql_as(
            Some(&worker),
            OPERATION,
            json!({ "plugin": "tutoring", "operation": "list-groups", "input": {} }),
        )
        .await;
    assert!(groups.get("errors").is_none(), "{groups}");
}

/// Overseers read plugins' metric names in the aggregates: only the names a
/// plugin declared (and so its publisher signed) reach them, shaped
/// `[a-z0-9_]+`; anything else is refused to the plugin, by name.
#[tokio::test]
async fn only_declared_well_shaped_metric_names_reach_the_aggregates() {
    let backend = Backend::sqlite();
    let (server, _publisher) = hostile_server(&backend, &[]).await;
    let paiania = desk(&server, &backend, "social-worker", "paiania").await;
    let answered = paiania.operate_ok("hostile", "metrics", json!({})).await;
    assert_eq!(answered["declared"], true, "{answered}");
    assert!(
        answered["undeclared"]
            .as_str()
            .is_some_and(|e| e.contains("did not declare")),
        "{answered}"
    );
    assert!(
        answered["formula"]
            .as_str()
            .is_some_and(|e| e.contains("a-z, 0-9 and _")),
        "{answered}"
    );
    let admin = desk(&server, &backend, "tenant-admin", "paiania").await;
    let metrics = admin
        .ok("{ pluginMetrics { plugin name total } }", json!({}))
        .await;
    let hostile: Vec<&str> = metrics["pluginMetrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["plugin"] == "hostile")
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(hostile, ["scanned"], "{metrics}");
}
