//! The XLSX result: the sheet's rows at their own row numbers, typed as they were, every problem
//! cell highlighted with its message as a cell note, then status and messages columns. Every
//! text is capped at Excel's cell limit, the sheet's own cells too.

use super::{cap, ids, messages, visit_results, ID_HEADERS, MAX_CELL};
use crate::model::outcome::{RowResult, RowStatus};
use crate::model::problem::{Origin, Severity};
use crate::pipeline::read::{Cell, Row};
use crate::pipeline::Checked;
use rust_xlsxwriter::{Color, Format, FormatBorder, Note, Workbook, Worksheet, XlsxError};
use std::borrow::Cow;

/// The longest note rust_xlsxwriter takes: a cell's limit less room for the author's name.
const MAX_NOTE: usize = MAX_CELL - 54;

pub fn render(checked: &Checked) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("result")?;
    let bold = header_format();
    let formats = Formats {
        date: Format::new().set_num_format("yyyy-mm-dd"),
        error: Format::new()
            .set_background_color(Color::RGB(0xFFC7CE))
            .set_font_color(Color::RGB(0x9C0006)),
        warning: Format::new()
            .set_background_color(Color::RGB(0xFFEB9C))
            .set_font_color(Color::RGB(0x9C5700)),
    };
    let width = checked.sheet.headers.len() as u16;
    for (c, h) in checked.sheet.headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, clip(h), &bold)?;
    }
    sheet.write_string_with_format(0, width, "status", &bold)?;
    let id_headers: &[&str] = if checked.submitted { &ID_HEADERS } else { &[] };
    for (i, header) in id_headers.iter().enumerate() {
        sheet.write_string_with_format(0, width + 1 + i as u16, *header, &bold)?;
    }
    let messages_column = width + 1 + id_headers.len() as u16;
    sheet.write_string_with_format(0, messages_column, "messages", &bold)?;
    sheet.set_freeze_panes(1, 0)?;
    let top = checked.sheet.header_row;
    visit_results(checked, |row, result| {
        write_row(sheet, checked, row, result, top, &formats)
    })?;
    sheet.set_column_width(messages_column, 80)?;
    book.save_to_buffer()
}

/// The header and the rows of the orders not created (`rows`, ascending), typed as the sheet
/// had them, one after another under the header: no status, no highlighting, a workbook to fix
/// and feed back.
pub fn render_rows(checked: &Checked, rows: &[u32]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("orders")?;
    let bold = header_format();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in checked.sheet.headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, clip(h), &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let width = checked.sheet.headers.len() as u16;
    let mut r = 0;
    visit_results(checked, |row, result| {
        if rows.binary_search(&result.number).is_err() {
            return Ok(());
        }
        r += 1;
        write_cells(sheet, row, r, width, &date)
    })?;
    book.save_to_buffer()
}

/// A sheet's rows at their own row numbers (the header row bold), typed as they were: the
/// corrected sheet of a workbook.
pub fn render_sheet(rows: &[Row], width: usize) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("orders")?;
    let bold = header_format();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let Some((header, body)) = rows.split_first() else {
        return book.save_to_buffer();
    };
    for (c, cell) in header.cells.iter().enumerate().take(width) {
        sheet.write_string_with_format(
            header.number - 1,
            c as u16,
            clip(&cell.display()),
            &bold,
        )?;
    }
    sheet.set_freeze_panes(header.number, 0)?;
    for row in body {
        write_cells(sheet, row, row.number - 1, width as u16, &date)?;
    }
    book.save_to_buffer()
}

/// The format of a header row in every workbook the tool writes: bold, a line below.
pub(super) fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin)
}

struct Formats {
    date: Format,
    error: Format,
    warning: Format,
}

