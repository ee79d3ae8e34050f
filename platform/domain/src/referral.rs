//! Referrals (παραπομπές) to services of the directory: their lifecycle,
//! structured reasons, response deadlines by urgency, and the data envelope
//! a sender chooses to share. The service taxonomy the directory is seeded
//! with lives here too.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Map, Value, json};

use crate::household::Relationship;
use crate::person::PersonDetails;

/// How a partner organisation's API key begins (`kpk_<id>_<secret>`), so
/// that the HTTP layer tells it from a session token at a glance.
pub const PARTNER_KEY_PREFIX: &str = "kpk_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferralStatus {
    Draft,
    Sent,
    Accepted,
    Declined,
    InProgress,
    Completed,
    NotCompleted,
    Cancelled,
    Expired,
}

codes!(ReferralStatus {
    Draft => "draft",
    Sent => "sent",
    Accepted => "accepted",
    Declined => "declined",
    InProgress => "in_progress",
    Completed => "completed",
    NotCompleted => "not_completed",
    Cancelled => "cancelled",
    Expired => "expired",
});

impl ReferralStatus {
    /// The states a referral may move to from this one.
    pub fn next(self) -> &'static [ReferralStatus] {
        use ReferralStatus::*;
        match self {
            Draft => &[Sent, Cancelled],
            Sent => &[Accepted, Declined, Cancelled, Expired],
            Accepted => &[InProgress, Cancelled, Expired],
            InProgress => &[Completed, NotCompleted, Cancelled, Expired],
            Declined | Completed | NotCompleted | Cancelled | Expired => &[],
        }
    }

    /// Open referrals still await something; the others are final.
    pub fn is_open(self) -> bool {
        !self.next().is_empty()
    }

    pub fn transition(self, to: ReferralStatus) -> Result<ReferralStatus, ReferralTransitionError> {
        if self.next().contains(&to) {
            Ok(to)
        } else {
            Err(ReferralTransitionError { from: self, to })
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferralTransitionError {
    pub from: ReferralStatus,
    pub to: ReferralStatus,
}

impl fmt::Display for ReferralTransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed: Vec<&str> = self.from.next().iter().map(|s| s.code()).collect();
        write!(
            f,
            "a referral cannot go from {} to {}; from {} it can go to: {}",
            self.from.code(),
            self.to.code(),
            self.from.code(),
            if allowed.is_empty() {
                "nothing (it is final)".to_owned()
            } else {
                allowed.join(", ")
            }
        )
    }
}

impl std::error::Error for ReferralTransitionError {}

/// Why a receiving service declines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclineReason {
    NoCapacity,
    NotEligible,
    OutOfArea,
    PersonUnreachable,
    Other,
}

codes!(DeclineReason {
    NoCapacity => "no_capacity",
    NotEligible => "not_eligible",
    OutOfArea => "out_of_area",
    PersonUnreachable => "person_unreachable",
    Other => "other",
});

/// Why an accepted referral ended without the service being given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotCompletedReason {
    PersonDidNotAttend,
    PersonWithdrew,
    ServiceUnavailable,
    Other,
}

