//! Oversight over GraphQL: indicator tables for the nation (by region), a
//! region (by municipality) or one municipality, published to overseers by
//! the cell-key method (`kentro_domain::indicators::publish`: small counts
//! hidden, the rest moved by at most 2, the same figure for the same box
//! however asked), exact for a center's own tenant admin; each center's activity; CSV and XLSX exports. Only
//! aggregates leave here: these resolvers read the aggregate tables, never
//! a person.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use kentro_domain::TenantSlug;
use kentro_domain::access::Permission;
use kentro_domain::indicators::{
    IndicatorSet, KeyedCount, NOISE, Published, THRESHOLD, count_band, exact, publish,
};
use kentro_domain::region::Region;
use kentro_domain::spreadsheet::csv_line;
use kentro_labels::Lang;

use crate::context::{principal, services};
use crate::error::{ApiError, ErrorCode, bad_input, coded, invalid_fields};

#[derive(Enum, Copy, Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub enum IndicatorScope {
    /// The whole country, by region.
    National,
    /// One region, by municipality.
    Region,
    /// One municipality.
    Tenant,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub enum IndicatorSetName {
    /// ESF 2014-2020 common output indicators (Reg. 1304/2013 Annex I).
    #[graphql(name = "ESF_2014_2020")]
    Esf2014To2020,
    /// ESF+ 2021-2027 common output indicators (Reg. 2021/1057 Annex I).
    #[graphql(name = "ESF_PLUS_2021_2027")]
    EsfPlus2021To2027,
    /// Requests, referrals, applications, appointments, households and plugin metrics.
    Activity,
}

impl IndicatorSetName {
    fn code(self) -> &'static str {
        match self {
            IndicatorSetName::Esf2014To2020 => IndicatorSet::Esf2014To2020.code(),
            IndicatorSetName::EsfPlus2021To2027 => IndicatorSet::EsfPlus2021To2027.code(),
            IndicatorSetName::Activity => kentro_store::ACTIVITY_SET,
        }
    }
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// Months, `YYYY-MM`, both included.
#[derive(InputObject, Clone)]
pub struct PeriodInput {
    from: String,
    to: String,
}

/// A published number: `value` is null when suppressed, `display` is what
/// to print (`<5` then). For overseers a shown value may differ from the
/// count by up to 2 (see the report's `rule`).
#[derive(SimpleObject, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IndicatorValue {
    value: Option<i64>,
    display: String,
}

fn published(p: Published) -> IndicatorValue {
    match p {
        Published::Shown(v) => IndicatorValue {
            value: Some(v as i64),
            display: v.to_string(),
        },
        Published::Suppressed => IndicatorValue {
            value: None,
            display: format!("<{THRESHOLD}"),
        },
    }
}

#[derive(SimpleObject, Clone, serde::Serialize, serde::Deserialize)]
pub struct IndicatorUnit {
    /// A region's code or a municipality's slug.
    unit: String,
    label: String,
    values: Vec<IndicatorValue>,
    total: IndicatorValue,
}

/// One dimension (e.g. `age`) as a table: units × categories, with totals.
#[derive(SimpleObject, Clone, serde::Serialize, serde::Deserialize)]
pub struct IndicatorTable {
    dimension: String,
    categories: Vec<String>,
    units: Vec<IndicatorUnit>,
    totals: Vec<IndicatorValue>,
    /// The grand total.
    total: IndicatorValue,
}

#[derive(SimpleObject, Clone, serde::Serialize, serde::Deserialize)]
pub struct IndicatorReport {
    scope: IndicatorScope,
    set: IndicatorSetName,
    period_from: String,
    period_to: String,
    suppressed: bool,
    /// The suppression rule, as exports print it.
    rule: String,
    generated_at: DateTime<Utc>,
    /// NATIONAL: people first served anywhere in the period, each counted
    /// once across municipalities (by a keyed hash, never an identity).
    unique_participants: Option<IndicatorValue>,
    /// ACTIVITY: how receivers answer, over the whole scope; null when
    /// none or fewer than 5 referrals were sent.
    referrals: Option<ReferralStats>,
    tables: Vec<IndicatorTable>,
}

