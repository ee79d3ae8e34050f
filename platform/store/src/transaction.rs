//! The database transaction under a [`ScopedTxn`](crate::scope::ScopedTxn)
//! or a [`PlatformTxn`](crate::scope::PlatformTxn), and the connections it
//! runs on.
//!
//! On PostgreSQL it is sqlx's own transaction protocol on a connection of
//! [`PgConnections`], because sea-orm's PostgreSQL `begin` sends a bare
//! `BEGIN`: the tenant's settings then cost a round trip of their own on
//! every request. sqlx begins with any statement, so `BEGIN` and the
//! settings travel together. On SQLite, which has no settings to make, it
//! is sea-orm's.

use std::ops::Deref;
use std::pin::Pin;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use deadpool::managed;
use futures::Stream;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgTransactionManager};
use sea_orm::sqlx::{self, Connection, Postgres, SqlSafeStr};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, RuntimeErr, Statement, StreamTrait, TransactionTrait,
};
use sea_query_sqlx::SqlxValues;
use sqlx_core::transaction::TransactionManager;
use tokio::sync::Mutex;

use crate::read_audit::ReadAudit;

/// The store's database: sea-orm's connection for the statements made
/// outside a transaction and, on PostgreSQL, the connections transactions
/// run on.
#[derive(Clone)]
pub(crate) struct Db {
    connection: DatabaseConnection,
    transactions: Option<PgConnections>,
    /// On PostgreSQL, inside a Tokio runtime: the writer of the entries of
    /// transactions that only read.
    read_audit: Option<ReadAudit>,
}

impl Db {
    pub(crate) fn new(connection: DatabaseConnection, transactions: Option<PgConnections>) -> Db {
        let mut db = Db {
            connection,
            transactions,
            read_audit: None,
        };
        if db.transactions.is_some() && tokio::runtime::Handle::try_current().is_ok() {
            // The writer's own copy has none, so that it stops once the
            // store's copies are gone.
            db.read_audit = Some(ReadAudit::start(db.clone()));
        }
        db
    }

    /// The writer of read-only transactions' audit entries, if this
    /// database has one (PostgreSQL).
    pub(crate) fn read_audit(&self) -> Option<&ReadAudit> {
        self.read_audit.as_ref()
    }

    /// Closes both: the transactions' idle connections say goodbye to the
    /// server (one still in use is closed when it comes back), and sea-orm's
    /// wait for those in use to be returned.
    pub(crate) async fn close(self) -> Result<(), DbErr> {
        if let Some(transactions) = &self.transactions {
            transactions.close_idle(Duration::ZERO).await;
            transactions.pool.close();
        }
        self.connection.close().await
    }
}

impl Deref for Db {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.connection
    }
}

#[async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.connection.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.connection.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.connection.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.connection.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.connection.query_all_raw(stmt).await
    }
}

/// PostgreSQL connections for transactions. Not sqlx's pool: it pings every
/// connection as it comes back, to flush a rollback left queued and to
/// learn that the connection still answers. That is a round trip for every
/// transaction, about 4% of a page of cases' CPU measured side by side. A
/// transaction here gives its connection back only once its `COMMIT` or
/// `ROLLBACK` has been answered, which showed both; one dropped unfinished
/// has its rollback flushed first.
#[derive(Clone)]
pub(crate) struct PgConnections {
    pool: managed::Pool<PgConnector>,
}

/// A connection idle this long may have been dropped by the server or the
/// network, and is asked before it is used.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

/// How long a connection serves before it is replaced, as sqlx's pool does
/// by default: a backend's caches only grow, and a server that moved (a
/// failover behind one name) is reached afresh.
pub(crate) const CONNECTION_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How long a connection may wait unused before it is closed, as sqlx's
/// pool did by default: a quiet replica gives its share of the server's
/// `max_connections` back.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// How long a read's end may wait on an unused connection for the next
/// transaction to carry it (see [`PgTransaction::end_read`]) before the pool
/// sends it alone: the read's snapshot is not held on a quiet replica.
const SETTLE_AFTER: Duration = Duration::from_millis(500);

