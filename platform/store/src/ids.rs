//! Ids of tenant rows. They are unique across tenants (one sequence per
//! table), so an id never names another tenant's row by coincidence.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::StoreError;

/// The next id for `table`, inside the transaction that inserts the row.
pub(crate) async fn next_id<C: ConnectionTrait>(txn: &C, table: &str) -> Result<i64, StoreError> {
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!("SELECT nextval('{table}_id_seq') AS id"),
        // SQLite serializes writers, so one past the highest is free.
        _ => format!("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM {table}"),
    };
    let row = txn
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| StoreError::corrupt(table, "no next id"))?;
    Ok(row.try_get("", "id")?)
}

/// `count` fresh ids for `table`, in one round trip.
pub(crate) async fn next_ids<C: ConnectionTrait>(
    txn: &C,
    table: &str,
    count: usize,
) -> Result<Vec<i64>, StoreError> {
    let backend = txn.get_database_backend();
    match backend {
        DbBackend::Postgres => {
            let rows = txn
                .query_all_raw(Statement::from_string(
                    backend,
                    format!(
                        "SELECT nextval('{table}_id_seq') AS id FROM generate_series(1, {count})"
                    ),
                ))
                .await?;
            rows.iter()
                .map(|r| Ok(r.try_get::<i64>("", "id")?))
                .collect()
        }
        _ => {
            let first = next_id(txn, table).await?;
            Ok((first..first + count as i64).collect())
        }
    }
}
