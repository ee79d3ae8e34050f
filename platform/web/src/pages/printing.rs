//! Print-ready pages in Greek: the appointment slip, the referral letter
//! (παραπεμπτικό) and the consent form for each purpose. The ΚΕΑ checklist
//! prints from its own page. Each is an ordinary page; the print
//! stylesheet leaves out everything but the document.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;

use crate::format;
use crate::graphql;
use crate::i18n;
use crate::view::{Layout, Staff, Visit, render};

/// The center as the document's letterhead names it.
struct Letterhead {
    municipality: String,
    center: String,
    address: String,
    phone: String,
}

async fn letterhead(visit: &Visit) -> Letterhead {
    let tenant = graphql::run::<graphql::PrintContext>(
        &visit.state.schema,
        &visit.context,
        graphql::print_context::Variables {},
    )
    .await
    .ok()
    .and_then(|d| d.my_tenant);
    let Some(tenant) = tenant else {
        return Letterhead {
            municipality: String::new(),
            center: String::new(),
            address: String::new(),
            phone: String::new(),
        };
    };
    let main = tenant.centers.into_iter().next();
    Letterhead {
        municipality: tenant.name_el,
        center: main.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        address: main
            .as_ref()
            .and_then(|c| c.address.as_ref())
            .map(|a| {
                [
                    a.street.as_deref(),
                    a.postal_code.as_deref(),
                    a.locality.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
            })
            .unwrap_or_default(),
        phone: main
            .and_then(|c| c.phones.into_iter().next())
            .map(|p| p.number)
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "print_document.html")]
struct PrintDocument {
    layout: Layout,
    head: Letterhead,
    title: String,
    lines: Vec<(String, String)>,
    paragraphs: Vec<String>,
    signatures: Vec<String>,
    date: String,
}

pub async fn appointment_slip(
    visit: Visit,
    staff: Staff,
    Path((person, appointment)): Path<(String, String)>,
) -> Response {
    let lang = visit.lang;
    let t = |id: &str| i18n::message(lang, id, &[]);
    let data = match graphql::run::<graphql::PersonAppointments>(
        &visit.state.schema,
        &visit.context,
        graphql::person_appointments::Variables { id: person },
    )
    .await
    {
        Ok(d) => d.person,
        Err(e) => return visit.failure(&e),
    };
    let Some(a) = data.appointments.into_iter().find(|a| a.id == appointment) else {
        return visit.problem(StatusCode::NOT_FOUND, "error-not-found");
    };
    let head = letterhead(&visit).await;
    let page = PrintDocument {
        layout: visit.layout(t("print-slip"), Some(&staff)),
        title: t("print-slip"),
        lines: vec![
            (t("col-person"), data.display_name),
            (
                t("col-date"),
                format::date(a.starts_at.get(..10).unwrap_or_default()),
            ),
            (
                t("col-time"),
                format!(
                    "{}–{}",
                    format::clock(&a.starts_at),
                    format::clock(&a.ends_at)
                ),
            ),
            (
                t("col-kind"),
                i18n::label(lang, "appointment-kind", &i18n::wire(&a.kind)),
            ),
            (t("col-staff"), a.staff.map(|s| s.name).unwrap_or_default()),
            (t("col-room"), a.room.unwrap_or_default()),
            (t("service-address"), head.address.clone()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect(),
        paragraphs: vec![t("print-slip-note")],
        signatures: Vec::new(),
        date: format::today().format("%d/%m/%Y").to_string(),
        head,
    };
    render(&page)
}

pub async fn referral_letter(visit: Visit, staff: Staff, Path(id): Path<String>) -> Response {
    let lang = visit.lang;
    let t = |id: &str| i18n::message(lang, id, &[]);
    let r = match graphql::run::<graphql::ReferralPage>(
        &visit.state.schema,
        &visit.context,
        graphql::referral_page::Variables { id },
    )
    .await
    {
        Ok(d) => d.referral,
        Err(e) => return visit.failure(&e),
    };
    let shared = r
        .envelope
        .as_ref()
        .or(r.envelope_preview.as_ref())
        .and_then(|e| e.as_object().cloned())
        .unwrap_or_default();
    let mut lines = vec![
        (
            t("print-to"),
            [
                Some(r.service.name.clone()),
                r.service.organization_name.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        ),
        (
            t("field-urgency"),
            i18n::label(lang, "urgency", &i18n::wire(&r.urgency)),
        ),
        (t("field-reason"), r.reason.clone()),
    ];
    for (key, value) in shared {
        lines.push((
            i18n::message(
                lang,
                &format!("envelope-key-{}", key.replace('_', "-")),
                &[],
            ),
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned),
        ));
    }
    let head = letterhead(&visit).await;
    let page = PrintDocument {
        layout: visit.layout(t("print-letter"), Some(&staff)),
        title: t("print-letter"),
        lines,
        paragraphs: vec![t("print-letter-note")],
        signatures: vec![staff.name.clone()],
        date: format::today().format("%d/%m/%Y").to_string(),
        head,
    };
    render(&page)
}

pub async fn consent_form(
    visit: Visit,
    staff: Staff,
    Path(person): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let lang = visit.lang;
    let t = |id: &str| i18n::message(lang, id, &[]);
    let purpose = params
        .get("purpose")
        .cloned()
        .unwrap_or_else(|| "RECORD_KEEPING".into());
    if ![
        "RECORD_KEEPING",
        "REFERRAL_SHARING",
        "CONTACT",
        "STATISTICS",
    ]
    .contains(&purpose.as_str())
    {
        return visit.problem(StatusCode::NOT_FOUND, "error-not-found");
    }
    let data = match graphql::run::<graphql::PersonCard>(
        &visit.state.schema,
        &visit.context,
        graphql::person_card::Variables { id: person },
    )
    .await
    {
        Ok(d) => d.person,
        Err(e) => return visit.failure(&e),
    };
    let head = letterhead(&visit).await;
    let purpose_key = purpose.to_lowercase().replace('_', "-");
    let page = PrintDocument {
        layout: visit.layout(t("print-consent"), Some(&staff)),
        title: format!(
            "{}: {}",
            t("print-consent"),
            i18n::label(lang, "consent-purpose", &purpose)
        ),
        lines: vec![
            (t("col-name"), data.display_name.clone()),
            (
                t("field-birthDate"),
                data.birth_date
                    .as_deref()
                    .map(format::date)
                    .unwrap_or_default(),
            ),
            (t("field-amka"), data.amka.unwrap_or_default()),
        ],
        paragraphs: vec![
            i18n::message(
                lang,
                "print-consent-text",
                &[("name", &data.display_name), ("center", &head.center)],
            ),
            t(&format!("print-consent-purpose-{purpose_key}")),
            t("print-consent-rights"),
        ],
        signatures: vec![t("print-signature-person"), t("print-signature-staff")],
        date: format::today().format("%d/%m/%Y").to_string(),
        head,
    };
    render(&page)
}