/// A pooled connection, with what the pool knows of it beyond sqlx.
struct PooledConnection {
    connection: PgConnection,
    /// When a transaction last gave it back (deadpool's own clock counts
    /// from when it was last taken, which the settling pass does too).
    returned_at: Instant,
    /// Since when a read's end has waited in its buffer, unsent.
    end_queued_at: Option<Instant>,
}

struct PgConnector {
    options: PgConnectOptions,
    lifetime: Duration,
}

impl managed::Manager for PgConnector {
    type Type = PooledConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<PooledConnection, sqlx::Error> {
        Ok(PooledConnection {
            connection: PgConnection::connect_with(&self.options).await?,
            returned_at: Instant::now(),
            end_queued_at: None,
        })
    }

    async fn recycle(
        &self,
        pooled: &mut PooledConnection,
        metrics: &managed::Metrics,
    ) -> managed::RecycleResult<sqlx::Error> {
        if metrics.age() >= self.lifetime {
            return Err(managed::RecycleError::message("served its lifetime"));
        }
        if pooled.returned_at.elapsed() >= IDLE_BEFORE_PING {
            pooled.connection.ping().await?;
            pooled.end_queued_at = None;
        }
        Ok(())
    }
}

impl PgConnections {
    /// Up to `size` connections, each opened and each waited for at most
    /// `wait`, each replaced once it is `lifetime` old, and each closed once
    /// it has waited `idle` unused. When made inside a Tokio runtime, a pass
    /// until the pool is closed or dropped sends the reads' ends left
    /// waiting ([`PgConnections::settle`]) and, every `idle`, closes the
    /// idle connections.
    pub(crate) fn new(
        options: PgConnectOptions,
        size: usize,
        wait: Duration,
        lifetime: Duration,
        idle: Duration,
    ) -> Result<PgConnections, DbErr> {
        let pool = managed::Pool::builder(PgConnector { options, lifetime })
            .max_size(size)
            .wait_timeout(Some(wait))
            .create_timeout(Some(wait))
            .recycle_timeout(Some(wait))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| DbErr::Custom(format!("the transactions' connection pool: {e}")))?;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            // Weak, so that a pool dropped without being closed is not kept.
            let weak = pool.weak();
            let pass = SETTLE_AFTER.min(idle);
            runtime.spawn(async move {
                let mut since_closing = Duration::ZERO;
                loop {
                    tokio::time::sleep(pass).await;
                    let Some(pool) = weak.upgrade().filter(|pool| !pool.is_closed()) else {
                        break;
                    };
                    let connections = PgConnections { pool };
                    connections.settle(SETTLE_AFTER).await;
                    since_closing += pass;
                    if since_closing >= idle {
                        connections.close_idle(idle).await;
                        since_closing = Duration::ZERO;
                    }
                }
            });
        }
        Ok(PgConnections { pool })
    }

    /// Closes the connections in the pool that have waited `idle` or longer
    /// since their last use, each saying goodbye to the server; how many.
    async fn close_idle(&self, idle: Duration) -> usize {
        let removed = (self.pool)
            .retain(|pooled, _| pooled.returned_at.elapsed() < idle)
            .removed;
        let closed = removed.len();
        for pooled in removed {
            // Closing a connection the server already dropped has nothing
            // left to do.
            let _ = pooled.connection.close().await;
        }
        closed
    }

    /// Sends the ends that reads left queued on connections no transaction
    /// has taken for `after`; how many. Each idle connection is taken in
    /// turn, without waiting for one in use and without opening any.
    async fn settle(&self, after: Duration) -> usize {
        let take_idle = managed::Timeouts {
            wait: Some(Duration::ZERO),
            create: Some(Duration::ZERO),
            recycle: Some(self.pool.timeouts().recycle.unwrap_or(after)),
        };
        let waited = |pooled: &PooledConnection| {
            (pooled.end_queued_at).is_some_and(|at| at.elapsed() >= after)
        };
        // Counted without taking any, so that a quiet pool's connections
        // are left alone (taking one may ping it).
        let mut due = 0;
        self.pool.retain(|pooled, _| {
            due += usize::from(waited(pooled));
            true
        });
        let mut settled = 0;
        for _ in 0..self.pool.status().available {
            if settled == due {
                break;
            }
            let Ok(mut pooled) = self.pool.timeout_get(&take_idle).await else {
                break;
            };
            if waited(&pooled) {
                if pooled.connection.ping().await.is_err() {
                    drop(managed::Object::take(pooled));
                    continue;
                }
                pooled.end_queued_at = None;
                settled += 1;
            }
        }
        settled
    }
}

