//! Διαχείριση → Κέντρο: the coordinator keeps the center's own details
//! true: each center's (main, annexes, mobile units) address, phones,
//! e-mails, accessibility, opening hours and the areas it serves, and adds
//! an annex or a mobile unit. One `updateCenters` saves them all or none.

use std::collections::HashMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kentro_domain::hours::Weekday;
use serde_json::{Value, json};

use crate::format;
use crate::graphql::{self, ApiErrors};
use crate::i18n;
use crate::pages::people::Choice;
use crate::problems;
use crate::view::{FormError, Layout, Posted, Staff, Visit, render, see_other};

/// Phone rows a center's form offers (its numbers, then empty ones).
const PHONE_ROWS: usize = 3;

/// What a kind of center is called in the form's list.
const NEW_KINDS: [&str; 3] = ["roma_annex", "migrant_integration_annex", "mobile_unit"];

/// One center's part of the form, as shown or as typed.
#[derive(Default)]
struct CenterForm {
    /// `c0`, `c1`, … : the prefix of its fields' ids.
    prefix: String,
    key: String,
    kind: String,
    kind_label: String,
    name: String,
    street: String,
    building: String,
    postal_code: String,
    locality: String,
    phones: Vec<(String, String)>,
    emails: String,
    wheelchair: String,
    accessibility_notes: String,
    hours: Vec<(String, String, String)>,
    /// `yes` when it closes on public holidays.
    holidays: String,
    /// One closure a line: `24/12/2026-31/12/2026 Χριστούγεννα`.
    closures: String,
    areas: String,
    /// Kept as the manifest has them; not edited here.
    staff: Vec<Value>,
    notes: Option<String>,
    /// The wheelchair question's answers, as shown.
    wheelchair_answers: Vec<Choice>,
}

impl CenterForm {
    fn id(&self, field: &str) -> String {
        format!("{}-{field}", self.prefix)
    }

    fn from_post(posted: &Posted, prefix: &str, lang: i18n::Lang) -> CenterForm {
        let get = |f: &str| posted.get(&format!("{prefix}-{f}"));
        CenterForm {
            prefix: prefix.to_owned(),
            key: get("key"),
            kind: get("kind"),
            kind_label: kind_label(lang, &get("kind")),
            name: get("name"),
            street: get("street"),
            building: get("building"),
            postal_code: get("postalCode"),
            locality: get("locality"),
            phones: (0..PHONE_ROWS)
                .map(|j| (get(&format!("phone{j}")), get(&format!("phoneLabel{j}"))))
                .collect(),
            emails: get("emails"),
            wheelchair: get("wheelchair"),
            accessibility_notes: get("accessibilityNotes"),
            hours: Weekday::ALL
                .iter()
                .map(|d| {
                    (
                        d.key().to_owned(),
                        i18n::message(lang, &format!("field-{}", d.key()), &[]),
                        get(d.key()),
                    )
                })
                .collect(),
            holidays: get("holidays"),
            closures: get("closures"),
            areas: get("areas"),
            staff: Vec::new(),
            notes: None,
            wheelchair_answers: Vec::new(),
        }
    }

