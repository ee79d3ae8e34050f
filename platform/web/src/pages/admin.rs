//! Διαχείριση → Χρήστες: the coordinator invites colleagues, changes their
//! roles, disables and re-enables accounts, and resends or withdraws
//! invitations. Nobody here ever sees or sets a password.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::format;
use crate::graphql::{self, ApiErrors};
use crate::i18n::{self, Lang};
use crate::pages::people::{Choice, ChoiceField};
use crate::problems;
use crate::view::{FormError, Layout, Posted, Staff, Visit, render, see_other};

/// The roles a center gives, in the order a coordinator thinks of them.
const CENTER_ROLES: [&str; 4] = ["RECEPTION", "SOCIAL_WORKER", "PSYCHOLOGIST", "TENANT_ADMIN"];

struct UserRow {
    id: String,
    name: String,
    email: String,
    role: String,
    role_choices: Vec<Choice>,
    disabled: bool,
    last_login: String,
    is_me: bool,
}

struct InvitationRow {
    id: String,
    name: String,
    email: String,
    role_code: String,
    role: String,
    status: String,
    status_code: &'static str,
    expires: String,
}

/// What the invitation form holds, typed or to be typed.
#[derive(Default)]
struct InviteForm {
    name: String,
    email: String,
    role: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    invitations: Vec<InvitationRow>,
    invite_name: String,
    email: String,
    role: ChoiceField,
}

fn role_choices(lang: Lang, selected: &str) -> Vec<Choice> {
    CENTER_ROLES
        .iter()
        .map(|role| Choice {
            value: (*role).to_owned(),
            label: i18n::label(lang, "role", role),
            selected: *role == selected,
        })
        .collect()
}

