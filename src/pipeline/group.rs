//! Stage **group**: lines become orders by the order key (`order_ref`). Lines of one order need
//! not be adjacent. An order-level cell left blank inherits from the order's other lines; two
//! different non-blank values is a problem on the row that disagrees, naming the row it
//! disagrees with. Config defaults fill what is still blank; `--set` overrides every order.

use crate::model::fields::{Field, Level, FIELDS};
use crate::model::order::OrderLine;
use crate::model::problem::{mention, quote, Origin, Problem};
use crate::pipeline::values::{NumberConvention, Value};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// A value and where it came from.
#[derive(Clone, Debug)]
pub struct Sourced {
    pub value: Value,
    /// The row that holds it (for a default: the order's first row).
    pub row: u32,
    pub origin: Origin,
}

/// Values that do not come from the sheet: config defaults and `--set` overrides. Their row
/// is 0; a problem with one is shown on the first row of the order or line it concerns.
#[derive(Clone, Debug, Default)]
pub struct Presets {
    pub defaults: Vec<(Field, Sourced)>,
    pub overrides: Vec<(Field, Sourced)>,
}

impl Presets {
    pub fn default_value(&mut self, field: Field, value: Value) {
        self.defaults
            .push((field, Self::sourced(value, Origin::Default)));
    }
    pub fn override_value(&mut self, field: Field, value: Value) {
        self.overrides.retain(|(f, _)| *f != field);
        self.overrides
            .push((field, Self::sourced(value, Origin::Set)));
    }
    fn sourced(value: Value, origin: Origin) -> Sourced {
        Sourced {
            value,
            row: 0,
            origin,
        }
    }
    pub fn overrides(&self, field: Field) -> bool {
        self.overrides.iter().any(|(f, _)| *f == field)
    }
    pub fn gives(&self, field: Field) -> bool {
        self.overrides(field) || self.defaults.iter().any(|(f, _)| *f == field)
    }
    /// A field's value: the override, else the order's, else the default.
    pub fn resolve<'a>(&'a self, field: Field, order: &'a OrderDraft) -> Option<&'a Sourced> {
        find(&self.overrides, field)
            .or_else(|| order.get(field))
            .or_else(|| find(&self.defaults, field))
    }
    /// Fills a line's `values` for `row`: overrides replace, defaults fill blanks.
    pub fn apply(&self, values: &mut Vec<(Field, Sourced)>, level: Level, row: u32) {
        for presets in [&self.overrides, &self.defaults] {
            for (field, preset) in presets.iter().filter(|(f, _)| f.level() == level) {
                let sourced = Sourced {
                    row,
                    ..preset.clone()
                };
                match values.iter_mut().find(|(f, _)| f == field) {
                    Some(slot) if preset.origin == Origin::Set => slot.1 = sourced,
                    Some(_) => {}
                    None => values.push((*field, sourced)),
                }
            }
        }
    }
}

/// One product line: its row, and the line itself when it passed validation (its problems are
/// already reported otherwise). Lines are validated as they are read, so only the compact
/// typed line is kept.
#[derive(Clone, Debug)]
pub struct LineEntry {
    pub row: u32,
    pub line: Option<OrderLine>,
}

/// An order as the sheet gives it, before validation.
#[derive(Clone, Debug)]
pub struct OrderDraft {
    /// The order key as written (blank when the row had none).
    pub key: String,
    /// One value a field, in the order first given.
    values: Vec<(Field, Sourced)>,
    /// Where each field's value is in `values`, by field: its position and 1, 0 for none (a
    /// line looks up most of the order's fields, on every line).
    at: [u8; FIELDS.len()],
    pub lines: Vec<LineEntry>,
}

fn find(values: &[(Field, Sourced)], field: Field) -> Option<&Sourced> {
    values.iter().find(|(f, _)| *f == field).map(|(_, v)| v)
}

impl OrderDraft {
    /// An order of the values given (the first of a field's is kept) and its first line.
    pub fn new(key: String, values: Vec<(Field, Sourced)>, line: LineEntry) -> Self {
        let mut draft = OrderDraft {
            key,
            values: Vec::with_capacity(values.len()),
            at: [0; FIELDS.len()],
            lines: vec![line],
        };
        for (field, value) in values {
            draft.put(field, value);
        }
        draft
    }
    /// Gives the order a field's value, unless it has one.
    fn put(&mut self, field: Field, value: Sourced) {
        let slot = &mut self.at[field as usize];
        if *slot == 0 {
            self.values.push((field, value));
            // At most one value for each of the fields, far fewer than 255.
            *slot = u8::try_from(self.values.len()).unwrap_or(0);
        }
    }
    pub fn get(&self, field: Field) -> Option<&Sourced> {
        match self.at[field as usize] {
            0 => None,
            at => self.values.get(usize::from(at) - 1).map(|(_, v)| v),
        }
    }

    /// The sheet rows of the order's lines, in sheet order.
    pub fn rows(&self) -> impl Iterator<Item = u32> + '_ {
        self.lines.iter().map(|l| l.row)
    }
    pub fn first_row(&self) -> u32 {
        self.lines.first().map_or(0, |l| l.row)
    }
}

/// A table by order key. Its hash is FNV-1a, a few instructions a byte, where the standard
/// SipHash (made to resist keys chosen against it) costs more than the look-ups a row makes:
/// the keys are the user's own sheet's.
pub type ByKey<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Collects rows into orders. An order can be taken out as soon as it is complete; it keeps
/// its index, and a later row with its key would start a new one.
#[derive(Default)]
pub struct Grouper {
    /// The open orders' keys and indexes.
    index: ByKey<String, usize>,
    /// The open orders by index (the orders taken are gone).
    orders: BTreeMap<usize, OrderDraft>,
    /// How many orders there have been.
    count: usize,
    /// How the file writes numbers, for the values a conflict quotes.
    numbers: NumberConvention,
}

