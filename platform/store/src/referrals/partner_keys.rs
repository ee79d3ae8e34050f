//! Partner organizations whose systems integrate: their API keys, the
//! referrals they receive and answer, and how many each has.

use super::*;

impl Referrals<'_> {
    /// Gives a partner organization an API key for the referrals sent to
    /// it. The key is returned once; only its hash is kept.
    pub async fn create_partner_key(
        &self,
        scope: TenantScope,
        organization_id: &str,
        label: &PartnerKeyLabel,
        access: &Access<'_>,
    ) -> Result<(PartnerKeyRecord, String), StoreError> {
        let label = label.as_str();
        let own = Directory::new(self.db)
            .snapshot(DirectoryScope::Tenant(scope))
            .await?;
        let national = Directory::new(self.db)
            .snapshot(DirectoryScope::National)
            .await?;
        if own.records.get("organization", organization_id).is_none()
            && national
                .records
                .get("organization", organization_id)
                .is_none()
        {
            return Err(StoreError::invalid(
                "organizationId",
                format!("no organization {organization_id} in your or the national directory"),
            ));
        }
        let creator = access.actor.account_id.ok_or_else(|| {
            StoreError::invalid("actor", "keys are issued by staff members with accounts")
        })?;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let id = next_id(&txn, "partner_key").await?;
        let token = format!(
            "{PARTNER_KEY_PREFIX}{}_{}",
            scope.tenant_id(),
            random_hex()?
        );
        let now = Utc::now();
        let row = partner_key::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            id: Set(id),
            organization_id: Set(organization_id.to_owned()),
            label: Set(label.to_owned()),
            key_hash: Set(sha256_hex(&token)),
            created_by: Set(creator.get()),
            created_at: Set(now),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            access,
            "partner_key.created",
            "partner_key",
            id.to_string(),
        );
        txn.commit().await?;
        Ok((key_record(row), token))
    }

    pub async fn revoke_partner_key(
        &self,
        scope: TenantScope,
        id: PartnerKeyId,
        access: &Access<'_>,
    ) -> Result<PartnerKeyRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = partner_key::Entity::find_id_in(&txn, id.get())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("PartnerKey"))?;
        let mut active: partner_key::ActiveModel = row.into();
        active.revoked_at = Set(Some(Utc::now()));
        let row = active.update(&txn).await?;
        audit::record(
            &txn,
            access,
            "partner_key.revoked",
            "partner_key",
            id.to_string(),
        );
        txn.commit().await?;
        Ok(key_record(row))
    }

    pub async fn partner_keys(
        &self,
        scope: TenantScope,
    ) -> Result<Vec<PartnerKeyRecord>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = partner_key::Entity::find_in(&txn)
            .order_by_asc(partner_key::Column::Id)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(key_record).collect())
    }

    /// For each partner organization, how many referrals the center sent
    /// it and how many of those it answered (accepted or declined).
    pub async fn organization_counts(
        &self,
        scope: TenantScope,
    ) -> Result<std::collections::HashMap<String, (i64, i64)>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows: Vec<(Option<String>, Option<DateTime<Utc>>)> = referral::Entity::find_in(&txn)
            .select_only()
            .column(referral::Column::OrganizationId)
            .column(referral::Column::RespondedAt)
            .filter(referral::Column::SentAt.is_not_null())
            .into_tuple()
            .all(&txn)
            .await?;
        txn.commit().await?;
        let mut counts = std::collections::HashMap::new();
        for (organization, responded) in rows {
            let Some(organization) = organization else {
                continue;
            };
            let entry = counts.entry(organization).or_insert((0, 0));
            entry.0 += 1;
            if responded.is_some() {
                entry.1 += 1;
            }
        }
        Ok(counts)
    }

    /// The partner a bearer key belongs to, if it is a live partner key.
    pub async fn authenticate_partner(
        &self,
        token: &str,
    ) -> Result<Option<PartnerPrincipal>, StoreError> {
        let Some(scope) = token
            .strip_prefix(PARTNER_KEY_PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(tenant, _)| tenant.parse().ok())
            .map(TenantScope::new)
        else {
            return Ok(None);
        };
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = partner_key::Entity::find_in(&txn)
            .filter(partner_key::Column::KeyHash.eq(sha256_hex(token)))
            .filter(partner_key::Column::RevokedAt.is_null())
            .one(&txn)
            .await?;
        txn.commit().await?;
        Ok(row.map(|row| PartnerPrincipal {
            scope,
            key_id: row.id,
            organization_id: row.organization_id,
            label: row.label,
        }))
    }

    /// The referrals sent to the partner's organization (never drafts).
    pub async fn for_partner(
        &self,
        partner: &PartnerPrincipal,
        status: Option<ReferralStatus>,
    ) -> Result<Vec<ReferralRecord>, StoreError> {
        let scope = partner.scope;
        let txn = ScopedTxn::begin_read(self.db, scope).await?;
        let mut query = referral::Entity::find_in(&txn)
            .filter(referral::Column::OrganizationId.eq(partner.organization_id.as_str()))
            .filter(referral::Column::Status.ne(ReferralStatus::Draft.code()));
        if let Some(status) = status {
            query = query.filter(referral::Column::Status.eq(status.code()));
        }
        let rows = query
            .order_by_desc(referral::Column::SentAt)
            .limit(500)
            .all(&txn)
            .await?;
        let actor = partner.actor();
        let access = Access {
            actor: &actor,
            purpose: "partner api",
            request_id: "",
        };
        let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
        if !ids.is_empty() {
            audit::record(&txn, &access, "referral.read", "referral", ids.join(","));
        }
        txn.commit().await?;
        rows.into_iter()
            .map(|row| record_from(row).map(ReferralRecord::for_receiver))
            .collect()
    }

    /// The partner answers through the API; a referral not sent to it is
    /// `NotFound`.
    pub async fn respond_as_partner(
        &self,
        partner: &PartnerPrincipal,
        id: ReferralId,
        response: &ReferralResponse,
        request_id: &str,
    ) -> Result<ReferralRecord, StoreError> {
        let scope = partner.scope;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = find(&txn, id).await?;
        if row.organization_id.as_deref() != Some(partner.organization_id.as_str())
            || row.status == ReferralStatus::Draft.code()
        {
            return Err(StoreError::not_found("Referral"));
        }
        let actor = partner.actor();
        let access = Access {
            actor: &actor,
            purpose: "partner api",
            request_id,
        };
        let record = apply_response(&txn, row, response, &access).await?;
        txn.commit().await?;
        Ok(record.for_receiver())
    }
}

