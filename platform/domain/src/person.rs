//! A person served by a center (ωφελούμενος): identity, contact, and the
//! ESF/ESF+ fields the ministry counts, including the special categories of
//! personal data (disability, minority incl. Roma, foreign background,
//! homelessness) that only some roles may see.

use chrono::{Datelike, NaiveDate};

use crate::contact::Email;
use crate::identifiers::{Afm, Amka};
use crate::names::search_key;

/// One invalid field of an input, named as the client wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Female,
    Male,
    NonBinary,
    NotStated,
}

/// ESF common indicator: exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmploymentStatus {
    /// Including self-employed.
    Employed,
    Unemployed,
    LongTermUnemployed,
    Inactive,
    InactiveNotInEducationOrTraining,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EducationLevel {
    /// ISCED 0-2: up to lower secondary.
    Isced0To2,
    /// ISCED 3-4: upper secondary or post-secondary non-tertiary.
    Isced3To4,
    /// ISCED 5-8: tertiary.
    Isced5To8,
}

/// The answer to a special-category question; a person may decline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecialCategoryAnswer {
    Yes,
    No,
    DeclinedToAnswer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdDocumentType {
    IdentityCard,
    Passport,
    ResidencePermit,
    AsylumSeekerCard,
    Other,
}

/// The four special categories; `None` means the question was not asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpecialCategories {
    pub disability: Option<SpecialCategoryAnswer>,
    /// Minority, including Roma.
    pub minority: Option<SpecialCategoryAnswer>,
    pub foreign_background: Option<SpecialCategoryAnswer>,
    /// Homeless or in housing exclusion.
    pub homeless: Option<SpecialCategoryAnswer>,
}

/// A person's details as a form gives them; [`PersonInput::validate`] checks
/// every field and reports every problem at once.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    pub given_name_el: Option<String>,
    pub family_name_el: Option<String>,
    pub given_name_latin: Option<String>,
    pub family_name_latin: Option<String>,
    pub gender: Option<Gender>,
    pub birth_date: Option<String>,
    pub amka: Option<String>,
    pub afm: Option<String>,
    pub id_document_type: Option<IdDocumentType>,
    pub id_document_number: Option<String>,
    pub residence_permit_number: Option<String>,
    pub residence_permit_expiry: Option<String>,
    pub nationality: Option<String>,
    pub third_country_national: Option<bool>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub area: Option<String>,
    pub rural: Option<bool>,
    pub preferred_language: Option<String>,
    pub employment_status: Option<EmploymentStatus>,
    pub education_level: Option<EducationLevel>,
    pub special: SpecialCategories,
}

/// A person's details, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDetails {
    pub given_name_el: Option<String>,
    pub family_name_el: Option<String>,
    pub given_name_latin: Option<String>,
    pub family_name_latin: Option<String>,
    pub gender: Gender,
    pub birth_date: Option<NaiveDate>,
    pub amka: Option<Amka>,
    pub afm: Option<Afm>,
    pub id_document: Option<(IdDocumentType, String)>,
    pub residence_permit: Option<(String, NaiveDate)>,
    /// ISO 3166-1 alpha-2, upper case.
    pub nationality: Option<String>,
    pub third_country_national: Option<bool>,
    pub phone: Option<String>,
    pub email: Option<Email>,
    pub address: Option<String>,
    pub area: Option<String>,
    pub rural: Option<bool>,
    /// ISO 639-1, lower case.
    pub preferred_language: Option<String>,
    pub employment_status: Option<EmploymentStatus>,
    pub education_level: Option<EducationLevel>,
    pub special: SpecialCategories,
}

impl PersonDetails {
    /// The key the person is found by: Greek and Latin names together.
    pub fn name_key(&self) -> String {
        let names = [
            &self.given_name_el,
            &self.family_name_el,
            &self.given_name_latin,
            &self.family_name_latin,
        ];
        let text: Vec<&str> = names.iter().filter_map(|n| n.as_deref()).collect();
        search_key(&text.join(" "))
    }

    /// "Given Family", in Greek when known.
    pub fn display_name(&self) -> String {
        display_name(
            [
                self.given_name_el.as_deref(),
                self.given_name_latin.as_deref(),
            ],
            [
                self.family_name_el.as_deref(),
                self.family_name_latin.as_deref(),
            ],
        )
    }
}

/// "Given Family" from a person's `[Greek, Latin]` given and family names,
/// each in Greek when known.
pub fn display_name(given: [Option<&str>; 2], family: [Option<&str>; 2]) -> String {
    let [given_el, given_latin] = given;
    let [family_el, family_latin] = family;
    let (given, family) = (
        given_el.or(given_latin).unwrap_or_default(),
        family_el.or(family_latin).unwrap_or_default(),
    );
    // One allocation, not `format!` and a trimmed copy: every case on a
    // page shows its person's name.
    let mut name = String::with_capacity(given.len() + 1 + family.len());
    name.push_str(given);
    name.push(' ');
    name.push_str(family);
    match name.trim() {
        trimmed if trimmed.len() == name.len() => name,
        trimmed => trimmed.to_owned(),
    }
}

pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{raw:?} is not a date (expected YYYY-MM-DD)"))
}

struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    fn fail(&mut self, field: &str, problem: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            problem: problem.into(),
        });
    }

    fn text(&mut self, field: &str, raw: &Option<String>, max: usize) -> Option<String> {
        let value = raw.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
        if value.chars().count() > max {
            self.fail(field, format!("is longer than {max} characters"));
            return None;
        }
        if value.chars().any(char::is_control) {
            self.fail(field, "contains control characters");
            return None;
        }
        Some(value.to_owned())
    }

    fn parsed<T>(
        &mut self,
        field: &str,
        raw: &Option<String>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = raw.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
        match parse(value) {
            Ok(v) => Some(v),
            Err(problem) => {
                self.fail(field, problem);
                None
            }
        }
    }
}

fn is_greek_letter(c: char) -> bool {
    matches!(c, '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}')
}

const NAME_MAX: usize = 100;

impl PersonInput {
    /// Checks every field against `today` (for dates); all problems at once.
    pub fn validate(&self, today: NaiveDate) -> Result<PersonDetails, Vec<FieldError>> {
        let mut c = Check { errors: Vec::new() };

        let given_name_el = c.text("givenNameEl", &self.given_name_el, NAME_MAX);
        let family_name_el = c.text("familyNameEl", &self.family_name_el, NAME_MAX);
        let given_name_latin = c.text("givenNameLatin", &self.given_name_latin, NAME_MAX);
        let family_name_latin = c.text("familyNameLatin", &self.family_name_latin, NAME_MAX);
        for (field, name) in [
            ("givenNameLatin", &given_name_latin),
            ("familyNameLatin", &family_name_latin),
        ] {
            if name
                .as_deref()
                .is_some_and(|n| n.chars().any(is_greek_letter))
            {
                c.fail(field, "must be written in Latin letters");
            }
        }
        let greek_complete = given_name_el.is_some() && family_name_el.is_some();
        let latin_complete = given_name_latin.is_some() && family_name_latin.is_some();
        if !greek_complete && !latin_complete {
            c.fail(
                "familyNameEl",
                "give the given and family name, in Greek or in Latin letters",
            );
        }

        let birth_date = c.parsed("birthDate", &self.birth_date, parse_date);
        if let Some(date) = birth_date {
            if date > today {
                c.fail("birthDate", "is in the future");
            } else if date.year() < 1900 {
                c.fail("birthDate", "is before 1900");
            }
        }
        let amka = c.parsed("amka", &self.amka, Amka::parse);
        if let (Some(amka), Some(date)) = (&amka, birth_date) {
            let expected = format!(
                "{:02}{:02}{:02}",
                date.day(),
                date.month(),
                date.year() % 100
            );
            if !amka.as_str().starts_with(&expected) {
                c.fail(
                    "amka",
                    format!("does not match the birth date (it should start with {expected})"),
                );
            }
        }
        let afm = c.parsed("afm", &self.afm, Afm::parse);

        let id_number = c.text("idDocumentNumber", &self.id_document_number, 50);
        let id_document = match (self.id_document_type, id_number) {
            (Some(kind), Some(number)) => Some((kind, number)),
            (None, None) => None,
            (Some(_), None) => {
                c.fail(
                    "idDocumentNumber",
                    "give the document's number with its type",
                );
                None
            }
            (None, Some(_)) => {
                c.fail("idDocumentType", "give the document's type with its number");
                None
            }
        };
        let permit_number = c.text("residencePermitNumber", &self.residence_permit_number, 50);
        let permit_expiry = c.parsed(
            "residencePermitExpiry",
            &self.residence_permit_expiry,
            parse_date,
        );
        let residence_permit = match (permit_number, permit_expiry) {
            (Some(number), Some(expiry)) => Some((number, expiry)),
            (None, None) => None,
            (Some(_), None) if self.residence_permit_expiry.is_none() => {
                c.fail("residencePermitExpiry", "give the permit's expiry date");
                None
            }
            (None, Some(_)) => {
                c.fail("residencePermitNumber", "give the permit's number");
                None
            }
            _ => None,
        };

        let nationality = c.parsed("nationality", &self.nationality, |v| {
            let upper = v.to_uppercase();
            if upper.len() == 2 && upper.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(upper)
            } else {
                Err(format!(
                    "{v:?} is not a country code (ISO 3166-1, two letters, e.g. GR, SY, AL)"
                ))
            }
        });
        let phone = c.parsed("phone", &self.phone, |v| {
            let compact: String = v
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
                .collect();
            let digits = compact.strip_prefix('+').unwrap_or(&compact);
            if (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(compact)
            } else {
                Err(format!(
                    "{v:?} is not a phone number (7 to 15 digits, optionally starting with +)"
                ))
            }
        });
        let email = c.parsed("email", &self.email, Email::parse);
        let address = c.text("address", &self.address, 300);
        let area = c.text("area", &self.area, 100);
        let preferred_language = c.parsed("preferredLanguage", &self.preferred_language, |v| {
            let lower = v.to_lowercase();
            if lower.len() == 2 && lower.bytes().all(|b| b.is_ascii_lowercase()) {
                Ok(lower)
            } else {
                Err(format!(
                    "{v:?} is not a language code (ISO 639-1, two letters, e.g. el, ar, en)"
                ))
            }
        });

