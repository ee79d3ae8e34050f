//! Invitations: how a center's staff get accounts. The coordinator names the
//! person, their e-mail and their role; the person receives a single-use link
//! and chooses their own password, so nobody else ever knows it.
//!
//! An invitation names no account until it is accepted, and inviting an
//! address that already has an account (at this center excepted) is answered
//! exactly as any other invitation: the inviting center learns nothing about
//! other centers' staff. The invitee, who owns the address, is the one told.

use chrono::{DateTime, Duration, Utc};
use kentro_domain::access::{DisplayName, NewPassword, Role};
use kentro_domain::contact::Email;
use kentro_domain::keys::InvitationId;
use kentro_domain::links::{INVITATION_LIFETIME_HOURS, INVITATION_LINK_PATH};
use kentro_labels::Lang;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::StoreError;
use crate::accounts::{
    Account, NewAccountRow, hash_password, insert_account, random_hex, sha256_hex,
};
use crate::audit::{self, Actor, AuditEvent};
use crate::entity::{invitation, tenant, user_account};
use crate::ids::next_id;
use crate::outbox::{self, NewNotification, NotificationKind};
use crate::scope::{ScopedTxn, TenantEntity, TenantScope};
use crate::transaction::Db;

/// Who is invited, to do what.
pub struct NewInvitation {
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

/// An invitation as its center sees it (never its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: InvitationId,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub status: InvitationStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What the invitee sees before choosing a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationView {
    pub center_name: String,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

fn from_row(row: invitation::Model, now: DateTime<Utc>) -> Result<Invitation, StoreError> {
    let corrupt = |problem: String| StoreError::Corrupt {
        what: format!("invitation {}", row.id),
        problem,
    };
    let status = if row.accepted_at.is_some() {
        InvitationStatus::Accepted
    } else if row.revoked_at.is_some() {
        InvitationStatus::Revoked
    } else if row.expires_at <= now {
        InvitationStatus::Expired
    } else {
        InvitationStatus::Pending
    };
    Ok(Invitation {
        id: InvitationId::new(row.id),
        email: Email::parse(&row.email).map_err(corrupt)?,
        display_name: row.display_name.clone(),
        role: Role::parse(&row.role).map_err(corrupt)?,
        status,
        created_at: row.created_at,
        expires_at: row.expires_at,
    })
}

/// Splits an invitation token `<tenant>-<secret>` into the tenant it names.
fn tenant_of_token(token: &str) -> Option<TenantScope> {
    let (tenant, secret) = token.split_once('-')?;
    (secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| tenant.parse().ok().map(TenantScope::new))
        .flatten()
}

/// The e-mail, in Greek and then English.
fn message(center: &str, name: &str, role: Role, link: &str) -> (String, String) {
    let role_in = |lang| kentro_labels::label(lang, "role", &role.code().to_uppercase());
    let subject = format!("Πρόσκληση στο Kentro: {center} / Invitation to Kentro: {center}");
    let body = format!(
        "Καλησπέρα {name},\n\n\
         το {center} σας προσκαλεί στο Kentro ως «{el}».\n\
         Ορίστε τον δικό σας κωδικό εδώ (ο σύνδεσμος ισχύει {INVITATION_LIFETIME_HOURS} ώρες και μία φορά):\n\
         {link}\n\n\
         Αν δεν περιμένατε αυτό το μήνυμα, αγνοήστε το.\n\n\
         ---\n\n\
         Hello {name},\n\n\
         {center} invites you to Kentro as \"{en}\".\n\
         Choose your own password here (the link works once, for {INVITATION_LIFETIME_HOURS} hours):\n\
         {link}\n\n\
         If you did not expect this message, ignore it.\n",
        el = role_in(Lang::El),
        en = role_in(Lang::En),
    );
    (subject, body)
}

pub struct Invitations<'a> {
    db: &'a Db,
}

impl<'a> Invitations<'a> {
    pub(crate) fn new(db: &'a Db) -> Self {
        Invitations { db }
    }

