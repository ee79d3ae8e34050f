//! The overdue job: referrals past their urgency's deadline are flagged
//! once, with a notification to their sender.

use super::*;

impl Referrals<'_> {
    /// Flags sent referrals past their deadline, once each, queueing a
    /// notice to their sender. Returns the referrals flagged.
    pub async fn flag_overdue(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(TenantScope, ReferralId)>, StoreError> {
        let tenants = tenant::Entity::find().all(self.db).await?;
        let mut flagged = Vec::new();
        for tenant in tenants {
            let scope = TenantScope::new(tenant.id);
            // A job's scan by status and deadline: planned as it runs.
            let txn = ScopedTxn::begin_planned(self.db, scope, Plans::Fresh).await?;
            let rows = referral::Entity::find_in(&txn)
                .filter(referral::Column::Status.eq(ReferralStatus::Sent.code()))
                .filter(referral::Column::DeadlineAt.lt(now))
                .filter(referral::Column::OverdueNotifiedAt.is_null())
                .limit(200)
                .all(&txn)
                .await?;
            for row in rows {
                let id = row.id;
                let service = row.service_name.clone();
                let creator = kentro_domain::keys::AccountId::new(row.created_by);
                let mut active: referral::ActiveModel = row.into();
                active.overdue_notified_at = Set(Some(now));
                active.update(&txn).await?;
                if let Some(email) = account_email(&txn, creator).await? {
                    outbox::enqueue(
                        &txn,
                        NewNotification {
                            kind: NotificationKind::Overdue,
                            recipient: email,
                            subject: format!("Εκπρόθεσμη παραπομπή {id} / Referral {id} overdue"),
                            body: format!(
                                "Η παραπομπή {id} προς «{service}» δεν απαντήθηκε εγκαίρως.\n\
                                 Referral {id} to \"{service}\" has not been answered in time."
                            ),
                            referral_id: Some(ReferralId::new(id)),
                        },
                    )
                    .await?;
                }
                flagged.push((scope, ReferralId::new(id)));
            }
            txn.commit().await?;
        }
        Ok(flagged)
    }
}
