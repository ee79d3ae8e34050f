//! Disclosure control of the figures overseers see: the cell-key method of
//! the Australian Bureau of Statistics and of the ONS's Census 2021 tables,
//! chosen because it holds across answers, where suppressing each table on
//! its own cannot.
//!
//! Every counted record (a participant, a referral, an appointment) carries
//! a record key, drawn from a keyed hash the overseers cannot compute. A
//! published figure counts a box of records (some municipalities × some
//! months × some categories), and its cell key is the sum of their record
//! keys. Sums add, so the key of a box is the same however it is assembled:
//! a region's row in the national table, the totals of that region's own
//! table and the sum of its municipalities' cells all give one key, hence
//! one figure.
//!
//! A figure is then published as:
//! - `0` when nothing is counted (an empty box gives nothing away);
//! - `<5` when 1 to 4 are counted;
//! - otherwise the count moved by a noise from −2 to +2, drawn from the
//!   count and the cell key, and never below 5.
//!
//! So the same box always gets the same figure, and asking again or
//! assembling it another way averages nothing away. Two answers whose boxes
//! nest (January–March and January–February, a region and one of its
//! municipalities, a row total and one of its cells) differ by the records
//! in one box and not the other; with each figure known only to ±2, their
//! difference is never narrowed below what `<5` already says (see
//! `difference` and the property test). Figures are no longer exactly
//! additive: a total may differ from the sum of its cells by a few, which
//! the footnote of every table says.

use std::ops::{Add, AddAssign, RangeInclusive};

/// Counts from 1 to `THRESHOLD - 1` are published as `<THRESHOLD`.
pub const THRESHOLD: u64 = 5;

/// The most a published figure differs from the count.
pub const NOISE: u64 = 2;

/// A count as published: shown, or suppressed (`<THRESHOLD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Published {
    Shown(u64),
    Suppressed,
}

/// A count with its cell key: the sum of the record keys of what it counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyedCount {
    pub count: u64,
    pub key: u64,
}

impl KeyedCount {
    /// One record with its key.
    pub fn record(key: u64) -> KeyedCount {
        KeyedCount { count: 1, key }
    }
}

impl Add for KeyedCount {
    type Output = KeyedCount;
    fn add(self, other: KeyedCount) -> KeyedCount {
        KeyedCount {
            count: self.count + other.count,
            key: self.key.wrapping_add(other.key),
        }
    }
}

impl AddAssign for KeyedCount {
    fn add_assign(&mut self, other: KeyedCount) {
        *self = *self + other;
    }
}

impl std::iter::Sum for KeyedCount {
    fn sum<I: Iterator<Item = KeyedCount>>(iter: I) -> KeyedCount {
        iter.fold(KeyedCount::default(), Add::add)
    }
}

/// A record's key from a keyed hash of it (its first four bytes): uniform,
/// and unknown to whoever lacks the platform's key.
pub fn record_key(digest: &[u8]) -> u64 {
    digest
        .iter()
        .take(4)
        .fold(0u64, |key, &byte| (key << 8) | u64::from(byte))
}

/// The figure an overseer sees for a count.
pub fn publish(cell: KeyedCount) -> Published {
    match cell.count {
        0 => Published::Shown(0),
        n if n < THRESHOLD => Published::Suppressed,
        n => Published::Shown(n.saturating_add_signed(noise(cell)).max(THRESHOLD)),
    }
}

/// A figure for a center's own managing authority: the count as it is.
pub fn exact(cell: KeyedCount) -> Published {
    Published::Shown(cell.count)
}

/// The noise of a cell, from −NOISE to +NOISE: a mix (SplitMix64's
/// finalizer) of its count and cell key, so that it looks random to whoever
/// lacks the keys and is the same every time.
fn noise(cell: KeyedCount) -> i64 {
    let mut z = (cell.key & 0xffff_ffff) ^ (cell.count << 32) ^ 0x9e37_79b9_7f4a_7c15;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z % (2 * NOISE + 1)) as i64 - NOISE as i64
}

/// Every count that could be published as `figure`, whatever its key: what
/// an overseer can know of it from the figure alone.
pub fn candidates(figure: Published) -> RangeInclusive<u64> {
    match figure {
        Published::Shown(0) => 0..=0,
        Published::Suppressed => 1..=THRESHOLD - 1,
        Published::Shown(v) => v.saturating_sub(NOISE).max(THRESHOLD)..=v + NOISE,
    }
}

/// What two figures tell of the records counted in the first box and not
/// in the second, when the second box lies inside the first.
pub fn difference(outer: Published, inner: Published) -> RangeInclusive<u64> {
    let (outer, inner) = (candidates(outer), candidates(inner));
    outer.start().saturating_sub(*inner.end())..=outer.end().saturating_sub(*inner.start())
}

/// Whether what is known of a count narrows it more than `<5` does: it
/// cannot be 0 nor 5 or more, and it is not any of 1 to 4 either.
pub fn discloses_small(known: &RangeInclusive<u64>) -> bool {
    let small = 1..=THRESHOLD - 1;
    *known.start() >= *small.start() && *known.end() <= *small.end() && *known != small
}

#[cfg(test)]
mod tests;
