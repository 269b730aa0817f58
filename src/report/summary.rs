//! The run's summary: for people on stderr, for machines as JSON on stdout.

use crate::check::Checked;
use crate::money::wire2;
use crate::problem::Severity;
use crate::settings::Settings;
use rust_decimal::Decimal;
use serde_json::json;
use std::io::Write;

/// How many problems are listed on the terminal; the result file has all of them.
const LISTED: usize = 100;

/// The summary for people.
pub fn print_human(
    checked: &Checked,
    settings: &Settings,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let sheet = &checked.sheet;
    writeln!(out, "read {}: {}", sheet.path.display(), sheet.format)?;
    writeln!(out, "numbers: {}", checked.convention)?;
    if let Some(config) = &settings.config {
        writeln!(out, "config: {}", config.display())?;
    }
    for note in &checked.notes {
        writeln!(out, "warning: {note}")?;
    }
    let problems: Vec<_> = checked.problems().collect();
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    if !problems.is_empty() {
        writeln!(
            out,
            "\n{} error(s), {} warning(s):",
            errors,
            problems.len() - errors
        )?;
        let name = sheet
            .path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        for p in problems.iter().take(LISTED) {
            writeln!(out, "  {name} row {}: {}", p.row, p.describe(&checked.map))?;
        }
        if problems.len() > LISTED {
            writeln!(
                out,
                "  … and {} more in the result file",
                problems.len() - LISTED
            )?;
        }
    }
    let (orders, valid) = (checked.orders.len(), checked.valid_orders());
    let (rows, valid_rows) = (checked.rows.len(), checked.valid_rows());
    writeln!(out)?;
    writeln!(
        out,
        "orders: {orders} ({valid} valid, {} invalid)",
        orders - valid
    )?;
    writeln!(
        out,
        "rows:   {rows} ({valid_rows} valid, {} invalid)",
        rows - valid_rows
    )?;
    let (total, tax) = money_totals(checked);
    writeln!(
        out,
        "valid orders total {} NOK incl. VAT, of which VAT {}",
        wire2(total),
        wire2(tax)
    )?;
    if orders == 0 {
        writeln!(out, "the sheet has no order lines below its header")?;
    }
    writeln!(out, "result: {}", settings.output.display())
}

/// The summary for machines.
pub fn json(checked: &Checked, settings: &Settings) -> serde_json::Value {
    let (orders, valid) = (checked.orders.len(), checked.valid_orders());
    let (rows, valid_rows) = (checked.rows.len(), checked.valid_rows());
    let problems: Vec<_> = checked.problems().collect();
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let (total, tax) = money_totals(checked);
    json!({
        "orders": {"total": orders, "valid": valid, "invalid": orders - valid},
        "rows": {"total": rows, "valid": valid_rows, "invalid": rows - valid_rows},
        "problems": {"errors": errors, "warnings": problems.len() - errors},
        "money": {"grand_total": wire2(total), "total_tax": wire2(tax)},
        "sheet": checked.sheet.path.display().to_string(),
        "format": checked.sheet.format.to_string(),
        "number_convention": match checked.convention {
            crate::values::NumberConvention::DecimalPoint => "decimal point",
            crate::values::NumberConvention::DecimalComma => "decimal comma",
        },
        "config": settings.config.as_ref().map(|c| c.display().to_string()),
        "notes": checked.notes,
        "result_file": settings.output.display().to_string(),
    })
}

fn money_totals(checked: &Checked) -> (Decimal, Decimal) {
    checked
        .orders
        .iter()
        .filter_map(|o| o.totals)
        .fold((Decimal::ZERO, Decimal::ZERO), |(g, t), (og, ot)| {
            (g + og, t + ot)
        })
}
