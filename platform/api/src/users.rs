//! Staff accounts, managed by their tenant's coordinator (tenant_admin).

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use kentro_domain::access::{Permission as DomainPermission, Role as DomainRole};
use kentro_domain::contact::Email;
use kentro_domain::keys::{AccountId, InvitationId};
use kentro_store::{Account, NewInvitation, TenantScope};

use crate::context::{request, services, tenant_scope};
use crate::error::{ApiError, bad_input, from_store, not_found, renamed_field};
use crate::id;
use crate::paging::{Page, page, page_size};

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::access::Role")]
pub enum Role {
    PlatformAdmin,
    MinistryOverseer,
    RegionalOverseer,
    TenantAdmin,
    SocialWorker,
    Psychologist,
    Reception,
}

/// What a role may do, so that a client shows only what will be allowed.
/// The API checks every call again.
#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::access::Permission")]
pub enum Permission {
    ViewTenants,
    ManageTenants,
    InstallPlugins,
    ViewCrossTenantAggregates,
    ManageTenantUsers,
    ManageTenantSettings,
    ViewAuditLog,
    RegisterPeople,
    BookAppointments,
    ViewPersonRecords,
    ViewSpecialCategories,
    ViewNotesAndAssessments,
    ViewPsychologicalNotes,
    ManageCases,
    MakeReferrals,
}

/// A colleague at the caller's center, as reception needs them to book:
/// name and role, nothing else.
#[derive(async_graphql::SimpleObject)]
pub struct Colleague {
    id: ID,
    name: String,
    role: Role,
}

/// A person who uses Kentro: center staff, or a platform user.
pub struct User(Account);

/// One account of the scope's center, if it is one.
pub(crate) async fn load(
    ctx: &Context<'_>,
    scope: TenantScope,
    id: AccountId,
) -> Result<Option<User>, ApiError> {
    Ok(services(ctx)
        .store
        .accounts()
        .in_tenant(scope, id)
        .await?
        .map(User))
}

impl From<Account> for User {
    fn from(account: Account) -> Self {
        User(account)
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        id::encode_key(self.0.id)
    }

    async fn email(&self) -> &str {
        self.0.email.as_str()
    }

    async fn name(&self) -> &str {
        &self.0.display_name
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// The workspace's language for this account: `el` or `en`.
    async fn language(&self) -> &str {
        &self.0.language
    }

    /// What the account's role may do.
    async fn permissions(&self) -> Vec<Permission> {
        kentro_domain::access::PERMISSION_MATRIX
            .iter()
            .filter(|(_, roles)| roles.contains(&self.0.role))
            .map(|(permission, _)| (*permission).into())
            .collect()
    }

    async fn disabled(&self) -> bool {
        self.0.disabled
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Null until the account's first login.
    async fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_login_at
    }

    /// The region a regional overseer oversees (its code); null for every
    /// other role.
    async fn region(&self) -> Option<&'static str> {
        self.0.region.map(|r| r.code())
    }
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The accounts of the caller's center (tenant_admin).
    #[graphql(complexity = "first.unwrap_or(20).min(100) as usize * child_complexity")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<User>, ApiError> {
        let scope = tenant_scope(ctx, DomainPermission::ManageTenantUsers)?;
        let limit = page_size(first)?;
        let accounts = services(ctx).store.accounts().list(Some(scope)).await?;
        let start = match after {
            Some(cursor) => accounts
                .iter()
                .position(|a| a.id.to_string() == cursor)
                .map_or(accounts.len(), |i| i + 1),
            None => 0,
        };
        let end = (start + limit).min(accounts.len());
        Ok(page(
            start > 0,
            end < accounts.len(),
            accounts[start..end]
                .iter()
                .cloned()
                .map(|a| (a.id.to_string(), User(a))),
        ))
    }

    /// The active staff of the caller's center, by name (any center role).
    async fn colleagues(&self, ctx: &Context<'_>) -> Result<Vec<Colleague>, ApiError> {
        let scope = tenant_scope(ctx, DomainPermission::BookAppointments)?;
        let mut accounts = services(ctx).store.accounts().list(Some(scope)).await?;
        accounts.retain(|a| !a.disabled);
        accounts.sort_by_key(|a| kentro_domain::names::sort_key(&a.display_name));
        Ok(accounts
            .into_iter()
            .map(|a| Colleague {
                id: id::encode_key(a.id),
                name: a.display_name,
                role: a.role.into(),
            })
            .collect())
    }

    /// One account of the caller's center (tenant_admin); another center's is `NOT_FOUND`.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<User, ApiError> {
        let scope = tenant_scope(ctx, DomainPermission::ManageTenantUsers)?;
        let key = id::decode_key::<AccountId>(&id)?;
        services(ctx)
            .store
            .accounts()
            .in_tenant(scope, key)
            .await?
            .map(User)
            .ok_or_else(|| not_found("User"))
    }
}

