//! Starting `kentro`, and a small typed client for its HTTP surface.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

/// The `kentro` binary under test: the one `KENTRO_BIN` names, else the one
/// cargo built for this target (`CARGO_BIN_EXE_kentro`, set for the
/// package's own tests and benchmarks), else `target/<profile>/kentro`.
pub fn kentro_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("KENTRO_BIN") {
        return PathBuf::from(bin);
    }
    if let Some(bin) = option_env!("CARGO_BIN_EXE_kentro") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in target/<profile>/deps");
    let bin = profile_dir.join("kentro");
    assert!(
        bin.is_file(),
        "{} is missing: build it first (`cargo build -p kentro`), or run infra/test.sh",
        bin.display()
    );
    bin
}

pub fn repo_root() -> PathBuf {
    // The tests are targets of the `kentro` package, in platform/server,
    // found when they run: a build cache shared by two checkouts reuses a
    // test binary compiled in the other.
    let package: PathBuf = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), Into::into);
    package
        .ancestors()
        .nth(2)
        .expect("platform/server sits two levels below the repository root")
        .to_path_buf()
}

pub fn seed_tenants_dir() -> PathBuf {
    repo_root().join("tenants")
}

/// A name nobody else uses in this run.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run the tests with infra/test.sh, which starts PostgreSQL and Redis"
        )
    })
}

/// Where a `kentro` process keeps its data.
pub enum Backend {
    /// The embedded default: SQLite in a temporary data directory, no Redis.
    Sqlite { data_dir: tempfile::TempDir },
    /// A fresh database on the test PostgreSQL, and the test Redis.
    Postgres {
        /// As the server logs in: `kentro_server`, a member of `kentro_app`.
        database_url: String,
        /// As the migrations run: `kentro_owner`, who owns the tables.
        migrate_url: String,
        redis_url: String,
        redis_key_prefix: String,
        data_dir: tempfile::TempDir,
    },
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend::Sqlite {
            data_dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub async fn postgres() -> Backend {
        let admin_url = required_env("KENTRO_TEST_POSTGRES_URL");
        let database = create_database(&admin_url).await;
        Backend::Postgres {
            database_url: database.server_url,
            migrate_url: database.owner_url,
            redis_url: required_env("KENTRO_TEST_REDIS_URL"),
            redis_key_prefix: format!("{}:", unique_name("test")),
            data_dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// `env()` with the seed tenants' folder, for `serve --demo`.
    pub fn demo_env(&self) -> Vec<(&'static str, String)> {
        let mut env = self.env();
        env.push((
            "KENTRO_TENANTS_DIR",
            seed_tenants_dir().display().to_string(),
        ));
        env
    }

    /// The test database as each role sees it (PostgreSQL only).
    pub fn database(&self) -> Option<TestDatabase> {
        match self {
            Backend::Postgres { database_url, .. } => {
                Some(TestDatabase::for_server_url(database_url))
            }
            Backend::Sqlite { .. } => None,
        }
    }

    /// A connection that sees every row, past row-level security: the
    /// superuser on PostgreSQL, the file itself on SQLite. For a test to
    /// check what is stored, never to set anything up.
    pub async fn every_row(&self) -> sea_orm::DatabaseConnection {
        let url = match self {
            Backend::Sqlite { data_dir } => {
                format!("sqlite://{}", data_dir.path().join("kentro.db").display())
            }
            Backend::Postgres { database_url, .. } => {
                TestDatabase::for_server_url(database_url).superuser_url
            }
        };
        Database::connect(url.as_str())
            .await
            .expect("the test database answers")
    }

    /// The environment a `kentro` process runs with: nothing inherited that
    /// could point it elsewhere.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        match self {
            Backend::Sqlite { data_dir } => {
                vec![("KENTRO_DATA_DIR", data_dir.path().display().to_string())]
            }
            Backend::Postgres {
                database_url,
                migrate_url,
                redis_url,
                redis_key_prefix,
                data_dir,
            } => vec![
                ("KENTRO_DATA_DIR", data_dir.path().display().to_string()),
                ("KENTRO_DATABASE_URL", database_url.clone()),
                ("KENTRO_MIGRATE_DATABASE_URL", migrate_url.clone()),
                ("KENTRO_REDIS_URL", redis_url.clone()),
                ("KENTRO_REDIS_KEY_PREFIX", redis_key_prefix.clone()),
            ],
        }
    }
}

/// A fresh database, reachable as each of the roles a deployment has
/// (created by `infra/scripts/throwaway-postgres.sh`).
pub struct TestDatabase {
    pub owner_url: String,
    pub server_url: String,
    pub superuser_url: String,
}

impl TestDatabase {
    /// The same database as seen by each role, from the server's URL.
    pub fn for_server_url(server_url: &str) -> TestDatabase {
        let as_role = |role: &str| server_url.replacen("kentro_server@", &format!("{role}@"), 1);
        TestDatabase {
            owner_url: as_role("kentro_owner"),
            server_url: server_url.to_owned(),
            superuser_url: as_role("postgres"),
        }
    }
}

/// Creates an empty database owned by `kentro_owner` on the server behind
/// `admin_url` (a superuser URL).
pub async fn create_database(admin_url: &str) -> TestDatabase {
    let name = unique_name("kentro_test");
    let admin = Database::connect(admin_url)
        .await
        .expect("the test PostgreSQL answers");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name} OWNER kentro_owner"))
        .await
        .expect("a test database can be created");
    admin.close().await.ok();
    let (_, host_and_path) = admin_url
        .split_once('@')
        .expect("the admin URL names a user");
    let (host, _) = host_and_path
        .split_once('/')
        .expect("the admin URL ends with a database name");
    let url_as = |role: &str| format!("postgres://{role}@{host}/{name}");
    TestDatabase {
        owner_url: url_as("kentro_owner"),
        server_url: url_as("kentro_server"),
        superuser_url: url_as("postgres"),
    }
}

