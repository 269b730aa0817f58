//! The offline pipeline, stage by stage: read → map → group → price/validate. It returns what
//! happened to every row and order; valid orders are handed to a callback as they are found,
//! so a million-line sheet never holds all its payloads at once.

use crate::columns::{ColumnMap, Field, Kind, MapError, REQUIRED};
use crate::error::Error;
use crate::group::Grouper;
use crate::order::Order;
use crate::problem::Problem;
use crate::read::{Cell, Sheet};
use crate::settings::Settings;
use crate::validate::validate;
use crate::values::{parse_field, NumberConvention, Value};
use rust_decimal::Decimal;

/// What became of one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowStatus {
    Valid,
    Invalid,
}

impl RowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Valid => "valid",
            RowStatus::Invalid => "invalid",
        }
    }
}

/// One non-blank data row and its verdict.
#[derive(Clone, Debug)]
pub struct RowResult {
    pub number: u32,
    /// Index into [`Checked::orders`].
    pub order: usize,
    pub status: RowStatus,
    /// The problems found on this row, warnings included.
    pub problems: Vec<Problem>,
    /// For a clean row of an invalid order: the rows that hold its problems.
    pub see_rows: Vec<u32>,
}

/// One order and its verdict.
#[derive(Clone, Debug)]
pub struct OrderResult {
    pub key: String,
    pub rows: Vec<u32>,
    pub valid: bool,
    /// grandTotal and totalTax of a valid order.
    pub totals: Option<(Decimal, Decimal)>,
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
}

impl Checked {
    pub fn valid_orders(&self) -> usize {
        self.orders.iter().filter(|o| o.valid).count()
    }
    pub fn valid_rows(&self) -> usize {
        self.rows.iter().filter(|r| r.status == RowStatus::Valid).count()
    }
    /// Every problem, in row order.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.rows.iter().flat_map(|r| r.problems.iter())
    }
}

