//! The HTTP surface: health, readiness, GraphQL, security headers.

use std::time::Duration;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ipnet::IpNet;
use kentro_api::{ApiServices, ErrorCode, GraphQLSchema, KentroSchema, RequestContext};
use kentro_domain::keys::AccountId;
use kentro_store::{Admission, PartnerPrincipal, Principal, Quota, Sessions, TenantScope};

/// Bearer tokens of partner API keys start with this; session tokens are hex.
use kentro_domain::referral::PARTNER_KEY_PREFIX;
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// GraphQL documents and variables are small; anything larger is a mistake or an attack.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long a readiness probe waits for one dependency.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What every handler shares, behind one reference count: axum clones a
/// route's state for every request (the handler's and each layer's copy),
/// and each of the parts counts references of its own.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> AppState {
        AppState(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

pub struct AppParts {
    pub schema: KentroSchema,
    /// Development only: answers introspection-only requests without the
    /// request limits, for the usual GraphQL tools.
    pub introspection: Option<GraphQLSchema>,
    pub services: ApiServices,
    pub rate_limits: RateLimits,
    pub trusted_proxies: Arc<[IpNet]>,
    /// The site is served over HTTPS: the workspace's cookies are
    /// `__Host-` prefixed and `Secure`.
    pub secure_cookies: bool,
}

/// The client's address: the TCP peer, or, when the peer is a trusted proxy,
/// the nearest address in `X-Forwarded-For` that is not a trusted proxy.
/// Addresses further left are the client's own claim and never believed.
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
}

/// Request quotas, shared by every replica through the ephemeral store.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub per_user: Quota,
    pub per_tenant: Quota,
    /// Requests without a session, per client address.
    pub per_anonymous_address: Quota,
}

