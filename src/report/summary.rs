//! The run's summary: for people on stderr (in colour on a terminal: errors red, warnings
//! yellow, created green; never with `NO_COLOR`), for machines as JSON on stdout. A submit run
//! says what it is about to send before it sends (the check's problems, then one line with the
//! time it takes at the rate), and at the end what it did apart from what earlier runs had done.

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
    /// The orders this run sent (indices into the checked orders); the other valid ones were
    /// dealt with by earlier runs. In a dry run, the ones a real run would send.
    pub sent_now: Vec<usize>,
    /// A dry run: nothing was sent, and the ledger was only read.
    pub dry_run: bool,
    /// How many problems of each row were listed before sending ([`listed`]); the summary
    /// lists only the ones that came after (the provider's).
    pub listed: Option<Vec<usize>>,
}

impl Sending {
    /// Whether this run sent each of the checked orders (`sent_now` as a mask, so that asking
    /// it for every order of a big sheet is not a search each time).
    fn sent_now_mask(&self, orders: usize) -> Vec<bool> {
        let mut mask = vec![false; orders];
        for &o in &self.sent_now {
            if let Some(m) = mask.get_mut(o) {
                *m = true;
            }
        }
        mask
    }
}

/// Colour on a terminal: on when stderr is one (or `CLICOLOR_FORCE` asks), never when
/// `NO_COLOR` is set (<https://no-color.org>).
#[derive(Clone, Copy, Debug, Default)]
pub struct Paint(bool);

impl Paint {
    /// For text written on stderr.
    pub fn stderr() -> Paint {
        use std::io::IsTerminal;
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
        Paint(!set("NO_COLOR") && (set("CLICOLOR_FORCE") || std::io::stderr().is_terminal()))
    }
    fn paint(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn red(self, text: &str) -> String {
        self.paint("31", text)
    }
    fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }
    fn green(self, text: &str) -> String {
        self.paint("32", text)
    }
}

/// The statuses an order can have after a submit run, in the order the summary lists them.
const SENT_STATUSES: [RowStatus; 10] = [
    RowStatus::WouldCreate,
    RowStatus::WouldUpdate,
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
    paint: Paint,
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
        writeln!(out, "{} {note}", paint.yellow("warning:"))?;
    }
    print_problems(
        checked,
        sending.and_then(|s| s.listed.as_deref()),
        paint,
        out,
    )?;
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
        .map(|(s, n)| shown(paint, *s, n))
        .collect();
    writeln!(
        out,
        "rows:   {} ({})",
        checked.rows.len(),
        by_status.join(", ")
    )?;
    if sending.is_none() {
        let (total, tax) = money_totals(checked, |_| true);
        writeln!(
            out,
            "valid orders total {} NOK incl. VAT, of which VAT {}",
            checked.convention.show_money(total),
            checked.convention.show_money(tax)
        )?;
    }
    if orders == 0 {
        writeln!(out, "the sheet has no order lines below its header")?;
    }
    if let Some(sending) = sending {
        print_sending(checked, sending, paint, out)?;
    }
    writeln!(out, "result: {}", settings.output.display())
}

/// How many problems each row has now: what [`print_plan`] listed before sending.
pub fn listed(checked: &Checked) -> Vec<usize> {
    checked.rows.iter().map(|r| r.problems.len()).collect()
}

/// Every problem, row by row (the first [`LISTED`]; the rest are in the result file), but the
/// ones `listed` says were listed before sending: those are counted only.
fn print_problems(
    checked: &Checked,
    listed: Option<&[usize]>,
    paint: Paint,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let sheet = &checked.sheet;
    let all: Vec<_> = checked.problems().collect();
    let errors = all.iter().filter(|p| p.severity == Severity::Error).count();
    if all.is_empty() {
        return Ok(());
    }
    let problems: Vec<_> = checked
        .rows
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let before = listed.and_then(|l| l.get(i).copied()).unwrap_or(0);
            r.problems.iter().skip(before)
        })
        .collect();
    let before = all.len() - problems.len();
    writeln!(
        out,
        "\n{}, {}{}",
        paint.red(&format!("{errors} error(s)")),
        paint.yellow(&format!("{} warning(s)", all.len() - errors)),
        match (before, problems.len()) {
            (0, _) => ":".to_string(),
            (_, 0) => " (listed above)".to_string(),
            (n, _) => format!(" ({n} listed above):"),
        }
    )?;
    let name = sheet
        .path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    for p in problems.iter().take(LISTED) {
        // stderr is a log: personal numbers are masked (the result file keeps the rows).
        let line = mask_personal_numbers(&p.describe(&checked.map));
        let line = match line.split_once(": ") {
            Some((kind @ "error", rest)) => format!("{}: {rest}", paint.red(kind)),
            Some((kind @ "warning", rest)) => format!("{}: {rest}", paint.yellow(kind)),
            _ => line,
        };
        writeln!(out, "  {name} row {}: {line}", p.row)?;
    }
    if problems.len() > LISTED {
        writeln!(
            out,
            "  … and {} more in the result file",
            problems.len() - LISTED
        )?;
    }
    Ok(())
}

