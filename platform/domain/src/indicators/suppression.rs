//! Small-cell suppression of a two-way table (units × categories, with row,
//! column and grand totals), and the audit that proves it holds.
//!
//! The audit is the one statistics offices run: for every hidden figure,
//! the tightest interval that the published figures allow, given that every
//! row, column and total adds up and no count is negative. A two-way table
//! with its totals is a network: a source feeds each row through the row
//! total, each cell is an arc from its row to its column, each column drains
//! through its column total into a sink, and the grand total closes the
//! circuit back to the source. Published figures are fixed flows, hidden
//! ones free, so the interval of a hidden figure comes exactly from two
//! maximum flows in the residual network (Gusfield, 1988), in integers.
//!
//! A hidden figure is protected when its interval is at least `threshold`
//! wide: it then holds a value outside `1..threshold`, so nobody can tell
//! from the published figures that it is small, let alone which it is.
//! `suppress` hides every small figure and then hides complements until
//! every hidden figure, small or not, is protected; the published table
//! alone therefore proves its safety, and `audit` checks it without knowing
//! the true counts.

use std::collections::VecDeque;

/// A count as published: shown, or suppressed (`<threshold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    Shown(u64),
    Suppressed,
}

/// A table of counts: rows (e.g. tenants or regions) × columns (categories
/// of one dimension), with the row, column and grand totals published
/// beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressedTable {
    pub cells: Vec<Vec<Published>>,
    pub row_totals: Vec<Published>,
    pub column_totals: Vec<Published>,
    pub grand_total: Published,
}

/// One published figure of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entry {
    Cell(usize, usize),
    RowTotal(usize),
    ColumnTotal(usize),
    GrandTotal,
}

/// The values the published figures allow a hidden figure to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub low: u64,
    /// `None`: no upper bound.
    pub high: Option<u64>,
}

impl Interval {
    /// Whether the interval is at least `threshold` wide, so that it holds
    /// a value outside `1..threshold`.
    pub fn protects(&self, threshold: u64) -> bool {
        self.high.is_none_or(|high| high - self.low >= threshold)
    }
}

/// Every hidden figure of a published table with the interval the shown
/// figures allow it, found without knowing the true counts. An error when
/// the shown figures contradict each other (no table could publish them).
pub fn audit(table: &SuppressedTable) -> Result<Vec<(Entry, Interval)>, String> {
    let grid = Grid::from_published(table)?;
    let flows = grid.feasible_flows()?;
    Ok(grid
        .positions()
        .filter(|&p| grid.hidden[p])
        .map(|p| (grid.entry(p), grid.interval(&flows, p, INFINITE)))
        .collect())
}

/// Primary suppression hides every figure (cell or total) from 1 to
/// `threshold - 1`, and the grand total whenever any total is hidden.
/// Complementary suppression then takes each hidden figure in turn and,
/// while the published figures pin it to an interval narrower than
/// `threshold`, hides the cheapest rectangle through it (three more figures
/// of the extended table, cells before totals, fewest and smallest first)
/// that protects it, or the one that widens it most. Hiding more never
/// narrows an interval, so a figure once protected stays protected.
pub fn suppress(counts: &[Vec<u64>], threshold: u64) -> SuppressedTable {
    let mut grid = Grid::from_counts(counts);
    if threshold > 1 && grid.rows > 0 && grid.columns > 0 {
        grid.protect(threshold);
    }
    grid.publish()
}

/// A capacity larger than any table's counts: an arc that takes it is
/// unbounded.
const INFINITE: u64 = 1 << 52;

/// Flows this large came along arcs that were unbounded before earlier
/// augmentations took a finite bite out of them.
const UNBOUNDED: u64 = INFINITE / 2;

/// The complement candidates tried per step, cheapest first.
const CANDIDATES_PER_STEP: usize = 64;

/// What hiding a rectangle's new corners costs, compared in this order:
/// totals hidden (they are the most used figures), figures hidden, their
/// sum (information lost), and finally the position, so the choice is
/// deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Cost {
    totals: usize,
    hidden: usize,
    loss: u64,
    order: usize,
}

