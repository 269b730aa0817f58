//! `fpgo-export status`: ask the provider what became of every order the ledger holds as
//! created (final ones only with `--all`; nobody with `--offline`), record each status in
//! the ledger, write the report and the summary, and pick the exit code. Glue: the work is
//! in `send::status` and `report::status`.

use crate::api::client::Client;
use crate::cli::StatusArgs;
use crate::error::Error;
use crate::exit;
use crate::report;
use crate::send::ledger::{Known, Ledger, Scope};
use crate::send::pace::Pacer;
use crate::send::status::{self, Asked, NotRecorded, Report, Stop};
use crate::settings::ProviderSettings;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn run(args: &StatusArgs) -> Result<i32, Error> {
    let settings = ProviderSettings::resolve(&args.provider, args.offline)?;
    let output = args.output.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "fpgo-status-{}.csv",
            chrono::Local::now().format("%Y-%m-%d")
        ))
    });
    report::status::format_of(&output)?;
    let runtime = super::runtime()?;
    runtime.block_on(status(args, &settings, &output))
}

/// Whether an order came from the sheet `--sheet` names: its file name, or its path as
/// submitted.
fn from_sheet(order: &Known, sheet: &str) -> bool {
    let Some(source) = order.source_file.as_deref() else {
        return false;
    };
    source == sheet
        || Path::new(source)
            .file_name()
            .is_some_and(|name| name.to_string_lossy() == sheet)
}

async fn status(
    args: &StatusArgs,
    settings: &ProviderSettings,
    output: &Path,
) -> Result<i32, Error> {
    let scope = Scope {
        base_url: settings.base_url.key.clone(),
        endpoint: settings.endpoint.name().to_string(),
    };
    let mut ledger = Ledger::open(&settings.ledger)?;
    if let Some(pages) = args.testing.ledger_growth_limit {
        ledger.limit_growth(pages)?;
    }
    let mut orders = ledger.created_orders(&scope)?;
    if let Some(sheet) = &args.sheet {
        orders.retain(|o| from_sheet(o, sheet));
    }
    let wanted = if args.offline {
        Vec::new()
    } else {
        status::to_ask(&orders, args.all)
    };
    let skipped_final = if args.offline {
        0
    } else {
        orders.len() - wanted.len()
    };
    let mut run = Report {
        asked: Vec::new(),
        requests: 0,
        stop: None,
    };
    if args.offline {
        eprintln!(
            "offline: {} order(s) of {} ({}) from the ledger {}; nobody is asked",
            orders.len(),
            settings.base_url.url,
            scope.endpoint,
            ledger.path().display()
        );
    } else {
        announce(settings, &scope, wanted.len(), skipped_final);
        if !wanted.is_empty() {
            let chosen: Vec<&Known> = wanted.iter().map(|&i| &orders[i]).collect();
            let retry_base = std::time::Duration::from_millis(args.testing.retry_base_ms);
            match ask_provider(settings, &scope, &mut ledger, &chosen, retry_base).await? {
                Some(report) => run = report,
                None => return Ok(exit::LEDGER_FAILED),
            }
        }
        orders = read_again(&ledger, &scope, &orders)?;
    }
    say_failures(&orders, &wanted, &run.asked);
    report::status::write(&orders, output)?;
    let tally = Tally::of(&orders, &run.asked, skipped_final);
    say_summary(&orders, &run, &tally, output);
    if args.json {
        let summary = summary_json(args, settings, &ledger, output, orders.len(), &run, &tally);
        report::stdout_line(&summary.to_string());
    }
    Ok(match run.stop {
        Some(Stop::Refused(_)) => exit::REFUSED,
        _ if tally.not_found + tally.failed > 0 => exit::SOME_FAILED,
        _ => exit::OK,
    })
}

/// The line before asking: how many orders, where, which final ones are left out, and how
/// long it takes at the rate.
fn announce(settings: &ProviderSettings, scope: &Scope, wanted: usize, skipped_final: usize) {
    eprintln!(
        "asking the status of {} order(s) at {} ({}){}: about {} at {}/min",
        wanted,
        settings.base_url.url,
        scope.endpoint,
        if skipped_final > 0 {
            format!(", not the {skipped_final} in a final state (--all asks them too)")
        } else {
            String::new()
        },
        report::summary::spoken(Pacer::estimate(settings.rate, wanted)),
        settings.rate
    );
}

/// Asks the provider about the chosen orders. `None` when the ledger failed on the way (said
/// here): requests went out, so that is not "could not start" but its own exit code.
async fn ask_provider(
    settings: &ProviderSettings,
    scope: &Scope,
    ledger: &mut Ledger,
    chosen: &[&Known],
    retry_base: std::time::Duration,
) -> Result<Option<Report>, Error> {
    let Some(token) = &settings.token else {
        return Err(Error::bug("no token while online"));
    };
    let client = Client::new(&settings.base_url, token, settings.timeout)?;
    let options = status::Options {
        retry_base,
        ..status::Options::at(settings.rate, settings.max_wait)
    };
    // A line every half minute: a long run is not a silent one.
    let total = chosen.len();
    let mut shown = std::time::Instant::now();
    let progress = |done: usize| {
        if shown.elapsed() >= std::time::Duration::from_secs(30) && done < total {
            eprintln!("asked {done} of {total}");
            shown = std::time::Instant::now();
        }
    };
    match status::ask(ledger, scope, &client, chosen, &options, progress).await {
        Ok(report) => Ok(Some(report)),
        Err(lost) => {
            print_not_recorded(&ledger.path().display().to_string(), &lost);
            Ok(None)
        }
    }
}

