//! Kentro's GraphQL contract: the one API every client (the staff workspace,
//! overseers' dashboards, partners' systems) uses.
//!
//! API boundary: [`build_schema`], [`execute`] and [`sdl`]. The committed
//! `schema.graphql` is the contract; a test fails when it is stale
//! (`kentro schema > platform/api/schema.graphql`).

mod appointments;
mod audit;
mod cases;
mod context;
mod date;
mod directory;
mod error;
mod households;
mod id;
mod in_place;
mod indicators;
mod limits;
mod paging;
mod people;
mod plugins;
mod referrals;
mod session;
mod tenant;
mod traces;
mod users;

use std::sync::{Arc, LazyLock, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    BatchRequest, BatchResponse, MergedObject, MergedSubscription, Schema, SchemaBuilder,
    ServerError, ValidationMode,
};
use hashlink::LruCache;

pub use context::{ApiServices, RequestContext};
pub use error::{ErrorCode, rate_limited};
pub use limits::MAX_BATCH_OPERATIONS;

#[derive(MergedObject, Default)]
pub struct Query(
    session::SessionQuery,
    tenant::TenantQuery,
    users::UserQuery,
    users::InvitationQuery,
    audit::AuditQuery,
    people::PeopleQuery,
    cases::CaseQuery,
    households::HouseholdQuery,
    appointments::AppointmentQuery,
    directory::DirectoryQuery,
    referrals::ReferralQuery,
    plugins::PluginQuery,
    indicators::IndicatorQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    session::SessionMutation,
    tenant::TenantMutation,
    users::UserMutation,
    people::PeopleMutation,
    cases::CaseMutation,
    households::HouseholdMutation,
    appointments::AppointmentMutation,
    directory::DirectoryMutation,
    referrals::ReferralMutation,
    plugins::PluginMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(referrals::ReferralSubscription);

/// The schema's types, as async-graphql serves them.
pub type GraphQLSchema = Schema<Query, Mutation, Subscription>;

/// The schema a server serves, built twice from the same types: one checks
/// each request against GraphQL's validation rules, the other checks only
/// the request limits, for a request `checked` has validated before.
#[derive(Clone)]
pub struct KentroSchema {
    checked: GraphQLSchema,
    prevalidated: GraphQLSchema,
    validated: Arc<Validated>,
}

impl KentroSchema {
    fn of(checked: GraphQLSchema, prevalidated: GraphQLSchema) -> KentroSchema {
        KentroSchema {
            checked,
            prevalidated,
            validated: Arc::new(Mutex::new(LruCache::new(PARSED_DOCUMENTS))),
        }
    }

    fn validated(&self) -> std::sync::MutexGuard<'_, LruCache<ValidatedKey, ()>> {
        (self.validated)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How the schema behaves in this deployment.
#[derive(Debug, Clone, Copy)]
pub struct SchemaOptions {
    /// Production hides the schema (no introspection).
    pub production: bool,
}

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
}

pub fn build_schema(services: ApiServices, options: SchemaOptions) -> KentroSchema {
    limits::prepare();
    let build = |validation: ValidationMode| {
        // No extensions: `in_place.rs` resolves list items' fields without
        // the per-field hook they would need.
        let mut builder = builder()
            .data(services.clone())
            .validation_mode(validation)
            .limit_depth(limits::MAX_DEPTH)
            .limit_complexity(limits::MAX_COMPLEXITY)
            .limit_directives(limits::MAX_DIRECTIVES);
        if options.production {
            builder = builder.disable_introspection().disable_suggestions();
        }
        builder.finish()
    };
    KentroSchema::of(
        build(ValidationMode::Strict),
        // async-graphql's fast mode still measures depth and complexity
        // against the limits, and refuses fragment cycles.
        build(ValidationMode::Fast),
    )
}

/// Runs a (possibly batched) request for one caller. Errors that the
/// resolvers did not code (parse, validation, limits) get `INVALID_QUERY`.
pub async fn execute(
    schema: &KentroSchema,
    request: BatchRequest,
    context: RequestContext,
) -> BatchResponse {
    use tracing::Instrument;
    if let BatchRequest::Batch(operations) = &request
        && operations.len() > MAX_BATCH_OPERATIONS
    {
        return BatchResponse::Single(limits::too_many_operations(operations.len()));
    }
    let request_id = context.request_id.clone();
    let mut response = async {
        match request {
            BatchRequest::Single(request) => {
                BatchResponse::Single(execute_one(schema, request, context).await)
            }
            BatchRequest::Batch(requests) => BatchResponse::Batch(
                futures::future::join_all(
                    requests
                        .into_iter()
                        .map(|request| execute_one(schema, request, context.clone())),
                )
                .await,
            ),
        }
    }
    .instrument(tracing::info_span!("graphql_request"))
    .await;
    match &mut response {
        BatchResponse::Single(r) => error::finish_errors(r, &request_id),
        BatchResponse::Batch(rs) => rs
            .iter_mut()
            .for_each(|r| error::finish_errors(r, &request_id)),
    }
    response
}

async fn execute_one(
    schema: &KentroSchema,
    mut request: async_graphql::Request,
    context: RequestContext,
) -> async_graphql::Response {
    use tracing::Instrument;
    if let Err(refused) = parse_within_limits(&mut request) {
        return async_graphql::Response::from_errors(vec![refused]);
    }
    let span = tracing::info_span!(
        "execute",
        operation = request.operation_name.as_deref().unwrap_or("")
    );
    let key = ValidatedKey::of(&request);
    let known = key
        .as_ref()
        .is_some_and(|key| schema.validated().get(key).is_some());
    if known {
        return (schema.prevalidated)
            .execute(request.data(context))
            .instrument(span)
            .await;
    }
    let response = (schema.checked)
        .execute(request.data(context))
        .instrument(span)
        .await;
    // A request that fails validation gets no data at all.
    if let Some(key) = key
        && response.data != async_graphql::Value::Null
    {
        schema.validated().insert(key, ());
    }
    response
}

/// Requests whose document passed GraphQL's validation rules, by their
/// text, operation and variables: validation is a function of these and
/// the schema alone (no field's visibility depends on the caller), and it
/// was 5% of the server's time on a page of cases. Clients send the same
/// requests again and again (a worker's list, a center's dashboard).
/// Bounded like [`PARSED`]; variables longer than [`VALIDATED_VARIABLES_MAX`]
/// as JSON are validated every time. Each schema keeps its own.
type Validated = Mutex<LruCache<ValidatedKey, ()>>;
const VALIDATED_VARIABLES_MAX: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ValidatedKey {
    query: String,
    operation: Option<String>,
    variables: String,
}

impl ValidatedKey {
    fn of(request: &async_graphql::Request) -> Option<ValidatedKey> {
        if request.query.len() > PARSED_TEXT_MAX {
            return None;
        }
        // Variables are a sorted map: the same values give the same text.
        let variables = serde_json::to_string(&request.variables).ok()?;
        (variables.len() <= VALIDATED_VARIABLES_MAX).then(|| ValidatedKey {
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables,
        })
    }
}

/// Parses the document once (the schema executes the parsed one) and
/// refuses it when it asks for more than a request may. A document already
/// parsed and found within the limits is taken from [`PARSED`].
fn parse_within_limits(request: &mut async_graphql::Request) -> Result<(), ServerError> {
    let known = parsed().get(request.query.as_str()).cloned();
    if let Some(document) = known {
        request.set_parsed_query(ExecutableDocument::clone(&document));
        return Ok(());
    }
    let _parse = tracing::info_span!("parse", shape = %traces::shape(&request.query)).entered();
    let keep = (request.query.len() <= PARSED_TEXT_MAX).then(|| request.query.clone());
    let document = request.parsed_query()?;
    limits::check_document(document)?;
    if let Some(text) = keep {
        let document = Arc::new(document.clone());
        parsed().insert(text, document);
    }
    Ok(())
}

/// Documents parsed and found within the limits, by their text. Clients
/// send the same few documents again and again, and parsing one was 4.7% of
/// the server's time on a page of cases; a clone of the parsed one is
/// cheaper. Bounded in entries and in the length of the texts it keeps, so
/// that no client can make it large.
static PARSED: LazyLock<Mutex<LruCache<String, Arc<ExecutableDocument>>>> =
    LazyLock::new(|| Mutex::new(LruCache::new(PARSED_DOCUMENTS)));
const PARSED_DOCUMENTS: usize = 512;
const PARSED_TEXT_MAX: usize = 8 * 1024;

fn parsed() -> std::sync::MutexGuard<'static, LruCache<String, Arc<ExecutableDocument>>> {
    PARSED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs one operation started on a long-lived connection (a WebSocket) for
/// a caller whose session the connection has just checked again; a
/// subscription yields many responses.
pub fn execute_stream(
    schema: &KentroSchema,
    mut request: async_graphql::Request,
    context: RequestContext,
) -> futures::stream::BoxStream<'static, async_graphql::Response> {
    use futures::StreamExt;
    let request_id = context.request_id.clone();
    let finish = move |mut response: async_graphql::Response| {
        error::finish_errors(&mut response, &request_id);
        response
    };
    if let Err(refused) = parse_within_limits(&mut request) {
        let refused = finish(async_graphql::Response::from_errors(vec![refused]));
        return futures::stream::once(async move { refused }).boxed();
    }
    (schema.checked)
        .execute_stream(request.data(context))
        .map(finish)
        .boxed()
}

