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

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use harness::{Backend, Server, demo_account, demo_password, repo_root};
use serde_json::{Value, json};

const CONCURRENCY: usize = 16;
const ROUND: Duration = Duration::from_secs(3);
const ROUNDS: usize = 4;

/// A GraphQL document of the workspace, as the workspace runs it.
fn document(name: &str) -> String {
    std::fs::read_to_string(repo_root().join(format!("platform/web/queries/{name}.graphql")))
        .expect("the workspace's document")
}

#[derive(Clone)]
enum Target {
    /// A page of the workspace, with the session cookie.
    Page { url: String, cookie: String },
    /// The same documents over HTTP as one batch, with the bearer token.
    Api {
        url: String,
        token: String,
        batch: Value,
    },
}

async fn measure(target: &Target, duration: Duration) -> u64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let client = reqwest::Client::new();
        let target = target.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let ok = match &target {
                    Target::Page { url, cookie } => {
                        match client.get(url).header("cookie", cookie).send().await {
                            Ok(r) if r.status() == 200 => {
                                r.text().await.is_ok_and(|t| t.contains("</html>"))
                            }
                            _ => false,
                        }
                    }
                    Target::Api { url, token, batch } => {
                        match client.post(url).bearer_auth(token).json(batch).send().await {
                            Ok(r) => r.json::<Value>().await.is_ok_and(|b| {
                                b.as_array().is_some_and(|all| {
                                    all.iter().all(|one| {
                                        one.get("errors").is_none() && one["data"].is_object()
                                    })
                                })
                            }),
                            Err(_) => false,
                        }
                    }
                };
                if ok {
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

/// Logs in through the workspace's form and answers the session cookie.
async fn browser_session(base: &str, email: &str, password: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let page = http
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("the login page");
    let login_cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kentro_login="))
        .and_then(|v| v.split(';').next())
        .expect("the login form's cookie")
        .to_owned();
    let html = page.text().await.expect("HTML");
    let at = html.find("name=\"csrf\" value=\"").expect("a form token") + 19;
    let token = html[at..at + 64].to_owned();
    let answer = http
        .post(format!("{base}/login"))
        .header("cookie", login_cookie)
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("csrf", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("a login");
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kentro_session="))
        .and_then(|v| v.split(';').next())
        .expect("the session cookie")
        .to_owned()
}

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