/// A ledger that could not record an answer: the answer, on stderr, so that nothing the
/// provider said is lost, and what the next run does.
fn print_not_recorded(ledger: &str, lost: &NotRecorded) {
    eprintln!(
        "error: the ledger {ledger} could not be written ({}); asking stopped at once.",
        lost.error
    );
    eprintln!("This answer from the provider is NOT in the ledger; keep it:");
    eprintln!("  {} ({}): {}", lost.key, lost.order_uuid, lost.seen);
    eprintln!(
        "The orders asked before it are in the ledger; the rest were not asked. Free space (or fix the ledger's file), then run status again: it asks this order and the rest again."
    );
}

/// The same orders as the ledger knows them now, in the same order: the report shows what
/// asking recorded, not what was known before.
fn read_again(ledger: &Ledger, scope: &Scope, orders: &[Known]) -> Result<Vec<Known>, Error> {
    let keys: Vec<String> = orders.iter().map(|o| o.key.clone()).collect();
    let fresh = ledger.created_orders(scope)?;
    let mut by_key: BTreeMap<String, Known> =
        fresh.into_iter().map(|o| (o.key.clone(), o)).collect();
    Ok(keys.iter().filter_map(|k| by_key.remove(k)).collect())
}

/// Names the orders whose status could not be read, and why: the first 20, then how many more.
fn say_failures(orders: &[Known], wanted: &[usize], asked: &[Asked]) {
    let failures: Vec<(&str, &str)> = wanted
        .iter()
        .zip(asked)
        .filter_map(|(&i, a)| match a {
            Asked::Failed(why) => {
                Some((orders.get(i).map_or("", |o| o.key.as_str()), why.as_str()))
            }
            _ => None,
        })
        .collect();
    for (key, why) in failures.iter().take(20) {
        eprintln!("{key}: no status read: {why}");
    }
    if failures.len() > 20 {
        eprintln!("… and {} more orders without a status", failures.len() - 20);
    }
}

/// What the run found, counted once for the summary line, `--json` and the exit code.
struct Tally {
    changed: usize,
    not_found: usize,
    failed: usize,
    skipped_final: usize,
    by_status: BTreeMap<String, usize>,
}

impl Tally {
    fn of(orders: &[Known], asked: &[Asked], skipped_final: usize) -> Tally {
        let count = |f: fn(&Asked) -> bool| asked.iter().filter(|a| f(a)).count();
        Tally {
            changed: count(|a| matches!(a, Asked::Read { changed: true })),
            not_found: count(|a| matches!(a, Asked::NotFound)),
            failed: count(|a| matches!(a, Asked::Failed(_))),
            skipped_final,
            by_status: by_status(orders),
        }
    }
}

/// The orders counted by the status the report shows.
fn by_status(orders: &[Known]) -> BTreeMap<String, usize> {
    // Counted without regard to case, under the first spelling seen.
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for order in orders {
        let shown = report::status::shown_status(order);
        let shown = if shown.is_empty() { "unknown" } else { shown };
        let key = by_status
            .keys()
            .find(|k| k.eq_ignore_ascii_case(shown))
            .cloned()
            .unwrap_or_else(|| shown.to_string());
        *by_status.entry(key).or_default() += 1;
    }
    by_status
}

/// The summary for people, and why asking stopped early if it did.
fn say_summary(orders: &[Known], run: &Report, tally: &Tally, output: &Path) {
    let line = tally
        .by_status
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!(
        "{} order(s){}{}; {} asked, {} changed, {} not found, {} without a status; report: {}",
        orders.len(),
        if line.is_empty() { "" } else { ": " },
        line,
        run.asked.len(),
        tally.changed,
        tally.not_found,
        tally.failed,
        output.display()
    );
    if let Some(Stop::Refused(why) | Stop::Gave(why)) = &run.stop {
        eprintln!("stopped asking: {why}");
    }
}

/// The summary for machines (`--json`).
fn summary_json(
    args: &StatusArgs,
    settings: &ProviderSettings,
    ledger: &Ledger,
    output: &Path,
    orders: usize,
    run: &Report,
    tally: &Tally,
) -> serde_json::Value {
    serde_json::json!({
        "orders": orders,
        "asked": run.asked.len(),
        "requests": run.requests,
        "by_status": tally.by_status,
        "changed": tally.changed,
        "not_found": tally.not_found,
        "failed": tally.failed,
        "skipped_final": tally.skipped_final,
        "offline": args.offline,
        "base_url": settings.base_url.url,
        "endpoint": settings.endpoint.name(),
        "ledger": ledger.path().display().to_string(),
        "report_file": output.display().to_string(),
    })
}
