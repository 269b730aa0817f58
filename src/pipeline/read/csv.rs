//! CSV text, delimiter sniffed from the header line, rows parsed on each walk: text decoded once
//! and kept, or a UTF-8 or Windows-1252 file read again for each walk ([`Disk`]). A text
//! without quotes, whose every `\r` ends a line, has a record per line: its lines are cut at
//! their delimiters rather than parsed.
//! Row numbers count records the way Excel counts rows: a blank line is a row, a quoted cell
//! spanning several lines is one. A quote that opens a cell and never closes properly (it runs
//! to the end of the file, or over lines that look like rows of their own) would swallow every
//! row after it: that row is a [`Flaw`] instead, and the lines after it are read as rows
//! ([`runaway`]).

mod runaway;

use super::encoding::{self, TextEncoding};
use super::window::{Disk, Window};
use super::{Cell, Row};
use crate::error::Error;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;

#[derive(Debug)]
pub struct CsvText {
    source: Source,
    /// The text's length in bytes.
    len: usize,
    /// Whether each record is one line: no quote, and every `\r` followed by `\n`.
    simple: bool,
    pub encoding: TextEncoding,
    pub delimiter: u8,
    /// How many delimiters make a line inside a quoted cell look like a row of its own: half
    /// the header's (a row that a runaway quote swallowed has about as many as the header).
    row_like: usize,
}

/// Where the text is: decoded and kept, or a UTF-8 file read again for each walk.
#[derive(Debug)]
enum Source {
    Text(String),
    File(Disk),
}

/// Shown each line of a text whose records are lines: its row number, where it starts, its
/// bytes.
type VisitLine<'a> = dyn FnMut(u32, usize, &[u8]) -> ControlFlow<()> + 'a;

/// The texts of records by their spans, asked for in file order ([`CsvText::raws`]).
pub struct Raws<'t> {
    text: Option<&'t str>,
    window: Option<Window<'t>>,
}

impl<'t> Raws<'t> {
    /// For a sheet without record texts.
    pub fn none() -> Raws<'t> {
        Raws {
            text: None,
            window: None,
        }
    }
    /// The text of the record at `start..end`, as bytes: UTF-8, as the file's first read was
    /// checked to be (and each read again is checked to give the same bytes), so it is not
    /// validated again.
    pub fn get(&mut self, (start, end): (usize, usize)) -> Option<&[u8]> {
        if let Some(text) = self.text {
            return text.get(start..end).map(str::as_bytes);
        }
        let window = self.window.as_mut()?;
        if start < window.start || end < start || !window.fill_to(end) {
            return None;
        }
        window.forget(start);
        Some(window.slice(start, end))
    }
}

impl CsvText {
    /// Opens a CSV file: a UTF-8 one (with a byte-order mark or without) or a Windows-1252 one
    /// is read through and left on disk ([`Disk`]); any other, and any with `--encoding`, is
    /// decoded ([`encoding::decode`]) and kept.
    pub fn open(path: &Path, named: Option<&str>) -> Result<CsvText, Error> {
        if named.is_none() {
            if let Some(scan) = Disk::open(path)? {
                let (delimiter, header_delimiters) = sniff_delimiter(&scan.first);
                return Ok(CsvText {
                    len: scan.len,
                    simple: !scan.quote && !scan.lone_cr,
                    encoding: TextEncoding {
                        encoding: scan.disk.encoding(),
                        bom: scan.disk.bom(),
                    },
                    source: Source::File(scan.disk),
                    delimiter,
                    row_like: header_delimiters.div_ceil(2).max(1),
                });
            }
        }
        let bytes = std::fs::read(path).map_err(|e| Error::file(path, e))?;
        Self::decode(path, bytes, named)
    }

    pub fn decode(path: &Path, bytes: Vec<u8>, named: Option<&str>) -> Result<CsvText, Error> {
        let (text, encoding) = encoding::decode(path, bytes, named)?;
        let (delimiter, header_delimiters) = sniff_delimiter(&text);
        let lone_cr = text
            .split('\r')
            .skip(1)
            .any(|after| !after.starts_with('\n'));
        Ok(CsvText {
            len: text.len(),
            simple: !text.contains('"') && !lone_cr,
            source: Source::Text(text),
            encoding,
            delimiter,
            row_like: header_delimiters.div_ceil(2).max(1),
        })
    }

