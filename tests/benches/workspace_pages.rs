//! What rendering costs: the person card and the caseload home page as the
//! workspace serves them (HTML from in-process GraphQL), against the same
//! GraphQL documents sent over HTTP as one batch, in alternating rounds of
//! one run; and each page's weight (HTML + CSS + JS).
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

use std::time::Duration;

use harness::{Backend, Server, demo_account, demo_password};
use serde_json::json;
use side_by_side::{CONCURRENCY, Target, browser_session, document, measure};

const ROUND: Duration = Duration::from_secs(3);
const ROUNDS: usize = 4;

/// HTML + the stylesheets and script it links to, in bytes, uncompressed.
async fn weight(base: &str, path: &str, cookie: &str) -> (usize, usize) {
    let http = reqwest::Client::new();
    let html = http
        .get(format!("{base}{path}"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("a page")
        .text()
        .await
        .expect("HTML");
    let mut assets = 0;
    for marker in ["href=\"/assets/", "src=\"/assets/"] {
        for (at, _) in html.match_indices(marker) {
            let start = at + marker.len() - "/assets/".len();
            let end = html[start..]
                .find('"')
                .map(|e| start + e)
                .expect("an asset path");
            let body = http
                .get(format!("{base}{}", &html[start..end]))
                .send()
                .await
                .expect("an asset")
                .bytes()
                .await
                .expect("bytes");
            assets += body.len();
        }
    }
    (html.len(), assets)
}

#[tokio::main]
async fn main() {
    let backend = Backend::postgres().await;
    let mut env = backend.demo_env();
    env.push(("KENTRO_RATE_LIMIT_PER_USER", "1000000".into()));
    env.push(("KENTRO_RATE_LIMIT_PER_TENANT", "1000000".into()));
    env.push(("KENTRO_LOG", "error".into()));
    let server = Server::start(&env, &["--demo", "--workload"]);
    let base = server.base_url.clone();
    let email = demo_account("social-worker", "veria");
    let password = demo_password(&backend);
    let token = server.login(&email, &password).await;
    let cookie = browser_session(&base, &email, &password).await;
    let ids = server
        .graphql_as(
            Some(&token),
            "{ me { id } cases(first: 1) { nodes { person { id } } } }",
            json!({}),
        )
        .await;
    let me = ids["data"]["me"]["id"].as_str().expect("me").to_owned();
    let person = ids["data"]["cases"]["nodes"][0]["person"]["id"]
        .as_str()
        .expect("a person with a case")
        .to_owned();
    let today = chrono::Utc::now().date_naive();
    let graphql_url = format!("{base}/graphql");
    let card_batch = json!([
        { "query": document("me") },
        { "query": document("person_card"), "variables": { "id": person } },
    ]);
    let home_batch = json!([
        { "query": document("me") },
        { "query": document("home"), "variables": { "me": me, "today": today.to_string(), "tomorrow": (today + chrono::Duration::days(1)).to_string() } },
        { "query": document("my_cases"), "variables": { "me": me } },
        { "query": document("home_referrals") },
    ]);
    let pages = [
        ("person card", format!("/people/{person}"), card_batch),
        ("caseload home", "/".to_owned(), home_batch),
    ];
    println!(
        "workspace_pages: {CONCURRENCY} clients, {ROUNDS} alternating rounds of {ROUND:?}, PostgreSQL + Redis, a seeded demo week"
    );
    for (name, path, batch) in pages {
        let page = Target::Page {
            url: format!("{base}{path}"),
            cookie: cookie.clone(),
        };
        let api = Target::Api {
            url: graphql_url.clone(),
            token: token.clone(),
            batch,
        };
        assert!(
            measure(&page, Duration::from_millis(500)).await > 0,
            "the {name} page answers"
        );
        assert!(
            measure(&api, Duration::from_millis(500)).await > 0,
            "the {name} documents answer"
        );
        let (mut pages_done, mut api_done) = (0u64, 0u64);
        for round in 0..ROUNDS {
            if round % 2 == 0 {
                pages_done += measure(&page, ROUND).await;
                api_done += measure(&api, ROUND).await;
            } else {
                api_done += measure(&api, ROUND).await;
                pages_done += measure(&page, ROUND).await;
            }
        }
        let seconds = (ROUND * ROUNDS as u32).as_secs_f64();
        let (page_rate, api_rate) = (pages_done as f64 / seconds, api_done as f64 / seconds);
        let (html, assets) = weight(&base, &path, &cookie).await;
        println!("  {name}:");
        println!("    workspace page       : {page_rate:8.1} requests/s");
        println!("    same documents (HTTP): {api_rate:8.1} requests/s");
        println!(
            "    ratio page / API: {:.3} (goal ≥ 0.8)",
            page_rate / api_rate
        );
        println!(
            "    weight: HTML {:.1} KB + CSS/JS {:.1} KB = {:.1} KB uncompressed (goal ≤ 100 KB)",
            html as f64 / 1024.0,
            assets as f64 / 1024.0,
            (html + assets) as f64 / 1024.0
        );
    }
}
