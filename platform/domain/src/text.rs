//! Free text people type into forms. Each field that takes some declares
//! its newtype with `bounded_text!` where its rule belongs (a referral's
//! reason in `referral.rs`, a note's body in `case.rs`, ...), so the rule is
//! checked once, where the text enters, and the store takes only the type.

/// `raw` trimmed, when it has 1 to `max` characters; otherwise what is wrong.
pub fn bounded(raw: &str, max: usize, when_empty: &str) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(when_empty.to_owned());
    }
    if text.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use crate::referral::ReferralReason;

    #[test]
    fn text_is_trimmed_and_bounded_in_characters_not_bytes() {
        assert_eq!(
            ReferralReason::parse("  στέγαση ").unwrap().as_str(),
            "στέγαση"
        );
        assert_eq!(
            ReferralReason::parse("   ").unwrap_err(),
            "say why the person is referred"
        );
        let greek = "α".repeat(ReferralReason::MAX);
        assert!(
            ReferralReason::parse(&greek).is_ok(),
            "2000 Greek letters fit"
        );
        assert_eq!(
            ReferralReason::parse(&format!("{greek}β")).unwrap_err(),
            "must be at most 2000 characters"
        );
    }
}