        if !c.errors.is_empty() {
            return Err(c.errors);
        }
        Ok(PersonDetails {
            given_name_el,
            family_name_el,
            given_name_latin,
            family_name_latin,
            gender: self.gender.unwrap_or(Gender::NotStated),
            birth_date,
            amka,
            afm,
            id_document,
            residence_permit,
            nationality,
            third_country_national: self.third_country_national,
            phone,
            email,
            address,
            area,
            rural: self.rural,
            preferred_language,
            employment_status: self.employment_status,
            education_level: self.education_level,
            special: self.special,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifiers::fixtures;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn maria() -> PersonInput {
        PersonInput {
            given_name_el: Some("Μαρία".into()),
            family_name_el: Some("Παπαδοπούλου".into()),
            birth_date: Some("1985-03-15".into()),
            amka: Some(fixtures::amka(15, 3, 85, 1234)),
            ..PersonInput::default()
        }
    }

    #[test]
    fn a_person_with_greek_names_and_a_matching_amka_is_valid() {
        let person = maria().validate(today()).unwrap();
        assert_eq!(person.display_name(), "Μαρία Παπαδοπούλου");
        assert_eq!(person.gender, Gender::NotStated);
        assert_eq!(person.name_key(), search_key("Maria Papadopoulou"));
    }

    #[test]
    fn a_display_name_is_in_greek_where_known_and_has_no_stray_space() {
        assert_eq!(
            display_name([Some("Νίκος"), Some("Nikos")], [None, Some("Pappas")]),
            "Νίκος Pappas"
        );
        assert_eq!(display_name([None, None], [Some("Παππάς"), None]), "Παππάς");
        assert_eq!(display_name([Some("Νίκος"), None], [None, None]), "Νίκος");
        assert_eq!(display_name([None, None], [None, None]), "");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let input = PersonInput {
            given_name_el: None,
            family_name_el: None,
            birth_date: Some("2030-01-01".into()),
            amka: Some("12345678901".into()),
            afm: Some("123".into()),
            email: Some("nope".into()),
            nationality: Some("Greece".into()),
            ..PersonInput::default()
        };
        let fields: Vec<String> = input
            .validate(today())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "familyNameEl",
                "birthDate",
                "amka",
                "afm",
                "nationality",
                "email"
            ]
        );
    }

    #[test]
    fn an_amka_must_match_the_birth_date() {
        let mut input = maria();
        input.birth_date = Some("1985-03-16".into());
        let errors = input.validate(today()).unwrap_err();
        assert_eq!(errors[0].field, "amka");
        assert!(errors[0].problem.contains("160385"), "{errors:?}");
    }

    #[test]
    fn neither_identifier_is_required() {
        let input = PersonInput {
            given_name_latin: Some("Ahmad".into()),
            family_name_latin: Some("Karimi".into()),
            nationality: Some("af".into()),
            third_country_national: Some(true),
            special: SpecialCategories {
                homeless: Some(SpecialCategoryAnswer::Yes),
                ..SpecialCategories::default()
            },
            ..PersonInput::default()
        };
        let person = input.validate(today()).unwrap();
        assert_eq!(person.nationality.as_deref(), Some("AF"));
        assert!(person.amka.is_none() && person.afm.is_none());
    }

    #[test]
    fn a_document_number_needs_its_type() {
        let mut input = maria();
        input.id_document_number = Some("AK 123456".into());
        let errors = input.validate(today()).unwrap_err();
        assert_eq!(errors[0].field, "idDocumentType");
    }
}

codes!(Gender {
    Female => "female",
    Male => "male",
    NonBinary => "non_binary",
    NotStated => "not_stated",
});
codes!(EmploymentStatus {
    Employed => "employed",
    Unemployed => "unemployed",
    LongTermUnemployed => "long_term_unemployed",
    Inactive => "inactive",
    InactiveNotInEducationOrTraining => "inactive_not_in_education_or_training",
});
codes!(EducationLevel {
    Isced0To2 => "isced_0_2",
    Isced3To4 => "isced_3_4",
    Isced5To8 => "isced_5_8",
});
codes!(SpecialCategoryAnswer {
    Yes => "yes",
    No => "no",
    DeclinedToAnswer => "declined",
});
codes!(IdDocumentType {
    IdentityCard => "identity_card",
    Passport => "passport",
    ResidencePermit => "residence_permit",
    AsylumSeekerCard => "asylum_seeker_card",
    Other => "other",
});
