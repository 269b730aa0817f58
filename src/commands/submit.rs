//! `fpgo-export submit`: check the sheet, open the ledger, plan each valid order, send what
//! must be sent, record the outcome on the sheet's rows, write the result file(s) and the
//! summary, and pick the exit code; `--dry-run` plans from the ledger read-only and stops
//! short of sending. Glue: the work is in `pipeline` and `send`.

use crate::api::client::Client;
use crate::api::target::{BaseUrl, Token};
use crate::cli::SubmitArgs;
use crate::error::Error;
use crate::exit;
use crate::pipeline::{self, Checked, Settings};
use crate::report;
use crate::sandbox::{self, Sandbox};
use crate::send::dispatch::{Job, Stop};
use crate::send::ledger::{self, Change, Ledger, Scope, Snapshot, State, Unrecorded};
use crate::send::ready::Ready;
use crate::send::{plan, verdicts, Planning, SendSettings, Sending};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn run(args: &SubmitArgs) -> Result<i32, Error> {
    let settings = Settings::resolve(&args.sheet)?;
    let send = SendSettings::resolve(args)?;
    crate::refuse_to_overwrite_inputs(
        &settings,
        &[("--failed-rows", args.failed_rows.as_deref())],
    )?;
    // Every output is known to be writable before the first request: a run that sent orders
    // never stops at its last step.
    report::check_writable(&settings.output, report::Output::Result)?;
    if let Some(path) = &args.failed_rows {
        report::check_writable(path, report::Output::FailedRows)?;
    }
    let runtime = super::runtime()?;
    runtime.block_on(submit_sheet(args, &settings, &send))
}

/// Where this run sends: the provider (or the in-process sandbox) and the ledger for it.
struct Target {
    base_url: BaseUrl,
    /// `None` on a dry run to the provider: it sends nothing.
    token: Option<Token>,
    sandbox: Option<Sandbox>,
    ledger: PathBuf,
    /// The sandbox's ledger, as temporary as the sandbox: it forgets its orders when it stops.
    _temporary: Option<tempfile::TempDir>,
}

impl Target {
    async fn start(settings: &Settings, send: &SendSettings) -> Result<Target, Error> {
        let (base_url, token, sandbox) = match &send.provider {
            Some((base_url, token)) => (base_url.clone(), token.clone(), None),
            None => {
                let config = sandbox::Config {
                    date_format: settings.date_format,
                    token: format!("sandbox-{}", std::process::id()),
                    rate_limit: send.sandbox_rate_limit,
                    seed: u64::from(std::process::id()),
                    ..sandbox::Config::default()
                };
                let sandbox = Sandbox::start(config).await?;
                let token = Token::new(sandbox.token()).map_err(Error::usage)?;
                (
                    BaseUrl::parse(&sandbox.base_url())?,
                    Some(token),
                    Some(sandbox),
                )
            }
        };
        let temporary = match (&send.ledger, &sandbox) {
            (None, Some(_)) => {
                Some(tempfile::tempdir().map_err(|e| Error::file(&std::env::temp_dir(), e))?)
            }
            _ => None,
        };
        let ledger = match (&send.ledger, &temporary) {
            (Some(path), _) => path.clone(),
            (None, Some(dir)) => dir.path().join("ledger.sqlite"),
            (None, None) => ledger::default_path(),
        };
        Ok(Target {
            base_url,
            token,
            sandbox,
            ledger,
            _temporary: temporary,
        })
    }
}

/// The ledger this run uses, opened and locked, and how it is shown.
struct Opened {
    ledger: Ledger,
    shown: String,
    created: bool,
}

