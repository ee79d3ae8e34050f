//! Αναζήτηση, Καταγραφή and the person's card.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kentro_domain::names::sort_key;
use serde_json::{Map, Value};

use crate::format;
use crate::graphql::{self, PersonCard, PossibleDuplicates, RegisterPerson, SearchPeople};
use crate::i18n::{self, Lang};
use crate::problems;
use crate::view::{Layout, Posted, Staff, Visit, render, see_other};

struct PersonRow {
    href: String,
    name: String,
    latin: String,
    birth_date: String,
    amka: String,
    area: String,
}

#[derive(Template)]
#[template(path = "people_search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    searched: bool,
    found: String,
    people: Vec<PersonRow>,
    may_register: bool,
}

pub async fn search(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let query = params
        .get("q")
        .map(|q| q.trim().to_owned())
        .unwrap_or_default();
    let mut people = Vec::new();
    let searched = !query.is_empty();
    if searched {
        match graphql::run::<SearchPeople>(
            &visit.state.schema,
            &visit.context,
            graphql::search_people::Variables {
                search: Some(query.clone()),
                first: Some(50),
            },
        )
        .await
        {
            Ok(data) => {
                people = data
                    .people
                    .nodes
                    .into_iter()
                    .map(|p| PersonRow {
                        href: format!("/people/{}", p.id),
                        latin: [p.given_name_latin, p.family_name_latin]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" "),
                        name: p.display_name,
                        birth_date: p
                            .birth_date
                            .as_deref()
                            .map(format::date)
                            .unwrap_or_default(),
                        amka: p.amka.unwrap_or_default(),
                        area: p.area.unwrap_or_default(),
                    })
                    .collect();
                people.sort_by_key(|p: &PersonRow| sort_key(&p.name));
            }
            Err(e) if e.has("VALIDATION") => {}
            Err(e) => return visit.failure(&e),
        }
    }
    let page = SearchPage {
        layout: visit.layout(visit.t("search-title"), Some(&staff)),
        found: i18n::count(visit.lang, "people-found", people.len()),
        query,
        searched,
        people,
        may_register: staff.may("REGISTER_PEOPLE"),
    };
    render(&page)
}

/// The registration form's fields, in the contract's names, and how each
/// is entered.
const TEXT_FIELDS: [&str; 13] = [
    "givenNameEl",
    "familyNameEl",
    "givenNameLatin",
    "familyNameLatin",
    "birthDate",
    "amka",
    "afm",
    "idDocumentNumber",
    "nationality",
    "phone",
    "email",
    "address",
    "area",
];
const CHOICE_FIELDS: [(&str, &str, &[&str]); 4] = [
    (
        "gender",
        "gender",
        &["FEMALE", "MALE", "NON_BINARY", "NOT_STATED"],
    ),
    (
        "idDocumentType",
        "id-document",
        &[
            "IDENTITY_CARD",
            "PASSPORT",
            "RESIDENCE_PERMIT",
            "ASYLUM_SEEKER_CARD",
            "OTHER",
        ],
    ),
    (
        "employmentStatus",
        "employment",
        &[
            "EMPLOYED",
            "UNEMPLOYED",
            "LONG_TERM_UNEMPLOYED",
            "INACTIVE",
            "INACTIVE_NOT_IN_EDUCATION_OR_TRAINING",
        ],
    ),
    (
        "educationLevel",
        "education",
        &["ISCED_0_TO_2", "ISCED_3_TO_4", "ISCED_5_TO_8"],
    ),
];
const SPECIAL_FIELDS: [&str; 4] = ["disability", "minority", "foreignBackground", "homeless"];
const SPECIAL_ANSWERS: [&str; 3] = ["YES", "NO", "DECLINED_TO_ANSWER"];

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct ChoiceField {
    pub name: &'static str,
    pub label: String,
    pub choices: Vec<Choice>,
    pub error: Option<String>,
}

struct DuplicateRow {
    href: String,
    name: String,
    birth_date: String,
    amka: String,
    reasons: String,
}

#[derive(Template)]
#[template(path = "person_form.html")]
struct PersonFormPage {
    layout: Layout,
    heading: String,
    action: String,
    editing: bool,
    values: HashMap<String, String>,
    choices: Vec<ChoiceField>,
    special: Vec<ChoiceField>,
    duplicates: Vec<DuplicateRow>,
    /// The identity the duplicates were checked for.
    checked: String,
}

impl PersonFormPage {
    fn v(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }
}

