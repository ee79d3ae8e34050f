//! The read-only HSDS 3.0 API per directory, so other systems can consume
//! it: `/hsds/{tenant}/services[/{id}]`, `/organizations[/{id}]`,
//! `/taxonomies`, `/taxonomy_terms`, where `{tenant}` is a municipality's
//! slug or `national` for the national catalog. Lists are HSDS pages
//! (`page`, `per_page`, `modified_after`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kentro_domain::TenantSlug;
use kentro_domain::hsds;
use kentro_store::{DirectoryScope, DirectorySnapshot};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::AppState;

const NATIONAL: &str = "national";
const MAX_PER_PAGE: usize = 100;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    per_page: Option<String>,
    modified_after: Option<String>,
}

/// A refused request: its status, the parameter at fault and why.
struct Problem {
    status: StatusCode,
    field: &'static str,
    message: String,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.message, "field": self.field })),
        )
            .into_response()
    }
}

fn problem(status: StatusCode, field: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        status,
        field,
        message: message.into(),
    }
}

async fn snapshot(state: &AppState, tenant: &str) -> Result<DirectorySnapshot, Problem> {
    let directory = state.services.store.directory();
    let result = if tenant == NATIONAL {
        directory.snapshot(DirectoryScope::National).await.map(Some)
    } else {
        let slug =
            TenantSlug::parse(tenant).map_err(|p| problem(StatusCode::NOT_FOUND, "tenant", p))?;
        directory
            .published(&slug)
            .await
            .map(|found| found.map(|(_, snapshot)| snapshot))
    };
    match result {
        Ok(Some(snapshot)) => Ok(snapshot),
        Ok(None) => Err(problem(
            StatusCode::NOT_FOUND,
            "tenant",
            format!("no directory {tenant:?}"),
        )),
        Err(e) => {
            tracing::error!(error = %e, "cannot read a directory");
            Err(problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "",
                "the directory is unavailable",
            ))
        }
    }
}

struct Paging {
    page: usize,
    per_page: usize,
    modified_after: Option<DateTime<Utc>>,
}

fn paging(query: &PageQuery) -> Result<Paging, Problem> {
    let number = |field: &'static str, raw: &Option<String>, default: usize, max: usize| match raw {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                problem(
                    StatusCode::BAD_REQUEST,
                    field,
                    format!("{text:?} is not a whole number from 1 to {max}"),
                )
            }),
    };
    Ok(Paging {
        page: number("page", &query.page, 1, usize::MAX)?,
        per_page: number("per_page", &query.per_page, 50, MAX_PER_PAGE)?,
        modified_after: match &query.modified_after {
            None => None,
            Some(text) => Some(
                DateTime::parse_from_rfc3339(text)
                    .map_err(|_| {
                        problem(
                            StatusCode::BAD_REQUEST,
                            "modified_after",
                            format!("{text:?} is not an RFC 3339 date-time"),
                        )
                    })?
                    .with_timezone(&Utc),
            ),
        },
    })
}

/// One HSDS page of the nested objects of `table`.
fn list(snapshot: &DirectorySnapshot, table: &str, paging: &Paging) -> Value {
    let mut ids: Vec<&str> = snapshot
        .records
        .records_of(table)
        .filter_map(|r| r.get("id").and_then(Value::as_str))
        .filter(|id| {
            paging
                .modified_after
                .is_none_or(|after| snapshot.modified_at(table, id).is_some_and(|m| m > after))
        })
        .collect();
    ids.sort_unstable();
    let total = ids.len();
    let total_pages = total.div_ceil(paging.per_page).max(1);
    let contents: Vec<Value> = ids
        .into_iter()
        .skip((paging.page - 1).saturating_mul(paging.per_page))
        .take(paging.per_page)
        .filter_map(|id| hsds::nest(&snapshot.records, table, id))
        .collect();
    json!({
        "total_items": total,
        "total_pages": total_pages,
        "page_number": paging.page,
        "size": contents.len(),
        "first_page": paging.page == 1,
        "last_page": paging.page >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    })
}

async fn list_of(state: &AppState, tenant: &str, table: &str, query: &PageQuery) -> Response {
    let paging = match paging(query) {
        Ok(p) => p,
        Err(problem) => return problem.into_response(),
    };
    match snapshot(state, tenant).await {
        Ok(snapshot) => Json(list(&snapshot, table, &paging)).into_response(),
        Err(problem) => problem.into_response(),
    }
}

async fn one_of(state: &AppState, tenant: &str, table: &str, id: &str) -> Response {
    match snapshot(state, tenant).await {
        Ok(snapshot) => match hsds::nest(&snapshot.records, table, id) {
            Some(object) => Json(object).into_response(),
            None => {
                problem(StatusCode::NOT_FOUND, "id", format!("no {table} {id}")).into_response()
            }
        },
        Err(problem) => problem.into_response(),
    }
}

pub async fn services(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    list_of(&state, &tenant, "service", &query).await
}

pub async fn service(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Response {
    one_of(&state, &tenant, "service", &id).await
}

pub async fn organizations(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    list_of(&state, &tenant, "organization", &query).await
}

pub async fn organization(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Response {
    one_of(&state, &tenant, "organization", &id).await
}

pub async fn taxonomies(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    list_of(&state, &tenant, "taxonomy", &query).await
}

pub async fn taxonomy_terms(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    list_of(&state, &tenant, "taxonomy_term", &query).await
}
