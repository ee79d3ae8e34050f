//! What row-level security costs a real request: authenticated GraphQL reads
//! (a center coordinator's `auditLog(first: 20)`) per second against two
//! servers of the same build, one on a database with RLS on and one with it
//! switched off, measured in alternating rounds of the same run.
//!
//! Run with `infra/bench.sh` (it starts PostgreSQL and Redis).

#[allow(
    dead_code,
    reason = "the harness is shared with the end-to-end tests, which use all of it"
)]
#[path = "../e2e/harness.rs"]
mod harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use harness::{
    Backend, Server, demo_account, demo_password, run_kentro, seed_tenants_dir, stderr_of,
};
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

const CONCURRENCY: usize = 16;
const ROUND: Duration = Duration::from_secs(3);
const ROUNDS: usize = 4;
const AUDIT_ROWS_PER_TENANT: usize = 2_000;
const QUERY: &str =
    "{ auditLog(first: 20) { edges { node { sequence at actor action entityType entityId } } } }";
/// The people search: trigram `LIKE` on the name key, under RLS.
const SEARCH: &str = "{ people(search: \"Νικολ\", first: 20) { edges { node { id } } } }";
const PEOPLE: &str = "5000";

struct Target {
    name: &'static str,
    server: Server,
    token: String,
    /// A social worker of the synthetic center with `PEOPLE` people.
    searcher: String,
    // Kept so the data directory outlives the server.
    _backend: Backend,
}

async fn start(name: &'static str, rls: bool) -> Target {
    let backend = Backend::postgres().await;
    let database = backend.database().expect("a PostgreSQL backend");
    let mut env = backend.env();
    env.push((
        "KENTRO_TENANTS_DIR",
        seed_tenants_dir().display().to_string(),
    ));
    env.push(("KENTRO_RATE_LIMIT_PER_USER", "1000000".into()));
    env.push(("KENTRO_RATE_LIMIT_PER_TENANT", "1000000".into()));
    env.push(("KENTRO_LOG", "error".into()));
    let generated = run_kentro(
        &env,
        &[
            "demo",
            "generate",
            "--tenants",
            "1",
            "--people-per-tenant",
            PEOPLE,
        ],
    );
    assert!(generated.status.success(), "{}", stderr_of(&generated));
    let server = Server::start(&env, &["--demo"]);

    let superuser = Database::connect(database.superuser_url.as_str())
        .await
        .expect("the bench database");
    superuser
        .execute_unprepared(&format!(
            "INSERT INTO audit_entry
               SELECT t.id, 1000 + g, now(), NULL, 'bench', 'operator', 'bench.read', 'person',
                      g::text, 'bench', 'bench', 'x', 'x'
                 FROM tenant t, generate_series(1, {AUDIT_ROWS_PER_TENANT}) g;
             ANALYZE;"
        ))
        .await
        .expect("bench rows");
    if !rls {
        for table in ["center", "tenant_plugin", "audit_entry", "person"] {
            superuser
                .execute_unprepared(&format!(
                    "ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
                     ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;"
                ))
                .await
                .expect("RLS off");
        }
    }
    let token = server
        .login(
            &demo_account("tenant-admin", "veria"),
            &demo_password(&backend),
        )
        .await;
    let searcher = server
        .login("social-worker-1@synth-001.demo", &demo_password(&backend))
        .await;
    Target {
        name,
        server,
        token,
        searcher,
        _backend: backend,
    }
}

/// Requests answered without error within `duration`, by `CONCURRENCY` clients.
async fn measure(target: &Target, query: &'static str, duration: Duration) -> u64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let client = reqwest::Client::new();
        let url = format!("{}/graphql", target.server.base_url);
        let token = if query == SEARCH {
            target.searcher.clone()
        } else {
            target.token.clone()
        };
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "query": query }))
                    .send()
                    .await;
                if let Ok(response) = response
                    && response.status().is_success()
                    && let Ok(body) = response.json::<serde_json::Value>().await
                    && body.get("errors").is_none()
                {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("a client task");
    }
    done.load(Ordering::Relaxed)
}

#[tokio::main]
async fn main() {
    let with_rls = start("RLS on ", true).await;
    let without_rls = start("RLS off", false).await;
    let targets = [&with_rls, &without_rls];

    // Both answer the same data, or the comparison means nothing.
    for target in targets {
        let check = target
            .server
            .graphql_as(Some(&target.token), QUERY, json!({}))
            .await;
        let edges = check["data"]["auditLog"]["edges"].as_array().map(Vec::len);
        assert_eq!(edges, Some(20), "{}: {check}", target.name);
        let found = target
            .server
            .graphql_as(Some(&target.searcher), SEARCH, json!({}))
            .await;
        let people = found["data"]["people"]["edges"].as_array().map(Vec::len);
        assert!(
            people.is_some_and(|n| n > 0),
            "{}: the search finds people: {found}",
            target.name
        );
    }

    for (label, query) in [
        (
            "authenticated auditLog(first: 20) reads (primary key)",
            QUERY,
        ),
        (
            "people(search) reads (trigram LIKE on the name key)",
            SEARCH,
        ),
    ] {
        for target in targets {
            measure(target, query, Duration::from_secs(1)).await;
        }
        let mut totals = [0u64; 2];
        for round in 0..ROUNDS {
            // Alternate the order so drift on a shared machine hits both alike.
            let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for i in order {
                totals[i] += measure(targets[i], query, ROUND).await;
            }
        }
        let seconds = (ROUND * ROUNDS as u32).as_secs_f64();
        let rates = totals.map(|n| n as f64 / seconds);
        println!(
            "rls_overhead: {label}, {CONCURRENCY} clients, {ROUNDS} alternating rounds of {ROUND:?}"
        );
        for (target, rate) in targets.iter().zip(rates) {
            println!("  {}: {rate:8.1} requests/s", target.name);
        }
        println!(
            "  ratio RLS on / RLS off: {:.3} (goal ≥ 0.9)",
            rates[0] / rates[1]
        );
    }
}
