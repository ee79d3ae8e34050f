//! The person's card beyond its details (cases, appointments, referrals,
//! household, consents) and the case page: notes by confidentiality, status
//! moves, the timeline.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::format;
use crate::graphql::{self, ApiErrors};
use crate::i18n::{self, Lang};
use crate::pages::people::{Choice, ChoiceField};
use crate::problems;
use crate::view::{FormError, Layout, Posted, Staff, Visit, render, see_other};

pub struct Tab {
    pub href: String,
    pub label: String,
    pub current: bool,
}

/// The card's tabs the staff member's role may open.
pub fn person_tabs(lang: Lang, id: &str, staff: &Staff, current: &str) -> Vec<Tab> {
    let mut tabs = vec![("", "card-tab-details")];
    if staff.may("MANAGE_CASES") {
        tabs.push(("/cases", "card-tab-cases"));
        tabs.push(("/household", "card-tab-household"));
    }
    if staff.may("BOOK_APPOINTMENTS") {
        tabs.push(("/appointments", "card-tab-appointments"));
    }
    if staff.may("MAKE_REFERRALS") {
        tabs.push(("/referrals", "card-tab-referrals"));
    }
    if staff.may("MANAGE_CASES") {
        tabs.push(("/suggestions", "card-tab-suggestions"));
    }
    tabs.into_iter()
        .map(|(suffix, label)| Tab {
            href: format!("/people/{id}{suffix}"),
            label: i18n::message(lang, label, &[]),
            current: suffix == current,
        })
        .collect()
}

pub struct Row {
    pub href: String,
    /// For a referral's row: its id, so its status follows live updates.
    pub referral_id: String,
    pub cells: Vec<String>,
    pub tag: String,
    pub tag_code: String,
}

#[derive(Template)]
#[template(path = "person_tab.html")]
struct PersonTabPage {
    layout: Layout,
    id: String,
    name: String,
    tabs: Vec<Tab>,
    heading: String,
    columns: Vec<String>,
    rows: Vec<Row>,
    empty: String,
    action: Option<(String, String)>,
    open_case: Option<OpenCaseForm>,
}

struct OpenCaseForm {
    channel: ChoiceField,
    categories: Vec<Choice>,
    categories_error: Option<String>,
}

const CHANNELS: [&str; 4] = ["WALK_IN", "PHONE", "EMAIL", "REFERRAL_IN"];
const CATEGORIES: [&str; 9] = [
    "INCOME_SUPPORT",
    "HOUSING",
    "FOOD_AID",
    "HEALTH",
    "EMPLOYMENT",
    "EDUCATION",
    "PSYCHOSOCIAL",
    "LEGAL_ADMINISTRATIVE",
    "OTHER",
];

fn open_case_form(lang: Lang, layout: &Layout, chosen: &[(String, String)]) -> OpenCaseForm {
    let picked = |name: &str, value: &str| chosen.iter().any(|(k, v)| k == name && v == value);
    OpenCaseForm {
        channel: ChoiceField {
            name: "channel",
            label: i18n::message(lang, "field-channel", &[]),
            choices: CHANNELS
                .iter()
                .map(|c| Choice {
                    value: (*c).to_owned(),
                    label: i18n::label(lang, "channel", c),
                    selected: picked("channel", c) || (chosen.is_empty() && *c == "WALK_IN"),
                })
                .collect(),
            error: layout.error_for("channel").map(str::to_owned),
        },
        categories: CATEGORIES
            .iter()
            .map(|c| Choice {
                value: (*c).to_owned(),
                label: i18n::label(lang, "category", c),
                selected: picked("categories", c),
            })
            .collect(),
        categories_error: layout.error_for("categories").map(str::to_owned),
    }
}