/// The table extended by its totals: `(rows + 1) × (columns + 1)`
/// positions, the last row holding the column totals, the last column the
/// row totals and the corner the grand total. Any rectangle of positions
/// is a cycle in the network, so moving its corners by ±d (signs as the
/// cycle runs) leaves every published figure unchanged.
struct Grid {
    rows: usize,
    columns: usize,
    value: Vec<u64>,
    hidden: Vec<bool>,
}

impl Grid {
    fn from_counts(counts: &[Vec<u64>]) -> Grid {
        let rows = counts.len();
        let columns = counts.first().map_or(0, Vec::len);
        let width = columns + 1;
        let mut value = vec![0; (rows + 1) * width];
        for (i, row) in counts.iter().enumerate() {
            for (j, &c) in row.iter().enumerate().take(columns) {
                value[i * width + j] = c;
                value[i * width + columns] += c;
                value[rows * width + j] += c;
                value[rows * width + columns] += c;
            }
        }
        Grid {
            rows,
            columns,
            hidden: vec![false; value.len()],
            value,
        }
    }

    fn from_published(table: &SuppressedTable) -> Result<Grid, String> {
        let rows = table.cells.len();
        let columns = table.column_totals.len();
        if table.row_totals.len() != rows || table.cells.iter().any(|r| r.len() != columns) {
            return Err("the table's rows, cells and totals do not line up".into());
        }
        let width = columns + 1;
        let mut value = vec![0; (rows + 1) * width];
        let mut hidden = vec![false; value.len()];
        let mut set = |p: usize, published: Published| match published {
            Published::Shown(v) => value[p] = v,
            Published::Suppressed => hidden[p] = true,
        };
        for (i, row) in table.cells.iter().enumerate() {
            for (j, &c) in row.iter().enumerate() {
                set(i * width + j, c);
            }
            set(i * width + columns, table.row_totals[i]);
        }
        for (j, &c) in table.column_totals.iter().enumerate() {
            set(rows * width + j, c);
        }
        set(rows * width + columns, table.grand_total);
        Ok(Grid {
            rows,
            columns,
            value,
            hidden,
        })
    }

    fn positions(&self) -> std::ops::Range<usize> {
        0..self.value.len()
    }

    fn at(&self, i: usize, j: usize) -> usize {
        i * (self.columns + 1) + j
    }

    fn coordinates(&self, p: usize) -> (usize, usize) {
        (p / (self.columns + 1), p % (self.columns + 1))
    }

    fn is_total(&self, p: usize) -> bool {
        let (i, j) = self.coordinates(p);
        i == self.rows || j == self.columns
    }

    fn entry(&self, p: usize) -> Entry {
        match self.coordinates(p) {
            (i, j) if i == self.rows && j == self.columns => Entry::GrandTotal,
            (i, j) if i == self.rows => Entry::ColumnTotal(j),
            (i, j) if j == self.columns => Entry::RowTotal(i),
            (i, j) => Entry::Cell(i, j),
        }
    }

    /// Network nodes: 0 the source, 1 the sink, then the rows, then the
    /// columns.
    fn nodes(&self) -> usize {
        2 + self.rows + self.columns
    }

    /// The arc a position's figure flows along.
    fn arc(&self, p: usize) -> (usize, usize) {
        let (source, sink) = (0, 1);
        let row = |i: usize| 2 + i;
        let column = |j: usize| 2 + self.rows + j;
        match self.coordinates(p) {
            (i, j) if i == self.rows && j == self.columns => (sink, source),
            (i, j) if i == self.rows => (column(j), sink),
            (i, j) if j == self.columns => (source, row(i)),
            (i, j) => (row(i), column(j)),
        }
    }

