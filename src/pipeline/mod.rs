//! The offline half, stage by stage: [`read`] → [`map`] → [`group`] → [`validate`] (pricing
//! and checking, with [`values`] and [`norway`]). [`check`] runs them over a sheet and returns
//! what happened to every row and order; valid orders are handed to a callback as they are
//! found, so a million-line sheet never holds all its payloads at once.

pub mod group;
pub mod map;
pub mod price;
pub mod read;
pub mod validate;
pub mod values;

use crate::error::Error;
use crate::model::fields::{self as columns, Field, Kind, Level};
use crate::model::order::{normalise_key, Order};
use crate::model::outcome::{Ids, OrderResult, RowResult, RowStatus};
use crate::model::problem::column_letters;
use crate::model::problem::{mention, quote, some_of, Origin, Problem};
use crate::model::DateFormat;
use crate::pipeline::group::{Grouper, OrderDraft, Presets, Sourced};
use crate::pipeline::map::{ColumnMap, MapError};
use crate::pipeline::read::{Cell, ReadOptions, Sheet};
use crate::pipeline::values::{cell_text, parse_field, same_text, NumberConvention, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::PathBuf;
use validate::Rules;

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
        self.orders[order].ids = ids;
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

/// Runs the offline pipeline over the sheet of `settings`; `on_valid` sees each valid order,
/// with its index in [`Checked::orders`].
pub fn check(
    settings: &Settings,
    mut on_valid: impl FnMut(usize, &Order) -> Result<(), Error>,
) -> Result<Checked, Error> {
    let sheet = Sheet::open(&settings.sheet, &settings.read)?;
    let map = map_columns(&sheet, settings)?;
    let mut notes = sheet.notes.clone();
    if !map.unknown.is_empty() {
        notes.push(format!(
            "columns ignored (no field has these names): {}; see docs/columns.md or map them in the config's [columns]",
            headers(&map.unknown)
        ));
    }
    let unused: Vec<&str> = map
        .by_column
        .iter()
        .zip(&map.headers)
        .filter(|(f, _)| f.is_some_and(|f| !columns::used_by(f, settings.rules.endpoint)))
        .map(|(_, h)| h.as_str())
        .collect();
    if !unused.is_empty() {
        notes.push(format!(
            "columns not used by the {} endpoint, ignored: {}",
            settings.rules.endpoint.name(),
            headers(&unused)
        ));
    }
    let endpoint = settings.rules.endpoint;
    let unused_presets: Vec<&str> = settings
        .presets
        .defaults
        .iter()
        .chain(&settings.presets.overrides)
        .filter(|(f, _)| !columns::used_by(*f, endpoint))
        .map(|(f, _)| f.name())
        .collect();
    if !unused_presets.is_empty() {
        notes.push(format!(
            "defaults and --set values not used by the {} endpoint, ignored: {}",
            endpoint.name(),
            unused_presets.join(", ")
        ));
    }
    for (field, _) in &settings.presets.overrides {
        if map.column(*field).is_some() && columns::used_by(*field, endpoint) {
            notes.push(format!(
                "column {} is ignored: --set {field} gives every order its value",
                mention(map.header(*field))
            ));
        }
    }
    let convention = detect_convention(&sheet, &map);
    let rules = Rules {
        numbers: convention,
        ..settings.rules.clone()
    };

    let (mut rows, drafts) = read_lines(&sheet, &map, settings, &rules);

    // price and validate each order
    let index =
        |rows: &[RowResult], number: u32| rows.binary_search_by_key(&number, |r| r.number).ok();
    let mut problems = Vec::new();
    let mut orders = Vec::with_capacity(drafts.len());
    for (o, draft) in drafts.into_iter().enumerate() {
        let order_rows: Vec<u32> = draft.rows().collect();
        let key = draft.key.clone();
        let order = validate::validate(draft, &settings.presets, &rules, &mut problems);
        for p in problems.drain(..) {
            if let Some(i) = index(&rows, p.row) {
                rows[i].problems.push(p);
            }
        }
        let positions: Vec<usize> = order_rows.iter().filter_map(|&n| index(&rows, n)).collect();
        let clean = positions
            .iter()
            .all(|&i| !rows[i].problems.iter().any(Problem::is_error));
        let order = order.filter(|_| clean);
        for &i in &positions {
            rows[i].order = o as u32;
            if order.is_none() {
                rows[i].status = RowStatus::Invalid;
            }
        }
        let totals = order
            .as_ref()
            .map(|o| (o.summary.grand_total, o.summary.total_tax));
        if let Some(order) = &order {
            on_valid(o, order)?;
        }
        orders.push(OrderResult {
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
    }
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

/// The sheet's non-blank rows, with the problems found reading them, and the orders they form.
/// Each line is validated as it is read; orders wait for all their lines.
fn read_lines(
    sheet: &Sheet,
    map: &ColumnMap,
    settings: &Settings,
    rules: &Rules,
) -> (Vec<RowResult>, Vec<OrderDraft>) {
    let (convention, today) = (rules.numbers, rules.today);
    let mut numbers: Vec<(u32, Option<(usize, usize)>)> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    let mut grouper = Grouper::default();
    // The order key is read apart from the other fields: it decides where the row goes.
    let key_column = map.column(Field::OrderRef);
    let mapped: Vec<(usize, Field)> = map
        .by_column
        .iter()
        .enumerate()
        .filter_map(|(c, f)| f.map(|f| (c, f)))
        .filter(|(_, f)| *f != Field::OrderRef && !settings.presets.overrides(*f))
        .filter(|(_, f)| columns::used_by(*f, rules.endpoint))
        .collect();
    let mut line_values = Vec::new();
    // The first way each order key was written, where that is not its normal form.
    let mut unusual_keys: HashMap<String, String> = HashMap::new();
    sheet.visit_rows(|row| {
        if row.is_blank() {
            return ControlFlow::Continue(());
        }
        let width = map.headers.len();
        let beyond = row.cells.iter().skip(width).filter(|c| !c.is_blank()).count();
        if beyond > 0 {
            problems.push(Problem::warning(
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
            let field = map.by_column.get(flaw.column).copied().flatten();
            let message = match (field, map.headers.get(flaw.column)) {
                (Some(_), _) => flaw.message.clone(),
                (None, Some(header)) if !header.is_empty() => format!(
                    "column {} ({}): {}",
                    column_letters(flaw.column),
                    mention(header),
                    flaw.message
                ),
                (None, _) => format!("column {}: {}", column_letters(flaw.column), flaw.message),
            };
            problems.push(Problem::error(row.number, field, message));
        }
        let key_cell = key_column.map_or(&Cell::Empty, |c| row.cell(c));
        let written: Cow<str> = match key_cell {
            Cell::Text(t) => Cow::Borrowed(t.trim()),
            other => cell_text(other).map(Cow::Owned).unwrap_or_else(|why| {
                problems.push(Problem::error(row.number, Some(Field::OrderRef), why).with_value(other.display()));
                Cow::Borrowed("")
            }),
        };
        let key = order_key(&written);
        // Keys that differ only in spaces or in how a letter is encoded are one order; a row
        // that writes its key unlike the order's first row is told so.
        match grouper.get(&key) {
            Some(order) => {
                let first = unusual_keys.get(key.as_ref()).map_or(key.as_ref(), String::as_str);
                if written != first {
                    problems.push(
                        Problem::warning(
                            row.number,
                            Some(Field::OrderRef),
                            format!(
                                "is written differently from row {} ({}): they differ only in spaces or in how a letter such as Å is encoded, so both rows are order {}",
                                order.first_row(),
                                quote(first),
                                quote(&key)
                            ),
                        )
                        .with_value(written.as_ref()),
                    );
                }
            }
            None if written != key => {
                unusual_keys.insert(key.to_string(), written.to_string());
            }
            None => {}
        }
        if key_cell.is_blank() {
            problems.push(Problem::error(
                row.number,
                Some(Field::OrderRef),
                "is blank; every line needs the number of the order it belongs to",
            ));
        }
        // Most lines repeat their order's cells: compare those texts in place, unparsed.
        let existing = grouper.get(&key);
        let mut values = Vec::new();
        line_values.clear();
        for &(column, field) in &mapped {
            let cell = row.cell(column);
            if cell.is_blank() {
                continue;
            }
            if let (Some(order), Cell::Text(text)) = (existing, cell) {
                let repeated = field.kind() == Kind::Text
                    && matches!(order.get(field), Some(Sourced { value: Value::Text(v), .. }) if same_text(v, text.trim()));
                if repeated {
                    continue;
                }
            }
            let value = match parse_field(field, cell, convention, today) {
                Ok((value, note)) => {
                    if let Some(note) = note {
                        problems.push(
                            Problem::warning(row.number, Some(field), note)
                                .with_value(cell.display()),
                        );
                    }
                    value
                }
                Err(why) => {
                    problems.push(
                        Problem::error(row.number, Some(field), why).with_value(cell.display()),
                    );
                    Value::Invalid
                }
            };
            match field.level() {
                Level::Order => values.push((field, value)),
                Level::Line => line_values.push((
                    field,
                    Sourced {
                        value,
                        row: row.number,
                        origin: Origin::Sheet,
                    },
                )),
            }
        }
        settings
            .presets
            .apply(&mut line_values, Level::Line, row.number);
        let line = validate::line(row.number, &mut line_values, rules, &mut problems);
        grouper.add(row.number, &key, values, line, &mut problems);
        numbers.push((row.number, row.span));
        ControlFlow::Continue(())
    });
    let mut rows: Vec<RowResult> = numbers
        .into_iter()
        .map(|(number, span)| RowResult {
            number,
            order: 0,
            status: RowStatus::Valid,
            problems: Vec::new(),
            span,
        })
        .collect();
    // Rows are in file order, so their numbers ascend.
    for p in problems {
        if let Ok(i) = rows.binary_search_by_key(&p.row, |r| r.number) {
            rows[i].problems.push(p);
        }
    }
    (rows, grouper.finish())
}

/// The order key of a cell's text: itself when it is already in normal form (plain ASCII
/// with single spaces, the common case, borrowed), else [`normalise_key`]'s form.
fn order_key(written: &str) -> Cow<'_, str> {
    let normal = written.is_ascii()
        && !written.contains("  ")
        && !written
            .bytes()
            .any(|b| b.is_ascii_whitespace() && b != b' ');
    if normal {
        Cow::Borrowed(written)
    } else {
        Cow::Owned(normalise_key(written))
    }
}

fn map_columns(sheet: &Sheet, settings: &Settings) -> Result<ColumnMap, Error> {
    let map = ColumnMap::new(&sheet.headers, &settings.columns).map_err(|e| {
        let message = match e {
            MapError::Duplicate {
                field,
                first,
                second,
            } => format!(
                "the columns {} and {} both hold {field}; remove or rename one of them",
                quote(&first),
                quote(&second)
            ),
            MapError::UnknownField(name) => format!(
                "the config's [columns] names {}, which is not a field; see docs/columns.md",
                quote(&name)
            ),
        };
        Error::Columns {
            path: sheet.path.clone(),
            message,
        }
    })?;
    let missing: Vec<&str> = columns::required(settings.rules.endpoint)
        .iter()
        .filter(|f| map.column(**f).is_none() && !settings.presets.gives(**f))
        .map(|f| f.name())
        .collect();
    if !missing.is_empty() {
        let found = if sheet.headers.is_empty() {
            "none".to_string()
        } else {
            some_of(&sheet.headers, LISTED_HEADERS, |h| quote(h))
        };
        return Err(Error::Columns {
            path: sheet.path.clone(),
            message: format!(
                "required columns are missing: {}.\n  Headers found on row {}: {found}.\n  Add these columns (docs/columns.md lists the names each accepts), name your headers in the config's [columns], or give a value to every order with [defaults] or --set FIELD=VALUE.",
                missing.join(", "),
                sheet.header_row
            ),
        });
    }
    Ok(map)
}

/// How many headers a message lists; a sheet may have thousands.
const LISTED_HEADERS: usize = 20;

/// Headers for a message, each named bare as [`mention`] shows it.
fn headers<T: AsRef<str>>(all: &[T]) -> String {
    some_of(all, LISTED_HEADERS, |h| mention(h.as_ref()).into_owned())
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
