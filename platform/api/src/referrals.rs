//! Referrals over GraphQL: staff make, send, follow and cancel them; a
//! partner organization's system reads and answers the ones sent to it
//! with its API key; staff of the sending tenant hear every change live.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use kentro_domain::TenantSlug;
use kentro_domain::access::Permission;
use kentro_domain::keys::{CaseId, PartnerKeyId, PersonId, ReferralId};
use kentro_domain::referral::{ReferralResponse, TargetScope};
use kentro_store::{
    Event, NewReferral, Notification as NotificationRecord, PartnerKeyRecord, ReferralFilter,
    ReferralRecord, ServiceTarget, Store, TenantScope,
};
use serde_json::Value;

use crate::cases::Case;
use crate::context::{Accessor, partner, request, services, tenant_scope};
use crate::directory::DirectoryScope;
use crate::error::{ApiError, bad_input, from_store, invalid_fields};
use crate::id;
use crate::paging::{Page, page, page_size};
use crate::people::Person;
use crate::users::User;

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::referral::ReferralStatus")]
pub enum ReferralStatus {
    Draft,
    Sent,
    Accepted,
    Declined,
    InProgress,
    Completed,
    NotCompleted,
    Cancelled,
    Expired,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::referral::ReferralLevel")]
pub enum ReferralLevel {
    Local,
    Regional,
    National,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::referral::Urgency")]
pub enum Urgency {
    Routine,
    Priority,
    Urgent,
    Emergency,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::referral::EnvelopeField")]
pub enum EnvelopeField {
    Name,
    BirthDate,
    Phone,
    Email,
    Address,
    Amka,
    Afm,
    HouseholdComposition,
    RequestSummary,
    SpecialCategories,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::referral::DeclineReason")]
pub enum DeclineReason {
    NoCapacity,
    NotEligible,
    OutOfArea,
    PersonUnreachable,
    Other,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::referral::NotCompletedReason")]
pub enum NotCompletedReason {
    PersonDidNotAttend,
    PersonWithdrew,
    ServiceUnavailable,
    Other,
}

/// What a receiver answers or reports.
#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum ResponseAction {
    Accept,
    Decline,
    Start,
    Complete,
    NotComplete,
}

impl ResponseAction {
    fn code(self) -> &'static str {
        match self {
            ResponseAction::Accept => "accept",
            ResponseAction::Decline => "decline",
            ResponseAction::Start => "start",
            ResponseAction::Complete => "complete",
            ResponseAction::NotComplete => "not_complete",
        }
    }
}

/// The service a referral goes to, as it was when the referral was made.
#[derive(SimpleObject)]
pub struct ReferredService {
    scope: DirectoryScope,
    /// The HSDS id.
    id: String,
    name: String,
    organization_id: Option<String>,
    organization_name: Option<String>,
    /// Where the receiver is told of the referral.
    receiver_email: Option<String>,
}

pub struct Referral {
    record: ReferralRecord,
    scope: TenantScope,
}

#[Object]
impl Referral {
    async fn id(&self) -> ID {
        id::encode_key(self.record.id)
    }

    async fn status(&self) -> ReferralStatus {
        self.record.status.into()
    }

    async fn level(&self) -> ReferralLevel {
        self.record.level.into()
    }

    async fn urgency(&self) -> Urgency {
        self.record.urgency.into()
    }

    async fn reason(&self) -> &str {
        &self.record.reason
    }

    async fn service(&self) -> ReferredService {
        ReferredService {
            scope: match self.record.target_scope {
                TargetScope::Own => DirectoryScope::Own,
                TargetScope::National => DirectoryScope::National,
                TargetScope::Tenant => DirectoryScope::Tenant,
            },
            id: self.record.service_id.clone(),
            name: self.record.service_name.clone(),
            organization_id: self.record.organization_id.clone(),
            organization_name: self.record.organization_name.clone(),
            receiver_email: self.record.receiver_email.clone(),
        }
    }