/// The schema without data, extensions or limits, for introspection only:
/// in development the usual tools (GraphiQL, graphql-core, code generators)
/// send a standard introspection query deeper than the request limits
/// allow. Production disables introspection altogether.
pub fn introspection_schema() -> GraphQLSchema {
    builder().finish()
}

/// Whether every operation of the request reads only the schema itself
/// (`__schema`, `__type`, `__typename` at the top).
pub fn is_introspection(request: &BatchRequest) -> bool {
    use async_graphql::parser::types::{DocumentOperations, Selection, SelectionSet};
    fn only_meta(
        set: &SelectionSet,
        document: &async_graphql::parser::types::ExecutableDocument,
        depth: usize,
    ) -> bool {
        depth < 8
            && set.items.iter().all(|item| match &item.node {
                Selection::Field(field) => field.node.name.node.starts_with("__"),
                Selection::InlineFragment(fragment) => {
                    only_meta(&fragment.node.selection_set.node, document, depth + 1)
                }
                Selection::FragmentSpread(spread) => document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .is_some_and(|f| only_meta(&f.node.selection_set.node, document, depth + 1)),
            })
    }
    let requests: Vec<&async_graphql::Request> = match request {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(rs) => rs.iter().collect(),
    };
    !requests.is_empty()
        && requests.iter().all(|r| {
            // A development server asks this of every request, and a parse
            // was 3% of the case page's time: a document without `__` names
            // no meta field at all, so it is not parsed a second time.
            if !r.query.contains("__") {
                return false;
            }
            let Ok(document) = async_graphql::parser::parse_query(&r.query) else {
                return false;
            };
            let operations: Vec<&SelectionSet> = match &document.operations {
                DocumentOperations::Single(op) => vec![&op.node.selection_set.node],
                DocumentOperations::Multiple(ops) => {
                    ops.values().map(|op| &op.node.selection_set.node).collect()
                }
            };
            operations.iter().all(|set| only_meta(set, &document, 0))
        })
}

