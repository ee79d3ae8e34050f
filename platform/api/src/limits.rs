//! Limits on what one request may ask, so that no client (or attacker) can
//! make the server do unbounded work: depth, complexity (a connection costs
//! its page size times its children), directives, aliases, batch size.
//! Request body size is limited by the HTTP layer.

use std::collections::HashMap;
use std::sync::LazyLock;

use async_graphql::ServerError;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

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

/// Refuses a parsed document that asks for more than one request may:
/// too many aliases, or nested lists that could reach too many objects.
/// These checks run before the schema's (depth, complexity), on the
/// document `execute` parsed once; they are not schema extensions, because
/// any extension puts every resolved field through its chain.
pub(crate) fn check_document(document: &ExecutableDocument) -> Result<(), ServerError> {
    let aliases: usize = document
        .operations
        .iter()
        .map(|(_, op)| count_aliases(&op.node.selection_set.node, 0))
        .chain(
            document
                .fragments
                .values()
                .map(|f| count_aliases(&f.node.selection_set.node, 0)),
        )
        .sum();
    if aliases > MAX_ALIASES {
        return Err(ServerError::new(
            format!("{aliases} aliases in one document; at most {MAX_ALIASES} are allowed"),
            None,
        ));
    }
    FAN_OUT.check(document)
}

/// The schema's fields, read once from its SDL.
static FAN_OUT: LazyLock<ListFanOut> = LazyLock::new(|| ListFanOut::from_sdl(&crate::sdl()));

/// Reads the schema's fields now rather than on the first request.
pub(crate) fn prepare() {
    LazyLock::force(&FAN_OUT);
}

fn count_aliases(selection_set: &SelectionSet, depth: usize) -> usize {
    // Deeper documents are refused by the schema's depth limit anyway.
    if depth > MAX_DEPTH * 2 {
        return 0;
    }
    selection_set
        .items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node, depth + 1)
            }
            Selection::InlineFragment(fragment) => {
                count_aliases(&fragment.node.selection_set.node, depth + 1)
            }
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
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
    fields: HashMap<String, HashMap<String, FieldShape>>,
}

impl ListFanOut {
    /// Reads every object's and interface's fields from the schema's SDL.
    pub(crate) fn from_sdl(sdl: &str) -> ListFanOut {
        use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
        let mut fields = HashMap::new();
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return ListFanOut {
                fields: HashMap::new(),
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
            let mut shapes = HashMap::new();
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
        ListFanOut { fields }
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

impl ListFanOut {
    fn check(&self, document: &ExecutableDocument) -> Result<(), ServerError> {
        use async_graphql::parser::types::OperationType;
        for (_, operation) in document.operations.iter() {
            let root = match operation.node.ty {
                OperationType::Query => "Query",
                OperationType::Mutation => "Mutation",
                OperationType::Subscription => "Subscription",
            };
            let reach = self.cost(document, &operation.node.selection_set.node, root, 1, 0);
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
        Ok(())
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
