//! Ο λογαριασμός μου: the staff member's own password and language.

use std::collections::HashMap;

use askama::Template;
use axum::extract::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::graphql;
use crate::i18n::Lang;
use crate::problems;
use crate::session;
use crate::view::{FormError, Layout, Posted, Staff, Visit, render, see_other};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    role: String,
    greek: bool,
}

fn page(visit: &Visit, staff: &Staff, mut layout: Layout) -> Response {
    layout.title = visit.t("account-title");
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let role = crate::i18n::label(visit.lang, "role", &staff.role);
    (
        status,
        render(&AccountPage {
            layout,
            name: staff.name.clone(),
            role,
            greek: visit.lang == Lang::El,
        }),
    )
        .into_response()
}

pub async fn show(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut layout = visit.layout(String::new(), Some(&staff));
    if params.get("done").is_some_and(|d| d == "password") {
        layout.notice = Some(visit.t("notice-password"));
    }
    page(&visit, &staff, layout)
}

/// Changes the password; the session is renewed (every other one ends).
pub async fn change_password(staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    let current = posted.secret("currentPassword");
    let chosen = posted.chosen_password("newPassword", "newPasswordAgain");
    let mut layout = visit.layout(String::new(), Some(&staff));
    if current.is_empty() {
        layout.errors.push(FormError {
            field: "currentPassword".into(),
            text: visit.t("problem-current-password-missing"),
        });
    }
    let new = match chosen {
        Ok(new) if layout.errors.is_empty() => new,
        Ok(_) => return page(visit, &staff, layout),
        Err(differ) => {
            layout.errors.push(differ);
            return page(visit, &staff, layout);
        }
    };
    match graphql::run::<graphql::ChangePassword>(
        &visit.state.schema,
        &visit.context,
        graphql::change_password::Variables { current, new },
    )
    .await
    {
        Ok(data) => {
            let secure = visit.state.secure_cookies;
            let mut response = see_other("/account?done=password");
            response.headers_mut().append(
                header::SET_COOKIE,
                session::set_cookie(
                    session::session_cookie(secure),
                    &data.change_password.token,
                    secure,
                    None,
                ),
            );
            response
        }
        Err(e) if e.has("VALIDATION") => {
            layout.errors = problems::form_errors(visit.lang, &e);
            page(visit, &staff, layout)
        }
        Err(e) => visit.failure(&e),
    }
}