    /// The fields the sender chose to share.
    async fn envelope_fields(&self) -> Vec<EnvelopeField> {
        self.record
            .envelope_fields
            .iter()
            .map(|f| (*f).into())
            .collect()
    }

    /// What the receiver sees, frozen when the referral was sent.
    async fn envelope(&self) -> Option<Json<Value>> {
        self.record.envelope.clone().map(Json)
    }

    /// For a draft: exactly what sending it now would share (the person's
    /// chosen fields as they are today). Null once sent. Audited as a read
    /// of the person.
    async fn envelope_preview(&self, ctx: &Context<'_>) -> Result<Option<Json<Value>>, ApiError> {
        if self.record.status != kentro_domain::referral::ReferralStatus::Draft {
            return Ok(None);
        }
        let accessor = Accessor::new(ctx, "referral.envelopePreview")?;
        services(ctx)
            .store
            .referrals()
            .envelope_preview(self.scope, self.record.id, &accessor.access())
            .await
            .map(|preview| Some(Json(preview)))
            .map_err(ApiError::from)
    }

    async fn decline_reason(&self) -> Option<DeclineReason> {
        self.record.decline_reason.map(Into::into)
    }

    async fn response_note(&self) -> Option<&str> {
        self.record.response_note.as_deref()
    }

    async fn not_completed_reason(&self) -> Option<NotCompletedReason> {
        self.record.outcome_reason.map(Into::into)
    }

    async fn outcome_note(&self) -> Option<&str> {
        self.record.outcome_note.as_deref()
    }

    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.record.sent_at
    }

    /// When the receiver should have answered by (from the urgency).
    async fn deadline_at(&self) -> Option<DateTime<Utc>> {
        self.record.deadline_at
    }

    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.record.responded_at
    }

    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.record.closed_at
    }

    /// Sent, unanswered and past its deadline.
    async fn overdue(&self) -> bool {
        self.record.is_overdue(Utc::now())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.record.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.record.updated_at
    }

    async fn case(&self, ctx: &Context<'_>) -> Result<Case, ApiError> {
        crate::cases::load(ctx, &id::encode_key(self.record.case_id), "referral.case").await
    }

    async fn person(&self, ctx: &Context<'_>) -> Result<Person, ApiError> {
        crate::people::load(ctx, self.scope, self.record.person_id, "referral.person").await
    }

    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<User>, ApiError> {
        crate::users::load(ctx, self.scope, self.record.created_by).await
    }
}

/// A referral as its receiver sees it: the envelope and the answers, never
/// the case or anything else of the sender's.
pub struct PartnerReferral(ReferralRecord);

#[Object]
impl PartnerReferral {
    async fn id(&self) -> ID {
        id::encode_key(self.0.id)
    }

    async fn status(&self) -> ReferralStatus {
        self.0.status.into()
    }

    async fn service_id(&self) -> &str {
        &self.0.service_id
    }

    async fn service_name(&self) -> &str {
        &self.0.service_name
    }

    async fn urgency(&self) -> Urgency {
        self.0.urgency.into()
    }

    async fn level(&self) -> ReferralLevel {
        self.0.level.into()
    }

    async fn reason(&self) -> &str {
        &self.0.reason
    }

    async fn envelope(&self) -> Option<Json<Value>> {
        self.0.envelope.clone().map(Json)
    }

    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }

    async fn deadline_at(&self) -> Option<DateTime<Utc>> {
        self.0.deadline_at
    }

    async fn decline_reason(&self) -> Option<DeclineReason> {
        self.0.decline_reason.map(Into::into)
    }

    async fn not_completed_reason(&self) -> Option<NotCompletedReason> {
        self.0.outcome_reason.map(Into::into)
    }
}

#[derive(SimpleObject)]
pub struct PartnerKey {
    id: ID,
    /// The HSDS id of the partner organization.
    organization_id: String,
    label: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    /// Referrals the center sent the organization (in `partnerKeys` only).
    referrals_received: Option<i64>,
    /// Of those, the ones it answered (in `partnerKeys` only).
    referrals_answered: Option<i64>,
}