/// A `kentro` command with a clean environment.
pub fn kentro_command(env: &[(&str, String)]) -> Command {
    let mut command = Command::new(kentro_bin());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KENTRO_LOG", "warn")
        // Plugins only where a test asks for them (tests/e2e/plugins.rs).
        .env("KENTRO_PLUGINS_DIR", repo_root().join("plugins/no-plugins"))
        .current_dir(repo_root());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Creates an account with `kentro user add`, the password on stdin.
pub fn add_user(
    env: &[(&str, String)],
    tenant: Option<&str>,
    role: &str,
    email: &str,
    password: &str,
) {
    let mut args = vec![
        "user",
        "add",
        "--role",
        role,
        "--email",
        email,
        "--name",
        "Test User",
        "--password-stdin",
    ];
    if let Some(tenant) = tenant {
        args.extend(["--tenant", tenant]);
    }
    add_user_with(env, &args, email, password);
}

/// Runs `kentro user add` with these arguments, the password on stdin.
pub fn add_user_with(env: &[(&str, String)], args: &[&str], email: &str, password: &str) {
    use std::io::Write;
    let mut child = kentro_command(env)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kentro runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(format!("{password}\n").as_bytes())
        .expect("the password is written");
    let output = child.wait_with_output().expect("kentro finishes");
    assert!(
        output.status.success(),
        "kentro user add {email} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs a `kentro` CLI command to completion.
pub fn run_kentro(env: &[(&str, String)], args: &[&str]) -> Output {
    kentro_command(env)
        .args(args)
        .output()
        .expect("kentro runs")
}

pub fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A running `kentro serve`; killed when dropped.
pub struct Server {
    child: Child,
    pub base_url: String,
    /// What the server printed on stdout before it was ready (its banner).
    pub banner: Vec<String>,
    http: reqwest::Client,
}

impl Server {
    /// Starts `kentro serve`; with `--demo` the centers start empty (the
    /// tests build what they need), unless the args say `--workload`.
    pub fn start(env: &[(&str, String)], extra_args: &[&str]) -> Server {
        let workload = extra_args.contains(&"--workload");
        let mut args: Vec<&str> = extra_args
            .iter()
            .copied()
            .filter(|a| *a != "--workload")
            .collect();
        if args.contains(&"--demo") && !workload {
            args.push("--empty");
        }
        let mut child = kentro_command(env)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kentro serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut banner = Vec::new();
        let base_url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let url = line.strip_prefix("kentro listening on ").map(str::to_owned);
                    banner.push(line);
                    if let Some(url) = url {
                        break url;
                    }
                }
                Err(_) => {
                    let status = child.try_wait().ok().flatten();
                    child.kill().ok();
                    panic!("kentro serve did not start (exit: {status:?}); it printed {banner:?}");
                }
            }
        };
        // The rest of the banner, up to its last line.
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let last = line.starts_with("ready: ");
                    banner.push(line);
                    if last {
                        break;
                    }
                }
                Err(_) => panic!("the banner never ended: {banner:?}"),
            }
        }
        Server {
            child,
            base_url,
            banner,
            http: reqwest::Client::new(),
        }
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a text body"))
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let (status, body) = self.get(path).await;
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{path} answered non-JSON ({e}): {body}"));
        (status, json)
    }

    /// Posts a GraphQL operation without a session and returns the whole
    /// response (`data` and `errors`).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(None, query, variables).await
    }

    /// Posts a GraphQL operation with `token` as the bearer, expecting HTTP 200.
    pub async fn graphql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .post_graphql(token, &json!({ "query": query, "variables": variables }))
            .await;
        assert_eq!(status, 200, "GraphQL answered HTTP {status}: {body}");
        body
    }

    /// Posts any body to /graphql and returns the status and the JSON answer.
    pub async fn post_graphql(&self, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.expect("a GraphQL JSON response"),
        )
    }

    /// Logs in and returns the session token; panics when refused.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self
            .graphql(
                "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
                json!({ "email": email, "password": password }),
            )
            .await;
        response["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{email} could not log in: {response}"))
            .to_owned()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(self) -> std::process::ExitStatus {
        self.send_sigterm();
        self.wait_for_exit()
    }

    pub fn send_sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM could not be sent");
    }

    /// Waits for the process to exit on its own (after SIGTERM).
    pub fn wait_for_exit(mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be waited on") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "kentro did not exit within 20 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Slugs of `tenants { slug }`, in the order the API gives them, as `token` sees them.
pub async fn tenant_slugs(server: &Server, token: &str) -> Vec<String> {
    let response = server
        .graphql_as(Some(token), "{ tenants { slug } }", json!({}))
        .await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["tenants"]
        .as_array()
        .expect("tenants is a list")
        .iter()
        .map(|t| t["slug"].as_str().expect("slug is text").to_owned())
        .collect()
}

/// The password `serve --demo` generated for this data directory.
pub fn demo_password(backend: &Backend) -> String {
    let data_dir = match backend {
        Backend::Sqlite { data_dir } | Backend::Postgres { data_dir, .. } => data_dir.path(),
    };
    std::fs::read_to_string(data_dir.join("demo-password.txt"))
        .expect("serve --demo wrote the demo password")
        .trim()
        .to_owned()
}

pub const PLATFORM_ADMIN: &str = "platform-admin@kentro.demo";
pub const MINISTRY_OVERSEER: &str = "ministry-overseer@kentro.demo";
/// The demo's regional overseer, of Attica.
pub const REGIONAL_OVERSEER: &str = "regional-overseer@kentro.demo";

/// The demo account of `role` (e.g. `tenant-admin`) in the tenant `slug`.
pub fn demo_account(role: &str, slug: &str) -> String {
    format!("{role}@{slug}.demo")
}

pub const SEED_SLUGS: [&str; 5] = [
    "mylopotamos",
    "nikaia-rentis",
    "paiania",
    "petroupoli",
    "veria",
];

/// The database key inside a Relay global ID (`base64url("Person:42")` → `42`),
/// for tests that look rows up in the audit log or the database.
pub fn key_of(global_id: &str) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global_id)
        .expect("a global ID");
    let text = String::from_utf8(text).expect("a global ID is text");
    text.split_once(':').expect("Kind:key").1.to_owned()
}