    /// Flows on the hidden arcs that agree with every shown figure: the
    /// true counts are one, but an auditor does not know them. Found as a
    /// maximum flow from the nodes the shown figures leave short to those
    /// they leave over.
    fn feasible_flows(&self) -> Result<Vec<u64>, String> {
        let n = self.nodes();
        let (extra_source, extra_sink) = (n, n + 1);
        let mut balance = vec![0i128; n];
        let mut capacity = Capacities::new(n + 2);
        for p in self.positions() {
            let (from, to) = self.arc(p);
            if self.hidden[p] {
                capacity.add(from, to, INFINITE);
            } else {
                balance[from] -= i128::from(self.value[p]);
                balance[to] += i128::from(self.value[p]);
            }
        }
        let mut needed = 0u64;
        for (node, &b) in balance.iter().enumerate() {
            // Shown figures bring `b` more into the node than they take
            // out: the hidden ones must carry it on.
            let amount = u64::try_from(b.unsigned_abs()).map_err(|_| "counts too large")?;
            if b > 0 {
                capacity.add(extra_source, node, amount);
                needed += amount;
            } else if b < 0 {
                capacity.add(node, extra_sink, amount);
            }
        }
        let pushed = capacity.max_flow(extra_source, extra_sink, INFINITE);
        if pushed != needed {
            return Err("the shown figures do not add up".into());
        }
        Ok(self
            .positions()
            .map(|p| {
                if self.hidden[p] {
                    let (from, to) = self.arc(p);
                    capacity.get(to, from)
                } else {
                    self.value[p]
                }
            })
            .collect())
    }

    /// The interval of the hidden figure at `p`, given feasible `flows` on
    /// every arc; the search stops once the interval is `limit` wide.
    fn interval(&self, flows: &[u64], p: usize, limit: u64) -> Interval {
        let mut residual = Capacities::new(self.nodes());
        for q in self.positions().filter(|&q| q != p && self.hidden[q]) {
            let (from, to) = self.arc(q);
            residual.add(from, to, INFINITE);
            residual.add(to, from, flows[q]);
        }
        let (from, to) = self.arc(p);
        let current = flows[p];
        // Lowering the figure by d sends d around a cycle from its head
        // back to its tail without it; raising it, the other way.
        let down = residual
            .clone()
            .max_flow(from, to, current.min(limit))
            .min(current);
        let up = residual.max_flow(to, from, limit.saturating_sub(down).max(1));
        Interval {
            low: current - down,
            high: (up < UNBOUNDED).then(|| current + up),
        }
    }

    fn width(&self, p: usize, threshold: u64) -> u64 {
        let interval = self.interval(&self.value, p, threshold);
        interval.high.map_or(u64::MAX, |h| h - interval.low)
    }

    fn hide(&mut self, p: usize, queue: &mut VecDeque<usize>) {
        if !self.hidden[p] {
            self.hidden[p] = true;
            queue.push_back(p);
        }
        let grand = self.value.len() - 1;
        if self.is_total(p) && !self.hidden[grand] {
            self.hidden[grand] = true;
            queue.push_back(grand);
        }
    }

    fn protect(&mut self, threshold: u64) {
        let mut queue = VecDeque::new();
        for p in self.positions() {
            let v = self.value[p];
            if v > 0 && v < threshold {
                self.hide(p, &mut queue);
            }
        }
        while let Some(p) = queue.pop_front() {
            loop {
                let width = self.width(p, threshold);
                if width >= threshold {
                    break;
                }
                let Some(corners) = self.complement(p, width, threshold) else {
                    break;
                };
                for q in corners {
                    self.hide(q, &mut queue);
                }
            }
        }
    }

