//! Stage **read**: a file becomes a header row and rows of cells, each row keeping the number
//! Excel shows for it (the header is row 1 when the sheet starts at the top).
//!
//! The format is decided by the file's first bytes (a zip is a workbook whatever its name says),
//! then by its extension, matched case-insensitively. A UTF-8 or Windows-1252 CSV is read through once
//! and read again from the file each time its rows are walked, checked to be the text first
//! read (UTF-16, a named `--encoding` and a pipe are decoded once and kept), so a million-line
//! sheet is never held as cells, nor as text.

mod ahead;
mod csv;
mod encoding;
mod spreadsheet;
mod window;

use crate::error::Error;
use crate::model::problem::column_letters;
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use csv::Raws;
pub use encoding::TextEncoding;
pub use spreadsheet::sheet_names;

/// One cell as the file holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A numeric spreadsheet cell (always a float in the file).
    Number(f64),
    /// A spreadsheet cell formatted as a date.
    Date(NaiveDateTime),
    Bool(bool),
    /// A formula error such as `#N/A`.
    Error(String),
}

/// A text without the white space around it, as `str::trim` gives it; a text that starts and
/// ends with a visible ASCII character (nearly every cell) is given back without a look at
/// its characters.
pub fn trim(text: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x7f);
    let bytes = text.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

impl Cell {
    /// Blank: empty, or text made only of spaces.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => trim(t).is_empty(),
            _ => false,
        }
    }

    /// The cell as text, the way a person reads it.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => decimal_from_f64(*n)
                .map(|d| d.to_string())
                .unwrap_or_else(|_| format!("{n:e}")),
            Cell::Date(d) if d.time() == chrono::NaiveTime::MIN => d.date().to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// The significant digits Excel keeps of a number.
const EXCEL_DIGITS: usize = 15;

/// The decimal Excel shows for a numeric cell: the shortest decimal that reads back as the same
/// float, limited to the 15 significant digits Excel keeps (so 0.1 stays 0.1 and the result of
/// `=0.1*3` is 0.3, not 0.30000000000000004).
pub fn decimal_from_f64(value: f64) -> Result<Decimal, String> {
    if !value.is_finite() {
        return Err("is not a number".to_string());
    }
    if value != 0.0 && value.abs() < 1e-12 {
        return Err("is too small to be a real amount".into());
    }
    if value.abs() >= 1e15 {
        return Err(format!("is too large (more than {EXCEL_DIGITS} digits)"));
    }
    if let Some(exact) = few_decimals(value) {
        return Ok(exact);
    }
    let shortest = Decimal::from_str(&format!("{value}")).map_err(|e| e.to_string())?;
    let digits = shortest.mantissa().unsigned_abs().to_string().len();
    if digits <= 15 {
        return Ok(shortest.normalize());
    }
    // Round to 15 significant digits, as Excel displays it.
    let magnitude = if value == 0.0 {
        0
    } else {
        value.abs().log10().floor() as i32
    };
    let scale = (14 - magnitude).clamp(0, 28) as u32;
    Ok(shortest
        .round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize())
}

/// The common case without formatting the float: a value that some decimal of at most four
/// decimals and 15 significant digits reads back as. That decimal is the one the text route
/// finds: two different decimals of at most 15 significant digits never read back as the same
/// float, and a shorter one would have to be one of them.
fn few_decimals(value: f64) -> Option<Decimal> {
    let mut scale = 1.0;
    for decimals in 0..=4 {
        let n = (value * scale).round();
        if n.abs() < 1e15 && n / scale == value {
            return Some(Decimal::new(n as i64, decimals).normalize());
        }
        scale *= 10.0;
    }
    None
}

/// One row of the sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The row number Excel shows (1-based).
    pub number: u32,
    pub cells: Vec<Cell>,
    /// For a CSV row: where its record's text lies in the text (see [`Sheet::raws`]).
    /// `None` for a row whose text cannot be copied as it is (one with a [`Flaw`]).
    pub span: Option<(usize, usize)>,
    /// What is wrong with how the file writes this row, when something is.
    pub flaw: Option<Flaw>,
}

