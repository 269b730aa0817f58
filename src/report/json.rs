//! The JSON result: `{"sheet": …, "rows": [{"row", "order_ref", "status", "messages", "cells"}]}`,
//! streamed row by row, each row written straight into one reused buffer (the same bytes as
//! serialising it as a JSON object: keys in that order, the provider's ids after `cells` when
//! the orders were sent, and a header that appears twice keeping its first place and its last
//! cell).

use super::{ids, messages, visit_results, ID_HEADERS};
use crate::pipeline::read::Cell;
use crate::pipeline::Checked;
use serde_json::Value;
use std::io::Write;

pub fn write(checked: &Checked, out: &mut dyn Write) -> std::io::Result<()> {
    let sheet = checked.sheet.path.display().to_string();
    write!(out, "{{\"sheet\":{},\"rows\":[", Value::String(sheet))?;
    let cells = cell_keys(&checked.sheet.headers);
    let mut line: Vec<u8> = Vec::with_capacity(1024);
    let mut first = true;
    visit_results(checked, |row, result| {
        line.clear();
        if !first {
            line.push(b',');
        }
        first = false;
        line.extend_from_slice(b"\n{\"row\":");
        write!(line, "{}", result.number)?;
        line.extend_from_slice(b",\"order_ref\":");
        string(&mut line, &checked.orders[result.order as usize].key);
        line.extend_from_slice(b",\"status\":");
        string(&mut line, result.status.as_str());
        line.extend_from_slice(b",\"messages\":[");
        for (i, message) in messages(checked, result).iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            string(&mut line, message);
        }
        line.extend_from_slice(b"],\"cells\":{");
        for (i, (key, column)) in cells.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            line.extend_from_slice(key);
            match row.cell(*column) {
                Cell::Text(t) => string(&mut line, t),
                other => string(&mut line, &other.display()),
            }
        }
        line.push(b'}');
        if let Some(ids) = ids(checked, result) {
            for (header, id) in ID_HEADERS.iter().zip(ids) {
                line.push(b',');
                string(&mut line, header);
                line.push(b':');
                string(&mut line, &id);
            }
        }
        line.push(b'}');
        out.write_all(&line)
    })?;
    out.write_all(b"\n]}\n")
}

/// The `cells` object's keys, each written as JSON with its colon, and the column whose cell
/// it shows: the non-blank headers in the order they first appear, a repeated header showing
/// the cell of its last column (as a JSON object built by inserting each column in turn has it).
fn cell_keys(headers: &[String]) -> Vec<(Vec<u8>, usize)> {
    let mut keys: Vec<(&str, usize)> = Vec::with_capacity(headers.len());
    for (column, header) in headers.iter().enumerate().filter(|(_, h)| !h.is_empty()) {
        match keys.iter_mut().find(|(h, _)| *h == header) {
            Some(slot) => slot.1 = column,
            None => keys.push((header, column)),
        }
    }
    keys.into_iter()
        .map(|(header, column)| {
            let mut key = Vec::with_capacity(header.len() + 3);
            string(&mut key, header);
            key.push(b':');
            (key, column)
        })
        .collect()
}

/// A JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, text: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}
