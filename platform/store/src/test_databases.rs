//! Throwaway PostgreSQL databases for the store's own tests, on the server
//! the test command starts (`KENTRO_TEST_POSTGRES_URL`).

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::DatabaseTarget;

/// A fresh database owned by `kentro_owner`; dropped with this value's
/// `drop_now`, or left for the next run's `DROP … IF EXISTS`.
pub(crate) struct TestDatabase {
    admin: DatabaseConnection,
    host: String,
    name: String,
}

impl TestDatabase {
    /// A new, empty database called `<prefix>_<process id>`.
    pub(crate) async fn create(prefix: &str) -> TestDatabase {
        let admin_url = std::env::var("KENTRO_TEST_POSTGRES_URL").expect(
            "KENTRO_TEST_POSTGRES_URL: run the tests with infra/test.sh, which starts PostgreSQL",
        );
        let name = format!("{prefix}_{}", std::process::id());
        let admin = sea_orm::Database::connect(admin_url.as_str())
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name} OWNER kentro_owner"))
            .await
            .unwrap();
        let host = admin_url
            .split_once('@')
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(host, _)| host.to_owned())
            .expect("the test server's URL names its host");
        TestDatabase { admin, host, name }
    }

    /// The database as `role` (e.g. `kentro_owner`, `kentro_server`) reaches it.
    pub(crate) fn as_role(&self, role: &str) -> DatabaseTarget {
        DatabaseTarget::Postgres(format!("postgres://{role}@{}/{}", self.host, self.name))
    }

    pub(crate) async fn drop_now(self) {
        self.admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap();
    }
}