#[derive(Template)]
#[template(path = "duplicates_panel.html")]
struct DuplicatesPanel {
    layout: Layout,
    duplicates: Vec<DuplicateRow>,
}

fn choice_fields(
    lang: Lang,
    values: &HashMap<String, String>,
    layout: &Layout,
    may_see_special: bool,
) -> (Vec<ChoiceField>, Vec<ChoiceField>) {
    let field = |name: &'static str, kind: &str, options: &[&'static str]| ChoiceField {
        name,
        label: i18n::message(lang, &format!("field-{name}"), &[]),
        choices: options
            .iter()
            .map(|value| Choice {
                value: (*value).to_owned(),
                label: i18n::label(lang, kind, value),
                selected: values.get(name).is_some_and(|v| v == value),
            })
            .collect(),
        error: layout.error_for(name).map(str::to_owned),
    };
    let choices = CHOICE_FIELDS
        .iter()
        .map(|(name, kind, options)| field(name, kind, options))
        .collect();
    let special = if may_see_special {
        SPECIAL_FIELDS
            .iter()
            .map(|name| field(name, "special-answer", &SPECIAL_ANSWERS))
            .collect()
    } else {
        Vec::new()
    };
    (choices, special)
}

pub async fn new_form(visit: Visit, staff: Staff) -> Response {
    if !staff.may("REGISTER_PEOPLE") {
        return visit.problem(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let layout = visit.layout(visit.t("register-title"), Some(&staff));
    let values = HashMap::new();
    let (choices, special) = choice_fields(
        visit.lang,
        &values,
        &layout,
        staff.may("VIEW_SPECIAL_CATEGORIES"),
    );
    render(&PersonFormPage {
        heading: visit.t("register-title"),
        action: "/people/new".into(),
        editing: false,
        layout,
        values,
        choices,
        special,
        duplicates: Vec::new(),
        checked: String::new(),
    })
}

/// The form's values as a `PersonInput`: empty fields are left out, dates
/// typed as dd/mm/yyyy go over as ISO dates.
fn person_input(values: &HashMap<String, String>, may_see_special: bool) -> Value {
    let mut input = Map::new();
    let mut put = |name: &str| {
        if let Some(value) = values.get(name).filter(|v| !v.is_empty()) {
            let value = if name == "birthDate" {
                format::typed_date(value)
            } else {
                value.clone()
            };
            input.insert(name.to_owned(), Value::String(value));
        }
    };
    TEXT_FIELDS.iter().for_each(|f| put(f));
    CHOICE_FIELDS.iter().for_each(|(f, _, _)| put(f));
    if may_see_special {
        SPECIAL_FIELDS.iter().for_each(|f| put(f));
    }
    Value::Object(input)
}

/// What the duplicate check looked at: posting the same again means the
/// user saw the candidates and chose a new record.
fn identity(input: &Value) -> String {
    let text = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or_default();
    let parts = [
        "givenNameEl",
        "familyNameEl",
        "givenNameLatin",
        "familyNameLatin",
        "birthDate",
        "amka",
        "afm",
    ]
    .map(text);
    crate::session::csrf_token(&parts.join("\u{1f}"))[..16].to_owned()
}

async fn duplicates(visit: &Visit, input: &Value) -> Result<Vec<DuplicateRow>, graphql::ApiErrors> {
    let input = serde_json::from_value(input.clone()).map_err(|_| graphql::ApiErrors(vec![]));
    let Ok(input) = input else {
        return Ok(Vec::new());
    };
    let data = graphql::run::<PossibleDuplicates>(
        &visit.state.schema,
        &visit.context,
        graphql::possible_duplicates::Variables { input },
    )
    .await?;
    Ok(data
        .find_possible_duplicates
        .into_iter()
        .map(|d| DuplicateRow {
            href: format!("/people/{}", d.person.id),
            name: d.person.display_name,
            birth_date: d
                .person
                .birth_date
                .as_deref()
                .map(format::date)
                .unwrap_or_default(),
            amka: d.person.amka.unwrap_or_default(),
            reasons: d
                .reasons
                .iter()
                .map(|r| i18n::label(visit.lang, "duplicate-reason", &i18n::wire(r)))
                .collect::<Vec<_>>()
                .join(" · "),
        })
        .collect())
}

pub async fn register(staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    let may_see_special = staff.may("VIEW_SPECIAL_CATEGORIES");
    let values: HashMap<String, String> = posted
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), v.trim().to_owned()))
        .collect();
    let input = person_input(&values, may_see_special);
    let fingerprint = identity(&input);
    let mut layout = visit.layout(visit.t("register-title"), Some(&staff));
    let mut found = Vec::new();

    let outcome = if posted.get("checked") == fingerprint {
        Ok(None)
    } else {
        duplicates(visit, &input).await.map(Some)
    };
    match outcome {
        Ok(Some(candidates)) if !candidates.is_empty() => found = candidates,
        Ok(_) => {
            let Ok(typed) = serde_json::from_value(input.clone()) else {
                return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form");
            };
            match graphql::run::<RegisterPerson>(
                &visit.state.schema,
                &visit.context,
                graphql::register_person::Variables { input: typed },
            )
            .await
            {
                Ok(data) => {
                    return see_other(&format!(
                        "/people/{}?done=registered",
                        data.register_person.id
                    ));
                }
                Err(e) if e.has("VALIDATION") || e.has("DUPLICATE_IDENTIFIER") => {
                    layout.errors = problems::form_errors(visit.lang, &e);
                }
                Err(e) => return visit.failure(&e),
            }
        }
        Err(e) if e.has("VALIDATION") => layout.errors = problems::form_errors(visit.lang, &e),
        Err(e) => return visit.failure(&e),
    }
    let (choices, special) = choice_fields(visit.lang, &values, &layout, may_see_special);
    let page = PersonFormPage {
        heading: visit.t("register-title"),
        action: "/people/new".into(),
        editing: false,
        layout,
        values,
        choices,
        special,
        checked: if found.is_empty() {
            String::new()
        } else {
            fingerprint
        },
        duplicates: found,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
}

