//! Page sizes of connections: async-graphql does not cap `first`, so we do.

use crate::error::bad_input;

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

pub(crate) fn page_size(first: Option<i32>) -> async_graphql::Result<usize> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if n >= 1 && n as usize <= MAX_PAGE_SIZE => Ok(n as usize),
        Some(n) => Err(bad_input(
            "first",
            format!("{n} is not a page size (1 to {MAX_PAGE_SIZE})"),
        )),
    }
}
