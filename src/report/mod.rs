//! Stage **report**: the result file (one line per input row: the original cells, then status
//! and messages), the payload dump and the summary. Every file is written atomically: to a
//! temporary file beside the target, then renamed, so a crash never leaves half a result. A cell
//! the tool writes never exceeds Excel's 32,767 characters ([`cap`]).

mod atomic;
mod blocks;
mod corrected;
mod csv;
mod direct;
mod json;
pub mod progress;
pub mod status;
pub mod summary;
pub mod template;
mod xlsx;

pub use atomic::AtomicFile;

use crate::error::Error;
use crate::model::outcome::RowResult;
use crate::model::problem::{mention, some_of, Problem};
use crate::pipeline::read::Row;
use crate::pipeline::Checked;
use std::borrow::Cow;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;

/// The files a run writes, by what they hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Every row with its status (`--output`).
    Result,
    /// The rows of the orders not created (`--failed-rows`).
    FailedRows,
}

/// The formats a file of this kind can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
    Json,
}

/// The format of an output, by its extension; a message naming the ones there are otherwise.
fn format_of(path: &Path, output: Output) -> Result<Format, Error> {
    let ext = crate::pipeline::read::extension(path);
    match (output, ext.as_str()) {
        (_, "csv" | "txt" | "tsv") => Ok(Format::Csv),
        (Output::Result, "xlsx") => Ok(Format::Xlsx),
        (Output::Result, "json") => Ok(Format::Json),
        (Output::Result, other) => Err(Error::usage(format!(
            "cannot write a result file with the extension \".{other}\"; use .csv, .xlsx or .json"
        ))),
        (Output::FailedRows, "xlsx") => Ok(Format::Xlsx),
        (Output::FailedRows, other) => Err(Error::usage(format!(
            "--failed-rows: cannot write \".{other}\"; use a .xlsx or .csv file"
        ))),
    }
}

/// Whether an output can be written there: a format this tool writes and a folder where a
/// file can be created. Asked before a run sends anything, so that it never stops, orders
/// sent, at its last step.
pub fn check_writable(path: &Path, output: Output) -> Result<(), Error> {
    format_of(path, output)?;
    AtomicFile::create(path).map(drop)
}

/// Writes the result file; its format follows the extension (.csv, .xlsx, .json).
pub fn write_result(checked: &Checked, path: &Path) -> Result<(), Error> {
    match format_of(path, Output::Result)? {
        Format::Xlsx => {
            let bytes = xlsx::render(checked)
                .map_err(|e| Error::unusable(path, format!("cannot write XLSX: {e}")))?;
            from_sheet(checked, path, |w| w.write_all(&bytes))
        }
        Format::Json => from_sheet(checked, path, |w| json::write(checked, w)),
        Format::Csv => from_sheet(checked, path, |w| csv::write(checked, w)),
    }
}

/// Writes the original rows of the orders that were not created, ready to fix and feed back:
/// an XLSX (the cells typed as the sheet had them), or a CSV, UTF-8 with a BOM, in a CSV
/// sheet's own delimiter, a workbook's rows as a Norwegian Excel's CSV (`;`, decimal commas).
pub fn write_failed_rows(checked: &Checked, path: &Path) -> Result<usize, Error> {
    let mut rows: Vec<u32> = checked
        .orders
        .iter()
        .filter(|o| !o.status.is_created_or_would_be())
        .flat_map(|o| o.rows.iter().copied())
        .collect();
    rows.sort_unstable();
    match format_of(path, Output::FailedRows)? {
        Format::Xlsx => {
            let bytes = xlsx::render_rows(checked, &rows)
                .map_err(|e| Error::unusable(path, format!("cannot write XLSX: {e}")))?;
            from_sheet(checked, path, |w| w.write_all(&bytes))?
        }
        // `format_of` gives failed rows no other format.
        Format::Csv | Format::Json => {
            from_sheet(checked, path, |w| csv::write_rows(checked, &rows, w))?
        }
    }
    Ok(rows.len())
}

pub use corrected::write as write_corrected;

/// Writes a file through a temporary file in the same directory and an atomic rename.
pub fn atomic_write(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let mut file = AtomicFile::create(path)?;
    write(&mut file.writer).map_err(|e| Error::file(path, e))?;
    file.commit()
}

/// Writes a file made from the sheet's rows as [`atomic_write`] does, committed only if every
/// row was read as the sheet was checked ([`crate::pipeline::read::Sheet::unchanged`]).
fn from_sheet(
    checked: &Checked,
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let mut file = AtomicFile::create(path)?;
    write(&mut file.writer).map_err(|e| Error::file(path, e))?;
    checked.sheet.unchanged()?;
    file.commit()
}