#[derive(InputObject)]
pub struct InviteUserInput {
    email: String,
    name: String,
    /// A center role (not a platform one).
    role: Role,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_store::InvitationStatus")]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

/// An invitation to the center's staff. Its link goes only to the invitee,
/// by e-mail; nobody else ever sees it.
pub struct Invitation(kentro_store::Invitation);

#[Object]
impl Invitation {
    async fn id(&self) -> ID {
        id::encode_key(self.0.id)
    }

    async fn email(&self) -> &str {
        self.0.email.as_str()
    }

    async fn name(&self) -> &str {
        &self.0.display_name
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }

    async fn status(&self) -> InvitationStatus {
        self.0.status.into()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The link works until then (72 hours), once.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
}

/// What an invitation's link shows its invitee before they choose a password.
#[derive(async_graphql::SimpleObject)]
pub struct InvitationPreview {
    center_name: String,
    email: String,
    name: String,
    role: Role,
    expires_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct InvitationQuery;

#[Object]
impl InvitationQuery {
    /// The center's invitations not yet accepted or withdrawn (tenant_admin),
    /// newest first; those past their 72 hours read `EXPIRED`.
    async fn invitations(&self, ctx: &Context<'_>) -> Result<Vec<Invitation>, ApiError> {
        let scope = tenant_scope(ctx, DomainPermission::ManageTenantUsers)?;
        Ok(services(ctx)
            .store
            .invitations()
            .open(scope)
            .await?
            .into_iter()
            .map(Invitation)
            .collect())
    }

