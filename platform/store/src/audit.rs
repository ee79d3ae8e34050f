//! The audit log: append-only and hash-chained per tenant, so that a changed,
//! removed, reordered or cut entry is found by [`AuditLog::verify`].
//!
//! Each entry stores the hash of the previous one (`prev_hash`) and its own
//! `hash` = HMAC-SHA-256 under the audit key (kept outside the database:
//! `KENTRO_AUDIT_KEY`) over `prev_hash` and every other field, written
//! `k1:<hex>`; the owner of the tables, or the holder of the SQLite file,
//! cannot recompute it. Entries written before the key existed carry a
//! plain SHA-256 and are accepted only before the first keyed one and where
//! a signed checkpoint vouches for them (the server checkpoints every head
//! as it starts). The
//! first entry of a tenant links to [`GENESIS`]. The platform records each
//! tenant's head now and then in `audit_checkpoint` (with its own HMAC), so
//! cutting the newest entries is found too.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use kentro_domain::keys::AccountId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::entity::{audit_entry, audit_pending, audit_subject, platform_audit_entry, tenant};
use crate::scope::{
    PendingEntry, PlatformTxn, ScopedTxn, SubjectPosting, TenantEntity, TenantScope,
};
use crate::transaction::{Db, Plans};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The marker of hashes keyed with the audit key.
const KEYED: &str = "k1:";

static AUDIT_KEY: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();

/// Sets the process's audit key (from `KENTRO_AUDIT_KEY`, or the data
/// directory in development) before anything is audited; later calls keep
/// the first key. Unset, a fixed development key is used, which production
/// never runs with (the server requires the variable there).
pub fn set_audit_key(secret: &[u8]) {
    let _ = AUDIT_KEY.set(Sha256::digest(secret).into());
}

fn audit_key() -> &'static [u8; 32] {
    AUDIT_KEY.get_or_init(|| Sha256::digest(b"kentro development audit key").into())
}

fn keyed_mac(parts: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(audit_key()).expect("HMAC takes any key");
    mac.update(parts.as_bytes());
    let tag = hex::encode(mac.finalize().into_bytes());
    format!("{KEYED}{tag}")
}

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account, when a person acted; `None` for an operator's command.
    pub account_id: Option<AccountId>,
    /// The account's e-mail, or `operator` for the CLI.
    pub name: String,
    pub role: String,
}

impl Actor {
    /// Someone with shell access to the platform, running `kentro` commands.
    pub fn operator() -> Actor {
        Actor {
            account_id: None,
            name: "operator".into(),
            role: "operator".into(),
        }
    }

    /// The server itself, doing what falls due without a person (such as
    /// deleting an offboarded municipality's data after its grace period).
    pub fn server_job(job: &str) -> Actor {
        Actor {
            account_id: None,
            name: format!("kentro {job}"),
            role: "system".into(),
        }
    }
}

/// Who reads or writes, and why: recorded with every access.
#[derive(Debug, Clone)]
pub struct Access<'a> {
    pub actor: &'a Actor,
    pub purpose: &'a str,
    pub request_id: &'a str,
}

/// Records that `access` did `action` to one entity (or a list of them),
/// inside the transaction that did it, which has entered `scope`.
pub(crate) fn record(
    txn: &ScopedTxn,
    access: &Access<'_>,
    action: &str,
    entity_type: &str,
    entity_id: impl Into<String>,
) {
    append(
        txn,
        &AuditEvent {
            actor: access.actor.clone(),
            action: action.into(),
            entity_type: entity_type.into(),
            entity_id: entity_id.into(),
            purpose: access.purpose.into(),
            request_id: access.request_id.into(),
        },
    );
}

/// What to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor: Actor,
    /// What happened, e.g. `tenant.apply`, `account.create`, `person.read`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// Why: the GraphQL operation name or the command.
    pub purpose: String,
    pub request_id: String,
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub purpose: String,
    pub request_id: String,
    pub hash: String,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<AccountId>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub until: Option<DateTime<Utc>>,
}

/// The result of recomputing a tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: u64,
    /// The first entry that does not follow from its predecessor, and why.
    pub first_broken: Option<(i64, String)>,
}

/// The text an entry's hash is taken over: a JSON array of its fields. A
/// tuple serializes to the same text as the `json!` array it replaced (a
/// test holds them equal), so chains hashed before verify as they did,
/// without a copy of every field into a `Value` first.
fn entry_fields(prev_hash: &str, tenant_id: i64, row: &audit_entry::Model) -> String {
    serde_json::to_string(&(
        prev_hash,
        tenant_id,
        row.seq,
        row.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        row.actor_id,
        &row.actor,
        &row.actor_role,
        &row.action,
        &row.entity_type,
        &row.entity_id,
        &row.purpose,
        &row.request_id,
    ))
    .expect("strings and numbers serialize")
}

/// The keyed hash every new entry gets.
fn entry_hash(prev_hash: &str, tenant_id: i64, row: &audit_entry::Model) -> String {
    keyed_mac(&entry_fields(prev_hash, tenant_id, row))
}

/// The unkeyed hash of entries written before the audit key existed.
fn legacy_entry_hash(prev_hash: &str, tenant_id: i64, row: &audit_entry::Model) -> String {
    let digest = Sha256::digest(entry_fields(prev_hash, tenant_id, row).as_bytes());
    hex::encode(digest)
}

fn checkpoint_mac(tenant_id: i64, seq: i64, hash: &str, at: &DateTime<Utc>) -> String {
    keyed_mac(&format!(
        "checkpoint|{tenant_id}|{seq}|{hash}|{}",
        at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    ))
}

/// Now, at the precision both databases keep, so a hash over it recomputes.
pub(crate) fn stamp() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or_else(|_| Utc::now())
}

