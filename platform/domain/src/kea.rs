//! Support for the minimum-income application (ΚΕΑ / Ελάχιστο Εγγυημένο
//! Εισόδημα): the application's lifecycle and the checklist of supporting
//! documents (δικαιολογητικά), computed from the household's situation.
//!
//! The rules are data with an effective period: a checklist is computed with
//! the rules in force on the application's reference date, so a rule change
//! never rewrites the history of earlier applications.

use chrono::NaiveDate;

use crate::household::Relationship;
use crate::keys::PersonId;
use crate::person::EmploymentStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationStatus {
    Preparing,
    Submitted,
    NeedsDocuments,
    Approved,
    Rejected,
}

codes!(ApplicationStatus {
    Preparing => "preparing",
    Submitted => "submitted",
    NeedsDocuments => "needs_documents",
    Approved => "approved",
    Rejected => "rejected",
});

impl ApplicationStatus {
    pub fn next(self) -> &'static [ApplicationStatus] {
        use ApplicationStatus::*;
        match self {
            Preparing => &[Submitted],
            Submitted => &[NeedsDocuments, Approved, Rejected],
            NeedsDocuments => &[Submitted],
            Approved | Rejected => &[],
        }
    }

    pub fn transition(self, to: ApplicationStatus) -> Result<ApplicationStatus, String> {
        if self.next().contains(&to) {
            Ok(to)
        } else {
            let allowed: Vec<&str> = self.next().iter().map(|s| s.code()).collect();
            Err(format!(
                "an application cannot go from {} to {}; from {} it can go to: {}",
                self.code(),
                to.code(),
                self.code(),
                if allowed.is_empty() {
                    "nothing (it is final)".to_owned()
                } else {
                    allowed.join(", ")
                }
            ))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    Amka,
    Afm,
    Iban,
    IdDocument,
    E1TaxReturn,
    TaxAssessmentNotice,
    ElectricityBill,
    LeaseOrE2,
    E9PropertyStatement,
    UnemploymentCard,
    ResidencePermit,
    DivorceOrSeparation,
    SingleParentProof,
    SchoolCertificate,
    SignedConsent,
}

codes!(DocumentKind {
    Amka => "amka",
    Afm => "afm",
    Iban => "iban",
    IdDocument => "id_document",
    E1TaxReturn => "e1_tax_return",
    TaxAssessmentNotice => "tax_assessment_notice",
    ElectricityBill => "electricity_bill",
    LeaseOrE2 => "lease_or_e2",
    E9PropertyStatement => "e9_property_statement",
    UnemploymentCard => "unemployment_card",
    ResidencePermit => "residence_permit",
    DivorceOrSeparation => "divorce_or_separation",
    SingleParentProof => "single_parent_proof",
    SchoolCertificate => "school_certificate",
    SignedConsent => "signed_consent",
});

impl DocumentKind {
    pub fn name_el(self) -> &'static str {
        match self {
            DocumentKind::Amka => "ΑΜΚΑ",
            DocumentKind::Afm => "ΑΦΜ",
            DocumentKind::Iban => "IBAN λογαριασμού",
            DocumentKind::IdDocument => "Αστυνομική ταυτότητα ή διαβατήριο",
            DocumentKind::E1TaxReturn => "Δήλωση φορολογίας εισοδήματος (Ε1)",
            DocumentKind::TaxAssessmentNotice => "Εκκαθαριστικό σημείωμα",
            DocumentKind::ElectricityBill => "Λογαριασμός ρεύματος",
            DocumentKind::LeaseOrE2 => "Μισθωτήριο ή Ε2",
            DocumentKind::E9PropertyStatement => "Ε9",
            DocumentKind::UnemploymentCard => "Κάρτα ανεργίας ΔΥΠΑ",
            DocumentKind::ResidencePermit => "Άδεια διαμονής",
            DocumentKind::DivorceOrSeparation => "Διαζευκτήριο ή έγγραφο διάστασης",
            DocumentKind::SingleParentProof => "Βεβαίωση μονογονεϊκής οικογένειας",
            DocumentKind::SchoolCertificate => "Βεβαίωση φοίτησης",
            DocumentKind::SignedConsent => "Υπογεγραμμένη συναίνεση",
        }
    }
}

/// What the checklist needs to know of one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSituation {
    pub person_id: PersonId,
    pub relationship: Relationship,
    /// Unknown birth dates count as adult: an adult's documents are asked for.
    pub birth_date: Option<NaiveDate>,
    pub employment_status: Option<EmploymentStatus>,
    /// ISO 3166-1 alpha-2; `None` when unknown.
    pub nationality: Option<String>,
}

/// What the checklist needs to know of the household.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HouseholdSituation {
    pub members: Vec<MemberSituation>,
    pub rents_home: bool,
    pub divorced_or_separated: bool,
}

fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    on.years_since(birth).unwrap_or(0)
}

impl MemberSituation {
    fn is_adult(&self, on: NaiveDate) -> bool {
        self.birth_date.is_none_or(|b| age_on(b, on) >= 18)
    }

