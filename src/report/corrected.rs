//! The corrected sheet: the sheet as read, with the cells a user corrected (in the browser
//! app) put in, every row at its own row number so that the corrected sheet's messages name
//! the rows of the original. A CSV stays a CSV in its own delimiter (UTF-8 with a BOM, so that
//! Excel reads it right); a workbook becomes a one-sheet XLSX, its cells typed as they were.

use super::{atomic_write, xlsx};
use crate::error::Error;
use crate::pipeline::read::{Cell, Format, Row, Sheet};
use std::ops::ControlFlow;
use std::path::Path;

/// Writes `sheet` to `path` with `edit(row, column)`'s text, where it gives one, in place of
/// the cell (column zero-based).
pub fn write<'e>(
    sheet: &Sheet,
    path: &Path,
    edit: impl Fn(u32, usize) -> Option<&'e str>,
) -> Result<(), Error> {
    let width = sheet.headers.len();
    let header = Row {
        number: sheet.header_row,
        cells: sheet
            .headers
            .iter()
            .map(|h| Cell::Text(h.clone()))
            .collect(),
        span: None,
        flaw: None,
    };
    let mut rows = vec![edited(&header, width, &edit)];
    sheet.visit_rows(|row| {
        rows.push(edited(row, width, &edit));
        ControlFlow::Continue(())
    });
    sheet.unchanged()?;
    match sheet.format {
        Format::Csv { delimiter, .. } => atomic_write(path, |out| {
            out.write_all(b"\xEF\xBB\xBF")?;
            let mut writer = ::csv::WriterBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_writer(out);
            let blank = vec![String::new(); width.max(2)];
            let mut next = 1;
            for row in &rows {
                // Blank rows keep their place: the rows below keep their numbers.
                while next < row.number {
                    writer.write_record(&blank)?;
                    next += 1;
                }
                let cells: Vec<String> = row.cells.iter().map(Cell::display).collect();
                if cells.iter().all(String::is_empty) {
                    writer.write_record(&blank)?;
                } else {
                    writer.write_record(&cells)?;
                }
                next = row.number + 1;
            }
            writer.flush()
        }),
        Format::Workbook { .. } => {
            let bytes = xlsx::render_sheet(&rows, width)
                .map_err(|e| Error::unusable(path, format!("cannot write XLSX: {e}")))?;
            atomic_write(path, |out| out.write_all(&bytes))
        }
    }
}

/// The row with its corrections, as text cells.
fn edited<'a>(row: &Row, width: usize, edit: &impl Fn(u32, usize) -> Option<&'a str>) -> Row {
    let mut row = row.clone();
    for column in 0..width {
        if let Some(text) = edit(row.number, column) {
            if row.cells.len() <= column {
                row.cells.resize(column + 1, Cell::Empty);
            }
            row.cells[column] = Cell::Text(text.to_string());
        }
    }
    row
}
