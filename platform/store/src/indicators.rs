//! Oversight aggregates, kept incrementally: a background job refreshes a
//! tenant's cells when its audit log has recorded a change past the
//! watermark it last saw (every change is audited; reads, audited too, move
//! only the center's last activity) or a referral fell overdue, inside that
//! tenant's scope, and writes counts only. A national query then reads
//! O(tenants × categories) rows.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use kentro_domain::indicators::{IndicatorSet, KeyedCount, ParticipantFacts, record_key};
use kentro_domain::keys::TenantId;
use kentro_domain::referral::ReferralStatus;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use sha2::Sha256;

use crate::StoreError;
use crate::entity::{
    appointment, audit_entry, case_file, household_member, indicator_cell, kea_application,
    national_participants, participant_key, person, plugin_metric, referral, tenant,
    tenant_indicator_state, user_account,
};
use crate::people::PersonRecord;
use crate::scope::{PlatformTxn, ScopedTxn, TenantEntity, TenantScope};
use crate::transaction::{Db, Plans};

/// The sets the job keeps: the two ESF regulations and the activity counts.
pub const ACTIVITY_SET: &str = "activity";

/// Participants by entry month (the cell's month) and the month they were
/// last served (the category, `YYYY-MM`).
pub const SERVED_THROUGH: &str = "participants_served_through";

/// The platform's key for participants' pseudonyms: the same person gives
/// the same hash in every tenant, and the hash reveals nothing without it.
#[derive(Clone)]
pub struct ParticipantKeyer {
    secret: Vec<u8>,
}

impl std::fmt::Debug for ParticipantKeyer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParticipantKeyer(..)")
    }
}

impl ParticipantKeyer {
    pub fn new(secret: &[u8]) -> ParticipantKeyer {
        ParticipantKeyer {
            secret: secret.to_vec(),
        }
    }

    /// By ΑΜΚΑ, or else by name and birth date; `None` when neither is known.
    pub fn key(&self, person: &PersonRecord) -> Option<String> {
        let d = &person.details;
        let basis = match (&d.amka, d.birth_date) {
            (Some(amka), _) => format!("amka:{}", amka.as_str()),
            (None, Some(born)) => format!("name:{}|{born}", d.name_key()),
            (None, None) => return None,
        };
        Some(hex::encode(self.digest(&basis)))
    }

    /// The record key a counted thing (`kind` and its own id) carries in
    /// the cell-key method: the same every time, unknown to overseers.
    pub fn record_key(&self, kind: &str, id: &str) -> u64 {
        record_key(&self.digest(&format!("record:{kind}:{id}")))
    }

    fn digest(&self, basis: &str) -> Vec<u8> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        mac.update(basis.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

fn month_of(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("every month has a first day")
}

fn age_on(born: NaiveDate, on: NaiveDate) -> Option<u32> {
    on.years_since(born)
}

/// A summed cell of the aggregate tables: its count and its cell key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellTotal {
    pub tenant_id: TenantId,
    pub dimension: String,
    pub category: String,
    pub cell: KeyedCount,
}

/// What overseers see of how a center is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantActivity {
    pub tenant_id: TenantId,
    pub computed_at: DateTime<Utc>,
    pub last_activity: Option<DateTime<Utc>>,
    pub users: i64,
    pub open_cases: i64,
    pub overdue_referrals: i64,
}

type Counts = BTreeMap<(NaiveDate, String, String, String), KeyedCount>;

fn bump(
    counts: &mut Counts,
    month: NaiveDate,
    set: &str,
    dimension: &str,
    category: &str,
    by: KeyedCount,
) {
    *counts
        .entry((
            month,
            set.to_owned(),
            dimension.to_owned(),
            category.to_owned(),
        ))
        .or_default() += by;
}

/// A stored sum as a count or key (never negative).
fn unsigned(n: i64) -> u64 {
    n.max(0) as u64
}

/// The response-time bucket of a referral answered after `hours`.
fn response_bucket(hours: i64) -> &'static str {
    match hours {
        i64::MIN..=3 => "under_4h",
        4..=23 => "under_1d",
        24..=71 => "under_3d",
        72..=239 => "under_10d",
        _ => "10d_or_more",
    }
}

/// The buckets in order, for medians.
pub const RESPONSE_BUCKETS: [&str; 5] = [
    "under_4h",
    "under_1d",
    "under_3d",
    "under_10d",
    "10d_or_more",
];

pub struct Indicators<'a> {
    db: &'a Db,
}

