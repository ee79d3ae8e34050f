//! The one place where failures become GraphQL errors. Every error carries a
//! stable `extensions.code` from [`ErrorCode`]; internal details go to the
//! log with the request id, never to the client.

use std::time::Duration;

use async_graphql::ErrorExtensions;

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

pub(crate) fn coded(code: ErrorCode, message: impl Into<String>) -> ApiError {
    ApiError(async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code.as_str())))
}

pub(crate) fn bad_input(field: &str, problem: impl Into<String>) -> ApiError {
    invalid_fields(&[(field.to_owned(), problem.into())])
}

/// One `VALIDATION` error listing every invalid field, e.g. `input.amka`.
pub(crate) fn invalid_fields(problems: &[(String, String)]) -> ApiError {
    let message = problems
        .iter()
        .map(|(field, problem)| format!("{field}: {problem}"))
        .collect::<Vec<_>>()
        .join("; ");
    ApiError(async_graphql::Error::new(message).extend_with(|_, e| {
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
    }))
}

pub(crate) fn forbidden_field(role: &str, field: &str) -> ApiError {
    ApiError(
        async_graphql::Error::new(format!("the {role} role may not read {field}"))
            .extend_with(|_, e| e.set("code", ErrorCode::ForbiddenField.as_str())),
    )
}

pub(crate) fn conflict(field: &str, problem: impl Into<String>) -> ApiError {
    let problem = problem.into();
    ApiError(
        async_graphql::Error::new(format!("{field}: {problem}")).extend_with(|_, e| {
            e.set("code", ErrorCode::Conflict.as_str());
            e.set("field", field);
        }),
    )
}

pub(crate) fn not_found(what: &str) -> ApiError {
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

/// A resolver's failure, and the one boundary between what failed inside
/// and what a client reads. It has no `Display`, so a `?` on an error that
/// nobody mapped cannot reach a client as text: a store error, a plugin
/// call's error or an error made here (`bad_input`, `not_found`, ...) are
/// the only ways in, and each says what the client may know. Internal
/// failures are logged (the request's span carries its id) and answered
/// with `INTERNAL`; `execute` attaches the request id. Resolvers return
/// `Result<T, ApiError>` spelled out: async-graphql's macros recognise a
/// resolver's result by the name `Result`, not through an alias.
#[derive(Clone)]
pub struct ApiError(async_graphql::Error);

impl From<async_graphql::Error> for ApiError {
    fn from(error: async_graphql::Error) -> Self {
        ApiError(error)
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        error.0
    }
}

impl From<kentro_store::StoreError> for ApiError {
    fn from(error: kentro_store::StoreError) -> Self {
        from_store(error)
    }
}

impl From<kentro_plugin_host::CallError> for ApiError {
    fn from(error: kentro_plugin_host::CallError) -> Self {
        from_call(error)
    }
}

impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Logs the cause and returns an error that reveals nothing; `execute` adds
/// the request id.
pub(crate) fn internal(cause: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %cause, "internal error in a GraphQL resolver");
    coded(ErrorCode::Internal, "internal error")
}

/// A store failure: the store's own input errors keep their field, the rest is internal.
pub(crate) fn from_store(error: kentro_store::StoreError) -> ApiError {
    match error {
        kentro_store::StoreError::Invalid { field, problem } => bad_input(&field, problem),
        kentro_store::StoreError::Conflict { field, problem } => conflict(&field, problem),
        kentro_store::StoreError::NotFound { what } => not_found(&what),
        kentro_store::StoreError::InvalidTransition(e) => ApiError(
            async_graphql::Error::new(e.to_string()).extend_with(|_, ext| {
                ext.set("code", ErrorCode::InvalidTransition.as_str());
                ext.set("from", e.from.code());
                ext.set("to", e.to.code());
            }),
        ),
        kentro_store::StoreError::InvalidReferralTransition(e) => ApiError(
            async_graphql::Error::new(e.to_string()).extend_with(|_, ext| {
                ext.set("code", ErrorCode::InvalidTransition.as_str());
                ext.set("from", e.from.code());
                ext.set("to", e.to.code());
            }),
        ),
        kentro_store::StoreError::ConsentRequired { purpose } => ApiError(
            async_graphql::Error::new(format!(
                "the person has not consented to {purpose}; record their consent first"
            ))
            .extend_with(|_, ext| {
                ext.set("code", ErrorCode::ConsentRequired.as_str());
                ext.set("purpose", purpose.as_str());
            }),
        ),
        kentro_store::StoreError::Gone { what } => coded(ErrorCode::NotFound, what),
        kentro_store::StoreError::DuplicateIdentifier { field, existing_id } => {
            let id = crate::id::encode_key(existing_id);
            ApiError(
                async_graphql::Error::new(format!(
                    "{field}: already registered for another person ({})",
                    id.as_str()
                ))
                .extend_with(|_, e| {
                    e.set("code", ErrorCode::DuplicateIdentifier.as_str());
                    e.set("field", field.as_str());
                    e.set("existingPersonId", id.as_str());
                }),
            )
        }
        other => internal(&other),
    }
}

