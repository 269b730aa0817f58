//! Workbooks through calamine: XLSX, XLSM, XLSB, XLS and ODS, the first sheet or a named one.
//!
//! XLSX is read cell by cell (calamine's cell reader), never as one dense range, so a stray
//! cell at XFD1048576 costs one cell, not seventeen billion. The cells go straight into rows
//! as wide as the header row (no second copy of the sheet); cells right of the header's last
//! column are dropped with a note.

use super::{Body, Cell, Format, Row};
use crate::error::Error;
use crate::model::problem::column_letters;
use calamine::{Data, DataRef, Ods, Reader, Xls, Xlsb, Xlsx};
use std::io::Cursor;
use std::path::Path;

/// The workbook kind of a file, by its first bytes and then its extension; `None` for text.
pub fn kind_of(bytes: &[u8], ext: &str) -> Option<&'static str> {
    let zip = bytes.starts_with(b"PK\x03\x04");
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    match ext {
        "ods" => Some("ODS"),
        "xlsb" => Some("XLSB"),
        "xls" => Some("XLS"),
        "xlsm" => Some("XLSM"),
        "xlsx" => Some("XLSX"),
        _ if zip => Some("XLSX"),
        _ if ole => Some("XLS"),
        _ => None,
    }
}

pub fn read(
    path: &Path,
    bytes: Vec<u8>,
    kind: &'static str,
    wanted: Option<&str>,
) -> Result<(Format, Body, Vec<String>), Error> {
    let broken = |e: &dyn std::fmt::Display| {
        Error::unusable(
            path,
            format!("cannot be read as {kind} ({e}); is the file complete? Open it in Excel and save it again"),
        )
    };
    let cursor = Cursor::new(bytes);
    let (sheet, grid) = match kind {
        "XLSX" | "XLSM" => {
            let mut book = Xlsx::new(cursor).map_err(|e| broken(&e))?;
            let name = pick_sheet(path, book.sheet_names(), wanted)?;
            let mut reader = book.worksheet_cells_reader(&name).map_err(|e| broken(&e))?;
            let mut grid = Grid::default();
            while let Some(cell) = reader.next_cell().map_err(|e| broken(&e))? {
                let (row, col) = cell.get_position();
                grid.push(row, col, from_data_ref(cell.get_value()));
            }
            (name, grid)
        }
        "XLSB" => range_of::<Xlsb<_>>(path, cursor, wanted, &broken)?,
        "XLS" => range_of::<Xls<_>>(path, cursor, wanted, &broken)?,
        _ => range_of::<Ods<_>>(path, cursor, wanted, &broken)?,
    };
    let (rows, notes) = grid.finish();
    Ok((Format::Workbook { kind, sheet }, Body::Rows(rows), notes))
}

fn range_of<R: Reader<Cursor<Vec<u8>>>>(
    path: &Path,
    cursor: Cursor<Vec<u8>>,
    wanted: Option<&str>,
    broken: &dyn Fn(&dyn std::fmt::Display) -> Error,
) -> Result<(String, Grid), Error>
where
    R::Error: std::fmt::Display,
{
    let mut book = R::new(cursor).map_err(|e| broken(&e))?;
    let name = pick_sheet(path, book.sheet_names(), wanted)?;
    let range = book.worksheet_range(&name).map_err(|e| broken(&e))?;
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut grid = Grid::default();
    for (i, row) in range.rows().enumerate() {
        for (j, value) in row.iter().enumerate() {
            if *value != Data::Empty {
                grid.push(top + i as u32, left + j as u32, from_data(value));
            }
        }
    }
    Ok((name, grid))
}

fn pick_sheet(path: &Path, names: Vec<String>, wanted: Option<&str>) -> Result<String, Error> {
    match wanted {
        None => names
            .into_iter()
            .next()
            .ok_or_else(|| Error::unusable(path, "the workbook has no sheets")),
        Some(w) => names
            .iter()
            .find(|n| n.trim().eq_ignore_ascii_case(w.trim()))
            .cloned()
            .ok_or_else(|| {
                Error::usage(format!(
                    "{} has no sheet \"{w}\"; its sheets are: {}",
                    path.display(),
                    names.join(", ")
                ))
            }),
    }
}

