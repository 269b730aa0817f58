//! The offline half, stage by stage: [`read`] → [`map`] → [`lines`] (each row read, with
//! [`values`], into [`group`]) → [`price`] → [`validate`]. [`check`] runs them over a sheet and
//! returns what happened to every row and order; valid orders are handed to a callback as
//! they are found, so a million-line sheet never holds all its payloads at once.

pub mod group;
pub mod lines;
pub mod map;
pub mod price;
pub mod read;
pub mod suggest;
pub mod validate;
pub mod values;
pub mod worker;

use crate::error::Error;
use crate::model::fields::{Field, Kind};
use crate::model::order::Order;
use crate::model::outcome::{Ids, OrderResult, RowResult, RowStatus};
use crate::model::problem::{quote, Origin, Problem};
use crate::model::DateFormat;
use crate::pipeline::group::{OrderDraft, Presets};
use crate::pipeline::map::ColumnMap;
use crate::pipeline::read::{Cell, ReadOptions, Sheet};
use crate::pipeline::values::NumberConvention;
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::PathBuf;
use validate::Rules;

/// The name of the config file looked for beside the sheet (`settings.rs` finds it; messages
/// name it).
pub const CONFIG_NAME: &str = "fpgo-export.toml";

/// Everything a check needs to know, resolved from the command line, the config file and the
/// clock (`settings.rs`).
#[derive(Debug)]
pub struct Settings {
    pub sheet: PathBuf,
    pub read: ReadOptions,
    /// The config file used, if any.
    pub config: Option<PathBuf>,
    /// Custom headers: field name → header.
    pub columns: BTreeMap<String, String>,
    pub presets: Presets,
    pub rules: Rules,
    /// How `orderDate` is written on the wire.
    pub date_format: DateFormat,
    pub output: PathBuf,
    pub json: bool,
}

/// Everything `check` learned about a sheet.
#[derive(Debug)]
pub struct Checked {
    pub sheet: Sheet,
    pub map: ColumnMap,
    pub convention: NumberConvention,
    pub rows: Vec<RowResult>,
    pub orders: Vec<OrderResult>,
    /// Things the user should know about the file as a whole.
    pub notes: Vec<String>,
    /// Whether the orders were sent (the result file then has the provider's ids).
    pub submitted: bool,
}

impl Checked {
    /// The result of a sheet row, by its number.
    pub fn row(&self, number: u32) -> Option<&RowResult> {
        self.rows
            .binary_search_by_key(&number, |r| r.number)
            .ok()
            .map(|i| &self.rows[i])
    }
    /// The rows of an invalid order that hold its errors.
    pub fn rows_with_errors(&self, order: &OrderResult) -> Vec<u32> {
        order
            .rows
            .iter()
            .copied()
            .filter(|&n| {
                self.row(n)
                    .is_some_and(|r| r.problems.iter().any(Problem::is_error))
            })
            .collect()
    }
    pub fn valid_orders(&self) -> usize {
        self.orders.iter().filter(|o| o.valid).count()
    }
    /// The rows of valid orders, whatever became of them when sent.
    pub fn valid_rows(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.status != RowStatus::Invalid)
            .count()
    }
    /// Records what became of an order when it was sent, on it and on its rows; messages go on
    /// the order's rows (`line` picks one of its lines, else the first row).
    pub fn settle(
        &mut self,
        order: usize,
        status: RowStatus,
        ids: Option<Ids>,
        messages: &[(Option<usize>, Problem)],
    ) {
        self.submitted = true;
        let rows = self.orders[order].rows.clone();
        self.orders[order].status = status;
        self.orders[order].ids = ids.map(Box::new);
        for &number in &rows {
            if let Ok(i) = self.rows.binary_search_by_key(&number, |r| r.number) {
                self.rows[i].status = status;
            }
        }
        for (line, problem) in messages {
            let number = line
                .and_then(|l| rows.get(l))
                .or(rows.first())
                .copied()
                .unwrap_or(0);
            if let Ok(i) = self.rows.binary_search_by_key(&number, |r| r.number) {
                let mut problem = problem.clone();
                problem.row = number;
                self.rows[i].problems.push(problem);
            }
        }
    }

    /// Every problem, in row order.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.rows.iter().flat_map(|r| r.problems.iter())
    }
}

