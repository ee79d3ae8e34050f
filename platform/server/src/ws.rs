//! GraphQL over WebSocket (graphql-transport-ws, or the older graphql-ws).
//! A socket outlives many requests, so nothing is decided once for it: the
//! session is checked again, and the user's and center's quotas taken, for
//! every operation started on it; messages and the operations running at
//! once are bounded; and the socket closes when its session ends (logout,
//! an account disabled, expiry, or a role changed), found by a watcher that
//! looks without keeping the session alive.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_graphql::http::{WebSocketProtocols, WsMessage};
use async_graphql::{Executor, Request, Response, ServerError};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::stream::{self, BoxStream};
use futures::{SinkExt, StreamExt};
use kentro_api::{ErrorCode, RequestContext};
use kentro_domain::access::Role;
use kentro_store::{Admission, Principal, Sessions};
use tokio::sync::watch;

use crate::http::{AppState, admit_session};

/// One GraphQL message; documents and variables are small.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Operations (subscriptions mostly) running at once on one socket.
pub const MAX_OPERATIONS_PER_SOCKET: usize = 16;
/// How often an open socket looks at its session.
const SESSION_CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// The close code graphql-transport-ws gives to "unauthorized".
const CLOSE_SESSION_ENDED: u16 = 4401;

/// What `connection_init` established.
struct Connection {
    token: String,
    role: Role,
    request_id: String,
    client_address: String,
}

/// The executor of one socket: every operation passes `admit` first.
#[derive(Clone)]
struct SocketExecutor {
    state: AppState,
    connection: Arc<OnceLock<Connection>>,
    ended: Arc<watch::Sender<bool>>,
    running: Arc<AtomicUsize>,
    operations: Arc<AtomicU64>,
}

/// Counts an operation as running until its stream is dropped.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn refusal(code: ErrorCode, message: &str) -> Response {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    Response::from_errors(vec![error])
}

impl SocketExecutor {
    fn sessions(&self) -> Sessions<'_> {
        Sessions::new(
            &self.state.services.store,
            &self.state.services.ephemeral,
            self.state.services.session_policy,
        )
    }

    fn end(&self) {
        self.ended.send_replace(true);
    }

    /// Counts an operation as running from the moment it arrives, so the
    /// bound holds in the order the client sent them.
    /// `None` when as many are running as one socket may run.
    fn start(&self) -> Option<Running> {
        if self.running.fetch_add(1, Ordering::SeqCst) >= MAX_OPERATIONS_PER_SOCKET {
            self.running.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Running(self.running.clone()))
    }

    /// The caller as of now, with their quotas taken, or the refusal.
    async fn admit(&self) -> Result<RequestContext, Response> {
        let Some(connection) = self.connection.get() else {
            return Err(refusal(
                ErrorCode::Unauthenticated,
                "send connection_init first",
            ));
        };
        let admission = admit_session(&self.state, &connection.token).await;
        let principal = match admission {
            Ok(Admission::Admitted(p)) if p.account.role == connection.role => p,
            Ok(Admission::OverQuota { retry_after }) => {
                let mut response = refusal(
                    ErrorCode::RateLimited,
                    &format!(
                        "too many requests; try again in {} s",
                        retry_after.as_secs().max(1)
                    ),
                );
                if let Some(extensions) = response.errors[0].extensions.as_mut() {
                    extensions.set("retryAfterSeconds", retry_after.as_secs().max(1));
                }
                return Err(response);
            }
            Ok(_) => {
                self.end();
                return Err(refusal(
                    ErrorCode::Unauthenticated,
                    "the session has ended; log in again",
                ));
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot check a session");
                return Err(refusal(ErrorCode::Internal, "internal error"));
            }
        };
        let n = self.operations.fetch_add(1, Ordering::SeqCst);
        Ok(RequestContext {
            principal: Some(principal),
            partner: None,
            session_token: Some(connection.token.clone()),
            request_id: format!("{}.{n}", connection.request_id),
            client_address: connection.client_address.clone(),
            people_read: Default::default(),
        })
    }
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: Request) -> Response {
        self.execute_stream(request, None)
            .next()
            .await
            .unwrap_or_default()
    }

    fn execute_stream(
        &self,
        request: Request,
        _connection_data: Option<Arc<async_graphql::Data>>,
    ) -> BoxStream<'static, Response> {
        let Some(running) = self.start() else {
            let refused = refusal(
                ErrorCode::InvalidQuery,
                &format!(
                    "at most {MAX_OPERATIONS_PER_SOCKET} operations may run at once on one connection"
                ),
            );
            return stream::once(async { refused }).boxed();
        };
        let this = self.clone();
        stream::once(async move {
            match this.admit().await {
                Ok(context) => {
                    let mut ended = this.ended.subscribe();
                    kentro_api::execute_stream(&this.state.schema, request, context)
                        .take_until(async move {
                            let _ = ended.wait_for(|ended| *ended).await;
                        })
                        .map(move |response| {
                            let _ = &running;
                            response
                        })
                        .boxed()
                }
                Err(refused) => stream::once(async { refused }).boxed(),
            }
        })
        .flatten()
        .boxed()
    }
}

