//! The service directory over GraphQL: services of the caller's own, the
//! national or another municipality's directory, and HSDS imports.

use async_graphql::{Context, Enum, InputObject, Json, Object, SimpleObject};
use kentro_domain::TenantSlug;
use kentro_domain::access::Permission;
use kentro_domain::hsds::{self, Shape};
use kentro_domain::names::search_key;
use kentro_store::{DirectoryScope as StoreScope, DirectorySnapshot, ImportError, ImportReport};
use serde_json::Value;

use crate::context::{Accessor, authorized, principal, services};
use crate::error::{ApiError, bad_input, from_store, invalid_fields};

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum DirectoryScope {
    /// The caller's own municipality's directory.
    Own,
    /// The national catalog (ΚΕΑ, ΤΕΒΑ, ΔΥΠΑ, ...), which every center sees.
    National,
    /// Another municipality's directory, named by `tenant`.
    Tenant,
}

impl From<DirectoryScope> for kentro_domain::referral::TargetScope {
    fn from(s: DirectoryScope) -> Self {
        match s {
            DirectoryScope::Own => Self::Own,
            DirectoryScope::National => Self::National,
            DirectoryScope::Tenant => Self::Tenant,
        }
    }
}

/// Which object a JSON document holds, when it is not a Kentro export.
#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum HsdsObject {
    Service,
    Organization,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
}

impl From<HsdsObject> for Shape {
    fn from(o: HsdsObject) -> Self {
        match o {
            HsdsObject::Service => Shape::Service,
            HsdsObject::Organization => Shape::Organization,
            HsdsObject::ServiceAtLocation => Shape::ServiceAtLocation,
            HsdsObject::Taxonomy => Shape::Taxonomy,
            HsdsObject::TaxonomyTerm => Shape::TaxonomyTerm,
        }
    }
}

/// HSDS 3.1 `service_capacity`: how much of the service is free now.
#[derive(SimpleObject)]
pub struct ServiceCapacity {
    unit: String,
    available: f64,
    maximum: Option<f64>,
    updated: String,
}

/// A service of a directory, with the fields staff choose by; `hsds` is the
/// whole HSDS `service_full` object.
#[derive(SimpleObject)]
pub struct DirectoryService {
    /// The HSDS id (a UUID), as a referral names it.
    id: String,
    name: String,
    status: String,
    description: Option<String>,
    /// The HSDS id of the organization that runs it.
    organization_id: Option<String>,
    organization_name: Option<String>,
    email: Option<String>,
    eligibility_description: Option<String>,
    minimum_age: Option<f64>,
    maximum_age: Option<f64>,
    application_process: Option<String>,
    fees_description: Option<String>,
    /// Names of the taxonomy terms attached to the service.
    taxonomy_terms: Vec<String>,
    capacity: Option<ServiceCapacity>,
    hsds: Json<Value>,
}

fn text(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_owned)
}

fn service_of(snapshot: &DirectorySnapshot, id: &str) -> Option<DirectoryService> {
    let full = hsds::nest(&snapshot.records, "service", id)?;
    let taxonomy_terms = full
        .get("attributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("taxonomy_term"))
        .filter_map(|t| text(t, "name").or_else(|| text(t, "code")))
        .collect();
    let capacity = full
        .get("capacities")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .map(|c| ServiceCapacity {
            unit: text(c, "unit").unwrap_or_default(),
            available: c.get("available").and_then(Value::as_f64).unwrap_or(0.0),
            maximum: c.get("maximum").and_then(Value::as_f64),
            updated: text(c, "updated").unwrap_or_default(),
        });
    let summary = kentro_store::Directory::service_summary(snapshot, id)?;
    Some(DirectoryService {
        id: id.to_owned(),
        name: summary.name,
        status: summary.status,
        description: text(&full, "description"),
        organization_id: summary.organization_id.clone(),
        organization_name: summary.organization_name,
        email: summary.email,
        eligibility_description: text(&full, "eligibility_description"),
        minimum_age: full.get("minimum_age").and_then(Value::as_f64),
        maximum_age: full.get("maximum_age").and_then(Value::as_f64),
        application_process: text(&full, "application_process"),
        fees_description: text(&full, "fees_description"),
        taxonomy_terms,
        capacity,
        hsds: Json(full),
    })
}

async fn snapshot(
    ctx: &Context<'_>,
    scope: DirectoryScope,
    tenant: Option<&str>,
) -> Result<DirectorySnapshot, ApiError> {
    let caller = principal(ctx)?;
    let store = &services(ctx).store;
    match scope {
        DirectoryScope::Own => {
            let own = caller.tenant.ok_or_else(|| {
                bad_input("scope", "OWN needs a tenant account; name a TENANT instead")
            })?;
            store
                .directory()
                .snapshot(StoreScope::Tenant(own))
                .await
                .map_err(ApiError::from)
        }
        DirectoryScope::National => store
            .directory()
            .snapshot(StoreScope::National)
            .await
            .map_err(ApiError::from),
        DirectoryScope::Tenant => {
            let slug = tenant.ok_or_else(|| bad_input("tenant", "name the municipality"))?;
            let slug = TenantSlug::parse(slug).map_err(|p| bad_input("tenant", p))?;
            store
                .directory()
                .published(&slug)
                .await?
                .map(|(_, snapshot)| snapshot)
                .ok_or_else(|| bad_input("tenant", format!("no municipality {slug}")))
        }
    }
}

#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// Services of a directory, by name (Greek or Latin, accents ignored)
    /// and taxonomy term (its code or name).
    async fn directory_services(
        &self,
        ctx: &Context<'_>,
        scope: DirectoryScope,
        tenant: Option<String>,
        search: Option<String>,
        taxonomy_term: Option<String>,
    ) -> Result<Vec<DirectoryService>, ApiError> {
        let snapshot = snapshot(ctx, scope, tenant.as_deref()).await?;
        let wanted = search.as_deref().map(search_key).filter(|k| !k.is_empty());
        let mut found: Vec<DirectoryService> = snapshot
            .records
            .records_of("service")
            .filter_map(|s| s.get("id").and_then(Value::as_str))
            .filter_map(|id| service_of(&snapshot, id))
            .filter(|s| {
                wanted
                    .as_deref()
                    .is_none_or(|w| search_key(&s.name).contains(w))
            })
            .filter(|s| {
                taxonomy_term.as_deref().is_none_or(|term| {
                    s.taxonomy_terms.iter().any(|t| t == term)
                        || s.hsds
                            .0
                            .get("attributes")
                            .and_then(Value::as_array)
                            .is_some_and(|a| {
                                a.iter().any(|a| {
                                    a.get("taxonomy_term")
                                        .and_then(|t| t.get("code"))
                                        .and_then(Value::as_str)
                                        == Some(term)
                                })
                            })
                })
            })
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(found)
    }

    /// One service of a directory by its HSDS id.
    async fn directory_service(
        &self,
        ctx: &Context<'_>,
        scope: DirectoryScope,
        tenant: Option<String>,
        id: String,
    ) -> Result<Option<DirectoryService>, ApiError> {
        let snapshot = snapshot(ctx, scope, tenant.as_deref()).await?;
        Ok(service_of(&snapshot, &id))
    }
}