/// Shows the non-blank rows of the sheet with their results, in file order, to `visit`; stops
/// at the first error.
fn visit_results<E>(
    checked: &Checked,
    mut visit: impl FnMut(&Row, &RowResult) -> Result<(), E>,
) -> Result<(), E> {
    let mut results = checked.rows.iter();
    let mut outcome = Ok(());
    checked.sheet.visit_rows(|row| {
        if row.is_blank() {
            return ControlFlow::Continue(());
        }
        let Some(result) = results.next() else {
            return ControlFlow::Break(());
        };
        debug_assert_eq!(row.number, result.number);
        outcome = visit(row, result);
        if outcome.is_ok() {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    });
    outcome
}

/// The columns a result file written after sending adds to each row: the order's grand total
/// (on its first row, so that the result reconciles against the sheet) and the provider's ids.
const ID_HEADERS: [&str; 4] = ["grand_total", "order_id", "customer_id", "bankid_url"];

/// A row's [`ID_HEADERS`] (empty where its order has none), when the orders were sent; `None`
/// after `check`.
fn ids(checked: &Checked, result: &RowResult) -> Option<[String; 4]> {
    if !checked.submitted {
        return None;
    }
    let order = &checked.orders[result.order as usize];
    let ids = order.ids.as_ref();
    let first = order.rows.first() == Some(&result.number);
    Some([
        order
            .totals
            .filter(|_| first)
            .map(|(grand, _)| checked.convention.show_money(grand))
            .unwrap_or_default(),
        ids.map(|i| i.order_uuid.clone()).unwrap_or_default(),
        ids.and_then(|i| i.customer_uuid.clone())
            .unwrap_or_default(),
        ids.and_then(|i| i.url.clone()).unwrap_or_default(),
    ])
}

/// The messages of a row, in the order found, as lines of text.
fn messages(checked: &Checked, result: &RowResult) -> Vec<String> {
    let mut out: Vec<String> = result
        .problems
        .iter()
        .map(|p| p.describe(&checked.map))
        .collect();
    let order = &checked.orders[result.order as usize];
    if !order.valid && !result.problems.iter().any(Problem::is_error) {
        let rows = checked.rows_with_errors(order);
        let plural = if rows.len() == 1 { "row" } else { "rows" };
        out.push(format!(
            "order {} is not sent because of problems on {plural} {}",
            mention(&order.key),
            some_of(&rows, LISTED_ROWS, u32::to_string)
        ));
    }
    out
}

/// How many rows the message on an invalid order's other rows lists.
const LISTED_ROWS: usize = 10;

/// Excel's limit on the characters of one cell.
const MAX_CELL: usize = 32_767;

/// A cell the tool writes, within `max` characters: a longer text keeps its start and says how
/// much it leaves out (`… and 1234 more characters`), so Excel never cuts it unseen or refuses
/// the file.
fn cap(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let total = text.chars().count();
    if total <= max {
        return Cow::Borrowed(text);
    }
    // The note's length with the largest count it can name; a smaller count is no longer.
    let note = |n: usize| format!("… and {n} more characters");
    let keep = max.saturating_sub(note(total).chars().count());
    let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    Cow::Owned(format!("{}{}", &text[..end], note(total - keep)))
}

/// Writes a line on stdout. A closed pipe (`… --json | head -c1`) is a normal end for a
/// reader that has seen enough, as for ripgrep: the line is dropped and the run keeps its own
/// exit code.
pub fn stdout_line(text: &str) {
    stdout(format!("{text}\n").as_bytes());
}

/// Writes generated text (a completion script, the manual page) on stdout, a closed pipe
/// being a normal end as for [`stdout_line`].
pub fn stdout(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_capped_at_excels_limit() {
        assert_eq!(cap("short", MAX_CELL), "short");
        let exact = "ø".repeat(MAX_CELL);
        assert!(
            matches!(cap(&exact, MAX_CELL), Cow::Borrowed(_)),
            "bytes are not characters"
        );
        for len in [MAX_CELL + 1, 100_000, 5_000_000] {
            let long = "é".repeat(len);
            let capped = cap(&long, MAX_CELL);
            let kept = capped.chars().take_while(|&c| c == 'é').count();
            assert_eq!(
                capped,
                format!("{}… and {} more characters", "é".repeat(kept), len - kept)
            );
            assert!(capped.chars().count() <= MAX_CELL, "{len}");
            assert!(capped.chars().count() > MAX_CELL - 40, "{len}");
        }
    }
}
