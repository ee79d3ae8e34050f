//! The page a partner without an account answers a referral on:
//! `/partner/referrals/{token}`. It shows only the envelope the sender
//! chose, and the answers the referral's state allows. Unknown tokens are
//! 404, expired or revoked ones 410; every opening and answer is audited by
//! the store.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kentro_domain::referral::{ReferralResponse, ReferralStatus};
use kentro_store::{Event, StoreError};
use serde::Deserialize;
use serde_json::Value;

use crate::http::AppState;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's look, served from this origin so the content security
/// policy needs no inline styles.
const STYLESHEET: &str = "body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
dt{font-weight:bold}form{border:1px solid #999;padding:1rem;margin:1rem 0}\
label{display:block;margin:.5rem 0 .25rem}textarea,select{width:100%}\n";

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        STYLESHEET,
    )
        .into_response()
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"el\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/assets/partner.css\">\
         </head><body><main>{body}</main></body></html>",
        title = escape(title),
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(html),
    )
        .into_response()
}

fn failure(error: &StoreError) -> Response {
    match error {
        StoreError::NotFound { .. } => page(
            StatusCode::NOT_FOUND,
            "Δεν βρέθηκε / Not found",
            "<h1>Δεν βρέθηκε</h1><p>Ο σύνδεσμος δεν υπάρχει. / This link does not exist.</p>",
        ),
        StoreError::Gone { what } => page(
            StatusCode::GONE,
            "Ο σύνδεσμος έληξε / Link no longer valid",
            &format!(
                "<h1>Ο σύνδεσμος δεν ισχύει πια</h1><p>{}</p>\
                 <p>Επικοινωνήστε με το Κέντρο Κοινότητας που σας έστειλε την παραπομπή. \
                 / Please contact the Community Center that sent the referral.</p>",
                escape(what)
            ),
        ),
        StoreError::InvalidReferralTransition(e) => page(
            StatusCode::CONFLICT,
            "Δεν επιτρέπεται / Not allowed",
            &format!("<h1>Δεν επιτρέπεται</h1><p>{}</p>", escape(&e.to_string())),
        ),
        other => {
            tracing::error!(error = %other, "partner link failed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Σφάλμα / Error",
                "<h1>Προσωρινό σφάλμα</h1><p>Δοκιμάστε ξανά σε λίγο. / Please try again shortly.</p>",
            )
        }
    }
}

fn label(key: &str) -> &str {
    match key {
        "name" => "Ονοματεπώνυμο / Name",
        "birth_date" => "Ημερομηνία γέννησης / Birth date",
        "phone" => "Τηλέφωνο / Phone",
        "email" => "E-mail",
        "address" => "Διεύθυνση / Address",
        "amka" => "ΑΜΚΑ",
        "afm" => "ΑΦΜ",
        "household" => "Νοικοκυριό / Household",
        "request" => "Αίτημα / Request",
        "special_categories" => "Ειδικές κατηγορίες / Special categories",
        other => other,
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => escape(s),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}: {}", escape(k), show(v)))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        other => escape(&other.to_string()),
    }
}

const DECLINE_REASONS: &[(&str, &str)] = &[
    ("no_capacity", "Δεν υπάρχει διαθεσιμότητα / No capacity"),
    ("not_eligible", "Δεν πληροί τα κριτήρια / Not eligible"),
    ("out_of_area", "Εκτός περιοχής / Out of area"),
    (
        "person_unreachable",
        "Ο ωφελούμενος δεν εντοπίστηκε / Person unreachable",
    ),
    ("other", "Άλλο (εξηγήστε) / Other (explain)"),
];

const NOT_COMPLETED_REASONS: &[(&str, &str)] = &[
    ("person_did_not_attend", "Δεν προσήλθε / Did not attend"),
    ("person_withdrew", "Αποχώρησε / Withdrew"),
    (
        "service_unavailable",
        "Η υπηρεσία δεν ήταν διαθέσιμη / Service unavailable",
    ),
    ("other", "Άλλο (εξηγήστε) / Other (explain)"),
];