/// A plugin call's failure: that call only, coded by what went wrong.
pub(crate) fn from_call(error: kentro_plugin_host::CallError) -> ApiError {
    use kentro_plugin_host::CallError;
    match error {
        CallError::NotEnabled(plugin) => not_found(&format!("plugin {plugin} enabled here")),
        CallError::Suspended { plugin, reason } => coded(
            ErrorCode::PluginSuspended,
            format!("the plugin {plugin} is suspended here: {reason}"),
        ),
        CallError::UnknownOperation(op) => bad_input("operation", format!("no operation {op}")),
        CallError::Invalid(problems) => invalid_fields(&problems),
        CallError::NotFound(what) => coded(ErrorCode::NotFound, what),
        CallError::Forbidden(why) => coded(ErrorCode::Forbidden, why),
        CallError::Timeout => coded(
            ErrorCode::PluginTimeout,
            "the plugin did not answer within its deadline",
        ),
        CallError::Limit(why) => coded(
            ErrorCode::PluginLimit,
            format!("the plugin hit a limit: {why}"),
        ),
        CallError::Failed(why) => {
            coded(ErrorCode::PluginFailed, format!("the plugin failed: {why}"))
        }
        CallError::Store(e) => from_store(e),
    }
}

/// The error pass of every response: an error the resolvers did not code
/// (parse, validation, limits) gets `INVALID_QUERY`, and an `INTERNAL` one
/// the request id under which its cause was logged.
pub(crate) fn finish_errors(response: &mut async_graphql::Response, request_id: &str) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        match extensions.get("code") {
            None => extensions.set("code", ErrorCode::InvalidQuery.as_str()),
            Some(async_graphql::Value::String(code)) if code == ErrorCode::Internal.as_str() => {
                extensions.set("requestId", request_id)
            }
            Some(_) => {}
        }
    }
}

/// Store errors name their own fields (`amka`); the API names them as the
/// client wrote them (`input.amka`).
pub(crate) fn renamed_field(
    ApiError(mut error): ApiError,
    rename: impl Fn(&str) -> String,
) -> ApiError {
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
    ApiError(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kentro_store::StoreError;

    fn answered(error: ApiError, request_id: &str) -> serde_json::Value {
        let error: async_graphql::Error = error.into();
        let mut response = async_graphql::Response::from_errors(vec![
            error.into_server_error(async_graphql::Pos::default()),
        ]);
        finish_errors(&mut response, request_id);
        serde_json::to_value(&response).unwrap()
    }

    #[test]
    fn an_internal_store_error_reaches_the_client_as_internal_with_the_request_id_and_no_cause() {
        let cause = StoreError::Corrupt {
            what: "stored manifest of tenant athens".into(),
            problem: "password_hash column".into(),
        };
        let json = answered(ApiError::from(cause), "req-7");
        let error = &json["errors"][0];
        assert_eq!(error["message"], "internal error");
        assert_eq!(error["extensions"]["code"], "INTERNAL");
        assert_eq!(error["extensions"]["requestId"], "req-7");
        let text = json.to_string();
        assert!(
            !text.contains("athens") && !text.contains("password"),
            "{text}"
        );
    }

    #[test]
    fn a_store_input_error_keeps_its_field_and_gets_no_request_id() {
        let cause = StoreError::Invalid {
            field: "amka".into(),
            problem: "has a wrong check digit".into(),
        };
        let renamed = renamed_field(ApiError::from(cause), |f| format!("input.{f}"));
        let json = answered(renamed, "req-8");
        let extensions = &json["errors"][0]["extensions"];
        assert_eq!(extensions["code"], "VALIDATION");
        assert_eq!(extensions["field"], "input.amka");
        assert_eq!(extensions["fields"][0]["field"], "input.amka");
        assert!(extensions.get("requestId").is_none(), "{json}");
    }

    #[test]
    fn an_error_no_resolver_coded_is_an_invalid_query() {
        let mut response =
            async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
                "Unknown field \"x\"",
                None,
            )]);
        finish_errors(&mut response, "req-9");
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["errors"][0]["extensions"]["code"], "INVALID_QUERY");
    }
}
