//! The service directory: HSDS records of a tenant's own directory (tenant
//! data) or of the national catalog (a platform table every tenant reads).
//!
//! A directory is public information (the services of a municipality), so
//! besides the scoped reads of staff there is one deliberate public path,
//! [`Directory::published`], which reads one tenant's directory tables, and
//! only those, for the HSDS API and for referrals to another tenant's service.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kentro_domain::TenantSlug;
use kentro_domain::hsds::{self, Problem, Record, RecordSet};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::Value;

use crate::StoreError;
use crate::audit::{self, Access};
use crate::entity::{directory_record, national_directory_record, tenant};
use crate::scope::{PlatformTxn, ScopedTxn, TenantEntity, TenantScope};
use crate::transaction::Db;

/// Whose directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryScope {
    Tenant(TenantScope),
    National,
}

/// A directory's records and when each last changed.
#[derive(Debug, Clone, Default)]
pub struct DirectorySnapshot {
    pub records: RecordSet,
    pub modified: BTreeMap<(String, String), DateTime<Utc>>,
}

impl DirectorySnapshot {
    /// When the object rooted at a record last changed: the latest change
    /// of any record its nesting shows.
    pub fn modified_at(&self, table: &str, id: &str) -> Option<DateTime<Utc>> {
        hsds::reached(&self.records, table, id)
            .iter()
            .filter_map(|key| self.modified.get(key))
            .max()
            .copied()
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
}

impl ImportReport {
    fn summary(&self) -> String {
        format!(
            "added {} changed {} unchanged {}",
            self.added, self.changed, self.unchanged
        )
    }
}

/// What a referral needs to know of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSummary {
    pub id: String,
    pub name: String,
    pub status: String,
    pub organization_id: Option<String>,
    pub organization_name: Option<String>,
    /// Where a referral is announced: the service's e-mail, else its first
    /// contact's, else its organization's.
    pub email: Option<String>,
}

pub struct Directory<'a> {
    db: &'a Db,
}

fn body_of(record: &Record) -> String {
    Value::Object(record.clone()).to_string()
}

fn parse_body(resource: &str, id: &str, body: &str) -> Result<Record, StoreError> {
    match serde_json::from_str(body) {
        Ok(Value::Object(record)) => Ok(record),
        _ => Err(StoreError::corrupt(
            format!("directory record {resource} {id}"),
            "is not a JSON object",
        )),
    }
}

async fn load_tenant(txn: &ScopedTxn) -> Result<DirectorySnapshot, StoreError> {
    let rows = directory_record::Entity::find_in(txn).all(txn).await?;
    let mut snapshot = DirectorySnapshot::default();
    for row in rows {
        let record = parse_body(&row.resource, &row.id, &row.body)?;
        snapshot
            .modified
            .insert((row.resource.clone(), row.id.clone()), row.modified_at);
        snapshot.records.put(&row.resource, row.id, record);
    }
    Ok(snapshot)
}

async fn load_national<C: ConnectionTrait>(db: &C) -> Result<DirectorySnapshot, StoreError> {
    let rows = national_directory_record::Entity::find().all(db).await?;
    let mut snapshot = DirectorySnapshot::default();
    for row in rows {
        let record = parse_body(&row.resource, &row.id, &row.body)?;
        snapshot
            .modified
            .insert((row.resource.clone(), row.id.clone()), row.modified_at);
        snapshot.records.put(&row.resource, row.id, record);
    }
    Ok(snapshot)
}

impl<'a> Directory<'a> {
    pub(crate) fn new(db: &'a Db) -> Self {
        Directory { db }
    }

    pub async fn snapshot(&self, scope: DirectoryScope) -> Result<DirectorySnapshot, StoreError> {
        match scope {
            DirectoryScope::Tenant(tenant) => {
                let txn = ScopedTxn::begin(self.db, tenant).await?;
                let snapshot = load_tenant(&txn).await?;
                txn.commit().await?;
                Ok(snapshot)
            }
            DirectoryScope::National => load_national(self.db).await,
        }
    }

