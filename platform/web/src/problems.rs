//! The API's field problems in the reader's language. The contract names
//! each bad field (`input.amka`) and says what is wrong in English; the
//! catalogue has a plain Greek sentence for the problems people make.

use crate::graphql::{self, ApiErrors};
use crate::i18n::{self, Lang};
use crate::view::FormError;

/// Which catalogue message explains `problem` of `field`.
fn message_id(field: &str, problem: &str) -> Option<&'static str> {
    let has = |needle: &str| problem.contains(needle);
    Some(match field {
        "amka" if has("check digit") => "problem-amka-check-digit",
        "amka" if has("birth date (DDMMYY)") => "problem-amka-not-a-date",
        "amka" if has("does not match the birth date") => "problem-amka-birth-date",
        "amka" if has("already registered") => "problem-amka-registered",
        "amka" => "problem-amka-format",
        "afm" if has("check digit") => "problem-afm-check-digit",
        "afm" if has("already registered") => "problem-afm-registered",
        "afm" => "problem-afm-format",
        "familyNameEl" | "givenNameEl" if has("in Greek or in Latin") => "problem-name-missing",
        "givenNameLatin" | "familyNameLatin" if has("Latin letters") => "problem-name-latin",
        "date" if has("closed on") => "problem-closed-day",
        "birthDate" | "date" if has("future") => "problem-date-future",
        "birthDate" if has("1900") => "problem-date-too-old",
        "birthDate" | "residencePermitExpiry" | "date" => "problem-date-format",
        "phone" => "problem-phone",
        "email" => "problem-email",
        "nationality" => "problem-nationality",
        "preferredLanguage" => "problem-language",
        "idDocumentNumber" => "problem-id-number",
        "idDocumentType" => "problem-id-type",
        "startTime" if has("opening hours") => "problem-outside-hours",
        "staffId" if has("already booked") => "problem-staff-busy",
        "staffId" if has("case worker") => "problem-staff-not-case-worker",
        "room" if has("already booked") => "problem-room-busy",
        "startTime" => "problem-time-format",
        "durationMinutes" => "problem-duration",
        "currentPassword" => "problem-current-password",
        "newPassword" | "password" => "problem-new-password",
        "staffId" => "problem-staff",
        "suspensionReason" if has("at most") => "problem-suspension-reason-length",
        "suspensionReason" => "problem-suspension-reason",
        _ => return None,
    })
}

/// Each field path an error names with its problem: the `fields` of a
/// `VALIDATION`, or the one `field` of another code.
pub fn field_problems(error: &graphql::ApiError) -> Vec<(String, String)> {
    if error.fields.is_empty() {
        vec![(
            error.field.clone().unwrap_or_default(),
            error.message.clone(),
        )]
    } else {
        error
            .fields
            .iter()
            .map(|f| (f.field.clone(), f.problem.clone()))
            .collect()
    }
}

/// The form errors for a `VALIDATION` (or `DUPLICATE_IDENTIFIER` /
/// `CONFLICT`) answer: one per field, linked to the input whose `id` is the
/// field's last path segment.
pub fn form_errors(lang: Lang, errors: &ApiErrors) -> Vec<FormError> {
    let mut out: Vec<FormError> = Vec::new();
    for error in &errors.0 {
        for (path, problem) in field_problems(error) {
            let mut field = path.rsplit('.').next().unwrap_or(&path).to_owned();
            // A slot's problem belongs to the day when the center is
            // closed then, and to the time otherwise.
            if field == "slot" || field == "startsAt" {
                field = if problem.contains("closed on") {
                    "date"
                } else {
                    "startTime"
                }
                .to_owned();
            }
            let problem = if error.is("DUPLICATE_IDENTIFIER") {
                "already registered".to_owned()
            } else {
                problem
            };
            let text = describe(lang, &field, &problem);
            if !out.iter().any(|e| e.field == field) {
                out.push(FormError { field, text });
            }
        }
    }
    out
}

/// A problem of the field labelled `field-<field>` in the catalogue, in
/// plain words: the Greek message for a known problem, else a generic one;
/// in English, the API's own words after the label.
pub fn describe(lang: Lang, field: &str, problem: &str) -> String {
    let label = i18n::message(lang, &format!("field-{field}"), &[]);
    // A day the center closed for a reason of its own: the reason is what
    // reception needs to say.
    if lang == Lang::El
        && field == "date"
        && problem.contains("closed on")
        && let Some((_, reason)) = problem.split_once(": ")
    {
        return i18n::message(lang, "problem-closed-for", &[("reason", reason)]);
    }
    match (lang, message_id(field, problem)) {
        (Lang::El, Some(id)) => i18n::message(lang, id, &[("label", &label)]),
        (Lang::El, None) => i18n::message(lang, "problem-generic", &[("label", &label)]),
        (Lang::En, _) => format!("{label}: {problem}"),
    }
}

