//! The page an invitation's link opens: the invitee sees which center
//! invites them and as what, chooses their own password, and is logged in.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::graphql;
use crate::i18n;
use crate::pages::login::{logged_in, with_login_token};
use crate::problems;
use crate::view::{FormError, Layout, Posted, Visit, render};

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    layout: Layout,
    token: String,
    center: String,
    name: String,
    email: String,
    role: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "invitation_gone.html")]
struct GonePage {
    layout: Layout,
    has_account: bool,
}

/// A link that no longer opens (used, withdrawn, expired or made up); or,
/// for an address with an account already, the way to log in with it.
fn gone(visit: &Visit, has_account: bool) -> Response {
    let page = GonePage {
        layout: visit.layout(visit.t("invitation-title"), None),
        has_account,
    };
    let status = if has_account {
        StatusCode::CONFLICT
    } else {
        StatusCode::NOT_FOUND
    };
    (status, render(&page)).into_response()
}

async fn page(visit: &Visit, token: String, errors: Vec<FormError>) -> Response {
    let preview = match graphql::run::<graphql::InvitationPreview>(
        &visit.state.schema,
        &visit.context,
        graphql::invitation_preview::Variables {
            token: token.clone(),
        },
    )
    .await
    {
        Ok(data) => data.invitation,
        Err(e) if e.has("NOT_FOUND") => return gone(visit, false),
        Err(e) => return visit.failure(&e),
    };
    let mut layout = visit.layout(visit.t("invitation-title"), None);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    layout.errors = errors;
    let page = InvitationPage {
        layout,
        token,
        center: preview.center_name,
        name: preview.name,
        email: preview.email,
        role: i18n::label(visit.lang, "role", &i18n::wire(&preview.role)),
        expires: crate::format::instant(&preview.expires_at),
    };
    with_login_token(visit, (status, render(&page)).into_response())
}

pub async fn show(visit: Visit, Path(token): Path<String>) -> Response {
    if visit.context.principal.is_some() {
        // Someone is logged in in this browser: the invitee must not
        // become them, nor they the invitee, by accident.
        return visit.problem(StatusCode::CONFLICT, "invitation-logged-in");
    }
    page(&visit, token, Vec::new()).await
}

pub async fn accept(Path(token): Path<String>, posted: Posted) -> Response {
    let visit = &posted.visit;
    if visit.context.principal.is_some() {
        return visit.problem(StatusCode::CONFLICT, "invitation-logged-in");
    }
    let password = match posted.chosen_password("password", "passwordAgain") {
        Ok(password) => password,
        Err(differ) => return page(visit, token, vec![differ]).await,
    };
    let outcome = graphql::run::<graphql::AcceptInvitation>(
        &visit.state.schema,
        &visit.context,
        graphql::accept_invitation::Variables {
            token: token.clone(),
            password,
        },
    )
    .await;
    match outcome {
        Ok(data) => logged_in(
            visit,
            "/?welcome",
            &data.accept_invitation.token,
            &data.accept_invitation.user.language,
        ),
        Err(e) if e.has("VALIDATION") => {
            page(visit, token, problems::form_errors(visit.lang, &e)).await
        }
        Err(e) if e.has("CONFLICT") => gone(visit, true),
        Err(e) if e.has("NOT_FOUND") => gone(visit, false),
        Err(e) => visit.failure(&e),
    }
}