#[derive(SimpleObject, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReferralStats {
    /// Referrals sent in the period, published as every figure of the report.
    sent: i64,
    /// The response-time band the median answer falls in (`under_4h`,
    /// `under_1d`, `under_3d`, `under_10d`, `10d_or_more`); null without answers.
    median_response: Option<String>,
    /// Of those sent, the share unanswered past their deadline now; null
    /// when 1 to 4 are (from the published figures, as every other).
    overdue_share: Option<f64>,
    /// Of those sent, the share answered by their deadline; null when 1 to
    /// 4 were.
    answered_in_time_share: Option<f64>,
}

/// Median response band and overdue share from the activity counts, the
/// sent and overdue figures published as `figure` does.
fn referral_stats(
    dims: &BTreeMap<String, BTreeMap<String, Vec<KeyedCount>>>,
    figure: fn(KeyedCount) -> Published,
) -> Option<ReferralStats> {
    let sum = |dimension: &str, category: Option<&str>| -> KeyedCount {
        dims.get(dimension)
            .map(|cats| {
                cats.iter()
                    .filter(|(c, _)| category.is_none_or(|want| c.as_str() == want))
                    .flat_map(|(_, per_unit)| per_unit.iter().copied())
                    .sum()
            })
            .unwrap_or_default()
    };
    let Published::Shown(sent @ 1..) = figure(sum("referrals_status", None)) else {
        return None;
    };
    // A band of the median, from the exact counts: a band says less than
    // any one of them.
    let answered: Vec<(&str, u64)> = kentro_store::RESPONSE_BUCKETS
        .iter()
        .map(|b| (*b, sum("referral_response", Some(b)).count))
        .collect();
    let total: u64 = answered.iter().map(|(_, n)| n).sum();
    let mut seen = 0;
    let median_response = (total > 0)
        .then(|| {
            answered.iter().find_map(|(bucket, n)| {
                seen += n;
                (seen * 2 >= total).then(|| (*bucket).to_owned())
            })
        })
        .flatten();
    let share = |dimension: &str, category: &str| match figure(sum(dimension, Some(category))) {
        Published::Shown(n) => Some((n as f64 / sent as f64).min(1.0)),
        Published::Suppressed => None,
    };
    Some(ReferralStats {
        sent: sent as i64,
        median_response,
        overdue_share: share("referrals_overdue", "overdue"),
        answered_in_time_share: share("referrals_answered", "in_time"),
    })
}

#[derive(SimpleObject)]
pub struct TenantActivityRow {
    tenant: String,
    name: String,
    region: String,
    last_activity: Option<DateTime<Utc>>,
    users: i64,
    /// A band (`0`, `1-4`, `5-9`, `10-19`, `20-49`, `50-99`, `100+`), never
    /// the exact count.
    open_cases: String,
    /// A band, as `openCases`.
    overdue_referrals: String,
    computed_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct IndicatorExport {
    filename: String,
    content_type: String,
    content_base64: String,
}

fn month(field: &str, text: &str) -> Result<NaiveDate, (String, String)> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d").map_err(|_| {
        (
            field.to_owned(),
            format!("{text:?} is not a month (YYYY-MM)"),
        )
    })
}

struct Unit {
    code: String,
    label: String,
    tenants: Vec<i64>,
}

