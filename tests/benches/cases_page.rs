//! What the GraphQL stack costs on a typical screen: `cases(first: 20)` with
//! each case's person and assigned worker, through kentro (authentication,
//! rate limits, GraphQL, audit of the reads, RLS), against a bare axum + sqlx
//! handler returning the same rows as JSON from the same database with RLS.
//! Both are measured in alternating rounds of one run.
//!
//! Run with `infra/bench.sh` (it starts PostgreSQL and Redis). To profile
//! one side, `CASES_PAGE_SOLO=<seconds>` loads it alone and prints its rate
//! (`CASES_PAGE_TARGET`: 0 Kentro's page, the default; 1 the bare handler;
//! 2 Kentro's `{ me }`), e.g. while `perf record` watches.

#[allow(
    dead_code,
    reason = "the harness is shared with the end-to-end tests, which use all of it"
)]
#[path = "../e2e/harness.rs"]
mod harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::routing::get;
use harness::{Backend, Server, demo_password, run_kentro, stderr_of};
use sea_orm::ConnectionTrait;
use sea_orm::sqlx::postgres::PgPoolOptions;
use sea_orm::sqlx::{PgPool, Row};
use serde_json::{Value, json};

const CONCURRENCY: usize = 16;
const ROUND: Duration = Duration::from_secs(3);
const ROUNDS: usize = 8;
const PEOPLE: &str = "10000";
const QUERY: &str = "{ cases(first: 20) { edges { node { id status requestDate
    person { displayName birthDate } assignedTo { name email } } } } }";

#[derive(Clone)]
struct Bare {
    pool: PgPool,
    tenant_id: i64,
}

/// The same page, as plainly as it can be served.
async fn bare_cases(State(bare): State<Bare>) -> Json<Value> {
    let mut txn = bare.pool.begin().await.expect("a transaction");
    sea_orm::sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(bare.tenant_id.to_string())
        .execute(&mut *txn)
        .await
        .expect("the tenant is set");
    let rows = sea_orm::sqlx::query(
        "SELECT c.id, c.status, c.request_date::text AS request_date,
                coalesce(p.given_name_el, p.given_name_latin) || ' ' ||
                coalesce(p.family_name_el, p.family_name_latin) AS person,
                p.birth_date::text AS birth_date, u.display_name, u.email
           FROM case_file c
           JOIN person p ON p.tenant_id = c.tenant_id AND p.id = c.person_id
           LEFT JOIN user_account u ON u.id = c.assigned_to
          WHERE c.tenant_id = $1
          ORDER BY c.id LIMIT 20",
    )
    .bind(bare.tenant_id)
    .fetch_all(&mut *txn)
    .await
    .expect("the page");
    txn.commit().await.expect("commit");
    let edges: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({ "node": {
                "id": r.get::<i64, _>("id"),
                "status": r.get::<String, _>("status"),
                "requestDate": r.get::<String, _>("request_date"),
                "person": { "displayName": r.get::<String, _>("person"),
                            "birthDate": r.get::<Option<String>, _>("birth_date") },
                "assignedTo": { "name": r.get::<Option<String>, _>("display_name"),
                                "email": r.get::<Option<String>, _>("email") },
            }})
        })
        .collect();
    Json(json!({ "data": { "cases": { "edges": edges } } }))
}

/// Requests answered in full within `duration`, by `CONCURRENCY` clients:
/// 20 cases, or (for the `me` probe) the caller's id.
async fn measure(
    url: &str,
    token: Option<&str>,
    query: Option<&'static str>,
    duration: Duration,
) -> u64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let client = reqwest::Client::new();
        let url = url.to_owned();
        let token = token.map(str::to_owned);
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let request = if let Some(query) = query {
                    let mut r = client.post(&url).json(&json!({ "query": query }));
                    if let Some(token) = &token {
                        r = r.bearer_auth(token);
                    }
                    r
                } else {
                    client.get(&url)
                };
                if let Ok(response) = request.send().await
                    && let Ok(body) = response.json::<Value>().await
                    && (body["data"]["cases"]["edges"].as_array().map(Vec::len) == Some(20)
                        || body["data"]["me"]["id"].is_string())
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

