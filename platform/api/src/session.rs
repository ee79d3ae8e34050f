//! Logging in and out, and who am I.

use async_graphql::{Context, Object, SimpleObject};
use kentro_store::{LoginOutcome, Sessions};

use crate::context::{principal, request, services};
use crate::error::{ApiError, ErrorCode, coded, rate_limited};
use crate::users::User;

#[derive(Default)]
pub struct SessionQuery;

#[Object]
impl SessionQuery {
    /// The logged-in user; null when the request carries no valid session.
    async fn me(&self, ctx: &Context<'_>) -> Option<User> {
        request(ctx)
            .principal
            .as_ref()
            .map(|p| User::from(p.account.clone()))
    }
}

#[derive(Default)]
pub struct SessionMutation;

#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send it as `Authorization: Bearer <token>`. It expires after
    /// `idleTimeoutSeconds` without use, and at the latest after 12 hours.
    token: String,
    idle_timeout_seconds: i32,
    user: User,
}

/// A new session for `email` and `password`, as `login` answers: refused
/// credentials give `UNAUTHENTICATED` with `refused`, throttling `RATE_LIMITED`.
pub(crate) async fn log_in(
    ctx: &Context<'_>,
    email: &str,
    password: &str,
    refused: &str,
) -> Result<LoginPayload, ApiError> {
    let services = services(ctx);
    let request = request(ctx);
    let outcome = Sessions::new(
        &services.store,
        &services.ephemeral,
        services.session_policy,
    )
    .login(
        email,
        password,
        &request.client_address,
        &request.request_id,
    )
    .await?;
    match outcome {
        LoginOutcome::LoggedIn { token, principal } => Ok(LoginPayload {
            token,
            idle_timeout_seconds: services.session_policy.idle_timeout.as_secs() as i32,
            user: User::from(principal.account),
        }),
        LoginOutcome::Refused => Err(coded(ErrorCode::Unauthenticated, refused.to_owned())),
        LoginOutcome::TenantSuspended => Err(coded(
            ErrorCode::Forbidden,
            "your municipality's access to Kentro is suspended; your data is kept",
        )),
        LoginOutcome::Throttled { retry_after } => Err(rate_limited(retry_after).into()),
    }
}

#[Object]
impl SessionMutation {
    /// Exchanges an e-mail and password for a session token. A wrong
    /// password, an unknown e-mail and a disabled account all answer the
    /// same `UNAUTHENTICATED`; repeated attempts are throttled (`RATE_LIMITED`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<LoginPayload, ApiError> {
        log_in(
            ctx,
            &email,
            &password,
            "the e-mail or the password is wrong, or the account is disabled",
        )
        .await
    }

    /// Sends a link to choose a new password, valid for an hour and once, to
    /// the address if it belongs to a center account. The answer is `true`
    /// whether or not it does, and however often it is asked.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> Result<bool, ApiError> {
        let services = services(ctx);
        Sessions::new(
            &services.store,
            &services.ephemeral,
            services.session_policy,
        )
        .request_password_reset(
            &email,
            &services.loop_settings.public_url,
            &request(ctx).request_id,
        )
        .await?;
        Ok(true)
    }

    /// Sets a new password through the e-mailed link (no login needed): the
    /// link is spent, every earlier session ends, and the answer is a new
    /// one. An unknown, used or expired link is `NOT_FOUND`.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        password: String,
    ) -> Result<LoginPayload, ApiError> {
        let services = services(ctx);
        let account = Sessions::new(
            &services.store,
            &services.ephemeral,
            services.session_policy,
        )
        .reset_password(&token, &password, &request(ctx).request_id)
        .await?;
        log_in(
            ctx,
            account.email.as_str(),
            &password,
            "the password changed; log in with it",
        )
        .await
    }

    /// Changes the caller's own password (`currentPassword` must be right).
    /// Every session of the account begun before ends, this one too, and
    /// sockets watching them close; the answer is a new session.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<LoginPayload, ApiError> {
        let caller = principal(ctx)?;
        let services = services(ctx);
        let request = request(ctx);
        let new = kentro_domain::access::NewPassword::parse(&new_password, &caller.account.email)
            .map_err(|problem| crate::error::bad_input("newPassword", problem))?;
        let changed = services
            .store
            .accounts()
            .change_password(
                caller.account.id,
                &current_password,
                &new,
                &request.request_id,
            )
            .await?;
        if !changed {
            return Err(crate::error::bad_input(
                "currentPassword",
                "is not your current password",
            ));
        }
        if let Some(token) = &request.session_token {
            Sessions::new(
                &services.store,
                &services.ephemeral,
                services.session_policy,
            )
            .logout(token)
            .await?;
        }
        log_in(
            ctx,
            caller.account.email.as_str(),
            &new_password,
            "the password changed; log in again",
        )
        .await
    }

    /// The caller's own choice of the workspace's language: `el` or `en`.
    async fn set_language(&self, ctx: &Context<'_>, language: String) -> Result<User, ApiError> {
        let caller = principal(ctx)?;
        if !matches!(language.as_str(), "el" | "en") {
            return Err(crate::error::bad_input("language", "must be el or en"));
        }
        let services = services(ctx);
        services
            .store
            .accounts()
            .set_language(caller.account.id, &language)
            .await?;
        let mut account = caller.account.clone();
        account.language = language;
        Ok(User::from(account))
    }

    /// Ends the current session.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool, ApiError> {
        principal(ctx)?;
        let services = services(ctx);
        if let Some(token) = &request(ctx).session_token {
            Sessions::new(
                &services.store,
                &services.ephemeral,
                services.session_policy,
            )
            .logout(token)
            .await?;
        }
        Ok(true)
    }
}
