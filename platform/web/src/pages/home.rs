//! Αρχική: the day of the staff member who logged in.

use askama::Template;
use axum::response::Response;

use crate::format;
use crate::graphql::{self, Home, MyCases};
use crate::i18n;
use crate::view::{Layout, Visit, render};
use kentro_domain::names::sort_key;

struct CaseRow {
    href: String,
    person: String,
    status: String,
    status_code: String,
    since: String,
}

struct AppointmentRow {
    time: String,
    person: String,
    person_href: String,
    kind: String,
    status: String,
    status_code: String,
    room: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    name: String,
    shows_cases: bool,
    cases: Vec<CaseRow>,
    appointments: Vec<AppointmentRow>,
    may_register: bool,
}

pub async fn show(visit: Visit) -> Response {
    let staff = match visit.staff().await {
        Ok(staff) => staff,
        Err(to_login) => return to_login,
    };
    let today = format::today();
    let shows_cases = staff.may("MANAGE_CASES");
    let data = match graphql::run::<Home>(
        &visit.state.schema,
        &visit.context,
        graphql::home::Variables {
            me: staff.id.clone(),
            today: today.to_string(),
            tomorrow: today.succ_opt().unwrap_or(today).to_string(),
        },
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    let lang = visit.lang;
    let my_cases = if shows_cases {
        match graphql::run::<MyCases>(
            &visit.state.schema,
            &visit.context,
            graphql::my_cases::Variables {
                me: staff.id.clone(),
            },
        )
        .await
        {
            Ok(data) => data.cases.nodes,
            Err(e) => return visit.failure(&e),
        }
    } else {
        Vec::new()
    };
    let mut cases: Vec<CaseRow> = my_cases
        .into_iter()
        .filter(|c| !matches!(c.status, graphql::my_cases::CaseStatus::CLOSED))
        .map(|c| {
            let status_code = i18n::wire(&c.status);
            CaseRow {
                href: format!("/people/{}", c.person.id),
                person: c.person.display_name,
                status: i18n::label(lang, "case-status", &status_code),
                status_code: status_code.to_lowercase(),
                since: format::date(&c.request_date),
            }
        })
        .collect();
    cases.sort_by_key(|c| sort_key(&c.person));
    let appointments = data
        .calendar
        .into_iter()
        .map(|a| {
            let status_code = i18n::wire(&a.status);
            AppointmentRow {
                time: format!(
                    "{}–{}",
                    format::clock(&a.starts_at),
                    format::clock(&a.ends_at)
                ),
                person_href: format!("/people/{}", a.person.id),
                person: a.person.display_name,
                kind: i18n::label(lang, "appointment-kind", &i18n::wire(&a.kind)),
                status: i18n::label(lang, "appointment-status", &status_code),
                status_code: status_code.to_lowercase(),
                room: a.room.unwrap_or_default(),
            }
        })
        .collect();
    let page = HomePage {
        layout: visit.layout(i18n::message(lang, "home-title", &[]), Some(&staff)),
        name: staff.name.clone(),
        shows_cases,
        cases,
        appointments,
        may_register: staff.may("REGISTER_PEOPLE"),
    };
    render(&page)
}