fn key_record(row: partner_key::Model) -> PartnerKeyRecord {
    PartnerKeyRecord {
        id: PartnerKeyId::new(row.id),
        organization_id: row.organization_id,
        label: row.label,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    }
}

#[cfg(test)]
mod tests {
    use kentro_domain::hsds::{self, Shape};
    use kentro_domain::keys::AccountId;
    use kentro_domain::referral::{PARTNER_KEY_PREFIX, PartnerKeyLabel};
    use serde_json::json;

    use crate::test_databases::{as_operator, two_centers};
    use crate::{Access, Actor, DirectoryScope, StoreError};

    const ORGANIZATION: &str = "0b6f7c1a-3d2e-4f50-8a91-b2c3d4e5f607";

    #[tokio::test]
    async fn a_partner_key_opens_its_own_center_until_revoked_and_never_another() {
        let centers = two_centers().await;
        let (store, ours, theirs) = (&centers.store, centers.ours, centers.theirs);
        let organization = hsds::read_document(
            &json!({ "id": ORGANIZATION, "name": "Ξενώνας", "description": "Φιλοξενία" }),
            Some(Shape::Organization),
            "test",
        )
        .unwrap();
        store
            .directory()
            .import(
                DirectoryScope::Tenant(ours),
                &organization,
                &as_operator(),
                &|_| {},
            )
            .await
            .unwrap();
        let coordinator = Actor {
            account_id: Some(AccountId::new(1)),
            name: "coordinator@ours".into(),
            role: "tenant_admin".into(),
        };
        let access = Access {
            actor: &coordinator,
            ..as_operator()
        };
        let label = PartnerKeyLabel::parse("Ξενώνας, σύστημα κρατήσεων").unwrap();
        let referrals = store.referrals();

        let unknown = referrals
            .create_partner_key(ours, "no-such-organization", &label, &access)
            .await
            .unwrap_err();
        assert!(
            matches!(&unknown, StoreError::Invalid { field, .. } if field == "organizationId"),
            "{unknown:?}"
        );
        let by_operator = referrals
            .create_partner_key(ours, ORGANIZATION, &label, &as_operator())
            .await
            .unwrap_err();
        assert!(
            matches!(by_operator, StoreError::Invalid { .. }),
            "{by_operator:?}"
        );
        assert!(
            referrals.partner_keys(ours).await.unwrap().is_empty(),
            "nothing was kept"
        );

        let (key, token) = referrals
            .create_partner_key(ours, ORGANIZATION, &label, &access)
            .await
            .unwrap();
        let partner = referrals
            .authenticate_partner(&token)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (partner.scope, partner.organization_id.as_str()),
            (ours, ORGANIZATION)
        );

        // The key names its center; naming another center instead opens nothing.
        let tail = token.strip_prefix(PARTNER_KEY_PREFIX).unwrap();
        let (_, secret) = tail.split_once('_').unwrap();
        let elsewhere = format!("{PARTNER_KEY_PREFIX}{}_{secret}", theirs.tenant_id());
        assert!(
            referrals
                .authenticate_partner(&elsewhere)
                .await
                .unwrap()
                .is_none()
        );
        assert!(referrals.partner_keys(theirs).await.unwrap().is_empty());
        for forged in ["", "not a key", PARTNER_KEY_PREFIX, &format!("{token}0")] {
            assert!(
                referrals
                    .authenticate_partner(forged)
                    .await
                    .unwrap()
                    .is_none(),
                "{forged:?}"
            );
        }

        let other_center_revokes = referrals.revoke_partner_key(theirs, key.id, &access).await;
        assert!(
            matches!(other_center_revokes, Err(StoreError::NotFound { .. })),
            "{other_center_revokes:?}"
        );
        assert!(
            referrals
                .authenticate_partner(&token)
                .await
                .unwrap()
                .is_some()
        );
        let revoked = referrals
            .revoke_partner_key(ours, key.id, &access)
            .await
            .unwrap();
        assert!(revoked.revoked_at.is_some());
        assert!(
            referrals
                .authenticate_partner(&token)
                .await
                .unwrap()
                .is_none()
        );
    }
}
