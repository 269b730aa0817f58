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
use crate::send::status::{self, Asked, Stop};
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::bug(format!("the async runtime did not start: {e}")))?;
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
    let mut requests = 0;
    let mut asked: Vec<Asked> = Vec::new();
    let mut stop = None;
    if args.offline {
        eprintln!(
            "offline: {} order(s) of {} ({}) from the ledger {}; nobody is asked",
            orders.len(),
            settings.base_url.url,
            scope.endpoint,
            ledger.path().display()
        );
    } else {
        eprintln!(
            "asking the status of {} order(s) at {} ({}){}: about {} at {}/min",
            wanted.len(),
            settings.base_url.url,
            scope.endpoint,
            if skipped_final > 0 {
                format!(", not the {skipped_final} in a final state (--all asks them too)")
            } else {
                String::new()
            },
            duration(Pacer::estimate(settings.rate, wanted.len())),
            settings.rate
        );
        if !wanted.is_empty() {
            let Some(token) = &settings.token else {
                return Err(Error::bug("no token while online"));
            };
            let client = Client::new(&settings.base_url, token, settings.timeout)?;
            let options = status::Options {
                rate: settings.rate,
                max_wait: settings.max_wait,
                attempts: 3,
                retry_base: std::time::Duration::from_millis(500),
            };
            let chosen: Vec<&Known> = wanted.iter().map(|&i| &orders[i]).collect();
            // A line every half minute: a long run is not a silent one.
            let total = chosen.len();
            let mut shown = std::time::Instant::now();
            let progress = |done: usize| {
                if shown.elapsed() >= std::time::Duration::from_secs(30) && done < total {
                    eprintln!("asked {done} of {total}");
                    shown = std::time::Instant::now();
                }
            };
            let report = match status::ask(
                &mut ledger,
                &scope,
                &client,
                &chosen,
                &options,
                progress,
            )
            .await
            {
                Ok(report) => report,
                // Requests went out: not "could not start", but a ledger that failed.
                Err(e) => {
                    eprintln!(
                        "error: {e}; stopped asking (the provider's orders are as they were)"
                    );
                    return Ok(exit::LEDGER_FAILED);
                }
            };
            requests = report.requests;
            asked = report.asked;
            stop = report.stop;
        }
        // The report shows what the ledger knows now.
        let keys: Vec<String> = orders.iter().map(|o| o.key.clone()).collect();
        let fresh = ledger.created_orders(&scope)?;
        let mut by_key: BTreeMap<String, Known> =
            fresh.into_iter().map(|o| (o.key.clone(), o)).collect();
        orders = keys.iter().filter_map(|k| by_key.remove(k)).collect();
    }
    let failures: Vec<(&str, &str)> = wanted
        .iter()
        .zip(&asked)
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
    report::status::write(&orders, output)?;

    let count = |f: fn(&Asked) -> bool| asked.iter().filter(|a| f(a)).count();
    let changed = count(|a| matches!(a, Asked::Read { changed: true }));
    let not_found = count(|a| matches!(a, Asked::NotFound));
    let failed = count(|a| matches!(a, Asked::Failed(_)));
    // Counted without regard to case, under the first spelling seen.
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for order in &orders {
        let shown = report::status::shown_status(order);
        let shown = if shown.is_empty() { "unknown" } else { shown };
        let key = by_status
            .keys()
            .find(|k| k.eq_ignore_ascii_case(shown))
            .cloned()
            .unwrap_or_else(|| shown.to_string());
        *by_status.entry(key).or_default() += 1;
    }
    let line = by_status
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!(
        "{} order(s){}{}; {} asked, {changed} changed, {not_found} not found, {failed} without a status; report: {}",
        orders.len(),
        if line.is_empty() { "" } else { ": " },
        line,
        asked.len(),
        output.display()
    );
    if let Some(Stop::Refused(why) | Stop::Gave(why)) = &stop {
        eprintln!("stopped asking: {why}");
    }
    if args.json {
        let summary = serde_json::json!({
            "orders": orders.len(),
            "asked": asked.len(),
            "requests": requests,
            "by_status": by_status,
            "changed": changed,
            "not_found": not_found,
            "failed": failed,
            "skipped_final": skipped_final,
            "offline": args.offline,
            "base_url": settings.base_url.url,
            "endpoint": scope.endpoint,
            "ledger": ledger.path().display().to_string(),
            "report_file": output.display().to_string(),
        });
        report::stdout_line(&summary.to_string());
    }
    Ok(match stop {
        Some(Stop::Refused(_)) => exit::REFUSED,
        _ if not_found + failed > 0 => exit::SOME_FAILED,
        _ => exit::OK,
    })
}

/// A duration for people: `12 s`, `4 min 10 s`, `2 h 5 min`.
pub(crate) fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}
