//! Διαχείριση → Κατάλογος → one service: the coordinator adds a service to
//! the center's directory, or corrects one, with a form instead of a file.
//! The form is written as an HSDS `service` and imported as an upload is,
//! so the same rules hold, and a corrected service keeps everything the
//! form does not show (its phones, schedules, locations).

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::graphql::{self, ApiErrors};
use crate::i18n;
use crate::pages::admin_directory::PERMISSION;
use crate::pages::people::{Choice, ChoiceField};
use crate::problems;
use crate::view::{FormError, Layout, Posted, Staff, Visit, render, see_other};

/// HSDS 3.0's statuses of a service.
const STATUSES: [&str; 4] = ["active", "inactive", "defunct", "temporarily closed"];

/// The form's fields, in order, by their ids.
const FIELDS: [&str; 7] = [
    "name",
    "description",
    "organization",
    "newOrganization",
    "email",
    "url",
    "status",
];

/// The form, as shown or as typed; `id` is empty for a new service.
#[derive(Default)]
struct ServiceForm {
    id: String,
    values: std::collections::HashMap<&'static str, String>,
}

impl ServiceForm {
    fn get(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    fn from_post(posted: &Posted) -> ServiceForm {
        ServiceForm {
            id: posted.get("id"),
            values: FIELDS.iter().map(|f| (*f, posted.get(f))).collect(),
        }
    }

    /// The HSDS service: `base` (the stored one, or nothing, when it is
    /// new and takes `new_id`) with what the form says written over it, and
    /// its organization nested, as an import must carry what a service
    /// requires.
    fn service(&self, base: Map<String, Value>, new_id: String, organization: Value) -> Value {
        let mut service = base;
        if self.id.is_empty() {
            service.insert("id".into(), json!(new_id));
        }
        for field in ["name", "description", "email", "url", "status"] {
            match self.get(field).trim() {
                "" => service.remove(field),
                value => service.insert(field.into(), json!(value)),
            };
        }
        service.insert("organization_id".into(), organization["id"].clone());
        service.insert("organization".into(), organization);
        Value::Object(service)
    }

    /// A new organization with `id`, when one is typed.
    fn new_organization(&self, id: String) -> Option<Value> {
        let name = self.get("newOrganization").trim();
        (!name.is_empty()).then(|| json!({ "id": id, "name": name, "description": name }))
    }
}

#[derive(Template)]
#[template(path = "admin_service.html")]
struct ServicePage {
    layout: Layout,
    form: ServiceForm,
    organizations: ChoiceField,
    statuses: ChoiceField,
}

/// A new random (version 4) UUID, as HSDS ids are; `None` when the
/// system has no randomness to give, since a guessed id could overwrite
/// another service.
fn new_uuid() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

async fn page(visit: &Visit, mut layout: Layout, form: ServiceForm) -> Response {
    let data = match graphql::run::<graphql::ServiceOrganizations>(
        &visit.state.schema,
        &visit.context,
        graphql::service_organizations::Variables {},
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    let organizations = crate::pages::organizations_of(
        data.directory_services
            .into_iter()
            .map(|s| (s.organization_id, s.organization_name)),
    );
    layout.title = visit.t(if form.id.is_empty() {
        "service-form-new-title"
    } else {
        "service-form-edit-title"
    });
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ServicePage {
        organizations: ChoiceField {
            name: "organization",
            label: visit.t("field-service-organization"),
            error: layout.error_for("organization").map(str::to_owned),
            choices: organizations
                .into_iter()
                .map(|(id, name)| Choice {
                    selected: id == form.get("organization"),
                    value: id,
                    label: name,
                })
                .collect(),
        },
        statuses: ChoiceField {
            name: "status",
            label: visit.t("field-service-status"),
            error: layout.error_for("status").map(str::to_owned),
            choices: STATUSES
                .iter()
                .map(|s| Choice {
                    value: (*s).to_owned(),
                    label: i18n::label(visit.lang, "service-status", &s.replace(' ', "_")),
                    selected: form.get("status") == *s,
                })
                .collect(),
        },
        form,
        layout,
    };
    (status, render(&page)).into_response()
}

/// The HSDS object of an organization of the center's directory, as its
/// services carry it.
async fn organization(visit: &Visit, id: &str) -> Result<Option<Value>, ApiErrors> {
    let data = graphql::run::<graphql::ServiceOrganizations>(
        &visit.state.schema,
        &visit.context,
        graphql::service_organizations::Variables {},
    )
    .await?;
    Ok(data
        .directory_services
        .into_iter()
        .find(|s| s.organization_id.as_deref() == Some(id))
        .and_then(|s| s.hsds.get("organization").cloned()))
}

/// The stored service, as its form shows it, with the HSDS it came from.
async fn stored(visit: &Visit, id: &str) -> Result<Option<(ServiceForm, Value)>, ApiErrors> {
    let data = graphql::run::<graphql::ServiceToEdit>(
        &visit.state.schema,
        &visit.context,
        graphql::service_to_edit::Variables { id: id.to_owned() },
    )
    .await?;
    Ok(data.directory_service.map(|s| {
        let url = s
            .hsds
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let form = ServiceForm {
            id: s.id,
            values: [
                ("name", s.name),
                ("description", s.description.unwrap_or_default()),
                ("organization", s.organization_id.unwrap_or_default()),
                ("newOrganization", String::new()),
                ("email", s.email.unwrap_or_default()),
                ("url", url.to_owned()),
                ("status", s.status),
            ]
            .into_iter()
            .collect(),
        };
        (form, s.hsds)
    }))
}

pub async fn new(visit: Visit, staff: Staff) -> Response {
    if !staff.may(PERMISSION) {
        return visit.problem(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let mut form = ServiceForm::default();
    form.values.insert("status", "active".into());
    let layout = visit.layout(String::new(), Some(&staff));
    page(&visit, layout, form).await
}

pub async fn edit(visit: Visit, staff: Staff, Path(id): Path<String>) -> Response {
    if !staff.may(PERMISSION) {
        return visit.problem(StatusCode::FORBIDDEN, "error-forbidden");
    }
    match stored(&visit, &id).await {
        Ok(Some((form, _))) => {
            let layout = visit.layout(String::new(), Some(&staff));
            page(&visit, layout, form).await
        }
        Ok(None) => visit.problem(StatusCode::NOT_FOUND, "error-not-found"),
        Err(e) => visit.failure(&e),
    }
}

/// The importer's problems (`document.email`, `document.organization.name`)
/// beside this form's fields; one it has no field for goes by the name.
fn service_errors(visit: &Visit, errors: &ApiErrors) -> Vec<FormError> {
    let mut out: Vec<FormError> = Vec::new();
    for error in &errors.0 {
        for (path, problem) in problems::field_problems(error) {
            let last = path.rsplit('.').next().unwrap_or(&path);
            let field = match last {
                "name" if path.contains("organization.") => "newOrganization",
                "organization_id" | "organization" => "organization",
                "name" | "description" | "email" | "url" | "status" => last,
                _ => "name",
            };
            let problem = problem
                .split_once(": ")
                .map_or(problem.as_str(), |(_, what)| what);
            let label = i18n::message(visit.lang, &format!("field-service-{field}"), &[]);
            let text = format!("{label}: {}", problems::hsds_problem(visit.lang, problem));
            if !out.iter().any(|e| e.field == field) {
                out.push(FormError {
                    field: field.to_owned(),
                    text,
                });
            }
        }
    }
    out
}

pub async fn save(staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    if !staff.may(PERMISSION) {
        return visit.problem(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let form = ServiceForm::from_post(&posted);
    let mut layout = visit.layout(String::new(), Some(&staff));
    if form.get("name").trim().is_empty() {
        layout.errors.push(FormError {
            field: "name".into(),
            text: visit.t("problem-service-name"),
        });
    }
    let (chosen, typed) = (
        form.get("organization").is_empty(),
        form.get("newOrganization").trim().is_empty(),
    );
    if chosen == typed {
        layout.errors.push(FormError {
            field: "organization".into(),
            text: visit.t("problem-service-organization"),
        });
    }
    if !STATUSES.contains(&form.get("status")) {
        layout.errors.push(FormError {
            field: "status".into(),
            text: visit.t("problem-service-status"),
        });
    }
    if !layout.errors.is_empty() {
        return page(visit, layout, form).await;
    }
    let base = if form.id.is_empty() {
        Map::new()
    } else {
        match stored(visit, &form.id).await {
            Ok(Some((_, Value::Object(hsds)))) => hsds,
            Ok(_) => return visit.problem(StatusCode::NOT_FOUND, "error-not-found"),
            Err(e) => return visit.failure(&e),
        }
    };
    let (Some(service_id), Some(organization_id)) = (new_uuid(), new_uuid()) else {
        tracing::error!("no randomness for a new directory id");
        return visit.problem(StatusCode::INTERNAL_SERVER_ERROR, "error-internal");
    };
    let organization = match form.new_organization(organization_id) {
        Some(new) => new,
        None => match organization(visit, form.get("organization")).await {
            Ok(Some(known)) => known,
            Ok(None) => {
                layout.errors.push(FormError {
                    field: "organization".into(),
                    text: visit.t("problem-service-organization"),
                });
                return page(visit, layout, form).await;
            }
            Err(e) => return visit.failure(&e),
        },
    };
    let document = form.service(base, service_id, organization);
    match graphql::run::<graphql::ImportDirectoryDocument>(
        &visit.state.schema,
        &visit.context,
        graphql::import_directory_document::Variables {
            document,
            object: Some(graphql::import_directory_document::HsdsObject::SERVICE),
        },
    )
    .await
    {
        Ok(_) => see_other("/admin/directory?done=service"),
        Err(e) if e.has("VALIDATION") => {
            layout.errors = service_errors(visit, &e);
            page(visit, layout, form).await
        }
        Err(e) => visit.failure(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(values: &[(&'static str, &str)]) -> ServiceForm {
        ServiceForm {
            id: "s-1".into(),
            values: values.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        }
    }

    #[test]
    fn a_corrected_service_keeps_what_the_form_does_not_show() {
        let stored = json!({
            "id": "s-1", "name": "Old", "email": "old@example.gr", "status": "active",
            "organization_id": "o-1", "organization": { "id": "o-1", "name": "Org" },
            "phones": [{ "id": "p-1", "number": "2101234567" }]
        });
        let Value::Object(base) = stored else {
            unreachable!()
        };
        let typed = form(&[
            ("name", "New"),
            ("email", ""),
            ("status", "inactive"),
            ("organization", "o-2"),
        ]);
        let service = typed.service(
            base,
            "unused".into(),
            json!({ "id": "o-2", "name": "Other", "description": "Other" }),
        );
        assert_eq!(service["id"], "s-1", "the same service");
        assert_eq!(service["name"], "New");
        assert_eq!(service["status"], "inactive");
        assert!(service.get("email").is_none(), "an emptied field goes");
        assert_eq!(service["organization_id"], "o-2");
        assert_eq!(service["organization"]["name"], "Other");
        assert_eq!(service["phones"][0]["number"], "2101234567");
    }

    #[test]
    fn a_new_service_gets_its_own_id_and_may_bring_its_organization() {
        let mut typed = form(&[
            ("name", "Συμβουλευτική"),
            ("newOrganization", "Σύλλογος Γονέων"),
            ("status", "active"),
        ]);
        typed.id.clear();
        let organization = typed
            .new_organization("organization-id".into())
            .expect("a new organization");
        let service = typed.service(Map::new(), "service-id".into(), organization);
        assert_eq!(service["id"], "service-id");
        assert_eq!(service["organization_id"], "organization-id");
        assert_eq!(service["organization"]["name"], "Σύλλογος Γονέων");
    }

    #[test]
    fn new_ids_are_version_4_uuids() {
        let id = new_uuid().expect("randomness");
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        assert_ne!(Some(id), new_uuid());
    }
}
