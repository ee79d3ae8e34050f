//! Tenant isolation. Two walls, each of which must hold alone: the typed
//! tenant scope in the store, and PostgreSQL row-level security.

use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait,
};

use crate::harness::{Backend, run_kentro, seed_tenants_dir, stderr_of};

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
