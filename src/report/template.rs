//! `fpgo-export template`: a ready-to-fill sheet with every column of an endpoint and one
//! example order (two lines) that passes `check` as it is. A CSV template is what a Norwegian
//! Excel writes and opens in columns (`;`, decimal commas) unless asked for `,` and points.

use crate::error::Error;
use crate::model::fields::{self as columns, Field, FieldInfo, Kind, FIELDS};
use crate::model::Endpoint;
use crate::pipeline::values::NumberConvention;
use crate::report::atomic_write;
use rust_xlsxwriter::{Format, Note, Workbook};
use std::path::Path;

/// The example order: one value per field, per line ("" = blank).
fn example(field: Field, line: usize, endpoint: Endpoint) -> &'static str {
    use Field::*;
    let first = line == 0;
    let regular = endpoint == Endpoint::RegularInvoice;
    match field {
        // A daily interval would need a due date; the regular example leaves it to the provider.
        InvoiceInterval if regular => "",
        ShippingCost if first => "49.00",
        SendBySms if first => "no",
        SendByEmail if first => "yes",
        SendByInvoice if first => "no",
        CreditCheck if first => "no",
        InvoiceAsPaymentOption if first => "yes",
        OrderRef => "1001",
        CustomerType if first => "private",
        Name if first => "Kari Nordmann",
        Email if first => "kari.nordmann@example.no",
        Phone if first => "+47 465 67 468",
        PersonalNumber if first => "28038712383",
        Language if first => "no",
        Street if first => "Klosterenget 144",
        Zip if first => "7030",
        City if first => "Trondheim",
        Country if first => "NO",
        InvoiceInterval if first => "0",
        SeparateInvoices if first => "no",
        InvoiceFee if first => "yes",
        InvoiceMaturity if first => "14",
        CallbackUrl if first => "https://shop.example.no/fpgo/callback",
        SuccessUrl if first => "https://shop.example.no/fpgo/success",
        FailureUrl if first => "https://shop.example.no/fpgo/failure",
        ProductName if first => "Router",
        ProductName => "Installation",
        ProductId if first => "R-1",
        ProductId => "INST",
        Quantity if first => "1",
        Quantity => "2",
        UnitPrice if first => "4500.00",
        UnitPrice => "250.00",
        VatRate if first => "12",
        VatRate => "25",
        LineAmount if first => "4500.00",
        LineAmount => "500.00",
        _ => "",
    }
}

/// Writes the template; CSV (separated by `delimiter`, `;` with decimal commas, `,` with
/// decimal points) or XLSX by the extension of `path`.
pub fn write(path: &Path, endpoint: Endpoint, delimiter: u8) -> Result<(), Error> {
    let fields: Vec<&FieldInfo> = FIELDS
        .iter()
        .filter(|f| columns::used_by(f.field, endpoint))
        .collect();
    let ext = crate::pipeline::read::extension(path);
    match ext.as_str() {
        "csv" => atomic_write(path, |w| {
            let numbers = if delimiter == b',' {
                NumberConvention::DecimalPoint
            } else {
                NumberConvention::DecimalComma
            };
            w.write_all(b"\xef\xbb\xbf")?;
            let mut csv = ::csv::WriterBuilder::new()
                .delimiter(delimiter)
                .from_writer(w);
            csv.write_record(fields.iter().map(|f| f.name))?;
            for line in 0..2 {
                csv.write_record(fields.iter().map(|f| {
                    let value = example(f.field, line, endpoint);
                    match f.kind {
                        Kind::Money | Kind::Price | Kind::Number => {
                            numbers.written(value.to_string())
                        }
                        _ => value.to_string(),
                    }
                }))?;
            }
            csv.flush()
        }),
        "xlsx" => {
            let bytes = xlsx(&fields, endpoint)
                .map_err(|e| Error::unusable(path, format!("cannot write XLSX: {e}")))?;
            atomic_write(path, |w| w.write_all(&bytes))
        }
        other => Err(Error::usage(format!(
            "cannot write a template as \".{other}\"; use .csv or .xlsx"
        ))),
    }
}

fn xlsx(fields: &[&FieldInfo], endpoint: Endpoint) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("orders")?;
    let bold = super::xlsx::header_format();
    let text = Format::new().set_num_format("@");
    for (c, info) in fields.iter().enumerate() {
        let c = c as u16;
        sheet.write_string_with_format(0, c, info.name, &bold)?;
        sheet.insert_note(0, c, &Note::new(info.help).set_author("fpgo-export"))?;
        sheet.set_column_width(c, (info.name.len() as f64 + 4.0).max(12.0))?;
        // Identifiers stay text so Excel keeps their leading zeros.
        let numeric = matches!(
            info.field,
            Field::Quantity | Field::UnitPrice | Field::VatRate | Field::LineAmount
        );
        for line in 0..2u32 {
            let value = example(info.field, line as usize, endpoint);
            match value.parse::<f64>() {
                Ok(n) if numeric => sheet.write_number(line + 1, c, n)?,
                _ if value.is_empty() => sheet.write_blank(line + 1, c, &text)?,
                _ => sheet.write_string_with_format(line + 1, c, value, &text)?,
            };
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}