/// Opens the ledger (after the guard against a second ledger for the sheet) and says which.
fn open_ledger(
    send: &SendSettings,
    target: &Target,
    scope: &Scope,
    valid: &[Ready],
) -> Result<Opened, Error> {
    if target.sandbox.is_none() {
        refuse_a_second_ledger(send, &target.ledger, scope, valid)?;
    }
    let ledger = Ledger::open(&target.ledger)?;
    if let Some(pages) = send.ledger_growth_limit {
        ledger.limit_growth(pages)?;
    }
    let shown = ledger.path().display().to_string();
    let temporary = target._temporary.is_some();
    eprintln!(
        "ledger: {shown}{}",
        match (temporary, ledger.created()) {
            (true, _) => " (temporary, as the sandbox)",
            (false, true) => " (new: created by this run, it knows of no order sent before)",
            (false, false) => "",
        }
    );
    let created = ledger.created() && !temporary;
    Ok(Opened {
        ledger,
        shown,
        created,
    })
}

/// A new `--ledger` file while the default ledger holds orders of this sheet for the same
/// provider: the new ledger would know none of them and send them all again.
fn refuse_a_second_ledger(
    send: &SendSettings,
    path: &Path,
    scope: &Scope,
    valid: &[Ready],
) -> Result<(), Error> {
    if send.ledger.is_none() || send.new_ledger || path.exists() {
        return Ok(());
    }
    let default = ledger::default_path();
    if crate::same_file(&default, path) {
        return Ok(());
    }
    let keys: Vec<&str> = valid.iter().map(|o| o.key.as_str()).collect();
    let held = Ledger::holds(&default, scope, &keys)?;
    if held == 0 {
        return Ok(());
    }
    Err(Error::usage(format!(
        "--ledger {} is a new ledger, but the default ledger ({}) already holds {held} order(s) of this sheet sent to {}: a new ledger knows none of them and would send them again. Leave out --ledger to use the default one; only if you mean to send them again, add --new-ledger",
        path.display(),
        default.display(),
        scope.base_url
    )))
}

/// The first line of a run: what it does, with which endpoint, where to.
fn announce(send: &SendSettings, endpoint: crate::model::Endpoint, target: &Target) {
    eprintln!(
        "{} {} orders to {}{}",
        if send.dry_run {
            "dry run, nothing is sent: planning"
        } else {
            "sending"
        },
        endpoint.name(),
        target.base_url.url,
        if target.sandbox.is_some() {
            " (the in-process sandbox)"
        } else {
            ""
        }
    );
}

async fn submit_sheet(
    args: &SubmitArgs,
    settings: &Settings,
    send: &SendSettings,
) -> Result<i32, Error> {
    let started = Instant::now();
    let endpoint = settings.rules.endpoint;
    let target = Target::start(settings, send).await?;
    announce(send, endpoint, &target);
    let scope = Scope {
        base_url: target.base_url.key.clone(),
        endpoint: endpoint.name().to_string(),
    };
    let planning = Planning::of(settings, send.choices);
    // Each valid order kept as its body, not as the order: what holds a big sheet's memory.
    let mut readying = planning.readying();
    let mut checked = pipeline::check(settings, |index, order| readying.push((index, order)))?;
    let valid = readying.finish()?;
    if send.dry_run {
        return dry_run(
            args,
            (settings, send, planning),
            target,
            (scope, valid, checked),
            started,
        )
        .await;
    }
    let mut opened = open_ledger(send, &target, &scope, &valid)?;
    let token = target
        .token
        .as_ref()
        .ok_or_else(|| Error::bug("no token for a run that sends"))?;
    let client = Client::new(&target.base_url, token, send.timeout)?;
    let planned = crate::send::prepare(
        &mut opened.ledger,
        &scope,
        (&mut checked, valid),
        &client,
        planning,
    )
    .await?;
    let listed = print_plan(&checked, &planned, send, false);

    let (events, shown) = tokio::sync::mpsc::unbounded_channel();
    let show = report::progress::Show {
        progress: !args.no_progress,
    };
    let progress = tokio::spawn(report::progress::show(shown, planned.jobs.len(), show));
    let source = settings.sheet.display().to_string();
    let sending = Sending {
        client: &client,
        path: endpoint.path(),
        source: &source,
        options: &send.options,
        stop: None,
    };
    let (report, ledger) =
        crate::send::run(opened.ledger, scope, &planned.jobs, sending, events).await;
    let _ = progress.await;
    let unrecorded = ledger.err();
    if let Some(unrecorded) = &unrecorded {
        print_unrecorded(&opened.shown, unrecorded, &planned.jobs);
    }
    // The bodies are sent: their memory is the result file's now.
    drop(planned.jobs);
    let requests = (report.requests, report.sending);
    let stop = report.stop.clone();
    verdicts::sent(&mut checked, &planned.job_orders, report.sent);
    if let Some(sandbox) = target.sandbox {
        sandbox.shutdown().await;
    }
    let run = Run {
        requests,
        stop,
        ledger: opened.shown,
        ledger_created: opened.created,
        base_url: target.base_url.url,
        unrecorded: unrecorded.is_some(),
        started,
        sent_now: planned.job_orders.clone(),
        dry_run: false,
        listed,
    };
    finish(args, settings, &checked, run)
}

