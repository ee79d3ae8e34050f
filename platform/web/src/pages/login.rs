//! Σύνδεση: the login form, logout, and the language choice.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::graphql::{self, Login, Logout};
use crate::i18n::Lang;
use crate::session;
use crate::view::{FormError, Layout, Posted, Visit, render, see_other};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    expired: bool,
}

pub async fn form(visit: Visit, query: axum::extract::Query<Vec<(String, String)>>) -> Response {
    if visit.context.principal.is_some() {
        return see_other("/");
    }
    let expired = query.0.iter().any(|(k, _)| k == "expired");
    let page = LoginPage {
        layout: visit.layout(visit.t("login-title"), None),
        email: String::new(),
        expired,
    };
    with_login_token(&visit, render(&page))
}

/// The login form's token lives in a cookie until the session replaces it.
pub(crate) fn with_login_token(visit: &Visit, mut response: Response) -> Response {
    if let Some(token) = &visit.new_login_token {
        response.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(
                session::login_cookie(visit.state.secure_cookies),
                token,
                visit.state.secure_cookies,
                None,
            ),
        );
    }
    response
}

pub async fn submit(posted: Posted) -> Response {
    let visit = &posted.visit;
    let email = posted.get("email");
    let password = posted.secret("password");
    let mut errors = Vec::new();
    if email.is_empty() {
        errors.push(FormError {
            field: "email".into(),
            text: visit.t("login-email-missing"),
        });
    }
    if password.is_empty() {
        errors.push(FormError {
            field: "password".into(),
            text: visit.t("login-password-missing"),
        });
    }
    if errors.is_empty() {
        let outcome = graphql::run::<Login>(
            &visit.state.schema,
            &visit.context,
            graphql::login::Variables {
                email: email.clone(),
                password,
            },
        )
        .await;
        match outcome {
            Ok(data) => {
                return logged_in(visit, "/", &data.login.token, &data.login.user.language);
            }
            Err(e) if e.has("RATE_LIMITED") => errors.push(FormError {
                field: "email".into(),
                text: visit.t("login-throttled"),
            }),
            Err(e) if e.has("UNAUTHENTICATED") => errors.push(FormError {
                field: "email".into(),
                text: visit.t("login-refused"),
            }),
            // The password was right; the municipality is suspended.
            Err(e) if e.has("FORBIDDEN") => errors.push(FormError {
                field: "email".into(),
                text: visit.t("login-suspended"),
            }),
            Err(e) => return visit.failure(&e),
        }
    }
    let mut layout = visit.layout(visit.t("login-title"), None);
    layout.errors = errors;
    let page = LoginPage {
        layout,
        email,
        expired: false,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
}

pub async fn logout(posted: Posted) -> Response {
    let visit = &posted.visit;
    if visit.context.principal.is_some()
        && let Err(e) = graphql::run::<Logout>(
            &visit.state.schema,
            &visit.context,
            graphql::logout::Variables {},
        )
        .await
    {
        tracing::warn!(code = %e.first().code, "logout failed");
    }
    let secure = visit.state.secure_cookies;
    let mut response = see_other("/login");
    response.headers_mut().append(
        header::SET_COOKIE,
        session::clear_cookie(session::session_cookie(secure), secure),
    );
    response
}

/// Switches the workspace's language, then returns to the page it came from.
pub async fn language(posted: Posted) -> Response {
    let lang = Lang::parse(&posted.get("lang")).unwrap_or(Lang::El);
    let back = posted.get("back");
    // Only a path of this site: never an open redirect.
    let back = if back.starts_with('/') && !back.starts_with("//") {
        back
    } else {
        "/".to_owned()
    };
    let visit = &posted.visit;
    if visit.context.principal.is_some()
        && let Err(e) = graphql::run::<graphql::SetLanguage>(
            &visit.state.schema,
            &visit.context,
            graphql::set_language::Variables {
                language: lang.code().to_owned(),
            },
        )
        .await
    {
        return visit.failure(&e);
    }
    let mut response = see_other(&back);
    response.headers_mut().append(
        header::SET_COOKIE,
        language_cookie(lang.code(), visit.state.secure_cookies),
    );
    response
}

/// The answer to a successful login (or an accepted invitation, or a reset
/// password): the session's cookie, the login form's token gone, the
/// account's own language, and on to `location`.
pub(crate) fn logged_in(visit: &Visit, location: &str, token: &str, language: &str) -> Response {
    let secure = visit.state.secure_cookies;
    let mut response = see_other(location);
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        session::set_cookie(session::session_cookie(secure), token, secure, None),
    );
    headers.append(
        header::SET_COOKIE,
        session::clear_cookie(session::login_cookie(secure), secure),
    );
    headers.append(header::SET_COOKIE, language_cookie(language, secure));
    response
}

pub(crate) fn language_cookie(code: &str, secure: bool) -> HeaderValue {
    let code = Lang::parse(code).unwrap_or(Lang::El).code();
    let cookie = format!(
        "{}={code}; Path=/; SameSite=Lax; Max-Age=31536000{}",
        session::LANGUAGE_COOKIE,
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&cookie).expect("ASCII")
}
