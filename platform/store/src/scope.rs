//! Wall 1 of tenant isolation: a typed tenant scope, carried by the
//! transaction itself.
//!
//! Architecture invariant: the only way to read or change a tenant's rows is
//! through a [`ScopedTxn`], which begins the transaction, sets `app.tenant_id`
//! for PostgreSQL's row-level security (wall 2) in it, and carries the scope;
//! and through [`TenantEntity`], whose queries add the tenant filter
//! themselves. No repository begins a transaction or writes a tenant filter by
//! hand: `tidy.rs` fails the build's tests when one does. Outside this crate a
//! scope can only be obtained from an authenticated session, or by an operator
//! command that names the tenant.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kentro_domain::keys::TenantId;
use sea_orm::sea_query::IntoCondition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, DeleteMany, EntityTrait, ExecResult,
    FromQueryResult, PrimaryKeyTrait, QueryFilter, QueryResult, RelationDef, Select, Statement,
    StreamTrait, UpdateMany,
};

use crate::StoreError;
use crate::entity::{audit_entry, audit_pending};
use crate::read_audit::ReadAudit;
use crate::transaction::{Db, Plans, RowStream, Transaction, scope_settings};

/// The one tenant whose data an operation may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TenantScope {
    tenant_id: i64,
}

impl TenantScope {
    pub(crate) fn new(tenant_id: i64) -> TenantScope {
        TenantScope { tenant_id }
    }

    pub(crate) fn of(tenant: TenantId) -> TenantScope {
        TenantScope::new(tenant.get())
    }

    /// The municipality's key.
    pub fn id(self) -> TenantId {
        TenantId::new(self.tenant_id)
    }

    /// The key as the database keeps it, for the store's queries.
    pub(crate) fn tenant_id(self) -> i64 {
        self.tenant_id
    }
}

/// A transaction on one tenant's data. Dropping it without [`commit`]
/// rolls back.
///
/// [`commit`]: ScopedTxn::commit
pub(crate) struct ScopedTxn {
    txn: Transaction,
    scope: TenantScope,
    audited: Audited,
    /// For a transaction that only reads, on PostgreSQL: where its entries
    /// go once it has committed (see `read_audit.rs`).
    read_audit: Option<ReadAudit>,
}

/// The audit entries a transaction recorded, written in one statement just
/// before it commits (or leaves its tenant's scope), and the tenants they
/// belong to, whose logs then wait for the sealer (see `audit::seal`).
#[derive(Default)]
struct Audited {
    entries: std::sync::Mutex<Vec<PendingEntry>>,
    tenants: Vec<i64>,
}

/// One text column of `rows` as an array parameter, moved out of the rows,
/// which are not needed after (the audit's statements bind their columns so).
fn text_array<T>(rows: &mut [T], field: fn(&mut T) -> &mut String) -> sea_orm::Value {
    (rows.iter_mut())
        .map(|row| std::mem::take(field(row)))
        .collect::<Vec<_>>()
        .into()
}

/// The text fields every table of audit entries holds, in column order:
/// actor, actor_role, action, entity_type, entity_id, purpose, request_id.
trait EventTexts {
    fn event_texts(&mut self) -> [&mut String; 7];
}

macro_rules! event_texts {
    ($($row:ty),*) => {$(
        impl EventTexts for $row {
            fn event_texts(&mut self) -> [&mut String; 7] {
                [
                    &mut self.actor,
                    &mut self.actor_role,
                    &mut self.action,
                    &mut self.entity_type,
                    &mut self.entity_id,
                    &mut self.purpose,
                    &mut self.request_id,
                ]
            }
        }
    )*};
}

event_texts!(PendingEntry, audit_entry::Model);

/// [`EventTexts`] of `rows`, each column an array parameter moved out of them.
fn event_text_arrays<T: EventTexts>(rows: &mut [T]) -> [sea_orm::Value; 7] {
    std::array::from_fn(|column| {
        (rows.iter_mut())
            .map(|row| std::mem::take(row.event_texts()[column]))
            .collect::<Vec<_>>()
            .into()
    })
}

