//! The notification outbox: e-mails (and SMS) written in the transaction of
//! the change that causes them, delivered later by a worker that claims due
//! rows for a lease, so replicas never send one twice at the same time, and
//! retries failures with exponential backoff.

use chrono::{DateTime, Duration, Utc};
use kentro_domain::keys::{NotificationId, ReferralId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::StoreError;
use crate::entity::{notification, platform_notification, tenant};
use crate::ids::next_id;
use crate::scope::{PlatformTxn, ScopedTxn, TenantEntity, TenantScope};
use crate::transaction::{Db, Plans};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    NewReferral,
    ResponseReceived,
    Overdue,
    Invitation,
    PasswordReset,
}

impl NotificationKind {
    pub fn code(self) -> &'static str {
        match self {
            NotificationKind::NewReferral => "new_referral",
            NotificationKind::ResponseReceived => "response_received",
            NotificationKind::Overdue => "overdue",
            NotificationKind::Invitation => "invitation",
            NotificationKind::PasswordReset => "password_reset",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    fn from_code(code: &str) -> Option<Channel> {
        match code {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
}

pub(crate) struct NewNotification {
    pub kind: NotificationKind,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub referral_id: Option<ReferralId>,
}

/// A notification to deliver, or delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The center whose outbox holds it; `None` for the platform's own
    /// (mail to an account of no center).
    pub scope: Option<TenantScope>,
    pub id: NotificationId,
    pub kind: String,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub referral_id: Option<ReferralId>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// How long a claimed notification is reserved for its worker.
const LEASE: Duration = Duration::minutes(2);
/// After this many failed attempts a notification is given up.
pub const MAX_ATTEMPTS: i32 = 8;

/// The wait before attempt `attempts + 1`: 30 s doubling, at most 1 h.
pub fn backoff(attempts: i32) -> Duration {
    let seconds = 30i64.saturating_mul(1i64 << attempts.clamp(0, 7));
    Duration::seconds(seconds.min(3600))
}

/// Queues a notification inside the caller's transaction (which has
/// entered `scope`): it exists only if the change that caused it commits.
pub(crate) async fn enqueue(txn: &ScopedTxn, new: NewNotification) -> Result<(), StoreError> {
    let now = Utc::now();
    notification::ActiveModel {
        tenant_id: Set(txn.tenant_id()),
        id: Set(next_id(txn, "notification").await?),
        kind: Set(new.kind.code().to_owned()),
        channel: Set(Channel::Email.code().to_owned()),
        recipient: Set(new.recipient),
        subject: Set(new.subject),
        body: Set(new.body),
        referral_id: Set(new.referral_id.map(ReferralId::get)),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Queues the platform's own notification, to an account of no center,
/// inside the caller's transaction.
pub(crate) async fn enqueue_platform(
    txn: &PlatformTxn,
    new: NewNotification,
) -> Result<(), StoreError> {
    let now = Utc::now();
    platform_notification::ActiveModel {
        kind: Set(new.kind.code().to_owned()),
        channel: Set(Channel::Email.code().to_owned()),
        recipient: Set(new.recipient),
        subject: Set(new.subject),
        body: Set(new.body),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

fn from_platform_row(row: platform_notification::Model) -> Result<Notification, StoreError> {
    Ok(Notification {
        scope: None,
        channel: Channel::from_code(&row.channel).ok_or_else(|| {
            StoreError::corrupt(format!("platform notification {}", row.id), "channel")
        })?,
        id: NotificationId::new(row.id),
        kind: row.kind,
        recipient: row.recipient,
        subject: row.subject,
        body: row.body,
        referral_id: None,
        status: row.status,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        last_error: row.last_error,
        created_at: row.created_at,
        sent_at: row.sent_at,
    })
}

/// What an attempt to deliver leaves on the record.
struct Attempted {
    attempts: i32,
    status: Option<&'static str>,
    sent_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    next_attempt_at: Option<DateTime<Utc>>,
    /// The body as kept once sent: the link was for the receiver.
    body: Option<String>,
}

fn attempted(n: &Notification, attempts_before: i32, error: Option<&str>) -> Attempted {
    let now = Utc::now();
    let attempts = attempts_before + 1;
    match error {
        None => Attempted {
            attempts,
            status: Some("sent"),
            sent_at: Some(now),
            last_error: None,
            next_attempt_at: None,
            body: Some(kentro_domain::links::redact_secret_links(&n.body)),
        },
        Some(error) => Attempted {
            attempts,
            status: (attempts >= MAX_ATTEMPTS).then_some("failed"),
            sent_at: None,
            last_error: Some(error.chars().take(1000).collect()),
            next_attempt_at: (attempts < MAX_ATTEMPTS).then(|| now + backoff(attempts)),
            body: None,
        },
    }
}

fn from_row(row: notification::Model) -> Result<Notification, StoreError> {
    Ok(Notification {
        scope: Some(TenantScope::new(row.tenant_id)),
        channel: Channel::from_code(&row.channel)
            .ok_or_else(|| StoreError::corrupt(format!("notification {}", row.id), "channel"))?,
        id: NotificationId::new(row.id),
        kind: row.kind,
        recipient: row.recipient,
        subject: row.subject,
        body: row.body,
        referral_id: row.referral_id.map(ReferralId::new),
        status: row.status,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        last_error: row.last_error,
        created_at: row.created_at,
        sent_at: row.sent_at,
    })
}

/// Rows of `query` no other worker holds: on PostgreSQL locked for this
/// transaction, skipping those locked already (SQLite has one writer).
fn unclaimed<E: sea_orm::EntityTrait>(
    query: sea_orm::Select<E>,
    txn: &impl ConnectionTrait,
) -> sea_orm::Select<E> {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        )
    } else {
        query
    }
}

pub struct Outbox<'a> {
    db: &'a Db,
}

impl<'a> Outbox<'a> {
    pub(crate) fn new(db: &'a Db) -> Self {
        Outbox { db }
    }

    /// Claims up to `limit` due notifications across tenants for a lease:
    /// another worker will not take them until it runs out.
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Notification>, StoreError> {
        let tenants = tenant::Entity::find().all(self.db).await?;
        let mut claimed = Vec::new();
        for tenant in tenants {
            if claimed.len() as u64 >= limit {
                break;
            }
            let scope = TenantScope::new(tenant.id);
            // The queue fills and drains: planned as it runs (`Plans::Fresh`).
            let txn = ScopedTxn::begin_planned(self.db, scope, Plans::Fresh).await?;
            let query = notification::Entity::find_in(&txn)
                .filter(notification::Column::Status.eq("pending"))
                .filter(notification::Column::NextAttemptAt.lte(now))
                .order_by_asc(notification::Column::NextAttemptAt)
                .limit(limit - claimed.len() as u64);
            for row in unclaimed(query, &txn).all(&txn).await? {
                let mut active: notification::ActiveModel = row.into();
                active.next_attempt_at = Set(now + LEASE);
                claimed.push(from_row(active.update(&txn).await?)?);
            }
            txn.commit().await?;
        }
        if (claimed.len() as u64) < limit {
            let txn = PlatformTxn::begin(self.db).await?;
            let query = platform_notification::Entity::find()
                .filter(platform_notification::Column::Status.eq("pending"))
                .filter(platform_notification::Column::NextAttemptAt.lte(now))
                .order_by_asc(platform_notification::Column::NextAttemptAt)
                .limit(limit - claimed.len() as u64);
            for row in unclaimed(query, &txn).all(&txn).await? {
                let mut active: platform_notification::ActiveModel = row.into();
                active.next_attempt_at = Set(now + LEASE);
                claimed.push(from_platform_row(active.update(&txn).await?)?);
            }
            txn.commit().await?;
        }
        Ok(claimed)
    }

    pub async fn mark_sent(&self, n: &Notification) -> Result<(), StoreError> {
        self.finish(n, None).await
    }

    /// Records a failed attempt: retried after [`backoff`], given up
    /// (`failed`) after [`MAX_ATTEMPTS`].
    pub async fn mark_failed(&self, n: &Notification, error: &str) -> Result<(), StoreError> {
        self.finish(n, Some(error)).await
    }

    async fn finish(&self, n: &Notification, error: Option<&str>) -> Result<(), StoreError> {
        // Each column an attempt sets, on whichever outbox holds `n`.
        macro_rules! record_attempt {
            ($active:ident, $done:expr) => {{
                let done = $done;
                $active.attempts = Set(done.attempts);
                $active.last_error = Set(done.last_error);
                if let Some(status) = done.status {
                    $active.status = Set(status.into());
                }
                if let Some(at) = done.sent_at {
                    $active.sent_at = Set(Some(at));
                }
                if let Some(at) = done.next_attempt_at {
                    $active.next_attempt_at = Set(at);
                }
                if let Some(body) = done.body {
                    $active.body = Set(body);
                }
            }};
        }
        match n.scope {
            Some(scope) => {
                let txn = ScopedTxn::begin(self.db, scope).await?;
                let Some(row) = notification::Entity::find_id_in(&txn, n.id.get())
                    .one(&txn)
                    .await?
                else {
                    return Ok(());
                };
                let done = attempted(n, row.attempts, error);
                let mut active: notification::ActiveModel = row.into();
                record_attempt!(active, done);
                active.update(&txn).await?;
                txn.commit().await?;
            }
            None => {
                let txn = PlatformTxn::begin(self.db).await?;
                let Some(row) = platform_notification::Entity::find_by_id(n.id.get())
                    .one(&txn)
                    .await?
                else {
                    return Ok(());
                };
                let done = attempted(n, row.attempts, error);
                let mut active: platform_notification::ActiveModel = row.into();
                record_attempt!(active, done);
                active.update(&txn).await?;
                txn.commit().await?;
            }
        }
        Ok(())
    }

    /// A tenant's notifications, newest first.
    pub async fn list(
        &self,
        scope: TenantScope,
        limit: u64,
    ) -> Result<Vec<Notification>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = notification::Entity::find_in(&txn)
            .order_by_desc(notification::Column::Id)
            .limit(limit)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(240));
        assert_eq!(backoff(7), Duration::seconds(3600));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }
}
