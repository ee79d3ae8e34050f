//! What the plugin runtime keeps: installed packages (a platform table:
//! immutable once installed), each tenant's activations, the plugins' own
//! records and metrics, and the referral suggestions they make. Every
//! tenant-side function takes the scope, as everywhere in the store; a
//! plugin's records are further confined to the plugin.

use chrono::{DateTime, NaiveDate, Utc};
use kentro_domain::keys::{AccountId, PersonId, SuggestionId};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::StoreError;
use crate::audit::{self, Access};
use crate::entity::{
    person, plugin_activation, plugin_metric, plugin_package, plugin_record, referral_suggestion,
};
use crate::ids::next_id;
use crate::people::PersonRecord;
use crate::scope::{PlatformTxn, ScopedTxn, TenantEntity, TenantScope};
use crate::transaction::Db;

/// A package to install (already verified by the runtime).
#[derive(Debug, Clone)]
pub struct NewPackage {
    pub id: String,
    pub version: String,
    pub manifest: String,
    pub signature: String,
    pub sha256: String,
    pub wasm: Vec<u8>,
}

/// What one plugin may keep at one center.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageQuota {
    pub documents: u64,
    pub bytes: u64,
    pub collections: u64,
}

impl Default for StorageQuota {
    fn default() -> Self {
        StorageQuota {
            documents: 50_000,
            bytes: 64 * 1024 * 1024,
            collections: 64,
        }
    }
}

/// A plugin's storage at a center, and the record about to be written.
struct StorageUsage {
    documents: u64,
    bytes: u64,
    collections: u64,
    record_exists: bool,
    record_bytes: u64,
    collection_exists: bool,
}

async fn storage_usage(
    txn: &ScopedTxn,
    plugin_id: &str,
    record: Option<(&str, &str)>,
) -> Result<StorageUsage, StoreError> {
    use sea_orm::{ConnectionTrait, DbBackend};
    // A custom expression's own parameters are `$1`, `$2` on PostgreSQL
    // and `?` on SQLite.
    let (bytes, first, second) = match txn.get_database_backend() {
        DbBackend::Postgres => ("octet_length(body)", "$1", "$2"),
        _ => ("length(CAST(body AS BLOB))", "?", "?"),
    };
    let (collection, id) = record.unwrap_or(("", ""));
    let (documents, total_bytes, collections, record_bytes, collection_exists): (
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = plugin_record::Entity::find_in(txn)
        .filter(plugin_record::Column::PluginId.eq(plugin_id))
        .select_only()
        .column_as(Expr::cust("CAST(count(*) AS BIGINT)"), "documents")
        .column_as(
            Expr::cust(format!("CAST(coalesce(sum({bytes}), 0) AS BIGINT)")),
            "bytes",
        )
        .column_as(
            Expr::cust("CAST(count(DISTINCT collection) AS BIGINT)"),
            "collections",
        )
        .column_as(
            Expr::cust_with_values(
                format!(
                    "CAST(coalesce(max(CASE WHEN collection = {first} AND id = {second} THEN {bytes} END), -1) AS BIGINT)"
                ),
                [collection, id],
            ),
            "record_bytes",
        )
        .column_as(
            Expr::cust_with_values(
                format!(
                    "CAST(coalesce(max(CASE WHEN collection = {first} THEN 1 ELSE 0 END), 0) AS BIGINT)"
                ),
                [collection],
            ),
            "collection_exists",
        )
        .into_tuple()
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::corrupt("plugin storage", "no usage row"))?;
    Ok(StorageUsage {
        documents: documents as u64,
        bytes: total_bytes as u64,
        collections: collections as u64,
        record_exists: record_bytes >= 0,
        record_bytes: std::cmp::max(record_bytes, 0) as u64,
        collection_exists: collection_exists == 1,
    })
}

