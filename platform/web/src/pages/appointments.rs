//! Ημερολόγιο: booking an appointment and the day or week of a colleague.

use std::collections::HashMap;

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration, NaiveDate};
use serde_json::json;

use crate::format;
use crate::graphql::{self, BookAppointment, BookingForm, Calendar};
use crate::i18n;
use crate::pages::people::{Choice, ChoiceField};
use crate::problems;
use crate::view::{Layout, Posted, Staff, Visit, render, see_other};

const DURATIONS: [&str; 4] = ["30", "45", "60", "90"];

#[derive(Template)]
#[template(path = "booking_form.html")]
struct BookingPage {
    layout: Layout,
    person_id: String,
    person_name: String,
    values: HashMap<String, String>,
    staff: ChoiceField,
    centers: ChoiceField,
    kinds: ChoiceField,
    durations: ChoiceField,
    hours: Vec<String>,
}

impl BookingPage {
    fn v(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }
}

async fn booking_page(
    visit: &Visit,
    person_id: &str,
    values: HashMap<String, String>,
    mut layout: Layout,
) -> Response {
    let data = match graphql::run::<BookingForm>(
        &visit.state.schema,
        &visit.context,
        graphql::booking_form::Variables {
            person: person_id.to_owned(),
        },
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    let lang = visit.lang;
    let selected = |name: &str, value: &str| values.get(name).is_some_and(|v| v == value);
    layout.title = i18n::message(lang, "booking-title", &[]);
    let colleagues = ChoiceField {
        name: "staffId",
        label: i18n::message(lang, "field-staffId", &[]),
        choices: data
            .colleagues
            .iter()
            .map(|c| Choice {
                value: c.id.clone(),
                label: format!(
                    "{} — {}",
                    c.name,
                    i18n::label(lang, "role", &i18n::wire(&c.role))
                ),
                selected: selected("staffId", &c.id),
            })
            .collect(),
        error: layout.error_for("staffId").map(str::to_owned),
    };
    let centers_list = data.my_tenant.map(|t| t.centers).unwrap_or_default();
    let hours = centers_list
        .iter()
        .map(|c| {
            let days = c
                .opening_hours
                .iter()
                .map(|d| {
                    let ranges = d
                        .ranges
                        .iter()
                        .map(|r| format!("{}–{}", r.opens, r.closes))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!(
                        "{} {ranges}",
                        i18n::label(lang, "weekday", &i18n::wire(&d.weekday))
                    )
                })
                .collect::<Vec<_>>()
                .join(" · ");
            format!("{}: {days}", c.name)
        })
        .collect();
    let centers = ChoiceField {
        name: "centerKey",
        label: i18n::message(lang, "field-centerKey", &[]),
        choices: centers_list
            .iter()
            .enumerate()
            .map(|(i, c)| Choice {
                value: c.key.clone(),
                label: c.name.clone(),
                selected: selected("centerKey", &c.key)
                    || (i == 0 && !values.contains_key("centerKey")),
            })
            .collect(),
        error: layout.error_for("centerKey").map(str::to_owned),
    };
    let kinds = ChoiceField {
        name: "kind",
        label: i18n::message(lang, "field-kind", &[]),
        choices: ["INTAKE", "COUNSELLING"]
            .into_iter()
            .map(|k| Choice {
                value: k.to_owned(),
                label: i18n::label(lang, "appointment-kind", k),
                selected: selected("kind", k) || (k == "INTAKE" && !values.contains_key("kind")),
            })
            .collect(),
        error: layout.error_for("kind").map(str::to_owned),
    };
    let durations = ChoiceField {
        name: "durationMinutes",
        label: i18n::message(lang, "field-durationMinutes", &[]),
        choices: DURATIONS
            .into_iter()
            .map(|d| Choice {
                value: d.to_owned(),
                label: i18n::message(lang, "minutes", &[("minutes", d)]),
                selected: selected("durationMinutes", d)
                    || (d == "45" && !values.contains_key("durationMinutes")),
            })
            .collect(),
        error: layout.error_for("durationMinutes").map(str::to_owned),
    };
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = BookingPage {
        layout,
        person_id: data.person.id,
        person_name: data.person.display_name,
        values,
        staff: colleagues,
        centers,
        kinds,
        durations,
        hours,
    };
    (status, render(&page)).into_response()
}

pub async fn new_form(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(person) = params.get("person").cloned() else {
        return visit.problem(StatusCode::NOT_FOUND, "error-not-found");
    };
    let layout = visit.layout(String::new(), Some(&staff));
    booking_page(&visit, &person, HashMap::new(), layout).await
}

pub async fn book(staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    let values: HashMap<String, String> = posted
        .fields
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.clone(), v.trim().to_owned()))
        .collect();
    let person = posted.get("personId");
    let duration: i64 = posted.get("durationMinutes").parse().unwrap_or(0);
    let room = posted.optional("room");
    let input = json!({
        "personId": person,
        "staffId": posted.get("staffId"),
        "centerKey": posted.get("centerKey"),
        "room": room,
        "kind": posted.get("kind"),
        "slot": {
            "date": format::typed_date(&posted.get("date")),
            "startTime": posted.get("startTime"),
            "durationMinutes": duration,
        }
    });
    let mut layout = visit.layout(String::new(), Some(&staff));
    match serde_json::from_value(input) {
        Ok(input) => match graphql::run::<BookAppointment>(
            &visit.state.schema,
            &visit.context,
            graphql::book_appointment::Variables { input },
        )
        .await
        {
            Ok(_) => return see_other(&format!("/people/{person}?done=booked")),
            Err(e) if e.has("VALIDATION") || e.has("CONFLICT") => {
                layout.errors = problems::form_errors(visit.lang, &e);
            }
            Err(e) => return visit.failure(&e),
        },
        Err(_) => return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form"),
    }
    booking_page(visit, &person, values, layout).await
}

