//! CSV text: decoded once, delimiter sniffed from the header line, rows parsed on each walk.
//! Row numbers count records the way Excel counts rows: a blank line is a row, a quoted cell
//! spanning several lines is one.

use super::encoding::{self, TextEncoding};
use super::{Cell, Row};
use crate::error::Error;
use std::ops::ControlFlow;
use std::path::Path;

#[derive(Debug)]
pub struct CsvText {
    text: String,
    pub encoding: TextEncoding,
    pub delimiter: u8,
}

impl CsvText {
    pub fn decode(path: &Path, bytes: Vec<u8>, named: Option<&str>) -> Result<CsvText, Error> {
        let (text, encoding) = encoding::decode(path, bytes, named)?;
        let delimiter = sniff_delimiter(&text);
        Ok(CsvText {
            text,
            encoding,
            delimiter,
        })
    }

    /// The text of a record, by the span its row carries.
    pub fn raw(&self, (start, end): (usize, usize)) -> Option<&str> {
        self.text.get(start..end)
    }

    /// Shows every record to `visit`, reusing one row's buffers for all of them.
    pub fn visit(&self, visit: &mut dyn FnMut(&Row) -> ControlFlow<()>) {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(self.text.as_bytes());
        let mut record = ::csv::StringRecord::new();
        let mut row = Row {
            number: 0,
            cells: Vec::new(),
            span: None,
        };
        let bytes = self.text.as_bytes();
        let newlines = |range: &[u8]| range.iter().filter(|&&b| b == b'\n').count() as u32;
        // The previous record's row and the reader's offset after it.
        let mut previous: Option<(u32, usize)> = None;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => return,
                // The text is valid UTF-8 and the reader is flexible: no error is expected,
                // but a record that cannot be read is skipped rather than ending the walk.
                Err(_) => continue,
                Ok(true) => {}
            }
            // The reader skips blank lines and reports offsets inside line terminators: find
            // the record's first byte, then count the blank lines between it and the previous
            // record. Only the bytes between records are scanned.
            let mut start = record.position().map_or(0, |p| p.byte() as usize);
            while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
                start += 1;
            }
            row.number = match previous {
                None => 1 + newlines(&bytes[..start]),
                Some((number, after)) => {
                    let after = after.min(start);
                    let mut blank = newlines(&bytes[after..start]);
                    // After "\r" the reader stops before the "\n" that ends the same line.
                    if after > 0 && bytes[after - 1] == b'\r' && bytes.get(after) == Some(&b'\n') {
                        blank = blank.saturating_sub(1);
                    }
                    number.saturating_add(1 + blank)
                }
            };
            let after = reader.position().byte() as usize;
            previous = Some((row.number, after));
            let end = bytes[start..after.max(start)]
                .iter()
                .rposition(|b| !matches!(b, b'\r' | b'\n'))
                .map_or(start, |i| start + i + 1);
            row.span = Some((start, end));
            row.cells.truncate(record.len());
            for (i, field) in record.iter().enumerate() {
                match row.cells.get_mut(i) {
                    _ if field.is_empty() => set(&mut row.cells, i, Cell::Empty),
                    Some(Cell::Text(text)) => {
                        text.clear();
                        text.push_str(field);
                    }
                    _ => set(&mut row.cells, i, Cell::Text(field.to_string())),
                }
            }
            if visit(&row).is_break() {
                return;
            }
        }
    }
}

fn set(cells: &mut Vec<Cell>, i: usize, cell: Cell) {
    match cells.get_mut(i) {
        Some(slot) => *slot = cell,
        None => cells.push(cell),
    }
}

/// The delimiter of the first non-blank line: the most frequent of `;`, `,` and tab outside
/// quotes; `,` when there is none.
fn sniff_delimiter(text: &str) -> u8 {
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
        .map(|(d, _)| *d)
        .unwrap_or(b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_the_record_text() {
        let text = "h1;h2\r\n1;\"a;b\"\r\n\r\n3;\"x\ny\"\n4;5";
        let csv = CsvText::decode(Path::new("t.csv"), text.as_bytes().to_vec(), None).unwrap();
        let mut raws = Vec::new();
        csv.visit(&mut |r| {
            raws.push(csv.raw(r.span.unwrap()).unwrap().to_string());
            ControlFlow::Continue(())
        });
        assert_eq!(raws, ["h1;h2", "1;\"a;b\"", "3;\"x\ny\"", "4;5"]);
    }

    fn rows(text: &str) -> Vec<(u32, Vec<String>)> {
        let csv = CsvText::decode(Path::new("t.csv"), text.as_bytes().to_vec(), None).unwrap();
        let mut out = Vec::new();
        csv.visit(&mut |r| {
            out.push((r.number, r.cells.iter().map(Cell::display).collect()));
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3"), b';');
        assert_eq!(sniff_delimiter("a,b,c"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter("\"a;b\",c"), b',');
    }

    #[test]
    fn row_numbers_follow_excel() {
        let r = rows("h1;h2\r\n1;2\r\n\r\n3;\"multi\nline\"\r\n4;5\r\n");
        let numbers: Vec<u32> = r.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![1, 2, 4, 5]);
        assert_eq!(r[2].1[1], "multi\nline");
        for text in [
            "\n\na;1\nb\n\n\nc;\"x\ny\"\nd",
            "\r\n\r\na;1\r\nb\r\n\r\n\r\nc;\"x\r\ny\"\r\nd\r\n",
        ] {
            let numbers: Vec<u32> = rows(text).iter().map(|(n, _)| *n).collect();
            assert_eq!(numbers, vec![3, 4, 7, 8], "{text:?}");
        }
    }
}