impl From<PartnerKeyRecord> for PartnerKey {
    fn from(k: PartnerKeyRecord) -> Self {
        PartnerKey {
            id: id::encode_key(k.id),
            organization_id: k.organization_id,
            label: k.label,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            referrals_received: None,
            referrals_answered: None,
        }
    }
}

#[derive(SimpleObject)]
pub struct IssuedPartnerKey {
    key: PartnerKey,
    /// The bearer secret: shown this once, stored only hashed.
    secret: String,
}

/// A sent referral and the receiver's link, shown to the sender once.
#[derive(SimpleObject)]
pub struct SentReferral {
    referral: Referral,
    /// The partner's single-purpose page (also e-mailed to the receiver).
    partner_link: String,
    partner_link_expires_at: DateTime<Utc>,
    /// Whether an e-mail to the receiver was queued (the service has an address).
    receiver_notified: bool,
}

#[derive(SimpleObject)]
pub struct Notification {
    id: ID,
    kind: String,
    channel: String,
    recipient: String,
    subject: String,
    /// `pending`, `sent` or `failed` (given up after repeated failures).
    status: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl From<NotificationRecord> for Notification {
    fn from(n: NotificationRecord) -> Self {
        Notification {
            id: id::encode_key(n.id),
            kind: n.kind,
            channel: n.channel.code().to_owned(),
            recipient: n.recipient,
            subject: n.subject,
            status: n.status,
            attempts: n.attempts,
            next_attempt_at: n.next_attempt_at,
            last_error: n.last_error,
            created_at: n.created_at,
            sent_at: n.sent_at,
        }
    }
}

#[derive(InputObject)]
pub struct CreateReferralInput {
    case_id: ID,
    /// Whose directory the service is in.
    scope: DirectoryScope,
    /// For scope TENANT: the municipality's slug.
    tenant: Option<String>,
    /// The service's HSDS id.
    service_id: String,
    level: ReferralLevel,
    urgency: Urgency,
    reason: String,
    /// What of the person the receiver gets; nothing else is shared.
    envelope_fields: Vec<EnvelopeField>,
}

#[derive(InputObject, Default)]
pub struct ReferralFilterInput {
    case_id: Option<ID>,
    /// The referrals of one person.
    person_id: Option<ID>,
    status: Option<ReferralStatus>,
    /// Only sent referrals unanswered past their deadline.
    overdue_only: Option<bool>,
}

/// The referrals of one case or one person, newest first (at most 100).
pub(crate) async fn referrals_of(
    ctx: &Context<'_>,
    case_id: Option<CaseId>,
    person_id: Option<PersonId>,
) -> Result<Vec<Referral>, ApiError> {
    let scope = tenant_scope(ctx, Permission::MakeReferrals)?;
    let records = services(ctx)
        .store
        .referrals()
        .list(
            scope,
            &ReferralFilter {
                case_id,
                person_id,
                status: None,
                overdue_only: false,
            },
            0,
            100,
        )
        .await?;
    Ok(records
        .into_iter()
        .map(|record| Referral { record, scope })
        .collect())
}

async fn publish(ctx: &Context<'_>, scope: TenantScope, referral_id: ReferralId) {
    crate::plugins::emit(
        ctx,
        scope,
        "referral-status-changed",
        serde_json::json!({ "referral_id": crate::id::encode_key(referral_id).0 }),
    );
    let event = Event::ReferralChanged {
        tenant_id: scope.id(),
        referral_id,
    };
    if let Err(e) = services(ctx).events.publish(&event).await {
        // The change is committed; live listeners miss it, but not the data.
        tracing::warn!(error = %e, %referral_id, "could not publish a referral change");
    }
}

fn referral_id(id: &ID) -> Result<ReferralId, ApiError> {
    id::decode_key(id)
}

#[derive(Default)]
pub struct ReferralQuery;

#[Object]
impl ReferralQuery {
    async fn referral(&self, ctx: &Context<'_>, id: ID) -> Result<Referral, ApiError> {
        let scope = tenant_scope(ctx, Permission::MakeReferrals)?;
        let record = services(ctx)
            .store
            .referrals()
            .get(scope, referral_id(&id)?)
            .await?;
        Ok(Referral { record, scope })
    }