async fn tab_page(
    visit: &Visit,
    staff: &Staff,
    id: &str,
    tab: &str,
    mut layout: Layout,
    posted: &[(String, String)],
) -> Response {
    let lang = visit.lang;
    let t = |id: &str| i18n::message(lang, id, &[]);
    let schema = &visit.state.schema;
    let ctx = &visit.context;
    let (name, heading, columns, rows, empty, action) = match tab {
        "/cases" => {
            let person = match graphql::run::<graphql::PersonCases>(
                schema,
                ctx,
                graphql::person_cases::Variables { id: id.to_owned() },
            )
            .await
            {
                Ok(d) => d.person,
                Err(e) => return visit.failure(&e),
            };
            let rows = person
                .cases
                .into_iter()
                .map(|c| {
                    let status = i18n::wire(&c.status);
                    Row {
                        referral_id: String::new(),
                        href: format!("/cases/{}", c.id),
                        cells: vec![
                            format::date(&c.request_date),
                            i18n::label(lang, "channel", &i18n::wire(&c.channel)),
                            c.categories
                                .iter()
                                .map(|k| i18n::label(lang, "category", &i18n::wire(k)))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ],
                        tag: i18n::label(lang, "case-status", &status),
                        tag_code: status.to_lowercase(),
                    }
                })
                .collect();
            (
                person.display_name,
                t("card-tab-cases"),
                vec![t("col-since"), t("field-channel"), t("field-categories")],
                rows,
                t("card-no-cases"),
                None,
            )
        }
        "/referrals" => {
            let person = match graphql::run::<graphql::PersonReferrals>(
                schema,
                ctx,
                graphql::person_referrals::Variables { id: id.to_owned() },
            )
            .await
            {
                Ok(d) => d.person,
                Err(e) => return visit.failure(&e),
            };
            let rows = person
                .referrals
                .into_iter()
                .map(|r| {
                    let status = i18n::wire(&r.status);
                    Row {
                        referral_id: r.id.clone(),
                        href: format!("/referrals/{}", r.id),
                        cells: vec![
                            r.service.name,
                            r.service.organization_name.unwrap_or_default(),
                            i18n::label(lang, "urgency", &i18n::wire(&r.urgency)),
                            r.sent_at
                                .as_deref()
                                .map(format::instant)
                                .unwrap_or_default(),
                        ],
                        tag: if r.overdue {
                            t("referral-overdue")
                        } else {
                            i18n::label(lang, "referral-status", &status)
                        },
                        tag_code: if r.overdue {
                            "declined".into()
                        } else {
                            status.to_lowercase()
                        },
                    }
                })
                .collect();
            (
                person.display_name,
                t("card-tab-referrals"),
                vec![
                    t("col-service"),
                    t("col-organization"),
                    t("col-urgency"),
                    t("col-sent"),
                ],
                rows,
                t("card-no-referrals"),
                None,
            )
        }
        _ => return visit.problem(StatusCode::NOT_FOUND, "error-not-found"),
    };
    layout.title = format!("{heading} · {name}");
    let open_case = (tab == "/cases").then(|| open_case_form(lang, &layout, posted));
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PersonTabPage {
        tabs: person_tabs(lang, id, staff, tab),
        layout,
        id: id.to_owned(),
        name,
        heading,
        columns,
        rows,
        empty,
        action,
        open_case,
    };
    (status, render(&page)).into_response()
}

