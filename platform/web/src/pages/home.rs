//! Αρχική: the day of the staff member who logged in.

use askama::Template;
use axum::response::Response;

use crate::format;
use crate::graphql::{self, Home, HomeReferrals, MyCases};
use crate::i18n;
use crate::view::{Layout, Staff, Visit, render};
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

struct ReferralRow {
    href: String,
    person: String,
    service: String,
    status: String,
    status_code: String,
    when: String,
}

struct KeaRow {
    href: String,
    household: String,
    missing: usize,
    expired: usize,
}

struct SuggestionRow {
    href: String,
    title: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    kea: Vec<KeaRow>,
    suggestions: Vec<SuggestionRow>,
    shows_referrals: bool,
    overdue: Vec<ReferralRow>,
    updated: Vec<ReferralRow>,
    layout: Layout,
    name: String,
    shows_cases: bool,
    cases: Vec<CaseRow>,
    appointments: Vec<AppointmentRow>,
    may_register: bool,
}

/// The cookie that remembers when the staff member last saw the home page,
/// so that referrals updated since are shown.
const SEEN_COOKIE: &str = "kentro_home_seen";

pub async fn show(visit: Visit, staff: Staff, headers: axum::http::HeaderMap) -> Response {
    // An overseer's day is the dashboard: they have no people or cases.
    if staff.may("VIEW_CROSS_TENANT_AGGREGATES") {
        return crate::view::see_other("/oversight");
    }
    // The platform admin's is the municipalities and their readiness.
    if staff.may("MANAGE_TENANTS") {
        return crate::view::see_other("/municipalities");
    }
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
    let shows_referrals = staff.may("MAKE_REFERRALS");
    let last_seen = crate::session::cookie(&headers, SEEN_COOKIE)
        .and_then(|seen| chrono::DateTime::parse_from_rfc3339(&seen).ok());
    let changed_since = |at: &str| {
        let at = chrono::DateTime::parse_from_rfc3339(at).ok();
        matches!((last_seen, at), (Some(seen), Some(at)) if at > seen)
    };
    let (mut overdue, mut updated) = (Vec::new(), Vec::new());
    if shows_referrals {
        match graphql::run::<HomeReferrals>(
            &visit.state.schema,
            &visit.context,
            graphql::home_referrals::Variables {},
        )
        .await
        {
            Ok(data) => {
                let row = |id: String,
                           person: graphql::home_referrals::HomeReferralsOverdueNodesPerson,
                           service: String,
                           status: String,
                           when: &str| ReferralRow {
                    href: format!("/referrals/{id}"),
                    person: person.display_name,
                    service,
                    status: i18n::label(lang, "referral-status", &status),
                    status_code: status.to_lowercase(),
                    when: format::instant(when),
                };
                overdue = data
                    .overdue
                    .nodes
                    .into_iter()
                    .map(|r| {
                        let when = r.deadline_at.clone().unwrap_or_default();
                        row(r.id, r.person, r.service.name, i18n::wire(&r.status), &when)
                    })
                    .collect();
                updated = data
                    .recent
                    .nodes
                    .into_iter()
                    .filter(|r| changed_since(&r.updated_at))
                    .map(|r| ReferralRow {
                        href: format!("/referrals/{}", r.id),
                        person: r.person.display_name,
                        service: r.service.name,
                        status: i18n::label(lang, "referral-status", &i18n::wire(&r.status)),
                        status_code: i18n::wire(&r.status).to_lowercase(),
                        when: format::instant(&r.updated_at),
                    })
                    .collect();
            }
            Err(e) => return visit.failure(&e),
        }
    }
    let (mut kea, mut suggestions) = (Vec::new(), Vec::new());
    if shows_cases {
        match graphql::run::<graphql::HomeCasework>(
            &visit.state.schema,
            &visit.context,
            graphql::home_casework::Variables {},
        )
        .await
        {
            Ok(data) => {
                kea = data
                    .kea_applications
                    .into_iter()
                    .map(|a| {
                        let count = |status: &str| {
                            a.checklist
                                .iter()
                                .filter(|c| i18n::wire(&c.status) == status)
                                .count()
                        };
                        KeaRow {
                            missing: count("MISSING"),
                            expired: count("EXPIRED"),
                            href: format!("/kea/{}", a.id),
                            household: a
                                .household
                                .members
                                .first()
                                .map(|m| m.person.display_name.clone())
                                .unwrap_or_default(),
                        }
                    })
                    .filter(|k| k.missing + k.expired > 0)
                    .collect();
                suggestions = data
                    .pending_suggestions
                    .into_iter()
                    .map(|s| SuggestionRow {
                        href: format!("/people/{}/suggestions", s.person_id),
                        title: s.title,
                        reason: s.reason,
                    })
                    .collect();
            }
            Err(e) => return visit.failure(&e),
        }
    }
    let page = HomePage {
        kea,
        suggestions,
        shows_referrals,
        overdue,
        updated,
        layout: {
            let mut layout = visit.layout(i18n::message(lang, "home-title", &[]), Some(&staff));
            // The first page after accepting an invitation.
            if visit.path == "/?welcome" {
                layout.notice = Some(visit.t("notice-welcome"));
            }
            if visit.path == "/?password-reset" {
                layout.notice = Some(visit.t("notice-password-reset"));
            }
            layout
        },
        name: staff.name.clone(),
        shows_cases,
        cases,
        appointments,
        may_register: staff.may("REGISTER_PEOPLE"),
    };
    let mut response = render(&page);
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    response.headers_mut().append(
        axum::http::header::SET_COOKIE,
        crate::session::set_cookie(
            SEEN_COOKIE,
            &now,
            visit.state.secure_cookies,
            Some(90 * 24 * 3600),
        ),
    );
    response
}