/// Who may see what: ministry overseers everything (published by the
/// cell-key method), a regional overseer their region and its
/// municipalities (the same way), a tenant admin their own center (exact).
async fn authorize(
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
            let own = caller.tenant.is_some_and(|s| s.tenant_id() == t.id)
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

async fn report(
    ctx: &Context<'_>,
    scope: IndicatorScope,
    region: Option<String>,
    tenant: Option<String>,
    period: PeriodInput,
    set: IndicatorSetName,
) -> Result<IndicatorReport, ApiError> {
    let mut problems = Vec::new();
    let from = month("period.from", &period.from)
        .map_err(|p| problems.push(p))
        .ok();
    let to = month("period.to", &period.to)
        .map_err(|p| problems.push(p))
        .ok();
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        problems.push(("period.to".into(), "is before period.from".into()));
    }
    if !problems.is_empty() {
        return Err(invalid_fields(&problems));
    }
    let (from, to) = (from.expect("checked"), to.expect("checked"));
    let (units, suppressed) = authorize(ctx, scope, region.as_deref(), tenant.as_deref()).await?;
    // Suppressed answers come only for whole periods, so that two of them
    // cannot be subtracted into a month nobody asked for.
    if suppressed && !kentro_domain::indicators::is_aligned_period(from, to) {
        return Err(bad_input(
            "period",
            "must be a calendar month, quarter, half-year or year, or a programme period \
             (2014-01 to 2020-12, 2021-01 to 2027-12)",
        ));
    }
    // Dashboards are cached across replicas, keyed by the aggregates'
    // version, so a refresh invalidates them.
    let version = services(ctx).store.indicators().version().await?;
    let unit_codes: Vec<&str> = units.iter().map(|u| u.code.as_str()).collect();
    let cache_key = format!(
        "indicators:{version}:{}:{}:{}:{}:{}",
        set.code(),
        from,
        to,
        suppressed,
        unit_codes.join(",")
    );
    let ephemeral = &services(ctx).ephemeral;
    if let Ok(Some(cached)) = ephemeral.cached(&cache_key).await
        && let Ok(report) = serde_json::from_str::<IndicatorReport>(&cached)
        && report.scope == scope
    {
        return Ok(report);
    }
    let tenant_ids: Vec<i64> = units
        .iter()
        .flat_map(|u| u.tenants.iter().copied())
        .collect();
    let indicators = services(ctx).store.indicators();
    let totals = indicators
        .totals(set.code(), from, to, Some(&tenant_ids))
        .await?;
    let unit_of: BTreeMap<i64, usize> = units
        .iter()
        .enumerate()
        .flat_map(|(i, u)| u.tenants.iter().map(move |t| (*t, i)))
        .collect();
    // dimension -> category -> per-unit counts
    let mut dims: BTreeMap<String, BTreeMap<String, Vec<KeyedCount>>> = BTreeMap::new();
    for cell in totals {
        let Some(&unit) = unit_of.get(&cell.tenant_id) else {
            continue;
        };
        if cell.dimension == kentro_store::SERVED_THROUGH {
            continue;
        }
        let row = dims
            .entry(cell.dimension)
            .or_default()
            .entry(cell.category)
            .or_insert_with(|| vec![KeyedCount::default(); units.len()]);
        row[unit] += cell.cell;
    }
    if set == IndicatorSetName::Activity {
        let continuing = indicators.continuing(from, &tenant_ids).await?;
        let row = dims
            .entry("participants".into())
            .or_default()
            .entry("continuing".into())
            .or_insert_with(|| vec![KeyedCount::default(); units.len()]);
        for (tenant, n) in continuing {
            if let Some(&unit) = unit_of.get(&tenant) {
                row[unit] += n;
            }
        }
    }
    let figure: fn(KeyedCount) -> Published = if suppressed { publish } else { exact };
    let show = |cell: KeyedCount| published(figure(cell));
    let referral_stats = (set == IndicatorSetName::Activity)
        .then(|| referral_stats(&dims, figure))
        .flatten();
    // Every figure, totals too, is published from its own box of counts,
    // so a region's row here and its totals in its own table agree.
    let tables = dims
        .into_iter()
        .map(|(dimension, categories)| IndicatorTable {
            dimension,
            units: units
                .iter()
                .enumerate()
                .map(|(i, u)| IndicatorUnit {
                    unit: u.code.clone(),
                    label: u.label.clone(),
                    values: categories
                        .values()
                        .map(|per_unit| show(per_unit[i]))
                        .collect(),
                    total: show(categories.values().map(|per_unit| per_unit[i]).sum()),
                })
                .collect(),
            totals: categories
                .values()
                .map(|per_unit| show(per_unit.iter().copied().sum()))
                .collect(),
            total: show(categories.values().flatten().copied().sum()),
            categories: categories.into_keys().collect(),
        })
        .collect();
    let unique_participants =
        if scope == IndicatorScope::National && set != IndicatorSetName::Activity {
            let people = indicators.national_participants(from, to).await?;
            Some(show(people))
        } else {
            None
        };
    let report = IndicatorReport {
        scope,
        set,
        period_from: from.format("%Y-%m").to_string(),
        period_to: to.format("%Y-%m").to_string(),
        suppressed,
        rule: if suppressed {
            suppression_rule(Lang::En)
        } else {
            "unsuppressed: for the center's managing authority only".into()
        },
        generated_at: Utc::now(),
        unique_participants,
        referrals: referral_stats,
        tables,
    };
    if let Ok(text) = serde_json::to_string(&report)
        && let Err(e) = ephemeral.cache(&cache_key, &text).await
    {
        tracing::warn!(error = %e, "cannot cache a dashboard");
    }
    Ok(report)
}