/// The schema in SDL, as committed in `platform/api/schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    /// The schema without services: enough for `__typename` and validation.
    fn schema_without_services() -> super::KentroSchema {
        super::KentroSchema::of(
            super::builder().finish(),
            (super::builder())
                .validation_mode(async_graphql::ValidationMode::Fast)
                .finish(),
        )
    }

    async fn run(
        schema: &super::KentroSchema,
        text: &str,
        variables: serde_json::Value,
    ) -> async_graphql::Response {
        let request = async_graphql::Request::new(text)
            .variables(async_graphql::Variables::from_json(variables));
        let context = super::RequestContext {
            principal: None,
            partner: None,
            session_token: None,
            request_id: "test".into(),
            client_address: "127.0.0.1".into(),
            people_read: Default::default(),
        };
        super::execute_one(schema, request, context).await
    }

    fn known(schema: &super::KentroSchema, text: &str, variables: serde_json::Value) -> bool {
        let request = async_graphql::Request::new(text)
            .variables(async_graphql::Variables::from_json(variables));
        let key = super::ValidatedKey::of(&request).expect("a key");
        schema.validated().get(&key).is_some()
    }

    #[tokio::test]
    async fn a_request_is_validated_once_for_its_text_operation_and_variables() {
        use serde_json::json;
        // The schema for validated requests is told apart here by a depth
        // limit of its own, which this document exceeds.
        let schema = super::KentroSchema::of(
            super::builder().finish(),
            (super::builder())
                .validation_mode(async_graphql::ValidationMode::Fast)
                .limit_depth(1)
                .finish(),
        );
        let text = "query ValidatedOnce($name: String!) { __type(name: $name) { name } }";
        let answered = run(&schema, text, json!({ "name": "Case" })).await;
        assert!(answered.errors.is_empty(), "{:?}", answered.errors);
        assert!(known(&schema, text, json!({ "name": "Case" })));
        assert!(
            !known(&schema, text, json!({ "name": "Person" })),
            "other values"
        );

        // The same text with a value of the wrong type is validated, and
        // refused as validation refuses it.
        let refused = run(&schema, text, json!({ "name": 5 })).await;
        assert_eq!(refused.data, async_graphql::Value::Null);
        assert!(
            refused.errors[0]
                .message
                .contains("Invalid value for argument"),
            "{:?}",
            refused.errors
        );
        assert!(
            !known(&schema, text, json!({ "name": 5 })),
            "a refusal is not kept"
        );

        let again = run(&schema, text, json!({ "name": "Case" })).await;
        assert!(
            again.errors[0].message.contains("nested too deep"),
            "answered by the schema for validated requests: {:?}",
            again.errors
        );
    }

    #[tokio::test]
    async fn a_document_that_fails_validation_is_refused_every_time() {
        let schema = schema_without_services();
        let text = "query NeverValid { __typename noSuchField }";
        for _ in 0..2 {
            let refused = run(&schema, text, serde_json::json!({})).await;
            assert_eq!(refused.data, async_graphql::Value::Null);
            assert!(
                refused.errors[0].message.contains("noSuchField"),
                "{:?}",
                refused.errors
            );
            assert!(!known(&schema, text, serde_json::json!({})));
        }
    }

    #[test]
    fn long_variables_are_validated_every_time() {
        let long = "x".repeat(super::VALIDATED_VARIABLES_MAX);
        let request = async_graphql::Request::new("query Long($v: String) { __typename }")
            .variables(async_graphql::Variables::from_json(
                serde_json::json!({ "v": long }),
            ));
        assert_eq!(super::ValidatedKey::of(&request), None);
    }

    #[test]
    fn a_document_within_the_limits_is_parsed_once_and_served_again() {
        let text = "query ParsedOnce { me { id } }";
        let mut first = async_graphql::Request::new(text);
        super::parse_within_limits(&mut first).unwrap();
        assert!(super::parsed().contains_key(text));
        let mut again = async_graphql::Request::new(text);
        super::parse_within_limits(&mut again).unwrap();
        let operations = |request: &mut async_graphql::Request| {
            let document = request.parsed_query().unwrap();
            format!("{:?}", document.operations)
        };
        assert_eq!(operations(&mut again), operations(&mut first));
    }

    #[test]
    fn a_document_over_the_limits_is_refused_each_time_it_comes() {
        let aliases: String = (0..=super::limits::MAX_ALIASES)
            .map(|n| format!("a{n}: __typename "))
            .collect();
        let text = format!("query TooManyAliases {{ {aliases} }}");
        for _ in 0..2 {
            let mut request = async_graphql::Request::new(text.as_str());
            let refused = super::parse_within_limits(&mut request).unwrap_err();
            assert!(refused.message.contains("aliases"), "{}", refused.message);
        }
        assert!(!super::parsed().contains_key(text.as_str()));
    }

    #[test]
    fn every_error_code_is_documented_in_architecture_md() {
        let architecture = include_str!("../../../ARCHITECTURE.md");
        for code in ErrorCode::ALL {
            assert!(
                architecture.contains(&format!("| `{}` |", code.as_str())),
                "ARCHITECTURE.md's error-code table lacks {}",
                code.as_str()
            );
        }
    }

    #[test]
    fn committed_schema_file_matches_the_code() {
        let committed = include_str!("../schema.graphql");
        let current = super::sdl();
        assert!(
            committed == current,
            "platform/api/schema.graphql is stale: run `cargo run -p kentro -- schema > platform/api/schema.graphql`"
        );
    }
}