/// Appends to the chain an account's action belongs on (its tenant's, or
/// the platform's for platform accounts and the operator) and commits the
/// transaction with it.
pub(crate) async fn commit_with_entry(
    txn: PlatformTxn,
    tenant: Option<TenantScope>,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    match tenant {
        Some(scope) => {
            let txn = txn.enter(scope).await?;
            append(&txn, event);
            txn.commit().await
        }
        None => {
            append_platform(&txn, event).await?;
            txn.commit().await
        }
    }
}

/// Records one entry inside a transaction that has entered its tenant's
/// scope. The transaction writes its entries to `audit_pending` in one
/// statement as it commits, so they stand or fall with the acts they
/// record; there they wait until [`seal`] puts them on the chain. An audited
/// request never queues behind the tenant's other requests for the chain's
/// head.
pub(crate) fn append(txn: &ScopedTxn, event: &AuditEvent) {
    txn.record_audit(PendingEntry {
        at: stamp(),
        actor_id: event.actor.account_id.map(AccountId::get),
        actor: event.actor.name.clone(),
        actor_role: event.actor.role.clone(),
        action: event.action.clone(),
        entity_type: event.entity_type.clone(),
        entity_id: event.entity_id.clone(),
        purpose: event.purpose.clone(),
        request_id: event.request_id.clone(),
    });
}

/// The actions that only read. The oversight figures need recomputing
/// after a change, not after a read; an action missing here is taken for a
/// change, so a new read costs a refresh, never a stale figure.
const READS: &[&str] = &[
    "case.read",
    "case.notes_read",
    "person.read",
    "person.search",
    "person.duplicate_check",
    "referral.read",
    "plugin.read",
];

/// Whether an entry on the tenant's chain after `after`, up to `through`
/// (both `seq`s), records something other than a read.
pub(crate) async fn changed_between(
    txn: &ScopedTxn,
    after: i64,
    through: i64,
) -> Result<bool, StoreError> {
    let change: Option<i64> = audit_entry::Entity::find_in(txn)
        .filter(audit_entry::Column::Seq.gt(after))
        .filter(audit_entry::Column::Seq.lte(through))
        .filter(audit_entry::Column::Action.is_not_in(READS.iter().copied()))
        .select_only()
        .column(audit_entry::Column::Seq)
        .limit(1)
        .into_tuple()
        .one(txn)
        .await?;
    Ok(change.is_some())
}

/// Tenants whose committed entries this process has not sealed yet.
static AWAITING_SEAL: std::sync::Mutex<BTreeSet<i64>> = std::sync::Mutex::new(BTreeSet::new());

/// Called when a transaction that recorded entries for `tenants` commits.
pub(crate) fn awaiting_seal(tenants: &[i64]) {
    if !tenants.is_empty() {
        AWAITING_SEAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(tenants);
    }
}

/// Pending entries chained per transaction of the sealer: a bound on how
/// long it holds the head, and on the parameters of its removal from
/// `audit_pending` (and of its inserts on SQLite, 13 an entry).
const SEAL_BATCH: u64 = 500;

/// Moves the tenant's pending entries onto its chain, oldest first, and
/// returns how many. An entry whose transaction committed after a later one
/// was sealed simply follows it: the chain's order is the order of sealing.
/// One sealer per tenant chain at a time (an advisory lock on PostgreSQL,
/// the single writer on SQLite), so several replicas may run it.
pub(crate) async fn seal(db: &Db, scope: TenantScope) -> Result<usize, StoreError> {
    let mut sealed = 0;
    loop {
        // Planned as it runs: `audit_pending` fills and drains, and the
        // chain grows from nothing (see `Plans::Fresh`).
        let txn = ScopedTxn::begin_planned(db, scope, Plans::Fresh).await?;
        let tenant_id = txn.tenant_id();
        if txn.get_database_backend() == DbBackend::Postgres {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(7277, $1::int)",
                [(tenant_id as i32).into()],
            ))
            .await?;
        }
        let pending = audit_pending::Entity::find_in(&txn)
            .order_by_asc(audit_pending::Column::Id)
            .limit(SEAL_BATCH)
            .all(&txn)
            .await?;
        if pending.is_empty() {
            txn.commit().await?;
            return Ok(sealed);
        }
        let mut head = audit_entry::Entity::find_in(&txn)
            .order_by_desc(audit_entry::Column::Seq)
            .limit(1)
            .one(&txn)
            .await?
            .map(|last| (last.seq, last.hash));
        let mut entries = Vec::with_capacity(pending.len());
        // One posting per entity the batch's list reads name: a worker's
        // list names the same cases and people read after read.
        let mut postings: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
        for row in &pending {
            let entry = chained_entry(tenant_id, head.take(), &event_of(row), row.at);
            let named = subjects_of(&row.entity_id);
            if named.len() > 1 {
                for entity_id in named {
                    (postings.entry((row.entity_type.as_str(), entity_id)))
                        .or_default()
                        .push(entry.seq);
                }
            }
            head = Some((entry.seq, entry.hash.clone()));
            entries.push(entry);
        }
        let postings = (postings.into_iter())
            .map(|((entity_type, entity_id), seqs)| SubjectPosting {
                entity_type: entity_type.to_owned(),
                entity_id: entity_id.to_owned(),
                seqs,
            })
            .collect();
        txn.add_audit_entries(entries).await?;
        txn.add_audit_subjects(postings).await?;
        txn.remove_pending(pending.iter().map(|p| p.id).collect())
            .await?;
        txn.commit().await?;
        sealed += pending.len();
        if (pending.len() as u64) < SEAL_BATCH {
            return Ok(sealed);
        }
    }
}

/// What a pending row records.
fn event_of(row: &audit_pending::Model) -> AuditEvent {
    AuditEvent {
        actor: Actor {
            account_id: row.actor_id.map(AccountId::new),
            name: row.actor.clone(),
            role: row.actor_role.clone(),
        },
        action: row.action.clone(),
        entity_type: row.entity_type.clone(),
        entity_id: row.entity_id.clone(),
        purpose: row.purpose.clone(),
        request_id: row.request_id.clone(),
    }
}

