//! What every page shares: the visit (caller, language, form token), the
//! layout around the content, posted forms and their checks, redirects.

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kentro_api::RequestContext;

use crate::graphql::{self, ApiErrors};
use crate::i18n::{self, Lang};
use crate::{WebState, assets, session};

/// The policy of every workspace page: this origin's styles, scripts and
/// connections only (the live updates use a WebSocket to this host), no
/// inline script, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// One request to the workspace.
pub struct Visit {
    pub state: WebState,
    pub context: RequestContext,
    pub lang: Lang,
    /// The token this visit's forms carry.
    pub csrf: String,
    /// Set when the login form needed a fresh pre-session token.
    pub new_login_token: Option<String>,
    /// The browser sent a session cookie that no longer opens a session.
    pub session_ended: bool,
    /// The path and query of this page, to come back to.
    pub path: String,
}

/// The logged-in staff member, as the contract describes them.
#[derive(Debug, Clone)]
pub struct Staff {
    pub id: String,
    pub name: String,
    pub role: String,
    pub permissions: Vec<String>,
    /// A regional overseer's region.
    pub region: Option<kentro_domain::region::Region>,
}

impl Staff {
    pub fn may(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

impl FromRequestParts<WebState> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let context = parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_default();
        let lang = session::cookie(&parts.headers, session::LANGUAGE_COOKIE)
            .and_then(|c| Lang::parse(&c))
            .unwrap_or(Lang::El);
        let (csrf, new_login_token) = match &context.session_token {
            Some(token) if context.principal.is_some() => (session::csrf_token(token), None),
            _ => match session::cookie(&parts.headers, session::login_cookie(state.secure_cookies))
            {
                Some(token) => (session::csrf_token(&token), None),
                None => {
                    let token = session::random_token();
                    (session::csrf_token(&token), Some(token))
                }
            },
        };
        let session_ended = context.principal.is_none()
            && session::cookie(
                &parts.headers,
                session::session_cookie(state.secure_cookies),
            )
            .is_some();
        Ok(Visit {
            state: state.clone(),
            session_ended,
            context,
            lang,
            csrf,
            new_login_token,
            path: parts
                .uri
                .path_and_query()
                .map_or("/".to_owned(), |p| p.as_str().to_owned()),
        })
    }
}

/// The logged-in staff member as a handler's argument: a visit without a
/// session goes to the login page before the handler runs.
impl FromRequestParts<WebState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let Ok(visit) = Visit::from_request_parts(parts, state).await;
        visit.staff().await
    }
}

impl Visit {
    pub fn t(&self, id: &str) -> String {
        i18n::message(self.lang, id, &[])
    }

    /// The staff member, or the way to the login page.
    pub async fn staff(&self) -> Result<Staff, Response> {
        if self.context.principal.is_none() {
            return Err(self.to_login());
        }
        let me = graphql::run::<graphql::Me>(
            &self.state.schema,
            &self.context,
            graphql::me::Variables {},
        )
        .await
        .map_err(|e| self.failure(&e))?
        .me
        .ok_or_else(|| Redirect::to("/login").into_response())?;
        Ok(Staff {
            id: me.id,
            name: me.name,
            role: i18n::wire(&me.role),
            permissions: me.permissions.iter().map(i18n::wire).collect(),
            region: me.region.and_then(|code| code.parse().ok()),
        })
    }

    fn to_login(&self) -> Response {
        Redirect::to(if self.session_ended {
            "/login?expired"
        } else {
            "/login"
        })
        .into_response()
    }

    pub fn layout(&self, title: String, staff: Option<&Staff>) -> Layout {
        Layout {
            lang: self.lang,
            title,
            user: staff.map(|s| UserBadge {
                name: s.name.clone(),
                role: i18n::label(self.lang, "role", &s.role),
            }),
            nav: staff.map(|s| navigation(self.lang, s)).unwrap_or_default(),
            csrf: self.csrf.clone(),
            stylesheet: assets::stylesheet(),
            print_stylesheet: assets::print_stylesheet(),
            script: assets::script(),
            idle_timeout_seconds: self.state.idle_timeout_seconds,
            errors: Vec::new(),
            notice: None,
            path: self.path.clone(),
        }
    }