#[derive(Debug, Clone)]
pub struct PackageRecord {
    pub id: String,
    pub version: String,
    pub manifest: String,
    /// The publisher's signature over `manifest`, checked again at every load.
    pub signature: String,
    pub sha256: String,
    pub wasm: Vec<u8>,
    pub installed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSummary {
    pub id: String,
    pub version: String,
    pub sha256: String,
    pub installed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallOutcome {
    Installed,
    /// The same id, version and bytes were installed already.
    Unchanged,
}

/// A tenant's use of a plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct Activation {
    pub plugin_id: String,
    pub version: String,
    pub config: serde_json::Value,
    /// `enabled`, `disabled` or `suspended` (after repeated failures).
    pub status: String,
    pub consecutive_failures: i32,
    pub status_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub collection: String,
    pub id: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub id: SuggestionId,
    pub person_id: PersonId,
    pub plugin_id: String,
    pub title: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

impl From<referral_suggestion::Model> for Suggestion {
    fn from(row: referral_suggestion::Model) -> Suggestion {
        Suggestion {
            id: SuggestionId::new(row.id),
            person_id: PersonId::new(row.person_id),
            plugin_id: row.plugin_id,
            title: row.title,
            reason: row.reason,
            created_at: row.created_at,
        }
    }
}

/// People columns a plugin may filter on (with the field declared).
pub const FILTERABLE_PERSON_FIELDS: [&str; 4] =
    ["employment_status", "education_level", "area", "gender"];

fn activation_from(row: plugin_activation::Model) -> Activation {
    Activation {
        plugin_id: row.plugin_id,
        version: row.version,
        config: serde_json::from_str(&row.config).unwrap_or(serde_json::Value::Null),
        status: row.status,
        consecutive_failures: row.consecutive_failures,
        status_reason: row.status_reason,
        updated_at: row.updated_at,
    }
}

pub struct Plugins<'a> {
    db: &'a Db,
}

impl<'a> Plugins<'a> {
    pub(crate) fn new(db: &'a Db) -> Self {
        Plugins { db }
    }