/// Whether the `audit_subject` postings that list an entry name exactly the
/// entities its hashed `entity_id` names, of its type (none for an entry
/// that names one).
fn subjects_agree(row: &audit_entry::Model, stored: Option<&Vec<(String, String)>>) -> bool {
    let named = subjects_of(&row.entity_id);
    let expected: Vec<(&str, &str)> = if named.len() > 1 {
        (named.into_iter())
            .map(|id| (row.entity_type.as_str(), id))
            .collect()
    } else {
        Vec::new()
    };
    let mut stored: Vec<(&str, &str)> = stored
        .map(|s| s.iter().map(|(t, id)| (t.as_str(), id.as_str())).collect())
        .unwrap_or_default();
    stored.sort_unstable_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
    stored == expected
}

/// The entries a posting lists, or `None` when its list is not the
/// ascending seqs it is written as, beginning with the one in its key.
fn posting_seqs(posting: &audit_subject::Model) -> Option<Vec<i64>> {
    let seqs: Vec<i64> = (posting.seqs.split(','))
        .map(|seq| seq.parse().ok())
        .collect::<Option<_>>()?;
    let ascending = seqs.windows(2).all(|pair| pair[0] < pair[1]);
    (ascending && seqs.first() == Some(&posting.first_seq)).then_some(seqs)
}

/// The entities a list read names (comma-separated in its entry), each once.
fn subjects_of(entity_id: &str) -> Vec<&str> {
    let mut ids: Vec<&str> = entity_id.split(',').filter(|id| !id.is_empty()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The tenant number the platform's own chain hashes under: no tenant has
/// it, so no tenant entry can pass for a platform one.
const PLATFORM_CHAIN: i64 = 0;

/// The entry that records `event` after `last` (its seq and hash; none at
/// the start) on `chain` (a tenant's id, or [`PLATFORM_CHAIN`]), hashed.
pub(crate) fn chained_entry(
    chain: i64,
    last: Option<(i64, String)>,
    event: &AuditEvent,
    at: DateTime<Utc>,
) -> audit_entry::Model {
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let mut row = audit_entry::Model {
        tenant_id: chain,
        seq,
        at,
        actor_id: event.actor.account_id.map(AccountId::get),
        actor: event.actor.name.clone(),
        actor_role: event.actor.role.clone(),
        action: event.action.clone(),
        entity_type: event.entity_type.clone(),
        entity_id: event.entity_id.clone(),
        purpose: event.purpose.clone(),
        request_id: event.request_id.clone(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = entry_hash(&row.prev_hash, chain, &row);
    row
}

/// A platform entry as the tenant chain's hashing reads it.
fn as_chain_row(row: &platform_audit_entry::Model) -> audit_entry::Model {
    audit_entry::Model {
        tenant_id: PLATFORM_CHAIN,
        seq: row.seq,
        at: row.at,
        actor_id: row.actor_id,
        actor: row.actor.clone(),
        actor_role: row.actor_role.clone(),
        action: row.action.clone(),
        entity_type: row.entity_type.clone(),
        entity_id: row.entity_id.clone(),
        purpose: row.purpose.clone(),
        request_id: row.request_id.clone(),
        prev_hash: row.prev_hash.clone(),
        hash: row.hash.clone(),
    }
}

/// Appends one entry to the platform's own log: logins of platform
/// accounts, municipalities created, changed or suspended, plugins
/// installed, the national catalog imported, break-glass accounts.
pub(crate) async fn append_platform<C: ConnectionTrait>(
    txn: &C,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        // One writer of the platform chain at a time; released at commit.
        txn.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(7278, 0)",
        ))
        .await?;
    }
    let last = platform_audit_entry::Entity::find()
        .order_by_desc(platform_audit_entry::Column::Seq)
        .limit(1)
        .one(txn)
        .await?;
    let row = chained_entry(
        PLATFORM_CHAIN,
        last.map(|l| (l.seq, l.hash)),
        event,
        stamp(),
    );
    let row = platform_audit_entry::Model {
        seq: row.seq,
        at: row.at,
        actor_id: row.actor_id,
        actor: row.actor,
        actor_role: row.actor_role,
        action: row.action,
        entity_type: row.entity_type,
        entity_id: row.entity_id,
        purpose: row.purpose,
        request_id: row.request_id,
        prev_hash: row.prev_hash,
        hash: row.hash,
    };
    platform_audit_entry::ActiveModel::from(row)
        .insert(txn)
        .await?;
    Ok(())
}

/// An entry of the platform's own log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformAuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub purpose: String,
}

pub struct AuditLog<'a> {
    db: &'a Db,
}

impl<'a> AuditLog<'a> {
    pub(crate) fn new(db: &'a Db) -> Self {
        AuditLog { db }
    }