/// Runs the offline pipeline over the sheet of `settings`; `on_valid` is given each valid
/// order, with its index in [`Checked::orders`].
pub fn check(
    settings: &Settings,
    mut on_valid: impl FnMut(usize, Order) -> Result<(), Error>,
) -> Result<Checked, Error> {
    let sheet = Sheet::open(&settings.sheet, &settings.read)?;
    let map = map::map_sheet(&sheet, settings)?;
    let mut notes = sheet.notes.clone();
    notes.extend(map::notes(&map, settings));
    let convention = detect_convention(&sheet, &map);
    let rules = Rules {
        numbers: convention,
        ..settings.rules.clone()
    };

    let ends = lines::Ends::read(&sheet, &map);
    let mut settle = Settle {
        settings,
        rules: &rules,
        on_valid: &mut on_valid,
        problems: Vec::new(),
        // Room for every order at once: grown a doubling at a time, a big sheet's results
        // would be copied into fresh memory again and again.
        orders: Vec::with_capacity(ends.keyed_orders()),
        waiting: BTreeMap::new(),
        next: 0,
    };
    let read = lines::read(
        &sheet,
        &map,
        settings,
        &rules,
        ends,
        |index, draft, rows| settle.order(index, draft, rows),
    );
    // A walk that found the file written over ended early: that, not what it read, is said.
    sheet.unchanged()?;
    let mut rows = read?;
    // Every order is settled by now; collected in place (an `Option` of an order is as large
    // as the order), not beside the first vector.
    #[allow(clippy::filter_map_identity)]
    let orders: Vec<OrderResult> = settle.orders.into_iter().filter_map(|o| o).collect();
    point_to_lookalikes(&mut rows, &map);
    Ok(Checked {
        sheet,
        map,
        convention,
        rows,
        orders,
        notes,
        submitted: false,
    })
}

/// The orders as they are complete: each priced and validated (its problems onto its rows),
/// and each valid on every row handed to `on_valid`, in the order of the orders' first lines.
struct Settle<'a, F> {
    settings: &'a Settings,
    rules: &'a Rules,
    on_valid: &'a mut F,
    problems: Vec<Problem>,
    /// Every order's result by index, `None` while it is open.
    orders: Vec<Option<OrderResult>>,
    /// The valid orders complete before an earlier one (its lines not adjacent), waiting for it.
    waiting: BTreeMap<usize, Order>,
    /// The index of the first order not yet handed over.
    next: usize,
}

impl<F: FnMut(usize, Order) -> Result<(), Error>> Settle<'_, F> {
    /// Settles order `o`, complete, against the rows read so far (all of its own).
    fn order(&mut self, o: usize, draft: OrderDraft, rows: &mut [RowResult]) -> Result<(), Error> {
        let index = near_the_end;
        let order_rows: Vec<u32> = draft.rows().collect();
        let key = draft.key.clone();
        let order = validate::validate(
            draft,
            &self.settings.presets,
            self.rules,
            &mut self.problems,
        );
        for p in self.problems.drain(..) {
            if let Some(i) = index(rows, p.row) {
                rows[i].problems.push(p);
            }
        }
        let positions: Vec<usize> = order_rows.iter().filter_map(|&n| index(rows, n)).collect();
        let clean = positions
            .iter()
            .all(|&i| !rows[i].problems.iter().any(Problem::is_error));
        let mut order = order.filter(|_| clean);
        for &i in &positions {
            rows[i].order = o as u32;
            if order.is_none() {
                rows[i].status = RowStatus::Invalid;
            }
        }
        let totals = order
            .as_ref()
            .map(|o| (o.summary.grand_total, o.summary.total_tax));
        if self.orders.len() <= o {
            self.orders.resize_with(o + 1, || None);
        }
        self.orders[o] = Some(OrderResult {
            key,
            rows: order_rows,
            valid: order.is_some(),
            status: if order.is_some() {
                RowStatus::Valid
            } else {
                RowStatus::Invalid
            },
            ids: None,
            totals,
        });
        // The next to hand over (with the orders' lines adjacent, every one) goes straight on.
        if o != self.next {
            if let Some(order) = order.take() {
                self.waiting.insert(o, order);
            }
        }
        // Hand over, in index order, every order whose earlier ones are all settled.
        while self.orders.get(self.next).is_some_and(Option::is_some) {
            let next = if self.next == o {
                order.take()
            } else {
                self.waiting.remove(&self.next)
            };
            if let Some(next) = next {
                (self.on_valid)(self.next, next)?;
            }
            self.next += 1;
        }
        Ok(())
    }
}

