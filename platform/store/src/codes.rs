//! Stored codes read back as the domain's closed sets (`kentro_domain::Coded`):
//! a code the domain does not know means the row is corrupt, and says which
//! row and which set.

use std::fmt::Display;

use kentro_domain::Coded;

use crate::StoreError;

/// The value of `code`, stored in `row` (e.g. `case 42`).
pub(crate) fn decode<T: Coded>(code: &str, row: impl Display) -> Result<T, StoreError> {
    T::from_code(code).ok_or_else(|| {
        StoreError::corrupt(row.to_string(), format!("unknown {} {code:?}", T::NAME))
    })
}

/// An optional code: none stored is none.
pub(crate) fn decode_optional<T: Coded>(
    code: Option<&str>,
    row: impl Display,
) -> Result<Option<T>, StoreError> {
    code.map(|c| decode(c, &row)).transpose()
}

/// A comma-separated list of codes; an empty column is an empty list.
pub(crate) fn decode_list<T: Coded>(codes: &str, row: impl Display) -> Result<Vec<T>, StoreError> {
    codes
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| decode(c, &row))
        .collect()
}

#[cfg(test)]
mod tests {
    use kentro_domain::case::{CaseStatus, RequestCategory};

    use super::*;

    #[test]
    fn a_known_code_reads_back_as_its_value() {
        assert_eq!(
            decode::<CaseStatus>("in_progress", "case 1").unwrap(),
            CaseStatus::InProgress
        );
        assert_eq!(decode_optional::<CaseStatus>(None, "case 1").unwrap(), None);
        assert_eq!(
            decode_list::<RequestCategory>("", "case 1").unwrap(),
            Vec::new()
        );
    }

    #[test]
    fn an_unknown_code_names_the_row_and_the_set() {
        let error = decode::<CaseStatus>("lost", "case 7").unwrap_err();
        assert_eq!(
            error.to_string(),
            "stored case 7 is not valid: unknown CaseStatus \"lost\""
        );
    }
}
