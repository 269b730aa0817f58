//! Runaway quotes: a quoted cell that does not end where a cell could (the quote runs to the
//! end of the file, or over lines that hold the delimiter as rows do) would swallow every row
//! after it. Such a record is cut at the end of the quote's line, and its row gets a [`Flaw`]
//! saying why; the lines after it are read as rows.

use super::{cell, CsvText};
use crate::pipeline::read::{Flaw, Row};

/// A quoted cell that does not end where a cell could: the quote runs to the end of the file,
/// or over lines that hold the delimiter as rows do.
#[derive(Debug)]
pub(super) struct Runaway {
    /// Where the opening quote is, from the record's start.
    quote: usize,
    /// The cell's column (zero-based).
    column: usize,
    /// `None`: the file ends inside the quote; else how many line breaks it runs over.
    lines: Option<usize>,
}

impl CsvText {
    /// The runaway quoted cell of a record, `record` its text with its line end (`len` bytes
    /// without), `last` if it ends the file; quotes are placed from the record's start. Only a
    /// record over several lines, or the file's last one, can have one, and only if it holds a
    /// quote: any other record costs a scan for a byte or two.
    pub(super) fn runaway(&self, record: &[u8], len: usize, last: bool) -> Option<Runaway> {
        let text = &record[..len];
        if !(last || text.contains(&b'\n')) || !text.contains(&b'"') {
            return None;
        }
        // The csv crate's rules: a quote opens a quoted cell only as its first character; inside,
        // "" is a quote; after the closing quote the cell goes on to the next delimiter.
        let (delimiter, row_like) = (self.delimiter, self.row_like);
        let (mut i, mut column) = (0, 0);
        loop {
            if record.get(i) == Some(&b'"') {
                let quote = i;
                i += 1;
                // Line breaks inside the cell, and the delimiters on the line being scanned.
                let (mut breaks, mut delimiters, mut swallowed) = (0, 0, false);
                let closed = loop {
                    match record.get(i) {
                        None => break false,
                        Some(b'"') if record.get(i + 1) == Some(&b'"') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            break true;
                        }
                        Some(&b) => {
                            if b == b'\n' {
                                swallowed |= breaks > 0 && delimiters >= row_like;
                                breaks += 1;
                                delimiters = 0;
                            } else if b == delimiter {
                                delimiters += 1;
                            }
                            i += 1;
                        }
                    }
                };
                swallowed |= breaks > 0 && delimiters >= row_like;
                if !closed || swallowed {
                    return Some(Runaway {
                        quote,
                        column,
                        lines: closed.then_some(breaks),
                    });
                }
            }
            loop {
                match record.get(i) {
                    None | Some(b'\r' | b'\n') => return None,
                    Some(&b) if b == delimiter => {
                        i += 1;
                        column += 1;
                        break;
                    }
                    _ => i += 1,
                }
            }
        }
    }

    /// Fills `row` with the record `bytes` (with its line end) that starts at `start`, up to
    /// the end of the line where its runaway quote opens, the quote read as a character;
    /// returns where the next line starts. The quote's line ends inside the record: the quote
    /// runs over a line end, or to the end of the file.
    pub(super) fn broken_row(
        &self,
        row: &mut Row,
        bytes: &[u8],
        start: usize,
        runaway: &Runaway,
    ) -> usize {
        let quote = runaway.quote;
        let (end, resume) = match bytes[quote..].iter().position(|&b| b == b'\n') {
            Some(n) => (quote + n, quote + n + 1),
            None => (bytes.len(), bytes.len()),
        };
        let end = if end > quote && bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        row.cells.clear();
        // The cells before the quote are ordinary ones (one may be a quoted cell over lines);
        // the text before the quote ends with the delimiter, which ends one more, empty, cell.
        let mut before = ::csv::StringRecord::new();
        if quote > 0
            && self
                .reader(&bytes[..quote])
                .read_record(&mut before)
                .unwrap_or(false)
        {
            let n = before.len().saturating_sub(1);
            row.cells.extend(before.iter().take(n).map(cell));
        }
        // From the quote on, to the end of its line, the delimiter alone separates cells.
        let delimiter = char::from(self.delimiter);
        let rest = std::str::from_utf8(&bytes[quote..end]).unwrap_or("");
        row.cells.extend(rest.split(delimiter).map(cell));
        row.span = None;
        let how = match runaway.lines {
            None => "never closes (the file ends inside it)".to_string(),
            Some(1) => "runs over the next line, which holds the delimiter as rows do".to_string(),
            Some(n) => format!("runs over the next {n} lines, which hold the delimiter as rows do"),
        };
        let after = match runaway.lines {
            Some(1) => "it is read as a row of its own",
            Some(_) => "they are read as rows of their own",
            None => "the lines after it are read as rows of their own",
        };
        row.flaw = Some(Flaw {
            column: runaway.column,
            message: format!("opens a quote that {how}; {after}: close the quote or remove it"),
        });
        start + resume
    }
}