    fn is_school_age(&self, on: NaiveDate) -> bool {
        self.birth_date
            .is_some_and(|b| (6..18).contains(&age_on(b, on)))
    }

    fn is_unemployed(&self) -> bool {
        matches!(
            self.employment_status,
            Some(EmploymentStatus::Unemployed | EmploymentStatus::LongTermUnemployed)
        )
    }

    /// Not Greek nor of another EU/EEA state: needs a residence permit.
    fn needs_residence_permit(&self) -> bool {
        const EU_EEA: [&str; 31] = [
            "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
            "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS",
            "LI", "NO", "CH",
        ];
        self.nationality
            .as_deref()
            .is_some_and(|n| !EU_EEA.contains(&n))
    }
}

impl HouseholdSituation {
    fn is_single_parent(&self, on: NaiveDate) -> bool {
        let has_partner = self
            .members
            .iter()
            .any(|m| matches!(m.relationship, Relationship::Spouse | Relationship::Partner));
        let has_minor_child = self
            .members
            .iter()
            .any(|m| m.relationship == Relationship::Child && !m.is_adult(on));
        has_minor_child && !has_partner
    }
}

/// Who a rule asks a document of.
#[derive(Debug, Clone, Copy)]
pub enum Applies {
    /// One document for the household.
    Household(fn(&HouseholdSituation, NaiveDate) -> bool),
    /// One document per member for whom the test holds.
    EachMember(fn(&MemberSituation, NaiveDate) -> bool),
}

/// One checklist rule, in force from `effective_from` until (not including) `effective_until`.
#[derive(Debug, Clone, Copy)]
pub struct ChecklistRule {
    pub id: &'static str,
    pub document: DocumentKind,
    pub applies: Applies,
    pub effective_from: NaiveDate,
    pub effective_until: Option<NaiveDate>,
}

const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("a rule's date is a real date"),
    }
}

/// Since the Ελάχιστο Εγγυημένο Εισόδημα replaced ΚΕΑ (2019).
const EEE: NaiveDate = date(2019, 1, 1);

/// The rules, oldest first. To change one, end it (`effective_until`) and
/// add its successor: applications dated before the change keep the old rule.
pub const CHECKLIST_RULES: &[ChecklistRule] = &[
    ChecklistRule {
        id: "amka-every-member",
        document: DocumentKind::Amka,
        applies: Applies::EachMember(|_, _| true),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "afm-adults",
        document: DocumentKind::Afm,
        applies: Applies::EachMember(|m, on| m.is_adult(on)),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "id-adults",
        document: DocumentKind::IdDocument,
        applies: Applies::EachMember(|m, on| m.is_adult(on)),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "iban-household",
        document: DocumentKind::Iban,
        applies: Applies::Household(|_, _| true),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "e1-adults",
        document: DocumentKind::E1TaxReturn,
        applies: Applies::EachMember(|m, on| m.is_adult(on)),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "tax-assessment-adults",
        document: DocumentKind::TaxAssessmentNotice,
        applies: Applies::EachMember(|m, on| m.is_adult(on)),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "electricity-bill",
        document: DocumentKind::ElectricityBill,
        applies: Applies::Household(|_, _| true),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "lease-or-e2-when-renting",
        document: DocumentKind::LeaseOrE2,
        applies: Applies::Household(|h, _| h.rents_home),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "e9-household",
        document: DocumentKind::E9PropertyStatement,
        applies: Applies::Household(|_, _| true),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "unemployment-card",
        document: DocumentKind::UnemploymentCard,
        applies: Applies::EachMember(|m, _| m.is_unemployed()),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "residence-permit-foreign",
        document: DocumentKind::ResidencePermit,
        applies: Applies::EachMember(|m, _| m.needs_residence_permit()),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "divorce-or-separation",
        document: DocumentKind::DivorceOrSeparation,
        applies: Applies::Household(|h, _| h.divorced_or_separated),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "single-parent",
        document: DocumentKind::SingleParentProof,
        applies: Applies::Household(|h, on| h.is_single_parent(on)),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "school-certificate-children",
        document: DocumentKind::SchoolCertificate,
        applies: Applies::EachMember(|m, on| m.is_school_age(on)),
        effective_from: EEE,
        effective_until: None,
    },
    ChecklistRule {
        id: "signed-consent-adults",
        document: DocumentKind::SignedConsent,
        applies: Applies::EachMember(|m, on| m.is_adult(on)),
        effective_from: EEE,
        effective_until: None,
    },
];

/// One document the application needs: of the household (`person_id` None) or of a member.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequiredDocument {
    pub document: DocumentKind,
    pub person_id: Option<PersonId>,
    pub rule: &'static str,
}

