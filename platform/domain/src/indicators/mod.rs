//! Oversight indicators: which cells of the ESF (2014-2020, Reg. 1304/2013
//! Annex I) and ESF+ (2021-2027, Reg. 2021/1057 Annex I) common output
//! indicators a participant counts in; `disclosure` publishes their counts
//! to overseers so that no small one can be recovered, even by comparing
//! answers.

use crate::person::{EducationLevel, EmploymentStatus, Gender, SpecialCategoryAnswer};

mod disclosure;

pub use disclosure::{
    KeyedCount, NOISE, Published, THRESHOLD, candidates, difference, discloses_small, exact,
    publish, record_key,
};

/// The programme periods an overseer may ask for whole, as first and last
/// months: ESF 2014-2020 and ESF+ 2021-2027.
pub const PROGRAMME_PERIODS: [((i32, u32), (i32, u32)); 2] =
    [((2014, 1), (2020, 12)), ((2021, 1), (2027, 12))];

/// Whether `from`..=`to` (first days of months) is a period an overseer may
/// ask for: a calendar month, quarter, half-year or year, or a programme
/// period. The cell keys already hold against subtracting answers; aligned
/// periods keep the figures an overseer can compare few and meaningful.
pub fn is_aligned_period(from: chrono::NaiveDate, to: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    let (from, to) = ((from.year(), from.month()), (to.year(), to.month()));
    let months = (to.0 - from.0) * 12 + to.1 as i32 - from.1 as i32 + 1;
    let same_year = from.0 == to.0;
    let starts_block = |length: u32| (from.1 - 1) % length == 0;
    match months {
        1 => true,
        3 => same_year && starts_block(3),
        6 => same_year && starts_block(6),
        12 => same_year && from.1 == 1,
        _ => PROGRAMME_PERIODS.contains(&(from, to)),
    }
}

/// A count as the band overseers see instead of the number, so that a
/// center's small figures (three open cases, one overdue referral) are not
/// published exactly.
pub fn count_band(count: i64) -> &'static str {
    match count {
        i64::MIN..=0 => "0",
        1..=4 => "1-4",
        5..=9 => "5-9",
        10..=19 => "10-19",
        20..=49 => "20-49",
        50..=99 => "50-99",
        _ => "100+",
    }
}

/// Which regulation's indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndicatorSet {
    Esf2014To2020,
    EsfPlus2021To2027,
}

/// What is known of a participant at entry (their first service).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParticipantFacts {
    pub gender: Option<Gender>,
    /// Whole years at entry.
    pub age: Option<u32>,
    pub employment: Option<EmploymentStatus>,
    pub education: Option<EducationLevel>,
    pub third_country_national: Option<bool>,
    pub foreign_background: Option<SpecialCategoryAnswer>,
    pub minority: Option<SpecialCategoryAnswer>,
    pub disability: Option<SpecialCategoryAnswer>,
    pub homeless: Option<SpecialCategoryAnswer>,
    pub rural: Option<bool>,
}

/// A dimension of the indicator table and one of its categories.
pub type Cell = (&'static str, &'static str);

