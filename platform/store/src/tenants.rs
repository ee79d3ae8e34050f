//! The platform's registry of tenants, written from manifests.

use chrono::{DateTime, Utc};
use kentro_domain::keys::{AccountId, TenantId};
use kentro_domain::tenant::SuspensionReason;
use kentro_domain::{TenantManifest, TenantSlug};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::StoreError;
use crate::account_cache::AccountCache;
use crate::audit::{self, Actor, AuditEvent};
use crate::entity::{
    appointment, center, directory_record, invitation, partner_key, plugin_activation, tenant,
    tenant_offboarding, tenant_plugin, tenant_suspension, user_account,
};
use crate::scope::{PlatformTxn, ScopedTxn, TenantEntity, TenantScope};
use crate::transaction::Db;

/// What applying one manifest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Created,
    Updated,
    Unchanged,
}

impl ApplyOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyOutcome::Created => "created",
            ApplyOutcome::Updated => "updated",
            ApplyOutcome::Unchanged => "unchanged",
        }
    }
}

/// A tenant as the platform knows it.
#[derive(Debug, Clone)]
pub struct TenantRecord {
    pub id: TenantId,
    pub manifest: TenantManifest,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while the municipality is suspended: no logins, data kept.
    pub suspension: Option<Suspension>,
    /// Set once the municipality is offboarded, until it is reactivated
    /// within the grace period.
    pub offboarding: Option<Offboarding>,
}

/// A municipality leaving the platform: its staff cannot log in (it is
/// suspended too), and its data is deleted once the grace period ends,
/// unless it is reactivated before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offboarding {
    pub since: DateTime<Utc>,
    pub delete_after: DateTime<Utc>,
    /// When its data was deleted, and how many rows that removed.
    pub deleted: Option<(DateTime<Utc>, i64)>,
}

/// Tables with a `tenant_id` that hold the platform's view of a tenant, not
/// its records: left out of its export, and kept when its data is deleted
/// (the PostgreSQL function of migration 0022 names the same).
const NOT_THE_TENANTS: [&str; 4] = [
    "tenant_suspension",
    "tenant_offboarding",
    "indicator_cell",
    "tenant_indicator_state",
];

/// Every table that has a `tenant_id` column, read from the schema's own
/// catalog so that a new table is never forgotten.
async fn tables_with_tenant_id<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, StoreError> {
    use sea_orm::{DbBackend, FromQueryResult, JsonValue, Statement};
    let backend = db.get_database_backend();
    let catalog = match backend {
        DbBackend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.columns
              WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY 1"
        }
        _ => {
            "SELECT m.name AS name FROM sqlite_master m, pragma_table_info(m.name) p
              WHERE m.type = 'table' AND p.name = 'tenant_id' ORDER BY 1"
        }
    };
    Ok(
        JsonValue::find_by_statement(Statement::from_string(backend, catalog))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|row| row["name"].as_str().map(str::to_owned))
            .filter(|name| !NOT_THE_TENANTS.contains(&name.as_str()))
            .collect(),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    pub since: DateTime<Utc>,
    pub reason: String,
}

/// How far a municipality is from its center working: the counts its
/// readiness checklist is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Readiness {
    /// Coordinators (tenant_admin) who have accepted and are not disabled.
    pub coordinators: u64,
    /// Other staff accounts, not disabled.
    pub staff: u64,
    /// Invitations not yet accepted, withdrawn or expired.
    pub pending_invitations: u64,
    /// Services in the center's own directory.
    pub directory_services: u64,
    /// Partner organisations' keys not revoked.
    pub partner_keys: u64,
    /// Plugins enabled for the municipality.
    pub plugins_enabled: u64,
}

pub struct TenantRegistry<'a> {
    db: &'a Db,
    account_cache: &'a AccountCache,
}

impl<'a> TenantRegistry<'a> {
    pub(crate) fn new(db: &'a Db, account_cache: &'a AccountCache) -> Self {
        TenantRegistry { db, account_cache }
    }

    /// Applies the manifests in one transaction: all of them or none.
    /// Applying the same manifests again changes nothing; a creation or an
    /// update is recorded in the tenant's audit log.
    pub async fn apply(
        &self,
        manifests: &[TenantManifest],
        actor: &Actor,
        request_id: &str,
    ) -> Result<Vec<(TenantSlug, ApplyOutcome)>, StoreError> {
        let mut txn = PlatformTxn::begin(self.db).await?;
        let mut outcomes = Vec::with_capacity(manifests.len());
        for manifest in manifests {
            let outcome;
            (txn, outcome) = apply_one(txn, manifest, actor, request_id).await?;
            outcomes.push((manifest.slug.clone(), outcome));
        }
        txn.commit().await?;
        Ok(outcomes)
    }

    /// Suspends a municipality: every session of its staff ends at once and
    /// no login is accepted until it is reactivated; its data is kept.
    /// Audited in the tenant's own log.
    pub async fn suspend(
        &self,
        slug: &TenantSlug,
        reason: &SuspensionReason,
        actor: &Actor,
        request_id: &str,
    ) -> Result<TenantRecord, StoreError> {
        self.set_suspension(slug, Some(reason.as_str()), actor, request_id)
            .await
    }