    /// The center's referrals, newest first.
    #[graphql(complexity = "first.unwrap_or(20).min(100) as usize * child_complexity")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReferralFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Referral>, ApiError> {
        let scope = tenant_scope(ctx, Permission::MakeReferrals)?;
        let limit = page_size(first)?;
        let filter = filter.unwrap_or_default();
        let offset: u64 = match after.as_deref() {
            None => 0,
            Some(cursor) => cursor
                .parse()
                .map_err(|_| bad_input("after", "is not a cursor of this list"))?,
        };
        let store_filter = ReferralFilter {
            case_id: filter
                .case_id
                .as_ref()
                .map(id::decode_key::<CaseId>)
                .transpose()?,
            person_id: filter
                .person_id
                .as_ref()
                .map(id::decode_key::<PersonId>)
                .transpose()?,
            status: filter.status.map(Into::into),
            overdue_only: filter.overdue_only.unwrap_or(false),
        };
        let mut records = services(ctx)
            .store
            .referrals()
            .list(scope, &store_filter, offset, limit as u64 + 1)
            .await?;
        let has_next = records.len() > limit;
        records.truncate(limit);
        Ok(page(
            offset > 0,
            has_next,
            records.into_iter().enumerate().map(|(i, record)| {
                (
                    (offset + i as u64 + 1).to_string(),
                    Referral { record, scope },
                )
            }),
        ))
    }

    /// The center's partner API keys.
    async fn partner_keys(&self, ctx: &Context<'_>) -> Result<Vec<PartnerKey>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageTenantSettings)?;
        let referrals = services(ctx).store.referrals();
        let counts = referrals.organization_counts(scope).await?;
        Ok(referrals
            .partner_keys(scope)
            .await?
            .into_iter()
            .map(|record| {
                let (received, answered) = counts
                    .get(&record.organization_id)
                    .copied()
                    .unwrap_or((0, 0));
                PartnerKey {
                    referrals_received: Some(received),
                    referrals_answered: Some(answered),
                    ..record.into()
                }
            })
            .collect())
    }

