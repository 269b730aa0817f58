//! Each non-blank row of the sheet, read in one pass: its layout checked (cells beyond the
//! header, a runaway quote), its order key normalised, its cells parsed into values, its line
//! validated as it is read, and the row handed to the grouper. Only the compact typed line is
//! kept; most order cells repeat the order's earlier value and are compared unparsed.

use super::group::{ByKey, Grouper, OrderDraft, Sourced};
use super::map::ColumnMap;
use super::read::{Cell, Row, Sheet};
use super::validate::{self, Rules};
use super::values::{self, cell_text, parse_field, same_text, Value};
use super::Settings;
use crate::error::Error;
use crate::model::fields::{self as columns, Field, Kind, Level};
use crate::model::order::normalise_key;
use crate::model::outcome::{Problems, RowResult, RowStatus, Span};
use crate::model::problem::{column_letters, mention, quote, Origin, Problem};
use std::borrow::Cow;
use std::ops::ControlFlow;

/// What the key column alone says, read before the lines are: the row of each order key's
/// last line, and how many rows the sheet has below its header (blank ones included).
pub struct Ends {
    last: ByKey<Box<str>, u32>,
    rows: usize,
}

impl Ends {
    /// Reads the key column of `sheet`.
    pub fn read(sheet: &Sheet, map: &ColumnMap) -> Ends {
        let mut last: ByKey<Box<str>, u32> = ByKey::default();
        let mut rows = 0;
        if let Some(column) = map.column(Field::OrderRef) {
            let mut note = |number: u32, written: &str| {
                rows += 1;
                let key = order_key(written);
                if key.is_empty() {
                    return;
                }
                match last.get_mut(key.as_ref()) {
                    Some(row) => *row = number,
                    None => {
                        last.insert(key.into(), number);
                    }
                }
            };
            sheet.visit_column(column, |number, cell| match key_text(cell) {
                Ok(written) => note(number, &written),
                Err(_) => note(number, ""),
            });
        }
        Ends { last, rows }
    }

    /// How many orders have a key (each line without one is an order of its own besides).
    pub fn keyed_orders(&self) -> usize {
        self.last.len()
    }
}

