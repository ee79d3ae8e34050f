//! The database transaction under a [`ScopedTxn`](crate::scope::ScopedTxn)
//! or a [`PlatformTxn`](crate::scope::PlatformTxn).
//!
//! On PostgreSQL it is sqlx's own, because sea-orm's PostgreSQL `begin`
//! sends a bare `BEGIN`: the tenant's settings then cost a round trip of
//! their own on every request. sqlx begins with any statement, so `BEGIN`
//! and the settings travel together. On SQLite, which has no settings to
//! make, it is sea-orm's.

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;
use sea_orm::sqlx::{self, Postgres};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, RuntimeErr, Statement, StreamTrait, TransactionTrait,
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Mutex;

pub(crate) enum Transaction {
    Sqlite(DatabaseTransaction),
    Postgres(Mutex<sqlx::Transaction<'static, Postgres>>),
}

/// What a scoped transaction's PostgreSQL session is told before its first
/// query; both settings end with the transaction.
///
/// - The tenant, for row-level security (wall 2).
/// - Generic plans. A tenant's queries have one shape whatever their values
///   (the tenant, keys, a page size), but a `LIMIT` parameter makes
///   PostgreSQL's generic plan look costlier than a custom one, so by
///   default it planned every page afresh: 0.29 ms of planning against
///   0.14 ms of execution for the case page. A generic plan is made once per
///   connection and statement.
pub(crate) fn scope_settings(tenant_id: i64) -> String {
    format!(
        "SELECT set_config('app.tenant_id', '{tenant_id}', true), \
                set_config('plan_cache_mode', 'force_generic_plan', true)"
    )
}

/// A rows stream of either backend.
pub(crate) type RowStream<'a> = Pin<Box<dyn Stream<Item = Result<QueryResult, DbErr>> + Send + 'a>>;

impl Transaction {
    /// Begins a transaction; on PostgreSQL, with `tenant_id`'s settings in
    /// the same round trip when one is given.
    pub(crate) async fn begin(
        db: &DatabaseConnection,
        tenant_id: Option<i64>,
    ) -> Result<Transaction, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Transaction::Sqlite(Box::pin(db.begin()).await?));
        }
        let pool = db.get_postgres_connection_pool();
        // Boxed, as `commit` below: sqlx's futures are kilobytes, and every
        // store operation, and every GraphQL resolver that awaits one,
        // would otherwise carry them in its own.
        let txn = match tenant_id {
            // An integer formatted into the text: nothing a client sent.
            Some(tenant_id) => {
                Box::pin(pool.begin_with(sqlx::AssertSqlSafe(format!(
                    "BEGIN; {}",
                    scope_settings(tenant_id)
                ))))
                .await
            }
            None => Box::pin(pool.begin()).await,
        }
        .map_err(connection_error)?;
        Ok(Transaction::Postgres(Mutex::new(txn)))
    }

    pub(crate) async fn commit(self) -> Result<(), DbErr> {
        match self {
            Transaction::Sqlite(txn) => Box::pin(txn.commit()).await,
            Transaction::Postgres(txn) => Box::pin(txn.into_inner().commit())
                .await
                .map_err(exec_error),
        }
    }

    pub(crate) async fn rollback(self) -> Result<(), DbErr> {
        match self {
            Transaction::Sqlite(txn) => Box::pin(txn.rollback()).await,
            Transaction::Postgres(txn) => Box::pin(txn.into_inner().rollback())
                .await
                .map_err(exec_error),
        }
    }

    pub(crate) async fn stream(&self, stmt: Statement) -> Result<RowStream<'_>, DbErr> {
        match self {
            Transaction::Sqlite(txn) => Ok(Box::pin(txn.stream_raw(stmt).await?)),
            Transaction::Postgres(txn) => Ok(Box::pin(async_stream::try_stream! {
                use futures::TryStreamExt;
                let mut txn = txn.lock().await;
                let mut rows = postgres_query(&stmt).fetch(&mut **txn);
                while let Some(row) = rows.try_next().await.map_err(query_error)? {
                    yield QueryResult::from(row);
                }
            })),
        }
    }
}

fn postgres_query(stmt: &Statement) -> sqlx::query::Query<'_, Postgres, SqlxValues> {
    sqlx::query_with(
        sqlx::AssertSqlSafe(stmt.sql.as_str()),
        SqlxValues(stmt.values.clone().unwrap_or(sea_orm::Values(Vec::new()))),
    )
}

// The errors sea-orm's own driver gives for the same failures, so that
// `StoreError` reads them (a unique violation, a lost connection) alike.
fn exec_error(e: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(e.into()))
}

fn query_error(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(e.into()))
}

fn connection_error(e: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(e.into()))
}

#[async_trait]
impl ConnectionTrait for Transaction {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Transaction::Sqlite(txn) => ConnectionTrait::get_database_backend(txn),
            Transaction::Postgres(_) => DbBackend::Postgres,
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Transaction::Sqlite(txn) => txn.execute_raw(stmt).await,
            Transaction::Postgres(txn) => postgres_query(&stmt)
                .execute(&mut **txn.lock().await)
                .await
                .map(ExecResult::from)
                .map_err(exec_error),
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Transaction::Sqlite(txn) => txn.execute_unprepared(sql).await,
            Transaction::Postgres(txn) => {
                use sqlx::Executor;
                (&mut **txn.lock().await)
                    .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())))
                    .await
                    .map(ExecResult::from)
                    .map_err(exec_error)
            }
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Transaction::Sqlite(txn) => txn.query_one_raw(stmt).await,
            Transaction::Postgres(txn) => postgres_query(&stmt)
                .fetch_optional(&mut **txn.lock().await)
                .await
                .map(|row| row.map(QueryResult::from))
                .map_err(query_error),
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Transaction::Sqlite(txn) => txn.query_all_raw(stmt).await,
            Transaction::Postgres(txn) => postgres_query(&stmt)
                .fetch_all(&mut **txn.lock().await)
                .await
                .map(|rows| rows.into_iter().map(QueryResult::from).collect())
                .map_err(query_error),
        }
    }
}
