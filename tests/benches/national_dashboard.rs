//! The ministry's national dashboard at national scale: 332 municipalities
//! of 10,000 people each (set `KENTRO_BENCH_TENANTS` and
//! `KENTRO_BENCH_PEOPLE` for a smaller run). Prints, in one run, the p95 of
//! the `indicators(scope: NATIONAL)` query over HTTP (answered from the
//! incrementally kept aggregates) next to the same breakdown as a naive
//! GROUP BY over the raw rows (goals: ≤ 100 ms p95; ≥ 50× faster); and
//! the workspace's Εποπτεία page for the programme period as rendered (p95
//! ≤ 150 ms), beside the same documents sent over HTTP as one batch, in
//! alternating rounds (goal: the page ≥ 0.8 of their throughput).
//!
//! Run with `infra/bench.sh` (it starts PostgreSQL and Redis).

#[allow(
    dead_code,
    reason = "the harness is shared with the end-to-end tests, which use all of it"
)]
#[path = "../e2e/harness.rs"]
mod harness;

#[path = "support/side_by_side.rs"]
mod side_by_side;

use std::time::{Duration, Instant};

use harness::{Backend, Server, add_user, run_kentro, stderr_of};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::json;
use side_by_side::{CONCURRENCY, Target, browser_session, document, measure};

const QUERY: &str = "query($from: String!, $to: String!) {
    indicators(scope: NATIONAL, set: ESF_PLUS_2021_2027, period: { from: $from, to: $to }) {
        uniqueParticipants { display }
        tables { dimension categories units { unit values { value display } total { display } } totals { display } } } }";