impl IndicatorSet {
    pub fn code(self) -> &'static str {
        match self {
            IndicatorSet::Esf2014To2020 => "esf_2014_2020",
            IndicatorSet::EsfPlus2021To2027 => "esf_plus_2021_2027",
        }
    }

    /// The age band of the set (ESF: <25, 25-54, >54; ESF+: <18, 18-29,
    /// 30-54, 55+).
    pub fn age_band(self, age: u32) -> &'static str {
        match self {
            IndicatorSet::Esf2014To2020 => match age {
                0..=24 => "under_25",
                25..=54 => "25_54",
                _ => "over_54",
            },
            IndicatorSet::EsfPlus2021To2027 => match age {
                0..=17 => "under_18",
                18..=29 => "18_29",
                30..=54 => "30_54",
                _ => "55_and_over",
            },
        }
    }

    /// The cells a participant counts in: the total, one category of each
    /// breakdown (or `unknown`), and each disadvantaged group they belong to.
    pub fn cells(self, p: &ParticipantFacts) -> Vec<Cell> {
        let mut cells = vec![("participants", "total")];
        cells.push((
            "gender",
            match p.gender {
                Some(Gender::Female) => "female",
                Some(Gender::Male) => "male",
                // ESF 2014-2020 reports women and men only.
                Some(Gender::NonBinary) if self == IndicatorSet::EsfPlus2021To2027 => "non_binary",
                _ => "not_stated",
            },
        ));
        cells.push(("age", p.age.map_or("unknown", |a| self.age_band(a))));
        cells.push((
            "employment",
            match p.employment {
                Some(EmploymentStatus::Employed) => "employed",
                Some(EmploymentStatus::Unemployed) => "unemployed",
                Some(EmploymentStatus::LongTermUnemployed) => "long_term_unemployed",
                Some(EmploymentStatus::Inactive) => "inactive",
                _ => "unknown",
            },
        ));
        cells.push((
            "education",
            match p.education {
                Some(EducationLevel::Isced0To2) => "isced_0_2",
                Some(EducationLevel::Isced3To4) => "isced_3_4",
                Some(EducationLevel::Isced5To8) => "isced_5_8",
                None => "unknown",
            },
        ));
        let yes = |a: Option<SpecialCategoryAnswer>| a == Some(SpecialCategoryAnswer::Yes);
        if p.third_country_national == Some(true) {
            cells.push(("disadvantaged", "third_country_national"));
        }
        if yes(p.foreign_background) {
            cells.push(("disadvantaged", "foreign_background"));
        }
        if yes(p.minority) {
            cells.push(("disadvantaged", "minority"));
        }
        if yes(p.disability) {
            cells.push(("disadvantaged", "disability"));
        }
        if yes(p.homeless) {
            cells.push(("disadvantaged", "homeless"));
        }
        if p.rural == Some(true) {
            cells.push(("disadvantaged", "rural"));
        }
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_published_as_bands() {
        assert_eq!(count_band(0), "0");
        assert_eq!(count_band(1), "1-4");
        assert_eq!(count_band(4), "1-4");
        assert_eq!(count_band(9), "5-9");
        assert_eq!(count_band(19), "10-19");
        assert_eq!(count_band(250), "100+");
    }

    #[test]
    fn overseers_ask_for_months_quarters_halves_years_or_programme_periods() {
        let m = |y: i32, mo: u32| chrono::NaiveDate::from_ymd_opt(y, mo, 1).unwrap();
        for (from, to) in [
            (m(2026, 3), m(2026, 3)),
            (m(2026, 1), m(2026, 3)),
            (m(2026, 10), m(2026, 12)),
            (m(2026, 7), m(2026, 12)),
            (m(2026, 1), m(2026, 12)),
            (m(2021, 1), m(2027, 12)),
            (m(2014, 1), m(2020, 12)),
        ] {
            assert!(is_aligned_period(from, to), "{from}..{to}");
        }
        for (from, to) in [
            (m(2026, 1), m(2026, 2)),
            (m(2026, 2), m(2026, 4)),
            (m(2026, 3), m(2026, 8)),
            (m(2026, 2), m(2027, 1)),
            (m(2025, 12), m(2026, 2)),
            (m(2021, 1), m(2026, 12)),
            (m(2026, 4), m(2026, 3)),
        ] {
            assert!(!is_aligned_period(from, to), "{from}..{to}");
        }
    }

    #[test]
    fn age_bands_differ_between_the_two_regulations() {
        assert_eq!(IndicatorSet::Esf2014To2020.age_band(17), "under_25");
        assert_eq!(IndicatorSet::EsfPlus2021To2027.age_band(17), "under_18");
        assert_eq!(IndicatorSet::Esf2014To2020.age_band(55), "over_54");
        assert_eq!(IndicatorSet::EsfPlus2021To2027.age_band(55), "55_and_over");
        let nb = ParticipantFacts {
            gender: Some(Gender::NonBinary),
            ..ParticipantFacts::default()
        };
        assert!(
            IndicatorSet::EsfPlus2021To2027
                .cells(&nb)
                .contains(&("gender", "non_binary"))
        );
        assert!(
            IndicatorSet::Esf2014To2020
                .cells(&nb)
                .contains(&("gender", "not_stated"))
        );
    }
}
