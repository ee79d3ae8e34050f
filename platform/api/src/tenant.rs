//! Tenants (municipalities) and their centers.

use std::collections::BTreeMap;

use async_graphql::{ComplexObject, Context, Enum, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kentro_domain::access::Permission;
use kentro_domain::contact::GreekPhoneNumber;
use kentro_domain::hours::Weekday as DomainWeekday;
use kentro_domain::region::Region as DomainRegion;
use kentro_domain::{self as domain, TenantSlug};
use kentro_store::TenantRecord;

use crate::context::{authorized, principal, request, services};
use crate::date::Date;
use crate::error::{ApiError, ErrorCode, bad_input, coded, conflict, internal, invalid_fields};

/// A file for download: its name, type and bytes in base64.
#[derive(SimpleObject)]
pub struct TenantExport {
    filename: String,
    content_type: String,
    content_base64: String,
}

#[derive(Default)]
pub struct TenantQuery;

#[Object]
impl TenantQuery {
    /// Every record of a municipality, for its offboarding (platform_admin):
    /// one JSON file with each table of its data (without password, token
    /// or key hashes), its directory as HSDS 3.0 and its manifest. Audited
    /// in its log and the platform's.
    async fn tenant_export(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> Result<TenantExport, ApiError> {
        let caller = authorized(ctx, Permission::ManageTenants)?;
        let slug = TenantSlug::parse(&slug).map_err(|problem| bad_input("slug", problem))?;
        let store = &services(ctx).store;
        let Some(tenant) = store.tenants().by_slug(&slug).await? else {
            return Err(bad_input(
                "slug",
                format!("there is no municipality {slug}"),
            ));
        };
        let export = store
            .tenants()
            .export(&tenant, &caller.account.actor(), &request(ctx).request_id)
            .await?;
        use base64::Engine;
        Ok(TenantExport {
            filename: format!(
                "kentro-{slug}-{}.json",
                chrono::Utc::now().format("%Y-%m-%d")
            ),
            content_type: "application/json".into(),
            content_base64: base64::engine::general_purpose::STANDARD
                .encode(serde_json::to_vec_pretty(&export).unwrap_or_default()),
        })
    }

    /// Every municipality on the platform, by slug (platform_admin, ministry_overseer).
    async fn tenants(&self, ctx: &Context<'_>) -> Result<Vec<Tenant>, ApiError> {
        authorized(ctx, Permission::ViewTenants)?;
        let store = &services(ctx).store;
        let records = store.tenants().list().await.map_err(|e| internal(&e))?;
        Ok(records.into_iter().map(Tenant).collect())
    }

    /// The caller's own municipality; null for platform users.
    async fn my_tenant(&self, ctx: &Context<'_>) -> Result<Option<Tenant>, ApiError> {
        let Some(scope) = principal(ctx)?.tenant else {
            return Ok(None);
        };
        let record = services(ctx)
            .store
            .tenants()
            .of_scope(scope)
            .await
            .map_err(|e| internal(&e))?;
        Ok(record.map(Tenant))
    }

    /// One municipality by its slug (e.g. `nikaia-rentis`); null when there
    /// is none. Center staff see only their own.
    async fn tenant(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Tenant>, ApiError> {
        let caller = principal(ctx)?;
        let slug = TenantSlug::parse(&slug).map_err(|problem| bad_input("slug", problem))?;
        let store = &services(ctx).store;
        let record = store
            .tenants()
            .by_slug(&slug)
            .await
            .map_err(|e| internal(&e))?;
        let visible = |record: &TenantRecord| {
            caller.account.role.can(Permission::ViewTenants)
                || caller.tenant.map(|t| t.id()) == Some(record.id)
        };
        Ok(record.filter(visible).map(Tenant))
    }
}

/// A municipality as its manifest describes it (`tenants/<slug>/tenant.toml`
/// has the same fields): what onboarding takes, over GraphQL or from a file.
#[derive(InputObject)]
pub struct TenantInput {
    /// Lowercase letters, digits and hyphens, e.g. `veria`; never changes.
    slug: String,
    /// The official Greek name, e.g. «Δήμος Βέροιας».
    name_el: String,
    name_latin: String,
    /// One of the thirteen regions' codes, e.g. `central_macedonia`.
    region: String,
    funding: FundingInput,
    /// The main center first; annexes and mobile units after it.
    centers: Vec<CenterInput>,
    #[graphql(default)]
    plugins: Vec<PluginInput>,
}

#[derive(InputObject)]
pub struct FundingInput {
    /// The operational programme, e.g. «Κεντρική Μακεδονία 2021-2027».
    programme: String,
    mis_code: Option<String>,
    priority_axis: Option<i64>,
    /// The inclusion decision (απόφαση ένταξης), as published.
    inclusion_decision: Option<String>,
}

#[derive(InputObject)]
pub struct CenterInput {
    /// Unique within the municipality, e.g. `main`, `annex-north`.
    key: String,
    /// `main`, `roma_annex`, `migrant_integration_annex` or `mobile_unit`.
    kind: String,
    name: String,
    address: Option<AddressInput>,
    /// The areas (δημοτικές κοινότητες) the center serves.
    #[graphql(default)]
    serves_areas: Vec<String>,
    #[graphql(default)]
    phones: Vec<PhoneInput>,
    #[graphql(default)]
    emails: Vec<String>,
    accessibility: Option<AccessibilityInput>,
    /// Weekday → `HH:MM-HH:MM` (e.g. `monday`, `08:00-16:00`).
    #[graphql(default)]
    opening_hours: Vec<OpeningHoursInput>,
    /// Closed on Greece's public holidays, whatever the hours say.
    #[graphql(default)]
    closed_on_public_holidays: bool,
    /// Days closed although the hours say open.
    #[graphql(default)]
    closures: Vec<ClosureInput>,
    #[graphql(default)]
    staff: Vec<StaffInput>,
    notes: Option<String>,
}

#[derive(InputObject)]
pub struct ClosureInput {
    /// `YYYY-MM-DD`, the first day closed.
    from: String,
    /// `YYYY-MM-DD`, the last day closed; left out for one day.
    to: Option<String>,
    /// Why, as reception tells whoever wants to book then.
    reason: String,
}

#[derive(InputObject)]
pub struct AddressInput {
    street: Option<String>,
    building: Option<String>,
    postal_code: Option<String>,
    locality: Option<String>,
}

#[derive(InputObject)]
pub struct PhoneInput {
    number: String,
    label: Option<String>,
}

#[derive(InputObject)]
pub struct AccessibilityInput {
    wheelchair_accessible: Option<bool>,
    notes: Option<String>,
}

#[derive(InputObject)]
pub struct OpeningHoursInput {
    /// `monday` … `sunday`.
    day: String,
    /// `HH:MM-HH:MM`, or several separated by commas.
    hours: String,
}

#[derive(InputObject)]
pub struct StaffInput {
    role: String,
    count: i64,
}

#[derive(InputObject)]
pub struct PluginInput {
    id: String,
    /// The plugin's settings, as its configuration schema describes them.
    config: Option<Json<serde_json::Value>>,
}

impl CenterInput {
    fn into_raw(self) -> domain::tenant::RawCenter {
        use domain::tenant::{RawAccessibility, RawAddress, RawCenter, RawPhone, RawStaff};
        RawCenter {
            key: self.key,
            kind: self.kind,
            name: self.name,
            address: self.address.map(|a| RawAddress {
                street: a.street,
                building: a.building,
                postal_code: a.postal_code,
                locality: a.locality,
            }),
            serves_areas: self.serves_areas,
            phones: self
                .phones
                .into_iter()
                .map(|p| RawPhone {
                    number: p.number,
                    label: p.label,
                })
                .collect(),
            emails: self.emails,
            accessibility: self.accessibility.map(|a| RawAccessibility {
                wheelchair_accessible: a.wheelchair_accessible,
                notes: a.notes,
            }),
            opening_hours: self
                .opening_hours
                .into_iter()
                .map(|h| (h.day, h.hours))
                .collect::<BTreeMap<_, _>>(),
            closed_on_public_holidays: self.closed_on_public_holidays,
            closures: self
                .closures
                .into_iter()
                .map(|c| domain::tenant::RawClosure {
                    from: c.from,
                    to: c.to,
                    reason: c.reason,
                })
                .collect(),
            staff: self
                .staff
                .into_iter()
                .map(|s| RawStaff {
                    role: s.role,
                    count: s.count,
                })
                .collect(),
            notes: self.notes,
        }
    }
}

impl TenantInput {
    fn into_raw(self) -> domain::tenant::RawManifest {
        use domain::tenant::{RawFunding, RawManifest, RawPlugin};
        RawManifest {
            slug: self.slug,
            name_el: self.name_el,
            name_latin: self.name_latin,
            region: self.region,
            funding: RawFunding {
                programme: self.funding.programme,
                mis_code: self.funding.mis_code,
                priority_axis: self.funding.priority_axis,
                inclusion_decision: self.funding.inclusion_decision,
            },
            centers: self
                .centers
                .into_iter()
                .map(CenterInput::into_raw)
                .collect(),
            plugins: self
                .plugins
                .into_iter()
                .map(|p| RawPlugin {
                    id: p.id,
                    config: p.config.map_or_else(|| serde_json::json!({}), |Json(v)| v),
                })
                .collect(),
        }
    }
}

/// The manifest's problems, each at its path under `under` in the
/// contract's words (`centers[0].opening_hours` → `input.centers[0].openingHours`).
fn manifest_problems(errors: &domain::tenant::ManifestErrors, under: &str) -> ApiError {
    let problems: Vec<(String, String)> = errors
        .0
        .iter()
        .map(|e| {
            let key = e.key.trim_start_matches('.');
            let field = match (key, under) {
                ("" | "(document)", "") => "input".to_owned(),
                ("" | "(document)", under) => under.to_owned(),
                (key, "") => camel_case_path(key),
                (key, under) => format!("{under}.{}", camel_case_path(key)),
            };
            (field, e.problem.clone())
        })
        .collect();
    invalid_fields(&problems)
}

/// `serves_areas` → `servesAreas`, segment by segment.
fn camel_case_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut upper = false;
    for c in path.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// Validates, applies and enables a manifest's plugins: the one path of
/// `createTenant`, `updateTenant` and (through the same store and runtime
/// calls) `kentro tenant apply`.
async fn apply_manifest(
    ctx: &Context<'_>,
    input: TenantInput,
    exists: bool,
) -> Result<Tenant, ApiError> {
    let caller = authorized(ctx, Permission::ManageTenants)?;
    let manifest = input
        .into_raw()
        .validate()
        .map_err(|errors| manifest_problems(&errors, "input"))?;
    let store = &services(ctx).store;
    let known = store.tenants().by_slug(&manifest.slug).await?.is_some();
    match (exists, known) {
        (false, true) => {
            return Err(conflict(
                "input.slug",
                format!("a municipality {} exists already", manifest.slug),
            ));
        }
        (true, false) => {
            return Err(bad_input(
                "input.slug",
                format!("there is no municipality {} to change", manifest.slug),
            ));
        }
        _ => {}
    }
    let actor = caller.account.actor();
    let request_id = &request(ctx).request_id;
    store
        .tenants()
        .apply(std::slice::from_ref(&manifest), &actor, request_id)
        .await?;
    let access = kentro_store::Access {
        actor: &actor,
        purpose: "tenant manifest",
        request_id,
    };
    let outcomes = services(ctx)
        .plugins
        .enable_from_manifests(std::slice::from_ref(&manifest), &access)
        .await?;
    for line in outcomes {
        tracing::info!(tenant = %manifest.slug, "{}", line.trim());
    }
    let record = store
        .tenants()
        .by_slug(&manifest.slug)
        .await?
        .ok_or_else(|| coded(ErrorCode::Internal, "the municipality was just applied"))?;
    Ok(Tenant(record))
}

#[derive(Default)]
pub struct TenantMutation;

#[Object]
impl TenantMutation {
    /// The coordinator's own center settings (tenant_admin): its centers,
    /// annexes and mobile units, with their hours, contacts, accessibility
    /// and the areas each serves. The whole list, as `createTenant` takes
    /// it; the municipality's name, region, funding and plugins stay the
    /// platform's. Every problem is named by its path (`centers[0].phones[0].number`).
    async fn update_centers(
        &self,
        ctx: &Context<'_>,
        centers: Vec<CenterInput>,
    ) -> Result<Tenant, ApiError> {
        let scope = crate::context::tenant_scope(ctx, Permission::ManageTenantSettings)?;
        let caller = principal(ctx)?;
        let store = &services(ctx).store;
        let current = store
            .tenants()
            .of_scope(scope)
            .await?
            .ok_or_else(|| coded(ErrorCode::NotFound, "no such municipality"))?;
        let mut raw = current.manifest.to_raw();
        raw.centers = centers.into_iter().map(CenterInput::into_raw).collect();
        let manifest = raw
            .validate()
            .map_err(|errors| manifest_problems(&errors, ""))?;
        store
            .tenants()
            .apply(
                std::slice::from_ref(&manifest),
                &caller.account.actor(),
                &request(ctx).request_id,
            )
            .await?;
        let record = store
            .tenants()
            .of_scope(scope)
            .await?
            .ok_or_else(|| coded(ErrorCode::Internal, "the municipality was just changed"))?;
        Ok(Tenant(record))
    }

    /// Onboards a municipality (platform_admin): the same fields as a
    /// manifest, every problem named by its path; its plugins are enabled
    /// with their settings where installed. CONFLICT when the slug is taken.
    async fn create_tenant(
        &self,
        ctx: &Context<'_>,
        input: TenantInput,
    ) -> Result<Tenant, ApiError> {
        apply_manifest(ctx, input, false).await
    }

    /// Changes a municipality's manifest (platform_admin): the whole of it,
    /// as `createTenant` takes it; its slug names which. A plugin the
    /// center has already chosen about keeps the center's choice.
    async fn update_tenant(
        &self,
        ctx: &Context<'_>,
        input: TenantInput,
    ) -> Result<Tenant, ApiError> {
        apply_manifest(ctx, input, true).await
    }

    /// Suspends a municipality (platform_admin): every session of its staff
    /// ends at once and logins are refused until it is reactivated; its
    /// data is kept. The reason is recorded in its audit log.
    async fn suspend_tenant(
        &self,
        ctx: &Context<'_>,
        slug: String,
        reason: String,
    ) -> Result<Tenant, ApiError> {
        let caller = authorized(ctx, Permission::ManageTenants)?;
        let slug = TenantSlug::parse(&slug).map_err(|problem| bad_input("slug", problem))?;
        let reason = kentro_domain::tenant::SuspensionReason::parse(&reason)
            .map_err(|problem| bad_input("reason", problem))?;
        services(ctx)
            .store
            .tenants()
            .suspend(
                &slug,
                &reason,
                &caller.account.actor(),
                &request(ctx).request_id,
            )
            .await
            .map(Tenant)
            .map_err(ApiError::from)
    }

    /// Offboards a municipality (platform_admin): its staff's sessions end
    /// and logins are refused at once; its data is kept for the grace period
    /// (`tenantExport` takes it) and then deleted, every record and its
    /// audit log, unless `reactivateTenant` comes first. Audited in its log
    /// and the platform's; the deletion in the platform's.
    async fn offboard_tenant(&self, ctx: &Context<'_>, slug: String) -> Result<Tenant, ApiError> {
        let caller = authorized(ctx, Permission::ManageTenants)?;
        let slug = TenantSlug::parse(&slug).map_err(|problem| bad_input("slug", problem))?;
        let services = services(ctx);
        services
            .store
            .tenants()
            .offboard(
                &slug,
                services.offboarding_grace,
                &caller.account.actor(),
                &request(ctx).request_id,
            )
            .await
            .map(Tenant)
            .map_err(ApiError::from)
    }

    /// Lets a suspended municipality's staff log in again (platform_admin);
    /// an offboarded one's too, within its grace period, which cancels the
    /// deletion of its data.
    async fn reactivate_tenant(&self, ctx: &Context<'_>, slug: String) -> Result<Tenant, ApiError> {
        let caller = authorized(ctx, Permission::ManageTenants)?;
        let slug = TenantSlug::parse(&slug).map_err(|problem| bad_input("slug", problem))?;
        services(ctx)
            .store
            .tenants()
            .reactivate(&slug, &caller.account.actor(), &request(ctx).request_id)
            .await
            .map(Tenant)
            .map_err(ApiError::from)
    }
}

/// Services a center's own directory needs before referrals are useful.
const DIRECTORY_MINIMUM: u64 = 5;

/// One thing a municipality still lacks before its center works.
#[derive(Enum, Copy, Clone, PartialEq, Eq, Debug)]
pub enum ReadinessItem {
    /// No coordinator has accepted their invitation.
    Coordinator,
    /// No colleague has an account or an invitation yet.
    Staff,
    /// The main center has no opening hours (nothing can be booked).
    OpeningHours,
    /// Fewer than five services in the center's directory.
    Directory,
    /// No partner organisation has a key to answer referrals.
    PartnerKeys,
    /// A plugin the manifest names is not enabled.
    Plugins,
}

/// A municipality's readiness checklist, with the counts behind it.
#[derive(SimpleObject)]
pub struct TenantReadiness {
    /// What is still missing; empty when the center is ready.
    missing: Vec<ReadinessItem>,
    coordinators: u64,
    staff: u64,
    pending_invitations: u64,
    opening_hours: bool,
    directory_services: u64,
    partner_keys: u64,
    plugins_enabled: u64,
    plugins_named: u64,
}

impl TenantReadiness {
    fn of(manifest: &domain::TenantManifest, counts: kentro_store::Readiness) -> TenantReadiness {
        let opening_hours = !manifest.main_center().opening_hours.is_empty();
        let plugins_named = manifest.plugins.len() as u64;
        let missing = [
            (counts.coordinators == 0, ReadinessItem::Coordinator),
            (
                counts.staff == 0 && counts.pending_invitations == 0,
                ReadinessItem::Staff,
            ),
            (!opening_hours, ReadinessItem::OpeningHours),
            (
                counts.directory_services < DIRECTORY_MINIMUM,
                ReadinessItem::Directory,
            ),
            (counts.partner_keys == 0, ReadinessItem::PartnerKeys),
            (
                counts.plugins_enabled < plugins_named,
                ReadinessItem::Plugins,
            ),
        ]
        .into_iter()
        .filter_map(|(lacking, item)| lacking.then_some(item))
        .collect();
        TenantReadiness {
            missing,
            coordinators: counts.coordinators,
            staff: counts.staff,
            pending_invitations: counts.pending_invitations,
            opening_hours,
            directory_services: counts.directory_services,
            partner_keys: counts.partner_keys,
            plugins_enabled: counts.plugins_enabled,
            plugins_named,
        }
    }
}

/// Whether a municipality's staff can use Kentro.
#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum TenantStatus {
    Active,
    /// No logins; the data is kept.
    Suspended,
    /// Leaving the platform: no logins; the data is kept until
    /// `deletionDueAt`, then deleted.
    Offboarding,
    /// Left the platform: its data has been deleted.
    Offboarded,
}

/// A municipality (Δήμος) running a Community Center on the platform.
pub struct Tenant(TenantRecord);

#[Object]
impl Tenant {
    async fn slug(&self) -> &str {
        self.0.manifest.slug.as_str()
    }

    /// The official Greek name, e.g. «Δήμος Βέροιας».
    async fn name_el(&self) -> &str {
        &self.0.manifest.name_el
    }

    async fn name_latin(&self) -> &str {
        &self.0.manifest.name_latin
    }

    async fn region(&self) -> Region {
        Region::from(self.0.manifest.region)
    }

    async fn funding(&self) -> Funding {
        let f = &self.0.manifest.funding;
        Funding {
            programme: f.programme.clone(),
            mis_code: f.mis_code.clone(),
            priority_axis: f.priority_axis.map(i32::from),
            inclusion_decision: f.inclusion_decision.clone(),
        }
    }

    /// The main center first, then annexes and mobile units in manifest order.
    async fn centers(&self) -> Vec<Center> {
        let mut centers: Vec<Center> = self.0.manifest.centers.iter().map(Center::from).collect();
        centers.sort_by_key(|c| c.kind != CenterKind::Main);
        centers
    }

    /// Plugins the municipality's manifest names, with their settings and
    /// whether each runs.
    async fn plugins(&self, ctx: &Context<'_>) -> Result<Vec<PluginActivation>, ApiError> {
        let store = &services(ctx).store;
        // Whoever may read this tenant may read which of its plugins run.
        let activations = match store.operator_scope(&self.0.manifest.slug).await? {
            Some(scope) => store.plugins().activations(scope).await?,
            None => Vec::new(),
        };
        Ok(self
            .0
            .manifest
            .plugins
            .iter()
            .map(|p| {
                let id = p.id.to_string();
                PluginActivation {
                    running: activations
                        .iter()
                        .any(|a| a.plugin_id == id && a.status == "enabled"),
                    id,
                    config: Json(serde_json::Value::Object(p.config.clone())),
                }
            })
            .collect())
    }

    async fn status(&self) -> TenantStatus {
        match (&self.0.offboarding, &self.0.suspension) {
            (Some(o), _) if o.deleted.is_some() => TenantStatus::Offboarded,
            (Some(_), _) => TenantStatus::Offboarding,
            (None, Some(_)) => TenantStatus::Suspended,
            (None, None) => TenantStatus::Active,
        }
    }

    /// When an offboarded municipality's data is (or was due to be) deleted.
    async fn deletion_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.offboarding.as_ref().map(|o| o.delete_after)
    }

    /// When an offboarded municipality's data was deleted.
    async fn data_deleted_at(&self) -> Option<DateTime<Utc>> {
        self.0
            .offboarding
            .as_ref()
            .and_then(|o| o.deleted.map(|(at, _)| at))
    }

    /// Why it is suspended (platform users only; null otherwise).
    async fn suspended_reason(&self, ctx: &Context<'_>) -> Result<Option<&str>, ApiError> {
        let caller = principal(ctx)?;
        Ok(self
            .0
            .suspension
            .as_ref()
            .filter(|_| caller.account.role.can(Permission::ViewTenants))
            .map(|s| s.reason.as_str()))
    }

    /// What the municipality still lacks before its center works
    /// (platform_admin, and the center's own tenant_admin).
    async fn readiness(&self, ctx: &Context<'_>) -> Result<TenantReadiness, ApiError> {
        let caller = principal(ctx)?;
        let own = caller.tenant.is_some_and(|t| t.id() == self.0.id)
            && caller.account.role.can(Permission::ManageTenantSettings);
        if !own && !caller.account.role.can(Permission::ManageTenants) {
            return Err(coded(
                ErrorCode::Forbidden,
                "a municipality's readiness is for the platform admin and its coordinator",
            ));
        }
        let counts = services(ctx).store.tenants().readiness(&self.0).await?;
        Ok(TenantReadiness::of(&self.0.manifest, counts))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One of the thirteen regions (Περιφέρειες).
#[derive(SimpleObject)]
pub struct Region {
    code: RegionCode,
    name_el: String,
}

impl From<DomainRegion> for Region {
    fn from(region: DomainRegion) -> Self {
        Region {
            code: region.into(),
            name_el: region.name_el().to_owned(),
        }
    }
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::region::Region")]
pub enum RegionCode {
    EasternMacedoniaThrace,
    CentralMacedonia,
    WesternMacedonia,
    Epirus,
    Thessaly,
    IonianIslands,
    WesternGreece,
    CentralGreece,
    Attica,
    Peloponnese,
    NorthAegean,
    SouthAegean,
    Crete,
}

#[derive(SimpleObject)]
pub struct Funding {
    /// The operational programme, e.g. «Αττική 2014-2020».
    programme: String,
    mis_code: Option<String>,
    priority_axis: Option<i32>,
    inclusion_decision: Option<String>,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::CenterKind")]
pub enum CenterKind {
    Main,
    RomaAnnex,
    MigrantIntegrationAnnex,
    MobileUnit,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::StaffRole")]
pub enum StaffRole {
    SocialWorker,
    Psychologist,
    Administrative,
    Sociologist,
    Other,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::hours::Weekday")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// A Community Center, an annex of it, or a mobile unit.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Center {
    key: String,
    kind: CenterKind,
    name: String,
    address: Option<Address>,
    /// For mobile units: the areas visited.
    serves_areas: Vec<String>,
    phones: Vec<Phone>,
    emails: Vec<String>,
    accessibility: Accessibility,
    /// Open days only, Monday first.
    opening_hours: Vec<OpeningDay>,
    /// Closed on Greece's public holidays, whatever the hours say.
    closed_on_public_holidays: bool,
    /// Days closed although the hours say open, earliest first.
    closures: Vec<Closure>,
    staff: Vec<StaffPosition>,
    notes: Option<String>,
    #[graphql(skip)]
    source: domain::Center,
}

/// The most days one `closedDays` answers for: a quarter.
const CLOSED_DAYS_SPAN: i64 = 92;

#[ComplexObject]
impl Center {
    /// The days from `from` to `to` (both included, at most 92 days) that
    /// the weekly hours keep open but the center is closed on: its
    /// closures and, when it closes on them, public holidays. What a
    /// calendar marks.
    async fn closed_days(&self, from: Date, to: Date) -> Result<Vec<ClosedDay>, ApiError> {
        let (Date(from), Date(to)) = (from, to);
        if to < from {
            return Err(bad_input("to", "is before from"));
        }
        if (to - from).num_days() >= CLOSED_DAYS_SPAN {
            return Err(bad_input(
                "to",
                format!("makes the span longer than {CLOSED_DAYS_SPAN} days"),
            ));
        }
        Ok(self
            .source
            .closed_days(from, to)
            .into_iter()
            .map(|(date, reason)| ClosedDay {
                date: Date(date),
                reason,
            })
            .collect())
    }
}

/// A day a center is closed although its weekly hours say open.
#[derive(SimpleObject)]
pub struct ClosedDay {
    date: Date,
    reason: String,
}

/// Days a center is closed, both ends included.
#[derive(SimpleObject)]
pub struct Closure {
    from: Date,
    to: Date,
    reason: String,
}

#[derive(SimpleObject)]
pub struct Address {
    street: Option<String>,
    building: Option<String>,
    postal_code: Option<String>,
    locality: Option<String>,
}

#[derive(SimpleObject)]
pub struct Phone {
    /// Ten digits, no spaces.
    number: String,
    label: Option<String>,
}

#[derive(SimpleObject)]
pub struct Accessibility {
    /// Null when the center has not said.
    wheelchair_accessible: Option<bool>,
    notes: Option<String>,
}

#[derive(SimpleObject)]
pub struct OpeningDay {
    weekday: Weekday,
    ranges: Vec<TimeRange>,
}

#[derive(SimpleObject)]
pub struct TimeRange {
    /// "HH:MM", local time.
    opens: String,
    closes: String,
}

#[derive(SimpleObject)]
pub struct StaffPosition {
    role: StaffRole,
    count: i32,
}

/// A plugin the municipality's manifest names, and whether it runs.
#[derive(SimpleObject)]
pub struct PluginActivation {
    id: String,
    /// The configuration the manifest gives it.
    config: Json<serde_json::Value>,
    /// Enabled for this municipality now: installed, enabled, not
    /// suspended after failures, and not disabled by its coordinator.
    running: bool,
}

impl From<&domain::Center> for Center {
    fn from(c: &domain::Center) -> Self {
        Center {
            key: c.key.to_string(),
            kind: c.kind.into(),
            name: c.name.clone(),
            address: c.address.as_ref().map(|a| Address {
                street: a.street.clone(),
                building: a.building.clone(),
                postal_code: a.postal_code.as_ref().map(|p| p.as_str().to_owned()),
                locality: a.locality.clone(),
            }),
            serves_areas: c.serves_areas.clone(),
            phones: c
                .phones
                .iter()
                .map(|p| Phone {
                    number: GreekPhoneNumber::digits(&p.number).to_owned(),
                    label: p.label.clone(),
                })
                .collect(),
            emails: c.emails.iter().map(ToString::to_string).collect(),
            accessibility: Accessibility {
                wheelchair_accessible: c.accessibility.wheelchair_accessible,
                notes: c.accessibility.notes.clone(),
            },
            opening_hours: c
                .opening_hours
                .open_days()
                .map(|(day, ranges): (DomainWeekday, _)| OpeningDay {
                    weekday: day.into(),
                    ranges: ranges
                        .iter()
                        .map(|r| TimeRange {
                            opens: r.opens.to_string(),
                            closes: r.closes.to_string(),
                        })
                        .collect(),
                })
                .collect(),
            closed_on_public_holidays: c.closed_on_public_holidays,
            closures: {
                let mut closures: Vec<Closure> = c
                    .closures
                    .iter()
                    .map(|k| Closure {
                        from: Date(k.from),
                        to: Date(k.to),
                        reason: k.reason.clone(),
                    })
                    .collect();
                closures.sort_by_key(|k| (k.from, k.to));
                closures
            },
            staff: c
                .staff
                .iter()
                .map(|s| StaffPosition {
                    role: s.role.into(),
                    count: i32::from(s.count),
                })
                .collect(),
            notes: c.notes.clone(),
            source: c.clone(),
        }
    }
}
