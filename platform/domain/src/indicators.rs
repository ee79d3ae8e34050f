//! Oversight indicators: which cells of the ESF (2014-2020, Reg. 1304/2013
//! Annex I) and ESF+ (2021-2027, Reg. 2021/1057 Annex I) common output
//! indicators a participant counts in, and small-cell suppression of a
//! table so that no cell below the threshold can be read or recovered from
//! its row and column totals.

use crate::person::{EducationLevel, EmploymentStatus, Gender, SpecialCategoryAnswer};

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

/// A count as published: shown, or suppressed (`<threshold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    Shown(u64),
    Suppressed,
}

/// A table of counts: rows (e.g. tenants or regions) × columns (categories
/// of one dimension), with the row and column totals published beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressedTable {
    pub cells: Vec<Vec<Published>>,
    pub row_totals: Vec<Published>,
    pub column_totals: Vec<Published>,
}

/// Primary suppression: every cell with 0 < count < `threshold` is hidden.
/// Complementary suppression: a row or column with exactly one hidden cell
/// (whose total is shown) gets its smallest other non-zero cell (or, with
/// none left, a zero; in a one-cell line, the total) hidden too, and a
/// lone hidden total among shown ones gets a partner total,
/// repeated until no hidden cell can be recovered by subtraction from a
/// shown total. Totals below the threshold are hidden as well.
pub fn suppress(counts: &[Vec<u64>], threshold: u64) -> SuppressedTable {
    let rows = counts.len();
    let columns = counts.first().map_or(0, Vec::len);
    let small = |c: u64| c > 0 && c < threshold;
    let mut hidden: Vec<Vec<bool>> = counts
        .iter()
        .map(|row| row.iter().map(|&c| small(c)).collect())
        .collect();
    let row_totals: Vec<u64> = counts.iter().map(|r| r.iter().sum()).collect();
    let column_totals: Vec<u64> = (0..columns)
        .map(|j| counts.iter().map(|r| r[j]).sum())
        .collect();
    let mut row_total_hidden: Vec<bool> = row_totals.iter().map(|&t| small(t)).collect();
    let mut column_total_hidden: Vec<bool> = column_totals.iter().map(|&t| small(t)).collect();

    // The smallest not-yet-hidden entry of a line, preferring non-zero ones.
    fn partner(values: impl Iterator<Item = (usize, u64, bool)>) -> Option<usize> {
        values
            .filter(|(_, _, hidden)| !hidden)
            .min_by_key(|&(k, v, _)| (v == 0, v, k))
            .map(|(k, _, _)| k)
    }

    loop {
        let mut changed = false;
        for i in 0..rows {
            let count = (0..columns).filter(|&j| hidden[i][j]).count();
            if count == 1 && !row_total_hidden[i] {
                match partner((0..columns).map(|j| (j, counts[i][j], hidden[i][j]))) {
                    Some(j) => hidden[i][j] = true,
                    // A one-cell row: its total is the cell.
                    None => row_total_hidden[i] = true,
                }
                changed = true;
            }
        }
        for j in 0..columns {
            let count = (0..rows).filter(|&i| hidden[i][j]).count();
            if count == 1 && !column_total_hidden[j] {
                match partner((0..rows).map(|i| (i, counts[i][j], hidden[i][j]))) {
                    Some(i) => hidden[i][j] = true,
                    None => column_total_hidden[j] = true,
                }
                changed = true;
            }
        }
        // The totals are a line too: with every column total shown, the
        // grand total is known, so one hidden row total alone would be
        // recovered from the others (and the same for columns).
        if !column_total_hidden.iter().any(|h| *h)
            && row_total_hidden.iter().filter(|h| **h).count() == 1
            && let Some(i) = partner((0..rows).map(|i| (i, row_totals[i], row_total_hidden[i])))
        {
            row_total_hidden[i] = true;
            changed = true;
        }
        if !row_total_hidden.iter().any(|h| *h)
            && column_total_hidden.iter().filter(|h| **h).count() == 1
            && let Some(j) =
                partner((0..columns).map(|j| (j, column_totals[j], column_total_hidden[j])))
        {
            column_total_hidden[j] = true;
            changed = true;
        }
        if !changed {
            break;
        }
    }

    let publish = |count: u64, hide: bool| {
        if hide {
            Published::Suppressed
        } else {
            Published::Shown(count)
        }
    };
    SuppressedTable {
        cells: counts
            .iter()
            .zip(&hidden)
            .map(|(row, h)| row.iter().zip(h).map(|(&c, &x)| publish(c, x)).collect())
            .collect(),
        row_totals: row_totals
            .iter()
            .zip(&row_total_hidden)
            .map(|(&c, &x)| publish(c, x))
            .collect(),
        column_totals: column_totals
            .iter()
            .zip(&column_total_hidden)
            .map(|(&c, &x)| publish(c, x))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(table: &SuppressedTable) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (i, row) in table.cells.iter().enumerate() {
            for (j, c) in row.iter().enumerate() {
                if *c == Published::Suppressed {
                    out.push((i, j));
                }
            }
        }
        out
    }

    /// No hidden cell can be recovered: every row and column with a shown
    /// total holds zero or at least two hidden cells.
    fn recoverable(table: &SuppressedTable) -> bool {
        let rows = table.cells.len();
        let columns = table.cells.first().map_or(0, Vec::len);
        let row_leaks = (0..rows).any(|i| {
            table.row_totals[i] != Published::Suppressed
                && table.cells[i]
                    .iter()
                    .filter(|c| **c == Published::Suppressed)
                    .count()
                    == 1
        });
        let column_leaks = (0..columns).any(|j| {
            table.column_totals[j] != Published::Suppressed
                && (0..rows)
                    .filter(|&i| table.cells[i][j] == Published::Suppressed)
                    .count()
                    == 1
        });
        let all_columns_shown = table
            .column_totals
            .iter()
            .all(|t| *t != Published::Suppressed);
        let all_rows_shown = table.row_totals.iter().all(|t| *t != Published::Suppressed);
        let lone = |totals: &[Published]| {
            totals
                .iter()
                .filter(|t| **t == Published::Suppressed)
                .count()
                == 1
        };
        let total_leaks = (all_columns_shown && lone(&table.row_totals))
            || (all_rows_shown && lone(&table.column_totals));
        row_leaks || column_leaks || total_leaks
    }

    #[test]
    fn a_small_cell_and_its_complements_are_hidden_by_hand() {
        // Rows: three centers; columns: female, male, not stated.
        let counts = vec![vec![20, 3, 0], vec![15, 12, 9], vec![30, 25, 10]];
        let table = suppress(&counts, 5);
        // (0,1)=3 is small. Its row total (23) is shown, so the row's
        // smallest other non-zero cell, (0,0)=20, is hidden with it (the 0
        // beside them reveals nothing). Columns 0 and 1 now each have one
        // hidden cell: their smallest others, (1,0)=15 and (1,1)=12, go too.
        // Every row and column then has two hidden cells or none.
        assert_eq!(hidden(&table), vec![(0, 0), (0, 1), (1, 0), (1, 1)]);
        assert!(!recoverable(&table));
        assert_eq!(table.row_totals[0], Published::Shown(23));
        assert_eq!(table.cells[2][0], Published::Shown(30));
        assert_eq!(table.column_totals[1], Published::Shown(40));
    }

    #[test]
    fn zeros_are_shown_and_a_table_without_small_cells_is_untouched() {
        let table = suppress(&[vec![0, 7], vec![8, 9]], 5);
        assert!(hidden(&table).is_empty());
        assert_eq!(table.cells[0][0], Published::Shown(0));
    }

    #[test]
    fn a_small_total_is_hidden_too() {
        let table = suppress(&[vec![2, 1]], 5);
        assert_eq!(table.row_totals[0], Published::Suppressed);
        assert!(!recoverable(&table));
    }

    #[test]
    fn no_table_leaks_a_hidden_cell() {
        // A deterministic spread of tables with small cells here and there.
        let mut seed = 17u64;
        for _ in 0..500 {
            let mut next = || {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 33) % 14
            };
            let counts: Vec<Vec<u64>> = (0..4).map(|_| (0..5).map(|_| next()).collect()).collect();
            let table = suppress(&counts, 5);
            assert!(!recoverable(&table), "{counts:?} -> {table:?}");
            for (i, row) in counts.iter().enumerate() {
                for (j, &c) in row.iter().enumerate() {
                    if c > 0 && c < 5 {
                        assert_eq!(table.cells[i][j], Published::Suppressed);
                    }
                }
            }
        }
    }

    #[test]
    fn a_one_column_table_hides_the_row_totals_that_equal_hidden_cells() {
        // Participants per region: 7, 3 and 0.
        let table = suppress(&[vec![7], vec![3], vec![0]], 5);
        assert_eq!(table.cells[0][0], Published::Suppressed);
        assert_eq!(table.cells[1][0], Published::Suppressed);
        assert_eq!(table.row_totals[0], Published::Suppressed);
        assert_eq!(table.row_totals[1], Published::Suppressed);
        assert_eq!(table.column_totals[0], Published::Shown(10));
        assert!(!recoverable(&table));
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
