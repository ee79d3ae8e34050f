use proptest::prelude::*;

use super::*;

/// A counted record of a generated national dataset.
#[derive(Debug, Clone, Copy)]
struct Record {
    tenant: usize,
    month: usize,
    category: usize,
    key: u64,
}

const TENANTS: usize = 6;
const MONTHS: usize = 24;
const CATEGORIES: usize = 3;

fn region_of(tenant: usize) -> usize {
    tenant / 2
}

/// Whom a figure covers: one municipality, one region (its municipalities)
/// or the nation.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Units {
    Tenant(usize),
    Region(usize),
    National,
}

impl Units {
    fn covers(self, tenant: usize) -> bool {
        match self {
            Units::Tenant(t) => t == tenant,
            Units::Region(r) => region_of(tenant) == r,
            Units::National => true,
        }
    }

    fn contains(self, other: Units) -> bool {
        (0..TENANTS).all(|t| !other.covers(t) || self.covers(t))
    }
}

/// One figure an overseer can ask for: units × an aligned period (months,
/// both included) × one category or all of them.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Box {
    units: Units,
    months: (usize, usize),
    category: Option<usize>,
}

impl Box {
    fn covers(&self, r: &Record) -> bool {
        self.units.covers(r.tenant)
            && (self.months.0..=self.months.1).contains(&r.month)
            && self.category.is_none_or(|c| c == r.category)
    }

    fn contains(&self, other: &Box) -> bool {
        self.units.contains(other.units)
            && self.months.0 <= other.months.0
            && other.months.1 <= self.months.1
            && (self.category.is_none() || self.category == other.category)
    }
}

/// Months, quarters, half-years, years and the whole (programme) period.
fn aligned_periods() -> Vec<(usize, usize)> {
    let mut periods = Vec::new();
    for length in [1, 3, 6, 12, MONTHS] {
        for start in (0..MONTHS).step_by(length) {
            periods.push((start, start + length - 1));
        }
    }
    periods
}

/// Every figure an overseer can get: national, regional and municipal
/// scopes, every aligned period, every category and the totals.
fn every_box(periods: &[(usize, usize)]) -> Vec<Box> {
    let units = (0..TENANTS)
        .map(Units::Tenant)
        .chain((0..TENANTS.div_ceil(2)).map(Units::Region))
        .chain([Units::National]);
    let mut boxes = Vec::new();
    for u in units {
        for &months in periods {
            for category in (0..CATEGORIES).map(Some).chain([None]) {
                boxes.push(Box {
                    units: u,
                    months,
                    category,
                });
            }
        }
    }
    boxes
}

/// What an overseer holding every figure learns from each pair of them
/// whose boxes nest: the differences pinned more narrowly than `<5`, as
/// (outer box, inner box, true difference).
fn differencing_attack(
    records: &[Record],
    periods: &[(usize, usize)],
    publish: impl Fn(KeyedCount) -> Published,
    candidates: impl Fn(Published) -> RangeInclusive<u64>,
) -> Vec<(Box, Box, u64)> {
    let boxes = every_box(periods);
    let counted: Vec<(Box, KeyedCount, Published)> = boxes
        .iter()
        .map(|b| {
            let cell: KeyedCount = records
                .iter()
                .filter(|r| b.covers(r))
                .map(|r| KeyedCount::record(r.key))
                .sum();
            (*b, cell, publish(cell))
        })
        .collect();
    let mut leaks = Vec::new();
    for (outer, outer_cell, outer_figure) in &counted {
        for (inner, inner_cell, inner_figure) in &counted {
            if outer == inner || !outer.contains(inner) {
                continue;
            }
            let (o, i) = (candidates(*outer_figure), candidates(*inner_figure));
            let known = o.start().saturating_sub(*i.end())..=o.end().saturating_sub(*i.start());
            let truth = outer_cell.count - inner_cell.count;
            assert!(
                known.contains(&truth),
                "{known:?} must hold the true difference {truth}"
            );
            if discloses_small(&known) {
                leaks.push((*outer, *inner, truth));
            }
        }
    }
    leaks
}