/// A row the file writes so that it cannot be read as written: a quote that opens a cell and
/// does not close where a cell could end. The row is read as well as the file allows (the quote
/// as a character) and the problem is an error on it; the rows after it are read as rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Flaw {
    /// The column of the cell where it happens (zero-based).
    pub column: usize,
    /// What happened and what to do.
    pub message: String,
}

impl Row {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
    pub fn cell(&self, column: usize) -> &Cell {
        self.cells.get(column).unwrap_or(&Cell::Empty)
    }
}

/// What kind of file was read, for the summary.
#[derive(Clone, Debug, PartialEq)]
pub enum Format {
    Csv {
        encoding: TextEncoding,
        delimiter: u8,
    },
    Workbook {
        kind: &'static str,
        sheet: String,
    },
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Format::Csv {
                encoding,
                delimiter,
            } => {
                let d = match delimiter {
                    b'\t' => "tab".to_string(),
                    d => format!("'{}'", *d as char),
                };
                write!(f, "CSV, {encoding}, delimiter {d}")
            }
            Format::Workbook { kind, sheet } => write!(f, "{kind}, sheet \"{sheet}\""),
        }
    }
}

/// The first `n` bytes of a file (fewer if it is shorter).
fn head(path: &Path, n: u64) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(n).read_to_end(&mut head))
        .map_err(|e| Error::file(path, e))?;
    Ok(head)
}

/// A file's extension in lower case ("" when it has none): `ORDERS.XLSX` is a workbook too.
pub fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// Whether the sheet at `path` is a workbook (XLSX, XLSM, XLSB, XLS, ODS), judged as
/// [`Sheet::open`] judges it: by its first bytes, then its extension. A file that cannot be
/// read is judged by its extension alone (opening it will say what is wrong).
pub fn is_workbook(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(8);
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(8).read_to_end(&mut head);
    }
    spreadsheet::kind_of(&head, &extension(path)).is_some()
}

/// How to read a file: the options of the command line that concern reading.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// The sheet of a workbook to read (default: the first).
    pub sheet: Option<String>,
    /// The text encoding of a CSV file (default: detected).
    pub encoding: Option<String>,
}

/// A sheet ready to be walked: its header and its rows.
#[derive(Debug)]
pub struct Sheet {
    pub path: PathBuf,
    pub format: Format,
    /// The header row's number and cells, as text.
    pub header_row: u32,
    pub headers: Vec<String>,
    /// Things noticed while reading that the user should know (ignored stray cells).
    pub notes: Vec<String>,
    body: Body,
}

#[derive(Debug)]
enum Body {
    Csv(csv::CsvText),
    Rows(Vec<Row>),
}

