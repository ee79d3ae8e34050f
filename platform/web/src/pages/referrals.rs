//! Νέα παραπομπή: the wizard (service, then level, urgency, reason and the
//! fields to share, then the preview of what the partner gets and the
//! consent gate, then sending), and the referral's page, whose status
//! updates live when scripts run.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::format;
use crate::graphql::{self, ReferralForm, ReferralPage, ReferralServices};
use crate::i18n::{self, Lang};
use crate::pages::people::{Choice, ChoiceField};
use crate::problems;
use crate::view::{FormError, Layout, Posted, Staff, Visit, render, see_other};

const SCOPES: [&str; 2] = ["OWN", "NATIONAL"];
const LEVELS: [&str; 3] = ["LOCAL", "REGIONAL", "NATIONAL"];
const URGENCIES: [&str; 4] = ["ROUTINE", "PRIORITY", "URGENT", "EMERGENCY"];
const FIELDS: [&str; 10] = [
    "NAME",
    "BIRTH_DATE",
    "PHONE",
    "EMAIL",
    "ADDRESS",
    "AMKA",
    "AFM",
    "HOUSEHOLD_COMPOSITION",
    "REQUEST_SUMMARY",
    "SPECIAL_CATEGORIES",
];
const DEFAULT_FIELDS: [&str; 3] = ["NAME", "PHONE", "REQUEST_SUMMARY"];

struct ServiceRow {
    href: String,
    name: String,
    organization: String,
    description: String,
    terms: String,
}

#[derive(Template)]
#[template(path = "referral_services.html")]
struct ServicesPage {
    layout: Layout,
    case_id: String,
    person: String,
    person_id: String,
    scopes: ChoiceField,
    query: String,
    services: Vec<ServiceRow>,
}

#[derive(Template)]
#[template(path = "referral_form.html")]
struct FormPage {
    layout: Layout,
    case_id: String,
    person: String,
    person_id: String,
    scope: String,
    service_id: String,
    service: String,
    organization: String,
    levels: ChoiceField,
    urgencies: ChoiceField,
    fields: Vec<Choice>,
    reason: String,
    needs_consent: bool,
    back: String,
}

fn choices(lang: Lang, kind: &str, options: &[&str], chosen: &str, default: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|o| Choice {
            value: (*o).to_owned(),
            label: i18n::label(lang, kind, o),
            selected: if chosen.is_empty() {
                *o == default
            } else {
                *o == chosen
            },
        })
        .collect()
}

pub async fn new(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let case = params.get("case").cloned().unwrap_or_default();
    let scope = params
        .get("scope")
        .filter(|s| SCOPES.contains(&s.as_str()))
        .cloned()
        .unwrap_or_else(|| "NATIONAL".into());
    match params.get("service") {
        None => {
            services_step(
                &visit,
                &staff,
                &case,
                &scope,
                params.get("q").cloned().unwrap_or_default(),
            )
            .await
        }
        Some(service) => {
            let layout = visit.layout(String::new(), Some(&staff));
            form_step(&visit, &staff, &case, &scope, service, layout, &[], false).await
        }
    }
}

