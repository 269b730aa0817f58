//! The CSV result: UTF-8 with a BOM (so Excel shows æøå), the sheet's own delimiter, each
//! row's original cells then status and messages. Cells that a spreadsheet would run as a
//! formula are neutralised with a leading apostrophe. The cells the tool adds stay within
//! Excel's cell limit; the sheet's own cells come back whole, however long.
//!
//! A row read from a CSV is copied from the sheet's own record text, its quoting kept, with an
//! apostrophe put before a risky cell's first character: no second parse, and the cells come
//! back byte for byte. Other rows are written cell by cell.
//!
//! A workbook's rows become the CSV a Norwegian Excel writes and opens in columns: `;`
//! between cells, numeric cells with a decimal comma ([`Style`]).

use super::{blocks, cap, ids, messages, visit_results, ID_HEADERS, MAX_CELL};
use crate::model::outcome::RowResult;
use crate::pipeline::read::{Cell, Format, Row};
use crate::pipeline::values::NumberConvention;
use crate::pipeline::Checked;
use std::borrow::Cow;
use std::io::Write;

/// How a CSV the tool writes spells a sheet's cells: its delimiter, and how it writes the
/// numbers of numeric cells.
#[derive(Clone, Copy, Debug)]
struct Style {
    delimiter: u8,
    numbers: NumberConvention,
}

impl Style {
    /// A CSV sheet's own delimiter and convention; for a workbook, a Norwegian Excel's CSV
    /// (`;`, decimal commas), since that is who opens it.
    fn of(checked: &Checked) -> Style {
        match checked.sheet.format {
            Format::Csv { delimiter, .. } => Style {
                delimiter,
                numbers: checked.convention,
            },
            Format::Workbook { .. } => Style {
                delimiter: b';',
                numbers: NumberConvention::DecimalComma,
            },
        }
    }

    /// A cell's text: a numeric cell's number in this style's convention.
    fn text<'c>(&self, cell: &'c Cell) -> Cow<'c, str> {
        match cell {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(t) => Cow::Borrowed(t),
            Cell::Number(_) => Cow::Owned(self.numbers.written(cell.display())),
            other => Cow::Owned(other.display()),
        }
    }
}

pub fn write<'c>(checked: &'c Checked, out: &mut dyn Write) -> std::io::Result<()> {
    let style = Style::of(checked);
    let delimiter = style.delimiter;
    let width = checked.sheet.headers.len();
    let mut line: Vec<u8> = Vec::with_capacity(1024);
    line.extend_from_slice(b"\xef\xbb\xbf");
    for h in &checked.sheet.headers {
        push_field(&mut line, &neutralise(h), delimiter);
        line.push(delimiter);
    }
    line.extend_from_slice(b"status");
    line.push(delimiter);
    if checked.submitted {
        for header in ID_HEADERS {
            line.extend_from_slice(header.as_bytes());
            line.push(delimiter);
        }
    }
    line.extend_from_slice(b"messages\r\n");
    out.write_all(&line)?;
    if checked.rows.iter().all(|r| r.span.get().is_some()) {
        // A CSV sheet: copy each record's text, without parsing the file again. The texts are
        // read here, in file order, a block of rows at a time; the lines are made on both
        // cores.
        let mut raws = checked.sheet.raws();
        let mut chunks = checked.rows.chunks(BLOCK);
        let fill = |block: &mut Texts<'c>| {
            let Some(rows) = chunks.next() else {
                return false;
            };
            block.rows = rows;
            block.text.clear();
            block.ends.clear();
            for result in rows {
                if let Some(raw) = result.span.get().and_then(|span| raws.get(span)) {
                    block.text.extend_from_slice(raw);
                }
                block.ends.push(block.text.len());
            }
            true
        };
        let copy = |block: &Texts<'c>, text: &mut Vec<u8>| {
            let mut start = 0;
            for (result, &end) in block.rows.iter().zip(&block.ends) {
                let raw = &block.text[start..end];
                start = end;
                let at = text.len();
                if !push_raw(text, raw, delimiter, width) {
                    text.truncate(at);
                    push_cells(text, &parse_record(raw, delimiter), style, width);
                }
                finish(checked, delimiter, text, result);
            }
        };
        return blocks::write(fill, copy, out);
    }
    visit_results(checked, |row, result| {
        line.clear();
        push_cells(&mut line, row, style, width);
        finish(checked, delimiter, &mut line, result);
        out.write_all(&line)
    })
}

/// Rows copied a block at a time.
const BLOCK: usize = 2048;

/// The record texts of a block of rows (UTF-8 bytes, as the sheet's), one after the other,
/// and where each ends.
#[derive(Default)]
struct Texts<'a> {
    rows: &'a [RowResult],
    text: Vec<u8>,
    ends: Vec<usize>,
}

/// The end of a row's line: its status, its ids when the orders were sent, its messages.
fn finish(checked: &Checked, delimiter: u8, line: &mut Vec<u8>, result: &RowResult) {
    line.push(delimiter);
    line.extend_from_slice(result.status.as_str().as_bytes());
    line.push(delimiter);
    for id in ids(checked, result).iter().flatten() {
        push_field(line, &cap(id, MAX_CELL), delimiter);
        line.push(delimiter);
    }
    let messages = messages(checked, result).join(" | ");
    push_field(line, &cap(&neutralise(&messages), MAX_CELL), delimiter);
    line.extend_from_slice(b"\r\n");
}