    /// Lets a suspended municipality's staff log in again.
    pub async fn reactivate(
        &self,
        slug: &TenantSlug,
        actor: &Actor,
        request_id: &str,
    ) -> Result<TenantRecord, StoreError> {
        self.set_suspension(slug, None, actor, request_id).await
    }

    async fn set_suspension(
        &self,
        slug: &TenantSlug,
        reason: Option<&str>,
        actor: &Actor,
        request_id: &str,
    ) -> Result<TenantRecord, StoreError> {
        let (txn, row) = self.find_for_change(slug).await?;
        let scope = TenantScope::new(row.id);
        let txn = txn.enter(scope).await?;
        let now = Utc::now();
        let current = current_suspension(&txn, scope.tenant_id()).await?;
        let offboarding = current_offboarding(&txn, scope.tenant_id()).await?;
        if let Some(offboarding) = &offboarding {
            if let Some(deleted_at) = offboarding.deleted_at {
                return Err(StoreError::conflict(
                    "slug",
                    format!(
                        "the municipality's data was deleted on {}",
                        deleted_at.format("%Y-%m-%d")
                    ),
                ));
            }
            if reason.is_some() {
                return Err(StoreError::conflict(
                    "slug",
                    "the municipality is being offboarded, so it is suspended already",
                ));
            }
        }
        match (reason, current) {
            (Some(reason), None) => suspend_in(&txn, reason, actor, now).await?,
            (Some(_), Some(_)) => {
                return Err(StoreError::conflict(
                    "slug",
                    "the municipality is suspended already",
                ));
            }
            (None, Some(current)) => {
                let mut lifted: tenant_suspension::ActiveModel = current.into();
                lifted.lifted_at = Set(Some(now));
                lifted.update(&txn).await?;
            }
            (None, None) if offboarding.is_none() => {
                return Err(StoreError::conflict(
                    "slug",
                    "the municipality is not suspended",
                ));
            }
            (None, None) => {}
        }
        if let Some(offboarding) = offboarding {
            let mut cancelled: tenant_offboarding::ActiveModel = offboarding.into();
            cancelled.cancelled_at = Set(Some(now));
            cancelled.update(&txn).await?;
            let event = lifecycle_event(
                actor,
                "tenant.offboarding_cancelled",
                scope,
                "reactivated within the grace period",
                request_id,
            );
            audit::append(&txn, &event);
            audit::append_platform(&txn, &event).await?;
        }
        let event = lifecycle_event(
            actor,
            if reason.is_some() {
                "tenant.suspended"
            } else {
                "tenant.reactivated"
            },
            scope,
            reason.unwrap_or("reactivate"),
            request_id,
        );
        audit::append(&txn, &event);
        audit::append_platform(&txn, &event).await?;
        let record = with_lifecycle(&txn, TenantRecord::try_from(row)?).await?;
        txn.commit().await?;
        // The staff's sessions ended with the suspension.
        self.account_cache.forget_accounts();
        Ok(record)
    }

    /// The tenant's row, read in a transaction that goes on to change it.
    async fn find_for_change(
        &self,
        slug: &TenantSlug,
    ) -> Result<(PlatformTxn, tenant::Model), StoreError> {
        let txn = PlatformTxn::begin(self.db).await?;
        let row = tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(slug.as_str()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("Tenant"))?;
        Ok((txn, row))
    }

    /// Offboards a municipality: its staff's sessions end and their logins
    /// are refused at once (it is suspended, if it was not already); its
    /// data stays for `grace`, for its export, and is deleted afterwards by
    /// [`delete_offboarded`](Self::delete_offboarded) unless it is
    /// reactivated first. Audited in its log and the platform's.
    pub async fn offboard(
        &self,
        slug: &TenantSlug,
        grace: chrono::Duration,
        actor: &Actor,
        request_id: &str,
    ) -> Result<TenantRecord, StoreError> {
        let (txn, row) = self.find_for_change(slug).await?;
        let scope = TenantScope::new(row.id);
        let txn = txn.enter(scope).await?;
        if let Some(current) = current_offboarding(&txn, scope.tenant_id()).await? {
            return Err(StoreError::conflict(
                "slug",
                match current.deleted_at {
                    Some(_) => "the municipality's data has been deleted already",
                    None => "the municipality is being offboarded already",
                },
            ));
        }
        let now = Utc::now();
        let delete_after = now + grace;
        tenant_offboarding::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            offboarded_at: Set(now),
            offboarded_by: Set(actor.account_id.map(AccountId::get)),
            delete_after: Set(delete_after),
            cancelled_at: Set(None),
            deleted_at: Set(None),
            deleted_rows: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if current_suspension(&txn, scope.tenant_id()).await?.is_none() {
            suspend_in(&txn, "offboarded", actor, now).await?;
        }
        let event = lifecycle_event(
            actor,
            "tenant.offboarded",
            scope,
            &format!(
                "data deleted after {}",
                delete_after.format("%Y-%m-%d %H:%M UTC")
            ),
            request_id,
        );
        audit::append(&txn, &event);
        audit::append_platform(&txn, &event).await?;
        let record = with_lifecycle(&txn, TenantRecord::try_from(row)?).await?;
        txn.commit().await?;
        // The staff's sessions ended with the suspension.
        self.account_cache.forget_accounts();
        Ok(record)
    }

