//! The status report of `status`: one line per order (its reference, the provider's ids, the
//! amount, the status and the one before, when it changed, when it was last asked, the sheet
//! and rows it came from), as CSV, JSON or XLSX by the file's extension, written atomically.

use super::atomic_write;
use super::csv::neutralise;
use crate::error::Error;
use crate::send::ledger::Known;
use serde_json::json;
use std::path::Path;

/// The report's columns, in order.
pub const HEADERS: [&str; 10] = [
    "order_ref",
    "order_id",
    "customer_id",
    "grand_total",
    "status",
    "previous_status",
    "changed_at",
    "last_checked",
    "sheet",
    "rows",
];

/// The formats a report can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Xlsx,
}

/// The report's format by its extension; refused before anything is asked.
pub fn format_of(path: &Path) -> Result<Format, Error> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Ok(Format::Csv),
        "json" => Ok(Format::Json),
        "xlsx" => Ok(Format::Xlsx),
        _ => Err(Error::usage(format!(
            "--output {}: write the report as .csv, .json or .xlsx",
            path.display()
        ))),
    }
}

/// The status shown for an order: `not_found` when the provider's last answer was a 404.
pub fn shown_status(order: &Known) -> &str {
    if order.not_found {
        "not_found"
    } else {
        order.status.as_deref().unwrap_or("")
    }
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

fn cells(order: &Known) -> [&str; 10] {
    [
        &order.key,
        &order.order_uuid,
        text(&order.customer_uuid),
        text(&order.amount),
        shown_status(order),
        text(&order.previous),
        text(&order.changed_at),
        text(&order.checked_at),
        text(&order.source_file),
        text(&order.source_rows),
    ]
}

/// Writes the report of these orders.
pub fn write(orders: &[Known], path: &Path) -> Result<(), Error> {
    match format_of(path)? {
        Format::Csv => atomic_write(path, |out| {
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(HEADERS)?;
            for order in orders {
                writer.write_record(cells(order).map(neutralise).iter().map(|c| c.as_ref()))?;
            }
            writer.flush()
        }),
        Format::Json => atomic_write(path, |out| {
            let lines: Vec<serde_json::Value> = orders
                .iter()
                .map(|order| {
                    let map: serde_json::Map<String, serde_json::Value> = HEADERS
                        .iter()
                        .zip(cells(order))
                        .map(|(h, c)| (h.to_string(), json!(c)))
                        .collect();
                    serde_json::Value::Object(map)
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &json!({ "orders": lines }))?;
            out.write_all(b"\n")
        }),
        Format::Xlsx => {
            let bytes =
                xlsx(orders).map_err(|e| Error::unusable(path, format!("the workbook: {e}")))?;
            atomic_write(path, |out| out.write_all(&bytes))
        }
    }
}

fn xlsx(orders: &[Known]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("status")?;
    let bold = super::xlsx::header_format();
    for (column, header) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *header, &bold)?;
    }
    for (row, order) in orders.iter().enumerate() {
        for (column, cell) in cells(order).iter().enumerate() {
            sheet.write_string(row as u32 + 1, column as u16, *cell)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}