    /// The text from its start, to be read through.
    fn window(&self) -> Window<'_> {
        match &self.source {
            Source::Text(text) => Window::text(text),
            Source::File(disk) => Window::disk(disk),
        }
    }

    /// The texts of records, by the spans their rows carry.
    pub fn raws(&self) -> Raws<'_> {
        match &self.source {
            Source::Text(text) => Raws {
                text: Some(text),
                window: None,
            },
            Source::File(_) => Raws {
                text: None,
                window: Some(self.window()),
            },
        }
    }

    /// Whether every walk so far read the text first read; the message for the file otherwise
    /// (a walk ends where it finds the file changed).
    pub fn unchanged(&self) -> Result<(), Error> {
        match &self.source {
            Source::Text(_) => Ok(()),
            Source::File(disk) => disk.unchanged(),
        }
    }

    fn reader<R: Read>(&self, text: R) -> ::csv::Reader<R> {
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(text)
    }

    /// Shows one column's field of every record with its row number, when each record is one
    /// line ([`CsvText::visit_lines`]); `false`, and nothing shown, for any other text.
    pub fn visit_column(&self, column: usize, visit: &mut dyn FnMut(u32, &str)) -> bool {
        let delimiter = self.delimiter;
        self.visit_lines(&mut |number, _, line| {
            let cell = nth_field(line, delimiter, column);
            visit(number, std::str::from_utf8(cell).unwrap_or(""));
            ControlFlow::Continue(())
        })
    }

    /// Shows every line that is not empty, without its line end, with its row number and
    /// where it starts, until `visit` breaks, when each record is one line: the text has no
    /// quote, and every `\r` ends a line with the `\n` after it. Then the lines are cut without
    /// being parsed, and the row numbers are those of [`CsvText::visit`] (blank lines counted,
    /// not shown). `false`, and nothing shown, for any other text.
    fn visit_lines(&self, visit: &mut VisitLine<'_>) -> bool {
        if !self.simple {
            return false;
        }
        let mut window = self.window();
        let mut i = 0usize;
        // Whole lines, each ended by `\n` but perhaps the last, from `at` in the text.
        let mut lines = |at: usize, text: &[u8]| {
            if text.is_empty() {
                return ControlFlow::Continue(());
            }
            let text = text.strip_suffix(b"\n").unwrap_or(text);
            let mut from = 0;
            for to in memchr::memchr_iter(b'\n', text).chain([text.len()]) {
                let line = &text[from..to];
                let start = at + from;
                from = to + 1;
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                i += 1;
                if !line.is_empty() {
                    visit(u32::try_from(i).unwrap_or(u32::MAX), start, line)?;
                }
            }
            ControlFlow::Continue(())
        };
        // Whole lines at a time: up to the last line end read so far, the rest at the end.
        loop {
            let new = window.end();
            let more = window.more();
            let end = window.end();
            let cut = match memchr::memrchr(b'\n', window.slice(new, end)) {
                Some(p) if more => new + p + 1,
                _ if more => continue,
                _ => end,
            };
            if lines(window.start, window.slice(window.start, cut)).is_break() {
                return true;
            }
            window.buf.drain(..cut - window.start);
            window.start = cut;
            if !more {
                return true;
            }
        }
    }

    /// Shows every record to `visit`, reusing one row's buffers for all of them. Every field
    /// of the row is set for each record, so a visitor may take the row by swapping it for
    /// another (whose buffers the next records then reuse).
    pub fn visit(&self, visit: &mut dyn FnMut(&mut Row) -> ControlFlow<()>) {
        let mut row = Row {
            number: 0,
            cells: Vec::new(),
            span: None,
            flaw: None,
        };
        // Each record one line: cut at its delimiters, not parsed.
        let delimiter = self.delimiter;
        let simple = self.visit_lines(&mut |number, start, line| {
            // UTF-8, as every read of the file is checked to be, and a whole line.
            let line = std::str::from_utf8(line).unwrap_or_default();
            row.number = number;
            row.span = Some((start, start + line.len()));
            row.flaw = None;
            let (mut n, mut from) = (0, 0);
            for to in memchr::memchr_iter(delimiter, line.as_bytes()).chain([line.len()]) {
                set_text(&mut row.cells, n, line.get(from..to).unwrap_or_default());
                (n, from) = (n + 1, to + 1);
            }
            row.cells.truncate(n);
            visit(&mut row)
        });
        if simple {
            return;
        }
        let mut record = ::csv::StringRecord::new();
        let newlines = |range: &[u8]| range.iter().filter(|&&b| b == b'\n').count() as u32;
        // The previous record's row and the offset after it.
        let mut previous: Option<(u32, usize)> = None;
        // Where the current reader starts: a runaway quote ends one reader, and the next starts
        // on the line after the quote's.
        let mut base = 0;
        let mut window = self.window();
        'text: loop {
            window.served = base;
            let mut reader = self.reader(window);
            loop {
                match reader.read_record(&mut record) {
                    Ok(false) => return,
                    // The text is valid UTF-8 and the reader is flexible: no error is expected,
                    // but a record that cannot be read is skipped rather than ending the walk.
                    Err(_) => continue,
                    Ok(true) => {}
                }
                let after_reader = base + reader.position().byte() as usize;
                let bytes = reader.get_mut();
                // The reader skips blank lines and reports offsets inside line terminators:
                // find the record's first byte, then count the blank lines between it and the
                // previous record. Only the bytes between records are scanned.
                let mut start = base + record.position().map_or(0, |p| p.byte() as usize);
                while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
                    start += 1;
                }
                row.number = match previous {
                    None => 1 + newlines(bytes.slice(0, start)),
                    Some((number, after)) => {
                        let after = after.min(start);
                        let mut blank = newlines(bytes.slice(after, start));
                        // After "\r" the reader stops before the "\n" that ends the same line.
                        if after > 0
                            && bytes.get(after - 1) == Some(b'\r')
                            && bytes.get(after) == Some(b'\n')
                        {
                            blank = blank.saturating_sub(1);
                        }
                        number.saturating_add(1 + blank)
                    }
                };
                let after = after_reader.max(start);
                let end = bytes
                    .slice(start, after)
                    .iter()
                    .rposition(|b| !matches!(b, b'\r' | b'\n'))
                    .map_or(start, |i| start + i + 1);
                let text = bytes.slice(start, after);
                if let Some(runaway) = self.runaway(text, end - start, after >= self.len) {
                    let resume = self.broken_row(&mut row, text, start, &runaway);
                    previous = Some((row.number, resume));
                    if visit(&mut row).is_break() {
                        return;
                    }
                    base = resume;
                    window = reader.into_inner();
                    continue 'text;
                }
                previous = Some((row.number, after));
                bytes.forget(after.saturating_sub(1));
                row.span = Some((start, end));
                row.flaw = None;
                row.cells.truncate(record.len());
                for (i, field) in record.iter().enumerate() {
                    set_text(&mut row.cells, i, field);
                }
                if visit(&mut row).is_break() {
                    return;
                }
            }
        }
    }
}

