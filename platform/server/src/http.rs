//! The HTTP surface: health, readiness, GraphQL (and GraphiQL outside production).

use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, Request, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use kentro_api::{KentroSchema, RequestId};
use kentro_store::{Ephemeral, Store};
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// GraphQL documents and variables are small; anything larger is a mistake or an attack.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long a readiness probe waits for one dependency.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct AppState {
    pub schema: KentroSchema,
    pub store: Store,
    pub ephemeral: Ephemeral,
}

pub fn router(state: AppState, graphiql: bool) -> Router {
    let graphql_route = if graphiql {
        get(graphiql_page).post(graphql)
    } else {
        post(graphql)
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/graphql", graphql_route)
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!(
                    "http_request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %request_id,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The process is up.
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: the database answers, and Redis when configured.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let (database, redis) = tokio::join!(probe(state.store.ping()), probe(state.ephemeral.ping()));
    let ready = database.is_ok() && redis.is_ok();
    let report = |result: Result<(), String>, backend: &str| match result {
        Ok(()) => json!({ "status": "up", "backend": backend }),
        Err(error) => json!({ "status": "down", "backend": backend, "error": error }),
    };
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": {
            "database": report(database, state.store.backend_name()),
            "redis": report(redis, state.ephemeral.kind()),
        },
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

async fn probe<E: std::fmt::Display>(
    check: impl Future<Output = Result<(), E>>,
) -> Result<(), String> {
    match tokio::time::timeout(PROBE_TIMEOUT, check).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
    }
}

async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let request_id = headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let request = request.into_inner().data(RequestId(request_id));
    state.schema.execute(request).await.into()
}

async fn graphiql_page() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}
