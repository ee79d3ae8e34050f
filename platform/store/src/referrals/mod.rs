//! Referrals from a case to a directory service, and the closed loop with
//! the receiver: a single-purpose link for a partner without an account, and
//! API keys for partners whose systems integrate. Every change is one
//! transaction with its audit entry and the notifications it causes.

use chrono::{DateTime, Duration, Utc};
use kentro_domain::TenantSlug;
use kentro_domain::household::ConsentPurpose;
use kentro_domain::keys::{AccountId, CaseId, PartnerKeyId, PersonId, ReferralId, TenantId};
use kentro_domain::referral::{
    DeclineReason, EnvelopeField, EnvelopeSource, NotCompletedReason, PartnerKeyLabel,
    ReferralLevel, ReferralReason, ReferralResponse, ReferralStatus, TargetScope, Urgency,
    envelope, is_overdue,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;

use crate::accounts::{random_hex, sha256_hex};
use crate::audit::{self, Access, Actor};
use crate::codes::{decode, decode_list, decode_optional};
use crate::directory::{Directory, DirectoryScope, ServiceSummary};
use crate::entity::{
    case_file, consent, household_member, partner_key, partner_link, referral, tenant, user_account,
};
use crate::ids::next_id;
use crate::outbox::{self, NewNotification, NotificationKind};
use crate::scope::{ScopedTxn, TenantEntity, TenantScope};
use crate::transaction::{Db, Plans};
use crate::{StoreError, people};

mod links;
mod overdue;
mod partner_keys;

use links::{apply_response, link_url, revoke_links};

#[derive(Debug, Clone, PartialEq)]
pub struct ReferralRecord {
    pub id: ReferralId,
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub created_by: AccountId,
    pub target_scope: TargetScope,
    pub target_tenant_id: Option<TenantId>,
    pub service_id: String,
    pub service_name: String,
    pub organization_id: Option<String>,
    pub organization_name: Option<String>,
    pub receiver_email: Option<String>,
    pub level: ReferralLevel,
    pub reason: String,
    pub urgency: Urgency,
    pub status: ReferralStatus,
    pub envelope_fields: Vec<EnvelopeField>,
    /// What the receiver sees; set when the referral is sent.
    pub envelope: Option<Value>,
    pub decline_reason: Option<DeclineReason>,
    pub response_note: Option<String>,
    pub outcome_reason: Option<NotCompletedReason>,
    pub outcome_note: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ReferralRecord {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        is_overdue(self.status, self.deadline_at, now)
    }

    /// What a receiver may still see: while the referral is open, the
    /// envelope and the reason; once it is closed (declined, completed,
    /// not completed, cancelled), only its status and the receiver's own
    /// answers. The shared data does not outlive the referral.
    pub fn for_receiver(mut self) -> ReferralRecord {
        if self.closed_at.is_some() {
            self.envelope = None;
            self.reason = String::new();
        }
        self
    }
}

/// Where a referral goes.
#[derive(Debug, Clone)]
pub struct ServiceTarget {
    pub scope: TargetScope,
    /// For [`TargetScope::Tenant`]: whose directory.
    pub tenant: Option<TenantSlug>,
    pub service_id: String,
}

#[derive(Debug, Clone)]
pub struct NewReferral {
    pub case_id: CaseId,
    pub target: ServiceTarget,
    pub level: ReferralLevel,
    pub reason: ReferralReason,
    pub urgency: Urgency,
    pub envelope_fields: Vec<EnvelopeField>,
}

#[derive(Debug, Clone, Default)]
pub struct ReferralFilter {
    pub case_id: Option<CaseId>,
    pub person_id: Option<PersonId>,
    pub status: Option<ReferralStatus>,
    pub overdue_only: bool,
}

/// A sent referral and the link its receiver answers through, shown once.
#[derive(Debug, Clone)]
pub struct SentReferral {
    pub referral: ReferralRecord,
    pub link_token: String,
    pub link_expires_at: DateTime<Utc>,
    /// Whether an e-mail to the receiver was queued (the service has an address).
    pub receiver_notified: bool,
}

/// What a partner's link shows: the referral and the tenant it came from.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub tenant_name: String,
    pub referral: ReferralRecord,
    pub expires_at: DateTime<Utc>,
}