impl Sheet {
    /// Opens and reads a sheet. Every failure says which file and what to do.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Sheet, Error> {
        // A file that can be read only once (a pipe, `<(…)` in a shell) is read whole here.
        let regular = std::fs::metadata(path)
            .map_err(|e| Error::file(path, e))?
            .is_file();
        let once = match regular {
            true => None,
            false => Some(std::fs::read(path).map_err(|e| Error::file(path, e))?),
        };
        let head = match &once {
            Some(bytes) => bytes[..bytes.len().min(8)].to_vec(),
            None => head(path, 8)?,
        };
        if head.is_empty() {
            return Err(Error::unusable(path, "the file is empty"));
        }
        let ext = extension(path);
        let workbook = spreadsheet::kind_of(&head, &ext);
        let (format, table, notes) = match workbook {
            Some(kind) => {
                let bytes = match once {
                    Some(bytes) => bytes,
                    None => std::fs::read(path).map_err(|e| Error::file(path, e))?,
                };
                spreadsheet::read(path, bytes, kind, options.sheet.as_deref())?
            }
            None => {
                if options.sheet.is_some() {
                    return Err(Error::usage(format!(
                        "--sheet applies to workbooks; {} is a text file",
                        path.display()
                    )));
                }
                let named = options.encoding.as_deref();
                let text = match once {
                    Some(bytes) => csv::CsvText::decode(path, bytes, named)?,
                    None => csv::CsvText::open(path, named)?,
                };
                let format = Format::Csv {
                    encoding: text.encoding,
                    delimiter: text.delimiter,
                };
                (format, Body::Csv(text), Vec::new())
            }
        };
        let mut sheet = Sheet {
            path: path.to_path_buf(),
            format,
            header_row: 0,
            headers: Vec::new(),
            notes,
            body: table,
        };
        let mut header = None;
        sheet.visit_all(&mut |row| {
            if row.is_blank() {
                return ControlFlow::Continue(());
            }
            header = Some(row.clone());
            ControlFlow::Break(())
        });
        let header = header.ok_or_else(|| {
            Error::unusable(path, "the file has no header row (it holds no text)")
        })?;
        sheet.header_row = header.number;
        if let Some(flaw) = &header.flaw {
            sheet.notes.push(format!(
                "the header row (row {}), column {}: {}",
                header.number,
                column_letters(flaw.column),
                flaw.message
            ));
        }
        let mut headers: Vec<String> = header
            .cells
            .iter()
            .map(|c| c.display().trim().to_string())
            .collect();
        while headers.last().is_some_and(|h| h.is_empty()) {
            headers.pop();
        }
        sheet.headers = headers;
        Ok(sheet)
    }

    /// Shows every row of the file, header included, to `visit` until it breaks. Rows are lent,
    /// not handed over: a CSV row's buffers are reused for the next one.
    fn visit_all(&self, visit: &mut dyn FnMut(&Row) -> ControlFlow<()>) {
        match &self.body {
            Body::Csv(text) => ahead::visit(Box::new(|visit| text.visit(visit)), visit),
            Body::Rows(rows) => {
                for row in rows {
                    if visit(row).is_break() {
                        break;
                    }
                }
            }
        }
    }

    /// Shows the data rows below the header, blank ones included, in file order, to `visit`
    /// until it breaks.
    pub fn visit_rows(&self, mut visit: impl FnMut(&Row) -> ControlFlow<()>) {
        let header_row = self.header_row;
        self.visit_all(&mut |row| {
            if row.number > header_row {
                visit(row)
            } else {
                ControlFlow::Continue(())
            }
        });
    }

    /// Shows one column's cell of every data row below the header (blank rows may be among
    /// them), with its row number, to `visit`. A CSV without quotes is cut at its line ends and
    /// delimiters without being parsed (each record is then one line); any other sheet is
    /// walked as [`Sheet::visit_rows`] walks it.
    pub fn visit_column(&self, column: usize, mut visit: impl FnMut(u32, &Cell)) {
        let header_row = self.header_row;
        if let Body::Csv(text) = &self.body {
            let mut cell = Cell::Empty;
            let simple = text.visit_column(column, &mut |number, field| {
                if number > header_row {
                    match (&mut cell, field.is_empty()) {
                        (_, true) => cell = Cell::Empty,
                        (Cell::Text(t), false) => {
                            t.clear();
                            t.push_str(field);
                        }
                        (_, false) => cell = Cell::Text(field.to_string()),
                    }
                    visit(number, &cell);
                }
            });
            if simple {
                return;
            }
        }
        self.visit_rows(|row| {
            visit(row.number, row.cell(column));
            ControlFlow::Continue(())
        });
    }

    /// The texts of CSV records as the file writes them, quotes included, by their spans, asked
    /// for in file order: a CSV kept on disk is read again as they are asked for.
    pub fn raws(&self) -> Raws<'_> {
        match &self.body {
            Body::Csv(text) => text.raws(),
            Body::Rows(_) => Raws::none(),
        }
    }

    /// Whether every walk of the rows so far read the file as it was first read: a UTF-8 CSV
    /// is read again from the file for each walk, and a walk ends where the file was written
    /// over meanwhile. Asked after the walks whose outcome is kept (a check, a written file).
    pub fn unchanged(&self) -> Result<(), Error> {
        match &self.body {
            Body::Csv(text) => text.unchanged(),
            Body::Rows(_) => Ok(()),
        }
    }

    /// The delimiter to use when writing a CSV result for this sheet.
    pub fn delimiter(&self) -> u8 {
        match self.format {
            Format::Csv { delimiter, .. } => delimiter,
            Format::Workbook { .. } => b',',
        }
    }
}
