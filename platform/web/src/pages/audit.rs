//! Διαχείριση → Ημερολόγιο ενεργειών: the center's audit log, filtered by
//! person, colleague, action or dates, a page at a time, and as a CSV file
//! (a person's access history, for a GDPR request or a complaint).

use std::collections::HashMap;

use askama::Template;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kentro_domain::spreadsheet::csv_line;
use serde_json::json;

use crate::format;
use crate::graphql::{self, ApiErrors};
use crate::i18n::{self, Lang};
use crate::pages::people::Choice;
use crate::problems;
use crate::view::{FormError, Layout, Staff, Visit, render};

/// The actions a coordinator looks for most, in the filter's list.
const COMMON_ACTIONS: [&str; 12] = [
    "person.read",
    "person.register",
    "person.update",
    "person.merge",
    "case.read",
    "case.notes_read",
    "referral.sent",
    "session.login",
    "account.invite",
    "account.role_changed",
    "account.disable",
    "tenant.suspended",
];

/// Entries a CSV file holds at most.
const CSV_LIMIT: usize = 2000;

/// The filter as the page's form (and its links) carry it.
#[derive(Default, Clone)]
struct Filter {
    action: String,
    actor: String,
    person: String,
    from: String,
    to: String,
}

impl Filter {
    fn from_query(params: &HashMap<String, String>) -> Filter {
        let get = |k: &str| {
            params
                .get(k)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        Filter {
            action: get("action"),
            actor: get("actor"),
            person: get("person"),
            from: get("from"),
            to: get("to"),
        }
    }

    /// The contract's `AuditLogFilter`.
    fn variables(&self) -> serde_json::Value {
        let some = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        json!({
            "action": some(&self.action),
            "actor": some(&self.actor),
            "personId": some(&self.person),
            "from": some(&self.from).map(|d| format::typed_date(&d)),
            "to": some(&self.to).map(|d| format::typed_date(&d)),
        })
    }

    /// The query string of this filter, for links.
    fn query(&self) -> String {
        serde_urlencoded::to_string([
            ("action", &self.action),
            ("actor", &self.actor),
            ("person", &self.person),
            ("from", &self.from),
            ("to", &self.to),
        ])
        .unwrap_or_default()
    }
}

struct EntryRow {
    at: String,
    actor: String,
    role: String,
    action: String,
    entity: String,
    purpose: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    layout: Layout,
    actions: Vec<Choice>,
    actors: Vec<Choice>,
    person: String,
    from: String,
    to: String,
    rows: Vec<EntryRow>,
    older: Option<String>,
    csv: String,
}

/// An action in words, or as recorded when the catalogue has no words.
fn action_label(lang: Lang, action: &str) -> String {
    let id = format!("audit-action-{}", action.replace(['.', '_'], "-"));
    if i18n::has(lang, &id) {
        i18n::message(lang, &id, &[])
    } else {
        action.to_owned()
    }
}

async fn fetch(
    visit: &Visit,
    filter: &Filter,
    first: i64,
    after: Option<String>,
) -> Result<graphql::admin_audit::ResponseData, ApiErrors> {
    let variables = json!({ "filter": filter.variables(), "first": first, "after": after });
    let variables = serde_json::from_value(variables).map_err(|e| {
        ApiErrors(vec![graphql::ApiError {
            code: "INTERNAL".into(),
            message: e.to_string(),
            fields: Vec::new(),
            field: None,
            existing_person_id: None,
        }])
    })?;
    graphql::run::<graphql::AdminAudit>(&visit.state.schema, &visit.context, variables).await
}

/// The filter's problems beside its fields (`filter.from` → `from`).
fn filter_errors(visit: &Visit, errors: &ApiErrors) -> Vec<FormError> {
    problems::form_errors(visit.lang, errors)
        .into_iter()
        .map(|mut e| {
            if e.field == "personId" {
                e.field = "person".into();
            }
            e
        })
        .collect()
}

pub async fn show(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let filter = Filter::from_query(&params);
    let mut layout = visit.layout(visit.t("audit-title"), Some(&staff));
    let lang = visit.lang;
    let after = params.get("after").cloned().filter(|a| !a.is_empty());
    let (rows, older, users) = match fetch(&visit, &filter, 50, after).await {
        Ok(data) => {
            let older = data
                .audit_log
                .page_info
                .has_next_page
                .then_some(data.audit_log.page_info.end_cursor)
                .flatten()
                .map(|cursor| format!("/admin/audit?{}&after={cursor}", filter.query()));
            let rows = data
                .audit_log
                .edges
                .into_iter()
                .map(|edge| {
                    let e = edge.node;
                    EntryRow {
                        at: format::instant(&e.at),
                        role: i18n::label(lang, "role", &e.actor_role.to_uppercase()),
                        actor: e.actor,
                        action: action_label(lang, &e.action),
                        entity: format!("{} {}", e.entity_type, e.entity_id),
                        purpose: e.purpose,
                    }
                })
                .collect();
            (rows, older, data.users.edges)
        }
        Err(e) if e.has("VALIDATION") => {
            layout.errors = filter_errors(&visit, &e);
            (Vec::new(), None, Vec::new())
        }
        Err(e) => return visit.failure(&e),
    };
    let mut actions: Vec<Choice> = COMMON_ACTIONS
        .iter()
        .map(|a| Choice {
            value: (*a).to_owned(),
            label: action_label(lang, a),
            selected: *a == filter.action,
        })
        .collect();
    if !filter.action.is_empty() && !COMMON_ACTIONS.contains(&filter.action.as_str()) {
        actions.push(Choice {
            value: filter.action.clone(),
            label: action_label(lang, &filter.action),
            selected: true,
        });
    }
    let actors = users
        .into_iter()
        .map(|edge| Choice {
            selected: edge.node.id == filter.actor,
            value: edge.node.id,
            label: edge.node.name,
        })
        .collect();
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AuditPage {
        layout,
        csv: format!("/admin/audit.csv?{}", filter.query()),
        actions,
        actors,
        person: filter.person,
        from: filter.from,
        to: filter.to,
        rows,
        older,
    };
    (status, render(&page)).into_response()
}

/// The same entries as a CSV file, in the reader's language.
pub async fn csv(
    visit: Visit,
    _staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let filter = Filter::from_query(&params);
    let lang = visit.lang;
    let mut out = csv_line(
        &[
            "audit-col-at",
            "audit-col-actor",
            "audit-col-role",
            "audit-col-action",
            "audit-col-entity",
            "audit-col-purpose",
        ]
        .map(|id| visit.t(id)),
    );
    let mut after = None;
    let mut written = 0;
    loop {
        let data = match fetch(&visit, &filter, 100, after).await {
            Ok(data) => data,
            Err(e) if e.has("VALIDATION") => {
                return visit.problem(StatusCode::UNPROCESSABLE_ENTITY, "audit-csv-bad-filter");
            }
            Err(e) => return visit.failure(&e),
        };
        for edge in data.audit_log.edges {
            let e = edge.node;
            out.push_str(&csv_line(&[
                format::instant(&e.at),
                e.actor,
                i18n::label(lang, "role", &e.actor_role.to_uppercase()),
                action_label(lang, &e.action),
                format!("{} {}", e.entity_type, e.entity_id),
                e.purpose,
            ]));
            written += 1;
        }
        let page = data.audit_log.page_info;
        match page.end_cursor {
            Some(cursor) if page.has_next_page && written < CSV_LIMIT => after = Some(cursor),
            _ => break,
        }
    }
    let mut response = (StatusCode::OK, out).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"kentro-audit.csv\""),
    );
    response
}
