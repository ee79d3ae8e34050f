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
        ]
    }
}
