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

/// What a field of an object type returns: a type name, and whether a list.
#[derive(Debug, Clone)]
struct FieldShape {
    type_name: String,
    list: bool,
}

/// Objects one request may reach, counting every list as
/// [`ITEMS_PER_LIST`] items (a connection's page size, `first`, counts in
/// the complexity already; lists without paging did not count at all).
pub const MAX_FAN_OUT: u64 = 20_000;
/// What an unpaged list is taken to hold when its cost is counted.
pub const ITEMS_PER_LIST: u64 = 20;

/// Refuses documents whose nested lists could reach more than
/// [`MAX_FAN_OUT`] objects (`Household.members` inside `Person.household`
/// inside `Household.members`…), using the schema's own types.
pub(crate) struct ListFanOut {
    fields: Arc<std::collections::HashMap<String, std::collections::HashMap<String, FieldShape>>>,
}

impl ListFanOut {
    /// Reads every object's and interface's fields from the schema's SDL.
    pub(crate) fn from_sdl(sdl: &str) -> ListFanOut {
        use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
        let mut fields = std::collections::HashMap::new();
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return ListFanOut {
                fields: Arc::default(),
            };
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let ty = ty.node;
            let defined = match ty.kind {
                TypeKind::Object(object) => object.fields,
                TypeKind::Interface(interface) => interface.fields,
                _ => continue,
            };
            let mut shapes = std::collections::HashMap::new();
            for field in defined {
                let mut base = &field.node.ty.node.base;
                let mut list = false;
                while let BaseType::List(inner) = base {
                    list = true;
                    base = &inner.base;
                }
                if let BaseType::Named(name) = base {
                    shapes.insert(
                        field.node.name.node.to_string(),
                        FieldShape {
                            type_name: name.to_string(),
                            list,
                        },
                    );
                }
            }
            fields.insert(ty.name.node.to_string(), shapes);
        }
        ListFanOut {
            fields: Arc::new(fields),
        }
    }

    fn cost(
        &self,
        document: &ExecutableDocument,
        set: &SelectionSet,
        type_name: &str,
        multiplier: u64,
        depth: usize,
    ) -> u64 {
        if depth > MAX_DEPTH * 2 {
            return 0;
        }
        let mut total = 0u64;
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let Some(shape) = self.fields.get(type_name).and_then(|f| f.get(name)) else {
                        continue;
                    };
                    let reached = if shape.list {
                        multiplier.saturating_mul(ITEMS_PER_LIST)
                    } else {
                        multiplier
                    };
                    // Objects count; their scalar fields come with them.
                    let objects = if field.node.selection_set.node.items.is_empty() {
                        0
                    } else {
                        reached
                    };
                    total = total.saturating_add(objects).saturating_add(self.cost(
                        document,
                        &field.node.selection_set.node,
                        &shape.type_name,
                        reached,
                        depth + 1,
                    ));
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(type_name, |c| c.node.on.node.as_str());
                    total = total.saturating_add(self.cost(
                        document,
                        &fragment.node.selection_set.node,
                        on,
                        multiplier,
                        depth + 1,
                    ));
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        total = total.saturating_add(self.cost(
                            document,
                            &fragment.node.selection_set.node,
                            on,
                            multiplier,
                            depth + 1,
                        ));
                    }
                }
            }
        }
        total
    }
}

impl ExtensionFactory for ListFanOut {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ListFanOut {
            fields: self.fields.clone(),
        })
    }
}

#[async_trait::async_trait]
impl Extension for ListFanOut {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        use async_graphql::parser::types::OperationType;
        let document = next.run(ctx, query, variables).await?;
        for (_, operation) in document.operations.iter() {
            let root = match operation.node.ty {
                OperationType::Query => "Query",
                OperationType::Mutation => "Mutation",
                OperationType::Subscription => "Subscription",
            };
            let reach = self.cost(&document, &operation.node.selection_set.node, root, 1, 0);
            if reach > MAX_FAN_OUT {
                return Err(ServerError::new(
                    format!(
                        "the query could reach {reach} objects (at most {MAX_FAN_OUT}, counting \
                         every list as {ITEMS_PER_LIST} items): ask for fewer nested lists"
                    ),
                    None,
                ));
            }
        }
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lists_multiply_and_plain_fields_do_not() {
        let fan_out = ListFanOut::from_sdl(
            "type Query { household: Household, me: User }
             type Household { id: ID!, members: [Member!]! }
             type Member { person: Person! }
             type Person { id: ID!, household: Household }
             type User { id: ID!, email: String! }",
        );
        let cost = |query: &str| {
            let document = async_graphql::parser::parse_query(query).unwrap();
            let (_, op) = document.operations.iter().next().unwrap();
            fan_out.cost(&document, &op.node.selection_set.node, "Query", 1, 0)
        };
        assert_eq!(cost("{ me { id email } }"), 1);
        // household (1) + members (20) + their people (20)
        assert_eq!(cost("{ household { members { person { id } } } }"), 41);
        let nested = "{ household { members { person { household { members { person {
            household { members { person { household { members { person { id } } } } } } } } } } } } }";
        assert!(cost(nested) > MAX_FAN_OUT, "{}", cost(nested));
        // Fragments count as written.
        assert_eq!(
            cost("{ household { ...M } } fragment M on Household { members { person { id } } }"),
            41
        );
    }
}
