//! Referrals (παραπομπές) to services of the directory: their lifecycle,
//! structured reasons, response deadlines by urgency, and the data envelope
//! a sender chooses to share. The service taxonomy the directory is seeded
//! with lives here too.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

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
    fn taxonomy_codes_are_unique() {
        let mut codes: Vec<&str> = SERVICE_TAXONOMY.iter().map(|t| t.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), SERVICE_TAXONOMY.len());
    }
}
