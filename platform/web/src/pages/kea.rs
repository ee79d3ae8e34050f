//! Αίτηση ΕΕΕ (ΚΕΑ): the household's document checklist, documents
//! recorded as received, status moves with the ministry's reference, and a
//! print-ready checklist for the beneficiary.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::format;
use crate::graphql::{self, ApiErrors};
use crate::i18n;
use crate::problems;
use crate::view::{FormError, Layout, Posted, Staff, Visit, render, see_other};

struct Item {
    key: String,
    document: String,
    name: String,
    whose: String,
    person_id: String,
    status: String,
    status_code: String,
    received: String,
}

#[derive(Template)]
#[template(path = "kea.html")]
struct KeaView {
    layout: Layout,
    id: String,
    status: String,
    status_code: String,
    reference_date: String,
    external_reference: String,
    members: Vec<String>,
    head_href: String,
    items: Vec<Item>,
    missing: usize,
    moves: Vec<(String, String)>,
    today: String,
}

fn moves(status: &str) -> &'static [&'static str] {
    match status {
        "PREPARING" => &["SUBMITTED"],
        "SUBMITTED" => &["NEEDS_DOCUMENTS", "APPROVED", "REJECTED"],
        "NEEDS_DOCUMENTS" => &["SUBMITTED"],
        _ => &[],
    }
}

async fn kea_view(visit: &Visit, staff: &Staff, id: &str, mut layout: Layout) -> Response {
    let lang = visit.lang;
    let t = |id: &str| i18n::message(lang, id, &[]);
    let app = match graphql::run::<graphql::KeaPage>(
        &visit.state.schema,
        &visit.context,
        graphql::kea_page::Variables { id: id.to_owned() },
    )
    .await
    {
        Ok(d) => d.kea_application,
        Err(e) => return visit.failure(&e),
    };
    let status = i18n::wire(&app.status);
    let items: Vec<Item> = app
        .checklist
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let code = i18n::wire(&c.status);
            Item {
                key: format!("doc-{}", i + 1),
                document: i18n::wire(&c.document),
                name: c.name_el,
                whose: c
                    .person
                    .as_ref()
                    .map(|p| p.display_name.clone())
                    .unwrap_or_else(|| t("kea-whole-household")),
                person_id: c.person.map(|p| p.id).unwrap_or_default(),
                status: i18n::label(lang, "document-status", &code),
                status_code: match code.as_str() {
                    "RECEIVED" => "kept".into(),
                    "EXPIRED" => "missed".into(),
                    _ => "open".into(),
                },
                received: c
                    .received_on
                    .as_deref()
                    .map(format::date)
                    .unwrap_or_default(),
            }
        })
        .collect();
    let head_href = app
        .household
        .members
        .first()
        .map(|m| format!("/people/{}/household", m.person.id))
        .unwrap_or_default();
    layout.title = t("kea-application");
    let page = KeaView {
        id: app.id,
        status: i18n::label(lang, "kea-status", &status),
        status_code: status.to_lowercase(),
        reference_date: format::date(&app.reference_date),
        external_reference: app.external_reference.unwrap_or_default(),
        members: app
            .household
            .members
            .into_iter()
            .map(|m| {
                format!(
                    "{} ({})",
                    m.person.display_name,
                    i18n::label(lang, "relationship", &i18n::wire(&m.relationship))
                )
            })
            .collect(),
        head_href,
        missing: items.iter().filter(|i| i.status_code != "kept").count(),
        items,
        moves: moves(&status)
            .iter()
            .map(|m| ((*m).to_owned(), i18n::label(lang, "kea-move", m)))
            .collect(),
        today: format::today().format("%d/%m/%Y").to_string(),
        layout,
    };
    let _ = staff;
    let status = if page.layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, render(&page)).into_response()
}

pub async fn show(
    visit: Visit,
    staff: Staff,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut layout = visit.layout(String::new(), Some(&staff));
    layout.notice = params
        .get("done")
        .map(|d| visit.t(&format!("notice-kea-{d}")));
    kea_view(&visit, &staff, &id, layout).await
}

/// Starts an application for the household of the person whose card it is.
pub async fn start(Path(person): Path<String>, posted: Posted) -> Response {
    let visit = &posted.visit;
    let input = json!({
        "householdId": posted.get("household"),
        "rentsHome": posted.get("rentsHome") == "yes",
        "divorcedOrSeparated": posted.get("divorcedOrSeparated") == "yes",
    });
    let Ok(input) = serde_json::from_value(input) else {
        return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form");
    };
    match graphql::run::<graphql::StartKea>(
        &visit.state.schema,
        &visit.context,
        graphql::start_kea::Variables { input },
    )
    .await
    {
        Ok(data) => see_other(&format!(
            "/kea/{}?done=started",
            data.start_kea_application.id
        )),
        Err(e) if e.has("VALIDATION") || e.has("CONFLICT") => {
            see_other(&format!("/people/{person}/household"))
        }
        Err(e) => visit.failure(&e),
    }
}

/// A document received, or a status move.
pub async fn change(
    Path((id, what)): Path<(String, String)>,
    staff: Staff,
    posted: Posted,
) -> Response {
    let visit = &posted.visit;
    let schema = &visit.state.schema;
    let ctx = &visit.context;
    let outcome: Result<&str, ApiErrors> = match what.as_str() {
        "documents" => {
            let input = json!({
                "applicationId": id,
                "document": posted.get("document"),
                "personId": posted.optional("person"),
                "receivedOn": format::typed_date(&posted.optional("receivedOn").unwrap_or_else(|| format::today().format("%d/%m/%Y").to_string())),
                "expiresOn": posted.optional("expiresOn").map(|d| format::typed_date(&d)),
            });
            match serde_json::from_value(input) {
                Ok(input) => graphql::run::<graphql::RecordKeaDocument>(
                    schema,
                    ctx,
                    graphql::record_kea_document::Variables { input },
                )
                .await
                .map(|_| "document"),
                Err(_) => return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form"),
            }
        }
        "status" => match serde_json::from_value(json!(posted.get("to"))) {
            Ok(to) => graphql::run::<graphql::TransitionKea>(
                schema,
                ctx,
                graphql::transition_kea::Variables {
                    id: id.clone(),
                    to,
                    reference: posted.optional("externalReference"),
                },
            )
            .await
            .map(|_| "moved"),
            Err(_) => return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form"),
        },
        _ => return visit.problem(StatusCode::NOT_FOUND, "error-not-found"),
    };
    match outcome {
        Ok(done) => see_other(&format!("/kea/{id}?done={done}")),
        Err(e) if e.has("VALIDATION") || e.has("INVALID_TRANSITION") => {
            let mut layout = visit.layout(String::new(), Some(&staff));
            layout.errors = problems::form_errors(visit.lang, &e);
            if e.has("INVALID_TRANSITION")
                || layout.errors.iter().any(|e| e.field == "externalReference")
            {
                layout.errors = vec![FormError {
                    field: "externalReference".into(),
                    text: visit.t("problem-kea-reference"),
                }];
            }
            kea_view(visit, &staff, &id, layout).await
        }
        Err(e) => visit.failure(&e),
    }
}