/// A partner organization authenticated by its API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerPrincipal {
    pub scope: TenantScope,
    pub key_id: i64,
    pub organization_id: String,
    pub label: String,
}

impl PartnerPrincipal {
    pub fn actor(&self) -> Actor {
        Actor {
            account_id: None,
            name: format!("partner key {} ({})", self.key_id, self.label),
            role: "partner".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PartnerKeyRecord {
    pub id: PartnerKeyId,
    pub organization_id: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Settings of the closed loop.
#[derive(Debug, Clone)]
pub struct LoopSettings {
    /// How long a partner link stays usable.
    pub link_lifetime: Duration,
    /// The public address the links in e-mails start with.
    pub public_url: String,
}

use kentro_domain::referral::PARTNER_KEY_PREFIX;

fn record_from(row: referral::Model) -> Result<ReferralRecord, StoreError> {
    let what = format!("referral {}", row.id);
    let envelope_fields = decode_list(&row.envelope_fields, &what)?;
    Ok(ReferralRecord {
        id: ReferralId::new(row.id),
        case_id: CaseId::new(row.case_id),
        person_id: PersonId::new(row.person_id),
        created_by: AccountId::new(row.created_by),
        target_scope: decode(&row.target_scope, &what)?,
        target_tenant_id: row.target_tenant_id.map(TenantId::new),
        level: decode(&row.level, &what)?,
        urgency: decode(&row.urgency, &what)?,
        status: decode(&row.status, &what)?,
        envelope_fields,
        envelope: match row.envelope.as_deref() {
            Some(text) => Some(
                serde_json::from_str(text)
                    .map_err(|_| StoreError::corrupt(what.clone(), "envelope"))?,
            ),
            None => None,
        },
        decline_reason: decode_optional(row.decline_reason.as_deref(), &what)?,
        outcome_reason: decode_optional(row.outcome_reason.as_deref(), &what)?,
        service_id: row.service_id,
        service_name: row.service_name,
        organization_id: row.organization_id,
        organization_name: row.organization_name,
        receiver_email: row.receiver_email,
        reason: row.reason,
        response_note: row.response_note,
        outcome_note: row.outcome_note,
        sent_at: row.sent_at,
        deadline_at: row.deadline_at,
        responded_at: row.responded_at,
        closed_at: row.closed_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

async fn find(txn: &ScopedTxn, id: ReferralId) -> Result<referral::Model, StoreError> {
    referral::Entity::find_id_in(txn, id.get())
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::not_found("Referral"))
}

/// Whether the person's latest statement for referral sharing gives consent.
async fn has_sharing_consent(txn: &ScopedTxn, person_id: PersonId) -> Result<bool, StoreError> {
    let latest = consent::Entity::find_in(txn)
        .filter(consent::Column::PersonId.eq(person_id.get()))
        .filter(consent::Column::Purpose.eq(ConsentPurpose::ReferralSharing.code()))
        .order_by_desc(consent::Column::Seq)
        .one(txn)
        .await?;
    Ok(latest.is_some_and(|c| c.given))
}

async fn account_email<C: ConnectionTrait>(
    db: &C,
    account_id: AccountId,
) -> Result<Option<String>, StoreError> {
    Ok(user_account::Entity::find_by_id(account_id.get())
        .one(db)
        .await?
        .map(|a| a.email))
}

pub struct Referrals<'a> {
    db: &'a Db,
}

impl<'a> Referrals<'a> {
    pub(crate) fn new(db: &'a Db) -> Self {
        Referrals { db }
    }

    /// Drafts a referral of a case's person to a directory service. The
    /// person must have consented to referral sharing.
    pub async fn create(
        &self,
        scope: TenantScope,
        new: NewReferral,
        access: &Access<'_>,
    ) -> Result<ReferralRecord, StoreError> {
        let reason = new.reason.as_str().to_owned();
        let (snapshot, target_tenant) = match new.target.scope {
            TargetScope::Own => (
                Directory::new(self.db)
                    .snapshot(DirectoryScope::Tenant(scope))
                    .await?,
                None,
            ),
            TargetScope::National => (
                Directory::new(self.db)
                    .snapshot(DirectoryScope::National)
                    .await?,
                None,
            ),
            TargetScope::Tenant => {
                let slug = new.target.tenant.as_ref().ok_or_else(|| {
                    StoreError::invalid("tenant", "name the municipality whose service it is")
                })?;
                let (other, snapshot) =
                    Directory::new(self.db)
                        .published(slug)
                        .await?
                        .ok_or_else(|| {
                            StoreError::invalid("tenant", format!("no municipality {slug}"))
                        })?;
                if other == scope {
                    return Err(StoreError::invalid(
                        "tenant",
                        "is your own municipality; use the scope OWN",
                    ));
                }
                (snapshot, Some(other.tenant_id()))
            }
        };
        let service: ServiceSummary = Directory::service_summary(&snapshot, &new.target.service_id)
            .ok_or_else(|| {
                StoreError::invalid(
                    "serviceId",
                    format!(
                        "no service {} in the {} directory",
                        new.target.service_id,
                        new.target.scope.code()
                    ),
                )
            })?;
        if service.status != "active" {
            return Err(StoreError::invalid(
                "serviceId",
                format!(
                    "the service is {}; only active services take referrals",
                    service.status
                ),
            ));
        }
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let case = case_file::Entity::find_id_in(&txn, new.case_id.get())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("Case"))?;
        if !has_sharing_consent(&txn, PersonId::new(case.person_id)).await? {
            return Err(StoreError::ConsentRequired {
                purpose: ConsentPurpose::ReferralSharing.code().into(),
            });
        }
        let creator = access.actor.account_id.ok_or_else(|| {
            StoreError::invalid("actor", "referrals are made by staff members with accounts")
        })?;
        let id = next_id(&txn, "referral").await?;
        let now = Utc::now();
        let mut fields: Vec<&str> = new.envelope_fields.iter().map(|f| f.code()).collect();
        fields.sort_unstable();
        fields.dedup();
        let row = referral::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            id: Set(id),
            case_id: Set(case.id),
            person_id: Set(case.person_id),
            created_by: Set(creator.get()),
            target_scope: Set(new.target.scope.code().to_owned()),
            target_tenant_id: Set(target_tenant),
            service_id: Set(service.id),
            service_name: Set(service.name),
            organization_id: Set(service.organization_id),
            organization_name: Set(service.organization_name),
            receiver_email: Set(service.email),
            level: Set(new.level.code().to_owned()),
            reason: Set(reason),
            urgency: Set(new.urgency.code().to_owned()),
            status: Set(ReferralStatus::Draft.code().to_owned()),
            envelope_fields: Set(fields.join(",")),
            envelope: Set(None),
            decline_reason: Set(None),
            response_note: Set(None),
            outcome_reason: Set(None),
            outcome_note: Set(None),
            sent_at: Set(None),
            deadline_at: Set(None),
            responded_at: Set(None),
            closed_at: Set(None),
            overdue_notified_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit::record(&txn, access, "referral.created", "referral", id.to_string());
        txn.commit().await?;
        record_from(row)
    }

    /// What sending the draft would share now, exactly as the receiver would
    /// get it; reading it is recorded as a read of the person.
    pub async fn envelope_preview(
        &self,
        scope: TenantScope,
        id: ReferralId,
        access: &Access<'_>,
    ) -> Result<serde_json::Value, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let current = record_from(find(&txn, id).await?)?;
        let preview = build_envelope(&txn, &current, access).await?;
        txn.commit().await?;
        Ok(preview)
    }

    /// Sends a draft: freezes the envelope, starts the response deadline,
    /// creates the receiver's link and queues the e-mail to the receiver.
    /// Consent is checked again, as it may have been withdrawn meanwhile.
    pub async fn send(
        &self,
        scope: TenantScope,
        id: ReferralId,
        settings: &LoopSettings,
        access: &Access<'_>,
    ) -> Result<SentReferral, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = find(&txn, id).await?;
        let current = record_from(row.clone())?;
        current
            .status
            .transition(ReferralStatus::Sent)
            .map_err(StoreError::InvalidReferralTransition)?;
        if !has_sharing_consent(&txn, current.person_id).await? {
            return Err(StoreError::ConsentRequired {
                purpose: ConsentPurpose::ReferralSharing.code().into(),
            });
        }
        let sent_envelope = build_envelope(&txn, &current, access).await?;
        let now = Utc::now();
        let deadline = current.urgency.response_deadline(now);
        let mut active: referral::ActiveModel = row.into();
        active.status = Set(ReferralStatus::Sent.code().to_owned());
        active.envelope = Set(Some(sent_envelope.to_string()));
        active.sent_at = Set(Some(now));
        active.deadline_at = Set(Some(deadline));
        active.updated_at = Set(now);
        let row = active.update(&txn).await?;

        let token = format!("{}-{}", scope.tenant_id(), random_hex()?);
        let expires_at = now + settings.link_lifetime;
        partner_link::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            id: Set(next_id(&txn, "partner_link").await?),
            referral_id: Set(id.get()),
            token_hash: Set(sha256_hex(&token)),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            last_opened_at: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let receiver_notified = match &current.receiver_email {
            Some(email) => {
                let tenant_name = tenant::Entity::find_by_id(scope.tenant_id())
                    .one(&txn)
                    .await?
                    .map(|t| t.name_el)
                    .unwrap_or_default();
                outbox::enqueue(&txn,
                    NewNotification {
                        kind: NotificationKind::NewReferral,
                        recipient: email.clone(),
                        subject: format!(
                            "Νέα παραπομπή από {tenant_name} / New referral: {}",
                            current.service_name
                        ),
                        body: format!(
                            "Το Κέντρο Κοινότητας {tenant_name} σας παραπέμπει ένα πρόσωπο για «{}» (επείγον: {}).\n\
                             Δείτε την παραπομπή και απαντήστε έως {}:\n{}\n\n\
                             A Community Center refers a person to \"{}\". Answer by {} at the link above.",
                            current.service_name,
                            current.urgency.code(),
                            deadline.format("%Y-%m-%d %H:%M UTC"),
                            link_url(settings, &token),
                            current.service_name,
                            deadline.format("%Y-%m-%d %H:%M UTC"),
                        ),
                        referral_id: Some(id),
                    },
                )
                .await?;
                true
            }
            None => false,
        };
        audit::record(&txn, access, "referral.sent", "referral", id.to_string());
        txn.commit().await?;
        Ok(SentReferral {
            referral: record_from(row)?,
            link_token: token,
            link_expires_at: expires_at,
            receiver_notified,
        })
    }

    /// The sender withdraws an open referral; its links stop working.
    pub async fn cancel(
        &self,
        scope: TenantScope,
        id: ReferralId,
        access: &Access<'_>,
    ) -> Result<ReferralRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = find(&txn, id).await?;
        let current = record_from(row.clone())?;
        current
            .status
            .transition(ReferralStatus::Cancelled)
            .map_err(StoreError::InvalidReferralTransition)?;
        let now = Utc::now();
        let mut active: referral::ActiveModel = row.into();
        active.status = Set(ReferralStatus::Cancelled.code().to_owned());
        active.closed_at = Set(Some(now));
        active.updated_at = Set(now);
        let row = active.update(&txn).await?;
        revoke_links(&txn, id, now).await?;
        audit::record(
            &txn,
            access,
            "referral.cancelled",
            "referral",
            id.to_string(),
        );
        txn.commit().await?;
        record_from(row)
    }

    /// Revokes the referral's partner links (the referral stays as it is).
    pub async fn revoke_links(
        &self,
        scope: TenantScope,
        id: ReferralId,
        access: &Access<'_>,
    ) -> Result<u64, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        find(&txn, id).await?;
        let revoked = revoke_links(&txn, id, Utc::now()).await?;
        audit::record(
            &txn,
            access,
            "referral.links_revoked",
            "referral",
            id.to_string(),
        );
        txn.commit().await?;
        Ok(revoked)
    }

