//! Workbook fixtures: cells at explicit positions on named sheets, written through
//! rust_xlsxwriter the way Excel stores what people type (numbers, dates, serials, booleans,
//! formulas with cached results, blank cells that exist), and [`zip_parts`] to read back what
//! calamine cannot (the notes of a result workbook).

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use std::path::Path;

/// One cell of an XLSX fixture.
#[derive(Clone, Debug)]
pub enum X {
    Empty,
    /// A blank cell that exists in the file (it has a format), as Excel keeps after a delete.
    Blank,
    Text(String),
    Num(f64),
    /// A date cell with a date format.
    Date(u16, u8, u8),
    /// A number with a date format: what Excel stores for a date, its serial day (any number,
    /// even one no calendar date matches).
    Serial(f64),
    Bool(bool),
    /// A formula with its cached result (`#N/A` is written as an error result).
    Formula(String, String),
}

impl X {
    pub fn text(s: &str) -> X {
        X::Text(s.to_string())
    }
}

/// A cell at zero-based (row, column).
type Placed = (u32, u16, X);

/// A workbook fixture: sheets of cells at explicit positions.
#[derive(Clone, Debug)]
pub struct Xlsx {
    /// Each sheet's name and its cells (zero-based row, column).
    sheets: Vec<(String, Vec<Placed>)>,
}

impl Xlsx {
    pub fn new(first_sheet: &str) -> Self {
        Xlsx {
            sheets: vec![(first_sheet.to_string(), Vec::new())],
        }
    }

    /// Starts another sheet; later cells go there.
    pub fn sheet(&mut self, name: &str) -> &mut Self {
        self.sheets.push((name.to_string(), Vec::new()));
        self
    }

    /// Writes a row at a zero-based row index (Excel row `row + 1`).
    pub fn row(&mut self, row: u32, cells: Vec<X>) -> &mut Self {
        for (c, cell) in cells.into_iter().enumerate() {
            self.cell(row, c as u16, cell);
        }
        self
    }

    /// Writes one cell at zero-based coordinates.
    pub fn cell(&mut self, row: u32, col: u16, cell: X) -> &mut Self {
        let sheet = self.sheets.last_mut().expect("a sheet");
        sheet.1.retain(|(r, c, _)| (*r, *c) != (row, col));
        sheet.1.push((row, col, cell));
        self
    }

    /// Replaces the cell of the last sheet at `row` under the header `header` (on row 0).
    pub fn set(&mut self, row: u32, header: &str, cell: X) -> &mut Self {
        let sheet = self.sheets.last().expect("a sheet");
        let col = sheet
            .1
            .iter()
            .find(|(r, _, x)| *r == 0 && matches!(x, X::Text(t) if t == header))
            .map(|(_, c, _)| *c)
            .unwrap_or_else(|| panic!("no header {header:?}"));
        self.cell(row, col, cell)
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut book = Workbook::new();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let blank = Format::new().set_background_color(rust_xlsxwriter::Color::RGB(0xFFFFCC));
        for (name, cells) in &self.sheets {
            let sheet = book.add_worksheet();
            sheet.set_name(name).unwrap();
            for (r, c, cell) in cells {
                let (r, c) = (*r, *c);
                match cell {
                    X::Empty => {}
                    X::Blank => {
                        sheet.write_blank(r, c, &blank).unwrap();
                    }
                    X::Text(t) => {
                        sheet.write_string(r, c, t).unwrap();
                    }
                    X::Num(n) => {
                        sheet.write_number(r, c, *n).unwrap();
                    }
                    X::Date(y, m, d) => {
                        let dt = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                        sheet.write_datetime_with_format(r, c, &dt, &date).unwrap();
                    }
                    X::Serial(n) => {
                        sheet.write_number_with_format(r, c, *n, &date).unwrap();
                    }
                    X::Bool(b) => {
                        sheet.write_boolean(r, c, *b).unwrap();
                    }
                    X::Formula(f, result) => {
                        sheet
                            .write_formula(r, c, Formula::new(f).set_result(result))
                            .unwrap();
                    }
                }
            }
        }
        book.save_to_buffer().unwrap()
    }
}

/// Every part of a zip archive (an XLSX file), by name, unpacked.
pub fn zip_parts(path: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut archive = zip::ZipArchive::new(file).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut part = archive.by_index(i).unwrap();
            let mut unpacked = Vec::new();
            std::io::Read::read_to_end(&mut part, &mut unpacked).unwrap();
            (part.name().to_string(), unpacked)
        })
        .collect()
}

/// One part of a zip archive (an XLSX file) as text, if it has that part.
pub fn zip_part(path: &Path, name: &str) -> Option<String> {
    zip_parts(path)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, bytes)| String::from_utf8(bytes).expect("the part is UTF-8"))
}