struct CalendarRow {
    time: String,
    person: String,
    person_href: String,
    staff: String,
    kind: String,
    status: String,
    status_code: String,
    room: String,
}

struct CalendarDay {
    title: String,
    /// Each center closed that day although its hours say open, and why.
    closed: Vec<String>,
    rows: Vec<CalendarRow>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    layout: Layout,
    days: Vec<CalendarDay>,
    week: bool,
    date: String,
    previous: String,
    next: String,
    staff_choice: ChoiceField,
}

pub async fn calendar(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let lang = visit.lang;
    let date = params
        .get("date")
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(format::today);
    let week = params.get("view").is_some_and(|v| v == "week");
    let from = if week {
        date - Duration::days(date.weekday().num_days_from_monday().into())
    } else {
        date
    };
    let span = if week { 7 } else { 1 };
    let to = from + Duration::days(span);
    let chosen_staff = params.get("staff").filter(|s| !s.is_empty()).cloned();
    let data = match graphql::run::<Calendar>(
        &visit.state.schema,
        &visit.context,
        graphql::calendar::Variables {
            from: from.to_string(),
            to: to.to_string(),
            staff: chosen_staff.clone(),
            first_day: from.to_string(),
            last_day: (to - Duration::days(1)).to_string(),
        },
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    let colleagues = colleagues(&visit).await;
    let closed: Vec<(String, String, String)> = data
        .my_tenant
        .into_iter()
        .flat_map(|tenant| tenant.centers)
        .flat_map(|center| {
            let name = center.name;
            center
                .closed_days
                .into_iter()
                .map(move |day| (day.date, name.clone(), day.reason))
        })
        .collect();
    let mut days: Vec<CalendarDay> = (0..span)
        .map(|offset| {
            let day = from + Duration::days(offset);
            CalendarDay {
                title: format!(
                    "{} {}",
                    i18n::label(lang, "weekday", &weekday_code(day)),
                    day.format("%d/%m/%Y")
                ),
                closed: closed
                    .iter()
                    .filter(|(date, ..)| *date == day.to_string())
                    .map(|(_, center, reason)| {
                        i18n::message(
                            lang,
                            "calendar-closed",
                            &[("center", center), ("reason", reason)],
                        )
                    })
                    .collect(),
                rows: Vec::new(),
            }
        })
        .collect();
    for a in data.calendar {
        let day = NaiveDate::parse_from_str(&a.starts_at[..10.min(a.starts_at.len())], "%Y-%m-%d")
            .unwrap_or(from);
        let index = (day - from).num_days();
        let Some(slot) = usize::try_from(index).ok().and_then(|i| days.get_mut(i)) else {
            continue;
        };
        let status_code = i18n::wire(&a.status);
        slot.rows.push(CalendarRow {
            time: format!(
                "{}–{}",
                format::clock(&a.starts_at),
                format::clock(&a.ends_at)
            ),
            person_href: format!("/people/{}", a.person.id),
            person: a.person.display_name,
            staff: a.staff.map(|s| s.name).unwrap_or_default(),
            kind: i18n::label(lang, "appointment-kind", &i18n::wire(&a.kind)),
            status: i18n::label(lang, "appointment-status", &status_code),
            status_code: status_code.to_lowercase(),
            room: a.room.unwrap_or_default(),
        });
    }
    let step = Duration::days(span);
    let view = if week { "&view=week" } else { "" };
    let staff_query = chosen_staff
        .as_deref()
        .map(|s| format!("&staff={s}"))
        .unwrap_or_default();
    let mut staff_choices = vec![Choice {
        value: String::new(),
        label: i18n::message(lang, "calendar-everyone", &[]),
        selected: chosen_staff.is_none(),
    }];
    staff_choices.extend(colleagues.into_iter().map(|(id, name)| Choice {
        selected: chosen_staff.as_deref() == Some(id.as_str()),
        value: id.clone(),
        label: name,
    }));
    let page = CalendarPage {
        layout: visit.layout(i18n::message(lang, "calendar-title", &[]), Some(&staff)),
        days,
        week,
        date: date.to_string(),
        previous: format!("/calendar?date={}{view}{staff_query}", from - step),
        next: format!("/calendar?date={}{view}{staff_query}", from + step),
        staff_choice: ChoiceField {
            name: "staff",
            label: i18n::message(lang, "field-staffId", &[]),
            choices: staff_choices,
            error: None,
        },
    };
    render(&page)
}

fn weekday_code(day: NaiveDate) -> String {
    match day.weekday() {
        chrono::Weekday::Mon => "MONDAY",
        chrono::Weekday::Tue => "TUESDAY",
        chrono::Weekday::Wed => "WEDNESDAY",
        chrono::Weekday::Thu => "THURSDAY",
        chrono::Weekday::Fri => "FRIDAY",
        chrono::Weekday::Sat => "SATURDAY",
        chrono::Weekday::Sun => "SUNDAY",
    }
    .to_owned()
}

/// The colleagues to pick in the calendar, by name.
async fn colleagues(visit: &Visit) -> Vec<(String, String)> {
    graphql::run::<graphql::Colleagues>(
        &visit.state.schema,
        &visit.context,
        graphql::colleagues::Variables {},
    )
    .await
    .map(|d| d.colleagues.into_iter().map(|c| (c.id, c.name)).collect())
    .unwrap_or_default()
}

struct PersonAppointment {
    id: String,
    when: String,
    kind: String,
    staff: String,
    room: String,
    status: String,
    status_code: String,
    booked: bool,
    /// What was typed in its reschedule form, when that failed.
    typed_date: String,
    typed_time: String,
}

#[derive(Template)]
#[template(path = "person_appointments.html")]
struct PersonAppointmentsPage {
    layout: Layout,
    id: String,
    name: String,
    tabs: Vec<crate::pages::casework::Tab>,
    appointments: Vec<PersonAppointment>,
}

/// The card's Ραντεβού tab: each booking with its slip, and for a booked
/// one: reschedule, cancel, record attendance.
pub async fn person_appointments(
    visit: &Visit,
    staff: &crate::view::Staff,
    id: &str,
    layout: Layout,
) -> Response {
    person_appointments_typed(visit, staff, id, layout, None).await
}

/// The same, keeping what was typed into one appointment's reschedule form
/// (appointment, date, time).
async fn person_appointments_typed(
    visit: &Visit,
    staff: &crate::view::Staff,
    id: &str,
    mut layout: Layout,
    typed: Option<(&str, String, String)>,
) -> Response {
    let lang = visit.lang;
    let person = match graphql::run::<graphql::PersonAppointments>(
        &visit.state.schema,
        &visit.context,
        graphql::person_appointments::Variables { id: id.to_owned() },
    )
    .await
    {
        Ok(d) => d.person,
        Err(e) => return visit.failure(&e),
    };
    layout.title = format!(
        "{} · {}",
        i18n::message(lang, "card-tab-appointments", &[]),
        person.display_name
    );
    let appointments = person
        .appointments
        .into_iter()
        .map(|a| {
            let status = i18n::wire(&a.status);
            PersonAppointment {
                when: format!(
                    "{} {}–{}",
                    format::date(a.starts_at.get(..10).unwrap_or_default()),
                    format::clock(&a.starts_at),
                    format::clock(&a.ends_at)
                ),
                kind: i18n::label(lang, "appointment-kind", &i18n::wire(&a.kind)),
                staff: a.staff.map(|s| s.name).unwrap_or_default(),
                room: a.room.unwrap_or_default(),
                status: i18n::label(lang, "appointment-status", &status),
                booked: status == "BOOKED",
                status_code: status.to_lowercase(),
                typed_date: typed
                    .as_ref()
                    .filter(|t| t.0 == a.id)
                    .map(|t| t.1.clone())
                    .unwrap_or_default(),
                typed_time: typed
                    .as_ref()
                    .filter(|t| t.0 == a.id)
                    .map(|t| t.2.clone())
                    .unwrap_or_default(),
                id: a.id,
            }
        })
        .collect();
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PersonAppointmentsPage {
        tabs: crate::pages::casework::person_tabs(lang, id, staff, "/appointments"),
        layout,
        id: id.to_owned(),
        name: person.display_name,
        appointments,
    };
    (status, render(&page)).into_response()
}

/// Cancels, records attendance of, or moves one booking.
pub async fn change(
    axum::extract::Path((person, appointment, action)): axum::extract::Path<(
        String,
        String,
        String,
    )>,
    staff: Staff,
    posted: Posted,
) -> Response {
    let visit = &posted.visit;
    let schema = &visit.state.schema;
    let ctx = &visit.context;
    let id = appointment.clone();
    let outcome = match action.as_str() {
        "cancel" => graphql::run::<graphql::CancelAppointment>(
            schema,
            ctx,
            graphql::cancel_appointment::Variables { id },
        )
        .await
        .map(|_| ()),
        "kept" | "missed" => graphql::run::<graphql::RecordAttendance>(
            schema,
            ctx,
            graphql::record_attendance::Variables {
                id,
                kept: action == "kept",
            },
        )
        .await
        .map(|_| ()),
        "reschedule" => {
            let slot = json!({
                "date": format::typed_date(&posted.get("date")),
                "startTime": posted.get("startTime"),
                "durationMinutes": posted.get("durationMinutes").parse::<i64>().unwrap_or(45),
            });
            match serde_json::from_value(slot) {
                Ok(slot) => graphql::run::<graphql::RescheduleAppointment>(
                    schema,
                    ctx,
                    graphql::reschedule_appointment::Variables { id, slot },
                )
                .await
                .map(|_| ()),
                Err(_) => return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form"),
            }
        }
        _ => return visit.problem(StatusCode::NOT_FOUND, "error-not-found"),
    };
    match outcome {
        Ok(()) => see_other(&format!("/people/{person}/appointments?done={action}")),
        Err(e) if e.has("VALIDATION") || e.has("CONFLICT") || e.has("INVALID_TRANSITION") => {
            let mut layout = visit.layout(String::new(), Some(&staff));
            layout.errors = problems::form_errors(visit.lang, &e);
            for error in &mut layout.errors {
                error.field = format!("{}-{}", error.field, appointment);
            }
            if layout.errors.is_empty() || e.has("INVALID_TRANSITION") {
                layout.errors = vec![crate::view::FormError {
                    field: format!("date-{appointment}"),
                    text: visit.t("problem-appointment-move"),
                }];
            }
            let typed = (
                appointment.as_str(),
                posted.get("date"),
                posted.get("startTime"),
            );
            person_appointments_typed(visit, &staff, &person, layout, Some(typed)).await
        }
        Err(e) => visit.failure(&e),
    }
}
