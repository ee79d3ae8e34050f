//! Κατάλογος υπηρεσιών: the center's own directory, the national catalog
//! or another municipality's; search and taxonomy filter; a service page
//! with the HSDS details people need.

use std::collections::HashMap;

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::graphql;
use crate::i18n;
use crate::pages::people::{Choice, ChoiceField};
use crate::view::{Layout, Staff, Visit, render};

struct ServiceRow {
    href: String,
    name: String,
    organization: String,
    description: String,
    terms: String,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryView {
    layout: Layout,
    scopes: ChoiceField,
    tenant: String,
    query: String,
    term: String,
    services: Vec<ServiceRow>,
}

fn scope_of(params: &HashMap<String, String>) -> (String, Option<String>) {
    let scope = params
        .get("scope")
        .filter(|s| ["OWN", "NATIONAL", "TENANT"].contains(&s.as_str()))
        .cloned()
        .unwrap_or_else(|| "OWN".into());
    let tenant = params
        .get("tenant")
        .filter(|t| !t.is_empty() && scope == "TENANT")
        .cloned();
    (scope, tenant)
}

pub async fn list(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let lang = visit.lang;
    let (scope, tenant) = scope_of(&params);
    let query = params.get("q").cloned().unwrap_or_default();
    let term = params.get("term").cloned().unwrap_or_default();
    let Ok(scope_value) = serde_json::from_value(json!(scope)) else {
        return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form");
    };
    let services = match graphql::run::<graphql::DirectoryPage>(
        &visit.state.schema,
        &visit.context,
        graphql::directory_page::Variables {
            scope: scope_value,
            tenant: tenant.clone(),
            search: Some(query.clone()).filter(|q| !q.is_empty()),
            term: Some(term.clone()).filter(|t| !t.is_empty()),
        },
    )
    .await
    {
        Ok(d) => d.directory_services,
        Err(e) if e.has("VALIDATION") || e.has("NOT_FOUND") => Vec::new(),
        Err(e) => return visit.failure(&e),
    };
    let tenant_query = tenant
        .as_deref()
        .map(|t| format!("&tenant={t}"))
        .unwrap_or_default();
    let page = DirectoryView {
        layout: visit.layout(i18n::message(lang, "nav-directory", &[]), Some(&staff)),
        scopes: ChoiceField {
            name: "scope",
            label: i18n::message(lang, "field-scope", &[]),
            choices: ["OWN", "NATIONAL", "TENANT"]
                .iter()
                .map(|s| Choice {
                    value: (*s).to_owned(),
                    label: i18n::label(lang, "scope", s),
                    selected: *s == scope,
                })
                .collect(),
            error: None,
        },
        services: services
            .into_iter()
            .map(|s| ServiceRow {
                href: format!("/directory/service?scope={scope}{tenant_query}&id={}", s.id),
                name: s.name,
                organization: s.organization_name.unwrap_or_default(),
                description: s.description.unwrap_or_default(),
                terms: s.taxonomy_terms.join(", "),
            })
            .collect(),
        tenant: tenant.unwrap_or_default(),
        query,
        term,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "directory_service.html")]
struct ServiceView {
    layout: Layout,
    name: String,
    organization: String,
    description: String,
    details: Vec<(String, String)>,
}

/// The texts of a list of HSDS objects' field, joined.
fn texts(value: &Value, list: &str, field: &str) -> String {
    value[list]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i[field].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

pub async fn service(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let lang = visit.lang;
    let t = |id: &str| i18n::message(lang, id, &[]);
    let (scope, tenant) = scope_of(&params);
    let Ok(scope_value) = serde_json::from_value(json!(scope)) else {
        return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form");
    };
    let found = match graphql::run::<graphql::DirectoryServicePage>(
        &visit.state.schema,
        &visit.context,
        graphql::directory_service_page::Variables {
            scope: scope_value,
            tenant,
            id: params.get("id").cloned().unwrap_or_default(),
        },
    )
    .await
    {
        Ok(d) => d.directory_service,
        Err(e) => return visit.failure(&e),
    };
    let Some(s) = found else {
        return visit.problem(StatusCode::NOT_FOUND, "error-not-found");
    };
    let hsds = &s.hsds;
    let addresses: Vec<String> = hsds["service_at_locations"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|sal| {
            sal["location"]["addresses"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|a| {
            [
                a["address_1"].as_str(),
                a["city"].as_str(),
                a["postal_code"].as_str(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
        })
        .filter(|a| !a.is_empty())
        .collect();
    let schedules: Vec<String> = hsds["schedules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            s["description"].as_str().map(str::to_owned).or_else(|| {
                let days = s["byday"].as_str()?;
                Some(format!(
                    "{days} {}–{}",
                    s["opens_at"].as_str().unwrap_or(""),
                    s["closes_at"].as_str().unwrap_or("")
                ))
            })
        })
        .collect();
    let ages = match (s.minimum_age, s.maximum_age) {
        (Some(min), Some(max)) => format!("{min}–{max}"),
        (Some(min), None) => format!("{min}+"),
        (None, Some(max)) => format!("≤ {max}"),
        (None, None) => String::new(),
    };
    let details: Vec<(String, String)> = [
        (
            t("service-address"),
            if addresses.is_empty() {
                t("service-no-address")
            } else {
                addresses.join(" · ")
            },
        ),
        (
            t("service-hours"),
            if schedules.is_empty() {
                t("service-ask")
            } else {
                schedules.join(" · ")
            },
        ),
        (t("service-languages"), texts(hsds, "languages", "name")),
        (
            t("service-documents"),
            texts(hsds, "required_documents", "document"),
        ),
        (
            t("service-how-to-apply"),
            s.application_process.clone().unwrap_or_default(),
        ),
        (
            t("service-eligibility"),
            s.eligibility_description.clone().unwrap_or_default(),
        ),
        (t("service-ages"), ages),
        (
            t("service-fees"),
            s.fees_description.clone().unwrap_or_default(),
        ),
        (
            t("service-capacity"),
            s.capacity
                .as_ref()
                .map(|c| {
                    format!(
                        "{} {} ({})",
                        c.available,
                        c.unit,
                        crate::format::date(c.updated.get(..10).unwrap_or_default())
                    )
                })
                .unwrap_or_default(),
        ),
        (t("field-email"), s.email.clone().unwrap_or_default()),
        (t("service-terms"), s.taxonomy_terms.join(", ")),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let page = ServiceView {
        layout: visit.layout(s.name.clone(), Some(&staff)),
        name: s.name,
        organization: s.organization_name.unwrap_or_default(),
        description: s.description.unwrap_or_default(),
        details,
    };
    render(&page)
}