impl Grouper {
    /// A grouper for a file that writes numbers by `numbers`.
    pub fn new(numbers: NumberConvention) -> Self {
        Grouper {
            numbers,
            ..Grouper::default()
        }
    }

    /// Adds one row: its order key, its order-level values and its line. A disagreement with
    /// an earlier line of the same order becomes a problem on this row. A row with no key
    /// (blank or unreadable, reported by the caller) becomes an order of its own. Returns the
    /// index of the row's order.
    pub fn add(
        &mut self,
        row: u32,
        key: &str,
        values: Vec<(Field, Value)>,
        line: Option<OrderLine>,
        problems: &mut Vec<Problem>,
    ) -> usize {
        let sourced = |(field, value): (Field, Value)| {
            (
                field,
                Sourced {
                    value,
                    row,
                    origin: Origin::Sheet,
                },
            )
        };
        let line = LineEntry { row, line };
        let slot = self.index.get(key).copied();
        let Some((i, Some(order))) = slot.map(|i| (i, self.orders.get_mut(&i))) else {
            let key = key.to_string();
            let i = self.count;
            self.count += 1;
            if !key.is_empty() {
                self.index.insert(key.clone(), i);
            }
            let draft = OrderDraft::new(key, values.into_iter().map(sourced).collect(), line);
            self.orders.insert(i, draft);
            return i;
        };
        for (field, value) in values {
            match order.get(field) {
                Some(earlier) if !earlier.value.same_as(&value) => problems.push(
                    Problem::error(
                        row,
                        Some(field),
                        format!(
                            "differs from {} on row {} of order {}; an order has one {field}: make them equal or leave this cell blank",
                            quote(&earlier.value.show(self.numbers)), earlier.row, mention(&order.key)
                        ),
                    )
                    .with_value(value.show(self.numbers)),
                ),
                Some(_) => {}
                None => {
                    let (field, value) = sourced((field, value));
                    order.put(field, value);
                }
            }
        }
        order.lines.push(line);
        i
    }

    /// The open order with this key, if there is one.
    pub fn get(&self, key: &str) -> Option<&OrderDraft> {
        self.index.get(key).and_then(|i| self.orders.get(i))
    }

    /// Takes a complete order out, by index.
    pub fn take(&mut self, index: usize) -> Option<OrderDraft> {
        let draft = self.orders.remove(&index)?;
        self.index.remove(&draft.key);
        Some(draft)
    }

    /// The orders not taken, with their indexes, in the order of their first line.
    pub fn finish_open(self) -> Vec<(usize, OrderDraft)> {
        self.orders.into_iter().collect()
    }

    /// Every order, in the order of their first line (none taken).
    pub fn finish(self) -> Vec<OrderDraft> {
        self.orders.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(f: Field, s: &str) -> (Field, Value) {
        (f, Value::Text(s.into()))
    }

    #[test]
    fn blank_cells_inherit_and_conflicts_name_both_rows() {
        let mut g = Grouper::default();
        let mut problems = Vec::new();
        g.add(
            2,
            "A",
            vec![text(Field::Email, "a@x.no")],
            None,
            &mut problems,
        );
        g.add(
            3,
            "B",
            vec![text(Field::Email, "b@x.no")],
            None,
            &mut problems,
        );
        g.add(4, "A", vec![], None, &mut problems);
        g.add(
            5,
            "A",
            vec![text(Field::Email, "A@X.NO")],
            None,
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        g.add(
            6,
            "A",
            vec![text(Field::Email, "c@x.no")],
            None,
            &mut problems,
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].row, 6);
        assert!(
            problems[0].message.contains("on row 2"),
            "{}",
            problems[0].message
        );
        let orders = g.finish();
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].rows().collect::<Vec<_>>(), vec![2, 4, 5, 6]);
    }

    #[test]
    fn presets() {
        let mut g = Grouper::default();
        let mut problems = Vec::new();
        g.add(
            2,
            "A",
            vec![text(Field::Email, "a@x.no"), text(Field::City, "Bergen")],
            None,
            &mut problems,
        );
        let mut presets = Presets::default();
        presets.default_value(Field::Email, Value::Text("d@x.no".into()));
        presets.default_value(Field::Language, Value::Text("en".into()));
        presets.override_value(Field::City, Value::Text("Oslo".into()));
        let order = &g.finish()[0];
        let get = |f| presets.resolve(f, order).unwrap();
        assert_eq!(get(Field::Email).value.to_string(), "a@x.no");
        assert_eq!(get(Field::Language).origin, Origin::Default);
        assert_eq!(get(Field::City).value.to_string(), "Oslo");
        assert_eq!(get(Field::City).origin, Origin::Set);
    }

    proptest! {
        #[test]
        fn every_line_lands_in_exactly_one_order(keys in prop::collection::vec(0u8..20, 1..200)) {
            let mut g = Grouper::default();
            let mut problems = Vec::new();
            for (i, k) in keys.iter().enumerate() {
                g.add(i as u32 + 2, &format!("K{k}"), Vec::new(), None, &mut problems);
            }
            let orders = g.finish();
            let mut rows: Vec<u32> = orders.iter().flat_map(|o| o.rows()).collect();
            rows.sort();
            prop_assert_eq!(rows, (2..keys.len() as u32 + 2).collect::<Vec<_>>());
            for o in &orders {
                let same = o.lines.iter().all(|l| format!("K{}", keys[l.row as usize - 2]) == o.key);
                prop_assert!(same);
            }
            let mut distinct = keys.clone();
            distinct.sort();
            distinct.dedup();
            prop_assert_eq!(orders.len(), distinct.len());
        }
    }
}