/// A problem the directory importer found in an uploaded HSDS file, in the
/// reader's language. The contract says it in English; each kind of problem
/// the importer names has a catalogue message, which keeps the value it
/// quotes (`"sleeping" is not one of: active, ...`) and what follows the
/// kind as given. An unknown kind stays in the contract's words.
pub fn hsds_problem(lang: Lang, problem: &str) -> String {
    if lang == Lang::En {
        return problem.to_owned();
    }
    let (value, rest) = match problem
        .strip_prefix('"')
        .and_then(|quoted| quoted.split_once("\" "))
    {
        Some((value, rest)) => (value, rest),
        None => ("", problem),
    };
    const KINDS: [(&str, &str); 19] = [
        ("is not one of:", "hsds-problem-not-one-of"),
        ("is required", "hsds-problem-required"),
        ("is not a UUID", "hsds-problem-uuid"),
        ("is not an e-mail address", "hsds-problem-email"),
        ("is not a date-time", "hsds-problem-date-time"),
        ("is not a date", "hsds-problem-date"),
        ("is not a time", "hsds-problem-time"),
        ("is not a number", "hsds-problem-number"),
        ("must be a number", "hsds-problem-number"),
        ("must be a string", "hsds-problem-string"),
        ("must be a JSON object", "hsds-problem-object"),
        ("must be an array", "hsds-problem-array"),
        ("is not a field of HSDS table", "hsds-problem-not-a-field"),
        (
            "is not a table of the package",
            "hsds-problem-not-in-package",
        ),
        ("is not an HSDS table", "hsds-problem-not-a-table"),
        (
            "is listed in the descriptor but missing",
            "hsds-problem-missing-file",
        ),
        ("refers to", "hsds-problem-reference"),
        ("not JSON", "hsds-problem-not-json"),
        ("not CSV", "hsds-problem-not-csv"),
    ];
    KINDS
        .iter()
        .find_map(|(kind, id)| {
            rest.strip_prefix(kind).map(|detail| {
                let detail = detail.trim_start_matches([':', ' ']).trim();
                let detail = detail
                    .strip_suffix(", which does not exist")
                    .unwrap_or(detail);
                i18n::message(lang, id, &[("value", value), ("detail", detail)])
            })
        })
        .unwrap_or_else(|| problem.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_importers_problems_read_in_greek_with_their_values_kept() {
        let greek = |p: &str| hsds_problem(Lang::El, p);
        let status = greek("\"sleeping\" is not one of: active, inactive, defunct");
        assert!(status.contains("sleeping"), "{status}");
        assert!(status.contains("active, inactive, defunct"), "{status}");
        assert!(!status.contains("is not one of"), "{status}");
        let reference = greek("refers to organization 1234, which does not exist");
        assert!(reference.contains("organization 1234"), "{reference}");
        assert!(!reference.contains("which does not exist"), "{reference}");
        for english in [
            "is required",
            "\"x\" is not a UUID",
            "\"x\" is not an e-mail address",
            "\"x\" is not a date-time (RFC 3339)",
            "\"x\" is not a date (YYYY-MM-DD)",
            "\"x\" is not a time (HH:MM[:SS], optional offset)",
            "\"x\" is not a number",
            "must be a number, not true",
            "must be a string, not 3",
            "must be a JSON object",
            "must be an array",
            "is not a field of HSDS table service",
            "is not a table of the package",
            "is not an HSDS table",
            "is listed in the descriptor but missing",
            "not JSON: expected value at line 1",
            "not CSV: unequal lengths",
        ] {
            let said = greek(english);
            assert_ne!(said, english, "{english} has a Greek message");
            assert!(!said.contains("hsds-problem"), "{said}");
        }
        assert_eq!(
            greek("something new"),
            "something new",
            "an unknown kind stays as the contract says it"
        );
        assert_eq!(hsds_problem(Lang::En, "is required"), "is required");
    }

    #[test]
    fn every_problem_message_is_in_the_greek_catalogue() {
        let cases = [
            ("amka", "its check digit is wrong (a typo?)"),
            ("amka", "its first six digits must be a birth date (DDMMYY)"),
            (
                "amka",
                "does not match the birth date (it should start with 010190)",
            ),
            ("amka", "is not an ΑΜΚΑ (11 digits)"),
            ("afm", "its check digit is wrong"),
            ("afm", "is not an ΑΦΜ (9 digits)"),
            (
                "familyNameEl",
                "give the given and family name, in Greek or in Latin letters",
            ),
            ("givenNameLatin", "must be written in Latin letters"),
            ("birthDate", "is in the future"),
            ("phone", "not a phone number"),
            ("date", "the center is closed on saturday"),
            (
                "startTime",
                "is outside the center's opening hours on monday (08:00-16:00)",
            ),
            ("staffId", "is already booked from 10:00 to 10:45"),
            ("staffId", "is not an active case worker of this center"),
            ("suspensionReason", "say why the municipality is suspended"),
            ("suspensionReason", "must be at most 500 characters"),
        ];
        for (field, problem) in cases {
            let id = message_id(field, problem).expect("a message for a common problem");
            assert!(i18n::has(Lang::El, id), "Greek catalogue lacks {id}");
            assert!(i18n::has(Lang::En, id), "English catalogue lacks {id}");
        }
    }
}