async fn services_step(
    visit: &Visit,
    staff: &Staff,
    case: &str,
    scope: &str,
    query: String,
) -> Response {
    let lang = visit.lang;
    let Ok(scope_value) = serde_json::from_value(json!(scope)) else {
        return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form");
    };
    let data = match graphql::run::<ReferralServices>(
        &visit.state.schema,
        &visit.context,
        graphql::referral_services::Variables {
            case: case.to_owned(),
            scope: scope_value,
            search: Some(query.clone()).filter(|q| !q.is_empty()),
        },
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    let services = data
        .directory_services
        .into_iter()
        .map(|s| ServiceRow {
            href: format!("/referrals/new?case={case}&scope={scope}&service={}", s.id),
            name: s.name,
            organization: s.organization_name.unwrap_or_default(),
            description: s.description.unwrap_or_default(),
            terms: s.taxonomy_terms.join(", "),
        })
        .collect();
    let page = ServicesPage {
        layout: visit.layout(i18n::message(lang, "referral-new", &[]), Some(staff)),
        case_id: case.to_owned(),
        person: data.case.person.display_name,
        person_id: data.case.person.id,
        scopes: ChoiceField {
            name: "scope",
            label: i18n::message(lang, "field-scope", &[]),
            choices: choices(lang, "scope", &SCOPES, scope, "NATIONAL"),
            error: None,
        },
        query,
        services,
    };
    render(&page)
}

#[allow(clippy::too_many_arguments)]
async fn form_step(
    visit: &Visit,
    staff: &Staff,
    case: &str,
    scope: &str,
    service: &str,
    mut layout: Layout,
    posted: &[(String, String)],
    needs_consent: bool,
) -> Response {
    let lang = visit.lang;
    let Ok(scope_value) = serde_json::from_value(json!(scope)) else {
        return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form");
    };
    let data = match graphql::run::<ReferralForm>(
        &visit.state.schema,
        &visit.context,
        graphql::referral_form::Variables {
            case: case.to_owned(),
            scope: scope_value,
            service: service.to_owned(),
        },
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    let Some(found) = data.directory_service else {
        return visit.problem(StatusCode::NOT_FOUND, "error-not-found");
    };
    let value = |name: &str| {
        posted
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let chosen_fields: Vec<String> = posted
        .iter()
        .filter(|(k, _)| k == "envelopeFields")
        .map(|(_, v)| v.clone())
        .collect();
    layout.title = i18n::message(lang, "referral-new", &[]);
    let fields = FIELDS
        .iter()
        .filter(|f| **f != "SPECIAL_CATEGORIES" || staff.may("VIEW_SPECIAL_CATEGORIES"))
        .map(|f| Choice {
            value: (*f).to_owned(),
            label: i18n::label(lang, "envelope", f),
            selected: if posted.is_empty() {
                DEFAULT_FIELDS.contains(f)
            } else {
                chosen_fields.iter().any(|c| c == f)
            },
        })
        .collect();
    let status = if layout.errors.is_empty() && !needs_consent {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        levels: ChoiceField {
            name: "level",
            label: i18n::message(lang, "field-level", &[]),
            choices: choices(lang, "level", &LEVELS, &value("level"), "LOCAL"),
            error: layout.error_for("level").map(str::to_owned),
        },
        urgencies: ChoiceField {
            name: "urgency",
            label: i18n::message(lang, "field-urgency", &[]),
            choices: choices(lang, "urgency", &URGENCIES, &value("urgency"), "ROUTINE"),
            error: layout.error_for("urgency").map(str::to_owned),
        },
        back: format!("/referrals/new?case={case}&scope={scope}&service={service}"),
        layout,
        case_id: case.to_owned(),
        person: data.case.person.display_name,
        person_id: data.case.person.id,
        scope: scope.to_owned(),
        service_id: found.id,
        service: found.name,
        organization: found.organization_name.unwrap_or_default(),
        fields,
        reason: value("reason"),
        needs_consent,
    };
    (status, render(&page)).into_response()
}

/// Creates the draft; the consent gate answers here when the person has
/// not agreed to share data with a referral partner.
pub async fn create(staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    let (case, scope, service) = (
        posted.get("case"),
        posted.get("scope"),
        posted.get("service"),
    );
    let fields: Vec<String> = posted
        .fields
        .iter()
        .filter(|(k, _)| k == "envelopeFields")
        .map(|(_, v)| v.clone())
        .collect();
    let mut layout = visit.layout(String::new(), Some(&staff));
    if fields.is_empty() {
        layout.errors.push(FormError {
            field: "envelopeFields".into(),
            text: visit.t("problem-envelope"),
        });
        return form_step(
            visit,
            &staff,
            &case,
            &scope,
            &service,
            layout,
            &posted.fields,
            false,
        )
        .await;
    }
    let input = json!({
        "caseId": case,
        "scope": scope,
        "serviceId": service,
        "level": posted.get("level"),
        "urgency": posted.get("urgency"),
        "reason": posted.get("reason"),
        "envelopeFields": fields,
    });
    let Ok(input) = serde_json::from_value(input) else {
        return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form");
    };
    match graphql::run::<graphql::CreateReferral>(
        &visit.state.schema,
        &visit.context,
        graphql::create_referral::Variables { input },
    )
    .await
    {
        Ok(data) => see_other(&format!("/referrals/{}", data.create_referral.id)),
        Err(e) if e.has("CONSENT_REQUIRED") => {
            form_step(
                visit,
                &staff,
                &case,
                &scope,
                &service,
                layout,
                &posted.fields,
                true,
            )
            .await
        }
        Err(e) if e.has("VALIDATION") => {
            layout.errors = problems::form_errors(visit.lang, &e);
            form_step(
                visit,
                &staff,
                &case,
                &scope,
                &service,
                layout,
                &posted.fields,
                false,
            )
            .await
        }
        Err(e) => visit.failure(&e),
    }
}

struct Shared {
    label: String,
    value: String,
}

#[derive(Template)]
#[template(path = "referral.html")]
struct ReferralView {
    layout: Layout,
    id: String,
    person: String,
    person_id: String,
    case_id: String,
    status: String,
    status_code: String,
    draft: bool,
    details: Vec<(String, String)>,
    shared: Vec<Shared>,
    partner_link: Option<String>,
    notified: Option<bool>,
}

/// The envelope as the partner reads it, label by label.
fn shared_rows(lang: Lang, envelope: &Value) -> Vec<Shared> {
    let Some(map) = envelope.as_object() else {
        return Vec::new();
    };
    map.iter()
        .map(|(key, value)| Shared {
            label: i18n::message(
                lang,
                &format!("envelope-key-{}", key.replace('_', "-")),
                &[],
            ),
            value: match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        })
        .collect()
}

async fn referral_view(
    visit: &Visit,
    staff: &Staff,
    id: &str,
    sent: Option<graphql::send_referral::SendReferralSendReferral>,
) -> Response {
    let lang = visit.lang;
    let t = |id: &str| i18n::message(lang, id, &[]);
    let r = match graphql::run::<ReferralPage>(
        &visit.state.schema,
        &visit.context,
        graphql::referral_page::Variables { id: id.to_owned() },
    )
    .await
    {
        Ok(d) => d.referral,
        Err(e) => return visit.failure(&e),
    };
    let status = i18n::wire(&r.status);
    let mut details = vec![
        (t("col-service"), r.service.name.clone()),
        (
            t("col-organization"),
            r.service.organization_name.clone().unwrap_or_default(),
        ),
        (
            t("field-level"),
            i18n::label(lang, "level", &i18n::wire(&r.level)),
        ),
        (
            t("field-urgency"),
            i18n::label(lang, "urgency", &i18n::wire(&r.urgency)),
        ),
        (t("field-reason"), r.reason.clone()),
    ];
    if let Some(at) = &r.sent_at {
        details.push((t("col-sent"), format::instant(at)));
    }
    if let Some(at) = &r.deadline_at {
        details.push((t("referral-deadline"), format::instant(at)));
    }
    if let Some(note) = &r.response_note {
        details.push((t("referral-response"), note.clone()));
    }
    let envelope = r
        .envelope
        .as_ref()
        .or(r.envelope_preview.as_ref())
        .cloned()
        .unwrap_or(Value::Null);
    let mut layout = visit.layout(
        format!("{} · {}", t("referral-title"), r.person.display_name),
        Some(staff),
    );
    if sent.is_some() {
        layout.notice = Some(t("notice-referral-sent"));
    }
    let view = ReferralView {
        id: r.id,
        person: r.person.display_name,
        person_id: r.person.id,
        case_id: r.case.id,
        status: if r.overdue {
            t("referral-overdue")
        } else {
            i18n::label(lang, "referral-status", &status)
        },
        status_code: status.to_lowercase(),
        draft: status == "DRAFT",
        details,
        shared: shared_rows(lang, &envelope),
        partner_link: sent.as_ref().map(|s| s.partner_link.clone()),
        notified: sent.as_ref().map(|s| s.receiver_notified),

        layout,
    };
    render(&view)
}

pub async fn show(visit: Visit, staff: Staff, Path(id): Path<String>) -> Response {
    referral_view(&visit, &staff, &id, None).await
}

/// Sends the draft. The partner's link is shown on this answer only: it is
/// a secret the server keeps only as a hash.
pub async fn send(Path(id): Path<String>, staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    match graphql::run::<graphql::SendReferral>(
        &visit.state.schema,
        &visit.context,
        graphql::send_referral::Variables { id: id.clone() },
    )
    .await
    {
        Ok(data) => referral_view(visit, &staff, &id, Some(data.send_referral)).await,
        Err(e) if e.has("CONSENT_REQUIRED") => {
            visit.problem(StatusCode::CONFLICT, "problem-consent-missing")
        }
        Err(e) => visit.failure(&e),
    }
}