/// A transaction on one of [`PgConnections`].
pub(crate) struct PgTransaction {
    /// Present until its `COMMIT` or `ROLLBACK` is answered, which gives it
    /// back to the pool, or until it is dropped.
    connection: Option<managed::Object<PgConnector>>,
    /// Begun `READ ONLY`: its end has nothing to make durable.
    read_only: bool,
}

impl PgTransaction {
    fn pooled(&mut self) -> &mut PooledConnection {
        self.connection
            .as_mut()
            .expect("a transaction holds its connection until it ends or is dropped")
    }

    fn connection(&mut self) -> &mut PgConnection {
        &mut self.pooled().connection
    }

    /// Commits or rolls back, and gives the connection back as it is.
    async fn end(mut self, commit: bool) -> Result<(), sqlx::Error> {
        if commit && self.read_only {
            self.end_read();
            return Ok(());
        }
        let connection = self.connection();
        if commit {
            Box::pin(PgTransactionManager::commit(connection)).await?;
        } else {
            Box::pin(PgTransactionManager::rollback(connection)).await?;
        }
        self.pooled().returned_at = Instant::now();
        drop(self.connection.take());
        Ok(())
    }

    /// Ends a read-only transaction without a round trip of its own: its
    /// `ROLLBACK` (a read has nothing to commit, and a `READ ONLY`
    /// transaction cannot have written) waits in the connection's buffer,
    /// and the next transaction's `BEGIN` carries it to the server in the
    /// same write, its answer read before the `BEGIN`'s. The pool sends it
    /// alone once the connection has waited [`SETTLE_AFTER`]. The read's
    /// settings end with it, so the next transaction starts without them.
    fn end_read(mut self) {
        PgTransactionManager::start_rollback(self.connection());
        let pooled = self.pooled();
        pooled.end_queued_at = Some(Instant::now());
        pooled.returned_at = Instant::now();
        drop(self.connection.take());
    }
}

impl Drop for PgTransaction {
    fn drop(&mut self) {
        let Some(mut connection) = self.connection.take() else {
            return; // ended, and back in the pool
        };
        // Dropped unfinished (its future was, or an error left it): roll
        // back now, not when the connection is next used, so that its locks
        // go with it. A connection that cannot is closed, not returned.
        PgTransactionManager::start_rollback(&mut connection.connection);
        connection.returned_at = Instant::now();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if connection.connection.ping().await.is_err() {
                        drop(managed::Object::take(connection));
                    }
                });
            }
            Err(_) => drop(managed::Object::take(connection)),
        }
    }
}

pub(crate) enum Transaction {
    Sqlite(DatabaseTransaction),
    Postgres(Mutex<PgTransaction>),
}

