//! The one place where failures become GraphQL errors. Every error carries a
//! stable `extensions.code` from [`ErrorCode`]; internal details go to the
//! log with the request id, never to the client.

use std::time::Duration;

use async_graphql::{Context, ErrorExtensions};

use crate::context::RequestContext;

/// The documented error codes (the table in ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The operation needs a logged-in user, or the credentials were refused.
    Unauthenticated,
    /// The caller's role may not do this.
    Forbidden,
    /// No such object for this caller (including another tenant's).
    NotFound,
    /// Input is malformed: `extensions.fields` lists every field and problem,
    /// `extensions.field` names the first. Nothing was written.
    Validation,
    /// The caller's role may not read this field; it reads as null.
    ForbiddenField,
    /// An ΑΜΚΑ or ΑΦΜ is already registered: `extensions.field`, `extensions.existingPersonId`.
    DuplicateIdentifier,
    /// A lifecycle does not allow this move: `extensions.from`, `extensions.to`.
    InvalidTransition,
    /// The change conflicts with what exists (e.g. an e-mail already used); `extensions.field` names it.
    Conflict,
    /// The person has not consented to what this needs (`extensions.purpose`, e.g. `referral_sharing`).
    ConsentRequired,
    /// Too many requests; `extensions.retryAfterSeconds` says when to try again.
    RateLimited,
    /// The document is not valid GraphQL for this schema, or exceeds a limit (depth, complexity, aliases, batch size).
    InvalidQuery,
    /// A plugin did not answer within its deadline (that call only).
    PluginTimeout,
    /// A plugin hit a limit: memory, stack, fuel or host calls (that call only).
    PluginLimit,
    /// A plugin trapped, panicked or answered wrongly (that call only).
    PluginFailed,
    /// The plugin is suspended for this center after repeated failures; a tenant admin re-enables it.
    PluginSuspended,
    /// Something failed on the server; details are in the log under `extensions.requestId`.
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Validation,
        ErrorCode::ForbiddenField,
        ErrorCode::DuplicateIdentifier,
        ErrorCode::InvalidTransition,
        ErrorCode::Conflict,
        ErrorCode::ConsentRequired,
        ErrorCode::RateLimited,
        ErrorCode::InvalidQuery,
        ErrorCode::PluginTimeout,
        ErrorCode::PluginLimit,
        ErrorCode::PluginFailed,
        ErrorCode::PluginSuspended,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Validation => "VALIDATION",
            ErrorCode::ForbiddenField => "FORBIDDEN_FIELD",
            ErrorCode::DuplicateIdentifier => "DUPLICATE_IDENTIFIER",
            ErrorCode::InvalidTransition => "INVALID_TRANSITION",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::ConsentRequired => "CONSENT_REQUIRED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::InvalidQuery => "INVALID_QUERY",
            ErrorCode::PluginTimeout => "PLUGIN_TIMEOUT",
            ErrorCode::PluginLimit => "PLUGIN_LIMIT",
            ErrorCode::PluginFailed => "PLUGIN_FAILED",
            ErrorCode::PluginSuspended => "PLUGIN_SUSPENDED",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

pub(crate) fn coded(code: ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code.as_str()))
}

pub(crate) fn bad_input(field: &str, problem: impl Into<String>) -> async_graphql::Error {
    invalid_fields(&[(field.to_owned(), problem.into())])
}

/// One `VALIDATION` error listing every invalid field, e.g. `input.amka`.
pub(crate) fn invalid_fields(problems: &[(String, String)]) -> async_graphql::Error {
    let message = problems
        .iter()
        .map(|(field, problem)| format!("{field}: {problem}"))
        .collect::<Vec<_>>()
        .join("; ");
    async_graphql::Error::new(message).extend_with(|_, e| {
        e.set("code", ErrorCode::Validation.as_str());
        if let Some((first, _)) = problems.first() {
            e.set("field", first.as_str());
        }
        let fields: Vec<async_graphql::Value> = problems
            .iter()
            .map(|(field, problem)| {
                let mut entry = async_graphql::indexmap::IndexMap::new();
                entry.insert(
                    async_graphql::Name::new("field"),
                    async_graphql::Value::from(field.as_str()),
                );
                entry.insert(
                    async_graphql::Name::new("problem"),
                    async_graphql::Value::from(problem.as_str()),
                );
                async_graphql::Value::Object(entry)
            })
            .collect();
        e.set("fields", async_graphql::Value::List(fields));
    })
}

pub(crate) fn forbidden_field(role: &str, field: &str) -> async_graphql::Error {
    async_graphql::Error::new(format!("the {role} role may not read {field}"))
        .extend_with(|_, e| e.set("code", ErrorCode::ForbiddenField.as_str()))
}