fn form(action: &str, button: &str, reasons: Option<&[(&str, &str)]>) -> String {
    let id = format!("note-{action}");
    let reasons = reasons
        .map(|reasons| {
            let options: String = reasons
                .iter()
                .map(|(code, text)| format!("<option value=\"{code}\">{text}</option>"))
                .collect();
            format!(
                "<label for=\"reason-{action}\">Αιτία / Reason</label>\
                 <select id=\"reason-{action}\" name=\"reason\" required>{options}</select>"
            )
        })
        .unwrap_or_default();
    format!(
        "<form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"{action}\">{reasons}\
         <label for=\"{id}\">Σημείωση / Note</label><textarea id=\"{id}\" name=\"note\" rows=\"2\"></textarea>\
         <p><button type=\"submit\">{button}</button></p></form>"
    )
}

pub async fn show_referral(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let view = match state.services.store.referrals().open_link(&token).await {
        Ok(view) => view,
        Err(e) => return failure(&e),
    };
    let r = &view.referral;
    let envelope = r
        .envelope
        .as_ref()
        .and_then(Value::as_object)
        .map(|fields| {
            fields
                .iter()
                .map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", escape(label(k)), show(v)))
                .collect::<String>()
        })
        .unwrap_or_default();
    let actions = match r.status {
        ReferralStatus::Sent => [
            form("accept", "Αποδοχή / Accept", None),
            form("decline", "Απόρριψη / Decline", Some(DECLINE_REASONS)),
        ]
        .concat(),
        ReferralStatus::Accepted => form("start", "Έναρξη εξυπηρέτησης / Service started", None),
        ReferralStatus::InProgress => [
            form("complete", "Ολοκληρώθηκε / Completed", None),
            form(
                "not_complete",
                "Δεν ολοκληρώθηκε / Not completed",
                Some(NOT_COMPLETED_REASONS),
            ),
        ]
        .concat(),
        _ => "<p>Η παραπομπή έχει κλείσει. / This referral is closed.</p>".to_owned(),
    };
    let body = format!(
        "<h1>Παραπομπή / Referral</h1>\
         <p>Από / From: {tenant}</p>\
         <dl><dt>Υπηρεσία / Service</dt><dd>{service}</dd>\
         <dt>Κατάσταση / Status</dt><dd id=\"status\">{status}</dd>\
         <dt>Επείγον / Urgency</dt><dd>{urgency}</dd>\
         <dt>Απάντηση έως / Answer by</dt><dd>{deadline}</dd>\
         {shared}\
         {actions}\
         <p><small>Ο σύνδεσμος ισχύει έως {expires}. / This link is valid until {expires}.</small></p>",
        tenant = escape(&view.tenant_name),
        service = escape(&r.service_name),
        status = r.status.code(),
        urgency = r.urgency.code(),
        deadline = r
            .deadline_at
            .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
        shared = if r.closed_at.is_some() {
            "</dl><p>Τα στοιχεία του προσώπου δεν μοιράζονται πια: η παραπομπή έκλεισε. \
             / The person's details are no longer shared: the referral is closed.</p>"
                .to_owned()
        } else {
            format!(
                "<dt>Αιτιολογία / Reason</dt><dd>{reason}</dd></dl>\
                 <h2>Στοιχεία που μοιράστηκαν / Data shared</h2><dl>{envelope}</dl>",
                reason = escape(&r.reason),
            )
        },
        expires = view.expires_at.format("%Y-%m-%d"),
    );
    page(StatusCode::OK, "Παραπομπή / Referral", &body)
}

#[derive(Deserialize)]
pub struct Answer {
    action: String,
    reason: Option<String>,
    note: Option<String>,
}

pub async fn answer_referral(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(answer): Form<Answer>,
) -> Response {
    let reason = answer.reason.as_deref().filter(|r| !r.is_empty());
    let response = match ReferralResponse::parse(&answer.action, reason, answer.note.as_deref()) {
        Ok(r) => r,
        Err((field, problem)) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Λάθος στη φόρμα / Form error",
                &format!(
                    "<h1>Λάθος στη φόρμα</h1><p>{}: {}</p><p><a href=\"\">Πίσω / Back</a></p>",
                    escape(field),
                    escape(&problem)
                ),
            );
        }
    };
    match state
        .services
        .store
        .referrals()
        .respond_by_link(&token, &response)
        .await
    {
        Ok((scope, record)) => {
            let event = Event::ReferralChanged {
                tenant_id: scope.id(),
                referral_id: record.id,
            };
            if let Err(e) = state.services.events.publish(&event).await {
                tracing::warn!(error = %e, "could not publish a referral answer");
            }
            Redirect::to(&format!("/partner/referrals/{token}")).into_response()
        }
        Err(e) => failure(&e),
    }
}