    /// Deletes the data of every municipality whose offboarding's grace
    /// period has passed: each row of each table with a `tenant_id`, its
    /// audit log included, except the platform's own view of it. The
    /// platform's audit log records each deletion and how many rows it
    /// removed. Returns the municipalities deleted.
    pub async fn delete_offboarded(&self) -> Result<Vec<(TenantSlug, i64)>, StoreError> {
        let due = tenant_offboarding::Entity::find()
            .filter(tenant_offboarding::Column::CancelledAt.is_null())
            .filter(tenant_offboarding::Column::DeletedAt.is_null())
            .filter(tenant_offboarding::Column::DeleteAfter.lte(Utc::now()))
            .all(self.db)
            .await?;
        let mut deleted = Vec::with_capacity(due.len());
        for offboarding in due {
            deleted.push(self.delete_tenant_data(offboarding).await?);
        }
        Ok(deleted)
    }

    async fn delete_tenant_data(
        &self,
        offboarding: tenant_offboarding::Model,
    ) -> Result<(TenantSlug, i64), StoreError> {
        use sea_orm::{DbBackend, Statement};
        let tenant_id = offboarding.tenant_id;
        let row = tenant::Entity::find_by_id(tenant_id)
            .one(self.db)
            .await?
            .ok_or_else(|| StoreError::not_found("Tenant"))?;
        let slug = TenantRecord::try_from(row)?.manifest.slug;
        // What was recorded must be on the chain before the chain goes.
        crate::audit::seal(self.db, TenantScope::new(tenant_id)).await?;
        let txn = PlatformTxn::begin(self.db).await?;
        let removed = match txn.get_database_backend() {
            DbBackend::Postgres => {
                // The server's role may not delete audit entries; the
                // owner's function does, and only past the grace period.
                let row = txn
                    .query_one_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT kentro_delete_offboarded_tenant($1) AS removed",
                        [tenant_id.into()],
                    ))
                    .await?
                    .ok_or_else(|| {
                        StoreError::corrupt("Tenant", "the deletion returned nothing")
                    })?;
                row.try_get::<i64>("", "removed")?
            }
            backend => {
                // Marked deleted first: the audit tables' triggers allow
                // deleting only such a municipality's rows.
                let now = Utc::now();
                let mut marked: tenant_offboarding::ActiveModel = offboarding.into();
                marked.deleted_at = Set(Some(now));
                let marked = marked.update(&txn).await?;
                txn.execute_raw(Statement::from_string(
                    backend,
                    "PRAGMA defer_foreign_keys = ON",
                ))
                .await?;
                let mut removed = 0;
                for table in tables_with_tenant_id(&txn).await? {
                    removed += txn
                        .execute_raw(Statement::from_sql_and_values(
                            backend,
                            format!("DELETE FROM {table} WHERE tenant_id = ?"),
                            [tenant_id.into()],
                        ))
                        .await?
                        .rows_affected() as i64;
                }
                let mut counted: tenant_offboarding::ActiveModel = marked.into();
                counted.deleted_rows = Set(Some(removed));
                counted.update(&txn).await?;
                removed
            }
        };
        audit::append_platform(
            &txn,
            &AuditEvent {
                actor: Actor::server_job("offboarding"),
                action: "tenant.deleted".into(),
                entity_type: "tenant".into(),
                entity_id: tenant_id.to_string(),
                purpose: format!("grace period over: {removed} rows deleted"),
                request_id: String::new(),
            },
        )
        .await?;
        txn.commit().await?;
        Ok((slug, removed))
    }

    /// Every tenant, by slug.
    pub async fn list(&self) -> Result<Vec<TenantRecord>, StoreError> {
        let suspended = tenant_suspension::Entity::find()
            .filter(tenant_suspension::Column::LiftedAt.is_null())
            .all(self.db)
            .await?;
        let offboarded = tenant_offboarding::Entity::find()
            .filter(tenant_offboarding::Column::CancelledAt.is_null())
            .all(self.db)
            .await?;
        tenant::Entity::find()
            .order_by_asc(tenant::Column::Slug)
            .all(self.db)
            .await?
            .into_iter()
            .map(|row| {
                let mut record = TenantRecord::try_from(row)?;
                record.suspension = suspended
                    .iter()
                    .find(|s| s.tenant_id == record.id.get())
                    .map(suspension_of);
                record.offboarding = offboarded
                    .iter()
                    .find(|o| o.tenant_id == record.id.get())
                    .map(offboarding_of);
                Ok(record)
            })
            .collect()
    }

    /// The tenant a scope belongs to.
    pub async fn of_scope(&self, scope: TenantScope) -> Result<Option<TenantRecord>, StoreError> {
        match tenant::Entity::find_by_id(scope.tenant_id())
            .one(self.db)
            .await?
        {
            Some(row) => Ok(Some(
                with_lifecycle(self.db, TenantRecord::try_from(row)?).await?,
            )),
            None => Ok(None),
        }
    }

    /// Every record of a municipality, for its offboarding: each table that
    /// holds tenant data (found in the schema, so a new table is never
    /// forgotten), read inside its scope, without secrets (password, token
    /// and key hashes); its directory as an HSDS 3.0 bundle; its manifest.
    /// Audited in its own log and the platform's.
    pub async fn export(
        &self,
        tenant: &TenantRecord,
        actor: &Actor,
        request_id: &str,
    ) -> Result<serde_json::Value, StoreError> {
        /// Columns that are secrets, whatever table they are in.
        const SECRETS: [&str; 3] = ["password_hash", "token_hash", "key_hash"];
        if let Some(Offboarding {
            deleted: Some((at, _)),
            ..
        }) = &tenant.offboarding
        {
            return Err(StoreError::conflict(
                "slug",
                format!(
                    "the municipality's data was deleted on {}; only an export taken before then holds it",
                    at.format("%Y-%m-%d")
                ),
            ));
        }
        let scope = TenantScope::of(tenant.id);
        // The log goes out chained, as `audit verify` would check it.
        crate::audit::seal(self.db, scope).await?;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let tables = tables_with_tenant_id(&txn).await?;
        let mut out = serde_json::Map::new();
        for table in tables {
            let rows = txn
                .rows_of(&table)
                .await?
                .into_iter()
                .map(|mut row| {
                    if let Some(object) = row.as_object_mut() {
                        for secret in SECRETS {
                            object.remove(secret);
                        }
                    }
                    row
                })
                .collect();
            out.insert(table, serde_json::Value::Array(rows));
        }
        let event = AuditEvent {
            actor: actor.clone(),
            action: "tenant.exported".into(),
            entity_type: "tenant".into(),
            entity_id: tenant.manifest.slug.to_string(),
            purpose: "offboarding export".into(),
            request_id: request_id.into(),
        };
        audit::append(&txn, &event);
        audit::append_platform(&txn, &event).await?;
        txn.commit().await?;
        let directory = crate::Directory::new(self.db)
            .snapshot(crate::DirectoryScope::Tenant(scope))
            .await?;
        Ok(serde_json::json!({
            "municipality": tenant.manifest.to_json(),
            "exported_at": Utc::now(),
            "tables": out,
            "directory_hsds": kentro_domain::hsds::bundle(&directory.records),
        }))
    }

    /// The counts of a municipality's readiness checklist, read inside its
    /// scope (the row-level security of its tables holds).
    pub async fn readiness(&self, tenant: &TenantRecord) -> Result<Readiness, StoreError> {
        let scope = TenantScope::of(tenant.id);
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let accounts = || {
            user_account::Entity::find_in(&txn).filter(user_account::Column::DisabledAt.is_null())
        };
        let coordinators = accounts()
            .filter(user_account::Column::Role.eq("tenant_admin"))
            .count(&txn)
            .await?;
        let staff = accounts()
            .filter(user_account::Column::Role.ne("tenant_admin"))
            .count(&txn)
            .await?;
        let pending_invitations = invitation::Entity::find_in(&txn)
            .filter(invitation::Column::AcceptedAt.is_null())
            .filter(invitation::Column::RevokedAt.is_null())
            .filter(invitation::Column::ExpiresAt.gt(Utc::now()))
            .count(&txn)
            .await?;
        let directory_services = directory_record::Entity::find_in(&txn)
            .filter(directory_record::Column::Resource.eq("service"))
            .count(&txn)
            .await?;
        let partner_keys = partner_key::Entity::find_in(&txn)
            .filter(partner_key::Column::RevokedAt.is_null())
            .count(&txn)
            .await?;
        let plugins_enabled = plugin_activation::Entity::find_in(&txn)
            .filter(plugin_activation::Column::Status.eq("enabled"))
            .count(&txn)
            .await?;
        txn.commit().await?;
        Ok(Readiness {
            coordinators,
            staff,
            pending_invitations,
            directory_services,
            partner_keys,
            plugins_enabled,
        })
    }

    pub async fn by_slug(&self, slug: &TenantSlug) -> Result<Option<TenantRecord>, StoreError> {
        match tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(slug.as_str()))
            .one(self.db)
            .await?
        {
            Some(row) => Ok(Some(
                with_lifecycle(self.db, TenantRecord::try_from(row)?).await?,
            )),
            None => Ok(None),
        }
    }
}