/// Says what is about to be sent (the check's problems, then one line with the time it takes
/// at the rate), before anything is; back comes what it listed, which the summary leaves out.
fn print_plan(
    checked: &Checked,
    planned: &plan::Plan,
    send: &SendSettings,
    dry_run: bool,
) -> Vec<usize> {
    let updates = planned
        .jobs
        .iter()
        .filter(|j| j.update_of.is_some())
        .count();
    let _ = report::summary::print_plan(
        checked,
        (&planned.job_orders, updates),
        send.options.rate,
        dry_run,
        report::summary::Paint::stderr(),
        &mut std::io::stderr().lock(),
    );
    report::summary::listed(checked)
}

/// `--dry-run`: the same plan as a real run, from the ledger read without writing to it and
/// without asking the provider anything (not even its listing of uncertain orders); the
/// orders a real run would send are `would_create` or `would_update` on their rows.
async fn dry_run(
    args: &SubmitArgs,
    (settings, send, planning): (&Settings, &SendSettings, Planning),
    target: Target,
    (scope, valid, mut checked): (Scope, Vec<Ready>, Checked),
    started: Instant,
) -> Result<i32, Error> {
    if target.sandbox.is_none() {
        refuse_a_second_ledger(send, &target.ledger, &scope, &valid)?;
    }
    let snapshot = Snapshot::open(&target.ledger)?;
    let shown = snapshot.path().display().to_string();
    let exists = snapshot.exists();
    eprintln!(
        "ledger: {shown} ({})",
        if exists {
            "only read: a dry run changes nothing in it"
        } else {
            "does not exist yet: a real run creates it"
        }
    );
    // A dry run reads no token; whether a real run would find one is worth a note.
    if let (None, Err(why)) = (&target.token, Token::load(args.to.token_file.as_deref())) {
        checked.notes.push(format!(
            "a dry run sends nothing and needs no token, but a real run would stop: {why}"
        ));
    }
    let planned = crate::send::foresee(&snapshot, &scope, (&mut checked, valid), planning)?;
    verdicts::would_send(&mut checked, &planned);
    let listed = print_plan(&checked, &planned, send, true);
    // The bodies are not sent: their memory is the result file's.
    drop(planned.jobs);
    if let Some(sandbox) = target.sandbox {
        sandbox.shutdown().await;
    }
    let run = Run {
        requests: (0, std::time::Duration::ZERO),
        stop: None,
        ledger: shown,
        ledger_created: !exists,
        base_url: target.base_url.url,
        unrecorded: false,
        started,
        sent_now: planned.job_orders.clone(),
        dry_run: true,
        listed,
    };
    finish(args, settings, &checked, run)
}

/// What a sending run did, for its outputs.
struct Run {
    requests: (u64, std::time::Duration),
    stop: Option<Stop>,
    ledger: String,
    ledger_created: bool,
    base_url: String,
    unrecorded: bool,
    started: Instant,
    /// The orders this run sent (a dry run: would send).
    sent_now: Vec<usize>,
    dry_run: bool,
    /// How many problems of each row were listed before sending.
    listed: Vec<usize>,
}