    /// Installs a package. An id and version are installed once: the same
    /// bytes again change nothing, other bytes under the same version are
    /// refused (a new version is a new package).
    pub async fn install(
        &self,
        package: NewPackage,
        installed_by: &str,
    ) -> Result<InstallOutcome, StoreError> {
        let txn = PlatformTxn::begin(self.db).await?;
        let existing =
            plugin_package::Entity::find_by_id((package.id.clone(), package.version.clone()))
                .one(&txn)
                .await?;
        if let Some(existing) = existing {
            return if existing.sha256 == package.sha256 {
                Ok(InstallOutcome::Unchanged)
            } else {
                Err(StoreError::conflict(
                    "version",
                    format!(
                        "{} {} is installed with other contents; publish a new version",
                        package.id, package.version
                    ),
                ))
            };
        }
        let (id, version, sha256) = (
            package.id.clone(),
            package.version.clone(),
            package.sha256.clone(),
        );
        plugin_package::ActiveModel {
            id: Set(package.id),
            version: Set(package.version),
            manifest: Set(package.manifest),
            signature: Set(package.signature),
            sha256: Set(package.sha256),
            wasm: Set(package.wasm),
            installed_at: Set(Utc::now()),
            installed_by: Set(installed_by.to_owned()),
        }
        .insert(&txn)
        .await?;
        crate::audit::append_platform(
            &txn,
            &crate::audit::AuditEvent {
                actor: crate::audit::Actor {
                    account_id: None,
                    name: installed_by.to_owned(),
                    role: "platform".into(),
                },
                action: "plugin.installed".into(),
                entity_type: "plugin".into(),
                entity_id: format!("{} {}", id, version),
                purpose: format!("sha256 {sha256}"),
                request_id: String::new(),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(InstallOutcome::Installed)
    }

    pub async fn package(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Option<PackageRecord>, StoreError> {
        Ok(
            plugin_package::Entity::find_by_id((id.to_owned(), version.to_owned()))
                .one(self.db)
                .await?
                .map(|row| PackageRecord {
                    id: row.id,
                    version: row.version,
                    manifest: row.manifest,
                    signature: row.signature,
                    sha256: row.sha256,
                    wasm: row.wasm,
                    installed_at: row.installed_at,
                }),
        )
    }

    /// Installed packages, without their bytes.
    pub async fn packages(&self) -> Result<Vec<PackageSummary>, StoreError> {
        let rows: Vec<(String, String, String, DateTime<Utc>)> = plugin_package::Entity::find()
            .select_only()
            .column(plugin_package::Column::Id)
            .column(plugin_package::Column::Version)
            .column(plugin_package::Column::Sha256)
            .column(plugin_package::Column::InstalledAt)
            .order_by_asc(plugin_package::Column::Id)
            .order_by_asc(plugin_package::Column::InstalledAt)
            .into_tuple()
            .all(self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, version, sha256, installed_at)| PackageSummary {
                id,
                version,
                sha256,
                installed_at,
            })
            .collect())
    }

    /// Enables (or re-enables, upgrades, rolls back) a plugin for a tenant;
    /// the failure count starts again.
    pub async fn enable(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        version: &str,
        config: &serde_json::Value,
        access: &Access<'_>,
    ) -> Result<Activation, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = plugin_activation::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            plugin_id: Set(plugin_id.to_owned()),
            version: Set(version.to_owned()),
            config: Set(config.to_string()),
            status: Set("enabled".into()),
            consecutive_failures: Set(0),
            status_reason: Set(None),
            updated_at: Set(Utc::now()),
        };
        plugin_activation::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    plugin_activation::Column::TenantId,
                    plugin_activation::Column::PluginId,
                ])
                .update_columns([
                    plugin_activation::Column::Version,
                    plugin_activation::Column::Config,
                    plugin_activation::Column::Status,
                    plugin_activation::Column::ConsecutiveFailures,
                    plugin_activation::Column::StatusReason,
                    plugin_activation::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            access,
            "plugin.enabled",
            "plugin",
            format!("{plugin_id}@{version}"),
        );
        let row = plugin_activation::Entity::find_id_in(&txn, plugin_id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("plugin activation"))?;
        txn.commit().await?;
        Ok(activation_from(row))
    }

    pub async fn disable(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        access: &Access<'_>,
    ) -> Result<Activation, StoreError> {
        self.set_status(scope, plugin_id, "disabled", None, Some(access))
            .await
    }

    async fn set_status(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        status: &str,
        reason: Option<String>,
        access: Option<&Access<'_>>,
    ) -> Result<Activation, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = plugin_activation::Entity::find_id_in(&txn, plugin_id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("Plugin"))?;
        let mut active: plugin_activation::ActiveModel = row.into();
        active.status = Set(status.to_owned());
        active.status_reason = Set(reason);
        active.updated_at = Set(Utc::now());
        let row = active.update(&txn).await?;
        if let Some(access) = access {
            audit::record(
                &txn,
                access,
                &format!("plugin.{status}"),
                "plugin",
                plugin_id,
            );
        }
        txn.commit().await?;
        Ok(activation_from(row))
    }

    pub async fn activation(
        &self,
        scope: TenantScope,
        plugin_id: &str,
    ) -> Result<Option<Activation>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = plugin_activation::Entity::find_id_in(&txn, plugin_id.to_owned())
            .one(&txn)
            .await?;
        txn.commit().await?;
        Ok(row.map(activation_from))
    }

    pub async fn activations(&self, scope: TenantScope) -> Result<Vec<Activation>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = plugin_activation::Entity::find_in(&txn)
            .order_by_asc(plugin_activation::Column::PluginId)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(activation_from).collect())
    }

    /// Counts a call's outcome: a success clears the count; the
    /// `threshold`-th failure in a row suspends the plugin for the tenant.
    /// Returns the activation as it now is.
    pub async fn record_outcome(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        failure: Option<&str>,
        threshold: i32,
    ) -> Result<Option<Activation>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let Some(row) = plugin_activation::Entity::find_id_in(&txn, plugin_id.to_owned())
            .one(&txn)
            .await?
        else {
            return Ok(None);
        };
        if failure.is_none() && row.consecutive_failures == 0 {
            return Ok(Some(activation_from(row)));
        }
        let failures = match failure {
            None => 0,
            Some(_) => row.consecutive_failures + 1,
        };
        let mut active: plugin_activation::ActiveModel = row.clone().into();
        active.consecutive_failures = Set(failures);
        if let Some(why) = failure
            && failures >= threshold
            && row.status == "enabled"
        {
            active.status = Set("suspended".into());
            active.status_reason = Set(Some(format!(
                "{failures} failures in a row; the last: {why}"
            )));
            active.updated_at = Set(Utc::now());
            tracing::warn!(tenant = scope.tenant_id(), plugin_id, "plugin suspended");
        }
        let row = active.update(&txn).await?;
        txn.commit().await?;
        Ok(Some(activation_from(row)))
    }

    pub async fn get_record(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        collection: &str,
        id: &str,
    ) -> Result<Option<StoredDocument>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = plugin_record::Entity::find_in(&txn)
            .filter(plugin_record::Column::PluginId.eq(plugin_id))
            .filter(plugin_record::Column::Collection.eq(collection))
            .filter(plugin_record::Column::Id.eq(id))
            .one(&txn)
            .await?;
        txn.commit().await?;
        Ok(row.map(|r| StoredDocument {
            collection: r.collection,
            id: r.id,
            body: r.body,
        }))
    }

    /// Writes a record, within the plugin's storage quota at this center.
    pub async fn put_record(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        collection: &str,
        id: &str,
        body: &str,
        quota: &StorageQuota,
    ) -> Result<(), StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let usage = storage_usage(&txn, plugin_id, Some((collection, id))).await?;
        let body_bytes = body.len() as u64;
        let exceeded = if !usage.record_exists && usage.documents >= quota.documents {
            Some(format!(
                "storage quota: at most {} documents per center",
                quota.documents
            ))
        } else if !usage.collection_exists && usage.collections >= quota.collections {
            Some(format!(
                "storage quota: at most {} collections per center",
                quota.collections
            ))
        } else if usage.bytes - usage.record_bytes + body_bytes > quota.bytes {
            Some(format!(
                "storage quota: at most {} bytes per center",
                quota.bytes
            ))
        } else {
            None
        };
        if let Some(what) = exceeded {
            return Err(StoreError::QuotaExceeded { what });
        }
        let row = plugin_record::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            plugin_id: Set(plugin_id.to_owned()),
            collection: Set(collection.to_owned()),
            id: Set(id.to_owned()),
            body: Set(body.to_owned()),
            updated_at: Set(Utc::now()),
        };
        plugin_record::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    plugin_record::Column::TenantId,
                    plugin_record::Column::PluginId,
                    plugin_record::Column::Collection,
                    plugin_record::Column::Id,
                ])
                .update_columns([
                    plugin_record::Column::Body,
                    plugin_record::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn delete_record(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        collection: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let result = plugin_record::Entity::delete_in(&txn)
            .filter(plugin_record::Column::PluginId.eq(plugin_id))
            .filter(plugin_record::Column::Collection.eq(collection))
            .filter(plugin_record::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(result.rows_affected > 0)
    }

    /// A whole collection, in id order (at most `limit` documents).
    pub async fn records(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        collection: &str,
        limit: u64,
    ) -> Result<Vec<StoredDocument>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = plugin_record::Entity::find_in(&txn)
            .filter(plugin_record::Column::PluginId.eq(plugin_id))
            .filter(plugin_record::Column::Collection.eq(collection))
            .order_by_asc(plugin_record::Column::Id)
            .limit(limit)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| StoredDocument {
                collection: r.collection,
                id: r.id,
                body: r.body,
            })
            .collect())
    }

    /// The records of a collection that `keep` accepts, read from the
    /// database one at a time (never the whole collection in memory); an
    /// answer that would pass `max_bytes` is refused rather than cut.
    pub async fn query_records(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        collection: &str,
        keep: impl Fn(&str) -> bool,
        max_bytes: u64,
    ) -> Result<Vec<StoredDocument>, StoreError> {
        use futures::TryStreamExt;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let mut found = Vec::new();
        let mut bytes = 0u64;
        {
            let mut rows = plugin_record::Entity::find_in(&txn)
                .filter(plugin_record::Column::PluginId.eq(plugin_id))
                .filter(plugin_record::Column::Collection.eq(collection))
                .order_by_asc(plugin_record::Column::Id)
                .stream(&txn)
                .await?;
            while let Some(row) = rows.try_next().await? {
                if !keep(&row.body) {
                    continue;
                }
                bytes += (row.id.len() + row.body.len()) as u64;
                if bytes > max_bytes {
                    return Err(StoreError::QuotaExceeded {
                        what: format!(
                            "the answer would pass {max_bytes} bytes; ask for fewer records"
                        ),
                    });
                }
                found.push(StoredDocument {
                    collection: row.collection,
                    id: row.id,
                    body: row.body,
                });
            }
        }
        txn.commit().await?;
        Ok(found)
    }

    /// Adds to a metric for today.
    pub async fn add_metric(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        name: &str,
        value: f64,
        day: NaiveDate,
    ) -> Result<(), StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = plugin_metric::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            plugin_id: Set(plugin_id.to_owned()),
            name: Set(name.to_owned()),
            day: Set(day),
            value: Set(value),
        };
        plugin_metric::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    plugin_metric::Column::TenantId,
                    plugin_metric::Column::PluginId,
                    plugin_metric::Column::Name,
                    plugin_metric::Column::Day,
                ])
                .value(
                    plugin_metric::Column::Value,
                    Expr::col((plugin_metric::Entity, plugin_metric::Column::Value)).add(value),
                )
                .to_owned(),
            )
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// A tenant's metric totals per plugin and name.
    pub async fn metric_totals(
        &self,
        scope: TenantScope,
    ) -> Result<Vec<(String, String, f64)>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = plugin_metric::Entity::find_in(&txn).all(&txn).await?;
        txn.commit().await?;
        let mut totals: std::collections::BTreeMap<(String, String), f64> = Default::default();
        for row in rows {
            *totals.entry((row.plugin_id, row.name)).or_default() += row.value;
        }
        Ok(totals.into_iter().map(|((p, n), v)| (p, n, v)).collect())
    }

    /// Records a suggestion for a person of the tenant; `NotFound` for anyone else.
    pub async fn suggest(
        &self,
        scope: TenantScope,
        plugin_id: &str,
        person_id: PersonId,
        title: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let person_id = person_id.get();
        let txn = ScopedTxn::begin(self.db, scope).await?;
        if person::Entity::find_id_in(&txn, person_id)
            .one(&txn)
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("Person"));
        }
        referral_suggestion::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            id: Set(next_id(&txn, "referral_suggestion").await?),
            person_id: Set(person_id),
            plugin_id: Set(plugin_id.to_owned()),
            title: Set(title.chars().take(200).collect()),
            reason: Set(reason.chars().take(2000).collect()),
            created_at: Set(Utc::now()),
            dismissed_at: Set(None),
            dismissed_by: Set(None),
            dismissed_reason: Set(None),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// A case worker's answer to a suggestion: not for this person, and why.
    /// Dismissed suggestions are no longer listed. `NotFound` for another
    /// center's, or one already dismissed.
    pub async fn dismiss_suggestion(
        &self,
        scope: TenantScope,
        id: SuggestionId,
        reason: &str,
        access: &Access<'_>,
    ) -> Result<Suggestion, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = referral_suggestion::Entity::find_id_in(&txn, id.get())
            .one(&txn)
            .await?
            .filter(|r| r.dismissed_at.is_none())
            .ok_or_else(|| StoreError::not_found("ReferralSuggestion"))?;
        let mut active: referral_suggestion::ActiveModel = row.into();
        active.dismissed_at = Set(Some(Utc::now()));
        active.dismissed_by = Set(access.actor.account_id.map(AccountId::get));
        active.dismissed_reason = Set(Some(reason.chars().take(2000).collect()));
        let row = active.update(&txn).await?;
        crate::audit::record(
            &txn,
            access,
            "suggestion.dismissed",
            "referral_suggestion",
            id.to_string(),
        );
        txn.commit().await?;
        Ok(Suggestion::from(row))
    }

    /// The center's suggestions nobody has answered yet, newest first.
    pub async fn pending_suggestions(
        &self,
        scope: TenantScope,
        limit: u64,
    ) -> Result<Vec<Suggestion>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = referral_suggestion::Entity::find_in(&txn)
            .filter(referral_suggestion::Column::DismissedAt.is_null())
            .order_by_desc(referral_suggestion::Column::Id)
            .limit(limit)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(Suggestion::from).collect())
    }

    pub async fn suggestions(
        &self,
        scope: TenantScope,
        person_id: PersonId,
    ) -> Result<Vec<Suggestion>, StoreError> {
        let person_id = person_id.get();
        let txn = ScopedTxn::begin(self.db, scope).await?;
        // Another center's person (or none) is not found, as everywhere.
        person::Entity::find_id_in(&txn, person_id)
            .one(&txn)
            .await?
            .ok_or(StoreError::not_found("Person"))?;
        let rows = referral_suggestion::Entity::find_in(&txn)
            .filter(referral_suggestion::Column::PersonId.eq(person_id))
            .filter(referral_suggestion::Column::DismissedAt.is_null())
            .order_by_asc(referral_suggestion::Column::Id)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(Suggestion::from).collect())
    }

    /// People of the tenant whose `field` (one of
    /// [`FILTERABLE_PERSON_FIELDS`]) equals `value`, at most `limit`, the
    /// read audited under `access`.
    pub async fn people_where(
        &self,
        scope: TenantScope,
        field: &str,
        value: &str,
        limit: u64,
        access: &Access<'_>,
    ) -> Result<Vec<PersonRecord>, StoreError> {
        let column = match field {
            "employment_status" => person::Column::EmploymentStatus,
            "education_level" => person::Column::EducationLevel,
            "area" => person::Column::Area,
            "gender" => person::Column::Gender,
            other => {
                return Err(StoreError::invalid(
                    "field",
                    format!("people cannot be filtered by {other}"),
                ));
            }
        };
        let txn = ScopedTxn::begin_read(self.db, scope).await?;
        let rows = person::Entity::find_in(&txn)
            .filter(column.eq(value))
            .order_by_asc(person::Column::Id)
            .limit(limit)
            .all(&txn)
            .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
        if !ids.is_empty() {
            audit::record(&txn, access, "person.read", "person", ids.join(","));
        }
        txn.commit().await?;
        rows.into_iter().map(PersonRecord::try_from).collect()
    }

    /// One person of the tenant (audited), or `None`.
    pub async fn person(
        &self,
        scope: TenantScope,
        id: PersonId,
        access: &Access<'_>,
    ) -> Result<Option<PersonRecord>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let found = crate::people::load_many(&txn, &[id], access).await?;
        txn.commit().await?;
        Ok(found.into_iter().next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DatabaseTarget, Store};

    #[tokio::test]
    async fn a_plugin_keeps_no_more_than_its_quota_at_a_center() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&DatabaseTarget::SqliteFile(dir.path().join("k.db")))
            .await
            .unwrap();
        store.migrate(None).await.unwrap();
        {
            use sea_orm::ConnectionTrait;
            for (id, slug) in [(1, "a"), (2, "b")] {
                store
                    .db
                    .execute_unprepared(&format!(
                        "INSERT INTO tenant (id, slug, name_el, name_latin, region, funding_programme,
                         manifest, created_at, updated_at) VALUES ({id}, '{slug}', 'Α', 'A', 'attica',
                         'x', '{{}}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
                    ))
                    .await
                    .unwrap();
            }
        }
        let scope = TenantScope::new(1);
        let quota = StorageQuota {
            documents: 3,
            bytes: 40,
            collections: 2,
        };
        let plugins = store.plugins();
        let put = |collection: &'static str, id: &'static str, body: &'static str| {
            plugins.put_record(scope, "tutoring", collection, id, body, &quota)
        };
        put("a", "1", "{\"n\":1}").await.unwrap();
        put("a", "2", "{\"n\":2}").await.unwrap();
        put("b", "1", "{\"n\":3}").await.unwrap();
        let refused = |r: Result<(), StoreError>| match r {
            Err(StoreError::QuotaExceeded { what }) => what,
            other => panic!("{other:?}"),
        };
        assert!(refused(put("a", "3", "{}").await).contains("3 documents"));
        assert!(refused(put("c", "1", "{}").await).contains("documents"));
        // Rewriting a record within the byte budget is fine; growing past it is not.
        put("a", "1", "{\"n\":10}").await.unwrap();
        let big = "{\"text\":\"..............................\"}";
        assert!(refused(put("a", "1", big).await).contains("40 bytes"));
        // Another plugin, and another center, have quotas of their own.
        plugins
            .put_record(TenantScope::new(2), "tutoring", "a", "9", "{}", &quota)
            .await
            .unwrap();
        plugins
            .put_record(scope, "job-market", "x", "1", "{}", &quota)
            .await
            .unwrap();

        // Queries read one record at a time and refuse an answer too big.
        let everything = plugins
            .query_records(scope, "tutoring", "a", |_| true, 1000)
            .await
            .unwrap();
        assert_eq!(everything.len(), 2);
        let tens = plugins
            .query_records(scope, "tutoring", "a", |body| body.contains("10"), 1000)
            .await
            .unwrap();
        assert_eq!(tens.len(), 1);
        assert!(matches!(
            plugins
                .query_records(scope, "tutoring", "a", |_| true, 10)
                .await,
            Err(StoreError::QuotaExceeded { .. })
        ));
    }

    /// Everything a plugin keeps at a center besides its records' quota:
    /// its records, metrics and suggestions, and the people it may read, are
    /// that center's; another center, or another plugin, finds none of them.
    #[tokio::test]
    async fn a_plugins_records_metrics_suggestions_and_people_stay_with_their_center() {
        let centers = crate::test_databases::two_centers().await;
        let (ours, theirs) = (centers.ours, centers.theirs);
        let plugins = centers.store.plugins();
        let access = crate::test_databases::as_operator();
        let quota = StorageQuota {
            documents: 10,
            bytes: 1_000,
            collections: 3,
        };
        let (person, _) =
            crate::test_databases::person_with_a_case(&centers.store, ours, "Αλεξίου").await;

        // Records: read, listed and deleted only where they were written.
        plugins
            .put_record(
                ours,
                "tutoring",
                "groups",
                "g1",
                "{\"name\":\"Α1\"}",
                &quota,
            )
            .await
            .unwrap();
        let read = plugins
            .get_record(ours, "tutoring", "groups", "g1")
            .await
            .unwrap()
            .expect("our record");
        assert_eq!(read.body, "{\"name\":\"Α1\"}");
        assert!(
            plugins
                .get_record(theirs, "tutoring", "groups", "g1")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            plugins
                .get_record(ours, "job-market", "groups", "g1")
                .await
                .unwrap()
                .is_none(),
            "another plugin's records are not this one's"
        );
        assert!(
            plugins
                .records(theirs, "tutoring", "groups", 100)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            !plugins
                .delete_record(theirs, "tutoring", "groups", "g1")
                .await
                .unwrap(),
            "another center deletes nothing"
        );
        assert_eq!(
            plugins
                .records(ours, "tutoring", "groups", 100)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            plugins
                .delete_record(ours, "tutoring", "groups", "g1")
                .await
                .unwrap()
        );
        assert!(
            plugins
                .records(ours, "tutoring", "groups", 100)
                .await
                .unwrap()
                .is_empty()
        );

        // Metrics add up per center, plugin and name.
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        plugins
            .add_metric(ours, "tutoring", "sessions", 2.0, day)
            .await
            .unwrap();
        plugins
            .add_metric(ours, "tutoring", "sessions", 1.5, day)
            .await
            .unwrap();
        plugins
            .add_metric(theirs, "tutoring", "sessions", 7.0, day)
            .await
            .unwrap();
        assert_eq!(
            plugins.metric_totals(ours).await.unwrap(),
            [("tutoring".to_owned(), "sessions".to_owned(), 3.5)]
        );

        // A suggestion is for one of the center's own people, and only the
        // center sees and answers it.
        assert!(matches!(
            plugins
                .suggest(theirs, "job-market", person, "Παραπομπή", "x")
                .await,
            Err(StoreError::NotFound { .. })
        ));
        plugins
            .suggest(ours, "job-market", person, "Παραπομπή στη ΔΥΠΑ", "Σύνδεση")
            .await
            .unwrap();
        let pending = plugins.pending_suggestions(ours, 10).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].title, "Παραπομπή στη ΔΥΠΑ");
        assert_eq!(plugins.suggestions(ours, person).await.unwrap().len(), 1);
        assert!(
            plugins
                .pending_suggestions(theirs, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            plugins.suggestions(theirs, person).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            plugins
                .dismiss_suggestion(theirs, pending[0].id, "όχι", &access)
                .await,
            Err(StoreError::NotFound { .. })
        ));
        plugins
            .dismiss_suggestion(ours, pending[0].id, "Εργάζεται ήδη", &access)
            .await
            .unwrap();
        assert!(
            plugins
                .pending_suggestions(ours, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            plugins
                .dismiss_suggestion(ours, pending[0].id, "ξανά", &access)
                .await,
            Err(StoreError::NotFound { .. })
        ));

        // People: only the center's own, and only by the fields plugins may
        // filter on.
        assert_eq!(
            plugins
                .person(ours, person, &access)
                .await
                .unwrap()
                .map(|p| p.id),
            Some(person)
        );
        assert!(
            plugins
                .person(theirs, person, &access)
                .await
                .unwrap()
                .is_none()
        );
        let gender = "not_stated";
        assert_eq!(
            plugins
                .people_where(ours, "gender", gender, 10, &access)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            plugins
                .people_where(theirs, "gender", gender, 10, &access)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            plugins.people_where(ours, "amka", "x", 10, &access).await,
            Err(StoreError::Invalid { .. })
        ));
    }
}