/// The documents `rules` ask of `household`, for an application dated `on`.
pub fn checklist(
    rules: &[ChecklistRule],
    household: &HouseholdSituation,
    on: NaiveDate,
) -> Vec<RequiredDocument> {
    let mut required = Vec::new();
    for rule in rules {
        let in_force =
            rule.effective_from <= on && rule.effective_until.is_none_or(|until| on < until);
        if !in_force {
            continue;
        }
        match rule.applies {
            Applies::Household(test) => {
                if test(household, on) {
                    required.push(RequiredDocument {
                        document: rule.document,
                        person_id: None,
                        rule: rule.id,
                    });
                }
            }
            Applies::EachMember(test) => {
                for member in &household.members {
                    if test(member, on) {
                        required.push(RequiredDocument {
                            document: rule.document,
                            person_id: Some(member.person_id),
                            rule: rule.id,
                        });
                    }
                }
            }
        }
    }
    required
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> NaiveDate {
        date(2026, 11, 23)
    }

    fn member(id: i64, relationship: Relationship, born: (i32, u32, u32)) -> MemberSituation {
        MemberSituation {
            person_id: PersonId::new(id),
            relationship,
            birth_date: NaiveDate::from_ymd_opt(born.0, born.1, born.2),
            employment_status: Some(EmploymentStatus::Employed),
            nationality: Some("GR".into()),
        }
    }

    fn family() -> HouseholdSituation {
        HouseholdSituation {
            members: vec![
                member(1, Relationship::Head, (1980, 1, 1)),
                member(2, Relationship::Child, (2015, 6, 1)),
            ],
            rents_home: true,
            divorced_or_separated: false,
        }
    }

    fn kinds_for(list: &[RequiredDocument], person: Option<i64>) -> Vec<DocumentKind> {
        let person = person.map(PersonId::new);
        list.iter()
            .filter(|d| d.person_id == person)
            .map(|d| d.document)
            .collect()
    }

    #[test]
    fn a_single_parent_renting_with_a_school_child() {
        let list = checklist(CHECKLIST_RULES, &family(), on());
        use DocumentKind::*;
        assert_eq!(
            kinds_for(&list, Some(1)),
            [
                Amka,
                Afm,
                IdDocument,
                E1TaxReturn,
                TaxAssessmentNotice,
                SignedConsent
            ]
        );
        assert_eq!(kinds_for(&list, Some(2)), [Amka, SchoolCertificate]);
        assert_eq!(
            kinds_for(&list, None),
            [
                Iban,
                ElectricityBill,
                LeaseOrE2,
                E9PropertyStatement,
                SingleParentProof
            ]
        );
    }

    #[test]
    fn becoming_unemployed_adds_an_unemployment_card() {
        let mut household = family();
        let before = checklist(CHECKLIST_RULES, &household, on());
        household.members[0].employment_status = Some(EmploymentStatus::LongTermUnemployed);
        let after = checklist(CHECKLIST_RULES, &household, on());
        assert_eq!(after.len(), before.len() + 1);
        assert!(after.contains(&RequiredDocument {
            document: DocumentKind::UnemploymentCard,
            person_id: Some(PersonId::new(1)),
            rule: "unemployment-card",
        }));
    }

    #[test]
    fn a_third_country_member_needs_a_residence_permit() {
        let mut household = family();
        household.members[0].nationality = Some("SY".into());
        let list = checklist(CHECKLIST_RULES, &household, on());
        assert!(kinds_for(&list, Some(1)).contains(&DocumentKind::ResidencePermit));
        household.members[0].nationality = Some("DE".into());
        let list = checklist(CHECKLIST_RULES, &household, on());
        assert!(!kinds_for(&list, Some(1)).contains(&DocumentKind::ResidencePermit));
    }

    #[test]
    fn a_rule_change_does_not_rewrite_earlier_applications() {
        let changed = date(2026, 1, 1);
        let mut rules = CHECKLIST_RULES.to_vec();
        let old = rules
            .iter_mut()
            .find(|r| r.id == "electricity-bill")
            .unwrap();
        old.effective_until = Some(changed);
        rules.push(ChecklistRule {
            id: "utility-bill-2026",
            document: DocumentKind::ElectricityBill,
            applies: Applies::Household(|h, _| h.rents_home),
            effective_from: changed,
            effective_until: None,
        });
        let earlier = checklist(&rules, &family(), date(2025, 6, 1));
        let later = checklist(&rules, &family(), on());
        let rule_of = |list: &[RequiredDocument]| {
            list.iter()
                .find(|d| d.document == DocumentKind::ElectricityBill)
                .map(|d| d.rule)
        };
        assert_eq!(rule_of(&earlier), Some("electricity-bill"));
        assert_eq!(rule_of(&later), Some("utility-bill-2026"));
    }

    #[test]
    fn the_application_lifecycle_is_enforced() {
        use ApplicationStatus::*;
        assert_eq!(Preparing.transition(Submitted), Ok(Submitted));
        assert_eq!(Submitted.transition(NeedsDocuments), Ok(NeedsDocuments));
        assert_eq!(NeedsDocuments.transition(Submitted), Ok(Submitted));
        let err = Approved.transition(Preparing).unwrap_err();
        assert!(err.contains("from approved to preparing"), "{err}");
        assert!(Preparing.transition(Approved).is_err());
    }
}
