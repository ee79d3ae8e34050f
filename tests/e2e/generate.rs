//! The synthetic-data generator fills a database a client can then use.

use serde_json::json;

use crate::harness::{Backend, Server, demo_password, run_kentro, stderr_of, stdout_of};

async fn generated_data_is_usable(backend: Backend) {
    let env = backend.env();
    let output = run_kentro(
        &env,
        &[
            "demo",
            "generate",
            "--tenants",
            "2",
            "--people-per-tenant",
            "300",
        ],
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(stdout_of(&output).contains("generated 2 synthetic municipalities"));
    let listed = stdout_of(&run_kentro(&env, &["tenant", "list"]));
    assert!(
        listed.starts_with("synth-001\t") && listed.contains("\nsynth-002\t"),
        "{listed}"
    );

    let server = Server::start(&env, &[]);
    let token = server
        .login("social-worker-1@synth-002.demo", &demo_password(&backend))
        .await;
    let people = server
        .graphql_as(
            Some(&token),
            "{ people(first: 100) { edges { node { displayName amka birthDate household { members { relationship } } } } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    let edges = people["data"]["people"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{people}"));
    assert_eq!(edges.len(), 100);
    assert_eq!(people["data"]["people"]["pageInfo"]["hasNextPage"], true);
    assert!(
        edges.iter().all(|e| e["node"]["household"]["members"]
            .as_array()
            .is_some_and(|m| !m.is_empty())),
        "every generated person lives in a household"
    );
    let cases = server
        .graphql_as(
            Some(&token),
            "{ cases(first: 10) { edges { node { status person { displayName } assignedTo { email } } } } }",
            json!({}),
        )
        .await;
    let cases = cases["data"]["cases"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{cases}"));
    assert_eq!(cases.len(), 10);
    assert!(cases.iter().all(|c| {
        c["node"]["assignedTo"]["email"]
            .as_str()
            .is_some_and(|e| e.ends_with("@synth-002.demo"))
    }));
}

#[tokio::test]
async fn generated_data_is_usable_on_sqlite() {
    generated_data_is_usable(Backend::sqlite()).await;
}

#[tokio::test]
async fn generated_data_is_usable_on_postgres() {
    generated_data_is_usable(Backend::postgres().await).await;
}