/// `request_timeout`: how long one request may take before the client gets
/// 503 and its work is dropped (an open transaction rolls back).
pub fn router(state: AppState, development: bool, request_timeout: Duration) -> Router {
    let mut router = Router::new();
    if development {
        router = router
            .route("/graphql", get(api_page).post(graphql))
            .route("/graphql/schema.graphql", get(schema_sdl));
    } else {
        router = router.route("/graphql", post(graphql));
    }
    // Pages and data anyone may ask for, without a session: each client
    // address takes its anonymous quota per request.
    let public = Router::new()
        .route(
            "/partner/referrals/{token}",
            get(crate::partner_pages::show_referral).post(crate::partner_pages::answer_referral),
        )
        .route("/hsds/{tenant}/services", get(crate::hsds_api::services))
        .route(
            "/hsds/{tenant}/services/{id}",
            get(crate::hsds_api::service),
        )
        .route(
            "/hsds/{tenant}/organizations",
            get(crate::hsds_api::organizations),
        )
        .route(
            "/hsds/{tenant}/organizations/{id}",
            get(crate::hsds_api::organization),
        )
        .route(
            "/hsds/{tenant}/taxonomies",
            get(crate::hsds_api::taxonomies),
        )
        .route(
            "/hsds/{tenant}/taxonomy_terms",
            get(crate::hsds_api::taxonomy_terms),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            address_quota,
        ));
    // The staff workspace: pages rendered from the same schema, for the
    // session in the browser's cookie.
    let workspace = kentro_web::router(kentro_web::WebState {
        schema: state.schema.clone(),
        secure_cookies: state.secure_cookies,
        idle_timeout_seconds: state.services.session_policy.idle_timeout.as_secs(),
    })
    .route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        workspace_session,
    ));
    router
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/graphql/ws", get(graphql_ws))
        .route("/assets/partner.css", get(crate::partner_pages::stylesheet))
        .merge(public)
        .with_state(state)
        .merge(workspace)
        .layer(axum::middleware::map_response(security_headers))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            request_timeout,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                // The route, never the path: a partner's path is its secret.
                let route = request
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or("unmatched", |p| p.as_str());
                tracing::info_span!(
                    "http_request",
                    method = %request.method(),
                    route = %route,
                    request_id = %request_id,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The workspace's request context: the session in the cookie, as
/// `POST /graphql` does with a bearer token, with the same quotas. A
/// missing or ended session leaves the request anonymous; the page decides
/// (the login page, or a redirect to it).
async fn workspace_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Assets are the same for everyone.
    if request.uri().path().starts_with("/assets/") {
        return next.run(request).await;
    }
    let headers = request.headers();
    let request_id = headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let client_address = client_address(peer.ip(), headers, &state.trusted_proxies).to_string();
    let token = kentro_web::cookie(headers, kentro_web::session_cookie(state.secure_cookies));
    let principal = match &token {
        None => None,
        Some(token) => match admit_session(&state, token).await {
            Ok(Admission::Admitted(principal)) => Some(principal),
            Ok(Admission::OverQuota { retry_after }) => return rate_limited(retry_after),
            Ok(Admission::Unknown) => None,
            Err(e) => {
                tracing::error!(request_id = %request_id, error = %e, "cannot check a session");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        },
    };
    if principal.is_none()
        && let Some(refused) = take_address_quota(&state, &client_address).await
    {
        return refused;
    }
    request.extensions_mut().insert(RequestContext {
        session_token: principal.as_ref().and(token),
        principal,
        partner: None,
        request_id,
        client_address,
        people_read: Default::default(),
    });
    next.run(request).await
}

/// Takes the client address's anonymous quota; past it, 429.
async fn address_quota(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let address = client_address(peer.ip(), request.headers(), &state.trusted_proxies);
    if let Some(refused) = take_address_quota(&state, &address.to_string()).await {
        return refused;
    }
    next.run(request).await
}

/// `Some(429)` when the address has used up its anonymous quota.
async fn take_address_quota(state: &AppState, address: &str) -> Option<Response> {
    let quota = [(
        format!("address:{address}"),
        state.rate_limits.per_anonymous_address,
    )];
    match state.services.ephemeral.rate_limit_all(&quota).await {
        Ok(Ok(())) => None,
        Ok(Err(retry_after)) => Some(rate_limited(retry_after)),
        Err(e) => {
            tracing::warn!(error = %e, "rate limiter unavailable");
            None
        }
    }
}

/// What every response carries, and what an HTML page carries besides: a
/// policy that lets it load nothing but this origin's stylesheets and
/// images, post forms only here, and never be framed.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(kentro_web::CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// The process is up.
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: the database answers, and Redis when configured.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let (database, redis) = tokio::join!(
        probe(state.services.store.ping()),
        probe(state.services.ephemeral.ping())
    );
    let ready = database.is_ok() && redis.is_ok();
    let report = |result: Result<(), String>, backend: &str| match result {
        Ok(()) => json!({ "status": "up", "backend": backend }),
        Err(error) => json!({ "status": "down", "backend": backend, "error": error }),
    };
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": {
            "database": report(database, state.services.store.backend_name()),
            "redis": report(redis, state.services.ephemeral.kind()),
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

/// A GraphQL error response outside the schema's execution (authentication, rate limits).
fn error_response(
    status: StatusCode,
    code: ErrorCode,
    message: &str,
    extra: serde_json::Value,
) -> Response {
    let mut extensions = json!({ "code": code.as_str() });
    if let (Some(target), Some(source)) = (extensions.as_object_mut(), extra.as_object()) {
        target.extend(source.clone());
    }
    (
        status,
        Json(json!({ "errors": [{ "message": message, "extensions": extensions }] })),
    )
        .into_response()
}

/// The API's one over-quota answer, as an HTTP 429 with `Retry-After`.
fn rate_limited(retry_after: Duration) -> Response {
    let seconds = retry_after.as_secs().max(1);
    let error = kentro_api::rate_limited(retry_after);
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({ "errors": [{ "message": error.message, "extensions": error.extensions }] })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The bearer token of the request: `Ok(None)` without an Authorization
/// header, `Err` for one that is not `Bearer <token>`.
fn bearer_token(headers: &HeaderMap) -> Result<Option<String>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?;
    let (scheme, token) = value.split_once(' ').ok_or(())?;
    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
        Ok(Some(token.trim().to_owned()))
    } else {
        Err(())
    }
}

async fn graphql(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request: GraphQLBatchRequest,
) -> Response {
    let request_id = headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let client_address = client_address(peer.ip(), &headers, &state.trusted_proxies).to_string();
    // A refused credential takes the address's anonymous quota, so
    // guessing tokens or keys is throttled like any anonymous request.
    let refuse = async |message: &str| {
        if let Some(refused) = take_address_quota(&state, &client_address).await {
            return refused;
        }
        error_response(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            message,
            json!({}),
        )
    };

    let Ok(token) = bearer_token(&headers) else {
        return refuse("the Authorization header must be `Bearer <token>`").await;
    };
    let mut partner: Option<PartnerPrincipal> = None;
    let principal: Option<Principal> = match &token {
        None => None,
        Some(token) if token.starts_with(PARTNER_KEY_PREFIX) => {
            match state
                .services
                .store
                .referrals()
                .authenticate_partner(token)
                .await
            {
                Ok(Some(p)) => {
                    partner = Some(p);
                    None
                }
                Ok(None) => return refuse("the partner key is unknown or revoked").await,
                Err(e) => {
                    tracing::error!(request_id = %request_id, error = %e, "cannot check a partner key");
                    return error_response(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorCode::Internal,
                        "internal error",
                        json!({ "requestId": request_id }),
                    );
                }
            }
        }
        Some(token) => match admit_session(&state, token).await {
            Ok(Admission::Admitted(principal)) => Some(principal),
            Ok(Admission::OverQuota { retry_after }) => return rate_limited(retry_after),
            Ok(Admission::Unknown) => {
                return refuse("the session is unknown or expired; log in again").await;
            }
            Err(e) => {
                tracing::error!(request_id = %request_id, error = %e, "cannot check a session");
                return error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::Internal,
                    "internal error",
                    json!({ "requestId": request_id }),
                );
            }
        },
    };

    // A session's quotas were taken with it.
    let quotas = match (&principal, &partner) {
        (Some(_), _) => vec![],
        (None, Some(p)) => vec![
            (format!("partner:{}", p.key_id), state.rate_limits.per_user),
            (
                format!("tenant:{}", p.scope.id()),
                state.rate_limits.per_tenant,
            ),
        ],
        (None, None) => vec![(
            format!("address:{client_address}"),
            state.rate_limits.per_anonymous_address,
        )],
    };
    match state.services.ephemeral.rate_limit_all(&quotas).await {
        Ok(Ok(())) => {}
        Ok(Err(retry_after)) => return rate_limited(retry_after),
        // A rate limiter that cannot answer must not take the service down with it.
        Err(e) => tracing::warn!(request_id = %request_id, error = %e, "rate limiter unavailable"),
    }

    let context = RequestContext {
        principal,
        partner,
        session_token: token,
        request_id,
        client_address,
        people_read: Default::default(),
    };
    let request = request.into_inner();
    let response = match &state.introspection {
        Some(schema) if kentro_api::is_introspection(&request) => {
            schema.execute_batch(request).await
        }
        _ => kentro_api::execute(&state.schema, request, context).await,
    };
    GraphQLResponse::from(response).into_response()
}