/// Runs the offline pipeline over the sheet of `settings`; `on_valid` sees each valid order.
pub fn check(settings: &Settings, mut on_valid: impl FnMut(&Order) -> Result<(), Error>) -> Result<Checked, Error> {
    let sheet = Sheet::open(&settings.sheet, &settings.read)?;
    let map = map_columns(&sheet, settings)?;
    let mut notes = sheet.notes.clone();
    if !map.unknown.is_empty() {
        notes.push(format!(
            "columns ignored (no field has these names): {}; see docs/columns.md or map them in the config's [columns]",
            map.unknown.join(", ")
        ));
    }
    for (field, _) in &settings.presets.overrides {
        if map.column(*field).is_some() {
            notes.push(format!("column {} is ignored: --set {field} gives every order its value", map.header(*field)));
        }
    }
    let convention = detect_convention(&sheet, &map);
    let today = settings.rules.today;

    // read, map, group
    let mut numbers: Vec<u32> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    let mut grouper = Grouper::default();
    let mapped: Vec<(usize, Field)> = map
        .by_column
        .iter()
        .enumerate()
        .filter_map(|(c, f)| f.map(|f| (c, f)))
        .filter(|(_, f)| !settings.presets.overrides(*f))
        .collect();
    for row in sheet.rows() {
        if row.is_blank() {
            continue;
        }
        let mut values = Vec::with_capacity(mapped.len());
        for &(column, field) in &mapped {
            let cell = row.cell(column);
            if cell.is_blank() {
                continue;
            }
            match parse_field(field, cell, convention, today) {
                Ok((value, note)) => {
                    values.push((field, value));
                    if let Some(note) = note {
                        problems.push(Problem::warning(row.number, Some(field), note).with_value(cell.display()));
                    }
                }
                Err(why) => {
                    problems.push(Problem::error(row.number, Some(field), why).with_value(shown(cell)));
                    values.push((field, Value::Invalid));
                }
            }
        }
        grouper.add(row.number, values, &mut problems);
        numbers.push(row.number);
    }
    let drafts = grouper.finish(&settings.presets);

    // price and validate
    let mut rows: Vec<RowResult> = numbers
        .iter()
        .map(|&number| RowResult {
            number,
            order: 0,
            status: RowStatus::Valid,
            problems: Vec::new(),
            see_rows: Vec::new(),
        })
        .collect();
    let index = |rows: &[RowResult], number: u32| rows.binary_search_by_key(&number, |r| r.number).ok();
    let file_problems = std::mem::take(&mut problems);
    for p in file_problems {
        if let Some(i) = index(&rows, p.row) {
            rows[i].problems.push(p);
        }
    }
    let mut orders = Vec::with_capacity(drafts.len());
    for (o, draft) in drafts.iter().enumerate() {
        let order = validate(draft, &settings.rules, &mut problems);
        for p in problems.drain(..) {
            if let Some(i) = index(&rows, p.row) {
                rows[i].problems.push(p);
            }
        }
        let order_rows: Vec<u32> = draft.rows().collect();
        let positions: Vec<usize> = order_rows.iter().filter_map(|&n| index(&rows, n)).collect();
        let bad_rows: Vec<u32> = positions
            .iter()
            .filter(|&&i| rows[i].problems.iter().any(Problem::is_error))
            .map(|&i| rows[i].number)
            .collect();
        let order = order.filter(|_| bad_rows.is_empty());
        for &i in &positions {
            rows[i].order = o;
            if order.is_none() {
                rows[i].status = RowStatus::Invalid;
                if !bad_rows.contains(&rows[i].number) {
                    rows[i].see_rows = bad_rows.clone();
                }
            }
        }
        let totals = order.as_ref().map(|o| (o.summary.grand_total, o.summary.total_tax));
        if let Some(order) = &order {
            on_valid(order)?;
        }
        orders.push(OrderResult {
            key: draft.key.clone(),
            rows: order_rows,
            valid: order.is_some(),
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
    })
}

/// A cell's value for a message: formula errors and long texts as they are, cut to size.
fn shown(cell: &Cell) -> String {
    cell.display()
}

fn map_columns(sheet: &Sheet, settings: &Settings) -> Result<ColumnMap, Error> {
    let map = ColumnMap::new(&sheet.headers, &settings.columns).map_err(|e| {
        let message = match e {
            MapError::Duplicate { field, first, second } => format!(
                "the columns \"{first}\" and \"{second}\" both hold {field}; remove or rename one of them"
            ),
            MapError::UnknownField(name) => format!("the config's [columns] names \"{name}\", which is not a field; see docs/columns.md"),
        };
        Error::Columns {
            path: sheet.path.clone(),
            message,
        }
    })?;
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|f| map.column(**f).is_none() && !settings.presets.gives(**f))
        .map(|f| f.name())
        .collect();
    if !missing.is_empty() {
        let found = if sheet.headers.is_empty() {
            "none".to_string()
        } else {
            sheet.headers.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", ")
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

/// The file's number convention, from the text of its numeric columns. A CSV separated by
/// semicolons falls back to decimal commas (that is how a Norwegian Excel writes them).
fn detect_convention(sheet: &Sheet, map: &ColumnMap) -> NumberConvention {
    let columns: Vec<usize> = map
        .by_column
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_some_and(|f| matches!(f.kind(), Kind::Money | Kind::Price | Kind::Number)))
        .map(|(c, _)| c)
        .collect();
    let fallback = if sheet.delimiter() == b';' {
        NumberConvention::DecimalComma
    } else {
        NumberConvention::DecimalPoint
    };
    // Enough evidence is found in the first rows of any real sheet; stop there.
    const ENOUGH: usize = 10_000;
    let texts: Vec<String> = sheet
        .rows()
        .flat_map(|row| {
            columns
                .iter()
                .filter_map(|&c| match row.cell(c) {
                    Cell::Text(t) if t.contains([',', '.']) => Some(t.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .take(ENOUGH)
        .collect();
    NumberConvention::detect(texts.iter().map(String::as_str), fallback)
}
