//! The identifiers people bring: ΑΜΚΑ (social security number) and ΑΦΜ (tax
//! number). Both are validated when given and never required: asylum seekers
//! and homeless people may have neither.

use std::fmt;

/// ΑΜΚΑ: 11 digits; the first six are the birth date as DDMMYY; the last is
/// a Luhn check digit over all eleven.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amka(String);

fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(month: u32, year: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Whether DD/MM/YY is a real date in either the 1900s or the 2000s (the
/// ΑΜΚΑ does not say which).
fn ddmmyy_is_a_date(day: u32, month: u32, yy: u32) -> bool {
    [1900 + yy, 2000 + yy]
        .iter()
        .any(|year| day >= 1 && day <= days_in_month(month, *year))
}

impl Amka {
    pub fn parse(raw: &str) -> Result<Amka, String> {
        let value: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if value.len() != 11 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{raw:?} is not an ΑΜΚΑ (11 digits)"));
        }
        let digits: Vec<u8> = value.bytes().map(|b| b - b'0').collect();
        let number = |range: std::ops::Range<usize>| {
            digits[range]
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(*d))
        };
        if !ddmmyy_is_a_date(number(0..2), number(2..4), number(4..6)) {
            return Err(format!(
                "{raw:?} is not an ΑΜΚΑ: its first six digits must be a birth date (DDMMYY)"
            ));
        }
        if !luhn_valid(&digits) {
            return Err(format!(
                "{raw:?} is not an ΑΜΚΑ: its check digit is wrong (a typo?)"
            ));
        }
        Ok(Amka(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Amka {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// ΑΦΜ: 9 digits; the last is a check digit: the sum of the first eight,
/// each times 2^(8-position), modulo 11, modulo 10.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Afm(String);

impl Afm {
    pub fn parse(raw: &str) -> Result<Afm, String> {
        let value: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if value.len() != 9 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{raw:?} is not an ΑΦΜ (9 digits)"));
        }
        if value.bytes().all(|b| b == b'0') {
            return Err(format!("{raw:?} is not an ΑΦΜ"));
        }
        let digits: Vec<u32> = value.bytes().map(|b| u32::from(b - b'0')).collect();
        let sum: u32 = digits[..8]
            .iter()
            .enumerate()
            .map(|(i, d)| d << (8 - i))
            .sum();
        if sum % 11 % 10 != digits[8] {
            return Err(format!(
                "{raw:?} is not an ΑΦΜ: its check digit is wrong (a typo?)"
            ));
        }
        Ok(Afm(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Afm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Test fixtures: valid identifiers made by the same rules, for tests and
/// the synthetic-data generator.
pub mod fixtures {
    use super::luhn_valid;

    /// A valid ΑΜΚΑ for a birth date and a 4-digit serial.
    pub fn amka(day: u32, month: u32, yy: u32, serial: u32) -> String {
        let stem = format!("{day:02}{month:02}{yy:02}{serial:04}");
        (0..10)
            .map(|check| format!("{stem}{check}"))
            .find(|candidate| {
                let digits: Vec<u8> = candidate.bytes().map(|b| b - b'0').collect();
                luhn_valid(&digits)
            })
            .expect("one of ten check digits satisfies Luhn")
    }

    /// A valid ΑΦΜ from an 8-digit stem.
    pub fn afm(stem: u32) -> String {
        let stem = format!("{:08}", stem % 100_000_000);
        let sum: u32 = stem
            .bytes()
            .enumerate()
            .map(|(i, b)| u32::from(b - b'0') << (8 - i))
            .sum();
        format!("{stem}{}", sum % 11 % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_amka_is_accepted() {
        let amka = fixtures::amka(15, 3, 85, 1234);
        assert_eq!(Amka::parse(&amka).unwrap().as_str(), amka);
    }

    #[test]
    fn an_amka_with_a_wrong_check_digit_is_refused() {
        let amka = fixtures::amka(15, 3, 85, 1234);
        let last = amka.as_bytes()[10] - b'0';
        let wrong = format!("{}{}", &amka[..10], (last + 1) % 10);
        let err = Amka::parse(&wrong).unwrap_err();
        assert!(err.contains("check digit"), "{err}");
    }

    #[test]
    fn an_amka_must_start_with_a_real_date() {
        let err = Amka::parse(&fixtures::amka(31, 2, 85, 1)).unwrap_err();
        assert!(err.contains("DDMMYY"), "{err}");
        // 29 February exists in 2000 even though not in 1900.
        assert!(Amka::parse(&fixtures::amka(29, 2, 0, 1)).is_ok());
        assert!(Amka::parse(&fixtures::amka(29, 2, 1, 1)).is_err());
    }

    #[test]
    fn an_amka_must_have_eleven_digits() {
        assert!(Amka::parse("1503851234").is_err());
        assert!(Amka::parse("15038512345a").is_err());
    }

    #[test]
    fn amka_check_digits_worked_by_hand() {
        // 1503851234 + check: from the right, the payload's digits 4, 2, 5, 3, 5
        // are doubled (8, 4, 10→1, 6, 10→1: 20) and 3, 1, 8, 0, 1 kept (13);
        // 33 needs 7 to reach a multiple of ten.
        assert!(Amka::parse("15038512347").is_ok());
        assert!(Amka::parse("15038512348").is_err());
        // 0101901234 + check: doubled 4, 2, 0, 1, 1 (8, 4, 0, 2, 2: 16), kept
        // 3, 1, 9, 0, 0 (13); 29 needs 1.
        assert!(Amka::parse("01019012341").is_ok());
        assert!(Amka::parse("01019012340").is_err());
        // Two digits swapped keep the sum of the kept digits but not the
        // doubled ones: 15038512374 is refused.
        assert!(Amka::parse("15038512374").is_err());
    }

    #[test]
    fn afm_check_digit_is_verified() {
        // Valid by the rule: 9·128 + 1·32 + 6·16 + 5·8 + 5·4 + 6·2 = 1352; 1352 mod 11 = 10; 10 mod 10 = 0.
        assert!(Afm::parse("090165560").is_ok());
        assert!(Afm::parse("090165561").is_err());
        assert!(Afm::parse("000000000").is_err());
        assert!(Afm::parse("12345678").is_err());
        let generated = fixtures::afm(12_345_678);
        assert!(Afm::parse(&generated).is_ok(), "{generated}");
    }
}