    /// Records a plugin operation run for a caller (the plugin's own reads
    /// of people are recorded as they happen).
    pub async fn record_plugin_call(
        &self,
        scope: TenantScope,
        access: &Access<'_>,
        plugin: &str,
        operation: &str,
        writes: bool,
    ) -> Result<(), StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let action = if writes {
            "plugin.changed"
        } else {
            "plugin.read"
        };
        record(
            &txn,
            access,
            action,
            "plugin",
            format!("{plugin}/{operation}"),
        );
        txn.commit().await?;
        Ok(())
    }

    /// Puts the tenant's pending entries on its chain; how many.
    pub async fn seal(&self, scope: TenantScope) -> Result<usize, StoreError> {
        seal(self.db, scope).await
    }

    /// Seals the entries this process recorded since it last did; how many.
    /// A tenant whose seal fails waits for the next call.
    pub async fn seal_recorded(&self) -> Result<usize, StoreError> {
        let tenants = std::mem::take(
            &mut *AWAITING_SEAL
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let mut sealed = 0;
        for (done, &tenant_id) in tenants.iter().enumerate() {
            match seal(self.db, TenantScope::new(tenant_id)).await {
                Ok(n) => sealed += n,
                Err(e) => {
                    awaiting_seal(&tenants.iter().copied().skip(done).collect::<Vec<_>>());
                    return Err(e);
                }
            }
        }
        Ok(sealed)
    }

    /// Seals every tenant's pending entries, including those another
    /// process recorded and did not seal (it stopped, or it is a replica
    /// that has not got to them yet); how many.
    pub async fn seal_all(&self) -> Result<usize, StoreError> {
        let mut sealed = 0;
        for t in tenant::Entity::find().all(self.db).await? {
            sealed += seal(self.db, TenantScope::new(t.id)).await?;
        }
        Ok(sealed)
    }

    /// Newest first; `before` is the `seq` of the last entry of the previous page.
    pub async fn list(
        &self,
        scope: TenantScope,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        seal(self.db, scope).await?;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let mut query = audit_entry::Entity::find_in(&txn)
            .order_by_desc(audit_entry::Column::Seq)
            .limit(limit);
        if let Some(before) = before {
            query = query.filter(audit_entry::Column::Seq.lt(before));
        }
        if let Some(action) = &filter.action {
            query = query.filter(audit_entry::Column::Action.eq(action.as_str()));
        }
        if let Some(from) = filter.from {
            query = query.filter(audit_entry::Column::At.gte(from));
        }
        if let Some(until) = filter.until {
            query = query.filter(audit_entry::Column::At.lt(until));
        }
        if let Some(actor_id) = filter.actor_id {
            query = query.filter(audit_entry::Column::ActorId.eq(actor_id.get()));
        }
        if let Some(entity_type) = &filter.entity_type {
            query = query.filter(audit_entry::Column::EntityType.eq(entity_type.as_str()));
        }
        if let Some(entity_id) = &filter.entity_id {
            // A list read names its entities in one entry, each also kept as
            // an audit_subject row: "who read person 2" finds it as well as
            // a read of person 2 alone.
            query = query.filter(
                sea_orm::Condition::any()
                    .add(audit_entry::Column::EntityId.eq(entity_id.as_str()))
                    .add(txn.listed_as_subject(filter.entity_type.as_deref(), entity_id)),
            );
        }
        let rows = query.all(&txn).await?;
        txn.commit().await?;
        Ok(rows
            .into_iter()
            .map(|row| AuditEntry {
                seq: row.seq,
                at: row.at,
                actor: Actor {
                    account_id: row.actor_id.map(AccountId::new),
                    name: row.actor,
                    role: row.actor_role,
                },
                action: row.action,
                entity_type: row.entity_type,
                entity_id: row.entity_id,
                purpose: row.purpose,
                request_id: row.request_id,
                hash: row.hash,
            })
            .collect())
    }

    /// Recomputes the tenant's chain from its first entry and names the
    /// first entry that does not follow, or that the newest entries were
    /// cut since the platform's last checkpoint of the tenant's head.
    pub async fn verify(&self, scope: TenantScope) -> Result<ChainReport, StoreError> {
        seal(self.db, scope).await?;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = audit_entry::Entity::find_in(&txn)
            .order_by_asc(audit_entry::Column::Seq)
            .all(&txn)
            .await?;
        let checkpoints = checkpoints_of(&txn, scope.tenant_id()).await?;
        let postings = audit_subject::Entity::find_in(&txn).all(&txn).await?;
        txn.commit().await?;
        let broken = |seq: i64, problem: String| {
            Ok(ChainReport {
                entries: rows.len() as u64,
                first_broken: Some((seq, problem)),
            })
        };
        // Each entry's subjects, as the postings list them.
        let mut subjects: BTreeMap<i64, Vec<(String, String)>> = BTreeMap::new();
        for posting in postings {
            let Some(seqs) = posting_seqs(&posting) else {
                return broken(
                    posting.first_seq,
                    "is listed by a subject row that is not a list of entries: an index row was added"
                        .to_owned(),
                );
            };
            for seq in seqs {
                (subjects.entry(seq).or_default())
                    .push((posting.entity_type.clone(), posting.entity_id.clone()));
            }
        }
        // Unkeyed entries (from before the audit key) are accepted only where
        // a checkpoint the platform signed vouches for them.
        let anchored = checkpoints
            .iter()
            .filter(|c| checkpoint_mac(scope.tenant_id(), c.seq, &c.hash, &c.at) == c.mac)
            .map(|c| c.seq)
            .max()
            .unwrap_or(0);
        let mut expected_prev = GENESIS.to_owned();
        let mut keyed_seen = false;
        for (expected_seq, row) in (1..).zip(rows.iter()) {
            let keyed = row.hash.starts_with(KEYED);
            let problem = if row.seq != expected_seq {
                Some(format!(
                    "expected entry {expected_seq} here: an entry is missing"
                ))
            } else if row.prev_hash != expected_prev {
                Some("does not link to the entry before it".to_owned())
            } else if !keyed && (keyed_seen || row.seq > anchored) {
                Some(
                    "is not authenticated with the audit key after entries that are: it was rewritten"
                        .to_owned(),
                )
            } else if keyed && entry_hash(&row.prev_hash, scope.tenant_id(), row) != row.hash {
                Some("its content does not match its keyed hash: it was changed".to_owned())
            } else if !keyed
                && legacy_entry_hash(&row.prev_hash, scope.tenant_id(), row) != row.hash
            {
                Some("its content does not match its hash: it was changed".to_owned())
            } else if !subjects_agree(row, subjects.get(&row.seq)) {
                Some(
                    "its subjects do not match the entities it names: an index row was added"
                        .to_owned(),
                )
            } else {
                None
            };
            if let Some(problem) = problem {
                return broken(row.seq, problem);
            }
            keyed_seen |= keyed;
            expected_prev = row.hash.clone();
        }
        // Rows the entries above did not claim name an entry the log does
        // not hold (PostgreSQL has no key from a subject to its entry).
        if let Some((&seq, _)) = subjects
            .iter()
            .find(|(seq, _)| rows.binary_search_by_key(*seq, |r| r.seq).is_err())
        {
            return broken(
                seq,
                "is named by subject rows, but the log holds no such entry: an index row was added"
                    .to_owned(),
            );
        }
        for checkpoint in &checkpoints {
            if checkpoint_mac(
                scope.tenant_id(),
                checkpoint.seq,
                &checkpoint.hash,
                &checkpoint.at,
            ) != checkpoint.mac
            {
                return broken(
                    checkpoint.seq,
                    "has a checkpoint that is not the platform's: it was forged".to_owned(),
                );
            }
            match rows.iter().find(|r| r.seq == checkpoint.seq) {
                Some(row) if row.hash == checkpoint.hash => {}
                Some(_) => {
                    return broken(
                        checkpoint.seq,
                        "differs from the platform's checkpoint of it: the chain was rewritten"
                            .to_owned(),
                    );
                }
                None => {
                    let last = rows.last().map_or(0, |r| r.seq);
                    return broken(
                        checkpoint.seq,
                        format!(
                            "was checkpointed by the platform, but the chain ends at entry {last}: the newest entries were cut"
                        ),
                    );
                }
            }
        }
        Ok(ChainReport {
            entries: rows.len() as u64,
            first_broken: None,
        })
    }

    /// The platform's own log, newest first: `limit` entries before `before`.
    pub async fn platform_entries(
        &self,
        limit: u64,
        before: Option<i64>,
    ) -> Result<Vec<PlatformAuditEntry>, StoreError> {
        let mut query = platform_audit_entry::Entity::find()
            .order_by_desc(platform_audit_entry::Column::Seq)
            .limit(limit);
        if let Some(before) = before {
            query = query.filter(platform_audit_entry::Column::Seq.lt(before));
        }
        Ok(query
            .all(self.db)
            .await?
            .into_iter()
            .map(|r| PlatformAuditEntry {
                seq: r.seq,
                at: r.at,
                actor: r.actor,
                actor_role: r.actor_role,
                action: r.action,
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                purpose: r.purpose,
            })
            .collect())
    }

    /// Recomputes the platform's chain: every entry keyed, in order,
    /// linked to the one before.
    pub async fn verify_platform(&self) -> Result<ChainReport, StoreError> {
        let rows = platform_audit_entry::Entity::find()
            .order_by_asc(platform_audit_entry::Column::Seq)
            .all(self.db)
            .await?;
        let mut expected_prev = GENESIS.to_owned();
        for (expected_seq, row) in (1..).zip(rows.iter()) {
            let problem = if row.seq != expected_seq {
                Some(format!(
                    "expected entry {expected_seq} here: an entry is missing"
                ))
            } else if row.prev_hash != expected_prev {
                Some("does not link to the entry before it".to_owned())
            } else if entry_hash(&row.prev_hash, PLATFORM_CHAIN, &as_chain_row(row)) != row.hash {
                Some("its content does not match its keyed hash: it was changed".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                return Ok(ChainReport {
                    entries: rows.len() as u64,
                    first_broken: Some((row.seq, problem)),
                });
            }
            expected_prev = row.hash.clone();
        }
        let broken = |seq: i64, problem: &str| ChainReport {
            entries: rows.len() as u64,
            first_broken: Some((seq, problem.to_owned())),
        };
        for checkpoint in platform_checkpoints(self.db).await? {
            if checkpoint_mac(
                PLATFORM_CHAIN,
                checkpoint.seq,
                &checkpoint.hash,
                &checkpoint.at,
            ) != checkpoint.mac
            {
                return Ok(broken(
                    checkpoint.seq,
                    "has a checkpoint that is not the platform's: it was forged",
                ));
            }
            match rows.iter().find(|r| r.seq == checkpoint.seq) {
                Some(row) if row.hash == checkpoint.hash => {}
                Some(_) => {
                    return Ok(broken(
                        checkpoint.seq,
                        "differs from the platform's checkpoint of it: the chain was rewritten",
                    ));
                }
                None => {
                    return Ok(broken(
                        checkpoint.seq,
                        "was checkpointed, but the chain ends before it: the newest entries were cut",
                    ));
                }
            }
        }
        Ok(ChainReport {
            entries: rows.len() as u64,
            first_broken: None,
        })
    }

    /// Records every tenant's audit head in the platform's checkpoints
    /// (when it moved since the last one); returns how many were recorded.
    pub async fn checkpoint_all(&self) -> Result<usize, StoreError> {
        let tenants = tenant::Entity::find().all(self.db).await?;
        // An offboarded municipality's staff record nothing more, and its
        // log is deleted with its data: a checkpoint taken as that happens
        // would outlive the chain it anchors.
        let leaving: Vec<i64> = crate::entity::tenant_offboarding::Entity::find()
            .filter(crate::entity::tenant_offboarding::Column::CancelledAt.is_null())
            .all(self.db)
            .await?
            .into_iter()
            .map(|o| o.tenant_id)
            .collect();
        let mut recorded = 0;
        for t in tenants.into_iter().filter(|t| !leaving.contains(&t.id)) {
            let scope = TenantScope::new(t.id);
            seal(self.db, scope).await?;
            let txn = ScopedTxn::begin_planned(self.db, scope, Plans::Fresh).await?;
            let head = audit_entry::Entity::find_in(&txn)
                .order_by_desc(audit_entry::Column::Seq)
                .limit(1)
                .one(&txn)
                .await?;
            let last = checkpoints_of(&txn, t.id).await?.pop();
            if let Some(head) = head
                && last.is_none_or(|c| c.seq < head.seq)
            {
                let at = stamp();
                txn.execute_raw(Statement::from_sql_and_values(
                    txn.get_database_backend(),
                    match txn.get_database_backend() {
                        DbBackend::Postgres => {
                            "INSERT INTO audit_checkpoint (tenant_id, seq, hash, at, mac) VALUES ($1, $2, $3, $4, $5)"
                        }
                        _ => "INSERT INTO audit_checkpoint (tenant_id, seq, hash, at, mac) VALUES (?, ?, ?, ?, ?)",
                    },
                    [
                        t.id.into(),
                        head.seq.into(),
                        head.hash.clone().into(),
                        at.into(),
                        checkpoint_mac(t.id, head.seq, &head.hash, &at).into(),
                    ],
                ))
                .await?;
                recorded += 1;
            }
            txn.commit().await?;
        }
        let head = platform_audit_entry::Entity::find()
            .order_by_desc(platform_audit_entry::Column::Seq)
            .limit(1)
            .one(self.db)
            .await?;
        let last = platform_checkpoints(self.db).await?.pop();
        if let Some(head) = head
            && last.is_none_or(|c| c.seq < head.seq)
        {
            let at = stamp();
            let backend = self.db.get_database_backend();
            self.db
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    match backend {
                        DbBackend::Postgres => {
                            "INSERT INTO platform_audit_checkpoint (seq, hash, at, mac) VALUES ($1, $2, $3, $4)"
                        }
                        _ => "INSERT INTO platform_audit_checkpoint (seq, hash, at, mac) VALUES (?, ?, ?, ?)",
                    },
                    [
                        head.seq.into(),
                        head.hash.clone().into(),
                        at.into(),
                        checkpoint_mac(PLATFORM_CHAIN, head.seq, &head.hash, &at).into(),
                    ],
                ))
                .await?;
            recorded += 1;
        }
        Ok(recorded)
    }
}