    pub async fn get(
        &self,
        scope: TenantScope,
        id: ReferralId,
    ) -> Result<ReferralRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = find(&txn, id).await?;
        txn.commit().await?;
        record_from(row)
    }

    /// Referrals newest first, at most `limit` after skipping `offset`.
    pub async fn list(
        &self,
        scope: TenantScope,
        filter: &ReferralFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<ReferralRecord>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let mut query = referral::Entity::find_in(&txn);
        if let Some(case_id) = filter.case_id {
            query = query.filter(referral::Column::CaseId.eq(case_id.get()));
        }
        if let Some(person_id) = filter.person_id {
            query = query.filter(referral::Column::PersonId.eq(person_id.get()));
        }
        if let Some(status) = filter.status {
            query = query.filter(referral::Column::Status.eq(status.code()));
        }
        if filter.overdue_only {
            query = query
                .filter(referral::Column::Status.eq(ReferralStatus::Sent.code()))
                .filter(referral::Column::DeadlineAt.lt(Utc::now()));
        }
        let rows = query
            .order_by_desc(referral::Column::CreatedAt)
            .order_by_desc(referral::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(record_from).collect()
    }
}

/// What the receiver of `referral` gets: the chosen fields of the person,
/// read now (the read is recorded for `access`).
async fn build_envelope(
    txn: &ScopedTxn,
    current: &ReferralRecord,
    access: &Access<'_>,
) -> Result<serde_json::Value, StoreError> {
    let person = people::load_many(txn, &[current.person_id], access)
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("Person"))?;
    let household = match household_member::Entity::find_id_in(txn, current.person_id.get())
        .one(txn)
        .await?
    {
        Some(member) => household_member::Entity::find_in(txn)
            .filter(household_member::Column::HouseholdId.eq(member.household_id))
            .order_by_asc(household_member::Column::PersonId)
            .all(txn)
            .await?
            .iter()
            .filter_map(|m| kentro_domain::household::Relationship::from_code(&m.relationship))
            .collect(),
        None => Vec::new(),
    };
    let case = case_file::Entity::find_id_in(txn, current.case_id.get())
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::not_found("Case"))?;
    let categories: Vec<&str> = case
        .categories
        .split(',')
        .filter(|c| !c.is_empty())
        .collect();
    Ok(envelope(
        &current.envelope_fields,
        EnvelopeSource {
            person: &person.details,
            household: &household,
            request_date: case.request_date,
            request_categories: &categories,
        },
    ))
}