impl<'a> Indicators<'a> {
    pub(crate) fn new(db: &'a Db) -> Self {
        Indicators { db }
    }

    /// Refreshes every tenant whose audit log moved (or all, with
    /// `force`), then the national participant counts. Returns how many
    /// tenants were refreshed.
    pub async fn refresh(
        &self,
        keyer: &ParticipantKeyer,
        force: bool,
    ) -> Result<usize, StoreError> {
        let tenants = tenant::Entity::find().all(self.db).await?;
        // A deleted municipality's published figures stay as they were: its
        // records are gone, not its past activity.
        let deleted: Vec<i64> = crate::entity::tenant_offboarding::Entity::find()
            .filter(crate::entity::tenant_offboarding::Column::DeletedAt.is_not_null())
            .all(self.db)
            .await?
            .into_iter()
            .map(|o| o.tenant_id)
            .collect();
        let mut refreshed = 0;
        for t in tenants.into_iter().filter(|t| !deleted.contains(&t.id)) {
            if self
                .refresh_tenant(TenantScope::new(t.id), keyer, force)
                .await?
            {
                refreshed += 1;
            }
        }
        if refreshed > 0 {
            self.refresh_national().await?;
        }
        Ok(refreshed)
    }

    async fn refresh_national(&self) -> Result<(), StoreError> {
        let txn = PlatformTxn::begin(self.db).await?;
        national_participants::Entity::delete_many()
            .exec(&txn)
            .await?;
        let per_month: Vec<(NaiveDate, i64, i64)> = participant_key::Entity::find()
            .select_only()
            .column(participant_key::Column::FirstMonth)
            .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "value")
            .column_as(Expr::cust("CAST(SUM(record_key) AS BIGINT)"), "cell_key")
            .group_by(participant_key::Column::FirstMonth)
            .into_tuple()
            .all(&txn)
            .await?;
        if !per_month.is_empty() {
            national_participants::Entity::insert_many(per_month.into_iter().map(
                |(month, value, cell_key)| national_participants::ActiveModel {
                    month: Set(month),
                    value: Set(value),
                    cell_key: Set(cell_key),
                },
            ))
            .exec(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    async fn refresh_tenant(
        &self,
        scope: TenantScope,
        keyer: &ParticipantKeyer,
        force: bool,
    ) -> Result<bool, StoreError> {
        // The log's head is the watermark: what was recorded counts once sealed.
        crate::audit::seal(self.db, scope).await?;
        // A job over the growing log: planned as it runs (`Plans::Fresh`).
        let txn = ScopedTxn::begin_planned(self.db, scope, Plans::Fresh).await?;
        let tenant_id = scope.tenant_id();
        let last: Option<(i64, DateTime<Utc>)> = audit_entry::Entity::find_in(&txn)
            .order_by_desc(audit_entry::Column::Seq)
            .select_only()
            .column(audit_entry::Column::Seq)
            .column(audit_entry::Column::At)
            .into_tuple()
            .one(&txn)
            .await?;
        let watermark = last.map_or(0, |(seq, _)| seq);
        let state = tenant_indicator_state::Entity::find_by_id(tenant_id)
            .one(&txn)
            .await?;
        let now = Utc::now();
        if let Some(state) = state.as_ref().filter(|_| !force)
            && !figures_moved(&txn, state, watermark, now).await?
        {
            // Only reads since: the figures stand as of now, and the center
            // was active when it last read.
            if state.audit_watermark != watermark {
                let mut seen: tenant_indicator_state::ActiveModel = state.clone().into();
                seen.audit_watermark = Set(watermark);
                seen.computed_at = Set(now);
                seen.last_activity = Set(last.map(|(_, at)| at));
                seen.update(&txn).await?;
            }
            txn.commit().await?;
            return Ok(false);
        }
        let mut counts: Counts = BTreeMap::new();
        let record = |kind: &str, id: i64| {
            KeyedCount::record(keyer.record_key(kind, &format!("{tenant_id}:{id}")))
        };

        // Participants: people with a case, counted once, in the month of
        // their first request, with their facts at that entry.
        let cases = case_file::Entity::find_in(&txn).all(&txn).await?;
        let mut entry: HashMap<i64, NaiveDate> = HashMap::new();
        // The month a participant was last served: their latest request or
        // the latest change of one of their cases.
        let mut last_served: HashMap<i64, NaiveDate> = HashMap::new();
        for case in &cases {
            let served = case.request_date.max(case.updated_at.date_naive());
            last_served
                .entry(case.person_id)
                .and_modify(|d| *d = (*d).max(served))
                .or_insert(served);
            let month = month_of(case.request_date);
            for category in case.categories.split(',').filter(|c| !c.is_empty()) {
                bump(
                    &mut counts,
                    month,
                    ACTIVITY_SET,
                    "requests",
                    category,
                    record("case", case.id),
                );
            }
            entry
                .entry(case.person_id)
                .and_modify(|d| *d = (*d).min(case.request_date))
                .or_insert(case.request_date);
        }
        let people = person::Entity::find_in(&txn)
            .filter(person::Column::Id.is_in(entry.keys().copied()))
            .all(&txn)
            .await?;
        let mut keys: Vec<(String, NaiveDate, u64)> = Vec::new();
        for row in people {
            let person = PersonRecord::try_from(row)?;
            let Some(&entered) = entry.get(&person.id.get()) else {
                continue;
            };
            // A person has one record key in every center (from the
            // platform's pseudonym), so the nation's unique count and the
            // centers' counts key them alike.
            let national = keyer.key(&person);
            let one = match &national {
                Some(hash) => KeyedCount::record(keyer.record_key("participant", hash)),
                None => record("person", person.id.get()),
            };
            let month = month_of(entered);
            let d = &person.details;
            let facts = ParticipantFacts {
                gender: Some(d.gender),
                age: d.birth_date.and_then(|b| age_on(b, entered)),
                employment: d.employment_status,
                education: d.education_level,
                third_country_national: d.third_country_national,
                foreign_background: d.special.foreign_background,
                minority: d.special.minority,
                disability: d.special.disability,
                homeless: d.special.homeless,
                rural: d.rural,
            };
            for set in [IndicatorSet::Esf2014To2020, IndicatorSet::EsfPlus2021To2027] {
                for (dimension, category) in set.cells(&facts) {
                    bump(&mut counts, month, set.code(), dimension, category, one);
                }
            }
            bump(&mut counts, month, ACTIVITY_SET, "participants", "new", one);
            if let Some(last) = last_served.get(&person.id.get()) {
                // Entry month × last month: a period's continuing
                // participants entered before it and were served in it.
                let through = month_of(*last).format("%Y-%m").to_string();
                bump(
                    &mut counts,
                    month,
                    ACTIVITY_SET,
                    SERVED_THROUGH,
                    &through,
                    one,
                );
            }
            if let Some(hash) = national {
                keys.push((hash, month, one.key));
            }
        }
        // Households served: each once, in the month its first member entered.
        let members = household_member::Entity::find_in(&txn).all(&txn).await?;
        let mut household_entry: HashMap<i64, NaiveDate> = HashMap::new();
        for m in &members {
            if let Some(&d) = entry.get(&m.person_id) {
                household_entry
                    .entry(m.household_id)
                    .and_modify(|e| *e = (*e).min(d))
                    .or_insert(d);
            }
        }
        let in_household: BTreeSet<i64> = members.iter().map(|m| m.person_id).collect();
        for (household, d) in &household_entry {
            bump(
                &mut counts,
                month_of(*d),
                ACTIVITY_SET,
                "households",
                "served",
                record("household", *household),
            );
        }
        // A participant without a household is a household of one.
        for (person_id, d) in &entry {
            if !in_household.contains(person_id) {
                bump(
                    &mut counts,
                    month_of(*d),
                    ACTIVITY_SET,
                    "households",
                    "served",
                    record("person", *person_id),
                );
            }
        }

        let referrals = referral::Entity::find_in(&txn).all(&txn).await?;
        let mut overdue_now = 0;
        for r in &referrals {
            let Some(sent) = r.sent_at else { continue };
            let month = month_of(sent.date_naive());
            let one = record("referral", r.id);
            bump(
                &mut counts,
                month,
                ACTIVITY_SET,
                "referrals_level",
                &r.level,
                one,
            );
            bump(
                &mut counts,
                month,
                ACTIVITY_SET,
                "referrals_destination",
                &r.target_scope,
                one,
            );
            bump(
                &mut counts,
                month,
                ACTIVITY_SET,
                "referrals_status",
                &r.status,
                one,
            );
            if let Some(responded) = r.responded_at {
                let hours = (responded - sent).num_hours();
                bump(
                    &mut counts,
                    month,
                    ACTIVITY_SET,
                    "referral_response",
                    response_bucket(hours),
                    one,
                );
                // Answered by the deadline the urgency set, or after it.
                let in_time = r.deadline_at.is_none_or(|deadline| responded <= deadline);
                bump(
                    &mut counts,
                    month,
                    ACTIVITY_SET,
                    "referrals_answered",
                    if in_time { "in_time" } else { "late" },
                    one,
                );
            }
            let status = ReferralStatus::from_code(&r.status).unwrap_or(ReferralStatus::Draft);
            if kentro_domain::referral::is_overdue(status, r.deadline_at, now) {
                overdue_now += 1;
                bump(
                    &mut counts,
                    month,
                    ACTIVITY_SET,
                    "referrals_overdue",
                    "overdue",
                    one,
                );
            }
        }
        for a in kea_application::Entity::find_in(&txn).all(&txn).await? {
            bump(
                &mut counts,
                month_of(a.created_at.date_naive()),
                ACTIVITY_SET,
                "kea_applications",
                &a.status,
                record("kea", a.id),
            );
        }
        for a in appointment::Entity::find_in(&txn).all(&txn).await? {
            bump(
                &mut counts,
                month_of(a.starts_at.date()),
                ACTIVITY_SET,
                "appointments",
                &a.status,
                record("appointment", a.id),
            );
        }
        for m in plugin_metric::Entity::find_in(&txn).all(&txn).await? {
            let dimension = format!("plugin:{}", m.plugin_id);
            bump(
                &mut counts,
                month_of(m.day),
                ACTIVITY_SET,
                &dimension,
                &m.name,
                KeyedCount {
                    count: m.value.round().max(0.0) as u64,
                    key: keyer.record_key(
                        "metric",
                        &format!("{tenant_id}:{}:{}:{}", m.plugin_id, m.name, m.day),
                    ),
                },
            );
        }

        indicator_cell::Entity::delete_many()
            .filter(indicator_cell::Column::TenantId.eq(tenant_id))
            .exec(&txn)
            .await?;
        let rows: Vec<indicator_cell::ActiveModel> = counts
            .into_iter()
            .map(
                |((month, set, dimension, category), cell)| indicator_cell::ActiveModel {
                    tenant_id: Set(tenant_id),
                    month: Set(month),
                    set_code: Set(set),
                    dimension: Set(dimension),
                    category: Set(category),
                    value: Set(cell.count as i64),
                    cell_key: Set(cell.key as i64),
                },
            )
            .collect();
        for chunk in rows.chunks(500) {
            indicator_cell::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        for chunk in keys.chunks(500) {
            let models =
                chunk
                    .iter()
                    .map(|(key, month, record_key)| participant_key::ActiveModel {
                        key_hash: Set(key.clone()),
                        first_month: Set(*month),
                        record_key: Set(*record_key as i64),
                    });
            participant_key::Entity::insert_many(models)
                .on_conflict(
                    OnConflict::column(participant_key::Column::KeyHash)
                        .value(
                            participant_key::Column::FirstMonth,
                            Expr::cust(least_first_month(&txn)),
                        )
                        .update_column(participant_key::Column::RecordKey)
                        .to_owned(),
                )
                .exec(&txn)
                .await?;
        }

        let users = user_account::Entity::find_in(&txn)
            .filter(user_account::Column::DisabledAt.is_null())
            .count(&txn)
            .await? as i64;
        let open_cases = cases.iter().filter(|c| c.status != "closed").count() as i64;
        let state_row = tenant_indicator_state::ActiveModel {
            tenant_id: Set(tenant_id),
            audit_watermark: Set(watermark),
            computed_at: Set(now),
            last_activity: Set(last.map(|(_, at)| at)),
            users: Set(users),
            open_cases: Set(open_cases),
            overdue_referrals: Set(overdue_now),
        };
        if state.is_some() {
            state_row.update(&txn).await?;
        } else {
            state_row.insert(&txn).await?;
        }
        txn.commit().await?;
        Ok(true)
    }

    /// Cells of `set` summed over the months from `from` to `to`
    /// (inclusive), per tenant (all tenants, or those given).
    pub async fn totals(
        &self,
        set: &str,
        from: NaiveDate,
        to: NaiveDate,
        tenants: Option<&[TenantId]>,
    ) -> Result<Vec<CellTotal>, StoreError> {
        let mut query = indicator_cell::Entity::find()
            .select_only()
            .column(indicator_cell::Column::TenantId)
            .column(indicator_cell::Column::Dimension)
            .column(indicator_cell::Column::Category)
            .column_as(Expr::cust("CAST(SUM(value) AS BIGINT)"), "value")
            .column_as(Expr::cust("CAST(SUM(cell_key) AS BIGINT)"), "cell_key")
            .filter(indicator_cell::Column::SetCode.eq(set))
            .filter(indicator_cell::Column::Month.gte(month_of(from)))
            .filter(indicator_cell::Column::Month.lte(month_of(to)))
            .group_by(indicator_cell::Column::TenantId)
            .group_by(indicator_cell::Column::Dimension)
            .group_by(indicator_cell::Column::Category);
        if let Some(ids) = tenants {
            query =
                query.filter(indicator_cell::Column::TenantId.is_in(ids.iter().map(|id| id.get())));
        }
        let rows: Vec<(i64, String, String, i64, i64)> = query.into_tuple().all(self.db).await?;
        Ok(rows
            .into_iter()
            .map(|(tenant_id, dimension, category, value, key)| CellTotal {
                tenant_id: TenantId::new(tenant_id),
                dimension,
                category,
                cell: KeyedCount {
                    count: unsigned(value),
                    key: unsigned(key),
                },
            })
            .collect())
    }

    /// Participants who entered before `from` and were last served in or
    /// after its month, per tenant.
    pub async fn continuing(
        &self,
        from: NaiveDate,
        tenants: &[TenantId],
    ) -> Result<Vec<(TenantId, KeyedCount)>, StoreError> {
        let rows = indicator_cell::Entity::find()
            .filter(indicator_cell::Column::SetCode.eq(ACTIVITY_SET))
            .filter(indicator_cell::Column::Dimension.eq(SERVED_THROUGH))
            .filter(indicator_cell::Column::Month.lt(month_of(from)))
            .filter(
                indicator_cell::Column::Category.gte(month_of(from).format("%Y-%m").to_string()),
            )
            .filter(indicator_cell::Column::TenantId.is_in(tenants.iter().map(|id| id.get())))
            .all(self.db)
            .await?;
        let mut per_tenant: BTreeMap<TenantId, KeyedCount> = BTreeMap::new();
        for row in rows {
            *per_tenant.entry(TenantId::new(row.tenant_id)).or_default() += KeyedCount {
                count: unsigned(row.value),
                key: unsigned(row.cell_key),
            };
        }
        Ok(per_tenant.into_iter().collect())
    }

    /// People first served anywhere in the period, each counted once.
    pub async fn national_participants(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<KeyedCount, StoreError> {
        let rows = national_participants::Entity::find()
            .filter(national_participants::Column::Month.gte(month_of(from)))
            .filter(national_participants::Column::Month.lte(month_of(to)))
            .all(self.db)
            .await?;
        Ok(rows
            .iter()
            .map(|r| KeyedCount {
                count: unsigned(r.value),
                key: unsigned(r.cell_key),
            })
            .sum())
    }

    /// Changes whenever any tenant's aggregates are refreshed: the version
    /// a cached dashboard is keyed by.
    pub async fn version(&self) -> Result<String, StoreError> {
        let latest: Option<Option<DateTime<Utc>>> = tenant_indicator_state::Entity::find()
            .select_only()
            .column_as(tenant_indicator_state::Column::ComputedAt.max(), "latest")
            .into_tuple()
            .one(self.db)
            .await?;
        Ok(latest
            .flatten()
            .map_or_else(|| "never".to_owned(), |t| t.timestamp_micros().to_string()))
    }

    pub async fn activity(&self) -> Result<Vec<TenantActivity>, StoreError> {
        Ok(tenant_indicator_state::Entity::find()
            .order_by_asc(tenant_indicator_state::Column::TenantId)
            .all(self.db)
            .await?
            .into_iter()
            .map(|s| TenantActivity {
                tenant_id: TenantId::new(s.tenant_id),
                computed_at: s.computed_at,
                last_activity: s.last_activity,
                users: s.users,
                open_cases: s.open_cases,
                overdue_referrals: s.overdue_referrals,
            })
            .collect())
    }
}

/// Whether a tenant's figures may differ from those `state` holds: the log
/// recorded a change since its watermark, or a sent referral's deadline
/// passed since they were computed (overdue by the clock, with nothing
/// recorded).
async fn figures_moved(
    txn: &ScopedTxn,
    state: &tenant_indicator_state::Model,
    head: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if head != state.audit_watermark
        && crate::audit::changed_between(txn, state.audit_watermark, head).await?
    {
        return Ok(true);
    }
    let fell_due: Option<i64> = referral::Entity::find_in(txn)
        .filter(referral::Column::Status.eq(ReferralStatus::Sent.code()))
        .filter(referral::Column::DeadlineAt.gte(state.computed_at))
        .filter(referral::Column::DeadlineAt.lt(now))
        .select_only()
        .column(referral::Column::Id)
        .limit(1)
        .into_tuple()
        .one(txn)
        .await?;
    Ok(fell_due.is_some())
}

/// `LEAST(existing, new)` for the first month, in the backend's words.
fn least_first_month(txn: &impl ConnectionTrait) -> &'static str {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        "LEAST(participant_key.first_month, EXCLUDED.first_month)"
    } else {
        "MIN(participant_key.first_month, excluded.first_month)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_databases::{
        as_operator, as_social_worker, person_with_a_case, shelter_in_directory,
        signed_referral_consent, two_centers, urgent_referral_to_shelter,
    };
    use crate::{Store, TenantScope};

    async fn state_of(store: &Store, scope: TenantScope) -> TenantActivity {
        (store.indicators().activity().await.unwrap().into_iter())
            .find(|a| a.tenant_id.get() == scope.tenant_id())
            .expect("the tenant's figures were computed")
    }

    #[tokio::test]
    async fn reads_move_a_centers_last_activity_without_recomputing_its_figures() {
        let centers = two_centers().await;
        let (store, ours) = (&centers.store, centers.ours);
        let keyer = ParticipantKeyer::new(b"test");
        let (_, case) = person_with_a_case(store, ours, "Δείκτη").await;
        assert_eq!(store.indicators().refresh(&keyer, false).await.unwrap(), 2);
        let first = state_of(store, ours).await;
        assert_eq!(first.open_cases, 1);

        let read = store.cases().get(ours, case, &as_operator()).await.unwrap();
        assert!(read.is_some());
        assert_eq!(
            store.indicators().refresh(&keyer, false).await.unwrap(),
            0,
            "a read changes no figure"
        );
        let after_read = state_of(store, ours).await;
        assert!(
            after_read.last_activity > first.last_activity,
            "the read is the center's latest activity: {:?} then {:?}",
            first.last_activity,
            after_read.last_activity
        );
        assert!(after_read.computed_at >= first.computed_at);

        person_with_a_case(store, ours, "Δεύτερου").await;
        store.cases().get(ours, case, &as_operator()).await.unwrap();
        assert_eq!(
            store.indicators().refresh(&keyer, false).await.unwrap(),
            1,
            "a change among reads is counted"
        );
        assert_eq!(state_of(store, ours).await.open_cases, 2);
    }

    #[tokio::test]
    async fn a_referral_falling_overdue_recomputes_the_figures_with_nothing_recorded() {
        let centers = two_centers().await;
        let (store, ours) = (&centers.store, centers.ours);
        let access = as_operator();
        shelter_in_directory(store, ours).await;
        let (person, case_id) = person_with_a_case(store, ours, "Προθεσμίας").await;
        store
            .households()
            .record_consent(ours, signed_referral_consent(person), &access)
            .await
            .unwrap();
        let referrals = store.referrals();
        let draft = referrals
            .create(
                ours,
                urgent_referral_to_shelter(case_id),
                &as_social_worker(),
            )
            .await
            .unwrap();
        let settings = crate::LoopSettings {
            link_lifetime: chrono::Duration::days(30),
            public_url: "http://kentro.test".into(),
        };
        referrals
            .send(ours, draft.id, &settings, &as_social_worker())
            .await
            .unwrap();
        let keyer = ParticipantKeyer::new(b"test");
        store.indicators().refresh(&keyer, false).await.unwrap();
        assert_eq!(state_of(store, ours).await.overdue_referrals, 0);
        assert_eq!(
            store.indicators().refresh(&keyer, false).await.unwrap(),
            0,
            "nothing happened"
        );

        // The deadline passes: the clock moves, the log does not.
        store
            .db
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Sqlite,
                "UPDATE referral SET deadline_at = ? WHERE id = ?",
                [Utc::now().into(), draft.id.get().into()],
            ))
            .await
            .unwrap();
        assert_eq!(store.indicators().refresh(&keyer, false).await.unwrap(), 1);
        assert_eq!(state_of(store, ours).await.overdue_referrals, 1);
    }

    #[test]
    fn response_times_fall_in_ordered_buckets() {
        assert_eq!(response_bucket(2), "under_4h");
        assert_eq!(response_bucket(30), "under_3d");
        assert_eq!(response_bucket(500), "10d_or_more");
        assert_eq!(RESPONSE_BUCKETS.len(), 5);
    }
}
