//! A real browser for the workspace's journeys: Debian's Chromium, headless,
//! driven through ChromeDriver (WebDriver), with axe-core loaded into each
//! screen to check it and a screenshot of it kept under the target dir.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// axe-core as `infra/scripts/install-test-deps.sh` installs it from npm.
fn axe_source() -> String {
    let path = crate::harness::repo_root().join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run infra/scripts/install-test-deps.sh (npm ci --prefix tests/browser)",
            path.display()
        )
    })
}

/// Where screenshots go: `<target>/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target dir")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot folder");
    dir
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    base_url: String,
    javascript: bool,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // ChromeDriver and the Chromium it started share a process group.
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Browser {
    /// Fetches `path` with this browser's session, as a download would (the
    /// driver cannot read a file the browser saves).
    pub async fn download(&self, path: &str) -> reqwest::Response {
        let session = self
            .client
            .get_named_cookie("kentro_session")
            .await
            .expect("the session cookie");
        reqwest::Client::new()
            .get(format!("{}{path}", self.base_url))
            .header("cookie", format!("kentro_session={}", session.value()))
            .send()
            .await
            .expect("the download answers")
    }

    /// A fresh browser profile for the workspace at `base_url`; `javascript`
    /// off runs every page as a browser without scripts would.
    pub async fn open(base_url: &str, javascript: bool) -> Browser {
        use std::os::unix::process::CommandExt;
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver runs (Debian's chromium-driver; infra/test.sh installs it)");
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut prefs = json!({ "intl.accept_languages": "el-GR,el" });
        if !javascript {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": prefs,
            }
        });
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        // ChromeDriver speaks plain HTTP here, but the client's TLS stack
        // wants a provider chosen; another test may have chosen it already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::rustls()
                .expect("a TLS configuration")
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("Chromium did not start through ChromeDriver: {e}"),
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
            base_url: base_url.to_owned(),
            javascript,
        }
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base_url))
            .await
            .unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    }

    /// The path (and query) of the page shown.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn html(&self) -> String {
        self.client.source().await.expect("the page's HTML")
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no {css} on {}: {e}", self.path().await),
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .expect("an element's text")
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("a search")
            .is_empty()
    }

    pub async fn find_all_count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("a search")
            .len()
    }

    /// Types into the input whose id is `id`, replacing what was there.
    pub async fn fill(&self, id: &str, value: &str) {
        let input = self.find(&format!("#{id}")).await;
        input.clear().await.expect("the field clears");
        input.send_keys(value).await.expect("typing");
    }

    pub async fn value(&self, id: &str) -> String {
        self.find(&format!("#{id}"))
            .await
            .prop("value")
            .await
            .expect("a value")
            .unwrap_or_default()
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    pub async fn select(&self, id: &str, value: &str) {
        self.find(&format!("#{id}"))
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot choose {value} in #{id}: {e}"));
    }

    /// Clicks the submit button inside `form_css` and waits for the next page.
    pub async fn submit(&self, form_css: &str) {
        let before = self.find("html").await;
        self.click(&format!("{form_css} button[type=submit]")).await;
        self.wait_for_new_page(before).await;
    }

    async fn wait_for_new_page(&self, before: fantoccini::elements::Element) {
        let deadline = Instant::now() + Duration::from_secs(15);
        // The old document's element goes stale once the next page loads.
        while before.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "the page did not change");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.find("body").await;
    }

    /// Presses keys on whatever has focus, as a keyboard would: no mouse.
    pub async fn press(&self, keys: &[Key]) {
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys {
            let value: char = (*key).into();
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client
            .perform_actions(actions)
            .await
            .expect("key presses");
    }

    /// Types text on whatever has focus.
    pub async fn type_text(&self, text: &str) {
        let mut actions = KeyActions::new("keyboard".into());
        for value in text.chars() {
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client.perform_actions(actions).await.expect("typing");
    }

    /// Whether the focused element matches `css`.
    pub async fn focused_is(&self, css: &str) -> bool {
        self.client
            .execute(
                "return document.activeElement !== null && document.activeElement.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await
            .expect("a script")
            .as_bool()
            .unwrap_or(false)
    }

    /// The focused element shows that it has focus: an outline, a shadow
    /// or a background of the focus colour.
    pub async fn focus_is_visible(&self) -> bool {
        self.client
            .execute(
                "const e = document.activeElement; if (!e || e === document.body) return false; \
                 const s = getComputedStyle(e); \
                 return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) \
                     || s.boxShadow !== 'none' \
                     || s.backgroundColor === 'rgb(255, 221, 0)';",
                vec![],
            )
            .await
            .expect("a script")
            .as_bool()
            .unwrap_or(false)
    }

    /// Presses Tab until `css` has focus, checking at every stop that focus
    /// is visible.
    pub async fn tab_to(&self, css: &str) {
        for _ in 0..80 {
            self.press(&[Key::Tab]).await;
            if self
                .client
                .execute("return document.activeElement === document.body;", vec![])
                .await
                .ok()
                != Some(json!(true))
            {
                let description = self
                    .client
                    .execute(
                        "const e = document.activeElement; return e.outerHTML.slice(0, 120);",
                        vec![],
                    )
                    .await
                    .unwrap_or_default();
                assert!(
                    self.focus_is_visible().await,
                    "focus is not visible on {description} at {}",
                    self.path().await
                );
            }
            if self.focused_is(css).await {
                return;
            }
        }
        panic!("Tab never reached {css} on {}", self.path().await);
    }

    /// Presses Enter on the focused element and waits for the next page.
    pub async fn enter_and_wait(&self) {
        let before = self.find("html").await;
        self.press(&[Key::Enter]).await;
        self.wait_for_new_page(before).await;
    }

    /// Runs axe-core on the page: no serious or critical violation is
    /// allowed. Then keeps a screenshot as `<name>.png`.
    pub async fn check_screen(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("the screenshot");
        if !self.javascript {
            // Scripts are off in this browser, axe-core included; the same
            // screens are checked in the journeys with scripts on.
            return;
        }
        let loaded = self
            .client
            .execute("return typeof window.axe !== 'undefined';", vec![])
            .await
            .expect("a script");
        if loaded != json!(true) {
            self.client
                .execute(&axe_source(), vec![])
                .await
                .expect("axe-core loads");
        }
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, { resultTypes: ['violations'] })\
                   .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,\
                      nodes: v.nodes.map(n => n.target.join(' ')) }))))\
                   .catch(e => done({ error: String(e) }));",
                vec![],
            )
            .await
            .expect("axe-core runs");
        let violations = result
            .as_array()
            .unwrap_or_else(|| panic!("axe failed on {name}: {result}"));
        let serious: Vec<&Value> = violations
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(
            serious.is_empty(),
            "axe-core finds serious or critical violations on the screen {name} ({}): {}",
            self.path().await,
            serde_json::to_string_pretty(&serious).unwrap_or_default()
        );
    }

    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}
