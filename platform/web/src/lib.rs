//! The staff workspace: HTML rendered on the server from typed GraphQL
//! documents run in-process against the contract (`graphql.rs`), in Greek
//! or English (`i18n.rs`), working without JavaScript; a little script
//! only adds live updates, the duplicate check as you type and the idle
//! warning (`assets/workspace.js`).
//!
//! The server authenticates the session cookie and hands each request its
//! `RequestContext` as an extension; this crate never touches the store.

mod assets;
mod format;
pub mod graphql;
mod i18n;
mod pages;
mod problems;
mod session;
mod view;

use axum::Router;
use axum::routing::{get, post};
use kentro_api::KentroSchema;

pub use session::{LANGUAGE_COOKIE, cookie, session_cookie, socket_session};
pub use view::CONTENT_SECURITY_POLICY;

/// What every page handler shares.
#[derive(Clone)]
pub struct WebState {
    pub schema: KentroSchema,
    /// Served over HTTPS: `__Host-` cookies with `Secure`.
    pub secure_cookies: bool,
    /// The session's idle timeout, for the warning two minutes before it.
    pub idle_timeout_seconds: u64,
}

/// The workspace's routes. The server wraps them with the session layer
/// that puts a `RequestContext` into each request.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(pages::home::show))
        .route("/login", get(pages::login::form).post(pages::login::submit))
        .route("/logout", post(pages::login::logout))
        .route(
            "/invitation/{token}",
            get(pages::invitation::show).post(pages::invitation::accept),
        )
        .route(
            "/password-reset",
            get(pages::password_reset::ask_form).post(pages::password_reset::ask),
        )
        .route(
            "/password-reset/{token}",
            get(pages::password_reset::choose_form).post(pages::password_reset::choose),
        )
        .route("/admin", get(|| async { view::see_other("/admin/users") }))
        .route("/admin/users", get(pages::admin::users))
        .route(
            "/admin/partners",
            get(pages::partners::show).post(pages::partners::issue),
        )
        .route("/admin/partners/{id}/revoke", post(pages::partners::revoke))
        .route(
            "/admin/directory",
            get(pages::admin_directory::show)
                .post(pages::admin_directory::upload)
                .layer(axum::extract::DefaultBodyLimit::max(view::UPLOAD_LIMIT)),
        )
        .route(
            "/admin/directory/service",
            get(pages::admin_service::new).post(pages::admin_service::save),
        )
        .route(
            "/admin/directory/service/{id}",
            get(pages::admin_service::edit),
        )
        .route("/admin/plugins", get(pages::admin_plugins::show))
        .route(
            "/admin/plugins/{plugin}/enable",
            post(pages::admin_plugins::enable),
        )
        .route(
            "/admin/plugins/{plugin}/disable",
            post(pages::admin_plugins::disable),
        )
        .route("/municipalities", get(pages::municipalities::list))
        .route(
            "/municipalities/new",
            get(pages::municipalities::new).post(pages::municipalities::create),
        )
        .route("/municipalities/{slug}", get(pages::municipality::show))
        .route(
            "/municipalities/{slug}/suspend",
            post(pages::municipality::suspend),
        )
        .route(
            "/municipalities/{slug}/reactivate",
            post(pages::municipality::reactivate),
        )
        .route(
            "/municipalities/{slug}/offboard",
            post(pages::municipality::offboard),
        )
        .route(
            "/municipalities/{slug}/export",
            get(pages::municipality::export),
        )
        .route("/oversight", get(pages::oversight::show))
        .route("/admin/statistics", get(pages::oversight::statistics))
        .route(
            "/admin/center",
            get(pages::center::show).post(pages::center::save),
        )
        .route("/oversight/export", get(pages::oversight::export))
        .route("/admin/audit", get(pages::audit::show))
        .route("/admin/audit.csv", get(pages::audit::csv))
        .route("/admin/users/invite", post(pages::admin::invite))
        .route("/admin/users/{id}/{action}", post(pages::admin::change))
        .route("/admin/invitations/{id}/revoke", post(pages::admin::revoke))
        .route("/account", get(pages::account::show))
        .route("/account/password", post(pages::account::change_password))
        .route("/account/language", post(pages::login::language))
        .route("/people", get(pages::people::search))
        .route(
            "/people/new",
            get(pages::people::new_form).post(pages::people::register),
        )
        .route(
            "/people/duplicates",
            get(pages::people::duplicates_fragment),
        )
        .route("/people/{id}", get(pages::people::card))
        .route(
            "/people/{id}/consents",
            post(pages::casework::record_consent),
        )
        .route(
            "/people/{id}/edit",
            get(pages::people::edit_form).post(pages::people::update),
        )
        .route(
            "/people/{id}/merge",
            get(pages::people::merge_form).post(pages::people::merge),
        )
        .route("/people/{id}/cases/new", post(pages::casework::open_case))
        .route(
            "/people/{id}/household/search",
            get(pages::casework::household_search),
        )
        .route(
            "/people/{id}/household/change",
            post(pages::casework::household_change),
        )
        .route(
            "/people/{id}/appointments/{appointment}/slip",
            get(pages::printing::appointment_slip),
        )
        .route(
            "/people/{id}/appointments/{appointment}/{action}",
            post(pages::appointments::change),
        )
        .route(
            "/people/{id}/consent-form",
            get(pages::printing::consent_form),
        )
        .route(
            "/referrals/{id}/letter",
            get(pages::printing::referral_letter),
        )
        .route(
            "/people/{id}/suggestions/{suggestion}/dismiss",
            post(pages::casework::dismiss_suggestion),
        )
        .route("/people/{id}/{tab}", get(pages::casework::person_tab))
        .route("/people/{id}/kea/new", post(pages::kea::start))
        .route("/kea/{id}", get(pages::kea::show))
        .route("/kea/{id}/{what}", post(pages::kea::change))
        .route("/cases/{id}", get(pages::casework::show_case))
        .route("/cases/{id}/{what}", post(pages::casework::change_case))
        .route(
            "/appointments/new",
            get(pages::appointments::new_form).post(pages::appointments::book),
        )
        .route("/calendar", get(pages::appointments::calendar))
        .route("/directory", get(pages::directory::list))
        .route("/directory/service", get(pages::directory::service))
        .route("/plugins", get(pages::plugins::list))
        .route("/plugins/{plugin}/{operation}", post(pages::plugins::run))
        .route(
            "/referrals/new",
            get(pages::referrals::new).post(pages::referrals::create),
        )
        .route("/referrals/{id}", get(pages::referrals::show))
        .route("/referrals/{id}/send", post(pages::referrals::send))
        .route("/assets/{name}", get(assets::serve))
        .with_state(state)
}