fn records() -> impl Strategy<Value = Vec<Record>> {
    prop::collection::vec(
        (0..TENANTS, 0..MONTHS, 0..CATEGORIES, any::<u32>()).prop_map(
            |(tenant, month, category, key)| Record {
                tenant,
                month,
                category,
                key: u64::from(key),
            },
        ),
        0..160,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The differencing attack over a generated national dataset: every
    /// pair of aligned periods and nested scopes, and no small difference
    /// is pinned.
    #[test]
    fn no_two_answers_pin_a_small_difference(records in records()) {
        let leaks = differencing_attack(&records, &aligned_periods(), publish, candidates);
        prop_assert!(leaks.is_empty(), "{:?}", &leaks[..leaks.len().min(3)]);
    }

    /// Each figure alone: a small count is `<5`, and what the figure says
    /// always holds the truth, never more than NOISE away.
    #[test]
    fn small_counts_are_hidden_and_figures_stay_near_the_truth(count in 0u64..500, key in any::<u64>()) {
        let figure = publish(KeyedCount { count, key });
        prop_assert!(candidates(figure).contains(&count));
        match figure {
            Published::Suppressed => prop_assert!((1..THRESHOLD).contains(&count)),
            Published::Shown(v) => {
                prop_assert!(v == 0 || v >= THRESHOLD);
                prop_assert!(v.abs_diff(count) <= NOISE, "{count} shown as {v}");
            }
        }
    }
}

/// The same attack on exact figures, with `<5` for small ones only: the
/// per-answer suppression the cell keys replace. Free month ranges give a
/// hidden month away (January–March minus January–February), and so do
/// aligned periods alone (the first half minus the first quarter) and
/// nested scopes (a region minus one of its municipalities).
#[test]
fn exact_figures_give_small_differences_away_even_for_aligned_periods() {
    let exact_figure = |c: KeyedCount| match c.count {
        1..THRESHOLD => Published::Suppressed,
        n => Published::Shown(n),
    };
    let exact_candidates = |p: Published| match p {
        Published::Shown(v) => v..=v,
        Published::Suppressed => 1..=THRESHOLD - 1,
    };
    let record = |tenant, month, key| Record {
        tenant,
        month,
        category: 0,
        key,
    };
    // Municipality 0: nine in January and February, three in March;
    // municipality 1 (same region): three in January, two in April.
    let mut records: Vec<Record> = (0..5).map(|k| record(0, 0, k)).collect();
    records.extend((0..4).map(|k| record(0, 1, 10 + k)));
    records.extend((0..3).map(|k| record(0, 2, 20 + k)));
    records.extend((0..3).map(|k| record(1, 0, 30 + k)));
    records.extend((0..2).map(|k| record(1, 3, 40 + k)));

    let mut free = aligned_periods();
    free.push((0, 1));
    let leaks = differencing_attack(&records, &free, exact_figure, exact_candidates);
    assert!(
        leaks
            .iter()
            .any(|(o, i, d)| o.months == (0, 2) && i.months == (0, 1) && *d == 3),
        "January–March minus January–February gives March away: {leaks:?}"
    );

    let leaks = differencing_attack(&records, &aligned_periods(), exact_figure, exact_candidates);
    assert!(
        leaks.iter().any(|(o, i, _)| o.months != i.months),
        "nested aligned periods: {leaks:?}"
    );
    assert!(
        leaks
            .iter()
            .any(|(o, i, _)| o.units == Units::Region(0) && i.units == Units::Tenant(0)),
        "a region minus a municipality: {leaks:?}"
    );

    // The cell keys hold on the very same data, free ranges included.
    assert_eq!(
        differencing_attack(&records, &free, publish, candidates),
        Vec::new()
    );
}

/// The proof behind the property, over every pair of figures small enough
/// to matter: whatever the two counts and keys, their difference is known
/// no better than `<5` says.
#[test]
fn no_pair_of_figures_pins_a_small_difference() {
    let keys = [0, 1, 7, 0xdead_beef, u64::MAX];
    for outer in 0..40u64 {
        for inner in 0..=outer {
            for &ko in &keys {
                for &ki in &keys {
                    let known = difference(
                        publish(KeyedCount {
                            count: outer,
                            key: ko,
                        }),
                        publish(KeyedCount {
                            count: inner,
                            key: ki,
                        }),
                    );
                    assert!(known.contains(&(outer - inner)));
                    assert!(
                        !discloses_small(&known),
                        "{outer} and {inner} pin their difference to {known:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_box_gets_one_figure_however_it_is_assembled() {
    let parts: Vec<KeyedCount> = (0..9)
        .map(|i| KeyedCount::record(u64::MAX - i * 977))
        .collect();
    let forwards: KeyedCount = parts.iter().copied().sum();
    let backwards: KeyedCount = parts.iter().rev().copied().sum();
    let halves = parts[..4].iter().copied().sum::<KeyedCount>()
        + parts[4..].iter().copied().sum::<KeyedCount>();
    assert_eq!(forwards, backwards);
    assert_eq!(forwards, halves);
    assert_eq!(publish(forwards), publish(halves));
}

#[test]
fn the_noise_moves_figures_both_ways() {
    let moved: std::collections::BTreeSet<i64> = (0..200u64)
        .map(|key| match publish(KeyedCount { count: 50, key }) {
            Published::Shown(v) => v as i64 - 50,
            Published::Suppressed => unreachable!(),
        })
        .collect();
    assert_eq!(moved, (-2..=2).collect());
}

#[test]
fn record_keys_come_from_the_first_four_bytes() {
    assert_eq!(record_key(&[0x12, 0x34, 0x56, 0x78, 0x9a]), 0x1234_5678);
    assert_eq!(record_key(&[]), 0);
}

#[test]
fn what_narrows_a_small_count_discloses_it() {
    assert!(discloses_small(&(2..=3)));
    assert!(discloses_small(&(1..=1)));
    assert!(!discloses_small(&(1..=4)), "what <5 says anyway");
    assert!(!discloses_small(&(0..=3)), "could be none");
    assert!(!discloses_small(&(3..=6)), "could be 5 or more");
}