    /// Invites a person to the center: the e-mail with the link is queued in
    /// the same transaction. A pending invitation to the same address is
    /// replaced, so inviting again is how an invitation is resent.
    pub async fn invite(
        &self,
        scope: TenantScope,
        new: NewInvitation,
        public_url: &str,
        actor: &Actor,
        request_id: &str,
    ) -> Result<Invitation, StoreError> {
        if new.role.is_platform_role() {
            return Err(StoreError::invalid(
                "role",
                format!("a center cannot invite {} accounts", new.role),
            ));
        }
        let display_name = new.display_name.as_str().to_owned();
        let invited_by = actor
            .account_id
            .ok_or_else(|| StoreError::invalid("actor", "an invitation comes from an account"))?;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        // Only this center's own staff are a conflict: another center's are
        // none of its business.
        let colleague = user_account::Entity::find_in(&txn)
            .filter(user_account::Column::Email.eq(new.email.as_str()))
            .one(&txn)
            .await?;
        if colleague.is_some() {
            return Err(StoreError::conflict(
                "email",
                format!("{} already works at this center", new.email),
            ));
        }
        let now = Utc::now();
        let earlier = invitation::Entity::find_in(&txn)
            .filter(invitation::Column::Email.eq(new.email.as_str()))
            .filter(invitation::Column::AcceptedAt.is_null())
            .filter(invitation::Column::RevokedAt.is_null())
            .all(&txn)
            .await?;
        for row in earlier {
            let mut active: invitation::ActiveModel = row.into();
            active.revoked_at = Set(Some(now));
            active.update(&txn).await?;
        }
        let token = format!("{}-{}", scope.tenant_id(), random_hex()?);
        let row = invitation::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            id: Set(next_id(&txn, "invitation").await?),
            email: Set(new.email.to_string()),
            display_name: Set(display_name.clone()),
            role: Set(new.role.code().to_owned()),
            token_hash: Set(sha256_hex(&token)),
            invited_by: Set(invited_by.get()),
            created_at: Set(now),
            expires_at: Set(now + Duration::hours(INVITATION_LIFETIME_HOURS)),
            accepted_at: Set(None),
            account_id: Set(None),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await?;
        let center = tenant::Entity::find_by_id(scope.tenant_id())
            .one(&txn)
            .await?
            .map(|t| t.name_el)
            .unwrap_or_default();
        let link = format!(
            "{}{INVITATION_LINK_PATH}{token}",
            public_url.trim_end_matches('/')
        );
        let (subject, body) = message(&center, &display_name, new.role, &link);
        outbox::enqueue(
            &txn,
            NewNotification {
                kind: NotificationKind::Invitation,
                recipient: new.email.to_string(),
                subject,
                body,
                referral_id: None,
            },
        )
        .await?;
        audit::append(
            &txn,
            &AuditEvent {
                actor: actor.clone(),
                action: "account.invite".into(),
                entity_type: "invitation".into(),
                entity_id: row.id.to_string(),
                purpose: format!("invite a {} account", new.role),
                request_id: request_id.into(),
            },
        );
        txn.commit().await?;
        from_row(row, now)
    }

