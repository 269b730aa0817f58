//! The run's summary: for people on stderr, for machines as JSON on stdout.

use crate::model::money::wire2;
use crate::model::outcome::RowStatus;
use crate::model::problem::{mask_personal_numbers, Severity};
use crate::pipeline::Checked;
use crate::pipeline::Settings;
use rust_decimal::Decimal;
use serde_json::json;
use std::io::Write;

/// How many problems are listed on the terminal; the result file has all of them.
const LISTED: usize = 100;

/// What a `submit` run adds to the summary.
pub struct Sending {
    pub requests: u64,
    pub elapsed: std::time::Duration,
    /// From the first request out to the last answer in.
    pub sending: std::time::Duration,
    pub ledger: String,
    /// This run created the ledger (it knew of no order before).
    pub ledger_created: bool,
    pub base_url: String,
    pub failed_rows: Option<String>,
    /// Why sending stopped before the end, if it did.
    pub stopped: Option<String>,
}

/// The statuses an order can end a submit run with, in the order the summary lists them.
const SENT_STATUSES: [RowStatus; 8] = [
    RowStatus::Created,
    RowStatus::AlreadyCreated,
    RowStatus::Invalid,
    RowStatus::Rejected,
    RowStatus::Failed,
    RowStatus::Uncertain,
    RowStatus::Changed,
    RowStatus::Skipped,
];

fn count(checked: &Checked, status: RowStatus) -> usize {
    checked.orders.iter().filter(|o| o.status == status).count()
}

/// The summary for people.
pub fn print_human(
    checked: &Checked,
    settings: &Settings,
    sending: Option<&Sending>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let sheet = &checked.sheet;
    writeln!(out, "read {}: {}", sheet.path.display(), sheet.format)?;
    writeln!(out, "endpoint: {}", settings.rules.endpoint.name())?;
    writeln!(out, "numbers: {}", checked.convention)?;
    if let Some(config) = &settings.config {
        writeln!(out, "config: {}", config.display())?;
    }
    for note in &checked.notes {
        writeln!(out, "warning: {note}")?;
    }
    print_problems(checked, out)?;
    let (orders, valid) = (checked.orders.len(), checked.valid_orders());
    writeln!(out)?;
    writeln!(
        out,
        "orders: {orders} ({valid} valid, {} invalid)",
        orders - valid
    )?;
    let statuses: &[RowStatus] = if sending.is_some() {
        &SENT_STATUSES
    } else {
        &[RowStatus::Valid, RowStatus::Invalid]
    };
    let by_status: Vec<String> = statuses
        .iter()
        .map(|s| (s, checked.rows.iter().filter(|r| r.status == *s).count()))
        .filter(|(s, n)| {
            *n > 0 || sending.is_none() && matches!(s, RowStatus::Valid | RowStatus::Invalid)
        })
        .map(|(s, n)| format!("{n} {}", s.as_str().replace('_', " ")))
        .collect();
    writeln!(
        out,
        "rows:   {} ({})",
        checked.rows.len(),
        by_status.join(", ")
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
    if let Some(sending) = sending {
        print_sending(checked, sending, out)?;
    }
    writeln!(out, "result: {}", settings.output.display())
}

/// Every problem, row by row (the first [`LISTED`]; the rest are in the result file).
fn print_problems(checked: &Checked, out: &mut dyn Write) -> std::io::Result<()> {
    let sheet = &checked.sheet;
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
            // stderr is a log: personal numbers are masked (the result file keeps the rows).
            let line = mask_personal_numbers(&p.describe(&checked.map));
            writeln!(out, "  {name} row {}: {line}", p.row)?;
        }
        if problems.len() > LISTED {
            writeln!(
                out,
                "  … and {} more in the result file",
                problems.len() - LISTED
            )?;
        }
    }
    Ok(())
}

/// What the sending did: the statuses, the requests, the ledger, why it stopped early.
fn print_sending(checked: &Checked, sending: &Sending, out: &mut dyn Write) -> std::io::Result<()> {
    let counts: Vec<String> = SENT_STATUSES
        .iter()
        .map(|s| (s, count(checked, *s)))
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", s.as_str().replace('_', " ")))
        .collect();
    writeln!(
        out,
        "sent:   {}",
        if counts.is_empty() {
            "nothing".to_string()
        } else {
            counts.join(", ")
        }
    )?;
    let seconds = sending.sending.as_secs_f64();
    writeln!(
        out,
        "{} request(s) to {} in {seconds:.1} s ({:.1}/s); {:.1} s in all",
        sending.requests,
        sending.base_url,
        sending.requests as f64 / seconds.max(0.001),
        sending.elapsed.as_secs_f64()
    )?;
    writeln!(
        out,
        "ledger: {}{}",
        sending.ledger,
        if sending.ledger_created { " (new)" } else { "" }
    )?;
    if let Some(why) = &sending.stopped {
        writeln!(out, "stopped early: {why}")?;
    }
    if let Some(path) = &sending.failed_rows {
        writeln!(out, "rows of orders not created: {path}")?;
    }
    Ok(())
}

/// The summary for machines.
pub fn json(
    checked: &Checked,
    settings: &Settings,
    sending: Option<&Sending>,
) -> serde_json::Value {
    let (orders, valid) = (checked.orders.len(), checked.valid_orders());
    let (rows, valid_rows) = (checked.rows.len(), checked.valid_rows());
    let problems: Vec<_> = checked.problems().collect();
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let (total, tax) = money_totals(checked);
    let mut summary = json!({
        "orders": {"total": orders, "valid": valid, "invalid": orders - valid},
        "rows": {"total": rows, "valid": valid_rows, "invalid": rows - valid_rows},
        "problems": {"errors": errors, "warnings": problems.len() - errors},
        "money": {"grand_total": wire2(total), "total_tax": wire2(tax)},
        "sheet": checked.sheet.path.display().to_string(),
        "endpoint": settings.rules.endpoint.name(),
        "format": checked.sheet.format.to_string(),
        "number_convention": match checked.convention {
            crate::pipeline::values::NumberConvention::DecimalPoint => "decimal point",
            crate::pipeline::values::NumberConvention::DecimalComma => "decimal comma",
        },
        "config": settings.config.as_ref().map(|c| c.display().to_string()),
        "notes": checked.notes,
        "result_file": settings.output.display().to_string(),
    });
    if let Some(sending) = sending {
        for status in SENT_STATUSES {
            summary["orders"][status.as_str()] = json!(count(checked, status));
        }
        summary["requests"] = json!(sending.requests);
        let seconds = |d: std::time::Duration| (d.as_secs_f64() * 1000.0).round() / 1000.0;
        summary["elapsed_s"] = json!(seconds(sending.elapsed));
        summary["sending_s"] = json!(seconds(sending.sending));
        summary["ledger"] = json!(sending.ledger);
        summary["ledger_created"] = json!(sending.ledger_created);
        summary["base_url"] = json!(sending.base_url);
        summary["failed_rows"] = json!(sending.failed_rows);
        summary["stopped"] = json!(sending.stopped);
    }
    summary
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