/// A sheet's rows as its cells come (row by row, as workbooks write them): each row dense from
/// its first column, as wide as the header row once that is read. Cells right of the header's
/// last column are kept aside, one by one, never widening every row.
#[derive(Default)]
struct Grid {
    rows: Vec<Row>,
    /// Whether some row came before the one it follows (no workbook writer does that).
    out_of_order: bool,
    /// The header row's width, once a row after it has begun (rows in order till then).
    width: Option<usize>,
    /// The cells right of `width`: the row's index in `rows`, the column, the cell.
    beyond: Vec<(usize, u32, Cell)>,
}

impl Grid {
    /// Cell `cell` at row `row` and column `col` (both from 0).
    fn push(&mut self, row: u32, col: u32, cell: Cell) {
        if cell == Cell::Empty {
            return;
        }
        let number = row + 1;
        if self.rows.last().is_none_or(|r| r.number != number) {
            self.begin(number);
        }
        let (at, c) = (self.rows.len() - 1, col as usize);
        if self.width.is_some_and(|w| c >= w) {
            // A cell given twice is the second: this row's are the last ones kept aside.
            let mut this_row = self.beyond.iter().rev().take_while(|(i, _, _)| *i == at);
            if let Some(back) = this_row.position(|(_, given, _)| *given == col) {
                self.beyond.remove(self.beyond.len() - 1 - back);
            }
            self.beyond.push((at, col, cell));
            return;
        }
        put(&mut self.rows[at].cells, c, cell);
    }

    /// A new row, `number`: the row before it, if it was the first that is not blank, is the
    /// header, and sets the width.
    fn begin(&mut self, number: u32) {
        let before = self.rows.last();
        self.out_of_order |= before.is_some_and(|r| r.number > number);
        if self.width.is_none() && !self.out_of_order {
            self.width = before.and_then(|r| non_blank_width(&r.cells));
        }
        // Rows are about as wide as the one before: room for as many cells at once, not grown
        // a cell at a time (a tenth of a workbook's read went to growing them).
        let room = before.map_or(1, |r| r.cells.len());
        self.rows.push(Row {
            number,
            cells: Vec::with_capacity(room),
            span: None,
            flaw: None,
        });
    }

    /// The rows in row order, each as wide as the header row (the first that is not blank);
    /// cells beyond it dropped, with a note.
    fn finish(mut self) -> (Vec<Row>, Vec<String>) {
        if self.out_of_order {
            // The width was read from a row that may not be the first: every cell back in its
            // row, and the width read again.
            for (at, col, cell) in std::mem::take(&mut self.beyond) {
                put(&mut self.rows[at].cells, col as usize, cell);
            }
            self.rows.sort_by_key(|r| r.number);
        }
        let width = self
            .rows
            .iter()
            .find_map(|r| non_blank_width(&r.cells))
            .unwrap_or(0);
        let beyond = self.beyond.iter().filter(|(_, _, cell)| !cell.is_blank());
        let mut dropped: Vec<(u32, u32)> = beyond
            .map(|(at, c, _)| (self.rows[*at].number, *c))
            .collect();
        for row in &mut self.rows {
            if row.cells.len() > width {
                for (c, cell) in row.cells.iter().enumerate().skip(width) {
                    if !cell.is_blank() {
                        dropped.push((row.number, c as u32));
                    }
                }
                row.cells.truncate(width);
            }
            row.cells.resize(width, Cell::Empty);
        }
        let notes = match dropped.iter().min() {
            None => Vec::new(),
            Some(&(r, c)) => vec![format!(
                "{} cell(s) right of the header's last column were ignored (first: {}{r}); give them a header if they matter",
                dropped.len(),
                column_letters(c as usize)
            )],
        };
        (self.rows, notes)
    }
}

/// `cell` in column `c` of a row, the row widened to it if it is not as wide.
fn put(cells: &mut Vec<Cell>, c: usize, cell: Cell) {
    if c >= cells.len() {
        cells.resize(c + 1, Cell::Empty);
    }
    cells[c] = cell;
}