codes!(NotCompletedReason {
    PersonDidNotAttend => "person_did_not_attend",
    PersonWithdrew => "person_withdrew",
    ServiceUnavailable => "service_unavailable",
    Other => "other",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferralLevel {
    Local,
    Regional,
    National,
}

codes!(ReferralLevel {
    Local => "local",
    Regional => "regional",
    National => "national",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Urgency {
    Routine,
    Priority,
    Urgent,
    /// Someone at risk today (e.g. without shelter tonight).
    Emergency,
}

codes!(Urgency {
    Routine => "routine",
    Priority => "priority",
    Urgent => "urgent",
    Emergency => "emergency",
});

impl Urgency {
    /// How long the receiver has to answer (accept or decline).
    pub fn response_time(self) -> Duration {
        match self {
            Urgency::Routine => Duration::days(10),
            Urgency::Priority => Duration::days(3),
            Urgency::Urgent => Duration::days(1),
            Urgency::Emergency => Duration::hours(4),
        }
    }

    pub fn response_deadline(self, sent_at: DateTime<Utc>) -> DateTime<Utc> {
        sent_at + self.response_time()
    }
}

/// Whether a referral waits for an answer past its deadline.
pub fn is_overdue(
    status: ReferralStatus,
    deadline: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    status == ReferralStatus::Sent && deadline.is_some_and(|d| now > d)
}

/// What a sender may put in a referral's data envelope; nothing else of the
/// person ever reaches the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EnvelopeField {
    Name,
    BirthDate,
    Phone,
    Email,
    Address,
    Amka,
    Afm,
    HouseholdComposition,
    RequestSummary,
    /// Disability, minority, foreign background, homelessness: only when
    /// the sender may see them and chooses to.
    SpecialCategories,
}

codes!(EnvelopeField {
    Name => "name",
    BirthDate => "birth_date",
    Phone => "phone",
    Email => "email",
    Address => "address",
    Amka => "amka",
    Afm => "afm",
    HouseholdComposition => "household_composition",
    RequestSummary => "request_summary",
    SpecialCategories => "special_categories",
});

/// Whose directory the referred service is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetScope {
    /// The sending tenant's own directory.
    Own,
    /// The national catalog.
    National,
    /// Another tenant's (published) directory.
    Tenant,
}

codes!(TargetScope {
    Own => "own",
    National => "national",
    Tenant => "tenant",
});

/// What the receiver of a referral answers or reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferralResponse {
    Accept {
        note: Option<String>,
    },
    Decline {
        reason: DeclineReason,
        note: Option<String>,
    },
    Start,
    Complete {
        note: Option<String>,
    },
    NotComplete {
        reason: NotCompletedReason,
        note: Option<String>,
    },
}

impl ReferralResponse {
    /// The state the referral moves to.
    pub fn target(&self) -> ReferralStatus {
        match self {
            ReferralResponse::Accept { .. } => ReferralStatus::Accepted,
            ReferralResponse::Decline { .. } => ReferralStatus::Declined,
            ReferralResponse::Start => ReferralStatus::InProgress,
            ReferralResponse::Complete { .. } => ReferralStatus::Completed,
            ReferralResponse::NotComplete { .. } => ReferralStatus::NotCompleted,
        }
    }

    /// Reads a response as a form or an API gives it: an action, a reason
    /// code where the action needs one, and a note. `Decline` and
    /// `NotComplete` with reason `other` need the note to say why.
    pub fn parse(
        action: &str,
        reason: Option<&str>,
        note: Option<&str>,
    ) -> Result<ReferralResponse, (&'static str, String)> {
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
            return Err(("note", "must be at most 2000 characters".into()));
        }
        let needs_reason = |known: &[&str]| {
            (
                "reason",
                format!("is required for {action}; one of: {}", known.join(", ")),
            )
        };
        let response = match action {
            "accept" => ReferralResponse::Accept { note },
            "start" => ReferralResponse::Start,
            "complete" => ReferralResponse::Complete { note },
            "decline" => {
                let codes = [
                    "no_capacity",
                    "not_eligible",
                    "out_of_area",
                    "person_unreachable",
                    "other",
                ];
                let reason = reason
                    .and_then(DeclineReason::from_code)
                    .ok_or_else(|| needs_reason(&codes))?;
                if reason == DeclineReason::Other && note.is_none() {
                    return Err(("note", "must say why when the reason is other".into()));
                }
                ReferralResponse::Decline { reason, note }
            }
            "not_complete" => {
                let codes = [
                    "person_did_not_attend",
                    "person_withdrew",
                    "service_unavailable",
                    "other",
                ];
                let reason = reason
                    .and_then(NotCompletedReason::from_code)
                    .ok_or_else(|| needs_reason(&codes))?;
                if reason == NotCompletedReason::Other && note.is_none() {
                    return Err(("note", "must say why when the reason is other".into()));
                }
                ReferralResponse::NotComplete { reason, note }
            }
            other => {
                return Err((
                    "action",
                    format!(
                        "{other:?} is not one of: accept, decline, start, complete, not_complete"
                    ),
                ));
            }
        };
        Ok(response)
    }
}

/// What the sender knows, from which an envelope takes only the chosen fields.
#[derive(Debug, Clone, Copy)]
pub struct EnvelopeSource<'a> {
    pub person: &'a PersonDetails,
    /// The relationships of the household's members, the person included.
    pub household: &'a [Relationship],
    pub request_date: NaiveDate,
    pub request_categories: &'a [&'a str],
}