#[derive(SimpleObject)]
pub struct DirectoryImport {
    added: i32,
    changed: i32,
    unchanged: i32,
}

impl From<ImportReport> for DirectoryImport {
    fn from(r: ImportReport) -> Self {
        DirectoryImport {
            added: r.added as i32,
            changed: r.changed as i32,
            unchanged: r.unchanged as i32,
        }
    }
}

/// Every problem of an import as one `VALIDATION` error: the field, and
/// where in the document with what is wrong.
/// Every problem of an import, under the argument it came in (`document`,
/// `files`) and the field it names; its message says where (file, row).
fn problems_error(argument: &str, problems: &[hsds::Problem]) -> ApiError {
    let fields: Vec<(String, String)> = problems
        .iter()
        .map(|p| {
            let field = if p.field.is_empty() {
                argument.to_owned()
            } else {
                format!("{argument}.{}", p.field)
            };
            (field, format!("{}: {}", p.location, p.problem))
        })
        .collect();
    invalid_fields(&fields)
}

/// The directory an import writes to, if the caller may write it.
fn import_target(ctx: &Context<'_>, scope: DirectoryScope) -> Result<StoreScope, ApiError> {
    match scope {
        DirectoryScope::Own => {
            let caller = authorized(ctx, Permission::ManageTenantSettings)?;
            Ok(StoreScope::Tenant(caller.tenant.ok_or_else(|| {
                bad_input("scope", "OWN needs a tenant account")
            })?))
        }
        DirectoryScope::National => {
            authorized(ctx, Permission::ManageTenants)?;
            Ok(StoreScope::National)
        }
        DirectoryScope::Tenant => Err(bad_input(
            "scope",
            "another municipality's directory is theirs to change",
        )),
    }
}

/// Imports `set` into `target`, all or nothing.
async fn import_set(
    ctx: &Context<'_>,
    target: StoreScope,
    set: &hsds::RecordSet,
    argument: &str,
) -> Result<DirectoryImport, ApiError> {
    let accessor = Accessor::new(ctx, "directory import")?;
    let report = services(ctx)
        .store
        .directory()
        .import(target, set, &accessor.access(), &|_| {})
        .await
        .map_err(|e| match e {
            ImportError::Problems(problems) => problems_error(argument, &problems),
            ImportError::Store(e) => from_store(e),
        })?;
    Ok(report.into())
}

/// One file of a tabular package: its name (`services.csv`,
/// `datapackage.json`) and its text.
#[derive(InputObject)]
pub struct DirectoryFileInput {
    pub name: String,
    pub text: String,
}

#[derive(Default)]
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
    /// Imports HSDS 3.0 JSON into the caller's directory (tenant admins) or
    /// the national catalog (platform admins): a Kentro export, a list page,
    /// an array or one object of the kind `object` names. All or nothing;
    /// a record whose id is known replaces the stored one only if it differs.
    async fn import_directory(
        &self,
        ctx: &Context<'_>,
        scope: DirectoryScope,
        document: Json<Value>,
        object: Option<HsdsObject>,
    ) -> Result<DirectoryImport, ApiError> {
        let target = import_target(ctx, scope)?;
        let set = hsds::read_document(&document.0, object.map(Shape::from), "document")
            .map_err(|problems| problems_error("document", &problems))?;
        import_set(ctx, target, &set, "document").await
    }

    /// Imports an HSDS tabular package (its CSV files, with or without
    /// `datapackage.json`) like `importDirectory`: all or nothing, every
    /// problem named by file, row and field.
    async fn import_directory_package(
        &self,
        ctx: &Context<'_>,
        scope: DirectoryScope,
        files: Vec<DirectoryFileInput>,
    ) -> Result<DirectoryImport, ApiError> {
        let target = import_target(ctx, scope)?;
        if files.is_empty() {
            return Err(bad_input("files", "give the package's CSV files"));
        }
        let mut named = std::collections::BTreeMap::new();
        for file in files {
            if named.insert(file.name.clone(), file.text).is_some() {
                return Err(bad_input("files", format!("{} is given twice", file.name)));
            }
        }
        let set =
            hsds::read_package(&named).map_err(|problems| problems_error("files", &problems))?;
        import_set(ctx, target, &set, "files").await
    }
}