pub async fn person_tab(
    visit: Visit,
    staff: Staff,
    Path((id, tab)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let done = params
        .get("done")
        .filter(|d| ["cancel", "kept", "missed", "reschedule"].contains(&d.as_str()));
    let tab = format!("/{tab}");
    if tab == "/household" {
        return household_page(&visit, &staff, &id, None, Vec::new()).await;
    }
    if tab == "/suggestions" {
        let mut layout = visit.layout(String::new(), Some(&staff));
        if params.get("done").is_some_and(|d| d == "dismissed") {
            layout.notice = Some(visit.t("notice-suggestion-dismissed"));
        }
        return suggestions_page(&visit, &staff, &id, layout).await;
    }
    if tab == "/appointments" {
        let mut layout = visit.layout(String::new(), Some(&staff));
        layout.notice = done.map(|d| visit.t(&format!("notice-appointment-{d}")));
        return crate::pages::appointments::person_appointments(&visit, &staff, &id, layout).await;
    }
    let layout = visit.layout(String::new(), Some(&staff));
    tab_page(&visit, &staff, &id, &tab, layout, &[]).await
}

/// Opens a case for the person, then shows it.
pub async fn open_case(Path(id): Path<String>, staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    let categories: Vec<String> = posted
        .fields
        .iter()
        .filter(|(k, _)| k == "categories")
        .map(|(_, v)| v.clone())
        .collect();
    let mut layout = visit.layout(String::new(), Some(&staff));
    if categories.is_empty() {
        layout.errors.push(FormError {
            field: "categories".into(),
            text: visit.t("problem-categories"),
        });
    } else {
        let input = json!({
            "personId": id,
            "channel": posted.get("channel"),
            "categories": categories,
            "assignedTo": staff.id,
        });
        match serde_json::from_value(input) {
            Ok(input) => match graphql::run::<graphql::OpenCase>(
                &visit.state.schema,
                &visit.context,
                graphql::open_case::Variables { input },
            )
            .await
            {
                Ok(data) => return see_other(&format!("/cases/{}?done=opened", data.open_case.id)),
                Err(e) if e.has("VALIDATION") => {
                    layout.errors = problems::form_errors(visit.lang, &e)
                }
                Err(e) => return visit.failure(&e),
            },
            Err(_) => layout.errors.push(FormError {
                field: "channel".into(),
                text: visit.t("problem-channel"),
            }),
        }
    }
    tab_page(visit, &staff, &id, "/cases", layout, &posted.fields).await
}

struct MemberRow {
    href: String,
    name: String,
    relationship: String,
    birth_date: String,
}

struct Candidate {
    id: String,
    name: String,
    birth_date: String,
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    layout: Layout,
    id: String,
    name: String,
    tabs: Vec<Tab>,
    household_id: Option<String>,
    members: Vec<MemberRow>,
    applications: Vec<Row>,
    query: String,
    candidates: Vec<Candidate>,
    relationships: Vec<Choice>,
}

const RELATIONSHIPS: [&str; 9] = [
    "SPOUSE",
    "PARTNER",
    "CHILD",
    "PARENT",
    "SIBLING",
    "GRANDCHILD",
    "GRANDPARENT",
    "OTHER_RELATIVE",
    "NON_RELATIVE",
];

async fn household_page(
    visit: &Visit,
    staff: &Staff,
    id: &str,
    query: Option<String>,
    errors: Vec<FormError>,
) -> Response {
    let lang = visit.lang;
    let person = match graphql::run::<graphql::PersonHousehold>(
        &visit.state.schema,
        &visit.context,
        graphql::person_household::Variables { id: id.to_owned() },
    )
    .await
    {
        Ok(d) => d.person,
        Err(e) => return visit.failure(&e),
    };
    let (household_id, members, applications) = match person.household {
        Some(h) => (
            Some(h.id),
            h.members
                .into_iter()
                .map(|m| MemberRow {
                    href: format!("/people/{}", m.person.id),
                    name: m.person.display_name,
                    relationship: i18n::label(lang, "relationship", &i18n::wire(&m.relationship)),
                    birth_date: m
                        .person
                        .birth_date
                        .as_deref()
                        .map(format::date)
                        .unwrap_or_default(),
                })
                .collect(),
            h.kea_applications
                .into_iter()
                .map(|a| {
                    let status = i18n::wire(&a.status);
                    Row {
                        referral_id: String::new(),
                        href: format!("/kea/{}", a.id),
                        cells: vec![
                            format::date(&a.reference_date),
                            a.external_reference.unwrap_or_default(),
                        ],
                        tag: i18n::label(lang, "kea-status", &status),
                        tag_code: status.to_lowercase(),
                    }
                })
                .collect(),
        ),
        None => (None, Vec::new(), Vec::new()),
    };
    let query = query.unwrap_or_default();
    let mut candidates = Vec::new();
    if !query.is_empty()
        && let Ok(found) = graphql::run::<graphql::SearchPeople>(
            &visit.state.schema,
            &visit.context,
            graphql::search_people::Variables {
                search: Some(query.clone()),
                first: Some(20),
            },
        )
        .await
    {
        candidates = found
            .people
            .nodes
            .into_iter()
            .filter(|p| p.id != id && !members.iter().any(|m| m.href.ends_with(&p.id)))
            .map(|p| Candidate {
                id: p.id,
                name: p.display_name,
                birth_date: p
                    .birth_date
                    .as_deref()
                    .map(format::date)
                    .unwrap_or_default(),
            })
            .collect();
    }
    let mut layout = visit.layout(
        format!(
            "{} · {}",
            visit.t("card-tab-household"),
            person.display_name
        ),
        Some(staff),
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    layout.errors = errors;
    let page = HouseholdPage {
        tabs: person_tabs(lang, id, staff, "/household"),
        layout,
        id: id.to_owned(),
        name: person.display_name,
        household_id,
        members,
        applications,
        query,
        candidates,
        relationships: RELATIONSHIPS
            .iter()
            .map(|r| Choice {
                value: (*r).to_owned(),
                label: i18n::label(lang, "relationship", r),
                selected: false,
            })
            .collect(),
    };
    (status, render(&page)).into_response()
}

pub async fn household_search(
    visit: Visit,
    staff: Staff,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    household_page(&visit, &staff, &id, params.get("q").cloned(), Vec::new()).await
}

/// Creates the person's household (they head it), or adds a member to it.
pub async fn household_change(Path(id): Path<String>, staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    let outcome: Result<(), ApiErrors> = match posted.optional("member") {
        None => graphql::run::<graphql::CreateHousehold>(
            &visit.state.schema,
            &visit.context,
            graphql::create_household::Variables { head: id.clone() },
        )
        .await
        .map(|_| ()),
        Some(member) => match serde_json::from_value(json!(posted.get("relationship"))) {
            Ok(relationship) => graphql::run::<graphql::AddHouseholdMember>(
                &visit.state.schema,
                &visit.context,
                graphql::add_household_member::Variables {
                    household: posted.get("household"),
                    person: member,
                    relationship,
                },
            )
            .await
            .map(|_| ()),
            Err(_) => return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form"),
        },
    };
    match outcome {
        Ok(()) => see_other(&format!("/people/{id}/household")),
        Err(e) if e.has("VALIDATION") || e.has("CONFLICT") => {
            let mut errors = problems::form_errors(visit.lang, &e);
            for error in &mut errors {
                error.field = "q".into();
            }
            household_page(visit, &staff, &id, None, errors).await
        }
        Err(e) => visit.failure(&e),
    }
}

/// Records a consent statement, given or withdrawn.
pub async fn record_consent(Path(id): Path<String>, posted: Posted) -> Response {
    let visit = &posted.visit;
    let input = json!({
        "personId": id,
        "purpose": posted.get("purpose"),
        "given": posted.get("given") == "yes",
        "onDate": format::typed_date(&posted.optional("onDate").unwrap_or_else(|| format::today().format("%d/%m/%Y").to_string())),
        "method": posted.get("method"),
        "witness": posted.optional("witness"),
    });
    let Ok(input) = serde_json::from_value(input) else {
        return see_other(&format!("/people/{id}?problem=consent"));
    };
    // The referral wizard's consent gate comes back to the wizard.
    let back = posted.get("back");
    let back = (back.starts_with("/referrals/new?") && !back.contains("//")).then_some(back);
    match graphql::run::<graphql::RecordConsent>(
        &visit.state.schema,
        &visit.context,
        graphql::record_consent::Variables { input },
    )
    .await
    {
        Ok(_) => see_other(&back.unwrap_or_else(|| format!("/people/{id}?done=consent"))),
        Err(e) if e.has("VALIDATION") => see_other(&format!("/people/{id}?problem=consent")),
        Err(e) => visit.failure(&e),
    }
}

struct NoteView {
    author: String,
    when: String,
    level: String,
    body: Option<String>,
}

struct EventView {
    when: String,
    actor: String,
    what: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    layout: Layout,
    id: String,
    person_id: String,
    person: String,
    status: String,
    status_code: String,
    summary: Vec<(String, String)>,
    moves: Vec<(String, String)>,
    texts: Vec<(String, String, String)>,
    notes: Vec<NoteView>,
    levels: Vec<Choice>,
    timeline: Vec<EventView>,
    referrals: Vec<Row>,
    appointments: Vec<(String, String, String, String)>,
    may_refer: bool,
    note_body: String,
}

/// Where a case may go from each status.
fn moves(status: &str) -> &'static [&'static str] {
    match status {
        "OPEN" => &["IN_PROGRESS", "CLOSED"],
        "IN_PROGRESS" => &["CLOSED"],
        "CLOSED" => &["REOPENED"],
        "REOPENED" => &["IN_PROGRESS", "CLOSED"],
        _ => &[],
    }
}

async fn case_page(
    visit: &Visit,
    staff: &Staff,
    id: &str,
    mut layout: Layout,
    note_body: String,
) -> Response {
    let lang = visit.lang;
    let t = |id: &str| i18n::message(lang, id, &[]);
    let case = match graphql::run::<graphql::CasePage>(
        &visit.state.schema,
        &visit.context,
        graphql::case_page::Variables { id: id.to_owned() },
    )
    .await
    {
        Ok(d) => d.case,
        Err(e) => return visit.failure(&e),
    };
    let status = i18n::wire(&case.status);
    let mut notes: Vec<(String, NoteView)> = case
        .notes
        .into_iter()
        .map(|n| {
            (
                n.created_at.clone(),
                NoteView {
                    author: n.author,
                    when: format::instant(&n.created_at),
                    level: i18n::label(lang, "confidentiality", &i18n::wire(&n.confidentiality)),
                    body: Some(n.body),
                },
            )
        })
        .chain(case.withheld_notes.into_iter().map(|n| {
            (
                n.created_at.clone(),
                NoteView {
                    author: n.author,
                    when: format::instant(&n.created_at),
                    level: i18n::label(lang, "confidentiality", &i18n::wire(&n.confidentiality)),
                    body: None,
                },
            )
        }))
        .collect();
    notes.sort_by(|a, b| a.0.cmp(&b.0));
    layout.title = format!("{} · {}", t("case-title"), case.person.display_name);
    let page = CasePage {
        id: case.id.clone(),
        person_id: case.person.id,
        person: case.person.display_name,
        status: i18n::label(lang, "case-status", &status),
        status_code: status.to_lowercase(),
        summary: vec![
            (t("col-since"), format::date(&case.request_date)),
            (
                t("field-channel"),
                i18n::label(lang, "channel", &i18n::wire(&case.channel)),
            ),
            (
                t("field-categories"),
                case.categories
                    .iter()
                    .map(|k| i18n::label(lang, "category", &i18n::wire(k)))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            (
                t("case-assigned"),
                case.assigned_to
                    .map(|a| a.name)
                    .unwrap_or_else(|| t("case-unassigned")),
            ),
        ],
        moves: moves(&status)
            .iter()
            .map(|m| ((*m).to_owned(), i18n::label(lang, "case-move", m)))
            .collect(),
        texts: [
            ("needsAssessment", case.needs_assessment),
            ("informationGiven", case.information_given),
            ("actions", case.actions),
            ("outcome", case.outcome),
        ]
        .into_iter()
        .map(|(field, value)| {
            (
                field.to_owned(),
                t(&format!("field-{field}")),
                value.unwrap_or_default(),
            )
        })
        .collect(),
        notes: notes.into_iter().map(|(_, n)| n).collect(),
        levels: ["STANDARD", "SENSITIVE", "PSYCHOLOGICAL"]
            .iter()
            .filter(|l| **l != "PSYCHOLOGICAL" || staff.may("VIEW_PSYCHOLOGICAL_NOTES"))
            .map(|l| Choice {
                value: (*l).to_owned(),
                label: i18n::label(lang, "confidentiality", l),
                selected: *l == "STANDARD",
            })
            .collect(),
        timeline: case
            .timeline
            .into_iter()
            .map(|e| EventView {
                when: format::instant(&e.at),
                actor: e.actor,
                what: format!("{}: {}", i18n::label(lang, "case-event", &e.kind), e.detail),
            })
            .collect(),
        referrals: case
            .referrals
            .into_iter()
            .map(|r| {
                let status = i18n::wire(&r.status);
                Row {
                    referral_id: r.id.clone(),
                    href: format!("/referrals/{}", r.id),
                    cells: vec![
                        r.service.name,
                        r.service.organization_name.unwrap_or_default(),
                        i18n::label(lang, "urgency", &i18n::wire(&r.urgency)),
                    ],
                    tag: if r.overdue {
                        t("referral-overdue")
                    } else {
                        i18n::label(lang, "referral-status", &status)
                    },
                    tag_code: status.to_lowercase(),
                }
            })
            .collect(),
        appointments: case
            .appointments
            .into_iter()
            .map(|a| {
                (
                    format!(
                        "{} {}",
                        format::date(a.starts_at.get(..10).unwrap_or_default()),
                        format::clock(&a.starts_at)
                    ),
                    i18n::label(lang, "appointment-kind", &i18n::wire(&a.kind)),
                    a.staff.map(|s| s.name).unwrap_or_default(),
                    i18n::label(lang, "appointment-status", &i18n::wire(&a.status)),
                )
            })
            .collect(),
        may_refer: staff.may("MAKE_REFERRALS"),
        note_body,
        layout,
    };
    let status = if page.layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, render(&page)).into_response()
}

pub async fn show_case(
    visit: Visit,
    staff: Staff,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut layout = visit.layout(String::new(), Some(&staff));
    layout.notice = params
        .get("done")
        .map(|d| visit.t(&format!("notice-case-{d}")));
    case_page(&visit, &staff, &id, layout, String::new()).await
}

/// A status move, the texts of the case, or a new note.
pub async fn change_case(
    Path((id, what)): Path<(String, String)>,
    staff: Staff,
    posted: Posted,
) -> Response {
    let visit = &posted.visit;
    let schema = &visit.state.schema;
    let ctx = &visit.context;
    let outcome: Result<&str, ApiErrors> = match what.as_str() {
        "status" => match serde_json::from_value(json!(posted.get("to"))) {
            Ok(to) => graphql::run::<graphql::TransitionCase>(
                schema,
                ctx,
                graphql::transition_case::Variables { id: id.clone(), to },
            )
            .await
            .map(|_| "moved"),
            Err(_) => return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form"),
        },
        "texts" => {
            let input = json!({
                "needsAssessment": posted.get("needsAssessment"),
                "informationGiven": posted.get("informationGiven"),
                "actions": posted.get("actions"),
                "outcome": posted.get("outcome"),
            });
            match serde_json::from_value(input) {
                Ok(input) => graphql::run::<graphql::UpdateCase>(
                    schema,
                    ctx,
                    graphql::update_case::Variables {
                        id: id.clone(),
                        input,
                    },
                )
                .await
                .map(|_| "saved"),
                Err(_) => return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form"),
            }
        }
        "notes" => {
            let body = posted.get("body");
            if body.is_empty() {
                let mut layout = visit.layout(String::new(), Some(&staff));
                layout.errors.push(FormError {
                    field: "body".into(),
                    text: visit.t("problem-note-empty"),
                });
                return case_page(visit, &staff, &id, layout, body).await;
            }
            match serde_json::from_value(json!(posted.get("confidentiality"))) {
                Ok(confidentiality) => graphql::run::<graphql::AddNote>(
                    schema,
                    ctx,
                    graphql::add_note::Variables {
                        case: id.clone(),
                        confidentiality,
                        body,
                    },
                )
                .await
                .map(|_| "noted"),
                Err(_) => return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form"),
            }
        }
        _ => return visit.problem(StatusCode::NOT_FOUND, "error-not-found"),
    };
    match outcome {
        Ok(done) => see_other(&format!("/cases/{id}?done={done}")),
        Err(e) if e.has("VALIDATION") || e.has("INVALID_TRANSITION") => {
            let mut layout = visit.layout(String::new(), Some(&staff));
            layout.errors = problems::form_errors(visit.lang, &e);
            if e.has("INVALID_TRANSITION") {
                layout.errors = vec![FormError {
                    field: "status".into(),
                    text: visit.t("problem-transition"),
                }];
            }
            case_page(visit, &staff, &id, layout, posted.get("body")).await
        }
        Err(e) => visit.failure(&e),
    }
}

struct SuggestionView {
    id: String,
    title: String,
    reason: String,
    plugin: String,
    when: String,
}

#[derive(Template)]
#[template(path = "suggestions.html")]
struct SuggestionsPage {
    layout: Layout,
    id: String,
    name: String,
    tabs: Vec<Tab>,
    suggestions: Vec<SuggestionView>,
}

/// Προτάσεις: what plugins suggest for the person. Accepting is acting on
/// it (a referral, an enrolment); dismissing needs a reason.
async fn suggestions_page(visit: &Visit, staff: &Staff, id: &str, layout: Layout) -> Response {
    let lang = visit.lang;
    let data = match graphql::run::<graphql::PersonSuggestions>(
        &visit.state.schema,
        &visit.context,
        graphql::person_suggestions::Variables { id: id.to_owned() },
    )
    .await
    {
        Ok(d) => d,
        Err(e) => return visit.failure(&e),
    };
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SuggestionsPage {
        tabs: person_tabs(lang, id, staff, "/suggestions"),
        layout,
        id: id.to_owned(),
        name: data.person.display_name,
        suggestions: data
            .referral_suggestions
            .into_iter()
            .map(|s| SuggestionView {
                id: s.id,
                title: s.title,
                reason: s.reason,
                plugin: s.plugin,
                when: format::instant(&s.created_at),
            })
            .collect(),
    };
    (status, render(&page)).into_response()
}

pub async fn dismiss_suggestion(
    Path((person, suggestion)): Path<(String, String)>,
    staff: Staff,
    posted: Posted,
) -> Response {
    let visit = &posted.visit;
    let reason = posted.get("reason");
    let mut layout = visit.layout(String::new(), Some(&staff));
    if reason.is_empty() {
        layout.errors.push(FormError {
            field: format!("reason-{suggestion}"),
            text: visit.t("problem-dismiss-reason"),
        });
        return suggestions_page(visit, &staff, &person, layout).await;
    }
    match graphql::run::<graphql::DismissSuggestion>(
        &visit.state.schema,
        &visit.context,
        graphql::dismiss_suggestion::Variables {
            id: suggestion,
            reason,
        },
    )
    .await
    {
        Ok(_) => see_other(&format!("/people/{person}/suggestions?done=dismissed")),
        Err(e) => visit.failure(&e),
    }
}
