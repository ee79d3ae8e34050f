//! The tenant's audit log, for its coordinator (tenant_admin).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kentro_domain::access::Permission;
use kentro_domain::keys::{AccountId, PersonId};
use kentro_store::{AuditEntry, AuditFilter};

use crate::context::{services, tenant_scope};
use crate::error::{ApiError, bad_input};
use crate::id;
use crate::paging::{Page, page, page_size};

#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// e.g. `account.create`, `session.login`.
    action: Option<String>,
    actor: Option<ID>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    /// Everything recorded about one person: every read, list reads too,
    /// and every change (instead of `entityType` and `entityId`).
    person_id: Option<ID>,
    /// `YYYY-MM-DD`: entries from that day on (days in Greece).
    from: Option<String>,
    /// `YYYY-MM-DD`: entries up to and including that day (days in Greece).
    to: Option<String>,
}

/// One recorded action.
#[derive(SimpleObject)]
pub struct AuditLogEntry {
    /// Position in the tenant's chain, from 1.
    sequence: i64,
    at: DateTime<Utc>,
    /// The acting user, when a person acted (null for an operator's command).
    actor_id: Option<ID>,
    actor: String,
    actor_role: String,
    action: String,
    entity_type: String,
    entity_id: String,
    purpose: String,
    request_id: String,
    /// SHA-256 of this entry and the one before it.
    hash: String,
}

impl From<AuditEntry> for AuditLogEntry {
    fn from(e: AuditEntry) -> Self {
        AuditLogEntry {
            sequence: e.seq,
            at: e.at,
            actor_id: e.actor.account_id.map(id::encode_key),
            actor: e.actor.name,
            actor_role: e.actor.role,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            purpose: e.purpose,
            request_id: e.request_id,
            hash: e.hash,
        }
    }
}

#[derive(Default)]
pub struct AuditQuery;

/// One entry of the platform's own log.
#[derive(SimpleObject)]
pub struct PlatformAuditLogEntry {
    /// Position in the platform's chain, from 1.
    sequence: i64,
    at: DateTime<Utc>,
    actor: String,
    actor_role: String,
    /// e.g. `session.login`, `tenant.created`, `plugin.installed`.
    action: String,
    entity_type: String,
    entity_id: String,
    purpose: String,
}

/// The platform's log, with what recomputing its chain found.
#[derive(SimpleObject)]
pub struct PlatformAuditLog {
    /// Newest first.
    entries: Vec<PlatformAuditLogEntry>,
    /// Entries in the chain.
    chain_length: u64,
    /// The first entry that does not follow from the one before it; null
    /// when the whole chain verifies.
    first_broken: Option<i64>,
    problem: Option<String>,
}

#[Object]
impl AuditQuery {
    /// The platform's own hash-chained log (platform_admin): logins of
    /// platform accounts, municipalities created, changed or suspended,
    /// plugins installed, national catalog imports, break-glass accounts;
    /// `first` entries (at most 100) before the entry `before`.
    async fn platform_audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        before: Option<i64>,
    ) -> Result<PlatformAuditLog, ApiError> {
        crate::context::authorized(ctx, Permission::ManageTenants)?;
        let log = services(ctx).store.audit_log();
        let limit = first.unwrap_or(50).clamp(1, 100) as u64;
        let entries = log.platform_entries(limit, before).await?;
        let chain = log.verify_platform().await?;
        let (first_broken, problem) = chain.first_broken.unzip();
        Ok(PlatformAuditLog {
            entries: entries
                .into_iter()
                .map(|e| PlatformAuditLogEntry {
                    sequence: e.seq,
                    at: e.at,
                    actor: e.actor,
                    actor_role: e.actor_role,
                    action: e.action,
                    entity_type: e.entity_type,
                    entity_id: e.entity_id,
                    purpose: e.purpose,
                })
                .collect(),
            chain_length: chain.entries,
            first_broken,
            problem,
        })
    }

    /// The caller's center's audit log, newest first (tenant_admin).
    #[graphql(complexity = "first.unwrap_or(20).min(100) as usize * child_complexity")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<AuditLogEntry>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ViewAuditLog)?;
        let limit = page_size(first)?;
        let filter = filter.unwrap_or_default();
        let day = |field: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(|v| {
                    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                        .map_err(|_| bad_input(field, "must be a date, YYYY-MM-DD"))
                })
                .transpose()
        };
        let from = day("filter.from", &filter.from)?;
        let to = day("filter.to", &filter.to)?;
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(bad_input("filter.to", "is before filter.from"));
        }
        let (entity_type, entity_id) = match &filter.person_id {
            None => (filter.entity_type, filter.entity_id),
            Some(_) if filter.entity_type.is_some() || filter.entity_id.is_some() => {
                return Err(bad_input(
                    "filter.personId",
                    "names the entity already: leave entityType and entityId out",
                ));
            }
            Some(person) => (
                Some("person".to_owned()),
                Some(
                    id::decode_key::<PersonId>(person)
                        .map_err(|_| bad_input("filter.personId", "is not a person ID"))?
                        .to_string(),
                ),
            ),
        };
        let filter = AuditFilter {
            from: from.map(kentro_domain::calendar::start_of_day_in_greece),
            until: to
                .and_then(|d| d.succ_opt())
                .map(kentro_domain::calendar::start_of_day_in_greece),
            action: filter.action,
            actor_id: filter
                .actor
                .map(|actor| {
                    id::decode_key::<AccountId>(&actor)
                        .map_err(|_| bad_input("filter.actor", "is not a user ID"))
                })
                .transpose()?,
            entity_type,
            entity_id,
        };
        let before = match after {
            None => None,
            Some(cursor) => Some(
                cursor
                    .parse::<i64>()
                    .map_err(|_| bad_input("after", "is not a cursor of this list"))?,
            ),
        };
        let store = &services(ctx).store;
        // One more than asked, to know whether another page follows.
        let mut entries = store
            .audit_log()
            .list(scope, &filter, before, limit as u64 + 1)
            .await?;
        let has_next = entries.len() > limit;
        entries.truncate(limit);
        Ok(page(
            before.is_some(),
            has_next,
            entries
                .into_iter()
                .map(|e| (e.seq.to_string(), AuditLogEntry::from(e))),
        ))
    }
}