/// The sheet's non-blank rows, with the problems found reading them. Each order is handed to
/// `complete` (its index, in the order of first lines, and its draft) as soon as its last line
/// is read, with the rows read so far, so that only the orders still open are held: with the
/// lines of each order adjacent, one at a time.
pub fn read(
    sheet: &Sheet,
    map: &ColumnMap,
    settings: &Settings,
    rules: &Rules,
    ends: Ends,
    mut complete: impl FnMut(usize, OrderDraft, &mut [RowResult]) -> Result<(), Error>,
) -> Result<Vec<RowResult>, Error> {
    let mut lines = Lines::new(map, settings, rules, ends);
    let mut outcome = Ok(());
    sheet.visit_rows(|row| {
        if row.is_blank() {
            return ControlFlow::Continue(());
        }
        if let Some((index, draft)) = lines.row(row) {
            outcome = complete(index, draft, &mut lines.rows);
            if outcome.is_err() {
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    outcome?;
    let (mut rows, open) = lines.finish();
    for (index, draft) in open {
        complete(index, draft, &mut rows)?;
    }
    Ok(rows)
}

/// The order key a row's key cell writes: its text without the spaces around it (an error
/// for a cell that cannot be text, whose key is then blank).
fn key_text(cell: &Cell) -> Result<Cow<'_, str>, String> {
    match cell {
        Cell::Text(t) => Ok(Cow::Borrowed(values::trim(t))),
        other => cell_text(other).map(Cow::Owned),
    }
}

/// The state of one pass over the rows.
struct Lines<'a> {
    map: &'a ColumnMap,
    settings: &'a Settings,
    rules: &'a Rules,
    /// The order key's column: read apart from the other fields, it decides where a row goes.
    key_column: Option<usize>,
    /// The other columns with a field this endpoint uses, that no `--set` overrides.
    mapped: Vec<(usize, Field)>,
    /// The rows read so far, each with the problems found reading it.
    rows: Vec<RowResult>,
    /// The row of each order key's last line: where its order is complete.
    last: ByKey<Box<str>, u32>,
    problems: Vec<Problem>,
    grouper: Grouper,
    /// The line cells of the row at hand (kept to reuse the allocation).
    line_values: Vec<(Field, Sourced)>,
    /// The first way each order key was written, where that is not its normal form.
    unusual_keys: ByKey<String, String>,
}

impl<'a> Lines<'a> {
    fn new(
        map: &'a ColumnMap,
        settings: &'a Settings,
        rules: &'a Rules,
        Ends { last, rows }: Ends,
    ) -> Self {
        let mapped = map
            .by_column
            .iter()
            .enumerate()
            .filter_map(|(c, f)| f.map(|f| (c, f)))
            .filter(|(_, f)| *f != Field::OrderRef && !settings.presets.overrides(*f))
            .filter(|(_, f)| columns::used_by(*f, rules.endpoint))
            .collect();
        Lines {
            map,
            settings,
            rules,
            key_column: map.column(Field::OrderRef),
            mapped,
            rows: Vec::with_capacity(rows),
            last,
            problems: Vec::new(),
            grouper: Grouper::new(rules.numbers),
            line_values: Vec::new(),
            unusual_keys: ByKey::default(),
        }
    }

    /// Reads one row; the order it completes, if it is its order's last line.
    fn row(&mut self, row: &Row) -> Option<(usize, OrderDraft)> {
        self.layout(row);
        let key_cell = self.key_column.map_or(&Cell::Empty, |c| row.cell(c));
        let written = key_text(key_cell).unwrap_or_else(|why| {
            self.problems.push(
                Problem::error(row.number, Some(Field::OrderRef), why)
                    .with_value(key_cell.display()),
            );
            Cow::Borrowed("")
        });
        let key = order_key(&written);
        self.compare_key(row.number, &written, &key);
        if key_cell.is_blank() {
            self.problems.push(Problem::error(
                row.number,
                Some(Field::OrderRef),
                "is blank; every line needs the number of the order it belongs to",
            ));
        }
        let values = self.values(row, &key);
        let line = validate::line(
            row.number,
            &mut self.line_values,
            self.rules,
            &mut self.problems,
        );
        let index = self
            .grouper
            .add(row.number, &key, values, line, &mut self.problems);
        let mut result = RowResult {
            number: row.number,
            order: 0,
            status: RowStatus::Valid,
            problems: Problems::default(),
            span: Span::new(row.span),
        };
        // Every problem found reading a row is on that row.
        for p in self.problems.drain(..) {
            if p.row == row.number {
                result.problems.push(p);
            } else if let Ok(i) = self.rows.binary_search_by_key(&p.row, |r| r.number) {
                self.rows[i].problems.push(p);
            }
        }
        self.rows.push(result);
        let complete = key.is_empty() || self.last.get(key.as_ref()) == Some(&row.number);
        if !complete {
            return None;
        }
        self.last.remove(key.as_ref());
        // A table never gives back its room by itself: with the orders' lines adjacent it
        // empties as it is read, and its room goes to the rows read meanwhile.
        if self.last.capacity() > 4 * self.last.len() + 4096 {
            self.last.shrink_to(2 * self.last.len());
        }
        if !self.unusual_keys.is_empty() {
            self.unusual_keys.remove(key.as_ref());
        }
        self.grouper.take(index).map(|draft| (index, draft))
    }

    /// Cells right of the last header, and a quote that never closed.
    fn layout(&mut self, row: &Row) {
        let width = self.map.headers.len();
        let beyond = row
            .cells
            .iter()
            .skip(width)
            .filter(|c| !c.is_blank())
            .count();
        if beyond > 0 {
            self.problems.push(Problem::warning(
                row.number,
                None,
                format!(
                    "{beyond} cell(s) right of the last column (from {}) have no header and are ignored; give them a header, or check for a delimiter inside a value",
                    column_letters(width)
                ),
            ));
        }
        if let Some(flaw) = &row.flaw {
            // Named by the field's header when the column has one, else by its letters.
            let field = self.map.by_column.get(flaw.column).copied().flatten();
            let message = match (field, self.map.headers.get(flaw.column)) {
                (Some(_), _) => flaw.message.clone(),
                (None, Some(header)) if !header.is_empty() => format!(
                    "column {} ({}): {}",
                    column_letters(flaw.column),
                    mention(header),
                    flaw.message
                ),
                (None, _) => format!("column {}: {}", column_letters(flaw.column), flaw.message),
            };
            self.problems
                .push(Problem::error(row.number, field, message));
        }
    }

    /// Keys that differ only in spaces or in how a letter is encoded are one order; a row
    /// that writes its key unlike the order's first row is told so.
    fn compare_key(&mut self, row: u32, written: &str, key: &str) {
        match self.grouper.get(key) {
            Some(order) => {
                let first = match self.unusual_keys.is_empty() {
                    true => key,
                    false => self.unusual_keys.get(key).map_or(key, String::as_str),
                };
                if written != first {
                    self.problems.push(
                        Problem::warning(
                            row,
                            Some(Field::OrderRef),
                            format!(
                                "is written differently from row {} ({}): they differ only in spaces or in how a letter such as Å is encoded, so both rows are order {}",
                                order.first_row(),
                                quote(first),
                                quote(key)
                            ),
                        )
                        .with_value(written),
                    );
                }
            }
            None if written != key => {
                self.unusual_keys
                    .insert(key.to_string(), written.to_string());
            }
            None => {}
        }
    }

    /// The row's order-level values (the line's go to `line_values`, presets applied).
    fn values(&mut self, row: &Row, key: &str) -> Vec<(Field, Value)> {
        let (convention, today) = (self.rules.numbers, self.rules.today);
        // Most lines repeat their order's cells: compare those texts in place, unparsed.
        let existing = self.grouper.get(key);
        let mut values = Vec::new();
        self.line_values.clear();
        for &(column, field) in &self.mapped {
            let cell = row.cell(column);
            if cell.is_blank() {
                continue;
            }
            if let (Some(order), Cell::Text(text)) = (existing, cell) {
                let repeated = match (field.kind(), order.get(field)) {
                    (
                        Kind::Text,
                        Some(Sourced {
                            value: Value::Text(v),
                            ..
                        }),
                    ) => same_text(v, values::trim(text)),
                    // An identifier written as the order has it reads as itself, silently.
                    (
                        Kind::Digits,
                        Some(Sourced {
                            value: Value::Text(v),
                            ..
                        }),
                    ) => v == values::trim(text),
                    _ => false,
                };
                if repeated {
                    continue;
                }
            }
            let value = match parse_field(field, cell, convention, today) {
                Ok((value, note)) => {
                    if let Some(note) = note {
                        self.problems.push(
                            Problem::warning(row.number, Some(field), note)
                                .with_value(cell.display()),
                        );
                    }
                    value
                }
                Err(why) => {
                    self.problems.push(
                        Problem::error(row.number, Some(field), why).with_value(cell.display()),
                    );
                    Value::Invalid
                }
            };
            match field.level() {
                Level::Order => values.push((field, value)),
                Level::Line => self.line_values.push((
                    field,
                    Sourced {
                        value,
                        row: row.number,
                        origin: Origin::Sheet,
                    },
                )),
            }
        }
        self.settings
            .presets
            .apply(&mut self.line_values, Level::Line, row.number);
        values
    }

    /// The rows, and the orders still open (none, unless the key column read apart
    /// disagreed with the rows), in the order of their first lines.
    fn finish(self) -> (Vec<RowResult>, Vec<(usize, OrderDraft)>) {
        (self.rows, self.grouper.finish_open())
    }
}

/// The order key of a cell's text: itself when it is already in normal form (plain ASCII
/// with single spaces, the common case, borrowed), else [`normalise_key`]'s form.
fn order_key(written: &str) -> Cow<'_, str> {
    // Printable ASCII and single spaces, in one pass over the bytes.
    let mut space = false;
    let normal = written.bytes().all(|b| {
        let ok = matches!(b, b'!'..=b'~') || (b == b' ' && !space);
        space = b == b' ';
        ok
    });
    if normal {
        Cow::Borrowed(written)
    } else {
        Cow::Owned(normalise_key(written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A key in normal form is kept as written; every key is the one `normalise_key` gives.
        #[test]
        fn a_key_is_its_normal_form(key in "[ -~\u{a0}\u{c5}\u{30a}\t\u{1}]{0,12}") {
            let key = values::trim(&key);
            let (ours, normal) = (order_key(key), normalise_key(key));
            proptest::prop_assert_eq!(ours.as_ref(), normal.as_str());
        }
    }
}
