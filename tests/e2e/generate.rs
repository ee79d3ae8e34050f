//! The synthetic-data generator fills a database a client can then use.

use crate::harness::{Backend, Server, demo_password, run_kentro, stderr_of, stdout_of};
use crate::operations::{GeneratedCases, GeneratedPeople, generated_cases, generated_people};

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
    let worker = server.caller(&token);
    let people = worker
        .run::<GeneratedPeople>(generated_people::Variables)
        .await
        .ok()
        .people;
    assert_eq!(people.edges.len(), 100);
    assert!(people.page_info.has_next_page);
    assert!(
        people.edges.iter().all(|e| e
            .node
            .household
            .as_ref()
            .is_some_and(|h| !h.members.is_empty())),
        "every generated person lives in a household"
    );
    let cases = worker
        .run::<GeneratedCases>(generated_cases::Variables)
        .await
        .ok()
        .cases
        .edges;
    assert_eq!(cases.len(), 10);
    assert!(
        cases.iter().all(|c| c
            .node
            .assigned_to
            .as_ref()
            .is_some_and(|a| a.email.ends_with("@synth-002.demo"))),
        "every generated case is assigned to one of the center's workers"
    );
}

#[tokio::test]
async fn generated_data_is_usable_on_sqlite() {
    generated_data_is_usable(Backend::sqlite()).await;
}

#[tokio::test]
async fn generated_data_is_usable_on_postgres() {
    generated_data_is_usable(Backend::postgres().await).await;
}
