//! Start-up settings as an operator meets them.

use serde_json::json;

use crate::harness::{Backend, Server, run_kentro, stderr_of};

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
    let server = Server::start(&env, &[]);
    assert!(
        !server.banner.iter().any(|l| l.contains("GraphiQL")),
        "{:?}",
        server.banner
    );
    let (status, _) = server.get("/graphql").await;
    assert_ne!(status, 200, "GraphiQL must not be served in production");
    let response = server
        .graphql("{ __schema { queryType { name } } }", json!({}))
        .await;
    // async-graphql answers introspection with null when it is disabled.
    assert!(response["data"]["__schema"].is_null(), "{response}");

    // Outside production both are there.
    let backend = Backend::sqlite();
    let server = Server::start(&backend.env(), &[]);
    let (status, page) = server.get("/graphql").await;
    assert_eq!(status, 200);
    assert!(page.contains("graphiql"), "the GraphiQL page");
    let response = server
        .graphql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(response["data"]["__schema"]["queryType"]["name"], "Query");
}
