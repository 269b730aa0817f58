//! CSV text: decoded once, delimiter sniffed from the header line, rows parsed on each walk.
//! Row numbers count records the way Excel counts rows: a blank line is a row, a quoted cell
//! spanning several lines is one.

use super::encoding::{self, TextEncoding};
use super::{Cell, Row};
use crate::error::Error;
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

    pub fn rows(&self) -> impl Iterator<Item = Row> + '_ {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(self.text.as_bytes());
        let mut record = ::csv::StringRecord::new();
        let bytes = self.text.as_bytes();
        // Physical lines before the cursor, and newlines inside quoted cells of earlier
        // records (lines that are not rows of their own).
        let (mut cursor, mut lines, mut extra_lines) = (0usize, 0u64, 0u64);
        std::iter::from_fn(move || loop {
            match reader.read_record(&mut record) {
                Ok(false) => return None,
                Ok(true) => {
                    // The reader's offset may point at the end of the previous line's terminator.
                    let mut start = record.position().map_or(cursor, |p| p.byte() as usize).max(cursor);
                    while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
                        start += 1;
                    }
                    lines += bytes[cursor..start].iter().filter(|&&b| b == b'\n').count() as u64;
                    cursor = start;
                    let number = lines + 1 - extra_lines;
                    extra_lines += record.iter().map(|f| f.matches('\n').count() as u64).sum::<u64>();
                    let cells = record
                        .iter()
                        .map(|f| if f.is_empty() { Cell::Empty } else { Cell::Text(f.to_string()) })
                        .collect();
                    return Some(Row {
                        number: u32::try_from(number).unwrap_or(u32::MAX),
                        cells,
                    });
                }
                // The text is valid UTF-8 and the reader is flexible: no error is expected,
                // but a record that cannot be read is skipped rather than ending the walk.
                Err(_) => continue,
            }
        })
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

    fn rows(text: &str) -> Vec<(u32, Vec<String>)> {
        let csv = CsvText::decode(Path::new("t.csv"), text.as_bytes().to_vec(), None).unwrap();
        csv.rows()
            .map(|r| (r.number, r.cells.iter().map(Cell::display).collect()))
            .collect()
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
    }
}