    /// The directory another system (or another tenant's staff) may read:
    /// every tenant's directory is public, and this reads nothing else.
    /// `None` when no tenant has this slug.
    pub async fn published(
        &self,
        slug: &TenantSlug,
    ) -> Result<Option<(TenantScope, DirectorySnapshot)>, StoreError> {
        let Some(tenant) = tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(slug.as_str()))
            .one(self.db)
            .await?
        else {
            return Ok(None);
        };
        let scope = TenantScope::new(tenant.id);
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let snapshot = load_tenant(&txn).await?;
        txn.commit().await?;
        Ok(Some((scope, snapshot)))
    }

    /// Brings records into a directory in one transaction: a record with a
    /// known id replaces the stored one if it differs, and is left alone
    /// (its modification time too) if it does not. Required references must
    /// resolve against the directory as it will be. `progress` hears how
    /// many records have been written so far.
    pub async fn import(
        &self,
        scope: DirectoryScope,
        incoming: &RecordSet,
        access: &Access<'_>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<ImportReport, ImportError> {
        self.import_inner(scope, incoming, access, progress).await
    }

    async fn import_inner(
        &self,
        scope: DirectoryScope,
        incoming: &RecordSet,
        access: &Access<'_>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<ImportReport, ImportError> {
        match scope {
            DirectoryScope::Tenant(tenant) => {
                let txn = ScopedTxn::begin(self.db, tenant).await?;
                let existing = load_tenant(&txn).await?;
                let report = write_records(&txn, scope, &existing, incoming, progress).await?;
                if report.added + report.changed > 0 {
                    audit::record(
                        &txn,
                        access,
                        "directory_imported",
                        "directory",
                        report.summary(),
                    );
                }
                txn.commit().await?;
                Ok(report)
            }
            DirectoryScope::National => {
                let txn = PlatformTxn::begin(self.db).await?;
                let existing = load_national(&txn).await?;
                let report = write_records(&txn, scope, &existing, incoming, progress).await?;
                if report.added + report.changed > 0 {
                    audit::append_platform(
                        &txn,
                        &audit::AuditEvent {
                            actor: access.actor.clone(),
                            action: "catalog.imported".into(),
                            entity_type: "directory".into(),
                            entity_id: "national".into(),
                            purpose: report.summary(),
                            request_id: access.request_id.into(),
                        },
                    )
                    .await?;
                }
                txn.commit().await?;
                Ok(report)
            }
        }
    }

    /// A service as a referral needs it, from a snapshot.
    pub fn service_summary(snapshot: &DirectorySnapshot, id: &str) -> Option<ServiceSummary> {
        let set = &snapshot.records;
        let service = set.get("service", id)?;
        let text = |r: &Record, f: &str| r.get(f).and_then(Value::as_str).map(str::to_owned);
        let organization_id = text(service, "organization_id");
        let organization = organization_id
            .as_deref()
            .and_then(|o| set.get("organization", o));
        let contact_email = set
            .records_of("contact")
            .filter(|c| c.get("service_id").and_then(Value::as_str) == Some(id))
            .find_map(|c| text(c, "email"));
        Some(ServiceSummary {
            id: id.to_owned(),
            name: text(service, "name").unwrap_or_default(),
            status: text(service, "status").unwrap_or_default(),
            email: text(service, "email")
                .or(contact_email)
                .or_else(|| organization.and_then(|o| text(o, "email"))),
            organization_name: organization.and_then(|o| text(o, "name")),
            organization_id,
        })
    }
}