/// Where row `number` is in `rows` (in row order), looked for from the end: an order is settled
/// as its last line is read, so its rows are the last ones read, or near them.
fn near_the_end(rows: &[RowResult], number: u32) -> Option<usize> {
    let mut back = 1;
    while back < rows.len() && rows[rows.len() - back].number > number {
        back *= 2;
    }
    let from = rows.len().saturating_sub(back);
    rows[from..]
        .binary_search_by_key(&number, |r| r.number)
        .ok()
        .map(|i| from + i)
}

/// A blank field whose column is missing while an ignored column looks like it
/// (`Fødselsnr` for personal_number): its "is blank" message says so, and what to do.
fn point_to_lookalikes(rows: &mut [RowResult], map: &ColumnMap) {
    if map.lookalikes.is_empty() {
        return;
    }
    let hints: Vec<(Field, String)> = map
        .lookalikes
        .iter()
        .filter(|(_, s)| map.column(s.field).is_none())
        .map(|(header, s)| {
            let hint = format!(
                "; the column {} is ignored but looks like it: name it {}, or map it in the config's [columns]",
                quote(header),
                s.rename()
            );
            (s.field, hint)
        })
        .collect();
    for problem in rows.iter_mut().flat_map(|r| r.problems.iter_mut()) {
        let Some(field) = problem.field else { continue };
        if problem.origin != Origin::Sheet || !problem.message.starts_with("is blank") {
            continue;
        }
        if let Some((_, hint)) = hints.iter().find(|(f, _)| *f == field) {
            problem.message.push_str(hint);
        }
    }
}

/// The file's number convention, from the text of its numeric columns. A CSV separated by
/// semicolons falls back to decimal commas (that is how a Norwegian Excel writes them).
fn detect_convention(sheet: &Sheet, map: &ColumnMap) -> NumberConvention {
    let columns: Vec<usize> = map
        .by_column
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            f.is_some_and(|f| matches!(f.kind(), Kind::Money | Kind::Price | Kind::Number))
        })
        .map(|(c, _)| c)
        .collect();
    let fallback = if sheet.delimiter() == b';' {
        NumberConvention::DecimalComma
    } else {
        NumberConvention::DecimalPoint
    };
    // Enough evidence is found in the first rows of any real sheet; stop there.
    const ENOUGH: usize = 10_000;
    let mut texts: Vec<String> = Vec::new();
    sheet.visit_rows(|row| {
        for &c in &columns {
            if let Cell::Text(t) = row.cell(c) {
                if t.contains([',', '.']) {
                    texts.push(t.clone());
                }
            }
        }
        if texts.len() >= ENOUGH {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    NumberConvention::detect(texts.iter().map(String::as_str), fallback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::outcome::{Problems, Span};

    #[test]
    fn a_row_is_found_from_the_end_as_by_a_search_from_the_start() {
        // Row numbers with gaps (blank rows are not read), and numbers not among them.
        let numbers: Vec<u32> = (2..400).filter(|n| n % 7 != 0 && n % 11 != 3).collect();
        let rows: Vec<RowResult> = numbers
            .iter()
            .map(|&number| RowResult {
                number,
                order: 0,
                status: RowStatus::Valid,
                problems: Problems::default(),
                span: Span::new(None),
            })
            .collect();
        for len in [0, 1, 2, 5, rows.len()] {
            for number in 0..410 {
                let rows = &rows[..len];
                let searched = rows.binary_search_by_key(&number, |r| r.number).ok();
                assert_eq!(near_the_end(rows, number), searched, "{number} in {len}");
            }
        }
    }
}
