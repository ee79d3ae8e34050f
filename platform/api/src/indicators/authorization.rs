//! Who may ask for which unit: a center's own figures, a region's for its
//! regional overseers, the nation's for the ministry; whole periods only
//! for overseers.

use super::*;
use kentro_domain::keys::TenantId;

pub(super) struct Unit {
    pub(super) code: String,
    pub(super) label: String,
    pub(super) tenants: Vec<TenantId>,
}

/// Who may see what: ministry overseers everything (published by the
/// cell-key method), a regional overseer their region and its
/// municipalities (the same way), a tenant admin their own center (exact).
pub(super) async fn authorize(
    ctx: &Context<'_>,
    scope: IndicatorScope,
    region: Option<&str>,
    tenant: Option<&str>,
) -> Result<(Vec<Unit>, bool), ApiError> {
    let caller = principal(ctx)?;
    let overseer = caller
        .account
        .role
        .can(Permission::ViewCrossTenantAggregates);
    let tenants = services(ctx).store.tenants().list().await?;
    // A regional overseer's answers stay inside their region: never the
    // nation, another region or another region's municipality.
    let outside_region = |wanted: Region| {
        caller
            .account
            .region
            .filter(|own| *own != wanted)
            .map(|own| {
                coded(
                    ErrorCode::Forbidden,
                    format!(
                        "a regional overseer sees {} and its municipalities only",
                        own.code()
                    ),
                )
            })
    };
    match scope {
        IndicatorScope::National if overseer && caller.account.role.is_regional() => Err(coded(
            ErrorCode::Forbidden,
            "a regional overseer sees their region (scope REGION), not the nation",
        )),
        IndicatorScope::National if overseer => {
            let mut by_region: BTreeMap<&'static str, Unit> = BTreeMap::new();
            for t in &tenants {
                let r = t.manifest.region;
                by_region
                    .entry(r.code())
                    .or_insert_with(|| Unit {
                        code: r.code().to_owned(),
                        label: r.name_el().to_owned(),
                        tenants: Vec::new(),
                    })
                    .tenants
                    .push(t.id);
            }
            Ok((by_region.into_values().collect(), true))
        }
        IndicatorScope::Region if overseer => {
            let code = region.ok_or_else(|| bad_input("region", "name the region"))?;
            let wanted = Region::ALL
                .into_iter()
                .find(|r| r.code() == code.trim())
                .ok_or_else(|| {
                    bad_input(
                        "region",
                        format!("{code:?} is not one of {}", Region::allowed_codes()),
                    )
                })?;
            if let Some(refused) = outside_region(wanted) {
                return Err(refused);
            }
            let units = tenants
                .iter()
                .filter(|t| t.manifest.region == wanted)
                .map(|t| Unit {
                    code: t.manifest.slug.to_string(),
                    label: t.manifest.name_el.clone(),
                    tenants: vec![t.id],
                })
                .collect();
            Ok((units, true))
        }
        IndicatorScope::Tenant => {
            let slug = tenant.ok_or_else(|| bad_input("tenant", "name the municipality"))?;
            let slug = TenantSlug::parse(slug).map_err(|p| bad_input("tenant", p))?;
            let Some(t) = tenants.iter().find(|t| t.manifest.slug == slug) else {
                return Err(bad_input("tenant", format!("no municipality {slug}")));
            };
            let own = caller.tenant.is_some_and(|s| s.id() == t.id)
                && caller.account.role.can(Permission::ManageTenantSettings);
            if !overseer && !own {
                return Err(coded(
                    ErrorCode::Forbidden,
                    "indicators are for overseers, and for a center's own tenant admin",
                ));
            }
            if let Some(refused) = outside_region(t.manifest.region) {
                return Err(refused);
            }
            Ok((
                vec![Unit {
                    code: t.manifest.slug.to_string(),
                    label: t.manifest.name_el.clone(),
                    tenants: vec![t.id],
                }],
                !own,
            ))
        }
        _ => Err(coded(
            ErrorCode::Forbidden,
            format!(
                "the {} role may not view cross tenant aggregates",
                caller.account.role
            ),
        )),
    }
}