/// An audit entry as a transaction records it: an `audit_pending` row of
/// the transaction's tenant, its key yet to be drawn.
#[derive(Debug, Clone)]
pub(crate) struct PendingEntry {
    pub(crate) at: DateTime<Utc>,
    pub(crate) actor_id: Option<i64>,
    pub(crate) actor: String,
    pub(crate) actor_role: String,
    pub(crate) action: String,
    pub(crate) entity_type: String,
    pub(crate) entity_id: String,
    pub(crate) purpose: String,
    pub(crate) request_id: String,
}

impl Audited {
    fn take_entries(&self) -> Vec<PendingEntry> {
        std::mem::take(
            &mut *self
                .entries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Writes the recorded entries inside `txn`, which is in their scope.
    ///
    /// On PostgreSQL in one statement of one text whatever their number, the
    /// columns bound as arrays and unnested, as the sealer writes the chain:
    /// sea-orm's multi-row insert was a statement built and formatted for
    /// every audited request, and a new text for each count of entries.
    async fn write(&mut self, txn: &Transaction, scope: TenantScope) -> Result<(), StoreError> {
        let mut entries = self.take_entries();
        if entries.is_empty() {
            return Ok(());
        }
        if ConnectionTrait::get_database_backend(txn) == DbBackend::Postgres {
            let ats: Vec<DateTime<Utc>> = entries.iter().map(|e| e.at).collect();
            // Arrays bind without null elements, and an account's id is
            // positive: 0 stands for an entry no account made.
            let actor_ids: Vec<i64> = entries.iter().map(|e| e.actor_id.unwrap_or(0)).collect();
            let values = [scope.tenant_id.into(), ats.into(), actor_ids.into()]
                .into_iter()
                .chain(event_text_arrays(&mut entries));
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO audit_pending (tenant_id, at, actor_id, actor, actor_role, action, \
                   entity_type, entity_id, purpose, request_id) \
                 SELECT $1, e.at, NULLIF(e.actor_id, 0), e.actor, e.actor_role, e.action, \
                   e.entity_type, e.entity_id, e.purpose, e.request_id \
                   FROM unnest($2::timestamptz[], $3::bigint[], $4::text[], $5::text[], \
                     $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) \
                     AS e(at, actor_id, actor, actor_role, action, entity_type, entity_id, \
                       purpose, request_id)",
                values,
            ))
            .await?;
        } else {
            let ids = crate::ids::next_ids(txn, "audit_pending", entries.len()).await?;
            let rows = entries
                .into_iter()
                .zip(ids)
                .map(|(e, id)| audit_pending::ActiveModel {
                    tenant_id: sea_orm::Set(scope.tenant_id),
                    id: sea_orm::Set(id),
                    at: sea_orm::Set(e.at),
                    actor_id: sea_orm::Set(e.actor_id),
                    actor: sea_orm::Set(e.actor),
                    actor_role: sea_orm::Set(e.actor_role),
                    action: sea_orm::Set(e.action),
                    entity_type: sea_orm::Set(e.entity_type),
                    entity_id: sea_orm::Set(e.entity_id),
                    purpose: sea_orm::Set(e.purpose),
                    request_id: sea_orm::Set(e.request_id),
                });
            audit_pending::Entity::insert_many(rows)
                .exec_without_returning(txn)
                .await?;
        }
        if !self.tenants.contains(&scope.tenant_id) {
            self.tenants.push(scope.tenant_id);
        }
        Ok(())
    }

    fn committed(self) {
        crate::audit::awaiting_seal(&self.tenants);
    }
}

impl ScopedTxn {
    pub(crate) async fn begin(db: &Db, scope: TenantScope) -> Result<ScopedTxn, StoreError> {
        ScopedTxn::begin_planned(db, scope, Plans::Cached).await
    }

