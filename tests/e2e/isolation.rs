//! Tenant isolation. Two walls, each of which must hold alone: the typed
//! tenant scope in the store, and PostgreSQL row-level security.

use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait,
};

use crate::harness::{Backend, Server, demo_password, run_kentro, seed_tenants_dir, stderr_of};

fn sql(text: &str) -> Statement {
    Statement::from_string(DbBackend::Postgres, text)
}

async fn tenant_id(db: &DatabaseConnection, slug: &str) -> i64 {
    let row = db
        .query_one_raw(sql(&format!("SELECT id FROM tenant WHERE slug = '{slug}'")))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("tenant {slug} exists"));
    row.try_get("", "id").unwrap()
}

async fn center_names(db: &DatabaseConnection, tenant: i64) -> Vec<String> {
    db.query_all_raw(sql(&format!(
        "SELECT name FROM center WHERE tenant_id = {tenant} ORDER BY key"
    )))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get("", "name").unwrap())
    .collect()
}

/// Wall 2 alone: on the server's own connection, with the application's
/// tenant filter bypassed by writing raw SQL, tenant B's rows are invisible
/// and untouchable once tenant A is set, and nothing is visible when no
/// tenant is set.
#[tokio::test]
async fn row_level_security_alone_hides_and_protects_another_tenants_rows() {
    let backend = Backend::postgres().await;
    let output = run_kentro(
        &backend.env(),
        &["tenant", "apply", &seed_tenants_dir().display().to_string()],
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let database = backend.database().expect("PostgreSQL");
    let app = Database::connect(database.server_url.as_str())
        .await
        .unwrap();
    let superuser = Database::connect(database.superuser_url.as_str())
        .await
        .unwrap();
    let a = tenant_id(&app, "veria").await;
    let b = tenant_id(&app, "petroupoli").await;
    let b_centers_before = center_names(&superuser, b).await;
    assert_eq!(b_centers_before.len(), 1, "the fixture has B's center");

    // No tenant set: reading tenant data fails closed.
    let unset = app.query_all_raw(sql("SELECT * FROM center")).await;
    assert!(unset.is_err(), "no tenant set must not read anything");

    let txn = app.begin().await.unwrap();
    txn.execute_raw(sql(&format!(
        "SELECT set_config('app.tenant_id', '{a}', true)"
    )))
    .await
    .unwrap();
    let visible: Vec<i64> = txn
        .query_all_raw(sql("SELECT tenant_id FROM center"))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("", "tenant_id").unwrap())
        .collect();
    assert!(!visible.is_empty(), "A sees its own centers");
    assert!(
        visible.iter().all(|t| *t == a),
        "A sees only A: {visible:?}"
    );

    let updated = txn
        .execute_raw(sql(&format!(
            "UPDATE center SET name = 'hijacked' WHERE tenant_id = {b}"
        )))
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 0);
    let deleted = txn
        .execute_raw(sql(&format!("DELETE FROM center WHERE tenant_id = {b}")))
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0);
    txn.commit().await.unwrap();

    let txn = app.begin().await.unwrap();
    txn.execute_raw(sql(&format!(
        "SELECT set_config('app.tenant_id', '{a}', true)"
    )))
    .await
    .unwrap();
    let planted = txn
        .execute_raw(sql(&format!(
            "INSERT INTO center (tenant_id, key, kind, name) VALUES ({b}, 'planted', 'main', 'x')"
        )))
        .await;
    assert!(
        planted.is_err(),
        "a row for B cannot be written while A is set"
    );
    txn.rollback().await.ok();

    // The server's role cannot switch the wall off either.
    let disable = app
        .execute_raw(sql("ALTER TABLE center DISABLE ROW LEVEL SECURITY"))
        .await;
    assert!(
        disable.is_err(),
        "the server's role must not own tenant tables"
    );

    assert_eq!(center_names(&superuser, b).await, b_centers_before);
}

