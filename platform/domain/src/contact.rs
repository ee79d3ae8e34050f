//! Contact details as they appear on a center's public notices.

use std::fmt;

/// An e-mail address: one `@`, a non-empty local part, and a domain with a dot.
/// Deliverability is not checked; the goal is to catch typos in manifests and forms.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        let Some((local, domain)) = value.split_once('@') else {
            return Err(format!("{raw:?} is not an e-mail address (no @)"));
        };
        let well_formed = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !value.chars().any(char::is_whitespace);
        if well_formed {
            Ok(Email(value.to_lowercase()))
        } else {
            Err(format!("{raw:?} is not an e-mail address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Greek telephone number: ten digits once spaces, dashes, dots and an
/// optional `+30`/`0030` prefix are removed. Kept as the ten digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GreekPhoneNumber(String);

impl GreekPhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let national = compact
            .strip_prefix("+30")
            .or_else(|| compact.strip_prefix("0030"))
            .unwrap_or(&compact);
        if national.len() == 10 && national.bytes().all(|b| b.is_ascii_digit()) {
            Ok(GreekPhoneNumber(national.to_owned()))
        } else {
            Err(format!(
                "{raw:?} is not a Greek phone number (expected 10 digits, e.g. \"210 5065885\")"
            ))
        }
    }

    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GreekPhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Greek postal code (Τ.Κ.): five digits, written with or without a space after the third.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let digits: String = raw.chars().filter(|c| *c != ' ').collect();
        if digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(PostalCode(digits))
        } else {
            Err(format!(
                "{raw:?} is not a Greek postal code (expected 5 digits, e.g. \"132 31\")"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_as_printed_in_press_releases_are_accepted() {
        assert_eq!(
            GreekPhoneNumber::parse("28340-23144").unwrap().digits(),
            "2834023144"
        );
        assert_eq!(
            GreekPhoneNumber::parse("210 50 65 885").unwrap().digits(),
            "2105065885"
        );
        assert_eq!(
            GreekPhoneNumber::parse("+30 2331353834").unwrap().digits(),
            "2331353834"
        );
    }

    #[test]
    fn phone_number_with_wrong_digit_count_is_rejected() {
        let err = GreekPhoneNumber::parse("2834-2314").unwrap_err();
        assert!(err.contains("10 digits"), "{err}");
    }

    #[test]
    fn email_is_lowercased_and_checked_for_shape() {
        assert_eq!(
            Email::parse("Panagou@Veria.gr").unwrap().as_str(),
            "panagou@veria.gr"
        );
        assert!(Email::parse("panagou.veria.gr").is_err());
        assert!(Email::parse("a@b").is_err());
        assert!(Email::parse("a b@c.gr").is_err());
    }

    #[test]
    fn postal_code_takes_five_digits_with_optional_space() {
        assert_eq!(PostalCode::parse("591 00").unwrap().as_str(), "59100");
        assert!(PostalCode::parse("5910").is_err());
    }
}