/// How PostgreSQL plans a tenant transaction's statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plans {
    /// One generic plan per connection and statement. A request's queries
    /// have one shape whatever their values (the tenant, keys, a page
    /// size), but a `LIMIT` parameter makes PostgreSQL's generic plan look
    /// costlier than a custom one, so by default it planned every page
    /// afresh: 0.29 ms of planning against 0.14 ms of execution for the
    /// case page.
    Cached,
    /// Each statement planned as it runs, against the tables as they are
    /// then. For jobs over tables that fill and drain, such as the audit's
    /// pending entries and the chain the sealer appends to: a plan cached
    /// while such a table was nearly empty scans and sorts all of it for
    /// as long as the connection lives (measured on the case page's bench:
    /// the sealer's read of the chain's head took 3.8 ms, against 0.02 ms
    /// by the index).
    Fresh,
}

/// What a scoped transaction's PostgreSQL session is told before its first
/// query, the tenant for row-level security (wall 2) and how to plan; both
/// settings end with the transaction.
pub(crate) fn scope_settings(tenant_id: i64, plans: Plans) -> String {
    let mode = match plans {
        Plans::Cached => "force_generic_plan",
        Plans::Fresh => "force_custom_plan",
    };
    format!(
        "SELECT set_config('app.tenant_id', '{tenant_id}', true), \
                set_config('plan_cache_mode', '{mode}', true)"
    )
}

/// A rows stream of either backend.
pub(crate) type RowStream<'a> = Pin<Box<dyn Stream<Item = Result<QueryResult, DbErr>> + Send + 'a>>;

impl Transaction {
    /// Begins a transaction; on PostgreSQL, with `tenant_id`'s settings in
    /// the same round trip when one is given, its statements planned once
    /// per connection.
    pub(crate) async fn begin(db: &Db, tenant_id: Option<i64>) -> Result<Transaction, DbErr> {
        Transaction::begin_planned(db, tenant_id.map(|t| (t, Plans::Cached))).await
    }

    /// Begins a transaction; on PostgreSQL, with a tenant's settings and its
    /// way of planning in the same round trip when one is given.
    pub(crate) async fn begin_planned(
        db: &Db,
        tenant: Option<(i64, Plans)>,
    ) -> Result<Transaction, DbErr> {
        Transaction::begin_as(db, false, tenant).await
    }

    /// Begins a transaction of `tenant_id` that only reads: PostgreSQL
    /// refuses any write in it (SQLite's is an ordinary one).
    pub(crate) async fn begin_read_only(db: &Db, tenant_id: i64) -> Result<Transaction, DbErr> {
        Transaction::begin_as(db, true, Some((tenant_id, Plans::Cached))).await
    }

    async fn begin_as(
        db: &Db,
        read_only: bool,
        tenant: Option<(i64, Plans)>,
    ) -> Result<Transaction, DbErr> {
        let Some(connections) = &db.transactions else {
            return Ok(Transaction::Sqlite(Box::pin(db.connection.begin()).await?));
        };
        // As sqlx's pool reports the same, so that callers read them alike.
        let connection = connections.pool.get().await.map_err(|e| match e {
            managed::PoolError::Backend(e) => connection_error(e),
            managed::PoolError::Timeout(_) => connection_error(sqlx::Error::PoolTimedOut),
            managed::PoolError::Closed => connection_error(sqlx::Error::PoolClosed),
            other => DbErr::Custom(format!("no connection for a transaction: {other}")),
        })?;
        let mut txn = PgTransaction {
            connection: Some(connection),
            read_only,
        };
        let begin = if read_only {
            "BEGIN READ ONLY"
        } else {
            "BEGIN"
        };
        let statement = match tenant {
            // An integer formatted into the text: nothing a client sent.
            Some((tenant_id, plans)) => format!("{begin}; {}", scope_settings(tenant_id, plans)),
            None => begin.to_owned(),
        };
        // A read's end left queued goes in the same write as this `BEGIN`.
        txn.pooled().end_queued_at = None;
        // Boxed, as `end` is: sqlx's futures are kilobytes, and every store
        // operation, and every GraphQL resolver that awaits one, would
        // otherwise carry them in its own.
        Box::pin(PgTransactionManager::begin(
            txn.connection(),
            Some(sqlx::AssertSqlSafe(statement).into_sql_str()),
        ))
        .await
        .map_err(connection_error)?;
        Ok(Transaction::Postgres(Mutex::new(txn)))
    }

