//! Schema migrations: plain SQL, one file per backend, applied in order and
//! recorded by sea-orm-migration. SQL rather than a builder because the
//! PostgreSQL side carries what only PostgreSQL has (row-level security,
//! identity columns, JSONB), and reviewers read SQL.

use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use sea_orm_migration::{MigrationName, MigrationTrait, MigratorTrait, SchemaManager, async_trait};

struct SqlMigration {
    name: &'static str,
    postgres: &'static str,
    /// `None` where SQLite has nothing to do (PostgreSQL-only features).
    sqlite: Option<&'static str>,
}

impl MigrationName for SqlMigration {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SqlMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DbBackend::Postgres => self.postgres,
            DbBackend::Sqlite => match self.sqlite {
                Some(sql) => sql,
                None => return Ok(()),
            },
            other => {
                return Err(DbErr::Migration(format!(
                    "Kentro runs on PostgreSQL or SQLite, not {other:?}"
                )));
            }
        };
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

macro_rules! sql_migration {
    ($name:literal) => {
        Box::new(SqlMigration {
            name: $name,
            postgres: include_str!(concat!("../migrations/", $name, ".postgres.sql")),
            sqlite: Some(include_str!(concat!(
                "../migrations/",
                $name,
                ".sqlite.sql"
            ))),
        })
    };
    ($name:literal, postgres_only) => {
        Box::new(SqlMigration {
            name: $name,
            postgres: include_str!(concat!("../migrations/", $name, ".postgres.sql")),
            sqlite: None,
        })
    };
}

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            sql_migration!("0001_tenants"),
            sql_migration!("0002_row_level_security", postgres_only),
            sql_migration!("0003_accounts_and_audit"),
            sql_migration!("0004_people"),
            sql_migration!("0005_cases"),
            sql_migration!("0006_kea"),
            sql_migration!("0007_appointments"),
            sql_migration!("0008_person_merge", postgres_only),
            sql_migration!("0009_directory_and_referrals"),
            sql_migration!("0010_plugins"),
            sql_migration!("0011_indicators"),
            sql_migration!("0012_migration_state", postgres_only),
            sql_migration!("0013_audit_checkpoints"),
            sql_migration!("0014_password_changes"),
            sql_migration!("0015_workspace"),
            sql_migration!("0016_invitations"),
            sql_migration!("0017_cell_keys"),
            sql_migration!("0018_regional_overseers"),
            sql_migration!("0019_platform_audit"),
            sql_migration!("0020_audit_subjects"),
            sql_migration!("0021_audit_pending"),
            sql_migration!("0022_offboarding"),
            sql_migration!("0023_platform_notifications"),
            sql_migration!("0024_audit_pending_without_tenant_lock", postgres_only),
            sql_migration!("0025_account_changes", postgres_only),
            sql_migration!("0026_audit_subject_postings"),
            sql_migration!("0027_audit_entry_without_tenant_lock", postgres_only),
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use sea_orm::{ConnectionTrait, Statement};

    use crate::{DatabaseTarget, Store};

    /// Each table's columns, and whether each may be null.
    type Shape = BTreeMap<String, BTreeMap<String, bool>>;

    /// Tables only PostgreSQL has, and why.
    const POSTGRES_ONLY: [&str; 1] = [
        // The migration lock replicas take while one of them migrates.
        "migration_state",
    ];

    async fn rows(store: &Store, sql: &str) -> Vec<sea_orm::QueryResult> {
        let backend = store.db.get_database_backend();
        store
            .db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
    }

    async fn sqlite_shape(store: &Store) -> Shape {
        let mut shape = Shape::new();
        let tables = rows(
            store,
            "SELECT name FROM sqlite_master WHERE type = 'table'
               AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'",
        )
        .await;
        for table in tables {
            let name: String = table.try_get("", "name").unwrap();
            let mut columns = BTreeMap::new();
            for column in rows(store, &format!("PRAGMA table_info({name})")).await {
                let column_name: String = column.try_get("", "name").unwrap();
                let not_null: i32 = column.try_get("", "notnull").unwrap();
                let primary_key: i32 = column.try_get("", "pk").unwrap();
                columns.insert(column_name, not_null == 0 && primary_key == 0);
            }
            shape.insert(name, columns);
        }
        shape
    }

    async fn postgres_shape(store: &Store) -> Shape {
        let mut shape = Shape::new();
        let columns = rows(
            store,
            "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name,
                    c.is_nullable::text AS is_nullable
               FROM information_schema.columns c
               JOIN information_schema.tables t
                 ON t.table_schema = c.table_schema AND t.table_name = c.table_name
              WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
                AND c.table_name <> 'seaql_migrations'",
        )
        .await;
        for column in columns {
            let table: String = column.try_get("", "table_name").unwrap();
            let name: String = column.try_get("", "column_name").unwrap();
            let nullable: String = column.try_get("", "is_nullable").unwrap();
            shape
                .entry(table)
                .or_default()
                .insert(name, nullable == "YES");
        }
        for table in POSTGRES_ONLY {
            shape.remove(table);
        }
        shape
    }

    /// The embedded default and production run one schema: the same
    /// tables, the same columns, the same nullability, from the two
    /// migration files of each step.
    #[tokio::test]
    async fn both_backends_migrate_to_one_schema() {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Store::connect(&DatabaseTarget::SqliteFile(dir.path().join("k.db")))
            .await
            .unwrap();
        sqlite.migrate(None).await.unwrap();

        let database = crate::test_databases::TestDatabase::create("kentro_schema").await;
        let owner = database.as_role("kentro_owner");
        let postgres = Store::connect(&owner).await.unwrap();
        postgres.migrate(None).await.unwrap();

        let (lite, pg) = (sqlite_shape(&sqlite).await, postgres_shape(&postgres).await);
        // Both read something: every table of the schema, with columns.
        assert!(lite.len() >= 30, "{} tables read from SQLite", lite.len());
        assert!(
            lite.contains_key("person") && lite["person"].len() > 10,
            "the person table's columns: {:?}",
            lite.get("person")
        );
        let tables = |s: &Shape| s.keys().cloned().collect::<BTreeSet<_>>();
        assert_eq!(tables(&lite), tables(&pg), "the same tables");
        let mut differences = Vec::new();
        for (table, columns) in &lite {
            let other = &pg[table];
            for (column, nullable) in columns {
                match other.get(column) {
                    None => differences.push(format!("{table}.{column}: SQLite only")),
                    Some(n) if n != nullable => differences.push(format!(
                        "{table}.{column}: nullable on {}",
                        if *nullable { "SQLite" } else { "PostgreSQL" }
                    )),
                    Some(_) => {}
                }
            }
            for column in other.keys().filter(|c| !columns.contains_key(*c)) {
                differences.push(format!("{table}.{column}: PostgreSQL only"));
            }
        }
        assert!(differences.is_empty(), "{differences:#?}");
        drop(postgres);
        database.drop_now().await;
    }

    /// The list reads recorded before audit_subject existed are split into
    /// its rows, each id once, and those rows then grouped into one posting
    /// per entity and batch of 500 entries (migration 0026).
    #[tokio::test]
    async fn the_earlier_list_reads_are_split_into_subjects_on_sqlite() {
        use sea_orm_migration::MigratorTrait;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&DatabaseTarget::SqliteFile(dir.path().join("k.db")))
            .await
            .unwrap();
        super::Migrator::up(&*store.db, Some(19)).await.unwrap();
        rows(
            &store,
            "INSERT INTO tenant (slug, name_el, name_latin, region, funding_programme, manifest, created_at, updated_at)
             VALUES ('t', 'Τ', 'T', 'attica', 'p', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        )
        .await;
        for (seq, entity_id) in [(1, "7"), (2, "7,8,8,9"), (3, ""), (4, "9,7"), (600, "7,8")] {
            rows(
                &store,
                &format!(
                    "INSERT INTO audit_entry (tenant_id, seq, at, actor, actor_role, action, entity_type,
                        entity_id, purpose, request_id, prev_hash, hash)
                     VALUES (1, {seq}, '2026-01-01T00:00:00Z', 'a', 'r', 'person.read', 'person',
                        '{entity_id}', 'p', 'q', 'h', 'h')"
                ),
            )
            .await;
        }
        store.migrate(None).await.unwrap();
        let postings: Vec<(String, i64, String)> = rows(
            &store,
            "SELECT entity_id, first_seq, seqs FROM audit_subject ORDER BY entity_id, first_seq",
        )
        .await
        .iter()
        .map(|r| {
            (
                r.try_get("", "entity_id").unwrap(),
                r.try_get("", "first_seq").unwrap(),
                r.try_get("", "seqs").unwrap(),
            )
        })
        .collect();
        let posting = |id: &str, first: i64, seqs: &str| (id.to_owned(), first, seqs.to_owned());
        assert_eq!(
            postings,
            vec![
                posting("7", 2, "2,4"),
                posting("7", 600, "600"),
                posting("8", 2, "2"),
                posting("8", 600, "600"),
                posting("9", 2, "2,4"),
            ]
        );
    }
}
