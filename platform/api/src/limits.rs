//! Limits on what one request may ask, so that no client (or attacker) can
//! make the server do unbounded work: depth, complexity (a connection costs
//! its page size times its children), directives, aliases, batch size.
//! Request body size is limited by the HTTP layer.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 5_000;
pub const MAX_DIRECTIVES: usize = 10;
/// Aliases let one document repeat an expensive field many times.
pub const MAX_ALIASES: usize = 30;
/// Operations in one batched HTTP request.
pub const MAX_BATCH_OPERATIONS: usize = 10;

pub(crate) fn too_many_operations(count: usize) -> async_graphql::Response {
    let mut error = ServerError::new(
        format!("{count} operations in one request; at most {MAX_BATCH_OPERATIONS} are allowed"),
        None,
    );
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", crate::ErrorCode::InvalidQuery.as_str());
    async_graphql::Response::from_errors(vec![error])
}

pub(crate) struct AliasLimit;

impl ExtensionFactory for AliasLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimit)
    }
}

fn count_aliases(selection_set: &SelectionSet) -> usize {
    selection_set
        .items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

#[async_trait::async_trait]
impl Extension for AliasLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let in_operations: usize = document
            .operations
            .iter()
            .map(|(_, op)| count_aliases(&op.node.selection_set.node))
            .sum();
        let in_fragments: usize = document
            .fragments
            .values()
            .map(|f| count_aliases(&f.node.selection_set.node))
            .sum();
        let aliases = in_operations + in_fragments;
        if aliases > MAX_ALIASES {
            return Err(ServerError::new(
                format!("{aliases} aliases in one document; at most {MAX_ALIASES} are allowed"),
                None,
            ));
        }
        Ok(document)
    }
}