/// The result file(s), the summary and the exit code.
fn finish(
    args: &SubmitArgs,
    settings: &Settings,
    checked: &Checked,
    run: Run,
) -> Result<i32, Error> {
    let written =
        report::write_result(checked, &settings.output).and_then(|()| match &args.failed_rows {
            Some(path) => report::write_failed_rows(checked, path).map(drop),
            None => Ok(()),
        });
    // The run sent orders: a file that could not be written after all (the disk filled up
    // meanwhile) is said, and the exit code is never "could not run".
    let write_failed = match written {
        Ok(()) => false,
        Err(e) if run.dry_run => {
            eprintln!("error: {e}");
            true
        }
        Err(e) => {
            eprintln!("error: {e}; the orders were sent as the summary below says, and the ledger holds them");
            true
        }
    };
    let summary = report::summary::Sending {
        requests: run.requests.0,
        elapsed: run.started.elapsed(),
        sending: run.requests.1,
        ledger: run.ledger,
        ledger_created: run.ledger_created,
        base_url: run.base_url,
        failed_rows: args.failed_rows.as_ref().map(|p| p.display().to_string()),
        stopped: run.stop.as_ref().map(Stop::reason),
        sent_now: run.sent_now,
        dry_run: run.dry_run,
        listed: Some(run.listed),
    };
    let mut stderr = std::io::stderr().lock();
    let _ = report::summary::print_human(
        checked,
        settings,
        Some(&summary),
        report::summary::Paint::stderr(),
        &mut stderr,
    );
    if settings.json {
        report::stdout_line(&report::summary::json(checked, settings, Some(&summary)).to_string());
    }
    Ok(match run.stop {
        _ if run.unrecorded => exit::LEDGER_FAILED,
        Some(Stop::LedgerFailed(_)) => exit::LEDGER_FAILED,
        Some(Stop::Refused) => exit::REFUSED,
        Some(Stop::Interrupted) => exit::INTERRUPTED,
        _ if write_failed => exit::SOME_FAILED,
        None if checked
            .orders
            .iter()
            .all(|o| o.status.is_created_or_would_be()) =>
        {
            exit::OK
        }
        _ => exit::SOME_FAILED,
    })
}

/// A ledger that could not be written: every answer it lacks, on stderr, so that nothing the
/// provider did is lost (the next run asks the provider about the orders left `sending`, but
/// only this list is sure).
fn print_unrecorded(ledger: &str, unrecorded: &Unrecorded, jobs: &[Job]) {
    eprintln!(
        "error: the ledger {ledger} could not be written ({}); sending stopped at once.",
        unrecorded.error
    );
    let rows = |key: &str| {
        jobs.iter()
            .find(|j| j.key == key)
            .map(|j| {
                let rows: Vec<String> = j.rows.iter().map(u32::to_string).collect();
                format!(" (rows {})", rows.join(", "))
            })
            .unwrap_or_default()
    };
    let lines: Vec<String> = unrecorded
        .changes
        .iter()
        .filter_map(|change| match change {
            Change::Settle {
                key,
                state: State::Created,
                ids,
                ..
            } => Some(format!(
                "  {key}{}: created as {}{}",
                rows(key),
                ids.as_ref().map_or("?", |i| i.order_uuid.as_str()),
                ids.as_ref()
                    .and_then(|i| i.customer_uuid.as_deref())
                    .map(|c| format!(", customer {c}"))
                    .unwrap_or_default()
            )),
            Change::Settle {
                key,
                state: State::Uncertain,
                error,
                ..
            } => Some(format!(
                "  {key}{}: no answer ({}): the provider may have created it",
                rows(key),
                error.as_deref().unwrap_or("")
            )),
            Change::Settle {
                key,
                state: State::Rejected,
                ..
            } => Some(format!("  {key}{}: rejected by the provider", rows(key))),
            _ => None,
        })
        .collect();
    if lines.is_empty() {
        eprintln!("No answer from the provider was lost: every one is in the ledger.");
    } else {
        eprintln!(
            "These {} answer(s) from the provider are NOT in the ledger; keep this list:",
            lines.len()
        );
        for line in lines {
            eprintln!("{line}");
        }
    }
    eprintln!(
        "Free space (or fix the ledger's file) before the next run: it treats these orders as uncertain and asks the provider about them."
    );
}