async fn page(visit: &Visit, mut layout: Layout, form: InviteForm) -> Response {
    let data = match graphql::run::<graphql::AdminUsers>(
        &visit.state.schema,
        &visit.context,
        graphql::admin_users::Variables {},
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    let me = data.me.map(|m| m.id).unwrap_or_default();
    let lang = visit.lang;
    let users = data
        .users
        .edges
        .into_iter()
        .map(|edge| {
            let user = edge.node;
            let role = i18n::wire(&user.role);
            UserRow {
                is_me: user.id == me,
                role_choices: role_choices(lang, &role),
                role: i18n::label(lang, "role", &role),
                id: user.id,
                name: user.name,
                email: user.email,
                disabled: user.disabled,
                last_login: user
                    .last_login_at
                    .as_deref()
                    .map(format::instant)
                    .unwrap_or_else(|| visit.t("admin-never")),
            }
        })
        .collect();
    let invitations = data
        .invitations
        .into_iter()
        .map(|i| {
            let role = i18n::wire(&i.role);
            let status = i18n::wire(&i.status);
            InvitationRow {
                role: i18n::label(lang, "role", &role),
                role_code: role,
                status: i18n::label(lang, "invitation-status", &status),
                status_code: if status == "PENDING" {
                    "sent"
                } else {
                    "cancelled"
                },
                expires: format::instant(&i.expires_at),
                id: i.id,
                name: i.name,
                email: i.email,
            }
        })
        .collect();
    layout.title = visit.t("admin-users-title");
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let role_error = layout.error_for("role").map(str::to_owned);
    let page = UsersPage {
        role: ChoiceField {
            name: "role",
            label: visit.t("field-role"),
            choices: role_choices(lang, &form.role),
            error: role_error,
        },
        invite_name: form.name,
        email: form.email,
        users,
        invitations,
        layout,
    };
    (status, render(&page)).into_response()
}

pub async fn users(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut layout = visit.layout(String::new(), Some(&staff));
    if let Some(done) = params.get("done") {
        let id = match done.as_str() {
            "invited" => "notice-invited",
            "role" => "notice-role-changed",
            "disabled" => "notice-user-disabled",
            "enabled" => "notice-user-enabled",
            "revoked" => "notice-invitation-revoked",
            _ => "",
        };
        if !id.is_empty() {
            layout.notice = Some(visit.t(id));
        }
    }
    page(&visit, layout, InviteForm::default()).await
}

/// Invites a colleague (or invites again: a resend).
pub async fn invite(staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    let form = InviteForm {
        name: posted.get("name"),
        email: posted.get("email"),
        role: posted.get("role"),
    };
    let mut layout = visit.layout(String::new(), Some(&staff));
    if form.name.is_empty() {
        layout.errors.push(FormError {
            field: "name".into(),
            text: visit.t("problem-invite-name"),
        });
    }
    if form.email.is_empty() {
        layout.errors.push(FormError {
            field: "email".into(),
            text: visit.t("problem-email"),
        });
    }
    if !CENTER_ROLES.contains(&form.role.as_str()) {
        layout.errors.push(FormError {
            field: "role".into(),
            text: visit.t("problem-invite-role"),
        });
    }
    if !layout.errors.is_empty() {
        return page(visit, layout, form).await;
    }
    let variables =
        json!({ "input": { "name": form.name, "email": form.email, "role": form.role } });
    let outcome = match serde_json::from_value(variables) {
        Ok(variables) => {
            graphql::run::<graphql::InviteUser>(&visit.state.schema, &visit.context, variables)
                .await
                .map(|_| ())
        }
        Err(e) => {
            tracing::warn!(error = %e, "an invitation's variables did not fit");
            return visit.problem(StatusCode::BAD_REQUEST, "error-internal");
        }
    };
    match outcome {
        Ok(()) => see_other("/admin/users?done=invited"),
        Err(e) if e.has("VALIDATION") || e.has("CONFLICT") => {
            layout.errors = invite_errors(visit, &e);
            page(visit, layout, form).await
        }
        Err(e) => visit.failure(&e),
    }
}

fn invite_errors(visit: &Visit, errors: &ApiErrors) -> Vec<FormError> {
    if errors.has("CONFLICT") {
        return vec![FormError {
            field: "email".into(),
            text: visit.t("problem-invite-colleague"),
        }];
    }
    problems::form_errors(visit.lang, errors)
}

/// A user's row action: a new role, disabling or re-enabling.
pub async fn change(
    Path((id, action)): Path<(String, String)>,
    staff: Staff,
    posted: Posted,
) -> Response {
    let visit = &posted.visit;
    let (schema, context) = (&visit.state.schema, &visit.context);
    let outcome = match action.as_str() {
        "role" => {
            let variables = json!({ "id": id, "role": posted.get("role") });
            match serde_json::from_value(variables) {
                Ok(variables) => {
                    graphql::run::<graphql::ChangeUserRole>(schema, context, variables)
                        .await
                        .map(|_| "role")
                }
                Err(_) => {
                    let mut layout = visit.layout(String::new(), Some(&staff));
                    layout.errors.push(FormError {
                        field: format!("role-{id}"),
                        text: visit.t("problem-invite-role"),
                    });
                    return page(visit, layout, InviteForm::default()).await;
                }
            }
        }
        "disable" => graphql::run::<graphql::DisableUser>(
            schema,
            context,
            graphql::disable_user::Variables { id },
        )
        .await
        .map(|_| "disabled"),
        "enable" => graphql::run::<graphql::EnableUser>(
            schema,
            context,
            graphql::enable_user::Variables { id },
        )
        .await
        .map(|_| "enabled"),
        _ => return visit.problem(StatusCode::NOT_FOUND, "error-not-found"),
    };
    match outcome {
        Ok(done) => see_other(&format!("/admin/users?done={done}")),
        Err(e) if e.has("VALIDATION") => {
            let mut layout = visit.layout(String::new(), Some(&staff));
            layout.errors = vec![FormError {
                field: "users".into(),
                text: visit.t("problem-own-role"),
            }];
            page(visit, layout, InviteForm::default()).await
        }
        Err(e) => visit.failure(&e),
    }
}

pub async fn revoke(Path(id): Path<String>, _staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    match graphql::run::<graphql::RevokeInvitation>(
        &visit.state.schema,
        &visit.context,
        graphql::revoke_invitation::Variables { id },
    )
    .await
    {
        Ok(_) => see_other("/admin/users?done=revoked"),
        Err(e) => visit.failure(&e),
    }
}