fn write_row(
    sheet: &mut Worksheet,
    checked: &Checked,
    row: &Row,
    result: &RowResult,
    top: u32,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let width = checked.sheet.headers.len() as u16;
    let r = row.number - top;
    write_cells(sheet, row, r, width, &formats.date)?;
    write_notes(sheet, checked, row, result, r, formats)?;
    if !result
        .problems
        .iter()
        .any(|p| p.field.is_none() || p.origin != Origin::Sheet)
    {
        let plain = Format::new();
        let format = if result.status == RowStatus::Invalid {
            &formats.error
        } else {
            &plain
        };
        sheet.write_string_with_format(r, width, result.status.as_str(), format)?;
    }
    let ids = ids(checked, result);
    for (i, id) in ids.iter().flatten().enumerate() {
        sheet.write_string(r, width + 1 + i as u16, clip(id))?;
    }
    let messages_column = width + 1 + ids.map_or(0, |i| i.len() as u16);
    sheet.write_string(
        r,
        messages_column,
        clip(&messages(checked, result).join("\n")),
    )?;
    Ok(())
}

/// The row's own cells, as the sheet had them.
fn write_cells(
    sheet: &mut Worksheet,
    row: &Row,
    r: u32,
    width: u16,
    date: &Format,
) -> Result<(), XlsxError> {
    for (c, cell) in row.cells.iter().enumerate().take(width as usize) {
        let c = c as u16;
        match cell {
            Cell::Empty => {}
            Cell::Text(t) => {
                sheet.write_string(r, c, clip(t))?;
            }
            Cell::Number(n) => {
                sheet.write_number(r, c, *n)?;
            }
            Cell::Date(d) => {
                let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
                let serial = (d.date() - epoch).num_days() as f64
                    + d.time()
                        .signed_duration_since(chrono::NaiveTime::MIN)
                        .num_seconds() as f64
                        / 86_400.0;
                sheet.write_number_with_format(r, c, serial, date)?;
            }
            Cell::Bool(b) => {
                sheet.write_boolean(r, c, *b)?;
            }
            Cell::Error(e) => {
                sheet.write_string(r, c, clip(e))?;
            }
        }
    }
    Ok(())
}

/// Each problem cell highlighted, its messages in a note (the status cell for problems of no
/// column of the sheet).
fn write_notes(
    sheet: &mut Worksheet,
    checked: &Checked,
    row: &Row,
    result: &RowResult,
    r: u32,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let width = checked.sheet.headers.len() as u16;
    let mut noted: Vec<(u16, Severity, Vec<String>)> = Vec::new();
    for p in &result.problems {
        let column = p
            .field
            .filter(|_| p.origin == Origin::Sheet)
            .and_then(|f| checked.map.column(f))
            .map_or(width, |c| c as u16);
        match noted.iter_mut().find(|(c, _, _)| *c == column) {
            Some((_, severity, lines)) => {
                *severity = (*severity).max(p.severity);
                lines.push(p.describe(&checked.map));
            }
            None => noted.push((column, p.severity, vec![p.describe(&checked.map)])),
        }
    }
    for (column, severity, lines) in noted {
        let format = if severity == Severity::Error {
            &formats.error
        } else {
            &formats.warning
        };
        let text = row.cell(column as usize).display();
        if column == width {
            sheet.write_string_with_format(r, column, result.status.as_str(), format)?;
        } else if text.is_empty() {
            sheet.write_blank(r, column, format)?;
        } else {
            match row.cell(column as usize) {
                Cell::Number(n) => sheet.write_number_with_format(r, column, *n, format)?,
                _ => sheet.write_string_with_format(r, column, clip(&text), format)?,
            };
        }
        let note = Note::new(cap(&lines.join("\n"), MAX_NOTE))
            .set_author("fpgo-export")
            .set_width(360)
            .set_height(120);
        sheet.insert_note(r, column, &note)?;
    }
    Ok(())
}

/// A cell's text within Excel's limit (see [`cap`]): a workbook with a longer cell is refused
/// by rust_xlsxwriter, and the sheet's own cells may be longer (a CSV's are unbounded).
fn clip(text: &str) -> Cow<'_, str> {
    cap(text, MAX_CELL)
}
