//! Duplicate search at intake over 1,000,000 registered people (100
//! synthetic municipalities of 10,000): latency of `findPossibleDuplicates`
//! over HTTP on PostgreSQL with RLS, by ΑΜΚΑ, by a Latin spelling of the name
//! with the birth date, and for someone not registered.
//!
//! Run with `infra/bench.sh` (it starts PostgreSQL and Redis).

#[allow(
    dead_code,
    reason = "the harness is shared with the end-to-end tests, which use all of it"
)]
#[path = "../e2e/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{Backend, Server, demo_password, run_kentro, stderr_of};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

const SAMPLES: usize = 300;
const QUERY: &str = "query($input: PersonInput!) { findPossibleDuplicates(input: $input) { score reasons person { id } } }";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::main]
async fn main() {
    let backend = Backend::postgres().await;
    let database = backend.database().expect("a PostgreSQL backend");
    let mut env = backend.env();
    env.push(("KENTRO_RATE_LIMIT_PER_USER", "1000000".into()));
    env.push(("KENTRO_RATE_LIMIT_PER_TENANT", "1000000".into()));
    env.push(("KENTRO_LOG", "error".into()));
    // 100 × 10,000 unless `KENTRO_BENCH_TENANTS` / `KENTRO_BENCH_PEOPLE` say less.
    let tenants = std::env::var("KENTRO_BENCH_TENANTS").unwrap_or_else(|_| "100".into());
    let people = std::env::var("KENTRO_BENCH_PEOPLE").unwrap_or_else(|_| "10000".into());
    let started = Instant::now();
    let generated = run_kentro(
        &env,
        &[
            "demo",
            "generate",
            "--tenants",
            &tenants,
            "--people-per-tenant",
            &people,
        ],
    );
    assert!(generated.status.success(), "{}", stderr_of(&generated));
    let generation = started.elapsed();

    let superuser = Database::connect(database.superuser_url.as_str())
        .await
        .expect("the bench database");
    superuser
        .execute_unprepared("ANALYZE")
        .await
        .expect("statistics");
    let total: i64 = superuser
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM person",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    let rows = superuser
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT p.id, p.amka, p.given_name_latin, p.family_name_latin, p.birth_date::text AS birth_date
                   FROM person p JOIN tenant t ON t.id = p.tenant_id
                  WHERE t.slug = 'synth-001' AND p.birth_date IS NOT NULL
                  ORDER BY md5(p.id::text) LIMIT {SAMPLES}"
            ),
        ))
        .await
        .expect("samples");
    let inputs: Vec<(&str, Value, String)> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let id: i64 = row.try_get("", "id").unwrap();
            let expected = kentro_domain::global_id::encode("Person", id);
            let amka: Option<String> = row.try_get("", "amka").unwrap();
            let given: String = row.try_get("", "given_name_latin").unwrap();
            let family: String = row.try_get("", "family_name_latin").unwrap();
            let birth: String = row.try_get("", "birth_date").unwrap();
            let (kind, input) = match (i % 3, amka) {
                (0, Some(amka)) => (
                    "by ΑΜΚΑ",
                    json!({ "givenNameLatin": given, "familyNameLatin": family, "amka": amka }),
                ),
                (2, _) => (
                    "unregistered",
                    json!({ "givenNameLatin": "Zenon", "familyNameLatin": "Unknownson", "birthDate": birth }),
                ),
                _ => (
                    "by name + birth date",
                    json!({ "givenNameLatin": given.to_uppercase(), "familyNameLatin": family.replace("ou", "u"), "birthDate": birth }),
                ),
            };
            (kind, input, expected)
        })
        .collect();

    let server = Server::start(&env, &[]);
    let token = server
        .login("social-worker-1@synth-001.demo", &demo_password(&backend))
        .await;
    // Warm up connections and caches.
    for (_, input, _) in inputs.iter().take(20) {
        server
            .graphql_as(Some(&token), QUERY, json!({ "input": input }))
            .await;
    }
    let mut by_kind: Vec<(&str, Vec<Duration>)> = Vec::new();
    let mut all = Vec::with_capacity(inputs.len());
    let mut found = 0;
    for (kind, input, expected) in &inputs {
        let start = Instant::now();
        let response = server
            .graphql_as(Some(&token), QUERY, json!({ "input": input }))
            .await;
        let elapsed = start.elapsed();
        assert!(response.get("errors").is_none(), "{response}");
        // An empty answer must not look fast: a registered person's search
        // finds that very person.
        if *kind != "unregistered" {
            let candidates = response["data"]["findPossibleDuplicates"]
                .as_array()
                .unwrap_or_else(|| panic!("{response}"));
            assert!(
                candidates
                    .iter()
                    .any(|c| c["person"]["id"] == expected.as_str()),
                "{kind}: {input} did not find {expected}: {response}"
            );
            found += 1;
        }
        all.push(elapsed);
        match by_kind.iter_mut().find(|(k, _)| k == kind) {
            Some((_, times)) => times.push(elapsed),
            None => by_kind.push((kind, vec![elapsed])),
        }
    }
    all.sort();
    println!(
        "duplicate_search: {total} people in {tenants} municipalities (generated in {:.0} s); {} searches, one client",
        generation.as_secs_f64(),
        all.len()
    );
    for (kind, mut times) in by_kind {
        times.sort();
        println!(
            "  {kind:<22} p50 {:>6.2} ms  p95 {:>6.2} ms",
            percentile(&times, 0.5).as_secs_f64() * 1000.0,
            percentile(&times, 0.95).as_secs_f64() * 1000.0
        );
    }
    println!(
        "  all                    p50 {:>6.2} ms  p95 {:>6.2} ms (goal p95 ≤ 20 ms); registered people found: {found}",
        percentile(&all, 0.5).as_secs_f64() * 1000.0,
        percentile(&all, 0.95).as_secs_f64() * 1000.0
    );
}
