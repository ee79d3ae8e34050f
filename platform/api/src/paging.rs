//! Connection pages: their sizes (async-graphql does not cap `first`, so we
//! do) and their nodes, resolved in place.

use crate::error::ApiError;
use async_graphql::ContainerType;
use async_graphql::connection::{Connection, Edge, EmptyFields};

use crate::error::bad_input;
use crate::in_place::InPlace;

/// A Relay connection page: the nodes with their cursors, and whether pages
/// come before and after it (the store reads one extra row to know). Its
/// nodes resolve their fields in place (`in_place.rs`): a page's nodes
/// resolve together.
pub(crate) type Page<N> = Connection<String, InPlace<N>, EmptyFields, EmptyFields>;

pub(crate) fn page<N: ContainerType>(
    has_previous: bool,
    has_next: bool,
    nodes: impl IntoIterator<Item = (String, N)>,
) -> Page<N> {
    let mut connection = Connection::new(has_previous, has_next);
    connection.edges.extend(
        nodes
            .into_iter()
            .map(|(cursor, node)| Edge::new(cursor, InPlace(node))),
    );
    connection
}

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

pub(crate) fn page_size(first: Option<i32>) -> Result<usize, ApiError> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if n >= 1 && n as usize <= MAX_PAGE_SIZE => Ok(n as usize),
        Some(n) => Err(bad_input(
            "first",
            format!("{n} is not a page size (1 to {MAX_PAGE_SIZE})"),
        )),
    }
}
