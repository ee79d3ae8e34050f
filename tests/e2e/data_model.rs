//! The data-model rules every migration must keep, checked on the real
//! PostgreSQL catalog so a new table cannot quietly break them: tenant data is
//! keyed by `tenant_id` first (so it can be distributed by tenant), and no
//! reference can point from one tenant's row to another's.

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

use crate::harness::{Backend, run_kentro, stderr_of};

/// Tables that belong to the platform rather than to a tenant. Adding one here
/// is a design decision: say why in ARCHITECTURE.md.
/// - `tenant`: the registry of tenants itself.
/// - `user_account`: a login must find its account before any tenant is known;
///   platform roles have no tenant.
/// - `seaql_migrations`: the migration bookkeeping.
/// - `national_directory_record`: the national service catalog, public
///   information every tenant reads and only the platform admin writes.
/// - `plugin_package`: installed plugin packages, shared by every tenant
///   that enables them.
/// - `audit_checkpoint`: each tenant's audit head (seq and hash, never an
///   entry's content) anchored by the platform outside the tenant's table.
/// - `tenant_suspension`: each suspension of a tenant, read at login before
///   any tenant is known and written only by the platform admin.
/// - `tenant_offboarding`: each offboarding of a tenant and its deletion,
///   kept as the platform's record once the tenant's own rows are gone.
/// - `platform_notification`: the platform's own outbox, for mail to
///   accounts of no center (a platform admin's forgotten password).
/// - The oversight aggregates (`indicator_cell`, `participant_key`,
///   `national_participants`, `tenant_indicator_state`): counts and keyed
///   hashes, never people, read by overseers across tenants.
const PLATFORM_TABLES: [&str; 15] = [
    "tenant",
    "platform_audit_entry",
    "platform_audit_checkpoint",
    "tenant_suspension",
    "tenant_offboarding",
    "platform_notification",
    "audit_checkpoint",
    "user_account",
    "seaql_migrations",
    "national_directory_record",
    "plugin_package",
    "indicator_cell",
    "participant_key",
    "national_participants",
    "tenant_indicator_state",
];

async fn migrated_postgres() -> (Backend, sea_orm::DatabaseConnection) {
    let backend = Backend::postgres().await;
    // Any command that opens the store applies the migrations.
    let output = run_kentro(&backend.env(), &["tenant", "list"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let database_url = backend.database().expect("PostgreSQL").server_url;
    let db = Database::connect(database_url.as_str())
        .await
        .expect("the test database answers");
    (backend, db)
}

#[tokio::test]
async fn every_tenant_table_leads_its_primary_key_with_tenant_id() {
    let (_backend, db) = migrated_postgres().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            r"SELECT c.relname::text AS table_name,
                     (SELECT a.attname::text FROM pg_attribute a
                       WHERE a.attrelid = c.oid AND a.attnum = pk.conkey[1]) AS first_key_column
                FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
               WHERE n.nspname = 'public' AND c.relkind = 'r'
               ORDER BY 1",
        ))
        .await
        .unwrap();
    let mut tenant_tables = 0;
    for row in rows {
        let table: String = row.try_get("", "table_name").unwrap();
        let first: Option<String> = row.try_get("", "first_key_column").unwrap();
        if PLATFORM_TABLES.contains(&table.as_str()) {
            continue;
        }
        tenant_tables += 1;
        assert_eq!(
            first.as_deref(),
            Some("tenant_id"),
            "table {table} holds tenant data, so tenant_id must lead its primary key"
        );
    }
    assert!(tenant_tables >= 2, "the check saw the tenant tables");
}

#[tokio::test]
async fn no_foreign_key_can_cross_tenants() {
    let (_backend, db) = migrated_postgres().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            r"SELECT con.conname::text AS name,
                     src.relname::text AS from_table,
                     dst.relname::text AS to_table,
                     ARRAY(SELECT a.attname::text FROM unnest(con.conkey) k
                             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k)
                       AS from_columns
                FROM pg_constraint con
                JOIN pg_class src ON src.oid = con.conrelid
                JOIN pg_class dst ON dst.oid = con.confrelid
               WHERE con.contype = 'f'",
        ))
        .await
        .unwrap();
    let mut checked = 0;
    for row in rows {
        let name: String = row.try_get("", "name").unwrap();
        let to: String = row.try_get("", "to_table").unwrap();
        let columns: Vec<String> = row.try_get("", "from_columns").unwrap();
        checked += 1;
        if to == "tenant" {
            assert_eq!(
                columns,
                ["tenant_id"],
                "{name}: a reference to the tenant registry is the row's own tenant_id"
            );
        } else {
            assert!(
                columns.iter().any(|c| c == "tenant_id"),
                "{name} references {to} without tenant_id, so it could point into another tenant"
            );
        }
    }
    assert!(checked >= 2, "the check saw the foreign keys");
}

/// Every table holding tenant data has row-level security enabled and
/// forced (so even its owner is held), and a policy on `app.tenant_id`. A
/// new tenant table without them fails here; a platform table is named in
/// `PLATFORM_TABLES` with its reason.
#[tokio::test]
async fn every_tenant_table_has_forced_row_level_security_and_a_tenant_policy() {
    let (_backend, db) = migrated_postgres().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            r"SELECT c.relname::text AS table_name,
                     c.relrowsecurity AS enabled,
                     c.relforcerowsecurity AS forced,
                     (SELECT count(*) FROM pg_policy p
                       WHERE p.polrelid = c.oid
                         AND pg_get_expr(p.polqual, p.polrelid) LIKE '%app.tenant_id%') AS tenant_policies
                FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r'
               ORDER BY 1",
        ))
        .await
        .unwrap();
    let mut tenant_tables = 0;
    for row in rows {
        let table: String = row.try_get("", "table_name").unwrap();
        if PLATFORM_TABLES.contains(&table.as_str()) {
            continue;
        }
        tenant_tables += 1;
        let enabled: bool = row.try_get("", "enabled").unwrap();
        let forced: bool = row.try_get("", "forced").unwrap();
        let policies: i64 = row.try_get("", "tenant_policies").unwrap();
        assert!(
            enabled && forced,
            "{table} holds tenant data: ENABLE and FORCE ROW LEVEL SECURITY"
        );
        assert!(
            policies >= 1,
            "{table} holds tenant data: it needs a policy on app.tenant_id"
        );
    }
    assert!(
        tenant_tables >= 20,
        "the check saw {tenant_tables} tenant tables"
    );
}
