//! Households and consent.
//!
//! The household is the unit of the minimum-income application; the person
//! is the unit of indicators. Consent is given or withdrawn per purpose and
//! the latest statement is in force.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relationship {
    Head,
    Spouse,
    Partner,
    Child,
    Parent,
    Sibling,
    Grandchild,
    Grandparent,
    OtherRelative,
    NonRelative,
}

codes!(Relationship {
    Head => "head",
    Spouse => "spouse",
    Partner => "partner",
    Child => "child",
    Parent => "parent",
    Sibling => "sibling",
    Grandchild => "grandchild",
    Grandparent => "grandparent",
    OtherRelative => "other_relative",
    NonRelative => "non_relative",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentPurpose {
    RecordKeeping,
    /// Sharing data with a referral partner; without it no referral may share data.
    ReferralSharing,
    /// Contact by SMS or e-mail.
    Contact,
    /// Inclusion in statistics.
    Statistics,
}

codes!(ConsentPurpose {
    RecordKeeping => "record_keeping",
    ReferralSharing => "referral_sharing",
    Contact => "contact",
    Statistics => "statistics",
});

impl ConsentPurpose {
    pub const ALL: [ConsentPurpose; 4] = [
        ConsentPurpose::RecordKeeping,
        ConsentPurpose::ReferralSharing,
        ConsentPurpose::Contact,
        ConsentPurpose::Statistics,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentMethod {
    SignedForm,
    /// Needs the witness's name.
    VerbalWithWitness,
}

codes!(ConsentMethod {
    SignedForm => "signed_form",
    VerbalWithWitness => "verbal_with_witness",
});

/// Checks a consent statement's method and witness together.
pub fn check_witness(
    method: ConsentMethod,
    witness: Option<&str>,
) -> Result<Option<String>, String> {
    let witness = witness.map(str::trim).filter(|w| !w.is_empty());
    match (method, witness) {
        (ConsentMethod::VerbalWithWitness, None) => {
            Err("verbal consent needs the name of its witness".into())
        }
        (_, Some(w)) if w.chars().count() > 200 => Err("is longer than 200 characters".into()),
        (_, w) => Ok(w.map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbal_consent_needs_a_witness() {
        assert!(check_witness(ConsentMethod::VerbalWithWitness, None).is_err());
        assert!(check_witness(ConsentMethod::VerbalWithWitness, Some("  ")).is_err());
        assert_eq!(
            check_witness(ConsentMethod::VerbalWithWitness, Some("Ελένη Κ.")),
            Ok(Some("Ελένη Κ.".into()))
        );
        assert_eq!(check_witness(ConsentMethod::SignedForm, None), Ok(None));
    }
}
