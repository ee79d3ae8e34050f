//! Δήμοι → one municipality (platform admin): its state, and what may be
//! done to it: suspend it with a reason, reactivate it, download all it
//! holds, and offboard it (its staff locked out at once, its data deleted
//! when the grace period ends), confirmed by typing its slug.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::format;
use crate::graphql;
use crate::i18n;
use crate::pages::municipalities::require_platform_admin;
use crate::view::{FormError, Layout, Posted, Staff, Visit, render, see_other};

#[derive(Template)]
#[template(path = "municipality.html")]
struct MunicipalityPage {
    layout: Layout,
    slug: String,
    name: String,
    region: String,
    /// The contract's status, e.g. `OFFBOARDING`.
    status: String,
    status_label: String,
    reason: String,
    deletion_due: String,
    deleted: String,
    typed_reason: String,
    typed_confirm: String,
    confirm_label: String,
}

/// The page, with what was typed into a refused form.
async fn page(
    visit: &Visit,
    mut layout: Layout,
    slug: &str,
    typed_reason: String,
    typed_confirm: String,
) -> Response {
    let data = match graphql::run::<graphql::Municipality>(
        &visit.state.schema,
        &visit.context,
        graphql::municipality::Variables {
            slug: slug.to_owned(),
        },
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    let Some(tenant) = data.tenant else {
        return visit.problem(StatusCode::NOT_FOUND, "error-not-found");
    };
    let status = i18n::wire(&tenant.status);
    layout.title = tenant.name_el.clone();
    let http_status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = MunicipalityPage {
        status_label: i18n::label(visit.lang, "tenant-status", &status),
        confirm_label: i18n::message(
            visit.lang,
            "municipality-confirm",
            &[("slug", &tenant.slug)],
        ),
        slug: tenant.slug,
        name: tenant.name_el,
        region: tenant.region.name_el,
        // An offboarding suspends too; its reason is the state shown above.
        reason: tenant
            .suspended_reason
            .filter(|_| status == "SUSPENDED")
            .unwrap_or_default(),
        deletion_due: tenant
            .deletion_due_at
            .filter(|_| tenant.data_deleted_at.is_none())
            .as_deref()
            .map(format::instant)
            .unwrap_or_default(),
        deleted: tenant
            .data_deleted_at
            .as_deref()
            .map(format::instant)
            .unwrap_or_default(),
        status,
        typed_reason,
        typed_confirm,
        layout,
    };
    (http_status, render(&page)).into_response()
}

pub async fn show(
    visit: Visit,
    staff: Staff,
    Path(slug): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = require_platform_admin(&visit, &staff) {
        return refused;
    }
    let mut layout = visit.layout(String::new(), Some(&staff));
    if let Some(done) = params.get("done") {
        let notice = match done.as_str() {
            "suspended" => "notice-municipality-suspended",
            "reactivated" => "notice-municipality-reactivated",
            "offboarded" => "notice-municipality-offboarded",
            _ => "",
        };
        if !notice.is_empty() {
            layout.notice = Some(visit.t(notice));
        }
    }
    page(&visit, layout, &slug, String::new(), String::new()).await
}

pub async fn suspend(Path(slug): Path<String>, staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    if let Some(refused) = require_platform_admin(visit, &staff) {
        return refused;
    }
    let reason = posted.get("suspensionReason");
    match graphql::run::<graphql::SuspendTenant>(
        &visit.state.schema,
        &visit.context,
        graphql::suspend_tenant::Variables {
            slug: slug.clone(),
            reason: reason.clone(),
        },
    )
    .await
    {
        Ok(_) => see_other(&format!("/municipalities/{slug}?done=suspended")),
        Err(e) if e.has("VALIDATION") || e.has("CONFLICT") => {
            let mut layout = visit.layout(String::new(), Some(&staff));
            // The contract names `reason` (or `slug`, for a conflict); on
            // this page both belong to the one field there is.
            let mut renamed = e.clone();
            for error in &mut renamed.0 {
                for problem in &mut error.fields {
                    problem.field = "suspensionReason".into();
                }
                error.field = Some("suspensionReason".into());
            }
            layout.errors = crate::problems::form_errors(visit.lang, &renamed);
            page(visit, layout, &slug, reason, String::new()).await
        }
        Err(e) => visit.failure(&e),
    }
}

pub async fn reactivate(Path(slug): Path<String>, staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    if let Some(refused) = require_platform_admin(visit, &staff) {
        return refused;
    }
    match graphql::run::<graphql::ReactivateTenant>(
        &visit.state.schema,
        &visit.context,
        graphql::reactivate_tenant::Variables { slug: slug.clone() },
    )
    .await
    {
        Ok(_) => see_other(&format!("/municipalities/{slug}?done=reactivated")),
        Err(e) => visit.failure(&e),
    }
}

pub async fn offboard(Path(slug): Path<String>, staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    if let Some(refused) = require_platform_admin(visit, &staff) {
        return refused;
    }
    let confirm = posted.get("confirm");
    if confirm.trim() != slug {
        let mut layout = visit.layout(String::new(), Some(&staff));
        layout.errors.push(FormError {
            field: "confirm".into(),
            text: i18n::message(visit.lang, "problem-offboard-confirm", &[("slug", &slug)]),
        });
        return page(visit, layout, &slug, String::new(), confirm).await;
    }
    match graphql::run::<graphql::OffboardTenant>(
        &visit.state.schema,
        &visit.context,
        graphql::offboard_tenant::Variables { slug: slug.clone() },
    )
    .await
    {
        Ok(_) => see_other(&format!("/municipalities/{slug}?done=offboarded")),
        Err(e) => visit.failure(&e),
    }
}

/// The offboarding export, as a file to keep.
pub async fn export(visit: Visit, staff: Staff, Path(slug): Path<String>) -> Response {
    if let Some(refused) = require_platform_admin(&visit, &staff) {
        return refused;
    }
    let file = match graphql::run::<graphql::TenantExport>(
        &visit.state.schema,
        &visit.context,
        graphql::tenant_export::Variables { slug },
    )
    .await
    {
        Ok(data) => data.tenant_export,
        Err(e) => return visit.failure(&e),
    };
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&file.content_base64) else {
        return visit.problem(StatusCode::INTERNAL_SERVER_ERROR, "error-internal");
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(kind) = HeaderValue::from_str(&file.content_type) {
        headers.insert(header::CONTENT_TYPE, kind);
    }
    if let Ok(disposition) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.filename))
    {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    response
}
