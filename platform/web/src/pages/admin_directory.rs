//! Διαχείριση → Κατάλογος: the center's own directory uploaded as HSDS 3.0
//! JSON or as the tabular CSV package, through the same imports as the API:
//! all or nothing, every problem listed by file, row and field.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kentro_domain::hsds::{PACKAGE_DESCRIPTOR, Shape};

use crate::graphql::{self, ApiErrors};
use crate::i18n;
use crate::view::{FormError, Layout, Staff, Uploaded, Visit, render};

/// Who may change the center's directory, as the contract says.
pub(crate) const PERMISSION: &str = "MANAGE_TENANT_SETTINGS";

/// One problem of an upload: where (file and row), which field, what.
struct ProblemRow {
    place: String,
    field: String,
    problem: String,
}

/// One service of the center's directory, as its list shows it.
struct ServiceRow {
    id: String,
    name: String,
    organization: String,
    status: String,
}

#[derive(Template)]
#[template(path = "admin_directory.html")]
struct DirectoryAdminPage {
    layout: Layout,
    services: Vec<ServiceRow>,
    problems: Vec<ProblemRow>,
}

async fn page(visit: &Visit, mut layout: Layout, problems: Vec<ProblemRow>) -> Response {
    let data = match graphql::run::<graphql::AdminDirectory>(
        &visit.state.schema,
        &visit.context,
        graphql::admin_directory::Variables {},
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    layout.title = visit.t("directory-admin-title");
    let status = if layout.errors.is_empty() && problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut services: Vec<ServiceRow> = data
        .directory_services
        .into_iter()
        .map(|s| ServiceRow {
            status: i18n::label(visit.lang, "service-status", &s.status.replace(' ', "_")),
            organization: s.organization_name.unwrap_or_default(),
            name: s.name,
            id: s.id,
        })
        .collect();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    let page = DirectoryAdminPage {
        services,
        problems,
        layout,
    };
    (status, render(&page)).into_response()
}

pub async fn show(
    visit: Visit,
    staff: Staff,
    axum::extract::Query(params): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    if !staff.may(PERMISSION) {
        return visit.problem(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let mut layout = visit.layout(String::new(), Some(&staff));
    if params.get("done").is_some_and(|d| d == "service") {
        layout.notice = Some(visit.t("notice-service-saved"));
    }
    page(&visit, layout, Vec::new()).await
}

/// What an import answered: its counts, or the problems that refused it.
enum Outcome {
    Imported {
        added: i64,
        changed: i64,
        unchanged: i64,
    },
    Refused(Vec<ProblemRow>),
}

pub async fn upload(staff: Staff, uploaded: Uploaded) -> Response {
    let visit = &uploaded.form.visit;
    if !staff.may(PERMISSION) {
        return visit.problem(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let mut layout = visit.layout(String::new(), Some(&staff));
    let mut texts = Vec::new();
    let mut unreadable = Vec::new();
    for (name, bytes) in uploaded.files {
        match String::from_utf8(bytes) {
            Ok(text) => texts.push((name, text)),
            Err(_) => unreadable.push(ProblemRow {
                place: name,
                field: String::new(),
                problem: visit.t("directory-upload-not-text"),
            }),
        }
    }
    if texts.is_empty() && unreadable.is_empty() {
        layout.errors.push(FormError {
            field: "files".into(),
            text: visit.t("problem-directory-files"),
        });
        return page(visit, layout, Vec::new()).await;
    }
    if !unreadable.is_empty() {
        return page(visit, layout, unreadable).await;
    }
    let outcome = match import(visit, texts).await {
        Ok(outcome) => outcome,
        Err(e) => return visit.failure(&e),
    };
    match outcome {
        Outcome::Imported {
            added,
            changed,
            unchanged,
        } => {
            layout.notice = Some(i18n::message(
                visit.lang,
                "notice-directory-imported",
                &[
                    ("added", &added.to_string()),
                    ("changed", &changed.to_string()),
                    ("unchanged", &unchanged.to_string()),
                ],
            ));
            page(visit, layout, Vec::new()).await
        }
        Outcome::Refused(problems) => page(visit, layout, problems).await,
    }
}

/// One JSON file is an HSDS document; anything else is a tabular package.
async fn import(visit: &Visit, mut files: Vec<(String, String)>) -> Result<Outcome, ApiErrors> {
    let single_json =
        files.len() == 1 && files[0].0.ends_with(".json") && files[0].0 != PACKAGE_DESCRIPTOR;
    let answer = if single_json {
        let (name, text) = files.remove(0);
        let document = match serde_json::from_str(&text) {
            Ok(document) => document,
            Err(e) => {
                return Ok(Outcome::Refused(vec![ProblemRow {
                    place: format!("{name}, {} {}", visit.t("directory-upload-line"), e.line()),
                    field: String::new(),
                    problem: visit.t("directory-upload-not-json"),
                }]));
            }
        };
        graphql::run::<graphql::ImportDirectoryDocument>(
            &visit.state.schema,
            &visit.context,
            graphql::import_directory_document::Variables {
                document,
                object: Shape::from_file_name(&name).map(object_of),
            },
        )
        .await
        .map(|data| {
            let r = data.import_directory;
            (r.added, r.changed, r.unchanged)
        })
    } else {
        graphql::run::<graphql::ImportDirectoryPackage>(
            &visit.state.schema,
            &visit.context,
            graphql::import_directory_package::Variables {
                files: files
                    .into_iter()
                    .map(
                        |(name, text)| graphql::import_directory_package::DirectoryFileInput {
                            name,
                            text,
                        },
                    )
                    .collect(),
            },
        )
        .await
        .map(|data| {
            let r = data.import_directory_package;
            (r.added, r.changed, r.unchanged)
        })
    };
    match answer {
        Ok((added, changed, unchanged)) => Ok(Outcome::Imported {
            added,
            changed,
            unchanged,
        }),
        Err(e) if e.has("VALIDATION") => Ok(Outcome::Refused(problem_rows(visit, &e))),
        Err(e) => Err(e),
    }
}

/// The API names each problem `document.<field>` or `files.<field>`, its
/// text led by where it is (`services.csv row 2: ...`), which is said in the
/// visitor's language.
fn problem_rows(visit: &Visit, errors: &ApiErrors) -> Vec<ProblemRow> {
    errors
        .0
        .iter()
        .flat_map(|e| e.fields.iter())
        .map(|p| {
            let field = p
                .field
                .split_once('.')
                .map(|(_, field)| field.to_owned())
                .unwrap_or_default();
            let (place, problem) = p
                .problem
                .split_once(": ")
                .map_or((String::new(), p.problem.clone()), |(place, problem)| {
                    (place.to_owned(), problem.to_owned())
                });
            let place = match place.split_once(" row ") {
                Some((file, row)) => {
                    format!("{file}, {} {row}", visit.t("directory-upload-line"))
                }
                None => place,
            };
            ProblemRow {
                place,
                field,
                problem: crate::problems::hsds_problem(visit.lang, &problem),
            }
        })
        .collect()
}

fn object_of(shape: Shape) -> graphql::import_directory_document::HsdsObject {
    use graphql::import_directory_document::HsdsObject;
    match shape {
        Shape::Service => HsdsObject::SERVICE,
        Shape::Organization => HsdsObject::ORGANIZATION,
        Shape::ServiceAtLocation => HsdsObject::SERVICE_AT_LOCATION,
        Shape::Taxonomy => HsdsObject::TAXONOMY,
        Shape::TaxonomyTerm => HsdsObject::TAXONOMY_TERM,
    }
}
