//! `fpgo-export cancel ORDER_ID… --note TEXT`: cancel orders at the provider, only ones the
//! ledger holds as created unless `--force` (an unknown id stops the run before anything is
//! sent), record what became of each in the ledger's status history, and say so per order.

use crate::api::client::Client;
use crate::cli::CancelArgs;
use crate::error::Error;
use crate::exit;
use crate::report;
use crate::send::cancel::{self, Cancellation, Target};
use crate::send::ledger::{Ledger, Scope};
use crate::settings::ProviderSettings;

pub fn run(args: &CancelArgs) -> Result<i32, Error> {
    let settings = ProviderSettings::resolve(&args.provider, false)?;
    if args.note.trim().is_empty() {
        return Err(Error::usage(
            "--note: the provider requires a cancellation note; say why",
        ));
    }
    let runtime = super::runtime()?;
    runtime.block_on(cancel_orders(args, &settings))
}

async fn cancel_orders(args: &CancelArgs, settings: &ProviderSettings) -> Result<i32, Error> {
    let scope = Scope {
        base_url: settings.base_url.key.clone(),
        endpoint: settings.endpoint.name().to_string(),
    };
    let mut ledger = Ledger::open(&settings.ledger)?;
    let targets = targets(args, settings, &scope, &ledger)?;
    eprintln!(
        "cancelling {} order(s) at {}",
        targets.len(),
        settings.base_url.url
    );
    let Some(token) = &settings.token else {
        return Err(Error::bug("no token to cancel with"));
    };
    let client = Client::new(&settings.base_url, token, settings.timeout)?;
    let report = cancel::cancel(
        &mut ledger,
        &scope,
        &client,
        &targets,
        &args.note,
        settings.rate,
        settings.max_wait,
    )
    .await;
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}; stopped: the orders cancelled so far are not all recorded, and `fpgo-export status --all` reads them again");
            return Ok(exit::LEDGER_FAILED);
        }
    };
    let lines = say_each(&targets, &report.results);
    let cancelled = report.results.iter().filter(|r| r.is_cancelled()).count();
    if args.json {
        report::stdout_line(
            &serde_json::json!({
                "orders": targets.len(),
                "cancelled": cancelled,
                "not_cancelled": targets.len() - cancelled,
                "results": lines,
            })
            .to_string(),
        );
    }
    Ok(if report.refused {
        exit::REFUSED
    } else if cancelled == targets.len() {
        exit::OK
    } else {
        exit::SOME_FAILED
    })
}

/// The orders to cancel, each once, with what the ledger knows of it. A malformed id, or
/// (without `--force`) one the ledger holds no created order for, is an error before anything
/// is sent: cancelling cannot be undone.
fn targets(
    args: &CancelArgs,
    settings: &ProviderSettings,
    scope: &Scope,
    ledger: &Ledger,
) -> Result<Vec<Target>, Error> {
    let mut targets: Vec<Target> = Vec::new();
    let mut unknown = Vec::new();
    for id in &args.orders {
        let id = id.trim();
        if targets.iter().any(|t| t.order_uuid == id) {
            continue;
        }
        if crate::api::wire::cancel_path(id).is_none() {
            return Err(Error::usage(format!(
                "{id:?} is not an order id (letters, digits, - and _, as ODR1234567890)"
            )));
        }
        let known = ledger.created_order(scope, id)?;
        if known.is_none() {
            unknown.push(id.to_string());
        }
        targets.push(Target {
            order_uuid: id.to_string(),
            known,
        });
    }
    if !unknown.is_empty() && !args.force {
        return Err(Error::usage(format!(
            "the ledger {} holds no created order {} of {} ({}): nothing was cancelled. Check the id (the result file's order id column), the --base-url and --endpoint; to cancel it anyway, add --force",
            ledger.path().display(),
            unknown.join(", "),
            settings.base_url.url,
            scope.endpoint
        )));
    }
    Ok(targets)
}

/// Says on stderr what became of each order, and gives the same as JSON lines for `--json`.
fn say_each(targets: &[Target], results: &[Cancellation]) -> Vec<serde_json::Value> {
    let mut lines = Vec::new();
    for (target, result) in targets.iter().zip(results) {
        let reference = target
            .known
            .as_ref()
            .map(|k| format!(" ({})", k.key))
            .unwrap_or_else(|| " (not in the ledger)".into());
        eprintln!("{}{reference}: {}", target.order_uuid, result.said());
        lines.push(serde_json::json!({
            "order_id": target.order_uuid,
            "order_ref": target.known.as_ref().map(|k| k.key.clone()),
            "result": result.name(),
        }));
    }
    lines
}
