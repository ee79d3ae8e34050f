//! The one place where failures become GraphQL errors. Every error carries a
//! stable `extensions.code` from [`ErrorCode`]; internal details go to the
//! log with the request id, never to the client.

use async_graphql::{Context, ErrorExtensions};

/// The request id given by the HTTP layer, echoed in masked errors so an
/// operator can find the log lines of one request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The documented error codes (see ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// An argument is malformed; `extensions.field` names it.
    BadUserInput,
    /// Something failed on the server; details are in the log under `extensions.requestId`.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

pub(crate) fn bad_input(field: &str, problem: impl Into<String>) -> async_graphql::Error {
    let problem = problem.into();
    async_graphql::Error::new(format!("{field}: {problem}")).extend_with(|_, e| {
        e.set("code", ErrorCode::BadUserInput.as_str());
        e.set("field", field);
    })
}

/// Logs the cause and returns an error that reveals nothing but the request id.
pub(crate) fn internal(ctx: &Context<'_>, cause: &dyn std::fmt::Display) -> async_graphql::Error {
    let request_id = ctx
        .data_opt::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    tracing::error!(request_id = %request_id, error = %cause, "internal error in a GraphQL resolver");
    async_graphql::Error::new("internal error").extend_with(|_, e| {
        e.set("code", ErrorCode::Internal.as_str());
        e.set("requestId", request_id.as_str());
    })
}
