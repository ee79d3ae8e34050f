//! The single-purpose link a receiver without an account answers through:
//! opening it, answering by it, and the move it makes on the referral.

use super::*;

impl Referrals<'_> {
    /// Opens a partner link: `NotFound` for an unknown token, `Gone` for an
    /// expired or revoked one. The opening is audited.
    pub async fn open_link(&self, token: &str) -> Result<LinkView, StoreError> {
        let scope = tenant_of_link(token).ok_or_else(link_not_found)?;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let (link, row) = live_link(&txn, token).await?;
        let now = Utc::now();
        let expires_at = link.expires_at;
        let mut active: partner_link::ActiveModel = link.into();
        active.last_opened_at = Set(Some(now));
        active.update(&txn).await?;
        let actor = link_actor(ReferralId::new(row.id));
        let access = Access {
            actor: &actor,
            purpose: "partner link",
            request_id: "",
        };
        audit::record(
            &txn,
            &access,
            "referral.link_opened",
            "referral",
            row.id.to_string(),
        );
        let tenant_name = tenant::Entity::find_by_id(scope.tenant_id())
            .one(&txn)
            .await?
            .map(|t| t.name_el)
            .unwrap_or_default();
        txn.commit().await?;
        Ok(LinkView {
            tenant_name,
            referral: record_from(row)?.for_receiver(),
            expires_at,
        })
    }

    /// The partner answers through its link.
    pub async fn respond_by_link(
        &self,
        token: &str,
        response: &ReferralResponse,
    ) -> Result<(TenantScope, ReferralRecord), StoreError> {
        let scope = tenant_of_link(token).ok_or_else(link_not_found)?;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let (_, row) = live_link(&txn, token).await?;
        let actor = link_actor(ReferralId::new(row.id));
        let access = Access {
            actor: &actor,
            purpose: "partner link",
            request_id: "",
        };
        let record = apply_response(&txn, row, response, &access).await?;
        txn.commit().await?;
        Ok((scope, record.for_receiver()))
    }
}

pub(super) fn link_url(settings: &LoopSettings, token: &str) -> String {
    format!(
        "{}/partner/referrals/{token}",
        settings.public_url.trim_end_matches('/')
    )
}

/// Splits a link token `<tenant>-<secret>` into the tenant it names.
fn tenant_of_link(token: &str) -> Option<TenantScope> {
    let (tenant, secret) = token.split_once('-')?;
    (secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| tenant.parse().ok().map(TenantScope::new))
        .flatten()
}

fn link_not_found() -> StoreError {
    StoreError::not_found("link")
}

fn link_actor(referral_id: ReferralId) -> Actor {
    Actor {
        account_id: None,
        name: format!("partner link of referral {referral_id}"),
        role: "partner".into(),
    }
}

async fn live_link(
    txn: &ScopedTxn,
    token: &str,
) -> Result<(partner_link::Model, referral::Model), StoreError> {
    let link = partner_link::Entity::find_in(txn)
        .filter(partner_link::Column::TokenHash.eq(sha256_hex(token)))
        .one(txn)
        .await?
        .ok_or_else(link_not_found)?;
    if link.revoked_at.is_some() {
        return Err(StoreError::Gone {
            what: "this link was revoked by the sender".into(),
        });
    }
    if link.expires_at <= Utc::now() {
        return Err(StoreError::Gone {
            what: "this link has expired".into(),
        });
    }
    let row = find(txn, ReferralId::new(link.referral_id)).await?;
    Ok((link, row))
}

pub(super) async fn revoke_links(
    txn: &ScopedTxn,
    referral_id: ReferralId,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let result = partner_link::Entity::update_in(txn)
        .col_expr(
            partner_link::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(partner_link::Column::ReferralId.eq(referral_id.get()))
        .filter(partner_link::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(result.rows_affected)
}

/// Moves a referral as the receiver says, with the notification to its
/// sender and the audit entry, inside `txn`.
pub(super) async fn apply_response(
    txn: &ScopedTxn,
    row: referral::Model,
    response: &ReferralResponse,
    access: &Access<'_>,
) -> Result<ReferralRecord, StoreError> {
    let current = record_from(row.clone())?;
    let to = current
        .status
        .transition(response.target())
        .map_err(StoreError::InvalidReferralTransition)?;
    let now = Utc::now();
    let mut active: referral::ActiveModel = row.into();
    active.status = Set(to.code().to_owned());
    active.updated_at = Set(now);
    match response {
        ReferralResponse::Accept { note } => {
            active.responded_at = Set(Some(now));
            active.response_note = Set(note.clone());
        }
        ReferralResponse::Decline { reason, note } => {
            active.responded_at = Set(Some(now));
            active.decline_reason = Set(Some(reason.code().to_owned()));
            active.response_note = Set(note.clone());
            active.closed_at = Set(Some(now));
        }
        ReferralResponse::Start => {}
        ReferralResponse::Complete { note } => {
            active.outcome_note = Set(note.clone());
            active.closed_at = Set(Some(now));
        }
        ReferralResponse::NotComplete { reason, note } => {
            active.outcome_reason = Set(Some(reason.code().to_owned()));
            active.outcome_note = Set(note.clone());
            active.closed_at = Set(Some(now));
        }
    }
    let row = active.update(txn).await?;
    if let Some(email) = account_email(txn, current.created_by).await? {
        outbox::enqueue(
            txn,
            NewNotification {
                kind: NotificationKind::ResponseReceived,
                recipient: email,
                subject: format!(
                    "Παραπομπή {}: {} / Referral {}: {}",
                    current.id,
                    to.code(),
                    current.id,
                    to.code()
                ),
                body: format!(
                    "Η παραπομπή {} προς «{}» είναι τώρα: {}.\nReferral {} to \"{}\" is now: {}.",
                    current.id,
                    current.service_name,
                    to.code(),
                    current.id,
                    current.service_name,
                    to.code()
                ),
                referral_id: Some(current.id),
            },
        )
        .await?;
    }
    audit::record(
        txn,
        access,
        &format!("referral.{}", to.code()),
        "referral",
        current.id.to_string(),
    );
    record_from(row)
}
