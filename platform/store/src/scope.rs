//! Wall 1 of tenant isolation: a typed tenant scope.
//!
//! Architecture invariant: every store function that reads or writes tenant
//! data takes a [`TenantScope`] and runs inside [`enter`], which filters by
//! it and (on PostgreSQL) sets `app.tenant_id` for row-level security in the
//! same transaction. Outside this crate a scope can only be obtained from an
//! authenticated session, or by an operator command that names the tenant.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::StoreError;

/// The one tenant whose data an operation may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TenantScope {
    tenant_id: i64,
}

impl TenantScope {
    pub(crate) fn new(tenant_id: i64) -> TenantScope {
        TenantScope { tenant_id }
    }

    pub fn tenant_id(self) -> i64 {
        self.tenant_id
    }
}

/// Sets the transaction's tenant for row-level security. Must be the first
/// statement on tenant data in a transaction; the setting ends with it.
pub(crate) async fn enter<C: ConnectionTrait>(
    txn: &C,
    scope: TenantScope,
) -> Result<(), StoreError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('app.tenant_id', $1, true)",
            [scope.tenant_id.to_string().into()],
        ))
        .await?;
    }
    Ok(())
}
