//! Requests and cases: the intake taxonomy, the case lifecycle, and who may
//! read which notes.

use std::fmt;

use crate::access::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseStatus {
    Open,
    InProgress,
    Closed,
    Reopened,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 4] = [
        CaseStatus::Open,
        CaseStatus::InProgress,
        CaseStatus::Closed,
        CaseStatus::Reopened,
    ];

    /// The states a case may move to from this one.
    pub fn next(self) -> &'static [CaseStatus] {
        use CaseStatus::*;
        match self {
            // A request answered with information alone is closed at once.
            Open => &[InProgress, Closed],
            InProgress => &[Closed],
            Closed => &[Reopened],
            Reopened => &[InProgress, Closed],
        }
    }

    pub fn transition(self, to: CaseStatus) -> Result<CaseStatus, TransitionError> {
        if self.next().contains(&to) {
            Ok(to)
        } else {
            Err(TransitionError { from: self, to })
        }
    }

    pub fn is_active(self) -> bool {
        !matches!(self, CaseStatus::Closed)
    }
}

/// A move the lifecycle does not allow, naming both states and the allowed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionError {
    pub from: CaseStatus,
    pub to: CaseStatus,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed: Vec<&str> = self.from.next().iter().map(|s| s.code()).collect();
        write!(
            f,
            "a case cannot go from {} to {}; from {} it can go to: {}",
            self.from.code(),
            self.to.code(),
            self.from.code(),
            allowed.join(", ")
        )
    }
}

impl std::error::Error for TransitionError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestChannel {
    WalkIn,
    Phone,
    Email,
    ReferralIn,
}

/// The seeded taxonomy of what people ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestCategory {
    IncomeSupport,
    Housing,
    FoodAid,
    Health,
    Employment,
    Education,
    Psychosocial,
    LegalAdministrative,
    Other,
}

impl RequestCategory {
    pub const ALL: [RequestCategory; 9] = [
        RequestCategory::IncomeSupport,
        RequestCategory::Housing,
        RequestCategory::FoodAid,
        RequestCategory::Health,
        RequestCategory::Employment,
        RequestCategory::Education,
        RequestCategory::Psychosocial,
        RequestCategory::LegalAdministrative,
        RequestCategory::Other,
    ];

    /// The label staff read.
    pub fn name_el(self) -> &'static str {
        match self {
            RequestCategory::IncomeSupport => "Εισοδηματική ενίσχυση",
            RequestCategory::Housing => "Στέγαση",
            RequestCategory::FoodAid => "Επισιτιστική βοήθεια",
            RequestCategory::Health => "Υγεία",
            RequestCategory::Employment => "Απασχόληση",
            RequestCategory::Education => "Εκπαίδευση",
            RequestCategory::Psychosocial => "Ψυχοκοινωνική υποστήριξη",
            RequestCategory::LegalAdministrative => "Νομικά / διοικητικά",
            RequestCategory::Other => "Άλλο",
        }
    }
}

/// How confidential a note is, and so who may read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoteConfidentiality {
    /// Every role that works on cases (reception never reads notes).
    Standard,
    /// Social workers, psychologists and the coordinator.
    Sensitive,
    /// Psychologists and the note's author only.
    Psychological,
}

impl NoteConfidentiality {
    pub fn readable_by(self, role: Role, is_author: bool) -> bool {
        match self {
            NoteConfidentiality::Standard => matches!(
                role,
                Role::TenantAdmin | Role::SocialWorker | Role::Psychologist
            ),
            NoteConfidentiality::Sensitive => matches!(
                role,
                Role::TenantAdmin | Role::SocialWorker | Role::Psychologist
            ),
            NoteConfidentiality::Psychological => is_author || role == Role::Psychologist,
        }
    }
}

codes!(CaseStatus {
    Open => "open",
    InProgress => "in_progress",
    Closed => "closed",
    Reopened => "reopened",
});
codes!(RequestChannel {
    WalkIn => "walk_in",
    Phone => "phone",
    Email => "email",
    ReferralIn => "referral_in",
});
codes!(RequestCategory {
    IncomeSupport => "income_support",
    Housing => "housing",
    FoodAid => "food_aid",
    Health => "health",
    Employment => "employment",
    Education => "education",
    Psychosocial => "psychosocial",
    LegalAdministrative => "legal_administrative",
    Other => "other",
});
codes!(NoteConfidentiality {
    Standard => "standard",
    Sensitive => "sensitive",
    Psychological => "psychological",
});

bounded_text!(
    /// A case note's text.
    NoteBody,
    20_000,
    "write the note"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_allows_open_in_progress_closed_reopened() {
        use CaseStatus::*;
        assert_eq!(Open.transition(InProgress), Ok(InProgress));
        assert_eq!(InProgress.transition(Closed), Ok(Closed));
        assert_eq!(Closed.transition(Reopened), Ok(Reopened));
        assert_eq!(Reopened.transition(InProgress), Ok(InProgress));
    }

    #[test]
    fn a_bad_transition_names_both_states_and_the_way_forward() {
        let err = CaseStatus::Closed
            .transition(CaseStatus::InProgress)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "a case cannot go from closed to in_progress; from closed it can go to: reopened"
        );
    }

    #[test]
    fn a_case_never_goes_back_to_open() {
        for from in CaseStatus::ALL {
            assert!(from.transition(CaseStatus::Open).is_err(), "{from:?}");
        }
    }

    #[test]
    fn psychological_notes_are_for_psychologists_and_their_author() {
        let c = NoteConfidentiality::Psychological;
        assert!(c.readable_by(Role::Psychologist, false));
        assert!(c.readable_by(Role::SocialWorker, true));
        assert!(!c.readable_by(Role::SocialWorker, false));
        assert!(!c.readable_by(Role::TenantAdmin, false));
        assert!(!NoteConfidentiality::Standard.readable_by(Role::Reception, false));
        assert!(!NoteConfidentiality::Sensitive.readable_by(Role::Reception, true));
    }
}