    /// The center's invitations not yet accepted, newest first.
    pub async fn open(&self, scope: TenantScope) -> Result<Vec<Invitation>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = invitation::Entity::find_in(&txn)
            .filter(invitation::Column::AcceptedAt.is_null())
            .filter(invitation::Column::RevokedAt.is_null())
            .order_by_desc(invitation::Column::Id)
            .all(&txn)
            .await?;
        txn.commit().await?;
        let now = Utc::now();
        rows.into_iter().map(|row| from_row(row, now)).collect()
    }

    /// Withdraws an invitation: its link stops working.
    pub async fn revoke(
        &self,
        scope: TenantScope,
        id: InvitationId,
        actor: &Actor,
        request_id: &str,
    ) -> Result<Invitation, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = invitation::Entity::find_id_in(&txn, id.get())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("Invitation"))?;
        if row.accepted_at.is_some() {
            return Err(StoreError::conflict(
                "id",
                "the invitation was accepted already; disable the account instead",
            ));
        }
        let now = Utc::now();
        let mut active: invitation::ActiveModel = row.into();
        active.revoked_at = Set(Some(now));
        let row = active.update(&txn).await?;
        audit::append(
            &txn,
            &AuditEvent {
                actor: actor.clone(),
                action: "account.invitation_revoked".into(),
                entity_type: "invitation".into(),
                entity_id: id.to_string(),
                purpose: "withdraw an invitation".into(),
                request_id: request_id.into(),
            },
        );
        txn.commit().await?;
        from_row(row, now)
    }

    /// The invitation behind a link: `NotFound` for an unknown token, `Gone`
    /// for one used, withdrawn or expired.
    pub async fn view(&self, token: &str) -> Result<InvitationView, StoreError> {
        let scope = tenant_of_token(token).ok_or_else(|| StoreError::not_found("Invitation"))?;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = live(&txn, token).await?;
        let center_name = tenant::Entity::find_by_id(scope.tenant_id())
            .one(&txn)
            .await?
            .map(|t| t.name_el)
            .unwrap_or_default();
        txn.commit().await?;
        let invitation = from_row(row, Utc::now())?;
        Ok(InvitationView {
            center_name,
            email: invitation.email,
            display_name: invitation.display_name,
            role: invitation.role,
            expires_at: invitation.expires_at,
        })
    }

    /// The invitee chooses a password: the account exists from now on, and
    /// the link is spent. An address that has an account already is told
    /// so (only its owner holds the link).
    pub async fn accept(
        &self,
        token: &str,
        password: &str,
        request_id: &str,
    ) -> Result<Account, StoreError> {
        let scope = tenant_of_token(token).ok_or_else(|| StoreError::not_found("Invitation"))?;
        let view = self.view(token).await?;
        let password = NewPassword::parse(password, &view.email)
            .map_err(|p| StoreError::invalid("password", p))?;
        let password_hash = hash_password(password.expose().to_owned()).await?;
        let txn = ScopedTxn::begin(self.db, scope).await?;
        // Checked again inside the transaction: two tabs may accept at once.
        let row = live(&txn, token).await?;
        let has_account = || {
            StoreError::conflict(
                "email",
                format!(
                    "{} has a Kentro account already: log in with it, or ask for an invitation to another address",
                    row.email
                ),
            )
        };
        let now = Utc::now();
        let account = insert_account(
            &txn,
            NewAccountRow {
                tenant_id: Some(scope.tenant_id()),
                email: row.email.clone(),
                display_name: row.display_name.clone(),
                role: row.role.clone(),
                region: None,
                password_hash,
                // The account begins as the invitation is accepted.
                created_at: now,
            },
            has_account,
        )
        .await?;
        let invitation_id = row.id;
        let mut active: invitation::ActiveModel = row.into();
        active.accepted_at = Set(Some(now));
        active.account_id = Set(Some(account.id));
        active.update(&txn).await?;
        let account = Account::try_from(account)?;
        audit::append(
            &txn,
            &AuditEvent {
                actor: account.actor(),
                action: "account.create".into(),
                entity_type: "account".into(),
                entity_id: account.id.to_string(),
                purpose: format!("accept invitation {invitation_id}"),
                request_id: request_id.into(),
            },
        );
        txn.commit().await?;
        Ok(account)
    }
}

/// The pending invitation behind a token, in a transaction that entered
/// its tenant.
async fn live(txn: &ScopedTxn, token: &str) -> Result<invitation::Model, StoreError> {
    let row = invitation::Entity::find_in(txn)
        .filter(invitation::Column::TokenHash.eq(sha256_hex(token)))
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::not_found("Invitation"))?;
    let gone = |what: &str| StoreError::Gone { what: what.into() };
    if row.accepted_at.is_some() {
        return Err(gone("this invitation was used already: log in instead"));
    }
    if row.revoked_at.is_some() {
        return Err(gone("this invitation was withdrawn"));
    }
    if row.expires_at <= Utc::now() {
        return Err(gone(
            "this invitation has expired: ask your center for a new one",
        ));
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_tenant_and_nothing_else_parses() {
        let secret = "ab".repeat(32);
        assert_eq!(
            tenant_of_token(&format!("7-{secret}")),
            Some(TenantScope::new(7))
        );
        assert_eq!(tenant_of_token(&format!("x-{secret}")), None);
        assert_eq!(tenant_of_token("7-abc"), None);
        assert_eq!(tenant_of_token(&secret), None);
    }

    #[test]
    fn the_email_names_the_center_the_role_and_the_link_in_both_languages() {
        let (subject, body) = message(
            "Κέντρο Κοινότητας Βέροιας",
            "Άννα",
            Role::SocialWorker,
            "https://k.example/invitation/1-ff",
        );
        assert!(subject.contains("Κέντρο Κοινότητας Βέροιας"));
        assert!(body.contains("«Κοινωνικός λειτουργός»"), "{body}");
        assert!(body.contains("\"Social worker\""), "{body}");
        assert_eq!(body.matches("https://k.example/invitation/1-ff").count(), 2);
    }
}