/// The session behind `token`, with the request's quotas taken in the
/// same round trip to Redis (see `Sessions::admit`).
pub(crate) async fn admit_session(
    state: &AppState,
    token: &str,
) -> Result<Admission, kentro_store::StoreError> {
    Sessions::new(
        &state.services.store,
        &state.services.ephemeral,
        state.services.session_policy,
    )
    .admit(token, |account, tenant| {
        session_quotas(account, tenant, &state.rate_limits)
    })
    .await
}

/// The quotas a logged-in user's request takes: the user's, and their
/// center's.
fn session_quotas(
    account: AccountId,
    tenant: Option<TenantScope>,
    limits: &RateLimits,
) -> Vec<(String, Quota)> {
    let mut quotas = vec![(format!("user:{account}"), limits.per_user)];
    if let Some(tenant) = tenant {
        quotas.push((format!("tenant:{}", tenant.id()), limits.per_tenant));
    }
    quotas
}

/// Development only: where the contract is and how to call it. Kentro
/// serves no GraphQL IDE (it would load scripts); any client works, and
/// introspection answers the usual tools here.
async fn api_page() -> impl IntoResponse {
    Html(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Kentro GraphQL API</title></head><body><main>\
         <h1>Kentro GraphQL API</h1>\
         <p>POST <code>{\"query\": \"…\", \"variables\": {…}}</code> as JSON to this address, \
         with <code>Authorization: Bearer &lt;token&gt;</code> from the <code>login</code> mutation. \
         Subscriptions: <code>/graphql/ws</code> (graphql-transport-ws).</p>\
         <p>The contract: <a href=\"/graphql/schema.graphql\">schema.graphql</a>. \
         Introspection answers GraphQL clients and code generators (not in production).</p>\
         </main></body></html>",
    )
}

/// Development only: the schema in SDL.
async fn schema_sdl() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        kentro_api::sdl(),
    )
}

/// GraphQL over WebSocket: see `ws.rs`.
async fn graphql_ws(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(protocol) = crate::ws::protocol(&headers) else {
        return (
            StatusCode::BAD_REQUEST,
            "ask for the graphql-transport-ws (or graphql-ws) subprotocol",
        )
            .into_response();
    };
    // A bearer token, or the workspace's session cookie on a socket that one
    // of the workspace's own pages opened (its live updates).
    let header_token = bearer_token(&headers)
        .ok()
        .flatten()
        .or_else(|| kentro_web::socket_session(&headers, state.secure_cookies));
    let request_id = headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let client_address = client_address(peer.ip(), &headers, &state.trusted_proxies).to_string();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(crate::ws::MAX_MESSAGE_BYTES)
        .max_frame_size(crate::ws::MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            crate::ws::serve(
                socket,
                state,
                protocol,
                header_token,
                request_id,
                client_address,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(forwarded).unwrap());
        headers
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = headers("203.0.113.9, 198.51.100.7, 10.0.0.2");
        // Behind trusted proxies: the nearest untrusted hop, not the client's own claim.
        assert_eq!(
            client_address(proxy, &h, &trusted).to_string(),
            "198.51.100.7"
        );
        // From an untrusted peer the header is ignored.
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(client_address(stranger, &h, &trusted), stranger);
        // With no trusted proxies configured, the peer is the client.
        assert_eq!(client_address(proxy, &h, &[]), proxy);
    }
}