    /// The invitation behind a link, for its invitee (no login needed).
    /// A used, withdrawn, expired or unknown link is `NOT_FOUND`.
    async fn invitation(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> Result<InvitationPreview, ApiError> {
        let view = services(ctx).store.invitations().view(&token).await?;
        Ok(InvitationPreview {
            center_name: view.center_name,
            email: view.email.to_string(),
            name: view.display_name,
            role: view.role.into(),
            expires_at: view.expires_at,
        })
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Invites a person to the caller's center (tenant_admin): they receive
    /// an e-mail with a single-use link, valid for 72 hours, to choose their
    /// own password. Inviting the same address again replaces the pending
    /// invitation (a resend). The answer is the same whether or not the
    /// address has an account at another center.
    async fn invite_user(
        &self,
        ctx: &Context<'_>,
        input: InviteUserInput,
    ) -> Result<Invitation, ApiError> {
        let scope = tenant_scope(ctx, DomainPermission::ManageTenantUsers)?;
        let role = DomainRole::from(input.role);
        if role.is_platform_role() {
            return Err(bad_input(
                "input.role",
                format!("a center cannot invite {role} accounts"),
            ));
        }
        let email = Email::parse(&input.email).map_err(|p| bad_input("input.email", p))?;
        let display_name = kentro_domain::access::DisplayName::parse(&input.name)
            .map_err(|p| bad_input("input.name", p))?;
        let caller = crate::context::principal(ctx)?;
        services(ctx)
            .store
            .invitations()
            .invite(
                scope,
                NewInvitation {
                    email,
                    display_name,
                    role,
                },
                &services(ctx).loop_settings.public_url,
                &caller.account.actor(),
                &request(ctx).request_id,
            )
            .await
            .map(Invitation)
            .map_err(|e| renamed_field(from_store(e), |f| format!("input.{f}")))
    }

    /// Invites a municipality's first coordinator (platform_admin): the
    /// invitation e-mail of `inviteUser`, for the role tenant_admin, so
    /// that onboarding needs no shell and nobody else knows the password.
    async fn invite_coordinator(
        &self,
        ctx: &Context<'_>,
        tenant: String,
        email: String,
        name: String,
    ) -> Result<Invitation, ApiError> {
        let caller = crate::context::authorized(ctx, DomainPermission::ManageTenants)?;
        let slug = kentro_domain::TenantSlug::parse(&tenant).map_err(|p| bad_input("tenant", p))?;
        let email = Email::parse(&email).map_err(|p| bad_input("email", p))?;
        let display_name =
            kentro_domain::access::DisplayName::parse(&name).map_err(|p| bad_input("name", p))?;
        let store = &services(ctx).store;
        let Some(scope) = store.operator_scope(&slug).await? else {
            return Err(bad_input(
                "tenant",
                format!("there is no municipality {slug}"),
            ));
        };
        store
            .invitations()
            .invite(
                scope,
                NewInvitation {
                    email,
                    display_name,
                    role: DomainRole::TenantAdmin,
                },
                &services(ctx).loop_settings.public_url,
                &caller.account.actor(),
                &request(ctx).request_id,
            )
            .await
            .map(Invitation)
            .map_err(ApiError::from)
    }

    /// Withdraws an invitation of the caller's center (tenant_admin): its
    /// link stops working.
    async fn revoke_invitation(&self, ctx: &Context<'_>, id: ID) -> Result<Invitation, ApiError> {
        let scope = tenant_scope(ctx, DomainPermission::ManageTenantUsers)?;
        let key = id::decode_key::<InvitationId>(&id)?;
        let caller = crate::context::principal(ctx)?;
        services(ctx)
            .store
            .invitations()
            .revoke(
                scope,
                key,
                &caller.account.actor(),
                &request(ctx).request_id,
            )
            .await
            .map(Invitation)
            .map_err(ApiError::from)
    }

    /// The invitee chooses their password (no login needed): the account
    /// exists from now on, the link is spent, and the answer is a session.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        token: String,
        password: String,
    ) -> Result<crate::session::LoginPayload, ApiError> {
        let account = services(ctx)
            .store
            .invitations()
            .accept(&token, &password, &request(ctx).request_id)
            .await?;
        crate::session::log_in(
            ctx,
            account.email.as_str(),
            &password,
            "the account was created; log in with it",
        )
        .await
    }

    /// Gives a colleague another center role (tenant_admin). Their sessions
    /// end at once, open sockets too. Another center's account is `NOT_FOUND`.
    async fn change_user_role(
        &self,
        ctx: &Context<'_>,
        id: ID,
        role: Role,
    ) -> Result<User, ApiError> {
        let scope = tenant_scope(ctx, DomainPermission::ManageTenantUsers)?;
        let key = id::decode_key::<AccountId>(&id)?;
        let role = DomainRole::from(role);
        if role.is_platform_role() {
            return Err(bad_input(
                "role",
                format!("a center cannot give the {role} role"),
            ));
        }
        let caller = crate::context::principal(ctx)?;
        if caller.account.id == key {
            return Err(bad_input(
                "id",
                "you cannot change your own role; another coordinator can",
            ));
        }
        services(ctx)
            .store
            .accounts()
            .change_role(
                scope,
                key,
                role,
                &caller.account.actor(),
                &request(ctx).request_id,
            )
            .await?
            .map(User)
            .ok_or_else(|| not_found("User"))
    }

    /// Lets a disabled account of the caller's center log in again
    /// (tenant_admin). Another center's account is `NOT_FOUND`.
    async fn enable_user(&self, ctx: &Context<'_>, id: ID) -> Result<User, ApiError> {
        let scope = tenant_scope(ctx, DomainPermission::ManageTenantUsers)?;
        let key = id::decode_key::<AccountId>(&id)?;
        let caller = crate::context::principal(ctx)?;
        services(ctx)
            .store
            .accounts()
            .enable(
                scope,
                key,
                &caller.account.actor(),
                &request(ctx).request_id,
            )
            .await?
            .map(User)
            .ok_or_else(|| not_found("User"))
    }

    /// Disables an account of the caller's center (tenant_admin): it can no
    /// longer log in and its sessions end. Another center's is `NOT_FOUND`.
    async fn disable_user(&self, ctx: &Context<'_>, id: ID) -> Result<User, ApiError> {
        let scope = tenant_scope(ctx, DomainPermission::ManageTenantUsers)?;
        let key = id::decode_key::<AccountId>(&id)?;
        let store = &services(ctx).store;
        let account = store
            .accounts()
            .in_tenant(scope, key)
            .await?
            .ok_or_else(|| not_found("User"))?;
        let caller = crate::context::principal(ctx)?;
        store
            .accounts()
            .disable(
                Some(scope),
                &account.email,
                &caller.account.actor(),
                &request(ctx).request_id,
            )
            .await?
            .map(User)
            .ok_or_else(|| not_found("User"))
    }
}