    /// A page for an error the API answered that the page cannot handle
    /// itself: not found, forbidden, or the server's own failure.
    pub fn failure(&self, errors: &ApiErrors) -> Response {
        let error = errors.first();
        let (status, id) = match error.code.as_str() {
            "UNAUTHENTICATED" => return self.to_login(),
            "NOT_FOUND" => (StatusCode::NOT_FOUND, "error-not-found"),
            "FORBIDDEN" => (StatusCode::FORBIDDEN, "error-forbidden"),
            "RATE_LIMITED" => (StatusCode::TOO_MANY_REQUESTS, "error-rate-limited"),
            _ => {
                tracing::warn!(code = %error.code, message = %error.message, "a page could not be shown");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        };
        self.problem(status, id)
    }

    pub fn problem(&self, status: StatusCode, message_id: &str) -> Response {
        let page = ProblemPage {
            layout: self.layout(self.t("error-title"), None),
            message: self.t(message_id),
            request_id: self.context.request_id.clone(),
        };
        (status, render(&page)).into_response()
    }
}

pub struct UserBadge {
    pub name: String,
    pub role: String,
}

pub struct NavLink {
    pub href: &'static str,
    pub label: String,
}

fn navigation(lang: Lang, staff: &Staff) -> Vec<NavLink> {
    // Platform roles' home is their own screen (Δήμοι, Εποπτεία), which
    // their nav already names.
    let platform = staff.may("MANAGE_TENANTS") || staff.may("VIEW_CROSS_TENANT_AGGREGATES");
    let mut links = Vec::new();
    if !platform {
        links.push(NavLink {
            href: "/",
            label: i18n::message(lang, "nav-home", &[]),
        });
    }
    if staff.may("VIEW_PERSON_RECORDS") {
        links.push(NavLink {
            href: "/people",
            label: i18n::message(lang, "nav-people", &[]),
        });
    }
    if staff.may("BOOK_APPOINTMENTS") {
        links.push(NavLink {
            href: "/calendar",
            label: i18n::message(lang, "nav-calendar", &[]),
        });
    }
    if staff.may("MAKE_REFERRALS") {
        links.push(NavLink {
            href: "/directory",
            label: i18n::message(lang, "nav-directory", &[]),
        });
    }
    if staff.may("VIEW_PERSON_RECORDS") {
        links.push(NavLink {
            href: "/plugins",
            label: i18n::message(lang, "nav-plugins", &[]),
        });
    }
    if staff.may("MANAGE_TENANTS") {
        links.push(NavLink {
            href: "/municipalities",
            label: i18n::message(lang, "nav-municipalities", &[]),
        });
    }
    if staff.may("VIEW_CROSS_TENANT_AGGREGATES") {
        links.push(NavLink {
            href: "/oversight",
            label: i18n::message(lang, "nav-oversight", &[]),
        });
    }
    if staff.may("MANAGE_TENANT_USERS") {
        links.push(NavLink {
            href: "/admin",
            label: i18n::message(lang, "nav-admin", &[]),
        });
    }
    links
}

/// A field's problem, shown in the error summary and beside the field.
#[derive(Debug, Clone)]
pub struct FormError {
    /// The `id` of the input it links to.
    pub field: String,
    pub text: String,
}

/// The frame of every page.
pub struct Layout {
    pub lang: Lang,
    pub title: String,
    pub user: Option<UserBadge>,
    pub nav: Vec<NavLink>,
    pub csrf: String,
    pub stylesheet: String,
    pub print_stylesheet: String,
    pub script: String,
    pub idle_timeout_seconds: u64,
    pub errors: Vec<FormError>,
    pub notice: Option<String>,
    pub path: String,
}

impl Layout {
    pub fn t(&self, id: &str) -> String {
        i18n::message(self.lang, id, &[])
    }

    /// Each referral status's label, for the live updates of any page that
    /// shows referrals.
    pub fn referral_labels(&self) -> Vec<(String, String)> {
        [
            "SENT",
            "ACCEPTED",
            "DECLINED",
            "IN_PROGRESS",
            "COMPLETED",
            "NOT_COMPLETED",
            "CANCELLED",
            "EXPIRED",
        ]
        .iter()
        .map(|s| {
            (
                s.to_lowercase().replace('_', "-"),
                i18n::label(self.lang, "referral-status", s),
            )
        })
        .collect()
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn other_lang_code(&self) -> &'static str {
        self.lang.other().code()
    }

    pub fn other_lang_name(&self) -> String {
        i18n::message(self.lang.other(), "language-name", &[])
    }

    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.text.as_str())
    }
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage {
    layout: Layout,
    message: String,
    request_id: String,
}