const NAIVE: &str = "WITH entry AS (
        SELECT tenant_id, person_id, MIN(request_date) AS entered
          FROM case_file GROUP BY tenant_id, person_id)
    SELECT t.region, p.gender,
           CASE WHEN p.birth_date IS NULL THEN 'unknown'
                WHEN age(e.entered, p.birth_date) < interval '18 years' THEN 'under_18'
                WHEN age(e.entered, p.birth_date) < interval '30 years' THEN '18_29'
                WHEN age(e.entered, p.birth_date) < interval '55 years' THEN '30_54'
                ELSE '55_and_over' END AS band,
           p.employment_status, p.education_level, count(*) AS n
      FROM entry e
      JOIN person p ON p.tenant_id = e.tenant_id AND p.id = e.person_id
      JOIN tenant t ON t.id = e.tenant_id
     WHERE e.entered BETWEEN DATE '2021-01-01' AND DATE '2027-12-31'
     GROUP BY GROUPING SETS ((t.region, p.gender), (t.region, band),
                             (t.region, p.employment_status), (t.region, p.education_level))";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let tenants = std::env::var("KENTRO_BENCH_TENANTS").unwrap_or_else(|_| "332".into());
    let people = std::env::var("KENTRO_BENCH_PEOPLE").unwrap_or_else(|_| "10000".into());
    let backend = Backend::postgres().await;
    let database = backend.database().expect("a PostgreSQL backend");
    let mut env = backend.env();
    env.push(("KENTRO_RATE_LIMIT_PER_USER", "1000000".into()));
    env.push(("KENTRO_RATE_LIMIT_ANONYMOUS", "1000000".into()));
    env.push(("KENTRO_LOG", "error".into()));
    // The bench refreshes the aggregates itself, once.
    env.push(("KENTRO_INDICATORS_INTERVAL_SECONDS", "86400".into()));

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
    let started = Instant::now();
    let refreshed = run_kentro(&env, &["indicators", "refresh", "--force"]);
    assert!(refreshed.status.success(), "{}", stderr_of(&refreshed));
    let aggregation = started.elapsed();

    let superuser = Database::connect(database.superuser_url.as_str())
        .await
        .expect("the bench database");
    superuser.execute_unprepared("ANALYZE").await.unwrap();
    let count: i64 = superuser
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM person",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();

    let password = "bench-overseer-password";
    add_user(
        &env,
        None,
        "ministry_overseer",
        "overseer@bench.example",
        password,
    );
    let server = Server::start(&env, &[]);
    let token = server.login("overseer@bench.example", password).await;
    let variables = json!({ "from": "2021-01", "to": "2027-12" });
    for _ in 0..5 {
        let warm = server
            .graphql_as(Some(&token), QUERY, variables.clone())
            .await;
        assert!(warm.get("errors").is_none(), "{warm}");
    }
    let mut dashboard = Vec::new();
    let mut answer = serde_json::Value::Null;
    for _ in 0..100 {
        let t = Instant::now();
        answer = server
            .graphql_as(Some(&token), QUERY, variables.clone())
            .await;
        dashboard.push(t.elapsed());
        assert!(answer.get("errors").is_none(), "{answer}");
    }
    dashboard.sort();

    // The workspace's dashboard page for the same period, then side by
    // side with the documents it runs (me, the report, a year's trend
    // each) sent over HTTP as one batch.
    let cookie = browser_session(&server.base_url, "overseer@bench.example", password).await;
    let page_url = format!(
        "{}/oversight?set=ESF_PLUS_2021_2027&period=2021-01:2027-12&scope=national",
        server.base_url
    );
    let http = reqwest::Client::new();
    let mut page = Vec::new();
    for n in 0..105 {
        let t = Instant::now();
        let html = http
            .get(&page_url)
            .header("cookie", &cookie)
            .send()
            .await
            .expect("the dashboard page")
            .text()
            .await
            .expect("HTML");
        if n >= 5 {
            page.push(t.elapsed());
        }
        assert!(html.contains("chart-gender"), "the page draws the figures");
    }
    page.sort();
    let oversight = document("oversight");
    let mut batch = vec![json!({ "query": document("me") })];
    batch.push(json!({ "query": oversight, "operationName": "Oversight",
        "variables": { "scope": "NATIONAL", "set": "ESF_PLUS_2021_2027", "from": "2021-01", "to": "2027-12" } }));
    for year in 2021..=2027 {
        batch.push(json!({ "query": oversight, "operationName": "OversightTrend",
            "variables": { "scope": "NATIONAL", "from": format!("{year}-01"), "to": format!("{year}-12") } }));
    }
    let page_target = Target::Page {
        url: page_url.clone(),
        cookie: cookie.clone(),
    };
    let api_target = Target::Api {
        url: format!("{}/graphql", server.base_url),
        token: token.clone(),
        batch: serde_json::Value::Array(batch),
    };
    assert!(
        measure(&api_target, Duration::from_millis(500)).await > 0,
        "the documents answer"
    );
    const ROUND: Duration = Duration::from_secs(3);
    let (mut pages_done, mut api_done) = (0u64, 0u64);
    for round in 0..4 {
        if round % 2 == 0 {
            pages_done += measure(&page_target, ROUND).await;
            api_done += measure(&api_target, ROUND).await;
        } else {
            api_done += measure(&api_target, ROUND).await;
            pages_done += measure(&page_target, ROUND).await;
        }
    }
    let seconds = (ROUND * 4).as_secs_f64();

    // The naive query, warmed once like the dashboard, then timed enough
    // times for a percentile (KENTRO_BENCH_NAIVE_SAMPLES, default 20).
    let samples: usize = std::env::var("KENTRO_BENCH_NAIVE_SAMPLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let naive_rows = superuser
        .query_all_raw(Statement::from_string(DbBackend::Postgres, NAIVE))
        .await
        .unwrap();
    let mut naive = Vec::new();
    for _ in 0..samples {
        let t = Instant::now();
        superuser
            .query_all_raw(Statement::from_string(DbBackend::Postgres, NAIVE))
            .await
            .unwrap();
        naive.push(t.elapsed());
    }
    naive.sort();

    // Both answer the same question: every age cell the dashboard shows
    // equals the naive count for that region and band.
    let mut naive_ages = std::collections::HashMap::new();
    for row in &naive_rows {
        let band: Option<String> = row.try_get("", "band").unwrap();
        let region: Option<String> = row.try_get("", "region").unwrap();
        if let (Some(band), Some(region)) = (band, region) {
            let n: i64 = row.try_get("", "n").unwrap();
            naive_ages.insert((region, band), n);
        }
    }
    let age = answer["data"]["indicators"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["dimension"] == "age")
        .expect("an age table");
    let mut compared = 0;
    let mut disagreements = Vec::new();
    for unit in age["units"].as_array().unwrap() {
        let region = unit["unit"].as_str().unwrap().to_owned();
        for (category, value) in age["categories"]
            .as_array()
            .unwrap()
            .iter()
            .zip(unit["values"].as_array().unwrap())
        {
            if let Some(shown) = value["value"].as_i64() {
                let band = category.as_str().unwrap().to_owned();
                let expected = naive_ages
                    .get(&(region.clone(), band.clone()))
                    .copied()
                    .unwrap_or(0);
                // The cell-key method moves a shown figure by at most NOISE.
                if shown.abs_diff(expected) > kentro_domain::indicators::NOISE {
                    disagreements.push(format!("{region} {band}: {shown} vs {expected}"));
                }
                compared += 1;
            }
        }
    }
    assert!(compared > 0, "the dashboard showed cells to compare");
    let agreement = if disagreements.is_empty() {
        format!("all {compared} shown age cells are within ±2 of the naive counts")
    } else {
        format!(
            "{} of {compared} shown age cells are MORE THAN 2 from the naive counts (aggregates vs naive): {}",
            disagreements.len(),
            disagreements.join("; ")
        )
    };

    let dashboard_p95 = percentile(&dashboard, 0.95);
    let naive_p95 = percentile(&naive, 0.95);
    println!(
        "national_dashboard: {count} people in {tenants} municipalities (generated in {:.0} s, aggregated in {:.0} s)",
        generation.as_secs_f64(),
        aggregation.as_secs_f64()
    );
    println!(
        "  indicators(NATIONAL) over HTTP: p50 {:.1} ms, p95 {:.1} ms (goal ≤ 100 ms)",
        ms(percentile(&dashboard, 0.5)),
        ms(dashboard_p95)
    );
    println!(
        "  Εποπτεία page, rendered (one client): p50 {:.1} ms, p95 {:.1} ms (goal ≤ 150 ms)",
        ms(percentile(&page, 0.5)),
        ms(percentile(&page, 0.95))
    );
    println!(
        "  page vs its documents over HTTP ({CONCURRENCY} clients, 4 alternating rounds of {ROUND:?}): {:.1} vs {:.1} requests/s, ratio {:.3} (goal ≥ 0.8)",
        pages_done as f64 / seconds,
        api_done as f64 / seconds,
        pages_done as f64 / api_done.max(1) as f64
    );
    println!(
        "  naive GROUP BY over raw rows (superuser, no RLS, no HTTP; {} samples): p50 {:.0} ms, p95 {:.0} ms; aggregates {:.0}× faster at p95 (goal ≥ 50×)\n  {agreement}",
        naive.len(),
        ms(percentile(&naive, 0.5)),
        ms(naive_p95),
        naive_p95.as_secs_f64() / dashboard_p95.as_secs_f64()
    );
}