/// The disclosure rule as every table's footnote and export state it.
pub fn suppression_rule(lang: Lang) -> String {
    let (below, threshold, noise) = (
        (THRESHOLD - 1).to_string(),
        THRESHOLD.to_string(),
        NOISE.to_string(),
    );
    kentro_labels::message(
        lang,
        "export-rule-suppressed",
        &[
            ("below", &below),
            ("threshold", &threshold),
            ("noise", &noise),
        ],
    )
}

/// The export's heading lines (name, value) and its table, in `lang`: the
/// same words as the workspace, with the codes beside them for machines.
struct ExportSheet {
    heading: Vec<(String, String)>,
    columns: [String; 6],
    rows: Vec<ExportRow>,
}

struct ExportRow {
    dimension: String,
    unit: String,
    unit_code: String,
    category: String,
    category_code: String,
    value: IndicatorValue,
}

fn export_sheet(report: &IndicatorReport, lang: Lang) -> ExportSheet {
    let word = |id: &str| kentro_labels::message(lang, id, &[]);
    let rule = if report.suppressed {
        suppression_rule(lang)
    } else {
        word("export-rule-unsuppressed")
    };
    let heading = vec![
        (
            word("export-period"),
            kentro_labels::message(
                lang,
                "export-period-range",
                &[("from", &report.period_from), ("to", &report.period_to)],
            ),
        ),
        (word("export-rule"), rule),
        (word("export-generated"), report.generated_at.to_rfc3339()),
    ];
    let columns = [
        "export-dimension",
        "export-unit",
        "export-unit-code",
        "export-category",
        "export-category-code",
        "export-value",
    ]
    .map(word);
    let mut rows = Vec::new();
    for table in &report.tables {
        let dimension = kentro_labels::indicator_dimension(lang, &table.dimension);
        for unit in &table.units {
            for (category, value) in table.categories.iter().zip(&unit.values) {
                rows.push(ExportRow {
                    dimension: dimension.clone(),
                    unit: unit.label.clone(),
                    unit_code: unit.unit.clone(),
                    category: kentro_labels::indicator_category(lang, &table.dimension, category),
                    category_code: category.clone(),
                    value: value.clone(),
                });
            }
        }
    }
    ExportSheet {
        heading,
        columns,
        rows,
    }
}

fn csv_of(sheet: &ExportSheet) -> String {
    let mut out = String::new();
    for (name, value) in &sheet.heading {
        out.push_str(&csv_line(&[format!("# {name}").as_str(), value]));
    }
    out.push_str(&csv_line(&sheet.columns));
    for row in &sheet.rows {
        out.push_str(&csv_line(&[
            &row.dimension,
            &row.unit,
            &row.unit_code,
            &row.category,
            &row.category_code,
            &row.value.display,
        ]));
    }
    out
}

fn xlsx_of(sheet: &ExportSheet, lang: Lang) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let worksheet = book.add_worksheet();
    worksheet.set_name(kentro_labels::message(lang, "export-sheet", &[]))?;
    for (row, (name, value)) in sheet.heading.iter().enumerate() {
        worksheet.write_string(row as u32, 0, name)?;
        worksheet.write_string(row as u32, 1, value)?;
    }
    let header = sheet.heading.len() as u32 + 1;
    for (col, title) in sheet.columns.iter().enumerate() {
        worksheet.write_string(header, col as u16, title)?;
    }
    for (n, r) in sheet.rows.iter().enumerate() {
        let row = header + 1 + n as u32;
        worksheet.write_string(row, 0, &r.dimension)?;
        worksheet.write_string(row, 1, &r.unit)?;
        worksheet.write_string(row, 2, &r.unit_code)?;
        worksheet.write_string(row, 3, &r.category)?;
        worksheet.write_string(row, 4, &r.category_code)?;
        match r.value.value {
            Some(v) => worksheet.write_number(row, 5, v as f64)?,
            None => worksheet.write_string(row, 5, &r.value.display)?,
        };
    }
    book.save_to_buffer()
}

