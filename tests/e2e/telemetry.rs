//! Traces leave the process over OTLP when a collector is configured.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::harness::{Backend, Server};

/// What a collector received: (path, body) of each export.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A minimal OTLP/HTTP collector: records every POST and answers 200.
async fn start_collector() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let received: Received = Arc::default();
    let sink = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sink = sink.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let path = request_line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_owned();
                    let mut length = 0;
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if header == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    sink.lock().unwrap().push((path, body));
                    let ok = b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
                    if reader.get_mut().write_all(ok).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{address}"), received)
}

fn exported_bytes(received: &Received) -> Vec<u8> {
    received
        .lock()
        .unwrap()
        .iter()
        .filter(|(path, _)| path == "/v1/traces")
        .flat_map(|(_, body)| body.clone())
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn a_graphql_operation_is_exported_as_spans_when_a_collector_is_configured() {
    let (endpoint, received) = start_collector().await;
    let backend = Backend::sqlite();
    let mut env = backend.env();
    env.push(("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint));
    env.push(("OTEL_BSP_SCHEDULE_DELAY", "100".into()));
    env.push(("KENTRO_LOG", "info".into()));
    let server = Server::start(&env, &[]);

    let response = server.graphql("{ me { email } }", json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let bytes = exported_bytes(&received);
        let complete = ["kentro", "http_request", "/graphql", "execute"]
            .iter()
            .all(|needle| contains(&bytes, needle));
        if complete {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no complete trace of the operation reached the collector ({} bytes)",
            bytes.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Flushing the exporter at shutdown does not disturb a clean exit.
    let exit = server.terminate();
    assert!(exit.success(), "kentro exited with {exit}");
}

#[tokio::test]
async fn traces_carry_no_password_amka_or_link_token() {
    let (endpoint, received) = start_collector().await;
    let backend = Backend::sqlite();
    let mut env = backend.demo_env();
    env.push(("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint));
    env.push(("OTEL_BSP_SCHEDULE_DELAY", "100".into()));
    env.push(("KENTRO_LOG", "info".into()));
    let server = Server::start(&env, &["--demo"]);

    let password = crate::harness::demo_password(&backend);
    let login = server
        .graphql(
            &format!(
                "mutation SignIn {{ login(email: \"{}\", password: \"{password}\") {{ token }} }}",
                crate::harness::demo_account("social-worker", "paiania")
            ),
            json!({}),
        )
        .await;
    let token = login["data"]["login"]["token"].as_str().unwrap().to_owned();
    let inline_amka = kentro_domain::identifiers::fixtures::amka(3, 4, 85, 1);
    let variable_amka = kentro_domain::identifiers::fixtures::amka(9, 10, 77, 2);
    for (document, variables) in [
        (
            format!(
                "mutation Inline {{ registerPerson(input: {{ givenNameEl: \"Σοφία\", familyNameEl: \"Ιχνηλάτη\", amka: \"{inline_amka}\" }}) {{ id }} }}"
            ),
            json!({}),
        ),
        (
            "mutation Variables($input: PersonInput!) { registerPerson(input: $input) { id } }"
                .to_owned(),
            json!({ "input": { "givenNameEl": "Αρετή", "familyNameEl": "Ιχνηλάτη", "amka": variable_amka } }),
        ),
    ] {
        let response = server.graphql_as(Some(&token), &document, variables).await;
        assert!(response.get("errors").is_none(), "{response}");
    }
    let link_token = format!("1-{}", "ab".repeat(32));
    let (status, _) = server
        .get(&format!("/partner/referrals/{link_token}"))
        .await;
    assert_eq!(status, 404);

    // Wait for the spans of the last request, then look for the secrets.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let bytes = exported_bytes(&received);
        if ["Variables", "/partner/referrals/{token}", "SignIn"]
            .iter()
            .all(|needle| contains(&bytes, needle))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the spans did not arrive ({} bytes)",
            bytes.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bytes = exported_bytes(&received);
    for (what, secret) in [
        ("password", password.as_str()),
        ("session token", token.as_str()),
        ("inline ΑΜΚΑ", inline_amka.as_str()),
        ("ΑΜΚΑ in variables", variable_amka.as_str()),
        ("partner link token", "abababababababab"),
    ] {
        assert!(!contains(&bytes, secret), "the traces hold the {what}");
    }
    assert!(contains(&bytes, "registerPerson"), "the shape is there");
}