/// Field `column` of an unquoted line (empty past its last field).
fn nth_field(line: &[u8], delimiter: u8, column: usize) -> &[u8] {
    let mut delimiters = memchr::memchr_iter(delimiter, line);
    let start = match column.checked_sub(1) {
        None => 0,
        Some(before) => match delimiters.nth(before) {
            Some(at) => at + 1,
            None => return b"",
        },
    };
    &line[start..delimiters.next().unwrap_or(line.len())]
}

fn cell(field: &str) -> Cell {
    if field.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(field.to_string())
    }
}

/// Cell `i` set to a field's text, in the cell's own buffer when it has one.
fn set_text(cells: &mut Vec<Cell>, i: usize, field: &str) {
    match cells.get_mut(i) {
        _ if field.is_empty() => set(cells, i, Cell::Empty),
        Some(Cell::Text(text)) => {
            text.clear();
            text.push_str(field);
        }
        _ => set(cells, i, Cell::Text(field.to_string())),
    }
}

fn set(cells: &mut Vec<Cell>, i: usize, cell: Cell) {
    match cells.get_mut(i) {
        Some(slot) => *slot = cell,
        None => cells.push(cell),
    }
}

/// The delimiter of the first non-blank line: the most frequent of `;`, `,` and tab outside
/// quotes; `,` when there is none. Also how often it occurs there (the header's delimiters).
fn sniff_delimiter(text: &str) -> (u8, usize) {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in counts.iter_mut() {
                if *d == b {
                    *n += 1;
                }
            }
        }
    }
    counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n)
        .copied()
        .unwrap_or((b',', 0))
}

#[cfg(test)]
mod tests;