#[derive(Default)]
pub struct IndicatorQuery;

#[Object]
impl IndicatorQuery {
    /// Indicator tables for a period. Overseers: any scope, suppressed.
    /// A tenant admin: their own municipality (scope TENANT), unsuppressed.
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        scope: IndicatorScope,
        region: Option<String>,
        tenant: Option<String>,
        period: PeriodInput,
        set: IndicatorSetName,
    ) -> Result<IndicatorReport, ApiError> {
        report(ctx, scope, region, tenant, period, set).await
    }

    /// Each center's activity: when it last did anything, its users, and
    /// its open cases and overdue referrals in bands (overseers; a regional
    /// overseer, their region's centers).
    async fn tenant_activity(&self, ctx: &Context<'_>) -> Result<Vec<TenantActivityRow>, ApiError> {
        let caller = principal(ctx)?;
        if !caller
            .account
            .role
            .can(Permission::ViewCrossTenantAggregates)
        {
            return Err(coded(
                ErrorCode::Forbidden,
                format!(
                    "the {} role may not view cross tenant aggregates",
                    caller.account.role
                ),
            ));
        }
        let store = &services(ctx).store;
        let tenants = store.tenants().list().await?;
        let activity = store.indicators().activity().await?;
        Ok(activity
            .into_iter()
            .filter_map(|a| {
                let t = tenants.iter().find(|t| t.id == a.tenant_id)?;
                if caller
                    .account
                    .region
                    .is_some_and(|own| own != t.manifest.region)
                {
                    return None;
                }
                Some(TenantActivityRow {
                    tenant: t.manifest.slug.to_string(),
                    name: t.manifest.name_el.clone(),
                    region: t.manifest.region.code().to_owned(),
                    last_activity: a.last_activity,
                    users: a.users,
                    open_cases: count_band(a.open_cases).to_owned(),
                    overdue_referrals: count_band(a.overdue_referrals).to_owned(),
                    computed_at: a.computed_at,
                })
            })
            .collect())
    }

    /// The same report as a CSV or XLSX file (base64), with the period, the
    /// suppression rule and the generation time in it, labelled from the
    /// workspace's catalogue.
    #[allow(clippy::too_many_arguments)]
    async fn export_indicators(
        &self,
        ctx: &Context<'_>,
        scope: IndicatorScope,
        region: Option<String>,
        tenant: Option<String>,
        period: PeriodInput,
        set: IndicatorSetName,
        format: ExportFormat,
        #[graphql(desc = "`el` (the default) or `en`: the language of the headings and labels.")]
        language: Option<String>,
    ) -> Result<IndicatorExport, ApiError> {
        let lang = match language.as_deref() {
            None => Lang::El,
            Some(code) => {
                Lang::parse(code).ok_or_else(|| bad_input("language", "must be el or en"))?
            }
        };
        let report = report(ctx, scope, region, tenant, period, set).await?;
        let sheet = export_sheet(&report, lang);
        use base64::Engine;
        let stem = format!(
            "kentro-indicators-{}-{}-{}",
            set.code(),
            report.period_from,
            report.period_to
        );
        let (filename, content_type, bytes) = match format {
            ExportFormat::Csv => (
                format!("{stem}.csv"),
                "text/csv; charset=utf-8",
                csv_of(&sheet).into_bytes(),
            ),
            ExportFormat::Xlsx => (
                format!("{stem}.xlsx"),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                xlsx_of(&sheet, lang).map_err(|e| coded(ErrorCode::Internal, e.to_string()))?,
            ),
        };
        Ok(IndicatorExport {
            filename,
            content_type: content_type.to_owned(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_dimension_and_category_has_a_label_in_both_languages() {
        use kentro_domain::indicators::ParticipantFacts;
        use kentro_domain::person::{
            EducationLevel, EmploymentStatus, Gender, SpecialCategoryAnswer,
        };
        let yes = Some(SpecialCategoryAnswer::Yes);
        let mut cells = Vec::new();
        for set in [IndicatorSet::Esf2014To2020, IndicatorSet::EsfPlus2021To2027] {
            let genders = [
                Gender::Female,
                Gender::Male,
                Gender::NonBinary,
                Gender::NotStated,
            ];
            let employment = [
                EmploymentStatus::Employed,
                EmploymentStatus::Unemployed,
                EmploymentStatus::LongTermUnemployed,
                EmploymentStatus::Inactive,
                EmploymentStatus::InactiveNotInEducationOrTraining,
            ];
            let education = [
                EducationLevel::Isced0To2,
                EducationLevel::Isced3To4,
                EducationLevel::Isced5To8,
            ];
            for (n, age) in [None, Some(10), Some(20), Some(40), Some(60)]
                .into_iter()
                .enumerate()
            {
                cells.extend(set.cells(&ParticipantFacts {
                    gender: genders.get(n).copied(),
                    age,
                    employment: employment.get(n).copied(),
                    education: education.get(n).copied(),
                    third_country_national: Some(true),
                    foreign_background: yes,
                    minority: yes,
                    disability: yes,
                    homeless: yes,
                    rural: Some(true),
                }));
            }
        }
        cells.extend(kentro_store::RESPONSE_BUCKETS.map(|b| ("referral_response", b)));
        cells.extend(
            [
                "draft",
                "sent",
                "accepted",
                "declined",
                "in_progress",
                "completed",
            ]
            .map(|s| ("referrals_status", s)),
        );
        cells.extend(["local", "regional", "national"].map(|l| ("referrals_level", l)));
        cells.extend(["own", "national", "tenant"].map(|t| ("referrals_destination", t)));
        cells.extend([("households", "served"), ("referrals_overdue", "overdue")]);
        cells.extend(["in_time", "late"].map(|c| ("referrals_answered", c)));
        cells.extend([("participants", "new"), ("requests", "food_aid")]);
        for lang in [Lang::El, Lang::En] {
            for (dimension, category) in &cells {
                let named = kentro_labels::indicator_dimension(lang, dimension);
                assert!(!named.starts_with("indicator-"), "{dimension} has no label");
                assert_ne!(
                    kentro_labels::indicator_category(lang, dimension, category),
                    *category,
                    "{dimension}/{category} has no label in {lang:?}"
                );
            }
        }
    }

    fn dims(entries: &[(&str, &str, u64)]) -> BTreeMap<String, BTreeMap<String, Vec<KeyedCount>>> {
        let mut dims: BTreeMap<String, BTreeMap<String, Vec<KeyedCount>>> = BTreeMap::new();
        for (dimension, category, n) in entries {
            dims.entry((*dimension).into()).or_default().insert(
                (*category).into(),
                vec![KeyedCount {
                    count: *n,
                    key: *n * 7919,
                }],
            );
        }
        dims
    }

    #[test]
    fn the_median_answer_band_and_the_overdue_share_come_from_the_counts() {
        let counts = dims(&[
            ("referrals_status", "completed", 6),
            ("referrals_status", "sent", 4),
            ("referral_response", "under_4h", 2),
            ("referral_response", "under_1d", 1),
            ("referral_response", "under_3d", 3),
            ("referrals_overdue", "overdue", 2),
            ("referrals_answered", "in_time", 5),
            ("referrals_answered", "late", 1),
        ]);
        let stats = referral_stats(&counts, exact).unwrap();
        assert_eq!(stats.sent, 10);
        // Six answers: the 3rd and 4th fall in under_1d and under_3d; the
        // median is the band holding half of them.
        assert_eq!(stats.median_response.as_deref(), Some("under_1d"));
        assert!((stats.overdue_share.unwrap() - 0.2).abs() < 1e-9);
        assert!((stats.answered_in_time_share.unwrap() - 0.5).abs() < 1e-9);

        // For overseers, two overdue of ten is a hidden figure: no share
        // that would give it away, and `sent` is published as any figure.
        let published = referral_stats(&counts, publish).unwrap();
        assert_eq!(published.overdue_share, None);
        assert!(published.sent.abs_diff(10) <= NOISE, "{published:?}");
        let few = dims(&[("referrals_status", "sent", 3)]);
        assert_eq!(
            referral_stats(&few, publish),
            None,
            "below the threshold: nothing"
        );
        assert!(referral_stats(&few, exact).is_some(), "unsuppressed: shown");
    }
}