    /// The center's outgoing e-mails and their delivery, newest first.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> Result<Vec<Notification>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageTenantSettings)?;
        let limit = page_size(first)?;
        Ok(services(ctx)
            .store
            .outbox()
            .list(scope, limit as u64)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// For partner organizations (API key): the referrals sent to them.
    async fn partner_referrals(
        &self,
        ctx: &Context<'_>,
        status: Option<ReferralStatus>,
    ) -> Result<Vec<PartnerReferral>, ApiError> {
        let partner = partner(ctx)?;
        Ok(services(ctx)
            .store
            .referrals()
            .for_partner(partner, status.map(Into::into))
            .await?
            .into_iter()
            .map(PartnerReferral)
            .collect())
    }
}

#[derive(Default)]
pub struct ReferralMutation;

#[Object]
impl ReferralMutation {
    /// Drafts a referral from a case to a directory service. The person
    /// must have consented to referral sharing (`CONSENT_REQUIRED`).
    async fn create_referral(
        &self,
        ctx: &Context<'_>,
        input: CreateReferralInput,
    ) -> Result<Referral, ApiError> {
        let scope = tenant_scope(ctx, Permission::MakeReferrals)?;
        let mut problems = Vec::new();
        let case_id = id::decode_field::<CaseId>("input.caseId", &input.case_id, &mut problems);
        let tenant = match (&input.scope, input.tenant.as_deref()) {
            (DirectoryScope::Tenant, None) => {
                problems.push((
                    "input.tenant".to_owned(),
                    "name the municipality whose service it is".to_owned(),
                ));
                None
            }
            (DirectoryScope::Tenant, Some(slug)) => TenantSlug::parse(slug)
                .map_err(|p| problems.push(("input.tenant".to_owned(), p)))
                .ok(),
            (_, Some(_)) => {
                problems.push((
                    "input.tenant".to_owned(),
                    "is only for scope TENANT".to_owned(),
                ));
                None
            }
            (_, None) => None,
        };
        if input.envelope_fields.is_empty() {
            problems.push((
                "input.envelopeFields".to_owned(),
                "choose at least what identifies the person (e.g. NAME)".to_owned(),
            ));
        }
        let caller = crate::context::principal(ctx)?;
        if input
            .envelope_fields
            .contains(&EnvelopeField::SpecialCategories)
            && !caller.account.role.can(Permission::ViewSpecialCategories)
        {
            problems.push((
                "input.envelopeFields".to_owned(),
                format!(
                    "the {} role may not share special categories",
                    caller.account.role
                ),
            ));
        }
        let reason = kentro_domain::referral::ReferralReason::parse(&input.reason)
            .map_err(|problem| problems.push(("input.reason".to_owned(), problem)))
            .ok();
        if !problems.is_empty() {
            return Err(invalid_fields(&problems));
        }
        let new = NewReferral {
            case_id: case_id.expect("checked above"),
            target: ServiceTarget {
                scope: input.scope.into(),
                tenant,
                service_id: input.service_id.trim().to_owned(),
            },
            level: input.level.into(),
            reason: reason.expect("checked above"),
            urgency: input.urgency.into(),
            envelope_fields: input.envelope_fields.into_iter().map(Into::into).collect(),
        };
        let accessor = Accessor::new(ctx, "referral")?;
        let record = services(ctx)
            .store
            .referrals()
            .create(scope, new, &accessor.access())
            .await
            .map_err(|e| crate::error::renamed_field(from_store(e), |f| format!("input.{f}")))?;
        publish(ctx, scope, record.id).await;
        Ok(Referral { record, scope })
    }

    /// Sends a draft: the envelope is frozen, the response deadline starts,
    /// and the receiver gets a single-purpose link (also returned here, once).
    async fn send_referral(&self, ctx: &Context<'_>, id: ID) -> Result<SentReferral, ApiError> {
        let scope = tenant_scope(ctx, Permission::MakeReferrals)?;
        let accessor = Accessor::new(ctx, "referral")?;
        let settings = &services(ctx).loop_settings;
        let sent = services(ctx)
            .store
            .referrals()
            .send(scope, referral_id(&id)?, settings, &accessor.access())
            .await?;
        publish(ctx, scope, sent.referral.id).await;
        Ok(SentReferral {
            partner_link: format!(
                "{}/partner/referrals/{}",
                settings.public_url.trim_end_matches('/'),
                sent.link_token
            ),
            partner_link_expires_at: sent.link_expires_at,
            receiver_notified: sent.receiver_notified,
            referral: Referral {
                record: sent.referral,
                scope,
            },
        })
    }

    async fn cancel_referral(&self, ctx: &Context<'_>, id: ID) -> Result<Referral, ApiError> {
        let scope = tenant_scope(ctx, Permission::MakeReferrals)?;
        let accessor = Accessor::new(ctx, "referral")?;
        let record = services(ctx)
            .store
            .referrals()
            .cancel(scope, referral_id(&id)?, &accessor.access())
            .await?;
        publish(ctx, scope, record.id).await;
        Ok(Referral { record, scope })
    }

    /// Stops the referral's partner links (e.g. sent to the wrong address);
    /// returns how many were revoked.
    async fn revoke_partner_links(
        &self,
        ctx: &Context<'_>,
        referral_id: ID,
    ) -> Result<i32, ApiError> {
        let scope = tenant_scope(ctx, Permission::MakeReferrals)?;
        let accessor = Accessor::new(ctx, "referral")?;
        let revoked = services(ctx)
            .store
            .referrals()
            .revoke_links(scope, self::referral_id(&referral_id)?, &accessor.access())
            .await?;
        Ok(revoked as i32)
    }