    pub(crate) async fn commit(self) -> Result<(), DbErr> {
        match self {
            Transaction::Sqlite(txn) => Box::pin(txn.commit()).await,
            Transaction::Postgres(txn) => txn.into_inner().end(true).await.map_err(exec_error),
        }
    }

    pub(crate) async fn rollback(self) -> Result<(), DbErr> {
        match self {
            Transaction::Sqlite(txn) => Box::pin(txn.rollback()).await,
            Transaction::Postgres(txn) => txn.into_inner().end(false).await.map_err(exec_error),
        }
    }

    pub(crate) async fn stream(&self, stmt: Statement) -> Result<RowStream<'_>, DbErr> {
        match self {
            Transaction::Sqlite(txn) => Ok(Box::pin(txn.stream_raw(stmt).await?)),
            Transaction::Postgres(txn) => Ok(Box::pin(async_stream::try_stream! {
                use futures::TryStreamExt;
                let mut txn = txn.lock().await;
                let mut rows = postgres_query(&stmt).fetch(txn.connection());
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
                .execute(txn.lock().await.connection())
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
                (txn.lock().await.connection())
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
                .fetch_optional(txn.lock().await.connection())
                .await
                .map(|row| row.map(QueryResult::from))
                .map_err(query_error),
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Transaction::Sqlite(txn) => txn.query_all_raw(stmt).await,
            Transaction::Postgres(txn) => postgres_query(&stmt)
                .fetch_all(txn.lock().await.connection())
                .await
                .map(|rows| rows.into_iter().map(QueryResult::from).collect())
                .map_err(query_error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DatabaseTarget;
    use crate::test_databases::TestDatabase;

    /// A database of its own, and a `Db` whose transactions have `size`
    /// connections to it.
    async fn database(prefix: &str, size: usize) -> (TestDatabase, Db) {
        database_with(prefix, size, CONNECTION_LIFETIME, IDLE_TIMEOUT).await
    }

    async fn database_with(
        prefix: &str,
        size: usize,
        lifetime: Duration,
        idle: Duration,
    ) -> (TestDatabase, Db) {
        let database = TestDatabase::create(prefix).await;
        let DatabaseTarget::Postgres(url) = database.as_role("kentro_owner") else {
            panic!("a test database is on PostgreSQL");
        };
        let connection = sea_orm::Database::connect(url.as_str()).await.unwrap();
        let transactions = PgConnections::new(
            url.parse().unwrap(),
            size,
            Duration::from_secs(5),
            lifetime,
            idle,
        )
        .unwrap();
        (database, Db::new(connection, Some(transactions)))
    }

    async fn number(txn: &Transaction, sql: &str) -> Result<i32, DbErr> {
        let row = txn
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await?
            .expect("one row");
        row.try_get_by_index::<i32>(0)
    }

    /// The plan PostgreSQL runs for the newest row of a table that was
    /// analyzed while it held six rows and has grown since, read by a
    /// statement prepared and run six times before it grew, in a tenant
    /// transaction planned as `plans` says.
    async fn plan_after_growth(db: &Db, plans: Plans) -> String {
        let txn = Transaction::begin_planned(db, Some((7, plans)))
            .await
            .unwrap();
        for sql in [
            "CREATE TABLE grows (id bigint PRIMARY KEY, body text)",
            "INSERT INTO grows SELECT n, 'x' FROM generate_series(1, 6) n",
            "ANALYZE grows",
            "PREPARE newest(bigint) AS SELECT id FROM grows ORDER BY id DESC LIMIT $1",
        ] {
            txn.execute_unprepared(sql).await.unwrap();
        }
        for _ in 0..6 {
            txn.execute_unprepared("EXECUTE newest(1)").await.unwrap();
        }
        (txn.execute_unprepared(
            "INSERT INTO grows SELECT n, repeat('x', 100) FROM generate_series(7, 50000) n",
        )
        .await)
            .unwrap();
        let plan = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "EXPLAIN EXECUTE newest(1)",
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        // Rolled back: the next call makes the table and the statement anew.
        txn.execute_unprepared("DEALLOCATE newest").await.unwrap();
        txn.rollback().await.unwrap();
        plan
    }

    #[tokio::test]
    async fn a_job_transaction_plans_for_the_table_as_it_is_now() {
        let (database, db) = database("kentro_txn_plans", 1).await;
        let fresh = plan_after_growth(&db, Plans::Fresh).await;
        assert!(fresh.contains("Index"), "read by the index: {fresh}");
        // What the request path's cached plans would do here, and why the
        // jobs over tables that fill and drain do not use them.
        let cached = plan_after_growth(&db, Plans::Cached).await;
        assert!(
            cached.contains("Sort") && !cached.contains("Index"),
            "the plan made for six rows, still: {cached}"
        );
        db.close().await.unwrap();
        database.drop_now().await;
    }

    #[tokio::test]
    async fn a_transaction_dropped_unfinished_lets_go_of_its_locks_at_once() {
        let (database, db) = database("kentro_txn_dropped", 2).await;
        let dropped = Transaction::begin(&db, None).await.unwrap();
        (dropped
            .execute_unprepared("SELECT pg_advisory_xact_lock(4242)")
            .await)
            .unwrap();
        // On the other connection, so that the lock cannot be let go of by
        // the dropped transaction's connection being used again.
        let waiting = Transaction::begin(&db, None).await.unwrap();
        drop(dropped);
        (waiting
            .execute_unprepared("SET LOCAL lock_timeout = '5s'")
            .await)
            .unwrap();
        (waiting
            .execute_unprepared("SELECT pg_advisory_xact_lock(4242)")
            .await)
            .expect("the dropped transaction was rolled back, and its lock with it");
        waiting.commit().await.unwrap();
        db.close().await.unwrap();
        database.drop_now().await;
    }

    #[tokio::test]
    async fn a_committed_transaction_gives_its_connection_back_as_it_is() {
        let (database, db) = database("kentro_txn_committed", 1).await;
        let first = Transaction::begin(&db, Some(7)).await.unwrap();
        let backend = number(&first, "SELECT pg_backend_pid()").await.unwrap();
        first.commit().await.unwrap();
        let platform = Transaction::begin(&db, None).await.unwrap();
        assert_eq!(
            number(
                &platform,
                "SELECT (coalesce(current_setting('app.tenant_id', true), '') = '')::int"
            )
            .await
            .unwrap(),
            1,
            "a tenant's setting ends with its transaction"
        );
        platform.commit().await.unwrap();
        let next = Transaction::begin(&db, Some(8)).await.unwrap();
        assert_eq!(
            number(&next, "SELECT pg_backend_pid()").await.unwrap(),
            backend
        );
        assert_eq!(
            number(&next, "SELECT current_setting('app.tenant_id')::int")
                .await
                .unwrap(),
            8,
            "the next transaction has its own settings"
        );
        next.commit().await.unwrap();
        db.close().await.unwrap();
        database.drop_now().await;
    }

    /// What PostgreSQL says `backend` is doing (`idle`, `idle in
    /// transaction`), asked on a connection of its own.
    async fn state_of(db: &Db, backend: i32) -> String {
        let sql = format!("SELECT state FROM pg_stat_activity WHERE pid = {backend}");
        db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap()
            .expect("the backend is there")
            .try_get_by_index::<String>(0)
            .unwrap()
    }

    #[tokio::test]
    async fn a_read_ends_in_the_same_write_as_the_next_transactions_begin() {
        let (database, db) = database("kentro_txn_read_end", 1).await;
        let read = Transaction::begin_read_only(&db, 7).await.unwrap();
        let backend = number(&read, "SELECT pg_backend_pid()").await.unwrap();
        let began = (read.query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT now()::text",
        )))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
        read.commit().await.unwrap();
        assert_eq!(
            state_of(&db, backend).await,
            "idle in transaction",
            "the read's end waits for the next transaction on its connection"
        );
        let next = Transaction::begin(&db, None).await.unwrap();
        assert_eq!(
            number(&next, "SELECT pg_backend_pid()").await.unwrap(),
            backend
        );
        let since = format!("SELECT (now() > '{began}'::timestamptz)::int");
        assert_eq!(
            number(&next, &since).await.unwrap(),
            1,
            "a transaction of its own, not the read's"
        );
        assert_eq!(
            number(
                &next,
                "SELECT (coalesce(current_setting('app.tenant_id', true), '') = '')::int"
            )
            .await
            .unwrap(),
            1,
            "the read's tenant ended with it"
        );
        next.execute_unprepared("CREATE TEMP TABLE written (n int)")
            .await
            .expect("not read-only, as the read was");
        next.commit().await.unwrap();
        assert_eq!(state_of(&db, backend).await, "idle");
        db.close().await.unwrap();
        database.drop_now().await;
    }

    #[tokio::test]
    async fn a_reads_end_left_waiting_is_sent_once_its_connection_has_rested() {
        let (database, db) = database("kentro_txn_read_settle", 1).await;
        let connections = db.transactions.clone().unwrap();
        let written = Transaction::begin(&db, Some(7)).await.unwrap();
        written.commit().await.unwrap();
        assert_eq!(
            connections.settle(Duration::ZERO).await,
            0,
            "a commit was answered: nothing waits"
        );
        let read = Transaction::begin_read_only(&db, 7).await.unwrap();
        let backend = number(&read, "SELECT pg_backend_pid()").await.unwrap();
        read.commit().await.unwrap();
        assert_eq!(
            connections.settle(Duration::from_secs(60)).await,
            0,
            "ended a moment ago: the next transaction may carry it"
        );
        assert_eq!(state_of(&db, backend).await, "idle in transaction");
        // The pool's own pass sends it, on the same connection.
        let mut polls = 0;
        while state_of(&db, backend).await != "idle" {
            polls += 1;
            assert!(polls < 100, "the read's end is still waiting");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let next = Transaction::begin(&db, None).await.unwrap();
        assert_eq!(
            number(&next, "SELECT pg_backend_pid()").await.unwrap(),
            backend,
            "the connection went back to the pool"
        );
        next.commit().await.unwrap();
        db.close().await.unwrap();
        database.drop_now().await;
    }

    #[tokio::test]
    async fn a_connection_left_idle_is_closed_and_the_next_transaction_opens_one() {
        let (database, db) = database("kentro_txn_idle", 1).await;
        let first = Transaction::begin(&db, None).await.unwrap();
        let backend = number(&first, "SELECT pg_backend_pid()").await.unwrap();
        first.commit().await.unwrap();
        let connections = db.transactions.as_ref().unwrap();
        assert_eq!(
            connections.close_idle(Duration::from_secs(60)).await,
            0,
            "used a moment ago"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(connections.close_idle(Duration::from_millis(20)).await, 1);
        let next = Transaction::begin(&db, None).await.unwrap();
        assert_ne!(
            number(&next, "SELECT pg_backend_pid()").await.unwrap(),
            backend
        );
        next.commit().await.unwrap();
        // Its backend leaves once it has read the goodbye.
        let still_there =
            format!("SELECT count(*)::int FROM pg_stat_activity WHERE pid = {backend}");
        let mut polls = 0;
        loop {
            let probe = Transaction::begin(&db, None).await.unwrap();
            let left = number(&probe, &still_there).await.unwrap() == 0;
            probe.commit().await.unwrap();
            if left {
                break;
            }
            polls += 1;
            assert!(
                polls < 100,
                "the closed connection's backend is still there"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        db.close().await.unwrap();
        database.drop_now().await;
    }

    #[tokio::test]
    async fn the_pool_closes_idle_connections_by_itself() {
        let idle = Duration::from_millis(100);
        let (database, db) =
            database_with("kentro_txn_idle_timer", 2, CONNECTION_LIFETIME, idle).await;
        let first = Transaction::begin(&db, None).await.unwrap();
        first.commit().await.unwrap();
        let connections = db.transactions.as_ref().unwrap();
        assert_eq!(connections.pool.status().size, 1);
        let mut polls = 0;
        while connections.pool.status().size > 0 {
            polls += 1;
            assert!(polls < 100, "the idle connection is still open");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Dropped unclosed, the pool is not kept alive by its own timer.
        let pool = connections.pool.weak();
        drop(db);
        let mut polls = 0;
        while pool.upgrade().is_some() {
            polls += 1;
            assert!(polls < 100, "the dropped pool is still held");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        database.drop_now().await;
    }

    #[tokio::test]
    async fn a_connection_that_served_its_lifetime_is_replaced() {
        let (database, db) =
            database_with("kentro_txn_lifetime", 1, Duration::ZERO, IDLE_TIMEOUT).await;
        let first = Transaction::begin(&db, None).await.unwrap();
        let backend = number(&first, "SELECT pg_backend_pid()").await.unwrap();
        first.commit().await.unwrap();
        let next = Transaction::begin(&db, None).await.unwrap();
        assert_ne!(
            number(&next, "SELECT pg_backend_pid()").await.unwrap(),
            backend,
            "a new connection, not the old one"
        );
        next.commit().await.unwrap();
        db.close().await.unwrap();
        database.drop_now().await;
    }

    #[tokio::test]
    async fn a_connection_whose_transaction_failed_serves_the_next() {
        let (database, db) = database("kentro_txn_failed", 1).await;
        let failed = Transaction::begin(&db, None).await.unwrap();
        let backend = number(&failed, "SELECT pg_backend_pid()").await.unwrap();
        assert!(number(&failed, "SELECT 1 / 0").await.is_err());
        drop(failed);
        let next = Transaction::begin(&db, None).await.unwrap();
        assert_eq!(
            number(&next, "SELECT pg_backend_pid()").await.unwrap(),
            backend,
            "the connection was rolled back and returned, not closed"
        );
        assert_eq!(number(&next, "SELECT 42").await.unwrap(), 42);
        next.commit().await.unwrap();
        db.close().await.unwrap();
        database.drop_now().await;
    }

    #[tokio::test]
    async fn a_connection_whose_statement_was_abandoned_serves_the_next() {
        let (database, db) = database("kentro_txn_abandoned", 1).await;
        let abandoned = Transaction::begin(&db, None).await.unwrap();
        let backend = number(&abandoned, "SELECT pg_backend_pid()").await.unwrap();
        let sleep = number(&abandoned, "SELECT 1 FROM pg_sleep(0.5)");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), sleep)
                .await
                .is_err(),
            "the statement was still running when it was given up"
        );
        drop(abandoned);
        let next = Transaction::begin(&db, None).await.unwrap();
        assert_eq!(
            number(&next, "SELECT pg_backend_pid()").await.unwrap(),
            backend
        );
        assert_eq!(
            number(&next, "SELECT 42").await.unwrap(),
            42,
            "the abandoned statement's answer was not taken for this one's"
        );
        next.commit().await.unwrap();
        db.close().await.unwrap();
        database.drop_now().await;
    }
}
