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
    ServerError,
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

pub type KentroSchema = Schema<Query, Mutation, Subscription>;

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
    // No extensions: `in_place.rs` resolves list items' fields without
    // the per-field hook they would need.
    let mut builder = builder()
        .data(services)
        .limit_depth(limits::MAX_DEPTH)
        .limit_complexity(limits::MAX_COMPLEXITY)
        .limit_directives(limits::MAX_DIRECTIVES);
    if options.production {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
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
    schema.execute(request.data(context)).instrument(span).await
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
    schema
        .execute_stream(request.data(context))
        .map(finish)
        .boxed()
}

/// The schema without data, extensions or limits, for introspection only:
/// in development the usual tools (GraphiQL, graphql-core, code generators)
/// send a standard introspection query deeper than the request limits
/// allow. Production disables introspection altogether.
pub fn introspection_schema() -> KentroSchema {
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
