//! Δήμοι: the platform admin's municipalities, each with its readiness
//! checklist, and onboarding a new one in four parts (the municipality,
//! its center and hours, its funding, its first coordinator) without a
//! shell: `createTenant`, then `inviteCoordinator`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kentro_domain::hours::Weekday;
use kentro_domain::region::Region;
use serde_json::{Value, json};

use crate::graphql::{self, ApiErrors};
use crate::i18n;
use crate::pages::people::{Choice, ChoiceField};
use crate::problems;
use crate::view::{FormError, Layout, Posted, Staff, Visit, render, see_other};

/// The weekdays a center's hours are asked for.
const WORKDAYS: [Weekday; 5] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
];

struct ChecklistItem {
    label: String,
    done: bool,
    detail: String,
}

struct MunicipalityRow {
    name: String,
    slug: String,
    region: String,
    /// The status in words, unless the municipality is active.
    status_tag: String,
    ready: bool,
    checklist: Vec<ChecklistItem>,
}

#[derive(Template)]
#[template(path = "municipalities.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<MunicipalityRow>,
}

/// The onboarding form, as typed.
#[derive(Default)]
struct Onboarding {
    values: HashMap<&'static str, String>,
}

/// The form's fields, in order, by their ids.
const FIELDS: [&str; 20] = [
    "slug",
    "nameEl",
    "nameLatin",
    "region",
    "centerName",
    "street",
    "postalCode",
    "locality",
    "phone",
    "email",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "programme",
    "misCode",
    "inclusionDecision",
    "coordinatorName",
    "coordinatorEmail",
];

impl Onboarding {
    fn from_post(posted: &Posted) -> Onboarding {
        Onboarding {
            values: FIELDS.iter().map(|f| (*f, posted.get(f))).collect(),
        }
    }

