//! Stage **group**: lines become orders by the order key (`order_ref`). Lines of one order need
//! not be adjacent. An order-level cell left blank inherits from the order's other lines; two
//! different non-blank values is a problem on the row that disagrees, naming the row it
//! disagrees with. Config defaults fill what is still blank; `--set` overrides every order.

use crate::columns::{Field, Level};
use crate::problem::{Origin, Problem};
use crate::values::Value;
use std::collections::HashMap;

/// A value and where it came from.
#[derive(Clone, Debug)]
pub struct Sourced {
    pub value: Value,
    /// The row that holds it (for a default: the order's first row).
    pub row: u32,
    pub origin: Origin,
}

/// Values that do not come from the sheet: config defaults and `--set` overrides.
#[derive(Clone, Debug, Default)]
pub struct Presets {
    pub defaults: Vec<(Field, Value)>,
    pub overrides: Vec<(Field, Value)>,
}

impl Presets {
    pub fn overrides(&self, field: Field) -> bool {
        self.overrides.iter().any(|(f, _)| *f == field)
    }
    pub fn gives(&self, field: Field) -> bool {
        self.overrides(field) || self.defaults.iter().any(|(f, _)| *f == field)
    }
    /// Fills `values` for `row`: overrides replace, defaults fill blanks.
    fn apply(&self, values: &mut Vec<(Field, Sourced)>, level: Level, row: u32) {
        for (origin, presets) in [(Origin::Set, &self.overrides), (Origin::Default, &self.defaults)] {
            for (field, value) in presets.iter().filter(|(f, _)| f.level() == level) {
                let sourced = Sourced {
                    value: value.clone(),
                    row,
                    origin,
                };
                match values.iter_mut().find(|(f, _)| f == field) {
                    Some(slot) if origin == Origin::Set => slot.1 = sourced,
                    Some(_) => {}
                    None => values.push((*field, sourced)),
                }
            }
        }
    }
}

/// One product line.
#[derive(Clone, Debug)]
pub struct Line {
    pub row: u32,
    pub values: Vec<(Field, Sourced)>,
}

/// An order as the sheet gives it, before validation.
#[derive(Clone, Debug)]
pub struct OrderDraft {
    /// The order key as written (blank when the row had none).
    pub key: String,
    pub values: Vec<(Field, Sourced)>,
    pub lines: Vec<Line>,
}

fn find(values: &[(Field, Sourced)], field: Field) -> Option<&Sourced> {
    values.iter().find(|(f, _)| *f == field).map(|(_, v)| v)
}

impl Line {
    pub fn get(&self, field: Field) -> Option<&Sourced> {
        find(&self.values, field)
    }
}

impl OrderDraft {
    pub fn get(&self, field: Field) -> Option<&Sourced> {
        find(&self.values, field)
    }
    /// The sheet rows of the order's lines, in sheet order.
    pub fn rows(&self) -> impl Iterator<Item = u32> + '_ {
        self.lines.iter().map(|l| l.row)
    }
    pub fn first_row(&self) -> u32 {
        self.lines.first().map_or(0, |l| l.row)
    }
}

/// Collects rows into orders.
#[derive(Default)]
pub struct Grouper {
    index: HashMap<String, usize>,
    orders: Vec<OrderDraft>,
}

impl Grouper {
    /// Adds one row's values. A disagreement with an earlier line of the same order becomes a
    /// problem on this row.
    pub fn add(&mut self, row: u32, values: Vec<(Field, Value)>, problems: &mut Vec<Problem>) {
        let key = values
            .iter()
            .find(|(f, _)| *f == Field::OrderRef)
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        let (order_values, line_values): (Vec<_>, Vec<_>) =
            values.into_iter().partition(|(f, _)| f.level() == Level::Order);
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
        let line = Line {
            row,
            values: line_values.into_iter().map(sourced).collect(),
        };
        let slot = if key.is_empty() {
            problems.push(Problem::error(
                row,
                Some(Field::OrderRef),
                "the order number is blank; every line needs the number of the order it belongs to",
            ));
            None
        } else {
            self.index.get(&key).copied()
        };
        let Some(i) = slot else {
            if !key.is_empty() {
                self.index.insert(key.clone(), self.orders.len());
            }
            self.orders.push(OrderDraft {
                key,
                values: order_values.into_iter().map(sourced).collect(),
                lines: vec![line],
            });
            return;
        };
        let order = &mut self.orders[i];
        for (field, value) in order_values {
            match order.values.iter().find(|(f, _)| *f == field) {
                Some((_, earlier)) if !earlier.value.same_as(&value) => problems.push(
                    Problem::error(
                        row,
                        Some(field),
                        format!(
                            "differs from \"{}\" on row {} of order {}; an order has one {field}: make them equal or leave this cell blank",
                            earlier.value, earlier.row, order.key
                        ),
                    )
                    .with_value(value.to_string()),
                ),
                Some(_) => {}
                None => order.values.push(sourced((field, value))),
            }
        }
        order.lines.push(line);
    }

    /// The orders in the order of their first line, with defaults and overrides applied.
    pub fn finish(self, presets: &Presets) -> Vec<OrderDraft> {
        let mut orders = self.orders;
        for order in &mut orders {
            let first = order.first_row();
            presets.apply(&mut order.values, Level::Order, first);
            for line in &mut order.lines {
                presets.apply(&mut line.values, Level::Line, line.row);
            }
        }
        orders
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
        g.add(2, vec![text(Field::OrderRef, "A"), text(Field::Email, "a@x.no")], &mut problems);
        g.add(3, vec![text(Field::OrderRef, "B"), text(Field::Email, "b@x.no")], &mut problems);
        g.add(4, vec![text(Field::OrderRef, "A")], &mut problems);
        g.add(5, vec![text(Field::OrderRef, "A"), text(Field::Email, "A@X.NO")], &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        g.add(6, vec![text(Field::OrderRef, "A"), text(Field::Email, "c@x.no")], &mut problems);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].row, 6);
        assert!(problems[0].message.contains("on row 2"), "{}", problems[0].message);
        let orders = g.finish(&Presets::default());
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].rows().collect::<Vec<_>>(), vec![2, 4, 5, 6]);
    }

    #[test]
    fn presets() {
        let mut g = Grouper::default();
        let mut problems = Vec::new();
        g.add(2, vec![text(Field::OrderRef, "A"), text(Field::Email, "a@x.no")], &mut problems);
        let presets = Presets {
            defaults: vec![text(Field::Email, "d@x.no"), text(Field::Language, "en")],
            overrides: vec![text(Field::City, "Oslo")],
        };
        let order = &g.finish(&presets)[0];
        assert_eq!(order.get(Field::Email).unwrap().value.to_string(), "a@x.no");
        assert_eq!(order.get(Field::Language).unwrap().origin, Origin::Default);
        assert_eq!(order.get(Field::City).unwrap().origin, Origin::Set);
    }

    proptest! {
        #[test]
        fn every_line_lands_in_exactly_one_order(keys in prop::collection::vec(0u8..20, 1..200)) {
            let mut g = Grouper::default();
            let mut problems = Vec::new();
            for (i, k) in keys.iter().enumerate() {
                g.add(i as u32 + 2, vec![text(Field::OrderRef, &format!("K{k}"))], &mut problems);
            }
            let orders = g.finish(&Presets::default());
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
