//! Start-up settings as an operator meets them.

use serde_json::json;

use crate::harness::{Backend, Server, run_kentro, stderr_of};

const PARTICIPANT_KEY: &str = "a-participant-key-of-at-least-32-characters";
const SESSION_KEY: &str = "a-session-key-of-at-least-32-characters-too";
const AUDIT_KEY: &str = "an-audit-key-of-at-least-32-characters-also";

#[test]
fn a_bad_listen_address_stops_startup_with_one_line_naming_it_and_exit_code_2() {
    let backend = Backend::sqlite();
    let output = run_kentro(&backend.env(), &["serve", "--listen", "nonsense"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--listen"), "{stderr}");
    assert!(stderr.contains("\"nonsense\""), "{stderr}");
    assert!(stderr.contains("127.0.0.1:8080"), "{stderr}");
}

#[test]
fn an_unknown_environment_from_the_env_is_refused_with_exit_code_2() {
    let backend = Backend::sqlite();
    let mut env = backend.env();
    env.push(("KENTRO_ENV", "staging".into()));
    let output = run_kentro(&env, &["serve"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("KENTRO_ENV"), "{stderr}");
    assert!(stderr.contains("\"staging\""), "{stderr}");
    assert!(stderr.contains("development or production"), "{stderr}");
}

#[test]
fn a_flag_overrides_the_environment_which_overrides_the_settings_file() {
    let backend = Backend::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kentro.toml");
    std::fs::write(&file, "listen = \"file-value\"\nlog_format = \"xml\"\n").unwrap();
    let mut env = backend.env();
    env.push(("KENTRO_CONFIG", file.display().to_string()));

    // The file's bad log_format is reported: the file is read.
    let output = run_kentro(&env, &["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("\"xml\""),
        "{}",
        stderr_of(&output)
    );

    // The environment wins over the file ...
    env.push(("KENTRO_LOG_FORMAT", "json".into()));
    env.push(("KENTRO_LISTEN", "env-value".into()));
    let output = run_kentro(&env, &["serve"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("\"env-value\""),
        "{}",
        stderr_of(&output)
    );

    // ... and the flag over the environment.
    let output = run_kentro(&env, &["serve", "--listen", "flag-value"]);
    assert!(
        stderr_of(&output).contains("\"flag-value\""),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn a_missing_settings_file_named_explicitly_is_an_error() {
    let backend = Backend::sqlite();
    let output = run_kentro(
        &backend.env(),
        &["--config", "/nonexistent/kentro.toml", "tenant", "list"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("/nonexistent/kentro.toml"));
}

#[tokio::test]
async fn production_mode_turns_off_graphiql_and_introspection() {
    let backend = Backend::sqlite();
    let mut env = backend.env();
    env.push(("KENTRO_ENV", "production".into()));
    env.push(("KENTRO_PARTICIPANT_KEY", PARTICIPANT_KEY.into()));
    env.push(("KENTRO_SESSION_KEY", SESSION_KEY.into()));
    env.push(("KENTRO_AUDIT_KEY", AUDIT_KEY.into()));
    let server = Server::start(&env, &[]);
    assert!(
        !server.banner.iter().any(|l| l.contains("GraphiQL")),
        "{:?}",
        server.banner
    );
    let (status, _) = server.get("/graphql").await;
    assert_ne!(status, 200, "no API page in production");
    let (status, _) = server.get("/graphql/schema.graphql").await;
    assert_ne!(status, 200, "no SDL in production");
    let response = server
        .graphql("{ __schema { queryType { name } } }", json!({}))
        .await;
    // async-graphql answers introspection with null when it is disabled.
    assert!(response["data"]["__schema"].is_null(), "{response}");
    let response = server.graphql(&standard_introspection(), json!({})).await;
    assert!(response["data"]["__schema"].is_null(), "{response}");

    // Outside production: a page naming the contract, the SDL, and
    // introspection as the usual tools send it.
    let backend = Backend::sqlite();
    let server = Server::start(&backend.env(), &[]);
    let (status, page) = server.get("/graphql").await;
    assert_eq!(status, 200);
    assert!(page.contains("schema.graphql"), "{page}");
    assert!(!page.contains("<script"), "{page}");
    let (status, sdl) = server.get("/graphql/schema.graphql").await;
    assert_eq!(status, 200);
    assert!(sdl.contains("type Query {"), "{sdl}");
    let response = server
        .graphql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(response["data"]["__schema"]["queryType"]["name"], "Query");
    let response = server.graphql(&standard_introspection(), json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let types = response["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Person"), "{response}");
    // The limits still hold for anything that reads more than the schema:
    // the same document with one data field beside it is too deep.
    let mixed = standard_introspection().replacen("__schema {", "me { id } __schema {", 1);
    let response = server.graphql(&mixed, json!({})).await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "INVALID_QUERY",
        "{response}"
    );
}

/// The standard introspection query of graphql-js (`getIntrospectionQuery`
/// with every option), as GraphiQL and code generators send it.
fn standard_introspection() -> String {
    std::fs::read_to_string(
        crate::harness::repo_root().join("tests/fixtures/introspection.graphql"),
    )
    .unwrap()
}

#[tokio::test]
async fn html_pages_carry_a_content_security_policy_and_no_response_sniffs_or_refers() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.env(), &[]);
    let client = reqwest::Client::new();
    for (path, html) in [
        ("/partner/referrals/not-a-token", true),
        ("/graphql", true),
        ("/healthz", false),
        ("/assets/partner.css", false),
    ] {
        let response = client
            .get(format!("{}{path}", server.base_url))
            .send()
            .await
            .unwrap();
        let headers = response.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        let csp = header("content-security-policy");
        if html {
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
            let body = response.text().await.unwrap();
            assert!(
                !body.contains("<style") && !body.contains("<script"),
                "{path}: {body}"
            );
            assert!(
                !body.contains("https://"),
                "{path} loads from another origin: {body}"
            );
        }
    }
}

#[test]
fn demo_is_refused_in_production() {
    let backend = Backend::sqlite();
    let mut env = backend.demo_env();
    env.push(("KENTRO_ENV", "production".into()));
    env.push(("KENTRO_PARTICIPANT_KEY", PARTICIPANT_KEY.into()));
    let output = run_kentro(&env, &["serve", "--listen", "127.0.0.1:0", "--demo"]);
    assert!(!output.status.success());
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("--demo is refused in production"),
        "{stderr}"
    );
    let Backend::Sqlite { data_dir } = &backend else {
        unreachable!()
    };
    assert!(
        !data_dir.path().join("demo-password.txt").exists()
            && !data_dir.path().join("kentro.db").exists(),
        "nothing was created"
    );
}

#[test]
fn production_refuses_to_make_up_a_participant_session_or_audit_key() {
    let keys = [
        ("KENTRO_PARTICIPANT_KEY", PARTICIPANT_KEY),
        ("KENTRO_SESSION_KEY", SESSION_KEY),
        ("KENTRO_AUDIT_KEY", AUDIT_KEY),
    ];
    for (missing, _) in keys {
        let backend = Backend::sqlite();
        let mut env = backend.env();
        env.push(("KENTRO_ENV", "production".into()));
        for (name, value) in keys.iter().filter(|(name, _)| *name != missing) {
            env.push((name, (*value).into()));
        }
        let output = run_kentro(&env, &["serve", "--listen", "127.0.0.1:0"]);
        assert!(!output.status.success());
        let stderr = stderr_of(&output);
        assert!(stderr.contains(missing), "{stderr}");
    }
}

#[tokio::test]
#[cfg(unix)]
async fn keys_and_the_demo_password_are_readable_by_the_server_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let Backend::Sqlite { data_dir } = &backend else {
        unreachable!()
    };
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(data_dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".key") || name.contains("password") {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name} is {mode:o}");
            checked.push(name);
        }
    }
    assert!(
        checked.iter().any(|n| n == "participant.key") && checked.len() >= 2,
        "{checked:?}"
    );
    drop(server);
}