/// The duplicate panel alone, for the check as you type.
pub async fn duplicates_fragment(
    visit: Visit,
    Query(values): Query<HashMap<String, String>>,
) -> Response {
    let staff = match visit.staff().await {
        Ok(staff) => staff,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    let input = person_input(&values, false);
    let found = duplicates(&visit, &input).await.unwrap_or_default();
    render(&DuplicatesPanel {
        layout: visit.layout(String::new(), Some(&staff)),
        duplicates: found,
    })
}

struct Detail {
    label: String,
    value: String,
}

struct ConsentRow {
    purpose: String,
    answer: String,
    given: bool,
    date: String,
}

#[derive(Template)]
#[template(path = "person_card.html")]
struct CardPage {
    layout: Layout,
    id: String,
    name: String,
    tabs: Vec<crate::pages::casework::Tab>,
    may_record_consent: bool,
    purposes: Vec<Choice>,
    details: Vec<Detail>,
    special: Vec<Detail>,
    consents: Vec<ConsentRow>,
    may_book: bool,
    may_edit: bool,
    may_merge: bool,
    may_audit: bool,
}

pub async fn card(
    visit: Visit,
    staff: Staff,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let person = match graphql::run::<PersonCard>(
        &visit.state.schema,
        &visit.context,
        graphql::person_card::Variables { id: id.clone() },
    )
    .await
    {
        Ok(data) => data.person,
        Err(e) => return visit.failure(&e),
    };
    let lang = visit.lang;
    let t = |id: &str| i18n::message(lang, id, &[]);
    let detail = |field: &str, value: Option<String>| {
        value.filter(|v| !v.is_empty()).map(|value| Detail {
            label: t(&format!("field-{field}")),
            value,
        })
    };
    let label_of = |kind: &str, value: Option<String>| value.map(|v| i18n::label(lang, kind, &v));
    let details: Vec<Detail> = [
        detail("givenNameEl", person.given_name_el),
        detail("familyNameEl", person.family_name_el),
        detail("givenNameLatin", person.given_name_latin),
        detail("familyNameLatin", person.family_name_latin),
        detail(
            "gender",
            label_of("gender", Some(i18n::wire(&person.gender))),
        ),
        detail("birthDate", person.birth_date.as_deref().map(format::date)),
        detail("amka", person.amka),
        detail("afm", person.afm),
        detail(
            "idDocumentType",
            label_of(
                "id-document",
                person.id_document_type.as_ref().map(i18n::wire),
            ),
        ),
        detail("idDocumentNumber", person.id_document_number),
        detail("nationality", person.nationality),
        detail("phone", person.phone),
        detail("email", person.email),
        detail("address", person.address),
        detail("area", person.area),
        detail(
            "employmentStatus",
            label_of(
                "employment",
                person.employment_status.as_ref().map(i18n::wire),
            ),
        ),
        detail(
            "educationLevel",
            label_of("education", person.education_level.as_ref().map(i18n::wire)),
        ),
        detail("createdAt", Some(format::instant(&person.created_at))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let special: Vec<Detail> = if staff.may("VIEW_SPECIAL_CATEGORIES") {
        [
            ("disability", person.disability.as_ref().map(i18n::wire)),
            ("minority", person.minority.as_ref().map(i18n::wire)),
            (
                "foreignBackground",
                person.foreign_background.as_ref().map(i18n::wire),
            ),
            ("homeless", person.homeless.as_ref().map(i18n::wire)),
        ]
        .into_iter()
        .map(|(field, answer)| Detail {
            label: t(&format!("field-{field}")),
            value: answer
                .map(|a| i18n::label(lang, "special-answer", &a))
                .unwrap_or_else(|| t("not-asked")),
        })
        .collect()
    } else {
        Vec::new()
    };
    let consents = person
        .consents
        .into_iter()
        .map(|c| ConsentRow {
            purpose: i18n::label(lang, "consent-purpose", &i18n::wire(&c.purpose)),
            answer: t(if c.given {
                "consent-given"
            } else {
                "consent-refused"
            }),
            given: c.given,
            date: format::date(&c.on_date),
        })
        .collect();
    let mut layout = visit.layout(person.display_name.clone(), Some(&staff));
    if params.get("done").is_some_and(|d| d == "registered") {
        layout.notice = Some(t("notice-registered"));
    } else if params.get("done").is_some_and(|d| d == "booked") {
        layout.notice = Some(t("notice-booked"));
    } else if params.get("done").is_some_and(|d| d == "updated") {
        layout.notice = Some(t("notice-updated"));
    } else if params.get("done").is_some_and(|d| d == "merged") {
        layout.notice = Some(t("notice-merged"));
    } else if params.get("done").is_some_and(|d| d == "consent") {
        layout.notice = Some(t("notice-consent"));
    } else if params.get("problem").is_some_and(|d| d == "consent") {
        layout.errors.push(crate::view::FormError {
            field: "witness".into(),
            text: t("problem-consent"),
        });
    }
    render(&CardPage {
        tabs: crate::pages::casework::person_tabs(lang, &person.id, &staff, ""),
        may_record_consent: staff.may("MANAGE_CASES"),
        purposes: [
            "RECORD_KEEPING",
            "REFERRAL_SHARING",
            "CONTACT",
            "STATISTICS",
        ]
        .into_iter()
        .map(|p| Choice {
            value: p.to_owned(),
            label: i18n::label(lang, "consent-purpose", p),
            selected: false,
        })
        .collect(),
        layout,
        id: person.id,
        name: person.display_name,
        details,
        special,
        consents,
        may_book: staff.may("BOOK_APPOINTMENTS"),
        may_edit: staff.may("REGISTER_PEOPLE"),
        may_merge: staff.may("MANAGE_CASES"),
        may_audit: staff.may("VIEW_AUDIT_LOG"),
    })
}

/// The record's details as the form's values.
fn values_of(person: &graphql::person_card::PersonCardPerson) -> HashMap<String, String> {
    let mut values = HashMap::new();
    let mut put = |name: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            values.insert(name.to_owned(), value);
        }
    };
    put("givenNameEl", person.given_name_el.clone());
    put("familyNameEl", person.family_name_el.clone());
    put("givenNameLatin", person.given_name_latin.clone());
    put("familyNameLatin", person.family_name_latin.clone());
    put("birthDate", person.birth_date.as_deref().map(format::date));
    put("amka", person.amka.clone());
    put("afm", person.afm.clone());
    put("idDocumentNumber", person.id_document_number.clone());
    put("nationality", person.nationality.clone());
    put("phone", person.phone.clone());
    put("email", person.email.clone());
    put("address", person.address.clone());
    put("area", person.area.clone());
    put("gender", Some(i18n::wire(&person.gender)));
    put(
        "idDocumentType",
        person.id_document_type.as_ref().map(i18n::wire),
    );
    put(
        "employmentStatus",
        person.employment_status.as_ref().map(i18n::wire),
    );
    put(
        "educationLevel",
        person.education_level.as_ref().map(i18n::wire),
    );
    put("disability", person.disability.as_ref().map(i18n::wire));
    put("minority", person.minority.as_ref().map(i18n::wire));
    put(
        "foreignBackground",
        person.foreign_background.as_ref().map(i18n::wire),
    );
    put("homeless", person.homeless.as_ref().map(i18n::wire));
    values
}

async fn edit_page(
    visit: &Visit,
    staff: &crate::view::Staff,
    id: &str,
    values: Option<HashMap<String, String>>,
    layout: Layout,
) -> Response {
    let values = match values {
        Some(values) => values,
        None => match graphql::run::<PersonCard>(
            &visit.state.schema,
            &visit.context,
            graphql::person_card::Variables { id: id.to_owned() },
        )
        .await
        {
            Ok(data) => values_of(&data.person),
            Err(e) => return visit.failure(&e),
        },
    };
    let (choices, special) = choice_fields(
        visit.lang,
        &values,
        &layout,
        staff.may("VIEW_SPECIAL_CATEGORIES"),
    );
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PersonFormPage {
        heading: visit.t("edit-title"),
        action: format!("/people/{id}/edit"),
        editing: true,
        layout,
        values,
        choices,
        special,
        duplicates: Vec::new(),
        checked: String::new(),
    };
    (status, render(&page)).into_response()
}

pub async fn edit_form(visit: Visit, staff: Staff, Path(id): Path<String>) -> Response {
    let layout = visit.layout(visit.t("edit-title"), Some(&staff));
    edit_page(&visit, &staff, &id, None, layout).await
}

/// Saves the whole record; roles that may not see special categories keep
/// them as they were (the API's rule).
pub async fn update(Path(id): Path<String>, staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    let values: HashMap<String, String> = posted
        .fields
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.clone(), v.trim().to_owned()))
        .collect();
    let input = person_input(&values, staff.may("VIEW_SPECIAL_CATEGORIES"));
    let Ok(input) = serde_json::from_value(input) else {
        return visit.problem(StatusCode::BAD_REQUEST, "error-bad-form");
    };
    match graphql::run::<graphql::UpdatePerson>(
        &visit.state.schema,
        &visit.context,
        graphql::update_person::Variables {
            id: id.clone(),
            input,
        },
    )
    .await
    {
        Ok(_) => see_other(&format!("/people/{id}?done=updated")),
        Err(e) if e.has("VALIDATION") || e.has("DUPLICATE_IDENTIFIER") => {
            let mut layout = visit.layout(visit.t("edit-title"), Some(&staff));
            layout.errors = problems::form_errors(visit.lang, &e);
            edit_page(visit, &staff, &id, Some(values), layout).await
        }
        Err(e) => visit.failure(&e),
    }
}

