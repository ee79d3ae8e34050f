use super::*;

use Published::{Shown, Suppressed};

fn hidden_cells(table: &SuppressedTable) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, row) in table.cells.iter().enumerate() {
        for (j, c) in row.iter().enumerate() {
            if *c == Suppressed {
                out.push((i, j));
            }
        }
    }
    out
}

/// Every hidden figure whose interval, from the published figures alone,
/// is narrower than the threshold.
fn exposed(table: &SuppressedTable, threshold: u64) -> Vec<(Entry, Interval)> {
    audit(table)
        .expect("a published table adds up")
        .into_iter()
        .filter(|(_, interval)| !interval.protects(threshold))
        .collect()
}

/// The true value of an entry.
fn truth(counts: &[Vec<u64>], entry: Entry) -> u64 {
    match entry {
        Entry::Cell(i, j) => counts[i][j],
        Entry::RowTotal(i) => counts[i].iter().sum(),
        Entry::ColumnTotal(j) => counts.iter().map(|r| r[j]).sum(),
        Entry::GrandTotal => counts.iter().flatten().sum(),
    }
}

/// Checks everything `suppress` promises of one table.
fn assert_safe(counts: &[Vec<u64>], threshold: u64) -> SuppressedTable {
    let table = suppress(counts, threshold);
    let leaks = exposed(&table, threshold);
    assert!(
        leaks.is_empty(),
        "{counts:?} -> {table:?} leaves {leaks:?} narrower than {threshold}"
    );
    for (entry, interval) in audit(&table).unwrap() {
        let v = truth(counts, entry);
        assert!(
            interval.low <= v && interval.high.is_none_or(|h| v <= h),
            "{entry:?} = {v} lies outside its audited {interval:?}"
        );
    }
    let small = |v: u64| v > 0 && v < threshold;
    for (i, row) in counts.iter().enumerate() {
        for (j, &c) in row.iter().enumerate() {
            match table.cells[i][j] {
                Shown(v) => assert!(v == c && !small(c), "({i},{j}) = {c} shown as {v}"),
                Suppressed => {}
            }
        }
        if let Shown(v) = table.row_totals[i] {
            assert!(v == truth(counts, Entry::RowTotal(i)) && !small(v));
        }
    }
    for (j, t) in table.column_totals.iter().enumerate() {
        if let Shown(v) = t {
            assert!(*v == truth(counts, Entry::ColumnTotal(j)) && !small(*v));
        }
    }
    if let Shown(v) = table.grand_total {
        assert!(v == truth(counts, Entry::GrandTotal) && !small(v));
    }
    table
}

/// A deterministic stream of small numbers (a linear congruential
/// generator), so a failure names a table that can be rerun.
struct Tables(u64);

impl Tables {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }

    fn table(&mut self, rows: usize, columns: usize, below: u64) -> Vec<Vec<u64>> {
        (0..rows)
            .map(|_| (0..columns).map(|_| self.next(below)).collect())
            .collect()
    }
}

#[test]
fn the_audit_recovers_the_cell_that_the_line_by_line_rule_let_through() {
    // What the earlier rule (no line with exactly one hidden cell) published
    // for this table from the generator. Rows 0 and 2 and columns 0 and 1
    // give cell (2,4) = 11, and then column 4 gives the hidden 4 at (1,4).
    let _counts = [
        [12, 5, 12, 5, 13],
        [12, 0, 10, 9, 4],
        [11, 12, 11, 11, 11],
        [13, 12, 10, 2, 12],
    ];
    let published = SuppressedTable {
        cells: vec![
            vec![Suppressed, Suppressed, Shown(12), Shown(5), Shown(13)],
            vec![Shown(12), Shown(0), Suppressed, Suppressed, Suppressed],
            vec![Suppressed, Suppressed, Shown(11), Shown(11), Suppressed],
            vec![Shown(13), Shown(12), Suppressed, Suppressed, Shown(12)],
        ],
        row_totals: vec![Shown(47), Shown(35), Shown(56), Shown(49)],
        column_totals: vec![Shown(48), Shown(29), Shown(43), Shown(27), Shown(40)],
        grand_total: Shown(187),
    };
    let intervals = audit(&published).unwrap();
    let of = |entry: Entry| {
        intervals
            .iter()
            .find(|(e, _)| *e == entry)
            .map(|(_, interval)| *interval)
            .unwrap()
    };
    assert_eq!(
        of(Entry::Cell(2, 4)),
        Interval {
            low: 11,
            high: Some(11)
        }
    );
    assert_eq!(
        of(Entry::Cell(1, 4)),
        Interval {
            low: 4,
            high: Some(4)
        }
    );
}

