//! A report assembled from the aggregates, each figure published by the
//! cell-key method for overseers (exact for a center's own managing
//! authority), and cached briefly.

use super::*;
use kentro_domain::keys::TenantId;

pub(super) fn published(p: Published) -> IndicatorValue {
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

/// Median response band and overdue share from the activity counts, the
/// sent and overdue figures published as `figure` does.
pub(super) fn referral_stats(
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

pub(super) async fn report(
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
    let tenant_ids: Vec<TenantId> = units
        .iter()
        .flat_map(|u| u.tenants.iter().copied())
        .collect();
    let indicators = services(ctx).store.indicators();
    let totals = indicators
        .totals(set.code(), from, to, Some(&tenant_ids))
        .await?;
    let unit_of: BTreeMap<TenantId, usize> = units
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