    /// The positions to hide next for the hidden figure at `p`, pinned to
    /// `width`: the cheapest rectangle through `p` that protects it, or
    /// else the one that widens it most.
    fn complement(&mut self, p: usize, width: u64, threshold: u64) -> Option<Vec<usize>> {
        let (i, j) = self.coordinates(p);
        let mut candidates: Vec<(Cost, Vec<usize>)> = Vec::new();
        for other_i in (0..=self.rows).filter(|&r| r != i) {
            for other_j in (0..=self.columns).filter(|&c| c != j) {
                let new: Vec<usize> = [
                    self.at(i, other_j),
                    self.at(other_i, j),
                    self.at(other_i, other_j),
                ]
                .into_iter()
                .filter(|&q| !self.hidden[q])
                .collect();
                if new.is_empty() {
                    continue;
                }
                let totals = new.iter().filter(|&&q| self.is_total(q)).count();
                let loss: u64 = new.iter().map(|&q| self.value[q]).sum();
                let order = other_i * (self.columns + 1) + other_j;
                candidates.push((
                    Cost {
                        totals,
                        hidden: new.len(),
                        loss,
                        order,
                    },
                    new,
                ));
            }
        }
        candidates.sort_by_key(|(cost, _)| *cost);
        let mut widest: Option<(u64, usize)> = None;
        for (k, (_, corners)) in candidates.iter().take(CANDIDATES_PER_STEP).enumerate() {
            let before = self.hidden.clone();
            for &q in corners {
                self.hidden[q] = true;
            }
            if corners.iter().any(|&q| self.is_total(q)) {
                *self.hidden.last_mut().expect("a grid has its corner") = true;
            }
            let tried = self.width(p, threshold);
            self.hidden = before;
            if tried >= threshold {
                return Some(corners.clone());
            }
            if tried > width && widest.is_none_or(|(w, _)| tried > w) {
                widest = Some((tried, k));
            }
        }
        let k = widest.map_or(0, |(_, k)| k);
        candidates.into_iter().nth(k).map(|(_, corners)| corners)
    }

    fn publish(&self) -> SuppressedTable {
        let show = |p: usize| {
            if self.hidden[p] {
                Published::Suppressed
            } else {
                Published::Shown(self.value[p])
            }
        };
        SuppressedTable {
            cells: (0..self.rows)
                .map(|i| (0..self.columns).map(|j| show(self.at(i, j))).collect())
                .collect(),
            row_totals: (0..self.rows)
                .map(|i| show(self.at(i, self.columns)))
                .collect(),
            column_totals: (0..self.columns)
                .map(|j| show(self.at(self.rows, j)))
                .collect(),
            grand_total: show(self.at(self.rows, self.columns)),
        }
    }
}

/// Arc capacities of a small dense network, and Edmonds–Karp maximum flow
/// on them (tables have at most a few hundred rows and columns).
#[derive(Clone)]
struct Capacities {
    nodes: usize,
    capacity: Vec<u64>,
}

impl Capacities {
    fn new(nodes: usize) -> Capacities {
        Capacities {
            nodes,
            capacity: vec![0; nodes * nodes],
        }
    }

    fn get(&self, from: usize, to: usize) -> u64 {
        self.capacity[from * self.nodes + to]
    }

    fn add(&mut self, from: usize, to: usize, amount: u64) {
        let c = &mut self.capacity[from * self.nodes + to];
        *c = c.saturating_add(amount).min(INFINITE);
    }

    /// Pushes flow from `source` to `sink` until none more fits or `limit`
    /// is reached, leaving the residual capacities; returns the amount
    /// (`INFINITE` or more when a path of unbounded arcs joins them).
    fn max_flow(&mut self, source: usize, sink: usize, limit: u64) -> u64 {
        let n = self.nodes;
        let mut total = 0u64;
        let mut parent = vec![usize::MAX; n];
        let mut queue = VecDeque::with_capacity(n);
        while total < limit {
            parent.fill(usize::MAX);
            parent[source] = source;
            queue.clear();
            queue.push_back(source);
            while let Some(u) = queue.pop_front() {
                if u == sink {
                    break;
                }
                let arcs = &self.capacity[u * n..(u + 1) * n];
                for (v, &capacity) in arcs.iter().enumerate() {
                    if parent[v] == usize::MAX && capacity > 0 {
                        parent[v] = u;
                        queue.push_back(v);
                    }
                }
            }
            if parent[sink] == usize::MAX {
                break;
            }
            let mut bottleneck = INFINITE;
            let mut v = sink;
            while v != source {
                let u = parent[v];
                bottleneck = bottleneck.min(self.capacity[u * n + v]);
                v = u;
            }
            if bottleneck >= UNBOUNDED {
                return INFINITE;
            }
            let mut v = sink;
            while v != source {
                let u = parent[v];
                self.capacity[u * n + v] -= bottleneck;
                self.add(v, u, bottleneck);
                v = u;
            }
            total += bottleneck;
        }
        total
    }
}

#[cfg(test)]
mod tests;