    /// Begins a transaction of `scope` whose statements PostgreSQL plans as
    /// `plans` says: [`Plans::Fresh`] for the jobs over tables that fill and
    /// drain, [`Plans::Cached`] (what [`ScopedTxn::begin`] gives) otherwise.
    pub(crate) async fn begin_planned(
        db: &Db,
        scope: TenantScope,
        plans: Plans,
    ) -> Result<ScopedTxn, StoreError> {
        Ok(ScopedTxn {
            txn: Transaction::begin_planned(db, Some((scope.tenant_id, plans))).await?,
            scope,
            audited: Audited::default(),
            read_audit: None,
        })
    }

    /// Begins a transaction of `scope` that only reads. On PostgreSQL the
    /// database refuses its writes, and its audit entries are written after
    /// it commits, with other reads' (`read_audit.rs`), before
    /// [`ScopedTxn::commit`] returns; on SQLite it is [`ScopedTxn::begin`]'s.
    pub(crate) async fn begin_read(db: &Db, scope: TenantScope) -> Result<ScopedTxn, StoreError> {
        let Some(read_audit) = db.read_audit() else {
            return ScopedTxn::begin(db, scope).await;
        };
        Ok(ScopedTxn {
            txn: Transaction::begin_read_only(db, scope.tenant_id).await?,
            scope,
            audited: Audited::default(),
            read_audit: Some(read_audit.clone()),
        })
    }

