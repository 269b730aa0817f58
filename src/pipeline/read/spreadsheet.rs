//! Workbooks through calamine: XLSX, XLSM, XLSB, XLS and ODS, the first sheet or a named one.
//!
//! XLSX is read cell by cell (calamine's cell reader), never as one dense range, so a stray
//! cell at XFD1048576 costs one cell, not seventeen billion. Cells right of the header's last
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

type Sparse = Vec<(u32, Vec<(u32, Cell)>)>;

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
    let (sheet, sparse) = match kind {
        "XLSX" | "XLSM" => {
            let mut book = Xlsx::new(cursor).map_err(|e| broken(&e))?;
            let name = pick_sheet(path, book.sheet_names(), wanted)?;
            let mut reader = book.worksheet_cells_reader(&name).map_err(|e| broken(&e))?;
            let mut sparse: Sparse = Vec::new();
            while let Some(cell) = reader.next_cell().map_err(|e| broken(&e))? {
                let (row, col) = cell.get_position();
                push(&mut sparse, row, col, from_data_ref(cell.get_value()));
            }
            (name, sparse)
        }
        "XLSB" => range_of::<Xlsb<_>>(path, cursor, wanted, &broken)?,
        "XLS" => range_of::<Xls<_>>(path, cursor, wanted, &broken)?,
        _ => range_of::<Ods<_>>(path, cursor, wanted, &broken)?,
    };
    let (rows, notes) = densify(sparse);
    Ok((Format::Workbook { kind, sheet }, Body::Rows(rows), notes))
}

fn range_of<R: Reader<Cursor<Vec<u8>>>>(
    path: &Path,
    cursor: Cursor<Vec<u8>>,
    wanted: Option<&str>,
    broken: &dyn Fn(&dyn std::fmt::Display) -> Error,
) -> Result<(String, Sparse), Error>
where
    R::Error: std::fmt::Display,
{
    let mut book = R::new(cursor).map_err(|e| broken(&e))?;
    let name = pick_sheet(path, book.sheet_names(), wanted)?;
    let range = book.worksheet_range(&name).map_err(|e| broken(&e))?;
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut sparse: Sparse = Vec::new();
    for (i, row) in range.rows().enumerate() {
        for (j, value) in row.iter().enumerate() {
            if *value != Data::Empty {
                push(
                    &mut sparse,
                    top + i as u32,
                    left + j as u32,
                    from_data(value),
                );
            }
        }
    }
    Ok((name, sparse))
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

fn push(sparse: &mut Sparse, row: u32, col: u32, cell: Cell) {
    if cell == Cell::Empty {
        return;
    }
    match sparse.last_mut() {
        Some((r, cells)) if *r == row => cells.push((col, cell)),
        last => {
            // Rows are about as wide as the one before: room for as many cells at once, not
            // grown a cell at a time (a tenth of a workbook's read went to growing them).
            let mut cells = Vec::with_capacity(last.map_or(1, |(_, cells)| cells.len()));
            cells.push((col, cell));
            sparse.push((row, cells));
        }
    }
}

/// Sparse cells → dense rows as wide as the header row; cells beyond it are dropped, noted.
fn densify(mut sparse: Sparse) -> (Vec<Row>, Vec<String>) {
    sparse.sort_by_key(|(r, _)| *r);
    let width = sparse
        .iter()
        .find(|(_, cells)| cells.iter().any(|(_, c)| !c.is_blank()))
        .and_then(|(_, cells)| {
            cells
                .iter()
                .filter(|(_, c)| !c.is_blank())
                .map(|(c, _)| *c)
                .max()
        })
        .map_or(0, |c| c as usize + 1);
    let mut dropped = Vec::new();
    let rows = sparse
        .into_iter()
        .map(|(r, cells)| {
            let mut dense = vec![Cell::Empty; width];
            for (c, cell) in cells {
                match dense.get_mut(c as usize) {
                    Some(slot) => *slot = cell,
                    None if !cell.is_blank() => {
                        dropped.push(format!("{}{}", column_letters(c as usize), r + 1))
                    }
                    None => {}
                }
            }
            Row {
                number: r + 1,
                cells: dense,
                span: None,
                flaw: None,
            }
        })
        .collect();
    let notes = if dropped.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "{} cell(s) right of the header's last column were ignored (first: {}); give them a header if they matter",
            dropped.len(),
            dropped[0]
        )]
    };
    (rows, notes)
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