#[cfg(test)]
mod tests {
    use kentro_domain::referral::{ReferralResponse, ReferralStatus};

    use super::LoopSettings;
    use crate::StoreError;
    use crate::test_databases::{
        as_operator, as_social_worker, person_with_a_case, shelter_in_directory,
        signed_referral_consent, two_centers, urgent_referral_to_shelter,
    };

    #[tokio::test]
    async fn a_referral_needs_consent_is_answered_once_through_its_link_and_is_hidden_from_other_centers()
     {
        let centers = two_centers().await;
        let (store, ours, theirs) = (&centers.store, centers.ours, centers.theirs);
        let access = as_operator();
        shelter_in_directory(store, ours).await;
        let (person_id, case_id) = person_with_a_case(store, ours, "Παραπομπής").await;
        let referrals = store.referrals();
        let new_referral = || urgent_referral_to_shelter(case_id);
        match referrals.create(ours, new_referral(), &access).await {
            Err(StoreError::ConsentRequired { .. }) => {}
            other => panic!("nothing is shared without the person's consent: {other:?}"),
        }
        store
            .households()
            .record_consent(ours, signed_referral_consent(person_id), &access)
            .await
            .unwrap();
        // A referral names the colleague who made it.
        let as_worker = as_social_worker();
        let referral = referrals
            .create(ours, new_referral(), &as_worker)
            .await
            .unwrap();
        assert_eq!(referral.status, ReferralStatus::Draft);
        let settings = LoopSettings {
            link_lifetime: chrono::Duration::days(30),
            public_url: "http://kentro.test".into(),
        };
        let sent = referrals
            .send(ours, referral.id, &settings, &as_worker)
            .await
            .unwrap();
        assert_eq!(sent.referral.status, ReferralStatus::Sent);
        assert!(sent.receiver_notified, "the service has an address");

        let view = referrals.open_link(&sent.link_token).await.unwrap();
        assert_eq!(view.referral.id, referral.id);
        let (_, accepted) = referrals
            .respond_by_link(&sent.link_token, &ReferralResponse::Accept { note: None })
            .await
            .unwrap();
        assert_eq!(accepted.status, ReferralStatus::Accepted);
        match referrals
            .respond_by_link(&sent.link_token, &ReferralResponse::Accept { note: None })
            .await
        {
            Err(StoreError::InvalidReferralTransition(_)) => {}
            other => panic!("an accepted referral is not accepted twice: {other:?}"),
        }

        match referrals.get(theirs, referral.id).await {
            Err(StoreError::NotFound { .. }) => {}
            other => panic!("another center does not see it: {other:?}"),
        }
        assert_eq!(
            referrals.get(ours, referral.id).await.unwrap().status,
            ReferralStatus::Accepted,
            "still as the receiver left it"
        );
    }
}