/// The suspension in force for a tenant, if any.
pub(crate) async fn current_suspension<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
) -> Result<Option<tenant_suspension::Model>, StoreError> {
    Ok(tenant_suspension::Entity::find()
        .filter(tenant_suspension::Column::TenantId.eq(tenant_id))
        .filter(tenant_suspension::Column::LiftedAt.is_null())
        .one(db)
        .await?)
}

fn suspension_of(row: &tenant_suspension::Model) -> Suspension {
    Suspension {
        since: row.suspended_at,
        reason: row.reason.clone(),
    }
}

/// The offboarding in force for a tenant (not cancelled), if any.
pub(crate) async fn current_offboarding<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
) -> Result<Option<tenant_offboarding::Model>, StoreError> {
    Ok(tenant_offboarding::Entity::find()
        .filter(tenant_offboarding::Column::TenantId.eq(tenant_id))
        .filter(tenant_offboarding::Column::CancelledAt.is_null())
        .one(db)
        .await?)
}

fn offboarding_of(row: &tenant_offboarding::Model) -> Offboarding {
    Offboarding {
        since: row.offboarded_at,
        delete_after: row.delete_after,
        deleted: row
            .deleted_at
            .map(|at| (at, row.deleted_rows.unwrap_or_default())),
    }
}