/// A minimal SMTP server that accepts every message and keeps it.
pub async fn fake_smtp() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.ok();
                let mut message = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            tx.send(std::mem::take(&mut message)).ok();
                            write.write_all(b"250 queued\r\n").await.ok();
                        } else {
                            message.push_str(&line);
                            message.push('\n');
                        }
                        continue;
                    }
                    let verb = line.to_ascii_uppercase();
                    let reply: &[u8] = if verb.starts_with("EHLO") || verb.starts_with("HELO") {
                        b"250 fake\r\n"
                    } else if verb.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if verb.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.ok();
                        break;
                    } else {
                        message.push_str(&line);
                        message.push('\n');
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, rx)
}

/// The text of a message `fake_smtp` caught, decoded from base64 or
/// quoted-printable as the server's mailer wrote it.
pub fn mail_body(mail: &str) -> String {
    let (headers, body) = mail.split_once("\n\n").expect("headers, then the body");
    if headers.contains("Content-Transfer-Encoding: base64") {
        use base64::Engine;
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .expect("base64"),
        )
        .expect("UTF-8")
    } else {
        body.replace("=\n", "")
    }
}

/// The code of a response's first error; panics when it has none.
pub fn code(response: &Value) -> &str {
    optional_code(response).unwrap_or_else(|| panic!("expected an error with a code: {response}"))
}

/// The code of a response's first error, if it has one.
pub fn optional_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

impl Server {
    /// The holder of `token`, as a client of the GraphQL endpoint.
    pub fn caller(&self, token: &str) -> Client<'_> {
        Client {
            server: self,
            token: token.to_owned(),
        }
    }
}

/// The data of `query` as the holder of `token`; panics on any error.
pub async fn ok_as(server: &Server, token: &str, query: &str, variables: Value) -> Value {
    Client {
        server,
        token: token.to_owned(),
    }
    .ok(query, variables)
    .await
}

/// One error of a typed answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// `extensions.code`, e.g. `VALIDATION`.
    pub code: String,
    pub message: String,
    /// Where in the answer it happened, e.g. `["person", "minority"]`.
    pub path: Value,
    /// Everything the API said with it (`fields`, `field`, ...).
    pub extensions: Value,
}