    pub(crate) fn tenant_id(&self) -> i64 {
        self.scope.tenant_id
    }

    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        if let Some(read_audit) = self.read_audit.take() {
            let entries = self.audited.take_entries();
            self.txn.commit().await?;
            if entries.is_empty() {
                return Ok(());
            }
            return Box::pin(read_audit.write(self.scope, entries)).await;
        }
        Box::pin(self.audited.write(&self.txn, self.scope)).await?;
        self.txn.commit().await?;
        self.audited.committed();
        Ok(())
    }

    /// Records an audit entry of this transaction's tenant, written with the
    /// others it records when it commits.
    pub(crate) fn record_audit(&self, entry: PendingEntry) {
        self.audited
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(entry);
    }

    /// Every row of the tenant in `table` (a name from the schema's own
    /// catalog, never from a request), as JSON: the offboarding export.
    pub(crate) async fn rows_of(&self, table: &str) -> Result<Vec<serde_json::Value>, StoreError> {
        let backend = ConnectionTrait::get_database_backend(&self.txn);
        let placeholder = if backend == DbBackend::Postgres {
            "$1"
        } else {
            "?"
        };
        Ok(
            serde_json::Value::find_by_statement(Statement::from_sql_and_values(
                backend,
                format!("SELECT * FROM {table} WHERE tenant_id = {placeholder}"),
                [self.tenant_id().into()],
            ))
            .all(self)
            .await?,
        )
    }

    /// The same transaction, to go on with the platform's tables (and enter
    /// another tenant's scope). `app.tenant_id` keeps its value until then,
    /// but without a `ScopedTxn` no query of ours reads a tenant's rows.
    pub(crate) async fn into_platform(mut self) -> Result<PlatformTxn, StoreError> {
        self.audited.write(&self.txn, self.scope).await?;
        Ok(PlatformTxn {
            txn: self.txn,
            audited: self.audited,
        })
    }

    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        Ok(self.txn.rollback().await?)
    }

    /// Adds entries to this tenant's chain (already sequenced and hashed).
    ///
    /// On PostgreSQL in one statement of one text whatever their number,
    /// the columns bound as arrays and unnested: a multi-row `VALUES` of 13
    /// parameters a row was a new statement for every batch size, built,
    /// parsed and planned afresh each time the sealer ran.
    pub(crate) async fn add_audit_entries(
        &self,
        mut entries: Vec<audit_entry::Model>,
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        if ConnectionTrait::get_database_backend(&self.txn) != DbBackend::Postgres {
            audit_entry::Entity::insert_many(
                entries.into_iter().map(audit_entry::ActiveModel::from),
            )
            .exec_without_returning(&self.txn)
            .await?;
            return Ok(());
        }
        // Arrays bind without null elements, and an account's id is
        // positive: 0 stands for an entry no account made.
        let actor_ids: Vec<i64> = entries.iter().map(|e| e.actor_id.unwrap_or(0)).collect();
        let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
        let ats: Vec<_> = entries.iter().map(|e| e.at).collect();
        let values = [
            self.tenant_id().into(),
            seqs.into(),
            ats.into(),
            actor_ids.into(),
        ]
        .into_iter()
        .chain(event_text_arrays(&mut entries))
        .chain([
            text_array(&mut entries, |e| &mut e.prev_hash),
            text_array(&mut entries, |e| &mut e.hash),
        ]);
        self.txn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO audit_entry (tenant_id, seq, at, actor_id, actor, actor_role, action, \
                   entity_type, entity_id, purpose, request_id, prev_hash, hash) \
                 SELECT $1, e.seq, e.at, NULLIF(e.actor_id, 0), e.actor, e.actor_role, e.action, \
                   e.entity_type, e.entity_id, e.purpose, e.request_id, e.prev_hash, e.hash \
                   FROM unnest($2::bigint[], $3::timestamptz[], $4::bigint[], $5::text[], \
                     $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
                     $12::text[], $13::text[]) \
                     AS e(seq, at, actor_id, actor, actor_role, action, entity_type, entity_id, \
                       purpose, request_id, prev_hash, hash)",
                values,
            ))
            .await?;
        Ok(())
    }

    /// Removes sealed entries from `audit_pending`.
    ///
    /// On PostgreSQL the keys are bound as one array: an `IN` list of one
    /// parameter per entry was a new statement text for every batch size,
    /// each prepared, planned and kept in the connection's statement cache
    /// in place of the statements requests use.
    pub(crate) async fn remove_pending(&self, ids: Vec<i64>) -> Result<(), StoreError> {
        if ConnectionTrait::get_database_backend(&self.txn) == DbBackend::Postgres {
            self.txn
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "DELETE FROM audit_pending WHERE tenant_id = $1 AND id = ANY($2::bigint[])",
                    [self.tenant_id().into(), ids.into()],
                ))
                .await?;
            return Ok(());
        }
        audit_pending::Entity::delete_in(self)
            .filter(audit_pending::Column::Id.is_in(ids))
            .exec(self)
            .await?;
        Ok(())
    }

    /// Adds this tenant's `audit_subject` rows: for each entity the sealed
    /// list reads name, the entries of the batch that name it.
    ///
    /// On PostgreSQL in one statement of one text whatever their number, the
    /// columns bound as arrays and unnested.
    pub(crate) async fn add_audit_subjects(
        &self,
        postings: Vec<SubjectPosting>,
    ) -> Result<(), StoreError> {
        use crate::entity::audit_subject;
        let rows = postings.into_iter().filter_map(|posting| {
            let first_seq = *posting.seqs.first()?;
            let seqs: Vec<String> = posting.seqs.iter().map(i64::to_string).collect();
            Some(audit_subject::Model {
                tenant_id: self.tenant_id(),
                entity_id: posting.entity_id,
                entity_type: posting.entity_type,
                first_seq,
                seqs: seqs.join(","),
            })
        });
        if ConnectionTrait::get_database_backend(&self.txn) == DbBackend::Postgres {
            let (mut entity_ids, mut entity_types, mut first_seqs, mut seqs) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for row in rows {
                entity_ids.push(row.entity_id);
                entity_types.push(row.entity_type);
                first_seqs.push(row.first_seq);
                seqs.push(row.seqs);
            }
            if entity_ids.is_empty() {
                return Ok(());
            }
            self.txn
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "INSERT INTO audit_subject (tenant_id, entity_id, entity_type, first_seq, seqs) \
                     SELECT $1, s.entity_id, s.entity_type, s.first_seq, s.seqs \
                       FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[]) \
                         AS s(entity_id, entity_type, first_seq, seqs)",
                    [
                        self.tenant_id().into(),
                        entity_ids.into(),
                        entity_types.into(),
                        first_seqs.into(),
                        seqs.into(),
                    ],
                ))
                .await?;
            return Ok(());
        }
        let mut rows = rows.map(audit_subject::ActiveModel::from);
        loop {
            let batch: Vec<_> = rows.by_ref().take(SQLITE_SUBJECTS_PER_STATEMENT).collect();
            if batch.is_empty() {
                return Ok(());
            }
            audit_subject::Entity::insert_many(batch)
                .exec_without_returning(&self.txn)
                .await?;
        }
    }

    /// The condition that an `audit_entry` row of this tenant is among those
    /// its `audit_subject` rows list for an entity (of `entity_type`, when
    /// given): the posting lists found by their key, then unnested.
    pub(crate) fn listed_as_subject(
        &self,
        entity_type: Option<&str>,
        entity_id: &str,
    ) -> sea_orm::sea_query::Expr {
        let postgres = ConnectionTrait::get_database_backend(&self.txn) == DbBackend::Postgres;
        let expand = if postgres {
            "SELECT unnest(string_to_array(s.seqs, ','))::bigint FROM audit_subject s"
        } else {
            "SELECT j.value FROM audit_subject s, json_each('[' || s.seqs || ']') j"
        };
        let (tenant, entity, kind) = if postgres {
            ("$1", "$2", "$3")
        } else {
            ("?", "?", "?")
        };
        let mut sql = format!(
            "\"audit_entry\".\"seq\" IN ({expand} WHERE s.tenant_id = {tenant} AND s.entity_id = {entity}"
        );
        let mut values: Vec<sea_orm::Value> = vec![self.tenant_id().into(), entity_id.into()];
        if let Some(entity_type) = entity_type {
            sql.push_str(&format!(" AND s.entity_type = {kind}"));
            values.push(entity_type.into());
        }
        sql.push(')');
        sea_orm::sea_query::Expr::cust_with_values(sql, values)
    }
}

