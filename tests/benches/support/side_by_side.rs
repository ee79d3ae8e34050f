//! Measuring a workspace page against the same GraphQL documents sent over
//! HTTP, side by side: shared by the benches that compare the two.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::repo_root;

/// Clients at once, in each round.
pub const CONCURRENCY: usize = 16;

/// A GraphQL document of the workspace, as the workspace runs it.
pub fn document(name: &str) -> String {
    std::fs::read_to_string(repo_root().join(format!("platform/web/queries/{name}.graphql")))
        .expect("the workspace's document")
}

#[derive(Clone)]
pub enum Target {
    /// A page of the workspace, with the session cookie.
    Page { url: String, cookie: String },
    /// The same documents over HTTP as one batch, with the bearer token.
    Api {
        url: String,
        token: String,
        batch: Value,
    },
}

pub async fn measure(target: &Target, duration: Duration) -> u64 {
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
pub async fn browser_session(base: &str, email: &str, password: &str) -> String {
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
