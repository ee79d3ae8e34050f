//! GraphQL over WebSocket holds to the same rules as a request: the session
//! is checked for every operation on an open socket, the socket is closed
//! (code 4401) when the session ends, quotas are taken per operation, and
//! messages and operations at once are bounded.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::harness::{Backend, Server, demo_account, demo_password, optional_code};

/// How long a test waits for something the server does on its own; a
/// bound for a hung server, not a timing claim.
const PATIENCE: Duration = Duration::from_secs(30);

const PEOPLE: &str = "{ people(first: 5) { edges { node { displayName } } } }";

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws client, after `connection_ack`.
struct Socket {
    stream: Stream,
}

/// What the server said about one operation, or that it closed the socket.
#[derive(Debug)]
enum Heard {
    /// A `next` payload (data and errors), or an `error` message's errors.
    Answer(Value),
    Closed(Option<u16>),
}

impl Socket {
    async fn open(server: &Server, token: &str) -> Socket {
        let url = format!(
            "{}/graphql/ws",
            server.base_url.replacen("http://", "ws://", 1)
        );
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the WebSocket opens");
        let mut socket = Socket { stream };
        socket
            .send(json!({ "type": "connection_init",
                          "payload": { "authorization": format!("Bearer {token}") } }))
            .await;
        let ack = socket.message().await.expect("an acknowledgement");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        socket
    }

    async fn send(&mut self, message: Value) {
        self.stream
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
    }

    async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
            .await;
    }

    /// The next protocol message, answering pings; `Err` with the close
    /// code once the server closes the socket.
    async fn message(&mut self) -> Result<Value, Option<u16>> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.stream.next())
                .await
                .expect("the server says something");
            match message {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(text.as_str()).unwrap();
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Ok(value);
                }
                Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(None),
            }
        }
    }

    /// The answer to operation `id` (skipping `complete`s), or the close.
    async fn answer(&mut self, id: &str) -> Heard {
        loop {
            match self.message().await {
                Err(code) => return Heard::Closed(code),
                Ok(m) if m["id"] == id && m["type"] == "next" => {
                    return Heard::Answer(m["payload"].clone());
                }
                Ok(m) if m["id"] == id && m["type"] == "error" => {
                    return Heard::Answer(json!({ "errors": m["payload"] }));
                }
                Ok(_) => continue,
            }
        }
    }

    /// Waits for the server to close the socket, and its close code.
    async fn closed(&mut self) -> Option<u16> {
        loop {
            if let Err(code) = self.message().await {
                return code;
            }
        }
    }
}

async fn someone_registered(server: &Server, token: &str) {
    let response = server
        .graphql_as(
            Some(token),
            "mutation { registerPerson(input: { givenNameEl: \"Ελένη\", familyNameEl: \"Σωκράτους\" }) { id } }",
            json!({}),
        )
        .await;
    assert!(response.get("errors").is_none(), "{response}");
}

async fn a_socket_opened_before_logout_answers_nothing_after_it(backend: Backend) {
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let token = server
        .login(
            &demo_account("reception", "paiania"),
            &demo_password(&backend),
        )
        .await;
    someone_registered(&server, &token).await;
    let mut socket = Socket::open(&server, &token).await;
    socket.subscribe("before", PEOPLE).await;
    let Heard::Answer(before) = socket.answer("before").await else {
        panic!("the socket answers while the session lives");
    };
    assert!(
        before["data"]["people"]["edges"][0]["node"]["displayName"].is_string(),
        "{before}"
    );

    let logout = server
        .graphql_as(Some(&token), "mutation { logout }", json!({}))
        .await;
    assert_eq!(logout["data"]["logout"], true, "{logout}");

    socket.subscribe("after", PEOPLE).await;
    match socket.answer("after").await {
        Heard::Answer(after) => {
            assert_eq!(optional_code(&after), Some("UNAUTHENTICATED"), "{after}");
            assert!(after["data"]["people"].is_null(), "{after}");
            assert_eq!(socket.closed().await, Some(4401));
        }
        Heard::Closed(code) => assert_eq!(code, Some(4401)),
    }
}

#[tokio::test]
async fn a_socket_opened_before_logout_answers_nothing_after_it_on_sqlite() {
    a_socket_opened_before_logout_answers_nothing_after_it(Backend::sqlite()).await;
}

#[tokio::test]
async fn a_socket_opened_before_logout_answers_nothing_after_it_on_postgres_and_redis() {
    a_socket_opened_before_logout_answers_nothing_after_it(Backend::postgres().await).await;
}