/// What a run is about to send, said before it sends: the check's problems, then one line
/// (`52 orders to send: about 13 s at 240/min; not sent: 3 already created, 1 changed`).
/// `to_send` are the orders to send (by index), `updates` how many of them are updates. A dry
/// run says the same of what a real run would send.
pub fn print_plan(
    checked: &Checked,
    (to_send, updates): (&[usize], usize),
    rate: u32,
    dry_run: bool,
    paint: Paint,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    print_problems(checked, None, paint, out)?;
    let n = to_send.len();
    let what = match (n, dry_run) {
        (0, false) => "nothing to send".to_string(),
        (0, true) => "dry run: a real run would send nothing".to_string(),
        (1, false) => "1 order to send".to_string(),
        (_, false) => format!("{n} orders to send"),
        (_, true) => format!("dry run: a real run would send {n} order(s)"),
    };
    let time = if n == 0 {
        String::new()
    } else {
        format!(": about {} at {rate}/min", duration(n, rate))
    };
    let kinds = match (n - updates, updates) {
        (_, 0) => String::new(),
        (0, u) => format!(" (as {u} update(s))"),
        (new, u) => format!(" ({new} new, {u} update(s))"),
    };
    let sent: std::collections::HashSet<usize> = to_send.iter().copied().collect();
    let held: Vec<usize> = (0..checked.orders.len())
        .filter(|o| !sent.contains(o))
        .collect();
    let not_sent: Vec<String> = counts(checked, &held)
        .into_iter()
        .map(|(s, n)| shown(paint, s, n))
        .collect();
    let not_sent = if not_sent.is_empty() {
        String::new()
    } else {
        format!("; not sent: {}", not_sent.join(", "))
    };
    writeln!(out, "{what}{time}{kinds}{not_sent}")
}

/// How long `n` requests take at `rate` a minute, as a person says it.
pub fn duration(n: usize, rate: u32) -> String {
    let seconds = (n as u64 * 60).div_ceil(u64::from(rate.max(1)));
    spoken(std::time::Duration::from_secs(seconds))
}