#[derive(Template)]
#[template(path = "merge.html")]
struct MergePage {
    layout: Layout,
    id: String,
    name: String,
    query: String,
    candidates: Vec<PersonRow>,
}

/// Συγχώνευση: find the other record of the same person; this one is kept.
pub async fn merge_form(
    visit: Visit,
    staff: Staff,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if !staff.may("MANAGE_CASES") {
        return visit.problem(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let person = match graphql::run::<PersonCard>(
        &visit.state.schema,
        &visit.context,
        graphql::person_card::Variables { id: id.clone() },
    )
    .await
    {
        Ok(data) => data.person,
        Err(e) => return visit.failure(&e),
    };
    let query = params.get("q").cloned().unwrap_or_default();
    let mut candidates = Vec::new();
    if !query.is_empty()
        && let Ok(found) = graphql::run::<SearchPeople>(
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
            .filter(|p| p.id != id)
            .map(|p| PersonRow {
                href: p.id.clone(),
                latin: String::new(),
                name: p.display_name,
                birth_date: p
                    .birth_date
                    .as_deref()
                    .map(format::date)
                    .unwrap_or_default(),
                amka: p.amka.unwrap_or_default(),
                area: p.area.unwrap_or_default(),
            })
            .collect();
    }
    render(&MergePage {
        layout: visit.layout(visit.t("merge-title"), Some(&staff)),
        name: person.display_name,
        id,
        query,
        candidates,
    })
}

pub async fn merge(Path(id): Path<String>, posted: Posted) -> Response {
    let visit = &posted.visit;
    match graphql::run::<graphql::MergePersons>(
        &visit.state.schema,
        &visit.context,
        graphql::merge_persons::Variables {
            keep: id.clone(),
            remove: posted.get("remove"),
        },
    )
    .await
    {
        Ok(_) => see_other(&format!("/people/{id}?done=merged")),
        Err(e) => visit.failure(&e),
    }
}