/// The entries of one sealing batch that name an entity in a list read, in
/// the order they were sealed: one `audit_subject` row.
pub(crate) struct SubjectPosting {
    pub(crate) entity_type: String,
    pub(crate) entity_id: String,
    pub(crate) seqs: Vec<i64>,
}

/// Subject rows per SQLite statement: five parameters a row, and SQLite
/// binds at most 32,766 to a statement.
const SQLITE_SUBJECTS_PER_STATEMENT: usize = 1_000;

/// A transaction on the platform's own tables (tenants, accounts, packages,
/// the national catalog and aggregates). It cannot read a tenant's rows
/// through [`TenantEntity`]; [`enter`](PlatformTxn::enter) turns it into a
/// [`ScopedTxn`] when the same transaction must also write to one tenant.
pub(crate) struct PlatformTxn {
    txn: Transaction,
    audited: Audited,
}

impl PlatformTxn {
    pub(crate) async fn begin(db: &Db) -> Result<PlatformTxn, StoreError> {
        Ok(PlatformTxn {
            txn: Transaction::begin(db, None).await?,
            audited: Audited::default(),
        })
    }

    /// Sets the transaction's tenant for row-level security (see
    /// [`scope_settings`]); the setting ends with the transaction.
    /// [`ScopedTxn::begin`] makes the same settings in `BEGIN`'s round trip.
    pub(crate) async fn enter(self, scope: TenantScope) -> Result<ScopedTxn, StoreError> {
        if ConnectionTrait::get_database_backend(&self.txn) == DbBackend::Postgres {
            self.txn
                .execute_unprepared(&scope_settings(scope.tenant_id, Plans::Cached))
                .await?;
        }
        Ok(ScopedTxn {
            txn: self.txn,
            scope,
            audited: self.audited,
            read_audit: None,
        })
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.txn.commit().await?;
        self.audited.committed();
        Ok(())
    }
}

macro_rules! delegate_connection {
    ($t:ty) => {
        #[async_trait]
        impl ConnectionTrait for $t {
            fn get_database_backend(&self) -> DbBackend {
                ConnectionTrait::get_database_backend(&self.txn)
            }

            async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
                self.txn.execute_raw(stmt).await
            }

            async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
                self.txn.execute_unprepared(sql).await
            }

            async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
                self.txn.query_one_raw(stmt).await
            }

            async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
                self.txn.query_all_raw(stmt).await
            }
        }
    };
}