struct Checkpoint {
    seq: i64,
    hash: String,
    at: DateTime<Utc>,
    mac: String,
}

/// The platform chain's signed heads, oldest first.
async fn platform_checkpoints<C: ConnectionTrait>(db: &C) -> Result<Vec<Checkpoint>, StoreError> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(
        backend,
        "SELECT seq, hash, at, mac FROM platform_audit_checkpoint ORDER BY seq",
    ))
    .await?
    .iter()
    .map(|row| {
        Ok(Checkpoint {
            seq: row.try_get("", "seq")?,
            hash: row.try_get("", "hash")?,
            at: row.try_get("", "at")?,
            mac: row.try_get("", "mac")?,
        })
    })
    .collect()
}

/// A tenant's checkpoints, oldest first.
async fn checkpoints_of<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
) -> Result<Vec<Checkpoint>, StoreError> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT seq, hash, at, mac FROM audit_checkpoint WHERE tenant_id = $1 ORDER BY seq"
        }
        _ => "SELECT seq, hash, at, mac FROM audit_checkpoint WHERE tenant_id = ? ORDER BY seq",
    };
    db.query_all_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [tenant_id.into()],
    ))
    .await?
    .iter()
    .map(|row| {
        Ok(Checkpoint {
            seq: row.try_get("", "seq")?,
            hash: row.try_get("", "hash")?,
            at: row.try_get("", "at")?,
            mac: row.try_get("", "mac")?,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

    use super::{AuditEvent, append};
    use crate::entity::audit_subject;
    use crate::scope::{ScopedTxn, TenantEntity, TenantScope};
    use crate::test_databases::{TwoCenters, as_operator, details, two_centers};
    use crate::{Access, Actor, AuditFilter};
    use kentro_domain::keys::PersonId;

    async fn count(centers: &TwoCenters, table: &str, scope: TenantScope) -> i64 {
        centers
            .store
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                format!(
                    "SELECT count(*) AS n FROM {table} WHERE tenant_id = {}",
                    scope.tenant_id()
                ),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap()
    }

    fn list_read(ids: &str) -> AuditEvent {
        AuditEvent {
            actor: Actor::operator(),
            action: "person.read".into(),
            entity_type: "person".into(),
            entity_id: ids.into(),
            purpose: "backlog".into(),
            request_id: "test".into(),
        }
    }

    #[test]
    fn an_entrys_hashed_text_is_the_json_array_of_its_fields() {
        let row = crate::entity::audit_entry::Model {
            tenant_id: 7,
            seq: 42,
            at: chrono::DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap(),
            actor_id: None,
            actor: "Ελένη \"η\" \\ \u{1}\n".into(),
            actor_role: "social_worker".into(),
            action: "case.read".into(),
            entity_type: "case".into(),
            entity_id: "1,2,3".into(),
            purpose: "Cases </script>".into(),
            request_id: "req-1".into(),
            prev_hash: String::new(),
            hash: String::new(),
        };
        let as_before = serde_json::json!([
            "k1:00",
            7,
            42,
            row.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            row.actor_id,
            row.actor,
            row.actor_role,
            row.action,
            row.entity_type,
            row.entity_id,
            row.purpose,
            row.request_id,
        ])
        .to_string();
        assert_eq!(super::entry_fields("k1:00", 7, &row), as_before);
        let signed = crate::entity::audit_entry::Model {
            actor_id: Some(3),
            ..row
        };
        assert!(super::entry_fields("k1:00", 7, &signed).contains(",3,"));
    }

    #[tokio::test]
    async fn a_recorded_entry_waits_off_the_chain_until_sealed_and_then_verifies() {
        let centers = two_centers().await;
        let store = &centers.store;
        let before = store
            .audit_log()
            .verify(centers.ours)
            .await
            .unwrap()
            .entries as i64;
        let theirs_before = count(&centers, "audit_entry", centers.theirs).await;
        store
            .people()
            .register(centers.ours, &details("Δέλτα"), &as_operator())
            .await
            .unwrap();
        assert_eq!(count(&centers, "audit_entry", centers.ours).await, before);
        let waiting = count(&centers, "audit_pending", centers.ours).await;
        assert!(waiting >= 1, "the registration is recorded");

        let sealed = store.audit_log().seal(centers.ours).await.unwrap() as i64;
        assert_eq!(sealed, waiting);
        assert_eq!(count(&centers, "audit_pending", centers.ours).await, 0);
        assert_eq!(
            count(&centers, "audit_entry", centers.ours).await,
            before + sealed
        );
        let report = store.audit_log().verify(centers.ours).await.unwrap();
        assert_eq!(
            (report.entries as i64, report.first_broken),
            (before + sealed, None)
        );
        assert_eq!(
            count(&centers, "audit_entry", centers.theirs).await,
            theirs_before,
            "sealing one center's log leaves another's alone"
        );
    }

    #[tokio::test]
    async fn an_act_rolled_back_leaves_no_entry_to_seal() {
        let centers = two_centers().await;
        let store = &centers.store;
        store.audit_log().seal(centers.ours).await.unwrap();
        let txn = ScopedTxn::begin(&store.db, centers.ours).await.unwrap();
        append(&txn, &list_read("1"));
        txn.rollback().await.unwrap();
        assert_eq!(store.audit_log().seal(centers.ours).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_backlog_longer_than_a_batch_is_sealed_into_one_unbroken_chain() {
        let centers = two_centers().await;
        let store = &centers.store;
        store.audit_log().seal_all().await.unwrap();
        let before = store
            .audit_log()
            .verify(centers.ours)
            .await
            .unwrap()
            .entries;
        let backlog = super::SEAL_BATCH * 2 + 7;
        let txn = ScopedTxn::begin(&store.db, centers.ours).await.unwrap();
        for n in 0..backlog {
            append(&txn, &list_read(&format!("{n},{}", n + 1)));
        }
        txn.commit().await.unwrap();

        assert_eq!(
            store.audit_log().seal_recorded().await.unwrap() as u64,
            backlog,
            "the committed transaction noted its tenant for the sealer"
        );
        let report = store.audit_log().verify(centers.ours).await.unwrap();
        assert_eq!(
            (report.entries, report.first_broken),
            (before + backlog, None)
        );
        let postings = audit_subject::Entity::find()
            .filter(audit_subject::Column::TenantId.eq(centers.ours.tenant_id()))
            .all(&store.db)
            .await
            .unwrap();
        let listed: usize = postings
            .iter()
            .map(|p| super::posting_seqs(p).unwrap().len())
            .sum();
        assert_eq!(
            listed as u64,
            backlog * 2,
            "each list read's two people are kept as subjects"
        );
        assert!(
            postings.len() < listed,
            "a person two reads of a batch name is one row: {} rows",
            postings.len()
        );
    }

    #[tokio::test]
    async fn a_list_read_is_found_by_each_person_it_names_and_by_no_other() {
        let centers = two_centers().await;
        let store = &centers.store;
        let access = as_operator();
        let mut ids = Vec::new();
        for name in ["Άλφα", "Βήτα", "Γάμμα"] {
            let person = store
                .people()
                .register(centers.ours, &details(name), &access)
                .await
                .unwrap();
            ids.push(person.id);
        }
        let read = Access {
            purpose: "list read",
            ..access.clone()
        };
        // Twice before the sealer runs: both reads in one posting apiece.
        for _ in 0..2 {
            store
                .people()
                .get_many(centers.ours, &ids[..2], &read)
                .await
                .unwrap();
        }
        let reads_of = |id: PersonId| {
            let filter = AuditFilter {
                entity_type: Some("person".into()),
                entity_id: Some(id.to_string()),
                ..AuditFilter::default()
            };
            async move {
                store
                    .audit_log()
                    .list(centers.ours, &filter, None, 100)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|e| e.purpose == "list read")
                    .count()
            }
        };
        // The entries of a center's log that name this person.
        let naming = |scope: TenantScope, id: PersonId| async move {
            store
                .audit_log()
                .list(
                    scope,
                    &AuditFilter {
                        entity_id: Some(id.to_string()),
                        ..AuditFilter::default()
                    },
                    None,
                    100,
                )
                .await
                .unwrap()
        };
        assert_eq!(reads_of(ids[0]).await, 2);
        assert_eq!(reads_of(ids[1]).await, 2);
        assert_eq!(reads_of(ids[2]).await, 0, "the third was not read");
        // Another center's log knows nothing of it.
        let theirs = naming(centers.theirs, ids[0]).await;
        assert!(theirs.is_empty(), "{theirs:?}");
        let report = store.audit_log().verify(centers.ours).await.unwrap();
        assert_eq!(report.first_broken, None, "{report:?}");

        // An index row slipped in afterwards (the table takes inserts) is
        // found by the chain's check.
        let list_read = naming(centers.ours, ids[0])
            .await
            .into_iter()
            .find(|e| e.purpose == "list read")
            .unwrap();
        use sea_orm::ConnectionTrait;
        store
            .db
            .execute_unprepared(&format!(
                "INSERT INTO audit_subject (tenant_id, entity_id, entity_type, first_seq, seqs) VALUES ({}, '{}', 'person', {seq}, '{seq}')",
                centers.ours.tenant_id(),
                ids[2],
                seq = list_read.seq,
            ))
            .await
            .unwrap();
        let report = store.audit_log().verify(centers.ours).await.unwrap();
        assert_eq!(
            report.first_broken.as_ref().map(|(seq, _)| *seq),
            Some(list_read.seq),
            "{report:?}"
        );
    }

    /// A subject row whose list is not the ascending entries its key begins
    /// with (a hand-written row) is named by the chain's check.
    #[tokio::test]
    async fn a_subject_row_that_is_not_a_list_of_entries_is_found_by_verify() {
        for (first_seq, seqs) in [(1, "1,x"), (2, "3,2"), (5, "4")] {
            let centers = two_centers().await;
            let store = &centers.store;
            let report = store.audit_log().verify(centers.ours).await.unwrap();
            assert_eq!(report.first_broken, None, "{report:?}");
            store
                .db
                .execute_unprepared(&format!(
                    "INSERT INTO audit_subject (tenant_id, entity_id, entity_type, first_seq, seqs) \
                     VALUES ({}, '42', 'person', {first_seq}, '{seqs}')",
                    centers.ours.tenant_id()
                ))
                .await
                .unwrap();
            let report = store.audit_log().verify(centers.ours).await.unwrap();
            assert_eq!(
                report.first_broken.as_ref().map(|(seq, _)| *seq),
                Some(first_seq),
                "{seqs}: {report:?}"
            );
        }
    }

    /// PostgreSQL keeps no key from a subject row to its entry (migration
    /// 0021): a row naming an entry the log does not hold is found by the
    /// chain's check instead.
    #[tokio::test]
    async fn a_subject_row_naming_no_entry_is_found_by_verify_on_postgresql() {
        use sea_orm::ConnectionTrait;

        use crate::DatabaseTarget;
        use crate::test_databases::one_center_on_postgres;

        let center = one_center_on_postgres("kentro_orphan_subject").await;
        let (store, scope) = (&center.store, center.ours);
        let report = store.audit_log().verify(scope).await.unwrap();
        assert_eq!(report.first_broken, None, "{report:?}");
        assert!(report.entries > 0, "the onboarding is on the log");

        let beyond = report.entries as i64 + 1_000;
        let DatabaseTarget::Postgres(url) = center.database.as_role("postgres") else {
            unreachable!("a PostgreSQL database")
        };
        let superuser = sea_orm::Database::connect(url.as_str()).await.unwrap();
        superuser
            .execute_unprepared(&format!(
                "INSERT INTO audit_subject (tenant_id, entity_id, entity_type, first_seq, seqs) \
                 VALUES ({}, '42', 'person', {beyond}, '{beyond}')",
                scope.tenant_id()
            ))
            .await
            .expect("no key refuses the row");
        let report = store.audit_log().verify(scope).await.unwrap();
        assert_eq!(
            report.first_broken.as_ref().map(|(seq, _)| *seq),
            Some(beyond),
            "{report:?}"
        );
        drop(superuser);
        center.drop_now().await;
    }

    /// On PostgreSQL the sealer writes a list read's subjects as arrays,
    /// unnested: "who read" finds each person the read names, and no other,
    /// and the chain verifies.
    #[tokio::test]
    async fn a_list_read_on_postgresql_is_found_by_each_person_it_names_and_by_no_other() {
        use crate::test_databases::one_center_on_postgres;

        let center = one_center_on_postgres("kentro_list_read_subjects").await;
        let (store, scope) = (&center.store, center.ours);
        let access = as_operator();
        let mut ids = Vec::new();
        for name in ["Άλφα", "Βήτα", "Γάμμα"] {
            let person = store
                .people()
                .register(scope, &details(name), &access)
                .await
                .unwrap();
            ids.push(person.id);
        }
        // Read by a colleague with an account, whose id the entry keeps
        // (the operator's entries keep none).
        let worker = Actor {
            account_id: Some(kentro_domain::keys::AccountId::new(7)),
            name: "worker@ours".into(),
            role: "social_worker".into(),
        };
        let read = Access {
            actor: &worker,
            purpose: "list read",
            ..access.clone()
        };
        // Read twice before the sealer runs: one batch, one posting each.
        for _ in 0..2 {
            store
                .people()
                .get_many(scope, &ids[..2], &read)
                .await
                .unwrap();
        }
        let list_reads_naming = |id: PersonId| async move {
            let filter = AuditFilter {
                entity_type: Some("person".into()),
                entity_id: Some(id.to_string()),
                ..AuditFilter::default()
            };
            (store.audit_log().list(scope, &filter, None, 100).await)
                .unwrap()
                .into_iter()
                .filter(|e| e.purpose == "list read")
                .map(|e| e.seq)
                .collect::<Vec<_>>()
        };
        let first = list_reads_naming(ids[0]).await;
        let entries = (store
            .audit_log()
            .list(scope, &AuditFilter::default(), None, 100)
            .await)
            .unwrap();
        let by_worker = entries.iter().find(|e| e.purpose == "list read").unwrap();
        assert_eq!(by_worker.actor.account_id, worker.account_id);
        let by_operator = entries
            .iter()
            .find(|e| e.action == "person.register")
            .unwrap();
        assert_eq!(by_operator.actor.account_id, None);
        assert_eq!(first.len(), 2, "{first:?}");
        assert_eq!(list_reads_naming(ids[1]).await, first);
        assert!(
            list_reads_naming(ids[2]).await.is_empty(),
            "the third was not read"
        );
        let txn = ScopedTxn::begin(&store.db, scope).await.unwrap();
        let postings = (audit_subject::Entity::find_in(&txn).all(&txn).await).unwrap();
        let still_pending = (crate::entity::audit_pending::Entity::find_in(&txn)
            .all(&txn)
            .await)
            .unwrap();
        txn.commit().await.unwrap();
        assert!(
            still_pending.is_empty(),
            "sealed entries leave audit_pending: {still_pending:?}"
        );
        let mut listed: Vec<_> = postings
            .iter()
            .map(|p| (p.entity_id.as_str(), p.seqs.as_str()))
            .collect();
        listed.sort_unstable();
        let both = format!("{},{}", first[1], first[0]);
        let (a, b) = (ids[0].to_string(), ids[1].to_string());
        let mut expected = vec![(a.as_str(), both.as_str()), (b.as_str(), both.as_str())];
        expected.sort_unstable();
        assert_eq!(listed, expected, "one row per person, listing both reads");
        let report = store.audit_log().verify(scope).await.unwrap();
        assert_eq!(report.first_broken, None, "{report:?}");
        center.drop_now().await;
    }
}
