//! Liveness, readiness and shutdown.

use std::path::PathBuf;
use std::process::Command;

use crate::harness::{Backend, Server, create_database, repo_root};

#[tokio::test]
async fn healthz_answers_ok_while_the_process_is_up() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.env(), &[]);
    let (status, body) = server.get_json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_on_the_embedded_default_reports_sqlite_and_the_in_process_stand_in() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.env(), &[]);
    let (status, body) = server.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"]["backend"], "sqlite");
    assert_eq!(body["checks"]["database"]["status"], "up");
    assert_eq!(body["checks"]["redis"]["backend"], "in-process");
}

#[tokio::test]
async fn readyz_checks_postgres_and_redis_when_they_are_configured() {
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.env(), &[]);
    let (status, body) = server.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["database"]["backend"], "postgresql");
    assert_eq!(body["checks"]["database"]["status"], "up");
    assert_eq!(body["checks"]["redis"]["backend"], "redis");
    assert_eq!(body["checks"]["redis"]["status"], "up");
}

/// A PostgreSQL cluster of this test's own, so stopping it disturbs no other test.
struct PrivatePostgres {
    dir: tempfile::TempDir,
}

impl PrivatePostgres {
    fn script() -> PathBuf {
        repo_root().join("infra/scripts/throwaway-postgres.sh")
    }

    fn cluster_dir(&self) -> PathBuf {
        self.dir.path().join("pg")
    }

    /// Starts the cluster and returns its superuser URL.
    fn start() -> (PrivatePostgres, String) {
        let postgres = PrivatePostgres {
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        let output = Command::new(Self::script())
            .arg("start")
            .arg(postgres.cluster_dir())
            .output()
            .expect("the throwaway-postgres script runs");
        assert!(
            output.status.success(),
            "PostgreSQL did not start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let url = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        (postgres, url)
    }

    fn stop(&self) {
        let status = Command::new(Self::script())
            .arg("stop")
            .arg(self.cluster_dir())
            .status()
            .expect("the throwaway-postgres script runs");
        assert!(status.success(), "PostgreSQL did not stop");
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        Command::new(Self::script())
            .arg("stop")
            .arg(self.cluster_dir())
            .status()
            .ok();
    }
}

#[tokio::test]
async fn readyz_turns_503_naming_the_database_when_postgres_is_stopped() {
    let (postgres, admin_url) = PrivatePostgres::start();
    let database = create_database(&admin_url).await;
    let data_dir = tempfile::tempdir().unwrap();
    let env = [
        ("KENTRO_DATABASE_URL", database.server_url),
        ("KENTRO_MIGRATE_DATABASE_URL", database.owner_url),
        ("KENTRO_DATA_DIR", data_dir.path().display().to_string()),
    ];
    let server = Server::start(&env, &[]);
    let (status, body) = server.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");

    postgres.stop();

    let (status, body) = server.get_json("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["database"]["status"], "down");
    assert!(
        body["checks"]["database"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert_eq!(body["checks"]["redis"]["status"], "up");
    // The process itself is still alive.
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.env(), &[]);
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, 200);
    let exit = server.terminate();
    assert!(exit.success(), "kentro exited with {exit} after SIGTERM");
}

#[tokio::test]
async fn a_request_in_flight_at_sigterm_is_answered_before_the_server_exits() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

    let backend = Backend::sqlite();
    let server = Server::start(&backend.env(), &[]);
    let address = server.base_url.trim_start_matches("http://").to_owned();
    let body = r#"{"query":"{ me { email } }"}"#;
    let stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let mut stream = tokio::io::BufReader::new(stream);
    // `Expect: 100-continue`: the server says "100 Continue" once its
    // handler has the headers and waits for the body, so the test knows
    // the request is in flight without guessing how long that takes.
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.get_mut().write_all(head.as_bytes()).await.unwrap();
    let mut line = String::new();
    stream.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("HTTP/1.1 100"), "{line}");
    stream.read_line(&mut line).await.unwrap();

    server.send_sigterm();
    // The shutdown has begun once the server takes no new connection
    // (polled, with a bound for a server that never stops listening).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while tokio::net::TcpStream::connect(&address).await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server kept listening after SIGTERM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stream.get_mut().write_all(body.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""me":null"#), "{response}");

    let exit = server.wait_for_exit();
    assert!(exit.success(), "kentro exited with {exit}");
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_answered_503() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let backend = Backend::sqlite();
    let mut env = backend.env();
    env.push(("KENTRO_REQUEST_TIMEOUT_SECONDS", "1".into()));
    let server = Server::start(&env, &[]);
    let address = server.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    // A client that announces a body and never sends it.
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = String::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stream.read_to_string(&mut response),
    )
    .await;
    assert!(read.is_ok(), "the server never answered");
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
}
