//! The JSON result: `{"sheet": …, "rows": [{"row", "order_ref", "status", "messages", "cells"}]}`,
//! streamed row by row.

use super::{ids, messages, visit_results, ID_HEADERS};
use crate::pipeline::Checked;
use serde_json::{json, Map, Value};
use std::io::Write;

pub fn write(checked: &Checked, out: &mut dyn Write) -> std::io::Result<()> {
    let sheet = checked.sheet.path.display().to_string();
    write!(out, "{{\"sheet\":{},\"rows\":[", Value::String(sheet))?;
    let mut first = true;
    visit_results(checked, |row, result| {
        let cells: Map<String, Value> = checked
            .sheet
            .headers
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.is_empty())
            .map(|(c, h)| (h.clone(), Value::String(row.cell(c).display())))
            .collect();
        let mut line = json!({
            "row": result.number,
            "order_ref": checked.orders[result.order as usize].key,
            "status": result.status.as_str(),
            "messages": messages(checked, result),
            "cells": cells,
        });
        if let Some(ids) = ids(checked, result) {
            for (header, id) in ID_HEADERS.iter().zip(ids) {
                line[*header] = Value::String(id);
            }
        }
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        out.write_all(b"\n")?;
        serde_json::to_writer(&mut *out, &line)?;
        Ok::<(), std::io::Error>(())
    })?;
    out.write_all(b"\n]}\n")
}