/// The data a receiver gets: only the fields the sender chose, and of those
/// only the ones known.
pub fn envelope(fields: &[EnvelopeField], source: EnvelopeSource<'_>) -> Value {
    let person = source.person;
    let mut out = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            out.insert(key.to_owned(), value);
        }
    };
    for field in fields {
        match field {
            EnvelopeField::Name => put("name", Some(json!(person.display_name()))),
            EnvelopeField::BirthDate => {
                put("birth_date", person.birth_date.map(|d| json!(d.to_string())))
            }
            EnvelopeField::Phone => put("phone", person.phone.clone().map(Value::String)),
            EnvelopeField::Email => put("email", person.email.as_ref().map(|e| json!(e.as_str()))),
            EnvelopeField::Address => {
                let address = [person.address.as_deref(), person.area.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ");
                put("address", (!address.is_empty()).then(|| json!(address)))
            }
            EnvelopeField::Amka => put("amka", person.amka.as_ref().map(|a| json!(a.as_str()))),
            EnvelopeField::Afm => put("afm", person.afm.as_ref().map(|a| json!(a.as_str()))),
            EnvelopeField::HouseholdComposition => put(
                "household",
                (!source.household.is_empty()).then(|| {
                    json!({
                        "size": source.household.len(),
                        "relationships": source.household.iter().map(|r| r.code()).collect::<Vec<_>>(),
                    })
                }),
            ),
            EnvelopeField::RequestSummary => put(
                "request",
                Some(json!({
                    "date": source.request_date.to_string(),
                    "categories": source.request_categories,
                })),
            ),
            EnvelopeField::SpecialCategories => {
                let special = &person.special;
                let answers: Map<String, Value> = [
                    ("disability", special.disability),
                    ("minority", special.minority),
                    ("foreign_background", special.foreign_background),
                    ("homeless", special.homeless),
                ]
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_owned(), json!(v?.code()))))
                .collect();
                put("special_categories", (!answers.is_empty()).then_some(Value::Object(answers)))
            }
        }
    }
    Value::Object(out)
}

/// One term of the service taxonomy the directory is seeded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxonomyTerm {
    pub code: &'static str,
    pub name_el: &'static str,
    pub name_en: &'static str,
}

/// The Greek social-service taxonomy (from the services the seeds name).
pub const SERVICE_TAXONOMY: &[TaxonomyTerm] = &[
    TaxonomyTerm {
        code: "minimum-income",
        name_el: "Ελάχιστο Εγγυημένο Εισόδημα (ΚΕΑ)",
        name_en: "Minimum guaranteed income",
    },
    TaxonomyTerm {
        code: "food-aid-teba",
        name_el: "Επισιτιστική και βασική υλική συνδρομή (ΤΕΒΑ)",
        name_en: "Food and basic material aid (FEAD)",
    },
    TaxonomyTerm {
        code: "social-grocery",
        name_el: "Κοινωνικό παντοπωλείο",
        name_en: "Social grocery",
    },
    TaxonomyTerm {
        code: "soup-kitchen",
        name_el: "Συσσίτιο",
        name_en: "Soup kitchen",
    },
    TaxonomyTerm {
        code: "homeless-shelter",
        name_el: "Ξενώνας / υπνωτήριο αστέγων",
        name_en: "Homeless shelter",
    },
    TaxonomyTerm {
        code: "womens-shelter",
        name_el: "Ξενώνας κακοποιημένων γυναικών και θυμάτων εμπορίας",
        name_en: "Shelter for abused women and trafficking victims",
    },
    TaxonomyTerm {
        code: "help-at-home",
        name_el: "Βοήθεια στο Σπίτι",
        name_en: "Help at Home",
    },
    TaxonomyTerm {
        code: "day-care-elderly",
        name_el: "Κέντρο Ημερήσιας Φροντίδας Ηλικιωμένων (ΚΗΦΗ)",
        name_en: "Day care for the elderly",
    },
    TaxonomyTerm {
        code: "day-care-disability",
        name_el: "Κέντρο Διημέρευσης - Ημερήσιας Φροντίδας ΑμεΑ",
        name_en: "Day care for people with disabilities",
    },
    TaxonomyTerm {
        code: "mental-health",
        name_el: "Δομή ψυχικής υγείας",
        name_en: "Mental-health service",
    },
    TaxonomyTerm {
        code: "special-education-assessment",
        name_el: "Διεπιστημονική αξιολόγηση εκπαιδευτικών αναγκών (ΚΕΔΑΣΥ)",
        name_en: "Special-education assessment",
    },
    TaxonomyTerm {
        code: "employment-service",
        name_el: "Υπηρεσία απασχόλησης (ΔΥΠΑ)",
        name_en: "Employment service",
    },
    TaxonomyTerm {
        code: "lifelong-learning",
        name_el: "Δια βίου μάθηση",
        name_en: "Lifelong learning",
    },
    TaxonomyTerm {
        code: "social-tutoring",
        name_el: "Κοινωνικό φροντιστήριο",
        name_en: "Social tutoring",
    },
    TaxonomyTerm {
        code: "legal-aid",
        name_el: "Νομική συνδρομή",
        name_en: "Legal aid",
    },
    TaxonomyTerm {
        code: "welfare-benefits",
        name_el: "Προνοιακά επιδόματα",
        name_en: "Welfare allowances",
    },
    TaxonomyTerm {
        code: "free-health-care",
        name_el: "Δωρεάν ιατροφαρμακευτική περίθαλψη",
        name_en: "Free medical and pharmaceutical care",
    },
    TaxonomyTerm {
        code: "psychosocial-support",
        name_el: "Ψυχοκοινωνική υποστήριξη",
        name_en: "Psychosocial counselling",
    },
];