    /// The contract's `CenterInput`.
    fn input(&self) -> Value {
        let optional = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
        let lines = |v: &str| -> Vec<String> {
            v.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let address = [&self.street, &self.building, &self.postal_code, &self.locality]
            .iter()
            .any(|v| !v.trim().is_empty())
            .then(|| {
                json!({ "street": optional(&self.street), "building": optional(&self.building),
                        "postalCode": optional(&self.postal_code), "locality": optional(&self.locality) })
            });
        json!({
            "key": self.key.trim(),
            "kind": self.kind,
            "name": self.name.trim(),
            "address": address,
            "servesAreas": lines(&self.areas),
            "phones": self.phones.iter()
                .filter(|(n, _)| !n.trim().is_empty())
                .map(|(n, l)| json!({ "number": n.trim(), "label": optional(l) }))
                .collect::<Vec<_>>(),
            "emails": lines(&self.emails),
            "accessibility": {
                "wheelchairAccessible": match self.wheelchair.as_str() { "yes" => Some(true), "no" => Some(false), _ => None },
                "notes": optional(&self.accessibility_notes),
            },
            "openingHours": self.hours.iter()
                .filter(|(_, _, h)| !h.trim().is_empty())
                .map(|(d, _, h)| json!({ "day": d, "hours": h.trim() }))
                .collect::<Vec<_>>(),
            "closedOnPublicHolidays": self.holidays == "yes",
            "closures": lines(&self.closures).iter().map(|l| closure_input(l)).collect::<Vec<_>>(),
            "staff": self.staff,
            "notes": self.notes,
        })
    }

    fn wheelchair_choices(&self, lang: i18n::Lang) -> Vec<Choice> {
        [
            ("", "center-unknown"),
            ("yes", "special-answer-yes"),
            ("no", "special-answer-no"),
        ]
        .into_iter()
        .map(|(value, id)| Choice {
            value: value.to_owned(),
            label: i18n::message(lang, id, &[]),
            selected: self.wheelchair == value,
        })
        .collect()
    }
}

/// One line of the closures' box as the contract's `ClosureInput`: a day
/// (`25/12/2026`) or two joined by a dash (`24/12/2026-31/12/2026`), then
/// the reason. What cannot be read is passed on for the API to name.
fn closure_input(line: &str) -> Value {
    let (days, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let (from, to) = match days.split_once(['-', '–']) {
        Some((from, to)) if days.contains('/') => (from, Some(to)),
        _ => (days, None),
    };
    json!({
        "from": format::typed_date(from),
        "to": to.map(format::typed_date),
        "reason": reason.trim(),
    })
}

/// A closure as its line in the closures' box.
fn closure_line(from: &str, to: &str, reason: &str) -> String {
    if from == to {
        format!("{} {reason}", format::date(from))
    } else {
        format!("{}-{} {reason}", format::date(from), format::date(to))
    }
}

fn kind_label(lang: i18n::Lang, kind: &str) -> String {
    i18n::label(lang, "center-kind", kind)
}

/// The centers as the API has them now.
fn from_settings(
    lang: i18n::Lang,
    centers: &[graphql::center_settings::CenterSettingsMyTenantCenters],
) -> Vec<CenterForm> {
    centers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let kind = i18n::wire(&c.kind).to_lowercase();
            let address = c.address.as_ref();
            let field = |f: fn(
                &graphql::center_settings::CenterSettingsMyTenantCentersAddress,
            ) -> &Option<String>| {
                address.and_then(|a| f(a).clone()).unwrap_or_default()
            };
            let mut phones: Vec<(String, String)> = c
                .phones
                .iter()
                .map(|p| (p.number.clone(), p.label.clone().unwrap_or_default()))
                .collect();
            phones.resize(phones.len().max(PHONE_ROWS), Default::default());
            let hours = Weekday::ALL
                .iter()
                .map(|d| {
                    let ranges = c
                        .opening_hours
                        .iter()
                        .find(|o| i18n::wire(&o.weekday).to_lowercase() == d.key())
                        .map(|o| {
                            o.ranges
                                .iter()
                                .map(|r| format!("{}-{}", r.opens, r.closes))
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default();
                    (
                        d.key().to_owned(),
                        i18n::message(lang, &format!("field-{}", d.key()), &[]),
                        ranges,
                    )
                })
                .collect();
            CenterForm {
                prefix: format!("c{i}"),
                key: c.key.clone(),
                kind_label: kind_label(lang, &kind),
                kind,
                name: c.name.clone(),
                street: field(|a| &a.street),
                building: field(|a| &a.building),
                postal_code: field(|a| &a.postal_code),
                locality: field(|a| &a.locality),
                phones,
                emails: c.emails.join("\n"),
                wheelchair: match c.accessibility.wheelchair_accessible {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "",
                }
                .to_owned(),
                accessibility_notes: c.accessibility.notes.clone().unwrap_or_default(),
                hours,
                holidays: if c.closed_on_public_holidays {
                    "yes"
                } else {
                    ""
                }
                .to_owned(),
                closures: c
                    .closures
                    .iter()
                    .map(|k| closure_line(&k.from, &k.to, &k.reason))
                    .collect::<Vec<_>>()
                    .join("\n"),
                areas: c.serves_areas.join("\n"),
                staff: c
                    .staff
                    .iter()
                    .map(
                        |s| json!({ "role": i18n::wire(&s.role).to_lowercase(), "count": s.count }),
                    )
                    .collect(),
                notes: c.notes.clone(),
                wheelchair_answers: Vec::new(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin_center.html")]
struct CenterPage {
    layout: Layout,
    municipality: String,
    centers: Vec<CenterForm>,
    new_center: CenterForm,
    new_kinds: Vec<Choice>,
}

async fn current(visit: &Visit) -> Result<(String, Vec<CenterForm>), Response> {
    let data = graphql::run::<graphql::CenterSettings>(
        &visit.state.schema,
        &visit.context,
        graphql::center_settings::Variables {},
    )
    .await
    .map_err(|e| visit.failure(&e))?;
    let tenant = data
        .my_tenant
        .ok_or_else(|| visit.problem(StatusCode::FORBIDDEN, "error-forbidden"))?;
    Ok((tenant.name_el, from_settings(visit.lang, &tenant.centers)))
}

fn blank_new(lang: i18n::Lang, index: usize) -> CenterForm {
    CenterForm {
        prefix: format!("c{index}"),
        hours: Weekday::ALL
            .iter()
            .map(|d| {
                (
                    d.key().to_owned(),
                    i18n::message(lang, &format!("field-{}", d.key()), &[]),
                    String::new(),
                )
            })
            .collect(),
        phones: vec![Default::default(); PHONE_ROWS],
        ..CenterForm::default()
    }
}

fn page(
    visit: &Visit,
    layout: Layout,
    municipality: String,
    centers: Vec<CenterForm>,
    new_center: CenterForm,
) -> Response {
    let lang = visit.lang;
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let new_kinds = NEW_KINDS
        .iter()
        .map(|k| Choice {
            value: (*k).to_owned(),
            label: kind_label(lang, k),
            selected: new_center.kind == *k,
        })
        .collect();
    let centers = centers
        .into_iter()
        .map(|mut c| {
            c.wheelchair_answers = c.wheelchair_choices(lang);
            c
        })
        .collect();
    (
        status,
        render(&CenterPage {
            layout,
            municipality,
            centers,
            new_center,
            new_kinds,
        }),
    )
        .into_response()
}

pub async fn show(
    visit: Visit,
    staff: Staff,
    axum::extract::Query(params): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    if !staff.may("MANAGE_TENANT_SETTINGS") {
        return visit.problem(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let (municipality, centers) = match current(&visit).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let mut layout = visit.layout(visit.t("center-title"), Some(&staff));
    if params.contains_key("saved") {
        layout.notice = Some(visit.t("center-saved"));
    }
    let new_center = blank_new(visit.lang, centers.len());
    page(&visit, layout, municipality, centers, new_center)
}

/// The contract's paths (`centers[1].phones[0].number`) as this form's
/// fields (`c1-phone0`), each problem in the reader's words.
fn center_errors(visit: &Visit, errors: &ApiErrors) -> Vec<FormError> {
    let mut out = Vec::new();
    for error in &errors.0 {
        for (path, problem) in problems::field_problems(error) {
            let (index, rest) = path
                .strip_prefix("centers[")
                .and_then(|p| p.split_once("]."))
                .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest.to_owned())))
                .unwrap_or((0, "name".to_owned()));
            if let Some(closure) = rest.strip_prefix("closures[") {
                let line = closure
                    .split(']')
                    .next()
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(0);
                let id = format!("c{index}-closures");
                if !out.iter().any(|e: &FormError| e.field == id) {
                    out.push(FormError {
                        text: i18n::message(
                            visit.lang,
                            "problem-closure-line",
                            &[("line", &(line + 1).to_string())],
                        ),
                        field: id,
                    });
                }
                continue;
            }
            let (field, label) = if let Some(phone) = rest.strip_prefix("phones[") {
                let j = phone.split(']').next().unwrap_or("0");
                (format!("phone{j}"), "phone".to_owned())
            } else {
                let last = rest.rsplit('.').next().unwrap_or(&rest);
                match last {
                    "servesAreas" => ("areas".to_owned(), "areas".to_owned()),
                    l if l.starts_with("emails") => ("emails".to_owned(), "email".to_owned()),
                    "key" | "kind" | "name" => ("name".to_owned(), "centerName".to_owned()),
                    "wheelchairAccessible" | "notes" if rest.starts_with("accessibility") => (
                        "accessibilityNotes".to_owned(),
                        "accessibilityNotes".to_owned(),
                    ),
                    other => (other.to_owned(), other.to_owned()),
                }
            };
            let id = format!("c{index}-{field}");
            if !out.iter().any(|e: &FormError| e.field == id) {
                out.push(FormError {
                    text: problems::describe(visit.lang, &label, &problem),
                    field: id,
                });
            }
        }
    }
    out
}

pub async fn save(staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    if !staff.may("MANAGE_TENANT_SETTINGS") {
        return visit.problem(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let (municipality, now) = match current(visit).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let lang = visit.lang;
    // What was typed, over what the manifest keeps and the form does not
    // show (staff positions, notes).
    let centers: Vec<CenterForm> = now
        .iter()
        .map(|kept| {
            let mut typed = CenterForm::from_post(&posted, &kept.prefix, lang);
            typed.key = kept.key.clone();
            typed.kind = kept.kind.clone();
            typed.kind_label = kept.kind_label.clone();
            typed.staff = kept.staff.clone();
            typed.notes = kept.notes.clone();
            typed
        })
        .collect();
    let new_prefix = format!("c{}", centers.len());
    let mut new_center = CenterForm::from_post(&posted, &new_prefix, lang);
    // A new center's key, unique among the municipality's.
    new_center.key = (centers.len() + 1..)
        .map(|n| format!("center-{n}"))
        .find(|key| !centers.iter().any(|c| c.key == *key))
        .expect("an unused key");
    let adding = !new_center.kind.is_empty();
    let mut inputs: Vec<Value> = centers.iter().map(CenterForm::input).collect();
    if adding {
        inputs.push(new_center.input());
    }
    let variables = match serde_json::from_value(json!({ "centers": inputs })) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "the centers' variables did not fit");
            return visit.problem(StatusCode::BAD_REQUEST, "error-internal");
        }
    };
    match graphql::run::<graphql::UpdateCenters>(&visit.state.schema, &visit.context, variables)
        .await
    {
        Ok(_) => see_other("/admin/center?saved"),
        Err(e) if e.has("VALIDATION") => {
            let mut layout = visit.layout(visit.t("center-title"), Some(&staff));
            layout.errors = center_errors(visit, &e);
            page(visit, layout, municipality, centers, new_center)
        }
        Err(e) => visit.failure(&e),
    }
}