/// A typed document's answer: the data, partial when some fields were
/// refused, and the errors.
#[derive(Debug)]
pub struct Answer<D> {
    pub data: Option<D>,
    pub errors: Vec<ApiError>,
}

impl<D: std::fmt::Debug> Answer<D> {
    /// The data; panics, naming the errors, when there are any.
    pub fn ok(self) -> D {
        assert!(self.errors.is_empty(), "{:?}", self.errors);
        self.data.expect("data with no errors")
    }

    /// The first error, whose code must be `expected`.
    pub fn refused(self, expected: &str) -> ApiError {
        let first = self
            .errors
            .first()
            .unwrap_or_else(|| panic!("expected {expected}, got {:?}", self.data));
        assert_eq!(first.code, expected, "{:?}", self.errors);
        first.clone()
    }
}

/// A running `kentro --demo` and its demo accounts: where most suites start
/// (zero2prod's `spawn_app` is the model).
pub struct TestApp {
    pub server: Server,
    password: String,
    /// Kept for as long as the server runs: its data directory and database.
    backend: Backend,
}

impl TestApp {
    pub fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, &[])
    }

    /// With more environment for the server (e.g. a faster notifier).
    pub fn spawn_with(backend: Backend, extra_env: &[(&'static str, String)]) -> TestApp {
        let mut env = backend.demo_env();
        env.extend(extra_env.iter().cloned());
        let server = Server::start(&env, &["--demo"]);
        TestApp {
            password: demo_password(&backend),
            server,
            backend,
        }
    }

    /// The database behind the server, for the `kentro` commands a test
    /// runs beside it.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Someone with no session: an invitee, a colleague who forgot their
    /// password, anyone at the login page.
    pub fn visitor(&self) -> Client<'_> {
        Client {
            server: &self.server,
            token: String::new(),
        }
    }

    /// The demo account of `role` (`social-worker`, `tenant-admin`, ...) at
    /// the center `slug`, logged in.
    pub async fn login_as(&self, role: &str, slug: &str) -> Client<'_> {
        Client {
            server: &self.server,
            token: self
                .server
                .login(&demo_account(role, slug), &self.password)
                .await,
        }
    }
}

/// One caller of the GraphQL endpoint: logged in, or a visitor when its
/// token is empty.
pub struct Client<'a> {
    pub server: &'a Server,
    pub token: String,
}

impl Client<'_> {
    /// The bearer the caller sends: none for a visitor.
    fn bearer(&self) -> Option<&str> {
        (!self.token.is_empty()).then_some(self.token.as_str())
    }

    /// The whole response, errors and all.
    pub async fn call(&self, query: &str, variables: Value) -> Value {
        self.server
            .graphql_as(self.bearer(), query, variables)
            .await
    }

    /// The response's data; panics, naming the document, on any error.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        let response = self.call(query, variables).await;
        assert!(response.get("errors").is_none(), "{query}: {response}");
        response["data"].clone()
    }

    /// The response, which must fail with `expected`.
    pub async fn expect_code(&self, query: &str, variables: Value, expected: &str) -> Value {
        let response = self.call(query, variables).await;
        assert_eq!(
            optional_code(&response),
            Some(expected),
            "{query}: {response}"
        );
        response
    }

    /// A typed document (see `operations.rs`) with its variables: the
    /// answer's data as the document's own types, and its errors.
    pub async fn run<Q: graphql_client::GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> Answer<Q::ResponseData> {
        let body = serde_json::to_value(Q::build_query(variables)).expect("a request body");
        let (status, response) = self.server.post_graphql(self.bearer(), &body).await;
        assert_eq!(status, 200, "GraphQL answered HTTP {status}: {response}");
        Answer::of(&response)
    }

    /// The caller's own account id.
    pub async fn my_id(&self) -> String {
        let data = self.ok("{ me { id } }", json!({})).await;
        data["me"]["id"].as_str().unwrap().to_owned()
    }
}

impl<D: serde::de::DeserializeOwned> Answer<D> {
    /// A response to a typed document, read as its types.
    pub fn of(response: &Value) -> Answer<D> {
        let errors = response["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| ApiError {
                        code: e["extensions"]["code"].as_str().unwrap_or("").to_owned(),
                        message: e["message"].as_str().unwrap_or("").to_owned(),
                        path: e["path"].clone(),
                        extensions: e["extensions"].clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let data = match &response["data"] {
            Value::Null => None,
            data => Some(serde_json::from_value(data.clone()).unwrap_or_else(|e| {
                panic!("the answer does not fit the document's types: {e}: {response}")
            })),
        };
        Answer { data, errors }
    }
}