/// Where a partner's link points, before its token.
pub const PARTNER_LINK_PATH: &str = "/partner/referrals/";

bounded_text!(
    /// Why a person is referred, as the receiver reads it.
    ReferralReason,
    2000,
    "say why the person is referred"
);

bounded_text!(
    /// The name a center gives a partner organization's API key.
    PartnerKeyLabel,
    200,
    "name the partner"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_referral_goes_draft_sent_accepted_in_progress_completed() {
        use ReferralStatus::*;
        let mut status = Draft;
        for to in [Sent, Accepted, InProgress, Completed] {
            status = status.transition(to).unwrap();
        }
        assert!(!status.is_open());
    }

    #[test]
    fn declined_and_finished_referrals_are_final() {
        use ReferralStatus::*;
        for from in [Declined, Completed, NotCompleted, Cancelled, Expired] {
            let err = from.transition(Sent).unwrap_err().to_string();
            assert!(err.contains("it is final"), "{err}");
        }
        let err = Draft.transition(Accepted).unwrap_err().to_string();
        assert_eq!(
            err,
            "a referral cannot go from draft to accepted; from draft it can go to: sent, cancelled"
        );
    }

    #[test]
    fn every_open_state_can_be_cancelled_and_a_draft_never_expires() {
        use ReferralStatus::*;
        for open in [Draft, Sent, Accepted, InProgress] {
            assert!(open.transition(Cancelled).is_ok(), "{open:?}");
        }
        assert!(Draft.transition(Expired).is_err());
    }

    #[test]
    fn overdue_means_sent_and_unanswered_past_the_deadline() {
        let sent = DateTime::parse_from_rfc3339("2026-11-20T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let deadline = Urgency::Urgent.response_deadline(sent);
        let later = sent + Duration::hours(30);
        assert!(is_overdue(ReferralStatus::Sent, Some(deadline), later));
        assert!(!is_overdue(ReferralStatus::Accepted, Some(deadline), later));
        assert!(!is_overdue(
            ReferralStatus::Sent,
            Some(deadline),
            sent + Duration::hours(2)
        ));
        assert!(Urgency::Emergency.response_time() < Urgency::Routine.response_time());
    }

    #[test]
    fn a_decline_needs_a_known_reason_and_other_needs_a_note() {
        let err = ReferralResponse::parse("decline", None, None).unwrap_err();
        assert_eq!(err.0, "reason");
        assert!(err.1.contains("no_capacity"), "{}", err.1);
        let err = ReferralResponse::parse("decline", Some("other"), Some("  ")).unwrap_err();
        assert_eq!(err.0, "note");
        assert_eq!(
            ReferralResponse::parse("decline", Some("no_capacity"), None)
                .unwrap()
                .target(),
            ReferralStatus::Declined
        );
        assert_eq!(
            ReferralResponse::parse("shrug", None, None).unwrap_err().0,
            "action"
        );
    }

    #[test]
    fn an_envelope_holds_only_the_chosen_fields() {
        use crate::person::PersonInput;
        let person = PersonInput {
            given_name_el: Some("Μαρία".into()),
            family_name_el: Some("Παπαδοπούλου".into()),
            phone: Some("6912345678".into()),
            address: Some("Οδός 1".into()),
            ..PersonInput::default()
        }
        .validate(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
        .unwrap();
        let source = EnvelopeSource {
            person: &person,
            household: &[Relationship::Head, Relationship::Child],
            request_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            request_categories: &["housing"],
        };
        let sent = envelope(
            &[EnvelopeField::Name, EnvelopeField::HouseholdComposition],
            source,
        );
        assert_eq!(
            sent,
            json!({"name": "Μαρία Παπαδοπούλου", "household": {"size": 2, "relationships": ["head", "child"]}})
        );
        let sent = envelope(
            &[EnvelopeField::Amka, EnvelopeField::SpecialCategories],
            source,
        );
        assert_eq!(sent, json!({}), "unknown values are left out");
    }

    #[test]
    fn taxonomy_codes_are_unique() {
        let mut codes: Vec<&str> = SERVICE_TAXONOMY.iter().map(|t| t.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), SERVICE_TAXONOMY.len());
    }
}