#[test]
fn the_table_that_leaked_is_now_protected() {
    let counts = vec![
        vec![12, 5, 12, 5, 13],
        vec![12, 0, 10, 9, 4],
        vec![11, 12, 11, 11, 11],
        vec![13, 12, 10, 2, 12],
    ];
    let table = assert_safe(&counts, 5);
    assert_eq!(table.cells[1][4], Suppressed);
    assert_eq!(table.cells[3][3], Suppressed);
}

#[test]
fn a_small_cell_and_its_complements_are_hidden_by_hand() {
    // Rows: three centers; columns: female, male, not stated.
    let counts = vec![vec![20, 3, 0], vec![15, 12, 9], vec![30, 25, 10]];
    let table = assert_safe(&counts, 5);
    // (0,1)=3 is small. Rectangles through it, cheapest first: with (1,2)
    // it could rise by nothing (the 0 at (0,2)), so 3 wide at most; with
    // (2,2) the same. With (1,0) it can fall by 3 (to 0, as 15 rises to 18)
    // and rise by 12 (as 20 and 12 fall): 15 wide, so (0,0), (1,0) and
    // (1,1) are hidden with it, and every total stays shown.
    assert_eq!(hidden_cells(&table), vec![(0, 0), (0, 1), (1, 0), (1, 1)]);
    assert_eq!(table.row_totals[0], Shown(23));
    assert_eq!(table.cells[2][0], Shown(30));
    assert_eq!(table.column_totals[1], Shown(40));
    assert_eq!(table.grand_total, Shown(124));
    let intervals = audit(&table).unwrap();
    assert!(intervals.contains(&(
        Entry::Cell(0, 1),
        Interval {
            low: 0,
            high: Some(15)
        }
    )));
}

#[test]
fn zeros_are_shown_and_a_table_without_small_cells_is_untouched() {
    let table = assert_safe(&[vec![0, 7], vec![8, 9]], 5);
    assert!(hidden_cells(&table).is_empty());
    assert_eq!(table.cells[0][0], Shown(0));
    assert_eq!(table.grand_total, Shown(24));
}

#[test]
fn a_small_total_is_hidden_and_so_is_the_grand_total() {
    let table = assert_safe(&[vec![2, 1]], 5);
    assert_eq!(table.row_totals[0], Suppressed);
    assert_eq!(table.grand_total, Suppressed);
}

#[test]
fn a_one_column_table_hides_the_row_totals_that_equal_hidden_cells() {
    // Participants per region: 7, 3 and 0.
    let table = assert_safe(&[vec![7], vec![3], vec![0]], 5);
    assert_eq!(table.cells[1][0], Suppressed);
    assert_eq!(table.row_totals[1], Suppressed);
    assert_eq!(table.cells[2][0], Shown(0));
}

#[test]
fn unsuppressed_tables_show_everything() {
    let table = suppress(&[vec![1, 2], vec![3, 4]], 0);
    assert_eq!(table.cells[0][0], Shown(1));
    assert_eq!(table.grand_total, Shown(10));
    assert!(audit(&table).unwrap().is_empty());
}

#[test]
fn a_table_whose_shown_figures_do_not_add_up_is_refused_by_the_audit() {
    let table = SuppressedTable {
        cells: vec![vec![Shown(3), Suppressed]],
        row_totals: vec![Shown(2)],
        column_totals: vec![Shown(3), Suppressed],
        grand_total: Suppressed,
    };
    assert!(audit(&table).is_err());
}