/// One record's cells, for the rare record that cannot be copied as it is.
fn parse_record(raw: &[u8], delimiter: u8) -> Row {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(raw);
    let cells = match reader.records().next() {
        Some(Ok(record)) => record
            .iter()
            .map(|f| {
                if f.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(f.to_string())
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    Row {
        number: 0,
        cells,
        span: None,
        flaw: None,
    }
}

/// Writes the header and the rows of the orders not created, as the sheet has them (no
/// status, no neutralising): a file to fix and feed back.
pub fn write_rows(checked: &Checked, rows: &[u32], out: &mut dyn Write) -> std::io::Result<()> {
    let style = Style::of(checked);
    let delimiter = style.delimiter;
    let width = checked.sheet.headers.len();
    let mut line: Vec<u8> = b"\xef\xbb\xbf".to_vec();
    for (i, h) in checked.sheet.headers.iter().enumerate() {
        if i > 0 {
            line.push(delimiter);
        }
        push_field(&mut line, h, delimiter);
    }
    line.extend_from_slice(b"\r\n");
    out.write_all(&line)?;
    visit_results(checked, |row, result| {
        if rows.binary_search(&result.number).is_err() {
            return Ok(());
        }
        line.clear();
        for c in 0..width {
            if c > 0 {
                line.push(delimiter);
            }
            push_field(&mut line, &style.text(row.cell(c)), delimiter);
        }
        line.extend_from_slice(b"\r\n");
        out.write_all(&line)
    })
}

/// Writes the first `width` cells of a row, one by one, each followed by the delimiter but the
/// last.
fn push_cells(line: &mut Vec<u8>, row: &Row, style: Style, width: usize) {
    for c in 0..width {
        if c > 0 {
            line.push(style.delimiter);
        }
        push_field(line, &neutralise(&style.text(row.cell(c))), style.delimiter);
    }
}

/// Copies a record's text as `width` cells, an apostrophe before each risky cell. Returns
/// false, having written something partial, when the record holds a non-blank cell beyond
/// `width`: the caller then writes the row cell by cell.
fn push_raw(line: &mut Vec<u8>, raw: &[u8], delimiter: u8, width: usize) -> bool {
    push_unquoted(line, raw, delimiter, width) || push_fields(line, raw, delimiter, width)
}

/// [`push_raw`] for the common record, with no quote and no more cells than `width`: copied
/// in one piece but for the apostrophes. `false`, and nothing written, for any other.
fn push_unquoted(line: &mut Vec<u8>, raw: &[u8], delimiter: u8, width: usize) -> bool {
    if memchr::memchr(b'"', raw).is_some() {
        return false;
    }
    let at = line.len();
    let (mut copied, mut start, mut fields) = (0, 0, 0);
    for end in memchr::memchr_iter(delimiter, raw).chain([raw.len()]) {
        fields += 1;
        if fields > width {
            line.truncate(at);
            return false;
        }
        if is_risky(&raw[start..end]) {
            line.extend_from_slice(&raw[copied..start]);
            line.push(b'\'');
            copied = start;
        }
        start = end + 1;
    }
    line.extend_from_slice(&raw[copied..]);
    for _ in fields..width {
        line.push(delimiter);
    }
    true
}

/// [`push_raw`] field by field.
fn push_fields(line: &mut Vec<u8>, raw: &[u8], delimiter: u8, width: usize) -> bool {
    let bytes = raw;
    let mut fields = 0;
    let mut i = 0;
    loop {
        let start = i;
        let quoted = bytes.get(i) == Some(&b'"');
        if quoted {
            i += 1;
            // Past the first quote that is not doubled (to the end, when none is).
            loop {
                let Some(at) = memchr::memchr(b'"', &bytes[i..]) else {
                    i = bytes.len();
                    break;
                };
                i += at + 1;
                if bytes.get(i) != Some(&b'"') {
                    break;
                }
                i += 1;
            }
        }
        i = memchr::memchr(delimiter, &bytes[i..]).map_or(bytes.len(), |at| i + at);
        let field = &raw[start..i];
        if fields >= width {
            let blank = std::str::from_utf8(field).is_ok_and(|f| f.trim().is_empty());
            if !blank && field != b"\"\"" {
                return false;
            }
        } else {
            if fields > 0 {
                line.push(delimiter);
            }
            let content = if quoted && field.len() >= 2 {
                &field[1..field.len() - 1]
            } else {
                field
            };
            if is_risky(content) {
                let at = if quoted { 1 } else { 0 };
                line.extend_from_slice(&field[..at]);
                line.push(b'\'');
                line.extend_from_slice(&field[at..]);
            } else {
                line.extend_from_slice(field);
            }
        }
        fields += 1;
        if i >= bytes.len() {
            break;
        }
        i += 1;
    }
    for _ in fields..width {
        line.push(delimiter);
    }
    true
}

/// Writes one cell, quoted when it holds the delimiter, a quote or a line break.
fn push_field(line: &mut Vec<u8>, text: &str, delimiter: u8) {
    let needs_quotes = text
        .bytes()
        .any(|b| b == delimiter || matches!(b, b'"' | b'\n' | b'\r'));
    if !needs_quotes {
        line.extend_from_slice(text.as_bytes());
        return;
    }
    line.push(b'"');
    for b in text.bytes() {
        if b == b'"' {
            line.push(b'"');
        }
        line.push(b);
    }
    line.push(b'"');
}

/// A cell that starts with `=`, `+`, `-` or `@` (or a tab, a carriage return or a NUL, which
/// spreadsheets also read as the start of a formula) would be run as a formula: prefix it with
/// `'`. Only a plain number such as `-5` or `-12,50` is left alone; `--5` and `+-5` are
/// formulas to a spreadsheet, and so is anything else a looser test would let through.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if is_risky(cell.as_bytes()) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Whether a cell is one [`neutralise`] prefixes.
fn is_risky(cell: &[u8]) -> bool {
    let starts = matches!(
        cell.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\0')
    );
    starts && !is_plain_number(cell)
}

/// An optional sign, digits, and at most one decimal separator (`.` or `,`) followed by
/// digits: nothing else, not even a space.
fn is_plain_number(cell: &[u8]) -> bool {
    let unsigned = cell
        .strip_prefix(b"-")
        .or(cell.strip_prefix(b"+"))
        .unwrap_or(cell);
    let (int, frac) = match unsigned.iter().position(|&b| b == b'.' || b == b',') {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    digits(int) && frac.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("+47 465 67 468"), "'+47 465 67 468");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("-5"), "-5");
        assert_eq!(neutralise("-12,50"), "-12,50");
        assert_eq!(neutralise("+0.125"), "+0.125");
        assert_eq!(neutralise("Kari"), "Kari");
        for formula in [
            "--5", "+-5", "-5-", "-1e5", "-1,2,3", "-1.2,3", "-.5", "-5.", "-", "- 5", "\t5", "\r5",
        ] {
            assert!(neutralise(formula).starts_with('\''), "{formula:?}");
        }
        assert_eq!(neutralise("\0x"), "'\0x");
    }

    /// The raw copy gives what a parse of the record and a cell-by-cell write would give.
    #[test]
    fn raw_copy_matches_cell_by_cell() {
        let cases = [
            ("a;b;c", 3),
            ("a;\"b;c\";d", 3),
            ("=1+2;\"@x\";-5;+47 1", 4),
            ("a;\"say \"\"hi\"\"\";\"multi\nline\"", 3),
            ("a;b", 4),
            ("a;b;c;;", 3),
            (";;", 3),
            ("\"a\"\"\";b", 2),
            ("\"\";\"\"\"\"\"\";x", 3),
        ];
        for (raw, width) in cases {
            let mut fast = Vec::new();
            assert!(push_raw(&mut fast, raw.as_bytes(), b';', width), "{raw}");
            let row = parse_record(raw.as_bytes(), b';');
            let mut slow = Vec::new();
            let style = Style {
                delimiter: b';',
                numbers: NumberConvention::DecimalComma,
            };
            push_cells(&mut slow, &row, style, width);
            let parse = |bytes: &[u8]| -> Vec<String> {
                let mut r = ::csv::ReaderBuilder::new()
                    .has_headers(false)
                    .delimiter(b';')
                    .flexible(true)
                    .from_reader(bytes);
                r.records()
                    .next()
                    .unwrap()
                    .unwrap()
                    .iter()
                    .map(String::from)
                    .collect()
            };
            assert_eq!(parse(&fast), parse(&slow), "{raw}");
        }
        // A record without quotes is copied as the fields are.
        let unquoted = [
            "a;b;c",
            "=1+2;@x;-5;+47 1",
            "a;b",
            ";;",
            "",
            "-;+;+4,5;=",
            "a;b;c;;",
        ];
        for (raw, width) in unquoted
            .into_iter()
            .flat_map(|r| (0..6).map(move |w| (r, w)))
        {
            let (mut whole, mut fields) = (b"x".to_vec(), b"x".to_vec());
            let copied = push_unquoted(&mut whole, raw.as_bytes(), b';', width);
            let fits = raw.split(';').count() <= width;
            assert_eq!(copied, fits, "{raw:?} in {width}");
            if copied {
                assert!(push_fields(&mut fields, raw.as_bytes(), b';', width));
                assert_eq!(whole, fields, "{raw:?} in {width}");
            } else {
                assert_eq!(whole, b"x", "nothing written");
            }
        }
        let mut out = Vec::new();
        assert!(
            !push_raw(&mut out, b"a;b;extra", b';', 2),
            "a non-blank cell beyond the header"
        );
        out.clear();
        assert!(
            push_raw(&mut out, "a;b;\u{a0} ;\"\"".as_bytes(), b';', 2),
            "cells beyond the header that are only white space (a no-break space too) or \"\""
        );
        assert_eq!(out, b"a;b");
    }
}
