//! What a resolver knows about its request, and the checks every protected
//! resolver starts with.

use async_graphql::Context;
use kentro_domain::access::Permission;
use kentro_domain::keys::PersonId;
use kentro_store::{
    Access, Actor, Ephemeral, EventBus, LoopSettings, PartnerPrincipal, Principal, SessionPolicy,
    Store, TenantScope,
};

use crate::error::{ApiError, ErrorCode, coded};

/// Services shared by every request.
#[derive(Clone)]
pub struct ApiServices {
    pub store: Store,
    pub ephemeral: Ephemeral,
    pub session_policy: SessionPolicy,
    /// Changes other replicas (and subscriptions) hear about.
    pub events: EventBus,
    pub loop_settings: LoopSettings,
    pub plugins: std::sync::Arc<kentro_plugin_host::PluginRuntime>,
    /// How long an offboarded municipality's data is kept before deletion.
    pub offboarding_grace: chrono::Duration,
}

/// Facts about one request, set by the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// Established from the `Authorization: Bearer` token; `None` when absent.
    pub principal: Option<Principal>,
    /// A partner organization's system, authenticated by its API key
    /// (never together with `principal`).
    pub partner: Option<PartnerPrincipal>,
    /// The token itself, so `logout` can end its session.
    pub session_token: Option<String>,
    pub request_id: String,
    pub client_address: String,
    /// People this request has read already: a person reached again
    /// through nested fields (a household's members, a case's person) is
    /// neither read nor audited twice.
    pub people_read: PeopleRead,
}

/// The people one request has read, by id.
#[derive(Debug, Clone, Default)]
pub struct PeopleRead(
    std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<PersonId, kentro_store::PersonRecord>>,
    >,
);

impl PeopleRead {
    pub(crate) fn get(&self, id: PersonId) -> Option<kentro_store::PersonRecord> {
        self.0.lock().expect("never poisoned").get(&id).cloned()
    }

    pub(crate) fn remember(&self, record: &kentro_store::PersonRecord) {
        self.0
            .lock()
            .expect("never poisoned")
            .insert(record.id, record.clone());
    }
}

pub(crate) fn services<'a>(ctx: &Context<'a>) -> &'a ApiServices {
    ctx.data_unchecked::<ApiServices>()
}

pub(crate) fn request<'a>(ctx: &Context<'a>) -> &'a RequestContext {
    ctx.data_unchecked::<RequestContext>()
}

/// The partner organization calling with its API key.
pub(crate) fn partner<'a>(ctx: &Context<'a>) -> Result<&'a PartnerPrincipal, ApiError> {
    request(ctx).partner.as_ref().ok_or_else(|| {
        coded(
            ErrorCode::Unauthenticated,
            "this is for partner organizations; send Authorization: Bearer <partner key>",
        )
    })
}

pub(crate) fn principal<'a>(ctx: &Context<'a>) -> Result<&'a Principal, ApiError> {
    request(ctx).principal.as_ref().ok_or_else(|| {
        coded(
            ErrorCode::Unauthenticated,
            "log in first (send Authorization: Bearer <token>)",
        )
    })
}

/// The caller, who must hold `permission`.
pub(crate) fn authorized<'a>(
    ctx: &Context<'a>,
    permission: Permission,
) -> Result<&'a Principal, ApiError> {
    let principal = principal(ctx)?;
    if principal.account.role.can(permission) {
        Ok(principal)
    } else {
        Err(coded(
            ErrorCode::Forbidden,
            format!(
                "the {} role may not {}",
                principal.account.role,
                permission.code().replace('_', " ")
            ),
        ))
    }
}

/// The caller's own tenant, for a permission held within a tenant. The
/// scope comes from the session, never from an argument.
pub(crate) fn tenant_scope(
    ctx: &Context<'_>,
    permission: Permission,
) -> Result<TenantScope, ApiError> {
    let principal = authorized(ctx, permission)?;
    principal
        .tenant
        .ok_or_else(|| coded(ErrorCode::Forbidden, "this needs a tenant account"))
}

/// The who and why recorded with every access.
pub(crate) struct Accessor {
    actor: Actor,
    purpose: &'static str,
    request_id: String,
}

impl Accessor {
    pub(crate) fn new(ctx: &Context<'_>, purpose: &'static str) -> Result<Accessor, ApiError> {
        Ok(Accessor {
            actor: principal(ctx)?.account.actor(),
            purpose,
            request_id: request(ctx).request_id.clone(),
        })
    }

    pub(crate) fn access(&self) -> Access<'_> {
        Access {
            actor: &self.actor,
            purpose: self.purpose,
            request_id: &self.request_id,
        }
    }
}