/// A duration as a person says it: `a second`, `13 s`, `4 min 10 s`, `1 h 23 min`.
pub fn spoken(duration: std::time::Duration) -> String {
    match duration.as_secs() {
        0 | 1 => "a second".to_string(),
        s if s < 60 => format!("{s} s"),
        s if s < 3600 && s % 60 == 0 => format!("{} min", s / 60),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// A count of orders with a status, as the summary writes it (created in green, the ones
/// that need the user in red).
fn shown(paint: Paint, status: RowStatus, n: usize) -> String {
    let text = format!("{n} {}", status.as_str().replace('_', " "));
    match status {
        RowStatus::Created | RowStatus::AlreadyCreated => paint.green(&text),
        RowStatus::Invalid | RowStatus::Rejected | RowStatus::Failed | RowStatus::Uncertain => {
            paint.red(&text)
        }
        _ => text,
    }
}

/// The statuses of these orders, counted, in the summary's order.
fn counts(checked: &Checked, orders: &[usize]) -> Vec<(RowStatus, usize)> {
    SENT_STATUSES
        .iter()
        .map(|s| {
            (
                *s,
                orders
                    .iter()
                    .filter(|&&o| checked.orders[o].status == *s)
                    .count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// What became of every order of a sent sheet, in a line without colour (`3 created, 1
/// invalid`): the browser app's summary of a run.
pub fn statuses_line(checked: &Checked) -> String {
    let all: Vec<usize> = (0..checked.orders.len()).collect();
    counts_line(Paint(false), counts(checked, &all))
}

/// The valid orders this run did not send: the ones earlier runs dealt with.
fn earlier(checked: &Checked, sending: &Sending) -> Vec<usize> {
    let sent = sending.sent_now_mask(checked.orders.len());
    (0..checked.orders.len())
        .filter(|&o| checked.orders[o].valid && !sent[o])
        .collect()
}

/// What the sending did, apart from what earlier runs had done; the requests, the ledger,
/// why it stopped early.
fn print_sending(
    checked: &Checked,
    sending: &Sending,
    paint: Paint,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    print_sent_now(checked, sending, paint, out)?;
    print_earlier(checked, sending, paint, out)?;
    print_requests(sending, out)?;
    print_ledger(sending, out)?;
    if let Some(why) = &sending.stopped {
        writeln!(out, "stopped early: {}", paint.red(why))?;
    }
    if let Some(path) = &sending.failed_rows {
        writeln!(out, "rows of orders not created: {path}")?;
    }
    Ok(())
}

/// Counts of orders by status, painted and joined as one summary line lists them.
fn counts_line(paint: Paint, counts: Vec<(RowStatus, usize)>) -> String {
    counts
        .into_iter()
        .map(|(s, n)| shown(paint, s, n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The orders this run sent (or, in a dry run, would send) and their money.
fn print_sent_now(
    checked: &Checked,
    sending: &Sending,
    paint: Paint,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let now = counts(checked, &sending.sent_now);
    let sent = sending.sent_now_mask(checked.orders.len());
    if sending.dry_run {
        if now.is_empty() {
            writeln!(
                out,
                "dry run: nothing sent, and a real run would send nothing"
            )?;
        } else {
            let (total, _) = money_totals(checked, |o| sent[o]);
            writeln!(
                out,
                "dry run: nothing sent; a real run would send {} order(s): {}; {} NOK incl. VAT",
                sending.sent_now.len(),
                counts_line(paint, now),
                checked.convention.show_money(total)
            )?;
        }
    } else if now.is_empty() {
        writeln!(out, "sent now: nothing")?;
    } else {
        let (total, _) = money_totals(checked, |o| {
            sent[o] && checked.orders[o].status == RowStatus::Created
        });
        writeln!(
            out,
            "sent now: {} order(s): {}; created now {} NOK incl. VAT",
            sending.sent_now.len(),
            counts_line(paint, now),
            checked.convention.show_money(total)
        )?;
    }
    Ok(())
}

/// The valid orders earlier runs dealt with, if any, and the money they created.
fn print_earlier(
    checked: &Checked,
    sending: &Sending,
    paint: Paint,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let earlier = earlier(checked, sending);
    if !earlier.is_empty() {
        let (total, _) = money_totals(checked, |o| {
            checked.orders[o].status == RowStatus::AlreadyCreated
        });
        writeln!(
            out,
            "earlier runs: {}; created earlier {} NOK incl. VAT",
            counts_line(paint, counts(checked, &earlier)),
            checked.convention.show_money(total)
        )?;
    }
    Ok(())
}

/// How many requests went where, how fast, and how long the run took.
fn print_requests(sending: &Sending, out: &mut dyn Write) -> std::io::Result<()> {
    if sending.dry_run {
        return writeln!(
            out,
            "no request made to {}; {:.1} s in all",
            sending.base_url,
            sending.elapsed.as_secs_f64()
        );
    }
    let seconds = sending.sending.as_secs_f64();
    // A rate over a moment says nothing: only a second of sending or more gets one.
    let rate = if seconds >= 1.0 {
        format!(
            " in {seconds:.1} s ({:.1}/s)",
            sending.requests as f64 / seconds
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} request(s) to {}{rate}; {:.1} s in all",
        sending.requests,
        sending.base_url,
        sending.elapsed.as_secs_f64()
    )
}

/// Where the ledger is, and what this run did to it.
fn print_ledger(sending: &Sending, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "ledger: {}{}",
        sending.ledger,
        match (sending.dry_run, sending.ledger_created) {
            (true, true) => " (does not exist yet: a real run creates it)",
            (true, false) => " (only read: unchanged)",
            (false, true) => " (new)",
            (false, false) => "",
        }
    )
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
    let (total, tax) = money_totals(checked, |_| true);
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
        let by_status = |counts: Vec<(RowStatus, usize)>| {
            counts
                .into_iter()
                .map(|(s, n)| (s.as_str().to_string(), json!(n)))
                .collect::<serde_json::Map<_, _>>()
        };
        summary["sent_now"] = json!(by_status(counts(checked, &sending.sent_now)));
        summary["earlier"] = json!(by_status(counts(checked, &earlier(checked, sending))));
        summary["dry_run"] = json!(sending.dry_run);
        if sending.dry_run {
            summary["would_send"] = summary["sent_now"].take();
            summary["sent_now"] = json!({});
        }
        let sent = sending.sent_now_mask(checked.orders.len());
        let created_now = money_totals(checked, |o| {
            sent[o] && checked.orders[o].status == RowStatus::Created
        });
        let created_earlier = money_totals(checked, |o| {
            checked.orders[o].status == RowStatus::AlreadyCreated
        });
        summary["money"]["created_now"] = json!(wire2(created_now.0));
        summary["money"]["created_earlier"] = json!(wire2(created_earlier.0));
    }
    summary
}

/// The grand total and VAT of the valid orders `which` picks (by index).
fn money_totals(checked: &Checked, which: impl Fn(usize) -> bool) -> (Decimal, Decimal) {
    checked
        .orders
        .iter()
        .enumerate()
        .filter(|(i, _)| which(*i))
        .filter_map(|(_, o)| o.totals)
        .fold((Decimal::ZERO, Decimal::ZERO), |(g, t), (og, ot)| {
            (g + og, t + ot)
        })
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn the_time_a_send_takes_at_the_rate() {
        assert_eq!(duration(52, 240), "13 s");
        assert_eq!(duration(1, 240), "a second");
        assert_eq!(duration(240, 240), "1 min");
        assert_eq!(duration(1000, 240), "4 min 10 s");
        assert_eq!(duration(20_000, 240), "1 h 23 min");
    }
}