pub(crate) fn conflict(field: &str, problem: impl Into<String>) -> async_graphql::Error {
    let problem = problem.into();
    async_graphql::Error::new(format!("{field}: {problem}")).extend_with(|_, e| {
        e.set("code", ErrorCode::Conflict.as_str());
        e.set("field", field);
    })
}

pub(crate) fn not_found(what: &str) -> async_graphql::Error {
    coded(ErrorCode::NotFound, format!("no such {what}"))
}

/// The one answer to a caller over its quota, in a resolver or (as its
/// body) at the HTTP layer.
pub fn rate_limited(retry_after: Duration) -> async_graphql::Error {
    let seconds = retry_after.as_secs().max(1);
    async_graphql::Error::new(format!("too many requests; try again in {seconds} s")).extend_with(
        |_, e| {
            e.set("code", ErrorCode::RateLimited.as_str());
            e.set("retryAfterSeconds", seconds);
        },
    )
}

/// Logs the cause and returns an error that reveals nothing but the request id.
pub(crate) fn internal(ctx: &Context<'_>, cause: &dyn std::fmt::Display) -> async_graphql::Error {
    let request_id = ctx
        .data_opt::<RequestContext>()
        .map(|r| r.request_id.clone())
        .unwrap_or_default();
    tracing::error!(request_id = %request_id, error = %cause, "internal error in a GraphQL resolver");
    async_graphql::Error::new("internal error").extend_with(|_, e| {
        e.set("code", ErrorCode::Internal.as_str());
        e.set("requestId", request_id.as_str());
    })
}

/// A store failure: the store's own input errors keep their field, the rest is internal.
pub(crate) fn from_store(
    ctx: &Context<'_>,
    error: kentro_store::StoreError,
) -> async_graphql::Error {
    match error {
        kentro_store::StoreError::Invalid { field, problem } => bad_input(&field, problem),
        kentro_store::StoreError::Conflict { field, problem } => conflict(&field, problem),
        kentro_store::StoreError::NotFound { what } => not_found(&what),
        kentro_store::StoreError::InvalidTransition(e) => async_graphql::Error::new(e.to_string())
            .extend_with(|_, ext| {
                ext.set("code", ErrorCode::InvalidTransition.as_str());
                ext.set("from", e.from.code());
                ext.set("to", e.to.code());
            }),
        kentro_store::StoreError::InvalidReferralTransition(e) => {
            async_graphql::Error::new(e.to_string()).extend_with(|_, ext| {
                ext.set("code", ErrorCode::InvalidTransition.as_str());
                ext.set("from", e.from.code());
                ext.set("to", e.to.code());
            })
        }
        kentro_store::StoreError::ConsentRequired { purpose } => async_graphql::Error::new(
            format!("the person has not consented to {purpose}; record their consent first"),
        )
        .extend_with(|_, ext| {
            ext.set("code", ErrorCode::ConsentRequired.as_str());
            ext.set("purpose", purpose.as_str());
        }),
        kentro_store::StoreError::Gone { what } => coded(ErrorCode::NotFound, what),
        kentro_store::StoreError::DuplicateIdentifier { field, existing_id } => {
            let id = crate::id::encode("Person", existing_id);
            async_graphql::Error::new(format!(
                "{field}: already registered for another person ({})",
                id.as_str()
            ))
            .extend_with(|_, e| {
                e.set("code", ErrorCode::DuplicateIdentifier.as_str());
                e.set("field", field.as_str());
                e.set("existingPersonId", id.as_str());
            })
        }
        other => internal(ctx, &other),
    }
}

/// Gives `INVALID_QUERY` to every error in `response` that has no code yet.
pub(crate) fn code_uncoded(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", ErrorCode::InvalidQuery.as_str());
        }
    }
}

/// Store errors name their own fields (`amka`); the API names them as the
/// client wrote them (`input.amka`).
pub(crate) fn renamed_field(
    mut error: async_graphql::Error,
    rename: impl Fn(&str) -> String,
) -> async_graphql::Error {
    if let Some(extensions) = error.extensions.as_mut()
        && let Some(async_graphql::Value::String(field)) = extensions.get("field").cloned()
    {
        extensions.set("field", rename(&field));
    }
    // The list names the same fields: rename them alike, so that a client
    // matching `fields` to its inputs finds them.
    if let Some(extensions) = error.extensions.as_mut()
        && let Some(async_graphql::Value::List(entries)) = extensions.get("fields").cloned()
    {
        let renamed: Vec<async_graphql::Value> = entries
            .into_iter()
            .map(|entry| match entry {
                async_graphql::Value::Object(mut object) => {
                    let name = async_graphql::Name::new("field");
                    if let Some(async_graphql::Value::String(field)) = object.get(&name).cloned() {
                        object.insert(name, async_graphql::Value::from(rename(&field)));
                    }
                    async_graphql::Value::Object(object)
                }
                other => other,
            })
            .collect();
        extensions.set("fields", async_graphql::Value::List(renamed));
    }
    error
}