#[tokio::test]
async fn disabling_an_account_closes_its_open_sockets_without_a_further_message() {
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);
    let worker = server
        .login(&demo_account("social-worker", "paiania"), &password)
        .await;
    let admin = server
        .login(&demo_account("tenant-admin", "paiania"), &password)
        .await;
    let mut socket = Socket::open(&server, &worker).await;
    socket
        .subscribe("live", "subscription { referralUpdated { id status } }")
        .await;
    let me = server
        .graphql_as(Some(&worker), "{ me { id } }", json!({}))
        .await;
    let id = me["data"]["me"]["id"].clone();
    let disabled = server
        .graphql_as(
            Some(&admin),
            "mutation($id: ID!) { disableUser(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(disabled.get("errors").is_none(), "{disabled}");
    // The worker sends nothing more: the server notices on its own.
    assert_eq!(socket.closed().await, Some(4401));
}

#[tokio::test]
async fn a_password_change_closes_the_accounts_other_open_sockets() {
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);
    let email = demo_account("social-worker", "paiania");
    let elsewhere = server.login(&email, &password).await;
    let mut socket = Socket::open(&server, &elsewhere).await;
    socket
        .subscribe("live", "subscription { referralUpdated { id status } }")
        .await;
    let here = server.login(&email, &password).await;
    let changed = server
        .graphql_as(
            Some(&here),
            "mutation($old: String!, $new: String!) {
                changePassword(currentPassword: $old, newPassword: $new) { token } }",
            json!({ "old": password, "new": "ένας κωδικός που ξέρω μόνο εγώ" }),
        )
        .await;
    assert!(changed.get("errors").is_none(), "{changed}");
    // The other session's socket ends, though it sends nothing more.
    assert_eq!(socket.closed().await, Some(4401));
}

#[tokio::test]
async fn a_new_role_closes_the_accounts_open_sockets_without_a_further_message() {
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);
    let worker = server
        .login(&demo_account("social-worker", "paiania"), &password)
        .await;
    let admin = server
        .login(&demo_account("tenant-admin", "paiania"), &password)
        .await;
    let mut socket = Socket::open(&server, &worker).await;
    socket
        .subscribe("live", "subscription { referralUpdated { id status } }")
        .await;
    let me = server
        .graphql_as(Some(&worker), "{ me { id } }", json!({}))
        .await;
    let id = me["data"]["me"]["id"].clone();
    let changed = server
        .graphql_as(
            Some(&admin),
            "mutation($id: ID!) { changeUserRole(id: $id, role: RECEPTION) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(changed.get("errors").is_none(), "{changed}");
    // The worker sends nothing more: the server notices on its own.
    assert_eq!(socket.closed().await, Some(4401));
}

#[tokio::test]
async fn operations_on_a_socket_take_the_users_quota() {
    let backend = Backend::sqlite();
    let mut env = backend.demo_env();
    env.push(("KENTRO_RATE_LIMIT_PER_USER", "5".into()));
    let server = Server::start(&env, &["--demo"]);
    let token = server
        .login(
            &demo_account("reception", "paiania"),
            &demo_password(&backend),
        )
        .await;
    let mut socket = Socket::open(&server, &token).await;
    let mut limited = 0;
    for n in 0..12 {
        let id = format!("q{n}");
        socket.subscribe(&id, "{ me { id } }").await;
        match socket.answer(&id).await {
            Heard::Answer(a) if optional_code(&a) == Some("RATE_LIMITED") => limited += 1,
            Heard::Answer(a) => assert!(a["data"]["me"]["id"].is_string(), "{a}"),
            Heard::Closed(code) => panic!("closed ({code:?}) instead of answering"),
        }
    }
    assert!(
        limited >= 12 - 5 - 1,
        "a quota of 5 a minute let {} of 12 through",
        12 - limited
    );
}

#[tokio::test]
async fn a_socket_bounds_its_running_operations_and_its_message_size() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let token = server
        .login(
            &demo_account("social-worker", "paiania"),
            &demo_password(&backend),
        )
        .await;
    let mut socket = Socket::open(&server, &token).await;
    for n in 0..16 {
        socket
            .subscribe(&format!("s{n}"), "subscription { referralUpdated { id } }")
            .await;
    }
    socket
        .subscribe("one-too-many", "subscription { referralUpdated { id } }")
        .await;
    let Heard::Answer(refused) = socket.answer("one-too-many").await else {
        panic!("the socket stays open");
    };
    assert_eq!(optional_code(&refused), Some("INVALID_QUERY"), "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 16"),
        "{refused}"
    );

    let huge = "x".repeat(100 * 1024);
    socket
        .subscribe("huge", &format!("{{ me {{ id }} }} # {huge}"))
        .await;
    // Refused unread: the socket closes (1009 "message too big", or cut).
    match socket.answer("huge").await {
        Heard::Closed(code) => assert!(matches!(code, Some(1009) | None), "{code:?}"),
        Heard::Answer(a) => panic!("a 100 KiB message was taken: {a}"),
    }
}