delegate_connection!(ScopedTxn);

impl StreamTrait for ScopedTxn {
    type Stream<'a> = RowStream<'a>;

    fn get_database_backend(&self) -> DbBackend {
        ConnectionTrait::get_database_backend(&self.txn)
    }

    fn stream_raw<'a>(
        &'a self,
        stmt: Statement,
    ) -> Pin<Box<dyn Future<Output = Result<Self::Stream<'a>, DbErr>> + 'a + Send>> {
        Box::pin(self.txn.stream(stmt))
    }
}
delegate_connection!(PlatformTxn);

/// A table whose rows belong to one tenant. Its queries take the
/// [`ScopedTxn`] and filter by its tenant, so no caller writes the filter.
pub(crate) trait TenantEntity: EntityTrait {
    fn tenant_column() -> Self::Column;

    fn tenant_condition(txn: &ScopedTxn) -> impl IntoCondition {
        Self::tenant_column().eq(txn.tenant_id())
    }

    /// Every row of the transaction's tenant.
    fn find_in(txn: &ScopedTxn) -> Select<Self> {
        Self::find().filter(Self::tenant_condition(txn))
    }

    /// The row of the transaction's tenant with this key (the primary key
    /// less its leading `tenant_id`).
    fn find_id_in<K>(txn: &ScopedTxn, key: K) -> Select<Self>
    where
        (i64, K): Into<<Self::PrimaryKey as PrimaryKeyTrait>::ValueType>,
    {
        Self::find_by_id((txn.tenant_id(), key))
    }

    fn update_in(txn: &ScopedTxn) -> UpdateMany<Self> {
        Self::update_many().filter(Self::tenant_condition(txn))
    }

    fn delete_in(txn: &ScopedTxn) -> DeleteMany<Self> {
        Self::delete_many().filter(Self::tenant_condition(txn))
    }
}

/// How a row of `From` reaches the row of `To` its `from_key` names: by the
/// key and by the tenant both, so a join from a [`TenantEntity::find_in`]
/// query never meets another tenant's row, even where no row-level
/// security stands behind it (SQLite, accounts).
pub(crate) fn same_tenant<From: TenantEntity, To: TenantEntity + Default>(
    from_key: From::Column,
    to_key: To::Column,
) -> RelationDef {
    From::belongs_to(To::default())
        .from((From::tenant_column(), from_key))
        .to((To::tenant_column(), to_key))
        .into()
}

macro_rules! tenant_entities {
    ($($table:ident),* $(,)?) => {
        $(
            impl TenantEntity for crate::entity::$table::Entity {
                fn tenant_column() -> Self::Column {
                    crate::entity::$table::Column::TenantId
                }
            }
        )*
        /// The tables behind row-level security, whose rows only a
        /// [`ScopedTxn`] reaches.
        #[cfg(test)]
        pub(crate) const TENANT_TABLES: &[&str] = &[$(stringify!($table)),*];
    };
}

tenant_entities!(
    appointment,
    audit_entry,
    audit_pending,
    audit_subject,
    case_event,
    case_file,
    case_note,
    center,
    consent,
    directory_record,
    household,
    household_member,
    invitation,
    kea_application,
    kea_document,
    notification,
    partner_key,
    partner_link,
    person,
    plugin_activation,
    plugin_metric,
    plugin_record,
    referral,
    referral_suggestion,
    tenant_plugin,
);

/// A center's staff accounts, read outside a transaction (accounts are not
/// behind row-level security).
pub(crate) fn accounts_of(scope: TenantScope) -> Select<crate::entity::user_account::Entity> {
    use crate::entity::user_account;
    user_account::Entity::find().filter(user_account::Column::TenantId.eq(scope.tenant_id))
}

/// A center's staff accounts. Accounts are not behind row-level security
/// (platform accounts have no tenant, and a login finds its account by
/// e-mail), but a center's list of colleagues is read in its scope.
impl TenantEntity for crate::entity::user_account::Entity {
    fn tenant_column() -> Self::Column {
        crate::entity::user_account::Column::TenantId
    }
}
