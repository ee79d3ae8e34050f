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

mod assembly;
mod authorization;
mod exports;

use assembly::*;
use authorization::*;
pub use exports::suppression_rule;
use exports::*;

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
                xlsx_of(&sheet, lang).map_err(|e| crate::error::internal(&e))?,
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