/// One past the last column of `cells` that is not blank; `None` when all are blank.
fn non_blank_width(cells: &[Cell]) -> Option<usize> {
    cells.iter().rposition(|c| !c.is_blank()).map(|c| c + 1)
}

fn from_data(value: &Data) -> Cell {
    match value {
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) if d.is_datetime() => {
            d.as_datetime().map_or(Cell::Number(d.as_f64()), Cell::Date)
        }
        Data::DateTime(d) => Cell::Number(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

fn from_data_ref(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::SharedString(s) => Cell::Text(s.to_string()),
        DataRef::Int(i) => from_data(&Data::Int(*i)),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) => from_data(&Data::DateTime(*d)),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

/// The names of a workbook's sheets, in the workbook's order (none for a text file or a file
/// that cannot be read: opening it says what is wrong).
pub fn sheet_names(path: &Path) -> Vec<String> {
    fn names<R: Reader<Cursor<Vec<u8>>>>(cursor: Cursor<Vec<u8>>) -> Vec<String> {
        R::new(cursor).map(|b| b.sheet_names()).unwrap_or_default()
    }
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let kind = kind_of(&bytes, &super::extension(path));
    let cursor = Cursor::new(bytes);
    match kind {
        None => Vec::new(),
        Some("XLSX" | "XLSM") => names::<Xlsx<_>>(cursor),
        Some("XLSB") => names::<Xlsb<_>>(cursor),
        Some("XLS") => names::<Xls<_>>(cursor),
        Some(_) => names::<Ods<_>>(cursor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a grid must give: the cells grouped into rows as they come (a cell given twice is
    /// the second), the rows sorted (a stable sort), each made dense as wide as the first row
    /// that is not blank.
    fn dense(cells: &[(u32, u32, Cell)]) -> (Vec<Row>, Vec<String>) {
        let mut rows: Vec<(u32, Vec<(u32, Cell)>)> = Vec::new();
        for (r, c, cell) in cells.iter().filter(|(_, _, cell)| *cell != Cell::Empty) {
            match rows.last_mut() {
                Some((last, row)) if last == r => {
                    row.retain(|(at, _)| at != c);
                    row.push((*c, cell.clone()));
                }
                _ => rows.push((*r, vec![(*c, cell.clone())])),
            }
        }
        rows.sort_by_key(|(r, _)| *r);
        let width = rows
            .iter()
            .find_map(|(_, row)| {
                let shown = row.iter().filter(|(_, cell)| !cell.is_blank());
                shown.map(|(c, _)| *c as usize + 1).max()
            })
            .unwrap_or(0);
        let mut dropped = Vec::new();
        let rows = rows
            .into_iter()
            .map(|(r, row)| {
                let mut cells = vec![Cell::Empty; width];
                for (c, cell) in row {
                    match cells.get_mut(c as usize) {
                        Some(slot) => *slot = cell,
                        None if !cell.is_blank() => dropped.push((r + 1, c)),
                        None => {}
                    }
                }
                Row {
                    number: r + 1,
                    cells,
                    span: None,
                    flaw: None,
                }
            })
            .collect();
        let notes = dropped.iter().min().map(|&(r, c)| {
            format!(
                "{} cell(s) right of the header's last column were ignored (first: {}{r}); give them a header if they matter",
                dropped.len(),
                column_letters(c as usize)
            )
        });
        (rows, notes.into_iter().collect())
    }

    fn cell() -> impl Strategy<Value = Cell> {
        prop_oneof![
            Just(Cell::Empty),
            Just(Cell::Text(String::new())),
            Just(Cell::Text(" ".into())),
            Just(Cell::Text("a".into())),
            Just(Cell::Text("b".into())),
            Just(Cell::Number(1.0)),
        ]
    }

    proptest! {
        #[test]
        fn a_grid_is_the_cells_made_dense(
            mut cells in prop::collection::vec((0u32..6, 0u32..8, cell()), 0..40),
            in_order in any::<bool>(),
        ) {
            if in_order {
                cells.sort_by_key(|(r, _, _)| *r);
            }
            let mut grid = Grid::default();
            for (r, c, cell) in &cells {
                grid.push(*r, *c, cell.clone());
            }
            prop_assert_eq!(grid.finish(), dense(&cells));
        }
    }
}