/// Writes the records that differ from the directory as it is, once the
/// directory as it will be has every required reference.
async fn write_records<C: ConnectionTrait>(
    txn: &C,
    scope: DirectoryScope,
    existing: &DirectorySnapshot,
    incoming: &RecordSet,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ImportReport, ImportError> {
    let mut after = existing.records.clone();
    for (table, id, record) in incoming.iter() {
        after.put(&table.name, id.to_owned(), record.clone());
    }
    let problems = after.missing_required_references();
    if !problems.is_empty() {
        return Err(ImportError::Problems(problems));
    }
    let now = Utc::now();
    let mut report = ImportReport::default();
    for (done, (table, id, record)) in incoming.iter().enumerate() {
        let old = existing.records.get(&table.name, id);
        if old == Some(record) {
            report.unchanged += 1;
        } else {
            write_record(
                txn,
                scope,
                &table.name,
                id,
                body_of(record),
                now,
                old.is_some(),
            )
            .await?;
            if old.is_some() {
                report.changed += 1;
            } else {
                report.added += 1;
            }
        }
        progress(done + 1);
    }
    Ok(report)
}

/// Inserts a record, or replaces the stored one, in the scope's table.
async fn write_record<C: ConnectionTrait>(
    db: &C,
    scope: DirectoryScope,
    resource: &str,
    id: &str,
    body: String,
    now: DateTime<Utc>,
    exists: bool,
) -> Result<(), sea_orm::DbErr> {
    match scope {
        DirectoryScope::Tenant(tenant) => {
            let row = directory_record::ActiveModel {
                tenant_id: Set(tenant.tenant_id()),
                resource: Set(resource.to_owned()),
                id: Set(id.to_owned()),
                body: Set(body),
                modified_at: Set(now),
            };
            if exists {
                row.update(db).await?;
            } else {
                row.insert(db).await?;
            }
        }
        DirectoryScope::National => {
            let row = national_directory_record::ActiveModel {
                resource: Set(resource.to_owned()),
                id: Set(id.to_owned()),
                body: Set(body),
                modified_at: Set(now),
            };
            if exists {
                row.update(db).await?;
            } else {
                row.insert(db).await?;
            }
        }
    }
    Ok(())
}

/// Why an import wrote nothing.
#[derive(Debug)]
pub enum ImportError {
    /// The data is wrong: every problem found.
    Problems(Vec<Problem>),
    Store(StoreError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Store(e)
    }
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(e: sea_orm::DbErr) -> Self {
        ImportError::Store(e.into())
    }
}

#[cfg(test)]
mod tests {
    use kentro_domain::hsds::{self, RecordSet, Shape};
    use serde_json::{Value, json};

    use super::{DirectoryScope, ImportReport};
    use crate::test_databases::{as_operator, two_centers};

    const SERVICE: &str = "7c1d1b3e-2f0a-4c55-9d7e-0a1b2c3d4e5f";
    const ORGANIZATION: &str = "0b6f7c1a-3d2e-4f50-8a91-b2c3d4e5f607";

    fn shelter(name: &str) -> RecordSet {
        hsds::read_document(
            &json!({
                "id": SERVICE, "name": name, "status": "active",
                "organization": { "id": ORGANIZATION, "name": "Δήμος", "description": "Κοινωνική υπηρεσία" }
            }),
            Some(Shape::Service),
            "test",
        )
        .unwrap()
    }

    fn counts(report: ImportReport) -> (usize, usize, usize) {
        (report.added, report.changed, report.unchanged)
    }

    #[tokio::test]
    async fn a_reimport_changes_only_what_differs_and_stays_in_its_own_center() {
        let centers = two_centers().await;
        let directory = centers.store.directory();
        let ours = DirectoryScope::Tenant(centers.ours);
        let access = as_operator();
        let import = |set: RecordSet, scope: DirectoryScope| {
            let (directory, access) = (&directory, &access);
            async move { directory.import(scope, &set, access, &|_| {}).await }
        };
        let name_of = |snapshot: &super::DirectorySnapshot| {
            (snapshot.records.get("service", SERVICE))
                .and_then(|s| s.get("name").and_then(Value::as_str).map(str::to_owned))
        };

        let first = import(shelter("Ξενώνας"), ours).await.ok().unwrap();
        assert_eq!(counts(first), (2, 0, 0));
        let stamped = directory.snapshot(ours).await.unwrap();
        let first_change = stamped.modified_at("service", SERVICE).unwrap();

        let again = import(shelter("Ξενώνας"), ours).await.ok().unwrap();
        assert_eq!(counts(again), (0, 0, 2));
        let same = directory.snapshot(ours).await.unwrap();
        assert_eq!(same.modified_at("service", SERVICE), Some(first_change));

        let renamed = import(shelter("Ξενώνας φιλοξενίας"), ours)
            .await
            .ok()
            .unwrap();
        assert_eq!(counts(renamed), (0, 1, 1));
        let after = directory.snapshot(ours).await.unwrap();
        assert_eq!(name_of(&after).as_deref(), Some("Ξενώνας φιλοξενίας"));
        assert!(after.modified_at("service", SERVICE).unwrap() >= first_change);

        for elsewhere in [
            DirectoryScope::Tenant(centers.theirs),
            DirectoryScope::National,
        ] {
            let snapshot = directory.snapshot(elsewhere).await.unwrap();
            assert_eq!(name_of(&snapshot), None, "{elsewhere:?}");
        }
    }
}