/// Suspends the tenant the transaction is in and ends its staff's sessions.
async fn suspend_in(
    txn: &ScopedTxn,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tenant_suspension::ActiveModel {
        tenant_id: Set(txn.tenant_id()),
        suspended_at: Set(now),
        reason: Set(reason.to_owned()),
        suspended_by: Set(actor.account_id.map(AccountId::get)),
        lifted_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    user_account::Entity::update_in(txn)
        .col_expr(
            user_account::Column::SessionsEndedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .exec(txn)
        .await?;
    Ok(())
}

fn lifecycle_event(
    actor: &Actor,
    action: &str,
    scope: TenantScope,
    purpose: &str,
    request_id: &str,
) -> AuditEvent {
    AuditEvent {
        actor: actor.clone(),
        action: action.into(),
        entity_type: "tenant".into(),
        entity_id: scope.tenant_id().to_string(),
        purpose: purpose.into(),
        request_id: request_id.into(),
    }
}

async fn with_lifecycle<C: ConnectionTrait>(
    db: &C,
    mut record: TenantRecord,
) -> Result<TenantRecord, StoreError> {
    record.suspension = current_suspension(db, record.id.get())
        .await?
        .as_ref()
        .map(suspension_of);
    record.offboarding = current_offboarding(db, record.id.get())
        .await?
        .as_ref()
        .map(offboarding_of);
    Ok(record)
}

impl TryFrom<tenant::Model> for TenantRecord {
    type Error = StoreError;

    fn try_from(row: tenant::Model) -> Result<Self, StoreError> {
        let manifest =
            TenantManifest::from_json(&row.manifest).map_err(|e| StoreError::CorruptManifest {
                slug: row.slug.clone(),
                problems: e.to_string(),
            })?;
        Ok(TenantRecord {
            id: TenantId::new(row.id),
            manifest,
            created_at: row.created_at,
            updated_at: row.updated_at,
            suspension: None,
            offboarding: None,
        })
    }
}

/// Applies one manifest inside the transaction, which it hands back for the
/// next.
async fn apply_one(
    txn: PlatformTxn,
    manifest: &TenantManifest,
    actor: &Actor,
    request_id: &str,
) -> Result<(PlatformTxn, ApplyOutcome), StoreError> {
    let canonical = manifest.to_json();
    let existing = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(manifest.slug.as_str()))
        .one(&txn)
        .await?;
    let now = Utc::now();
    let (tenant_id, outcome) = match existing {
        Some(row) if row.manifest == canonical => return Ok((txn, ApplyOutcome::Unchanged)),
        Some(row) => {
            let id = row.id;
            if current_offboarding(&txn, id).await?.is_some() {
                return Err(StoreError::conflict(
                    "slug",
                    format!(
                        "{} is offboarded: reactivate it before changing it",
                        manifest.slug
                    ),
                ));
            }
            let mut active: tenant::ActiveModel = row.into();
            active.name_el = Set(manifest.name_el.clone());
            active.name_latin = Set(manifest.name_latin.clone());
            active.region = Set(manifest.region.code().to_owned());
            active.funding_programme = Set(manifest.funding.programme.clone());
            active.manifest = Set(canonical);
            active.updated_at = Set(now);
            active.update(&txn).await?;
            (id, ApplyOutcome::Updated)
        }
        None => {
            let row = tenant::ActiveModel {
                slug: Set(manifest.slug.to_string()),
                name_el: Set(manifest.name_el.clone()),
                name_latin: Set(manifest.name_latin.clone()),
                region: Set(manifest.region.code().to_owned()),
                funding_programme: Set(manifest.funding.programme.clone()),
                manifest: Set(canonical),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            (row.id, ApplyOutcome::Created)
        }
    };
    let scope = TenantScope::new(tenant_id);
    let txn = txn.enter(scope).await?;
    sync_centers(&txn, manifest).await?;
    sync_plugins(&txn, manifest).await?;
    audit::append(
        &txn,
        &AuditEvent {
            actor: actor.clone(),
            action: "tenant.apply".into(),
            entity_type: "tenant".into(),
            entity_id: manifest.slug.to_string(),
            purpose: format!("manifest {}", outcome.as_str()),
            request_id: request_id.into(),
        },
    );
    if outcome != ApplyOutcome::Unchanged {
        audit::append_platform(
            &txn,
            &AuditEvent {
                actor: actor.clone(),
                action: format!("tenant.{}", outcome.as_str()),
                entity_type: "tenant".into(),
                entity_id: manifest.slug.to_string(),
                purpose: "manifest".into(),
                request_id: request_id.into(),
            },
        )
        .await?;
    }
    Ok((txn.into_platform().await?, outcome))
}

/// Makes the tenant's center rows match the manifest: a center removed from
/// the manifest is deleted, the others are written as the manifest says.
async fn sync_centers(txn: &ScopedTxn, manifest: &TenantManifest) -> Result<(), StoreError> {
    let tenant_id = txn.tenant_id();
    let keys: Vec<&str> = manifest.centers.iter().map(|c| c.key.as_str()).collect();
    let booked = appointment::Entity::find_in(txn)
        .filter(appointment::Column::CenterKey.is_not_in(keys.clone()))
        .one(txn)
        .await?;
    if let Some(booked) = booked {
        return Err(StoreError::invalid(
            "centers",
            format!(
                "center {:?} has appointments, so it cannot leave the manifest; keep it (with no opening hours if it closed)",
                booked.center_key
            ),
        ));
    }
    center::Entity::delete_in(txn)
        .filter(center::Column::Key.is_not_in(keys))
        .exec(txn)
        .await?;
    for c in &manifest.centers {
        let row = center::ActiveModel {
            tenant_id: Set(tenant_id),
            key: Set(c.key.to_string()),
            kind: Set(c.kind.code().to_owned()),
            name: Set(c.name.clone()),
            locality: Set(c.address.as_ref().and_then(|a| a.locality.clone())),
        };
        let exists = center::Entity::find_id_in(txn, c.key.to_string())
            .one(txn)
            .await?
            .is_some();
        if exists {
            row.update(txn).await?;
        } else {
            row.insert(txn).await?;
        }
    }
    Ok(())
}

async fn sync_plugins(txn: &ScopedTxn, manifest: &TenantManifest) -> Result<(), StoreError> {
    let tenant_id = txn.tenant_id();
    tenant_plugin::Entity::delete_in(txn).exec(txn).await?;
    for plugin in &manifest.plugins {
        tenant_plugin::ActiveModel {
            tenant_id: Set(tenant_id),
            plugin_id: Set(plugin.id.to_string()),
            config: Set(serde_json::Value::Object(plugin.config.clone())),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DatabaseTarget, Store};
    use kentro_domain::keys::PersonId;

    const MANIFEST: &str = r#"
slug = "petroupoli"
name_el = "Δήμος Πετρούπολης"
name_latin = "Municipality of Petroupoli"
region = "attica"
[funding]
programme = "Αττική 2014-2020"
[[centers]]
key = "main"
kind = "main"
name = "Κέντρο Κοινότητας Δήμου Πετρούπολης"
address = { street = "Αθ. Διάκου 88Α & Αγ. Δημητρίου", locality = "Πετρούπολη" }
opening_hours = { monday = "09:00-17:00" }
"#;

    async fn sqlite_store(dir: &tempfile::TempDir) -> Store {
        let store = Store::connect(&DatabaseTarget::SqliteFile(dir.path().join("k.db")))
            .await
            .unwrap();
        store.migrate(None).await.unwrap();
        store
    }

    /// Brings a database to the schema of the previous release (the first
    /// eleven migrations), writes a center, a person and their audit trail
    /// there, then upgrades it: the data reads back and the chain verifies.
    async fn upgrading_from_the_previous_release_keeps_the_data(
        server: DatabaseTarget,
        owner: Option<DatabaseTarget>,
    ) {
        use kentro_domain::person::PersonInput;
        use sea_orm_migration::MigratorTrait;
        const PREVIOUS_RELEASE: u32 = 11;
        let migrate_with = owner.clone().unwrap_or_else(|| server.clone());
        let migrator = Store::connect(&migrate_with).await.unwrap();
        crate::migration::Migrator::up(&*migrator.db, Some(PREVIOUS_RELEASE))
            .await
            .unwrap();
        let store = Store::connect(&server).await.unwrap();
        assert_eq!(
            migrator.pending_migrations().await.unwrap().len(),
            crate::migration::Migrator::migrations().len() - PREVIOUS_RELEASE as usize,
            "every later migration is pending"
        );

        // The municipality as that release wrote it: its row (today's
        // application also writes the platform's audit log, 0019).
        let manifest = TenantManifest::from_toml(MANIFEST).unwrap();
        let operator = Actor::operator();
        let now = Utc::now();
        tenant::ActiveModel {
            slug: Set(manifest.slug.to_string()),
            name_el: Set(manifest.name_el.clone()),
            name_latin: Set(manifest.name_latin.clone()),
            region: Set(manifest.region.code().to_owned()),
            funding_programme: Set(manifest.funding.programme.clone()),
            manifest: Set(manifest.to_json()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&store.db)
        .await
        .unwrap();
        let scope = store.operator_scope(&manifest.slug).await.unwrap().unwrap();
        let access = crate::Access {
            actor: &operator,
            purpose: "test",
            request_id: "test",
        };
        let details = PersonInput {
            given_name_el: Some("Ευτέρπη".into()),
            family_name_el: Some("Αναβάθμιση".into()),
            ..PersonInput::default()
        }
        .validate(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        .unwrap();
        // A person, registered as that release did: the row, and its entry
        // chained as it was written (there was no audit_pending yet).
        let person_id = {
            let txn = ScopedTxn::begin(&store.db, scope).await.unwrap();
            let id = crate::ids::next_id(&txn, "person").await.unwrap();
            crate::people::to_active(scope, id, &details, now)
                .insert(&txn)
                .await
                .unwrap();
            let entry = crate::audit::chained_entry(
                scope.tenant_id(),
                None,
                &AuditEvent {
                    actor: operator.clone(),
                    action: "person.register".into(),
                    entity_type: "person".into(),
                    entity_id: id.to_string(),
                    purpose: "test".into(),
                    request_id: "test".into(),
                },
                crate::audit::stamp(),
            );
            crate::entity::audit_entry::ActiveModel::from(entry)
                .insert(&txn)
                .await
                .unwrap();
            txn.commit().await.unwrap();
            id
        };

        store.migrate(owner.as_ref()).await.unwrap();
        assert!(store.pending_migrations().await.unwrap().is_empty());
        let read = store
            .people()
            .get(scope, PersonId::new(person_id), &access)
            .await
            .unwrap()
            .expect("the person written before the upgrade");
        assert_eq!(read.details.family_name_el.as_deref(), Some("Αναβάθμιση"));
        assert_eq!(store.tenants().list().await.unwrap().len(), 1);
        assert!(store.audit_log().checkpoint_all().await.unwrap() >= 1);
        let report = store.audit_log().verify(scope).await.unwrap();
        assert!(report.entries >= 2, "{report:?}");
        assert_eq!(report.first_broken, None, "{report:?}");
    }

    #[tokio::test]
    async fn an_sqlite_database_of_the_previous_release_upgrades_with_its_data() {
        let dir = tempfile::tempdir().unwrap();
        upgrading_from_the_previous_release_keeps_the_data(
            DatabaseTarget::SqliteFile(dir.path().join("k.db")),
            None,
        )
        .await;
    }

    #[tokio::test]
    async fn a_postgres_database_of_the_previous_release_upgrades_with_its_data() {
        let database = crate::test_databases::TestDatabase::create("kentro_upgrade").await;
        upgrading_from_the_previous_release_keeps_the_data(
            database.as_role("kentro_server"),
            Some(database.as_role("kentro_owner")),
        )
        .await;
        database.drop_now().await;
    }

    /// The platform's own log records a municipality created and changed
    /// (not an unchanged one), chained under the audit key: a rewritten
    /// entry is found.
    #[tokio::test]
    async fn the_platform_log_chains_municipalities_created_and_changed() {
        use sea_orm::ConnectionTrait;
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        let manifest = TenantManifest::from_toml(MANIFEST).unwrap();
        let mut renamed = manifest.to_raw();
        renamed.name_latin = "Petroupoli".into();
        let renamed = renamed.validate().unwrap();
        for m in [&manifest, &manifest, &renamed] {
            store
                .tenants()
                .apply(std::slice::from_ref(m), &Actor::operator(), "test")
                .await
                .unwrap();
        }
        let log = store.audit_log();
        let actions: Vec<String> = log
            .platform_entries(10, None)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions,
            ["tenant.updated", "tenant.created"],
            "newest first"
        );
        assert_eq!(log.verify_platform().await.unwrap().first_broken, None);
        assert!(
            log.checkpoint_all().await.unwrap() >= 1,
            "the platform's head too"
        );

        // The file's holder cuts the newest entry, triggers and all: the
        // checkpoint finds it.
        store
            .db
            .execute_unprepared(
                "DROP TRIGGER platform_audit_entry_is_append_only_delete;
                 DELETE FROM platform_audit_entry WHERE seq = 2;",
            )
            .await
            .unwrap();
        let cut = log.verify_platform().await.unwrap();
        assert_eq!(
            cut.first_broken.as_ref().map(|(seq, _)| *seq),
            Some(2),
            "{cut:?}"
        );

        // … and rewrites the first entry.
        store
            .db
            .execute_unprepared(
                "DROP TRIGGER platform_audit_entry_is_append_only_update;
                 UPDATE platform_audit_entry SET purpose = 'nothing to see' WHERE seq = 1;",
            )
            .await
            .unwrap();
        let report = log.verify_platform().await.unwrap();
        assert_eq!(report.entries, 1);
        assert_eq!(
            report.first_broken.as_ref().map(|(seq, _)| *seq),
            Some(1),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn applying_the_same_manifest_twice_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        let manifest = TenantManifest::from_toml(MANIFEST).unwrap();

        let first = store
            .tenants()
            .apply(std::slice::from_ref(&manifest), &Actor::operator(), "test")
            .await
            .unwrap();
        assert_eq!(first[0].1, ApplyOutcome::Created);
        let before = store.tenants().list().await.unwrap();

        let second = store
            .tenants()
            .apply(std::slice::from_ref(&manifest), &Actor::operator(), "test")
            .await
            .unwrap();
        assert_eq!(second[0].1, ApplyOutcome::Unchanged);
        let after = store.tenants().list().await.unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].updated_at, before[0].updated_at);
    }

    #[tokio::test]
    async fn a_center_with_appointments_cannot_leave_the_manifest() {
        use chrono::NaiveDate;
        use kentro_domain::access::{NewPassword, Role};
        use kentro_domain::appointment::AppointmentKind;
        use kentro_domain::contact::Email;
        use kentro_domain::person::PersonInput;

        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        let with_mobile = format!(
            "{MANIFEST}\n[[centers]]\nkey = \"mobile\"\nkind = \"mobile_unit\"\nname = \"Κινητή Μονάδα\"\nserves_areas = [\"Καματερό\"]\nopening_hours = {{ monday = \"09:00-13:00\" }}\n"
        );
        let operator = Actor::operator();
        store
            .tenants()
            .apply(
                &[TenantManifest::from_toml(&with_mobile).unwrap()],
                &operator,
                "test",
            )
            .await
            .unwrap();
        let scope = store
            .operator_scope(&TenantSlug::parse("petroupoli").unwrap())
            .await
            .unwrap()
            .unwrap();
        let email = Email::parse("worker@petroupoli.gr").unwrap();
        let worker = store
            .accounts()
            .create(
                crate::NewAccount {
                    tenant: Some(scope),
                    password: NewPassword::parse("a long enough password", &email).unwrap(),
                    email,
                    display_name: kentro_domain::access::DisplayName::parse("Worker").unwrap(),
                    role: Role::SocialWorker,
                    region: None,
                },
                &operator,
                "test",
            )
            .await
            .unwrap();
        let access = crate::Access {
            actor: &operator,
            purpose: "test",
            request_id: "test",
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let details = PersonInput {
            given_name_el: Some("Άννα".into()),
            family_name_el: Some("Νικολάου".into()),
            ..PersonInput::default()
        }
        .validate(today)
        .unwrap();
        let person = store
            .people()
            .register(scope, &details, &access)
            .await
            .unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        store
            .appointments()
            .book(
                scope,
                crate::Booking {
                    person_id: person.id,
                    staff_id: worker.id,
                    center_key: "mobile".into(),
                    room: None,
                    kind: AppointmentKind::Intake,
                    starts_at: monday.and_hms_opt(10, 0, 0).unwrap(),
                    ends_at: monday.and_hms_opt(10, 30, 0).unwrap(),
                },
                &access,
            )
            .await
            .unwrap();

        let without_mobile = TenantManifest::from_toml(MANIFEST).unwrap();
        let err = store
            .tenants()
            .apply(&[without_mobile], &operator, "test")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { field, problem } if field == "centers" && problem.contains("\"mobile\"")),
            "{err}"
        );
        let centers = center::Entity::find().all(&store.db).await.unwrap();
        assert_eq!(centers.len(), 2, "nothing was applied");
    }

    #[tokio::test]
    async fn the_embedded_database_refuses_to_rewrite_the_audit_log() {
        use sea_orm::ConnectionTrait;
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        let manifest = TenantManifest::from_toml(MANIFEST).unwrap();
        store
            .tenants()
            .apply(&[manifest], &Actor::operator(), "test")
            .await
            .unwrap();
        let scope = store
            .operator_scope(&TenantSlug::parse("petroupoli").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(store.audit_log().verify(scope).await.unwrap().entries, 1);
        for sql in [
            "UPDATE audit_entry SET actor = 'someone-else'",
            "DELETE FROM audit_entry",
        ] {
            let refused = store.db.execute_unprepared(sql).await;
            assert!(refused.is_err(), "{sql} must be refused");
        }
        let report = store.audit_log().verify(scope).await.unwrap();
        assert_eq!((report.entries, report.first_broken), (1, None));
    }

    #[tokio::test]
    async fn a_changed_manifest_updates_the_tenant_and_its_centers() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        let original = TenantManifest::from_toml(MANIFEST).unwrap();
        store
            .tenants()
            .apply(&[original], &Actor::operator(), "test")
            .await
            .unwrap();

        let changed_text = format!(
            "{}\n[[centers]]\nkey = \"mobile\"\nkind = \"mobile_unit\"\nname = \"Κινητή Μονάδα\"\nserves_areas = [\"Καματερό\"]\n",
            MANIFEST.replace("monday = \"09:00-17:00\"", "monday = \"08:00-16:00\"")
        );
        let changed = TenantManifest::from_toml(&changed_text).unwrap();
        let outcome = store
            .tenants()
            .apply(std::slice::from_ref(&changed), &Actor::operator(), "test")
            .await
            .unwrap();
        assert_eq!(outcome[0].1, ApplyOutcome::Updated);

        let slug = TenantSlug::parse("petroupoli").unwrap();
        let record = store.tenants().by_slug(&slug).await.unwrap().unwrap();
        assert_eq!(record.manifest, changed);
        let centers = center::Entity::find().all(&store.db).await.unwrap();
        let keys: Vec<_> = centers.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["main", "mobile"]);
    }
}