/// Authenticates `connection_init`: the token from its payload
/// (`{"authorization": "Bearer <token>"}`, as browsers cannot set headers on
/// a WebSocket) or from the upgrade request's Authorization header.
async fn connection_init(
    executor: SocketExecutor,
    payload: serde_json::Value,
    header_token: Option<String>,
    request_id: String,
    client_address: String,
) -> async_graphql::Result<async_graphql::Data> {
    let token = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .and_then(|v| v.as_str())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim().to_owned())
        .or(header_token)
        .ok_or_else(|| {
            async_graphql::Error::new(
                "send {\"authorization\": \"Bearer <token>\"} in connection_init",
            )
        })?;
    let principal: Principal = executor
        .sessions()
        .authenticate(&token)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot check a session");
            async_graphql::Error::new("internal error")
        })?
        .ok_or_else(|| {
            async_graphql::Error::new("the session is unknown or expired; log in again")
        })?;
    let _ = executor.connection.set(Connection {
        token,
        role: principal.account.role,
        request_id,
        client_address,
    });
    Ok(async_graphql::Data::default())
}

/// Ends the socket once its session has: looks every few seconds, without
/// touching the session's idle expiry.
async fn watch_session(executor: SocketExecutor) {
    let mut ended = executor.ended.subscribe();
    loop {
        tokio::select! {
            _ = ended.wait_for(|ended| *ended) => return,
            _ = tokio::time::sleep(SESSION_CHECK_INTERVAL) => {}
        }
        let Some(connection) = executor.connection.get() else {
            continue;
        };
        match executor.sessions().check(&connection.token).await {
            Ok(Some(p)) if p.account.role == connection.role => {}
            Ok(_) => {
                executor.end();
                return;
            }
            Err(e) => tracing::warn!(error = %e, "cannot check a socket's session"),
        }
    }
}

/// The subprotocol the client asked for, of those we speak.
pub fn protocol(headers: &axum::http::HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())?
        .split(',')
        .find_map(|p| p.trim().parse().ok())
}

/// Serves one upgraded socket until the client leaves, the protocol closes
/// it, or its session ends (then with close code 4401).
pub async fn serve(
    socket: WebSocket,
    state: AppState,
    protocol: WebSocketProtocols,
    header_token: Option<String>,
    request_id: String,
    client_address: String,
) {
    let executor = SocketExecutor {
        state,
        connection: Arc::new(OnceLock::new()),
        ended: Arc::new(watch::channel(false).0),
        running: Arc::new(AtomicUsize::new(0)),
        operations: Arc::new(AtomicU64::new(0)),
    };
    let (mut sink, incoming) = socket.split();
    let input = incoming
        .take_while(|message| {
            if let Err(e) = message {
                tracing::info!(error = %e, "a socket's message was refused; closing it");
            }
            std::future::ready(message.is_ok())
        })
        .filter_map(|message| {
            std::future::ready(match message {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => Some(m.into_data()),
                _ => None,
            })
        });
    let init = {
        let executor = executor.clone();
        move |payload| connection_init(executor, payload, header_token, request_id, client_address)
    };
    let outgoing = async_graphql::http::WebSocket::new(executor.clone(), input, protocol)
        .on_connection_init(init);
    futures::pin_mut!(outgoing);
    let watcher = tokio::spawn(watch_session(executor.clone()));
    let mut ended = executor.ended.subscribe();
    loop {
        let message = tokio::select! {
            message = outgoing.next() => message,
            _ = ended.wait_for(|ended| *ended) => Some(WsMessage::Close(
                CLOSE_SESSION_ENDED,
                "the session has ended; log in again".into(),
            )),
        };
        let (frame, last) = match message {
            Some(WsMessage::Text(text)) => (Message::Text(text.into()), false),
            Some(WsMessage::Close(code, reason)) => (
                Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })),
                true,
            ),
            None => break,
        };
        if sink.send(frame).await.is_err() || last {
            break;
        }
    }
    executor.end();
    watcher.abort();
}
