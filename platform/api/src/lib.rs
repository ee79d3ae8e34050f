//! Kentro's GraphQL contract: the one API every client (the staff workspace,
//! overseers' dashboards, partners' systems) uses.
//!
//! API boundary: [`build_schema`] and [`sdl`]. The committed `schema.graphql`
//! is the contract; a test fails when it is stale (`kentro schema > …`).

mod error;
mod tenant;

use async_graphql::extensions::Tracing;
use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema, SchemaBuilder};
use kentro_store::Store;

pub use error::{ErrorCode, RequestId};

#[derive(MergedObject, Default)]
pub struct Query(tenant::TenantQuery);

pub type KentroSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// How the schema behaves in this deployment.
#[derive(Debug, Clone, Copy)]
pub struct SchemaOptions {
    /// Production hides the schema (no introspection).
    pub production: bool,
}

const MAX_DEPTH: usize = 12;
const MAX_COMPLEXITY: usize = 2_000;
const MAX_DIRECTIVES: usize = 10;

fn builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
}

pub fn build_schema(store: Store, options: SchemaOptions) -> KentroSchema {
    let mut builder = builder()
        .data(store)
        .extension(Tracing)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_directives(MAX_DIRECTIVES);
    if options.production {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The schema in SDL, as committed in `platform/api/schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

#[cfg(test)]
mod tests {
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
