//! The objects of a list page, resolved field after field in place.
//!
//! async-graphql resolves each selected field of an object as a boxed
//! future in a `FuturesUnordered`: an allocation the size of the type's
//! largest resolver, a task and a waker, per field. A page of twenty cases
//! selects about two hundred fields, nearly all answered from what the
//! page's one statement read, so that machinery was most of the page's
//! resolution. [`InPlace<T>`] is `T` to the schema (its name and type
//! information, so the SDL does not change) and resolves a selection of
//! fields by awaiting `T`'s own resolvers one after another, in the order
//! selected: the same values and the same errors, without the boxes.
//!
//! A selection with fragments, with a directive other than the `@skip` and
//! `@include` that execution has already applied, or with a response key
//! twice (which async-graphql merges) goes the usual way. Extensions'
//! per-field hooks are not called here: the schema registers no extension
//! (`lib.rs`), and one that hooks fields would have to come with a check
//! here. Fields that wait on the store run one after another rather than
//! together, which is why it wraps the items of lists (which resolve
//! together) and the objects inside them, not a query's own fields.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::{
    ContainerType, ContextSelectionSet, OutputType, Positioned, ServerResult, Value,
};

/// `T`, resolved in place when its selection is plain fields.
pub struct InPlace<T>(pub(crate) T);

impl<T: ContainerType> OutputType for InPlace<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if !only_plain_fields(ctx) {
            return self.0.resolve(ctx, field).await;
        }
        let mut values = IndexMap::with_capacity(ctx.item.node.items.len());
        for selection in &ctx.item.node.items {
            let Selection::Field(field) = &selection.node else {
                continue;
            };
            let key = field.node.response_key().node.clone();
            if field.node.name.node == "__typename" {
                let name = self.0.introspection_type_name().into_owned();
                values.insert(key, Value::String(name));
                continue;
            }
            // As async-graphql does: a field that fails is left out of its
            // object, and its error (with its path) joins the response's.
            match self.0.resolve_field(&ctx.with_field(field)).await {
                Ok(value) => {
                    values.insert(key, value.unwrap_or_default());
                }
                Err(error) => ctx.add_error(error),
            }
        }
        Ok(if values.is_empty() {
            Value::Null
        } else {
            Value::Object(values)
        })
    }
}

/// Whether every selection is a field, with no directive left to run and a
/// response key of its own.
fn only_plain_fields(ctx: &ContextSelectionSet<'_>) -> bool {
    let items = &ctx.item.node.items;
    items.iter().enumerate().all(|(at, selection)| {
        let Selection::Field(field) = &selection.node else {
            return false;
        };
        let applied = (field.node.directives.iter())
            .all(|d| matches!(d.node.name.node.as_str(), "skip" | "include"));
        let key = &field.node.response_key().node;
        let once = !items[..at].iter().any(|earlier| match &earlier.node {
            Selection::Field(earlier) => earlier.node.response_key().node == *key,
            _ => false,
        });
        applied && once
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    use super::InPlace;

    /// Fields awaiting something at the same time, and the most at once.
    #[derive(Default)]
    struct InFlight {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    struct Sample {
        number: i32,
    }

    #[Object]
    impl Sample {
        async fn number(&self) -> i32 {
            self.number
        }

        async fn label(&self, shout: Option<bool>) -> String {
            let label = format!("sample {}", self.number);
            if shout == Some(true) {
                label.to_uppercase()
            } else {
                label
            }
        }

        async fn refused(&self) -> async_graphql::Result<i32> {
            Err("not for you".into())
        }

        async fn maybe_refused(&self) -> async_graphql::Result<Option<i32>> {
            Err("not this either".into())
        }

        async fn inner(&self) -> InPlace<Leaf> {
            InPlace(Leaf {
                number: self.number * 10,
            })
        }

        /// Waits a turn of the scheduler, counting who else is waiting.
        async fn slow(&self, ctx: &async_graphql::Context<'_>) -> i32 {
            let flight = ctx.data_unchecked::<InFlight>();
            let now = flight.now.fetch_add(1, Ordering::SeqCst) + 1;
            flight.most.fetch_max(now, Ordering::SeqCst);
            tokio::task::yield_now().await;
            flight.now.fetch_sub(1, Ordering::SeqCst);
            self.number
        }
    }

    #[derive(async_graphql::SimpleObject)]
    struct Leaf {
        number: i32,
    }

    struct Root;

    #[Object]
    impl Root {
        async fn samples(&self) -> Vec<InPlace<Sample>> {
            vec![InPlace(Sample { number: 1 }), InPlace(Sample { number: 2 })]
        }

        async fn usual(&self) -> Vec<Sample> {
            vec![Sample { number: 1 }, Sample { number: 2 }]
        }
    }

    /// The response to `query`, and the most fields that waited at once.
    async fn run(query: &str) -> (serde_json::Value, usize) {
        let schema = Schema::build(Root, EmptyMutation, EmptySubscription)
            .data(InFlight::default())
            .finish();
        let response = schema.execute(query).await;
        let most = (schema.data::<InFlight>().unwrap().most).load(Ordering::SeqCst);
        (serde_json::to_value(&response).unwrap(), most)
    }

    /// The same selection of `samples` (in place) and of `usual`.
    async fn both(selection: &str) -> (serde_json::Value, serde_json::Value) {
        let (in_place, _) = run(&format!("{{ list: samples {selection} }}")).await;
        let (usual, _) = run(&format!("{{ list: usual {selection} }}")).await;
        (in_place, usual)
    }

    #[tokio::test]
    async fn a_plain_selection_answers_as_the_usual_resolution_does() {
        let selection = "{ __typename n: number label loud: label(shout: true)
            refused maybeRefused inner { number __typename } number2: number }";
        let (in_place, usual) = both(selection).await;
        assert_eq!(in_place, usual);
        assert_eq!(in_place["data"]["list"][1]["inner"]["number"], 20);
        assert_eq!(in_place["data"]["list"][0]["loud"], "SAMPLE 1");
        let errors = in_place["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 4, "{in_place}");
        assert_eq!(errors[0]["path"], serde_json::json!(["list", 0, "refused"]));
    }

    #[tokio::test]
    async fn fragments_and_repeated_keys_answer_as_the_usual_resolution_does() {
        for selection in [
            "{ number ... on Sample { label inner { number } } }",
            "{ ...Parts } } fragment Parts on Sample { number inner { n: number } ",
            "{ inner { number } inner { n: number } }",
            "{ number @include(if: true) label @skip(if: true) inner @skip(if: false) { number } }",
        ] {
            let (in_place, usual) = both(selection).await;
            assert_eq!(in_place, usual, "{selection}");
            assert!(in_place["errors"].is_null(), "{selection}: {in_place}");
        }
    }

    #[tokio::test]
    async fn plain_fields_wait_one_after_another_and_fragments_together() {
        let (_, in_place) = run("{ samples { a: slow b: slow } }").await;
        let (_, with_fragment) = run("{ samples { a: slow ... on Sample { b: slow } } }").await;
        let (_, usual) = run("{ usual { a: slow b: slow } }").await;
        // The list's two items wait together either way; within an item,
        // only the usual resolution waits on two fields at once.
        assert_eq!(in_place, 2);
        assert_eq!(with_fragment, 4);
        assert_eq!(usual, 4);
    }
}