/// The tables the migrations made for tenant data: every table but the
/// platform's own (`tests/e2e/data_model.rs` names those).
async fn tenant_tables(db: &DatabaseConnection) -> Vec<String> {
    db.query_all_raw(sql("SELECT c.relname::text AS name FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r'
            AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                         AND a.attname = 'tenant_id' AND NOT a.attisdropped)
            AND c.relname NOT IN ('tenant', 'user_account', 'indicator_cell', 'audit_checkpoint',
                                  'participant_key', 'national_participants',
                                  'tenant_indicator_state')
          ORDER BY 1"))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("", "name").unwrap())
        .collect()
}

/// Row-level security alone, on every tenant table: with Paiania set, the
/// server's role sees none of Veria's rows and can change none, though
/// Veria has rows in most of them (people, cases, households, referrals,
/// links, keys, notifications, the audit log, ...).
#[tokio::test]
async fn row_level_security_alone_hides_and_protects_every_tenant_table() {
    let backend = Backend::postgres().await;
    // With the demo's plugins, as the adversarial suite: Veria's data
    // includes a suggestion its job-market plugin made.
    let server = Server::start(&crate::plugins::plugin_env(&backend), &["--demo"]);
    let password = demo_password(&backend);
    let veria = crate::adversarial::login(&server, &password, "veria").await;
    crate::adversarial::veria_data(&server, &veria).await;
    // The server's jobs go on writing Veria's rows (deliveries, their
    // audit entries); stopped, they cannot pass for a change made through
    // Paiania's transaction.
    server.terminate();
    let database = backend.database().expect("PostgreSQL");
    let app = Database::connect(database.server_url.as_str())
        .await
        .unwrap();
    let superuser = Database::connect(database.superuser_url.as_str())
        .await
        .unwrap();
    let a = tenant_id(&app, "paiania").await;
    let b = tenant_id(&app, "veria").await;
    let tables = tenant_tables(&superuser).await;
    assert!(tables.len() >= 20, "{tables:?}");
    let count = |rows: Vec<sea_orm::QueryResult>| -> i64 { rows[0].try_get("", "n").unwrap() };
    let mut with_rows_of_b = Vec::new();
    for table in &tables {
        let theirs = count(
            superuser
                .query_all_raw(sql(&format!(
                    "SELECT count(*) AS n FROM {table} WHERE tenant_id = {b}"
                )))
                .await
                .unwrap(),
        );
        let txn = app.begin().await.unwrap();
        txn.execute_raw(sql(&format!(
            "SELECT set_config('app.tenant_id', '{a}', true)"
        )))
        .await
        .unwrap();
        let seen = count(
            txn.query_all_raw(sql(&format!(
                "SELECT count(*) AS n FROM {table} WHERE tenant_id <> {a}"
            )))
            .await
            .unwrap(),
        );
        assert_eq!(
            seen, 0,
            "{table}: Paiania's transaction sees another tenant's rows"
        );
        // The server's role may lack UPDATE or DELETE on some tables (the
        // audit log is append-only); where it has them, they touch nothing.
        for change in [
            format!("UPDATE {table} SET tenant_id = tenant_id WHERE tenant_id = {b}"),
            format!("DELETE FROM {table} WHERE tenant_id = {b}"),
        ] {
            let savepoint = txn.begin().await.unwrap();
            if let Ok(done) = savepoint.execute_raw(sql(&change)).await {
                assert_eq!(done.rows_affected(), 0, "{change}");
            }
            savepoint.rollback().await.ok();
        }
        txn.rollback().await.ok();
        if theirs > 0 {
            with_rows_of_b.push(table.clone());
            let after = count(
                superuser
                    .query_all_raw(sql(&format!(
                        "SELECT count(*) AS n FROM {table} WHERE tenant_id = {b}"
                    )))
                    .await
                    .unwrap(),
            );
            assert_eq!(after, theirs, "{table}: Veria's rows are intact");
        }
        // With no tenant set, nothing at all is readable.
        let unset = app
            .query_all_raw(sql(&format!("SELECT count(*) AS n FROM {table}")))
            .await;
        assert!(
            unset.is_err() || count(unset.unwrap()) == 0,
            "{table} is readable with no tenant set"
        );
    }
    assert!(
        with_rows_of_b.len() >= 12,
        "the attempts had Veria's rows to find: {with_rows_of_b:?}"
    );
}

/// In production the server refuses a database role that escapes
/// row-level security (a superuser here), so the second wall cannot be
/// silently missing.
#[test]
fn production_refuses_a_role_that_bypasses_row_level_security() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let backend = runtime.block_on(Backend::postgres());
    let database = backend.database().expect("PostgreSQL");
    let output = run_kentro(&backend.env(), &["migrate"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let mut env = backend.env();
    env.retain(|(key, _)| !matches!(*key, "KENTRO_DATABASE_URL" | "KENTRO_MIGRATE_DATABASE_URL"));
    env.push(("KENTRO_DATABASE_URL", database.superuser_url.clone()));
    env.push(("KENTRO_ENV", "production".into()));
    env.push((
        "KENTRO_PARTICIPANT_KEY",
        "a-participant-key-of-at-least-32-characters".into(),
    ));
    env.push((
        "KENTRO_SESSION_KEY",
        "a-session-key-of-at-least-32-characters-too".into(),
    ));
    env.push((
        "KENTRO_AUDIT_KEY",
        "an-audit-key-of-at-least-32-characters-also".into(),
    ));
    let output = run_kentro(&env, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!output.status.success());
    let stderr = stderr_of(&output);
    assert!(stderr.contains("escapes row-level security"), "{stderr}");
}

/// Production runs `kentro migrate` once per deployment as the owner; the
/// server holds only its own role: it refuses the owner's credentials and
/// a schema that is not migrated.
#[test]
fn production_serves_a_migrated_schema_without_the_owners_credentials() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let backend = runtime.block_on(Backend::postgres());
    let production = |env: &mut Vec<(&'static str, String)>| {
        env.push(("KENTRO_ENV", "production".into()));
        env.push((
            "KENTRO_PARTICIPANT_KEY",
            "a-participant-key-of-at-least-32-characters".into(),
        ));
        env.push((
            "KENTRO_SESSION_KEY",
            "a-session-key-of-at-least-32-characters-too".into(),
        ));
        env.push((
            "KENTRO_AUDIT_KEY",
            "an-audit-key-of-at-least-32-characters-also".into(),
        ));
    };
    let mut with_owner = backend.env();
    production(&mut with_owner);
    let output = run_kentro(&with_owner, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("KENTRO_MIGRATE_DATABASE_URL"),
        "{}",
        stderr_of(&output)
    );

    let mut server_only = backend.env();
    server_only.retain(|(key, _)| *key != "KENTRO_MIGRATE_DATABASE_URL");
    production(&mut server_only);
    let output = run_kentro(&server_only, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!output.status.success(), "an empty database is not served");
    assert!(
        stderr_of(&output).contains("kentro migrate"),
        "{}",
        stderr_of(&output)
    );

    let output = run_kentro(&backend.env(), &["migrate"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(crate::harness::stdout_of(&output).contains("up to date"));
    let again = run_kentro(&backend.env(), &["migrate"]);
    assert!(crate::harness::stdout_of(&again).contains("applied 0 migrations"));

    let server = Server::start(&server_only, &[]);
    let (status, _) = runtime.block_on(server.get("/readyz"));
    assert_eq!(status, 200);
}
