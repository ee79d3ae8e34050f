//! Διαχείριση → Συνεργάτες: the partner organizations' API keys (issue
//! with a label, see once, revoke) and how many referrals each received and
//! answered.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::format;
use crate::graphql;
use crate::pages::people::{Choice, ChoiceField};
use crate::view::{FormError, Layout, Posted, Staff, Visit, render, see_other};

struct KeyRow {
    id: String,
    label: String,
    organization: String,
    created: String,
    revoked: Option<String>,
    received: i64,
    answered: i64,
}

#[derive(Template)]
#[template(path = "admin_partners.html")]
struct PartnersPage {
    layout: Layout,
    keys: Vec<KeyRow>,
    organization: ChoiceField,
    typed_label: String,
    /// A key just issued: its secret, shown this once.
    issued: Option<(String, String)>,
}

async fn page(
    visit: &Visit,
    mut layout: Layout,
    chosen: &str,
    label: String,
    issued: Option<(String, String)>,
) -> Response {
    let data = match graphql::run::<graphql::AdminPartners>(
        &visit.state.schema,
        &visit.context,
        graphql::admin_partners::Variables {},
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    // The organizations of the center's own directory, each once, by name.
    let organizations = crate::pages::organizations_of(
        data.directory_services
            .into_iter()
            .map(|s| (s.organization_id, s.organization_name)),
    );
    let name_of: HashMap<&str, &str> = organizations
        .iter()
        .map(|(id, name)| (id.as_str(), name.as_str()))
        .collect();
    let keys = data
        .partner_keys
        .into_iter()
        .map(|k| KeyRow {
            organization: name_of
                .get(k.organization_id.as_str())
                .map_or_else(|| k.organization_id.clone(), |n| (*n).to_owned()),
            id: k.id,
            label: k.label,
            created: format::instant(&k.created_at),
            revoked: k.revoked_at.as_deref().map(format::instant),
            received: k.referrals_received.unwrap_or(0),
            answered: k.referrals_answered.unwrap_or(0),
        })
        .collect();
    layout.title = visit.t("partners-title");
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let error = layout.error_for("organization").map(str::to_owned);
    let page = PartnersPage {
        organization: ChoiceField {
            name: "organization",
            label: visit.t("partners-organization"),
            choices: organizations
                .into_iter()
                .map(|(id, name)| Choice {
                    selected: id == chosen,
                    value: id,
                    label: name,
                })
                .collect(),
            error,
        },
        typed_label: label,
        issued,
        keys,
        layout,
    };
    (status, render(&page)).into_response()
}

pub async fn show(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut layout = visit.layout(String::new(), Some(&staff));
    if params.get("done").is_some_and(|d| d == "revoked") {
        layout.notice = Some(visit.t("notice-key-revoked"));
    }
    page(&visit, layout, "", String::new(), None).await
}

pub async fn issue(staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    let (organization, label) = (posted.get("organization"), posted.get("label"));
    let mut layout = visit.layout(String::new(), Some(&staff));
    if organization.is_empty() {
        layout.errors.push(FormError {
            field: "organization".into(),
            text: visit.t("problem-partner-organization"),
        });
    }
    if label.is_empty() {
        layout.errors.push(FormError {
            field: "label".into(),
            text: visit.t("problem-partner-label"),
        });
    }
    if !layout.errors.is_empty() {
        return page(visit, layout, &organization, label, None).await;
    }
    match graphql::run::<graphql::CreatePartnerKey>(
        &visit.state.schema,
        &visit.context,
        graphql::create_partner_key::Variables {
            organization_id: organization.clone(),
            label: label.clone(),
        },
    )
    .await
    {
        Ok(data) => {
            let issued = data.create_partner_key;
            layout.notice = Some(visit.t("notice-key-issued"));
            page(
                visit,
                layout,
                "",
                String::new(),
                Some((issued.key.label, issued.secret)),
            )
            .await
        }
        Err(e) if e.has("VALIDATION") => {
            layout.errors = crate::problems::form_errors(visit.lang, &e)
                .into_iter()
                .map(|mut error| {
                    if error.field == "organizationId" {
                        error.field = "organization".into();
                    }
                    error
                })
                .collect();
            page(visit, layout, &organization, label, None).await
        }
        Err(e) => visit.failure(&e),
    }
}

pub async fn revoke(Path(id): Path<String>, _staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    match graphql::run::<graphql::RevokePartnerKey>(
        &visit.state.schema,
        &visit.context,
        graphql::revoke_partner_key::Variables { id },
    )
    .await
    {
        Ok(_) => see_other("/admin/partners?done=revoked"),
        Err(e) => visit.failure(&e),
    }
}