/// The bare handler's server, in a process of its own as Kentro runs in
/// its own: `cases_page --bare <database url>` prints its address and serves.
async fn bare_server(database_url: &str) {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect(database_url)
        .await
        .expect("the bench database as the server's role");
    let tenant_id: i64 =
        sea_orm::sqlx::query_scalar("SELECT id FROM tenant WHERE slug = 'synth-001'")
            .fetch_one(&pool)
            .await
            .expect("the synthetic tenant");
    let app = axum::Router::new()
        .route("/cases", get(bare_cases))
        .with_state(Bare { pool, tenant_id });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("http://{}/cases", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}

/// Starts the bare server as a child process and reads its address.
fn spawn_bare_server(database_url: &str) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--bare", database_url])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the bare server starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("the bare server's address");
    (child, line.trim().to_owned())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--bare") {
        bare_server(&args[at + 1]).await;
        return;
    }
    let backend = Backend::postgres().await;
    let database = backend.database().expect("a PostgreSQL backend");
    let mut env = backend.env();
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
    // Fresh statistics, so the planner's choices do not depend on when
    // autovacuum last ran.
    sea_orm::Database::connect(database.superuser_url.as_str())
        .await
        .expect("the bench database as the superuser")
        .execute_unprepared("ANALYZE")
        .await
        .expect("statistics");

    let server = Server::start(&env, &[]);
    let token = server
        .login("social-worker-1@synth-001.demo", &demo_password(&backend))
        .await;

    let (mut bare, bare_url) = spawn_bare_server(&database.server_url);

    let kentro_url = format!("{}/graphql", server.base_url);
    let targets: [(&str, &str, Option<&str>, Option<&'static str>); 3] = [
        ("kentro GraphQL  ", &kentro_url, Some(&token), Some(QUERY)),
        ("bare axum + sqlx", &bare_url, None, None),
        (
            "(kentro { me })  ",
            &kentro_url,
            Some(&token),
            Some("{ me { id } }"),
        ),
    ];
    if let Ok(seconds) = std::env::var("CASES_PAGE_SOLO") {
        let which: usize = std::env::var("CASES_PAGE_TARGET").map_or(0, |t| t.parse().unwrap());
        let (name, url, token, query) = targets[which];
        eprintln!("solo: {name} for {seconds} s");
        let duration = Duration::from_secs(seconds.parse().unwrap());
        let n = measure(url, token, query, duration).await;
        println!(
            "solo {name}: {:.1} requests/s",
            n as f64 / duration.as_secs_f64()
        );
        bare.kill().ok();
        return;
    }
    for (_, url, token, query) in targets {
        assert!(measure(url, token, query, Duration::from_millis(500)).await > 0);
    }
    let mut totals = [0u64; 3];
    let mut round_ratios = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let order: [usize; 3] = if round % 2 == 0 { [0, 1, 2] } else { [1, 0, 2] };
        let mut served = [0u64; 3];
        for i in order {
            let (_, url, token, query) = targets[i];
            served[i] = measure(url, token, query, ROUND).await;
            totals[i] += served[i];
        }
        round_ratios.push(served[0] as f64 / served[1] as f64);
    }
    let lowest = round_ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = round_ratios.iter().copied().fold(0.0, f64::max);
    let seconds = (ROUND * ROUNDS as u32).as_secs_f64();
    let rates = totals.map(|n| n as f64 / seconds);
    println!(
        "cases_page: cases(first: 20) with person and assigned worker, {PEOPLE} people, {CONCURRENCY} clients, {ROUNDS} alternating rounds of {ROUND:?}"
    );
    for ((name, ..), rate) in targets.iter().zip(rates) {
        println!("  {name}: {rate:8.1} requests/s");
    }
    println!(
        "  ratio kentro / bare: {:.3} (goal ≥ 0.65; its rounds {lowest:.3} to {highest:.3}); the `me` line is the fixed cost of a request (session, quotas, GraphQL) for context",
        rates[0] / rates[1]
    );
    bare.kill().ok();
}