#[test]
fn no_generated_table_leaves_a_hidden_figure_narrower_than_the_threshold() {
    let mut tables = Tables(17);
    let mut checked = 0;
    // Thousands of tables of every shape the dashboards use, from one
    // column (participants per region) to many municipalities by many
    // categories, with small cells dense and sparse.
    for (rows, columns, below, count) in [
        (4, 5, 14, 1500),
        (1, 6, 9, 300),
        (6, 1, 9, 300),
        (2, 2, 8, 500),
        (3, 3, 20, 500),
        (13, 4, 30, 200),
        (13, 8, 8, 100),
        (40, 6, 12, 20),
    ] {
        for _ in 0..count {
            let counts = tables.table(rows, columns, below);
            assert_safe(&counts, 5);
            checked += 1;
        }
    }
    assert_eq!(checked, 3420);
}

/// An independent check of the audit: on small tables, try every value of
/// the hidden cells and compare the range each hidden figure takes among
/// the assignments that agree with what was published. Half the
/// publications come from `suppress`, half hide figures at random.
#[test]
fn the_audit_agrees_with_exhaustive_search_on_small_tables() {
    // Counts below 8 in a 2 × 3 table: every bounded figure stays below
    // 7 + 42, and an unbounded one reaches past it within the search.
    const BOUND: u64 = 60;
    let mut tables = Tables(99);
    let mut compared = 0;
    for round in 0..160 {
        let counts = tables.table(2, 3, 8);
        let mut table = suppress(&counts, 5);
        if round % 2 == 1 {
            let show = |v: u64| Shown(v);
            table = SuppressedTable {
                cells: counts
                    .iter()
                    .map(|r| r.iter().copied().map(show).collect())
                    .collect(),
                row_totals: (0..2)
                    .map(|i| show(truth(&counts, Entry::RowTotal(i))))
                    .collect(),
                column_totals: (0..3)
                    .map(|j| show(truth(&counts, Entry::ColumnTotal(j))))
                    .collect(),
                grand_total: show(truth(&counts, Entry::GrandTotal)),
            };
            for _ in 0..=tables.next(3) {
                let k = tables.next(6) as usize;
                table.cells[k / 3][k % 3] = Suppressed;
            }
            for i in 0..2 {
                if tables.next(4) == 0 {
                    table.row_totals[i] = Suppressed;
                }
            }
            for j in 0..3 {
                if tables.next(4) == 0 {
                    table.column_totals[j] = Suppressed;
                }
            }
            if tables.next(3) == 0 {
                table.grand_total = Suppressed;
            }
        }
        let hidden = hidden_cells(&table);
        if hidden.len() > 3 {
            continue;
        }
        let audited = audit(&table).unwrap();
        let mut low = std::collections::BTreeMap::<Entry, u64>::new();
        let mut high = std::collections::BTreeMap::<Entry, u64>::new();
        let mut values = counts.clone();
        let assignments = (BOUND + 1).pow(hidden.len() as u32);
        for mut code in 0..assignments {
            for &(i, j) in &hidden {
                values[i][j] = code % (BOUND + 1);
                code /= BOUND + 1;
            }
            let agrees = |entry: Entry, published: Published| match published {
                Shown(v) => truth(&values, entry) == v,
                Suppressed => true,
            };
            let consistent = (0..2).all(|i| agrees(Entry::RowTotal(i), table.row_totals[i]))
                && (0..3).all(|j| agrees(Entry::ColumnTotal(j), table.column_totals[j]))
                && agrees(Entry::GrandTotal, table.grand_total);
            if !consistent {
                continue;
            }
            for &(entry, _) in &audited {
                let v = truth(&values, entry);
                let l = low.entry(entry).or_insert(v);
                *l = (*l).min(v);
                let h = high.entry(entry).or_insert(v);
                *h = (*h).max(v);
            }
        }
        for (entry, interval) in audited {
            assert_eq!(
                Some(&interval.low),
                low.get(&entry),
                "{counts:?} as {table:?}: {entry:?}"
            );
            match interval.high {
                Some(h) => assert_eq!(Some(&h), high.get(&entry), "{table:?}: {entry:?}"),
                // Unbounded: it reaches as far as the search lets the
                // cells go, beyond any bounded figure of these tables.
                None => assert!(high[&entry] >= BOUND - 7, "{table:?}: {entry:?}"),
            }
            compared += 1;
        }
    }
    assert!(compared > 200, "only {compared} hidden figures compared");
}