/// A page as HTML. Pages carry people's data, so no browser or proxy keeps
/// them: on a shared computer, the next user's Back button shows nothing.
pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a template failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// After a successful post: the next page by GET.
pub fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// A posted form whose origin and token were checked: a post from another
/// site, or without this session's token, changes nothing.
pub struct Posted {
    pub visit: Visit,
    pub fields: Vec<(String, String)>,
}

impl Posted {
    pub fn get(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// The value, or `None` when left empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// A password as typed: spaces are part of it, so nothing is trimmed.
    pub fn secret(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// A new password typed twice (`field` and `again`): the password, or
    /// the problem beside the second field when the two differ.
    pub fn chosen_password(&self, field: &str, again: &str) -> Result<String, FormError> {
        let password = self.secret(field);
        if password == self.secret(again) {
            Ok(password)
        } else {
            Err(FormError {
                field: again.to_owned(),
                text: self.visit.t("problem-passwords-differ"),
            })
        }
    }
}

impl FromRequest<WebState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let visit = same_origin_visit(&mut parts, state).await?;
        if !content_type_is(&parts, "application/x-www-form-urlencoded") {
            return Err(visit.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "error-bad-form"));
        }
        let bytes = axum::body::to_bytes(body, 256 * 1024)
            .await
            .map_err(|_| visit.problem(StatusCode::PAYLOAD_TOO_LARGE, "error-bad-form"))?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| visit.problem(StatusCode::BAD_REQUEST, "error-bad-form"))?;
        let posted = Posted { visit, fields };
        match posted.refused_without_form_token() {
            Some(refusal) => Err(refusal),
            None => Ok(posted),
        }
    }
}

impl Posted {
    /// The refusal of a form that does not carry the session's form token.
    fn refused_without_form_token(&self) -> Option<Response> {
        // A form without a login token's cookie has no token to match.
        (self.visit.new_login_token.is_some()
            || !session::same_token(&self.get("csrf"), &self.visit.csrf))
        .then(|| self.visit.problem(StatusCode::FORBIDDEN, "error-csrf"))
    }
}

/// The visit of a post, refused when it comes from another site.
async fn same_origin_visit(parts: &mut Parts, state: &WebState) -> Result<Visit, Response> {
    let Ok(visit) = Visit::from_request_parts(parts, state).await;
    if !session::same_origin(&parts.headers) {
        return Err(visit.problem(StatusCode::FORBIDDEN, "error-cross-site"));
    }
    Ok(visit)
}

fn content_type_is(parts: &Parts, expected: &str) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(expected))
}

/// How much a form with files may bring, set on its route: a center's
/// directory as a CSV package is well under this.
pub const UPLOAD_LIMIT: usize = 8 * 1024 * 1024;

/// A form with files (`multipart/form-data`): its text fields, with the
/// same origin and token checks as [`Posted`], and each file's name and
/// bytes.
pub struct Uploaded {
    pub form: Posted,
    pub files: Vec<(String, Vec<u8>)>,
}

impl FromRequest<WebState> for Uploaded {
    type Rejection = Response;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let visit = same_origin_visit(&mut parts, state).await?;
        if !content_type_is(&parts, "multipart/form-data") {
            return Err(visit.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "error-bad-form"));
        }
        // The route's `DefaultBodyLimit` (see [`UPLOAD_LIMIT`]) bounds the parts.
        let request = Request::from_parts(parts, body);
        let bad = |visit: &Visit| visit.problem(StatusCode::BAD_REQUEST, "error-bad-form");
        let Ok(mut multipart) = axum::extract::Multipart::from_request(request, state).await else {
            return Err(bad(&visit));
        };
        let (mut fields, mut files) = (Vec::new(), Vec::new());
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(
                        visit.problem(StatusCode::PAYLOAD_TOO_LARGE, "error-upload-too-large")
                    );
                }
                Err(_) => return Err(bad(&visit)),
            };
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let Ok(bytes) = field.bytes().await else {
                return Err(visit.problem(StatusCode::PAYLOAD_TOO_LARGE, "error-upload-too-large"));
            };
            match file_name {
                // A file input left empty still sends a part without a name.
                Some(file_name) if !file_name.is_empty() => files.push((file_name, bytes.to_vec())),
                Some(_) => {}
                None => fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
            }
        }
        let form = Posted { visit, fields };
        match form.refused_without_form_token() {
            Some(refusal) => Err(refusal),
            None => Ok(Uploaded { form, files }),
        }
    }
}
