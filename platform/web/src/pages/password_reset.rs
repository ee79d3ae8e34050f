//! Ξεχάσατε τον κωδικό; A staff member asks for a link by e-mail and
//! chooses a new password through it. The answer to the asking is the same
//! whether or not the address has an account.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::graphql;
use crate::pages::login::{logged_in, with_login_token};
use crate::problems;
use crate::view::{FormError, Layout, Posted, Visit, render, see_other};

pub enum ResetStep {
    /// The form asking for the e-mail.
    Ask(String),
    /// The same answer for every address.
    Sent,
    /// The form choosing the new password, for this link.
    Choose(String),
    /// The link is unknown, used or expired.
    Gone,
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    layout: Layout,
    step: ResetStep,
}

fn page(visit: &Visit, step: ResetStep, errors: Vec<FormError>) -> Response {
    let mut layout = visit.layout(visit.t("reset-title"), None);
    let status = match (&step, errors.is_empty()) {
        (ResetStep::Gone, _) => StatusCode::NOT_FOUND,
        (_, false) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    layout.errors = errors;
    with_login_token(
        visit,
        (status, render(&ResetPage { layout, step })).into_response(),
    )
}

pub async fn ask_form(visit: Visit) -> Response {
    if visit.context.principal.is_some() {
        return see_other("/account");
    }
    page(&visit, ResetStep::Ask(String::new()), Vec::new())
}

pub async fn ask(posted: Posted) -> Response {
    let visit = &posted.visit;
    let email = posted.get("email");
    if email.is_empty() {
        let errors = vec![FormError {
            field: "email".into(),
            text: visit.t("login-email-missing"),
        }];
        return page(visit, ResetStep::Ask(email), errors);
    }
    match graphql::run::<graphql::RequestPasswordReset>(
        &visit.state.schema,
        &visit.context,
        graphql::request_password_reset::Variables { email },
    )
    .await
    {
        Ok(_) => page(visit, ResetStep::Sent, Vec::new()),
        Err(e) => visit.failure(&e),
    }
}

pub async fn choose_form(visit: Visit, Path(token): Path<String>) -> Response {
    if visit.context.principal.is_some() {
        return visit.problem(StatusCode::CONFLICT, "invitation-logged-in");
    }
    page(&visit, ResetStep::Choose(token), Vec::new())
}

pub async fn choose(Path(token): Path<String>, posted: Posted) -> Response {
    let visit = &posted.visit;
    if visit.context.principal.is_some() {
        return visit.problem(StatusCode::CONFLICT, "invitation-logged-in");
    }
    let password = match posted.chosen_password("password", "passwordAgain") {
        Ok(password) => password,
        Err(differ) => return page(visit, ResetStep::Choose(token), vec![differ]),
    };
    match graphql::run::<graphql::ResetPassword>(
        &visit.state.schema,
        &visit.context,
        graphql::reset_password::Variables {
            token: token.clone(),
            password,
        },
    )
    .await
    {
        Ok(data) => logged_in(
            visit,
            "/?password-reset",
            &data.reset_password.token,
            &data.reset_password.user.language,
        ),
        Err(e) if e.has("VALIDATION") => page(
            visit,
            ResetStep::Choose(token),
            problems::form_errors(visit.lang, &e),
        ),
        Err(e) if e.has("NOT_FOUND") => page(visit, ResetStep::Gone, Vec::new()),
        Err(e) => visit.failure(&e),
    }
}