    fn get(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    /// The contract's `TenantInput`: one main center; annexes and mobile
    /// units come later through `updateTenant`.
    fn input(&self) -> Value {
        let optional = |f: &str| (!self.get(f).is_empty()).then(|| self.get(f).to_owned());
        let hours: Vec<Value> = WORKDAYS
            .iter()
            .filter(|d| !self.get(d.key()).is_empty())
            .map(|d| json!({ "day": d.key(), "hours": self.get(d.key()) }))
            .collect();
        let address = (optional("street").is_some()
            || optional("postalCode").is_some()
            || optional("locality").is_some())
        .then(|| {
            json!({ "street": optional("street"), "postalCode": optional("postalCode"),
                    "locality": optional("locality") })
        });
        json!({
            "slug": self.get("slug"),
            "nameEl": self.get("nameEl"),
            "nameLatin": self.get("nameLatin"),
            "region": self.get("region"),
            "funding": { "programme": self.get("programme"), "misCode": optional("misCode"),
                         "priorityAxis": null, "inclusionDecision": optional("inclusionDecision") },
            "plugins": [],
            "centers": [{
                "key": "main",
                "kind": "main",
                "name": self.get("centerName"),
                "address": address,
                "phones": optional("phone").map(|n| vec![json!({ "number": n })]).unwrap_or_default(),
                "emails": optional("email").map(|e| vec![e]).unwrap_or_default(),
                "openingHours": hours,
                // As public services do; Κέντρο changes it.
                "closedOnPublicHolidays": true,
                "closures": [],
                "servesAreas": [],
                "staff": [],
                "accessibility": null,
                "notes": null,
            }],
        })
    }
}

#[derive(Template)]
#[template(path = "municipality_new.html")]
struct NewPage {
    layout: Layout,
    form: Onboarding,
    region: ChoiceField,
    days: Vec<(String, String, String)>,
}

impl NewPage {
    fn value(&self, field: &str) -> String {
        self.form.get(field).to_owned()
    }
}

pub(crate) fn require_platform_admin(visit: &Visit, staff: &Staff) -> Option<Response> {
    (!staff.may("MANAGE_TENANTS")).then(|| visit.problem(StatusCode::FORBIDDEN, "error-forbidden"))
}

pub async fn list(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = require_platform_admin(&visit, &staff) {
        return refused;
    }
    let data = match graphql::run::<graphql::Municipalities>(
        &visit.state.schema,
        &visit.context,
        graphql::municipalities::Variables {},
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    let lang = visit.lang;
    let rows = data
        .tenants
        .into_iter()
        .map(|t| {
            let r = &t.readiness;
            let missing: Vec<String> = r.missing.iter().map(i18n::wire).collect();
            let item = |code: &str, detail: String| ChecklistItem {
                label: i18n::label(lang, "readiness", code),
                done: !missing.iter().any(|m| m == code),
                detail,
            };
            let count = |id: &str, n: i64| i18n::count(lang, id, n.max(0) as usize);
            let checklist = vec![
                item(
                    "COORDINATOR",
                    count("readiness-coordinators", r.coordinators),
                ),
                item(
                    "STAFF",
                    format!(
                        "{} · {}",
                        count("readiness-staff-count", r.staff),
                        count("readiness-pending", r.pending_invitations)
                    ),
                ),
                item("OPENING_HOURS", String::new()),
                item(
                    "DIRECTORY",
                    count("readiness-services", r.directory_services),
                ),
                item("PARTNER_KEYS", count("readiness-keys", r.partner_keys)),
                item(
                    "PLUGINS",
                    format!("{} / {}", r.plugins_enabled, r.plugins_named),
                ),
            ];
            MunicipalityRow {
                ready: missing.is_empty(),
                status_tag: match i18n::wire(&t.status).as_str() {
                    "ACTIVE" => String::new(),
                    other => i18n::label(lang, "tenant-status", other),
                },
                name: t.name_el,
                slug: t.slug,
                region: t.region.name_el,
                checklist,
            }
        })
        .collect();
    let mut layout = visit.layout(visit.t("municipalities-title"), Some(&staff));
    if let Some(slug) = params.get("created") {
        layout.notice = Some(i18n::message(
            lang,
            "municipalities-created",
            &[("slug", slug)],
        ));
    }
    render(&ListPage { layout, rows })
}

fn new_page(visit: &Visit, layout: Layout, form: Onboarding) -> Response {
    let lang = visit.lang;
    let region = ChoiceField {
        name: "region",
        label: visit.t("field-region"),
        error: layout.error_for("region").map(str::to_owned),
        choices: Region::ALL
            .into_iter()
            .map(|r| Choice {
                value: r.code().to_owned(),
                label: r.name_el().to_owned(),
                selected: form.get("region") == r.code(),
            })
            .collect(),
    };
    let days = WORKDAYS
        .iter()
        .map(|d| {
            (
                d.key().to_owned(),
                i18n::message(lang, &format!("field-{}", d.key()), &[]),
                form.get(d.key()).to_owned(),
            )
        })
        .collect();
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        render(&NewPage {
            layout,
            form,
            region,
            days,
        }),
    )
        .into_response()
}

pub async fn new(visit: Visit, staff: Staff) -> Response {
    if let Some(refused) = require_platform_admin(&visit, &staff) {
        return refused;
    }
    let layout = visit.layout(visit.t("onboarding-title"), Some(&staff));
    let mut form = Onboarding::default();
    for day in WORKDAYS {
        form.values.insert(day.key(), "08:00-16:00".to_owned());
    }
    new_page(&visit, layout, form)
}

/// The contract's paths, as this form's fields, named in the reader's words.
fn onboarding_errors(visit: &Visit, errors: &ApiErrors) -> Vec<FormError> {
    let field_of = |path: &str| -> String {
        let last = path.rsplit('.').next().unwrap_or(path);
        match last {
            "number" | "phones[0]" => "phone",
            "emails[0]" | "emails" => "email",
            "name" | "centers" | "kind" | "key" => "centerName",
            "input" => "slug",
            other => other,
        }
        .to_owned()
    };
    let mut renamed = errors.clone();
    for error in &mut renamed.0 {
        for problem in &mut error.fields {
            problem.field = field_of(&problem.field);
        }
        error.field = error.field.as_deref().map(field_of);
    }
    problems::form_errors(visit.lang, &renamed)
}

pub async fn create(staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    if let Some(refused) = require_platform_admin(visit, &staff) {
        return refused;
    }
    let form = Onboarding::from_post(&posted);
    let mut layout = visit.layout(visit.t("onboarding-title"), Some(&staff));
    // The coordinator's part is checked before anything is created, so
    // that a refused address leaves no municipality behind.
    if form.get("coordinatorName").trim().is_empty() {
        layout.errors.push(FormError {
            field: "coordinatorName".into(),
            text: visit.t("problem-invite-name"),
        });
    }
    if kentro_domain::contact::Email::parse(form.get("coordinatorEmail")).is_err() {
        layout.errors.push(FormError {
            field: "coordinatorEmail".into(),
            text: visit.t("problem-email"),
        });
    }
    if !layout.errors.is_empty() {
        return new_page(visit, layout, form);
    }
    let variables = match serde_json::from_value(json!({ "input": form.input() })) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "an onboarding's variables did not fit");
            return visit.problem(StatusCode::BAD_REQUEST, "error-internal");
        }
    };
    match graphql::run::<graphql::CreateTenant>(&visit.state.schema, &visit.context, variables)
        .await
    {
        Ok(_) => {}
        Err(e) if e.has("VALIDATION") || e.has("CONFLICT") => {
            layout.errors = onboarding_errors(visit, &e);
            return new_page(visit, layout, form);
        }
        Err(e) => return visit.failure(&e),
    }
    let slug = form.get("slug").trim().to_owned();
    let invited = graphql::run::<graphql::InviteCoordinator>(
        &visit.state.schema,
        &visit.context,
        graphql::invite_coordinator::Variables {
            tenant: slug.clone(),
            email: form.get("coordinatorEmail").to_owned(),
            name: form.get("coordinatorName").to_owned(),
        },
    )
    .await;
    match invited {
        Ok(_) => see_other(&format!("/municipalities?created={slug}")),
        Err(e) => visit.failure(&e),
    }
}