    /// Gives a partner organization (by its HSDS id) an API key for the
    /// referrals sent to it.
    async fn create_partner_key(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        label: String,
    ) -> Result<IssuedPartnerKey, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageTenantSettings)?;
        let label = kentro_domain::referral::PartnerKeyLabel::parse(&label)
            .map_err(|problem| bad_input("label", problem))?;
        let accessor = Accessor::new(ctx, "partner key")?;
        let (key, secret) = services(ctx)
            .store
            .referrals()
            .create_partner_key(scope, organization_id.trim(), &label, &accessor.access())
            .await?;
        Ok(IssuedPartnerKey {
            key: key.into(),
            secret,
        })
    }

    async fn revoke_partner_key(&self, ctx: &Context<'_>, id: ID) -> Result<PartnerKey, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageTenantSettings)?;
        let accessor = Accessor::new(ctx, "partner key")?;
        Ok(services(ctx)
            .store
            .referrals()
            .revoke_partner_key(
                scope,
                id::decode_key::<PartnerKeyId>(&id)?,
                &accessor.access(),
            )
            .await?
            .into())
    }

    /// For partner organizations (API key): answer a referral sent to you,
    /// or report its outcome. `reason` is a decline or not-completed reason
    /// code (e.g. `no_capacity`); reason `other` needs a note.
    async fn respond_to_referral(
        &self,
        ctx: &Context<'_>,
        id: ID,
        action: ResponseAction,
        reason: Option<String>,
        note: Option<String>,
    ) -> Result<PartnerReferral, ApiError> {
        let partner = partner(ctx)?;
        let response = ReferralResponse::parse(action.code(), reason.as_deref(), note.as_deref())
            .map_err(|(field, problem)| bad_input(field, problem))?;
        let record = services(ctx)
            .store
            .referrals()
            .respond_as_partner(
                partner,
                referral_id(&id)?,
                &response,
                &request(ctx).request_id,
            )
            .await?;
        publish(ctx, partner.scope, record.id).await;
        Ok(PartnerReferral(record))
    }
}

#[derive(Default)]
pub struct ReferralSubscription;

#[Subscription]
impl ReferralSubscription {
    /// Every change of the center's referrals (or of one, with `id`), from
    /// whichever server replica made it. Authorized when subscribing.
    ///
    /// With `id`, the stream begins with the referral as it is now: a page
    /// rendered a moment before the socket opened misses no change, and the
    /// first message tells the client that the subscription is live.
    async fn referral_updated(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
    ) -> Result<impl Stream<Item = Referral> + use<>, ApiError> {
        let scope = tenant_scope(ctx, Permission::MakeReferrals)?;
        let only = id.as_ref().map(referral_id).transpose()?;
        let store: Store = services(ctx).store.clone();
        // Listening starts before the current state is read, so a change
        // between the two arrives after the snapshot instead of being lost.
        let receiver = services(ctx).events.subscribe();
        let current = match only {
            // Another center's referral (or none) is not found, as everywhere.
            Some(only) => Some(Referral {
                record: store.referrals().get(scope, only).await?,
                scope,
            }),
            None => None,
        };
        let changes = futures::stream::unfold(
            (receiver, store),
            move |(mut receiver, store)| async move {
                loop {
                    let event = match receiver.recv().await {
                        Ok(event) => event,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, "a referral subscriber fell behind");
                            continue;
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    };
                    let Event::ReferralChanged {
                        tenant_id,
                        referral_id,
                    } = event;
                    if tenant_id != scope.id() || only.is_some_and(|o| o != referral_id) {
                        continue;
                    }
                    match store.referrals().get(scope, referral_id).await {
                        Ok(record) => {
                            return Some((Referral { record, scope }, (receiver, store)));
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, %referral_id, "could not load a changed referral");
                        }
                    }
                }
            },
        );
        Ok(futures::stream::iter(current).chain(changes))
    }
}
