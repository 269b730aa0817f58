//! `fpgo-export submit`: check the sheet, ask the ledger what each valid order needs, send what
//! must be sent (`submit.rs`), record the outcome on the sheet's rows, write the result file(s)
//! and the summary, and pick the exit code.

use crate::api::client::Client;
use crate::api::outcome::locate;
use crate::api::target::{BaseUrl, Token};
use crate::api::wire;
use crate::cli::SubmitArgs;
use crate::error::Error;
use crate::exit;
use crate::model::order::Order;
use crate::model::outcome::RowStatus;
use crate::model::outcome::Sent;
use crate::model::problem::{Problem, Severity};
use crate::pipeline::{self as check, Checked};
use crate::report;
use crate::sandbox::{self, Sandbox};
use crate::send::dispatch::{self, send, Job, Stop};
use crate::send::ledger::{self, Change, Ledger, Record, Scope, State, Unrecorded};
use crate::send::plan::{self, Choices, Decision, Lookup};
use crate::settings::Settings;
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub fn run(args: &SubmitArgs) -> Result<i32, Error> {
    let settings = Settings::resolve(&args.sheet)?;
    crate::refuse_to_overwrite_inputs(
        &settings,
        &[("--failed-rows", args.failed_rows.as_deref())],
    )?;
    // One thread is plenty for requests that mostly wait, and it spends the least CPU per
    // order (no wake-ups across threads).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::bug(format!("the async runtime did not start: {e}")))?;
    runtime.block_on(submit_sheet(args, &settings))
}

/// Where orders go: the base URL, the token, and the in-process sandbox when there is one.
async fn target(
    args: &SubmitArgs,
    settings: &Settings,
) -> Result<(BaseUrl, Token, Option<Sandbox>), Error> {
    if args.sandbox {
        let config = sandbox::Config {
            date_format: settings.date_format,
            token: format!("sandbox-{}", std::process::id()),
            rate_limit: args.sandbox_rate_limit.unwrap_or(240),
            seed: u64::from(std::process::id()),
            ..sandbox::Config::default()
        };
        let sandbox = Sandbox::start(config).await?;
        let token = Token::new(sandbox.token()).map_err(Error::usage)?;
        return Ok((BaseUrl::parse(&sandbox.base_url())?, token, Some(sandbox)));
    }
    let base_url = args
        .base_url
        .as_deref()
        .unwrap_or_else(|| args.environment.url());
    let base_url = BaseUrl::parse(base_url)?;
    Ok((base_url, Token::load(args.token_file.as_deref())?, None))
}

/// A new `--ledger` file while the default ledger holds orders of this sheet for the same
/// provider: the new ledger would know none of them and send them all again.
fn refuse_a_second_ledger(
    args: &SubmitArgs,
    path: &std::path::Path,
    scope: &Scope,
    valid: &[(usize, Order)],
) -> Result<(), Error> {
    if args.ledger.is_none() || args.new_ledger || path.exists() {
        return Ok(());
    }
    let default = ledger::default_path();
    if crate::same_file(&default, path) {
        return Ok(());
    }
    let keys: Vec<&str> = valid.iter().map(|(_, o)| o.key.as_str()).collect();
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

async fn submit_sheet(args: &SubmitArgs, settings: &Settings) -> Result<i32, Error> {
    let started = Instant::now();
    let endpoint = settings.rules.endpoint;
    let (base_url, token, sandbox) = target(args, settings).await?;
    // The in-process sandbox forgets its orders when it stops: so does its ledger.
    let temporary = tempfile::tempdir().map_err(|e| Error::file(&std::env::temp_dir(), e))?;
    let ledger_path: PathBuf = match (&args.ledger, &sandbox) {
        (Some(path), _) => path.clone(),
        (None, Some(_)) => temporary.path().join("ledger.sqlite"),
        (None, None) => ledger::default_path(),
    };
    eprintln!(
        "sending {} orders to {}{}",
        endpoint.name(),
        base_url.url,
        if sandbox.is_some() {
            " (the in-process sandbox)"
        } else {
            ""
        }
    );
    let scope = Scope {
        base_url: base_url.key.clone(),
        endpoint: endpoint.name().to_string(),
    };

    let mut valid: Vec<(usize, Order)> = Vec::new();
    let mut checked = check::check(settings, |index, order| {
        valid.push((index, order.clone()));
        Ok(())
    })?;
    if sandbox.is_none() {
        refuse_a_second_ledger(args, &ledger_path, &scope, &valid)?;
    }
    let mut ledger = Ledger::open(&ledger_path)?;
    if let Some(pages) = args.ledger_growth_limit {
        ledger.limit_growth(pages)?;
    }
    let ledger_shown = ledger.path().display().to_string();
    let ledger_created = ledger.created() && !(sandbox.is_some() && args.ledger.is_none());
    eprintln!(
        "ledger: {ledger_shown}{}",
        match (sandbox.is_some() && args.ledger.is_none(), ledger.created()) {
            (true, _) => " (temporary, as the sandbox)",
            (false, true) => " (new: created by this run, it knows of no order sent before)",
            (false, false) => "",
        }
    );
    let recovered = ledger.recover(&scope)?;
    if recovered > 0 {
        checked.notes.push(format!(
            "{recovered} order(s) were being sent when an earlier run stopped; they are uncertain until the provider says"
        ));
    }
    let client = Client::new(&base_url, &token, Duration::from_secs(args.timeout))?;
    let choices = Choices {
        retry_uncertain: args.retry_uncertain,
        update: args.update,
    };

    // Orders an earlier run left uncertain (creates, not updates: an update's order is there
    // either way): ask the provider whether it has them.
    let mut records = Vec::with_capacity(valid.len());
    for (_, order) in &valid {
        records.push(ledger.get(&scope, &order.key)?);
    }
    let wanted: Vec<(String, Decimal)> = valid
        .iter()
        .zip(&records)
        .filter(|(_, r)| {
            r.as_ref()
                .is_some_and(|r| r.state == State::Uncertain && r.order_uuid.is_none())
        })
        .map(|((_, o), _)| (o.key.clone(), o.summary.grand_total))
        .collect();
    let lookup = plan::ask_provider(&client, &wanted).await;
    for (key, ids) in &lookup.found {
        ledger.settle(&scope, key, State::Created, Some(ids), None)?;
    }
    if let Some(why) = &lookup.unread {
        checked.notes.push(format!(
            "could not ask the provider about {} uncertain order(s): {why}",
            wanted.len()
        ));
    }

    let (jobs, job_orders) = plan_jobs(&mut checked, &valid, &records, &lookup, settings, choices);
    let options = dispatch::Options {
        rate: args.rate,
        workers: args.workers,
        max_attempts: args.max_attempts,
        retry_base: Duration::from_millis(args.retry_base_ms),
        max_wait: Duration::from_secs(args.max_wait),
    };
    let source = settings.sheet.display().to_string();
    // While sending, the ledger lives on its own thread (commits in batches, never blocking
    // the requests); it comes back, with every change on disk, when sending ends.
    let writer = ledger::Writer::start(ledger, scope);
    let (events, shown) = tokio::sync::mpsc::unbounded_channel();
    let show = report::progress::Show {
        progress: !args.no_progress,
        verbose: args.verbose,
    };
    let progress = tokio::spawn(report::progress::show(shown, jobs.len(), show));
    let sending = send(
        &jobs,
        endpoint.path(),
        &client,
        &writer,
        &source,
        &options,
        events,
    )
    .await;
    let _ = progress.await;
    let unrecorded = writer.finish().err();
    if let Some(unrecorded) = &unrecorded {
        print_unrecorded(&ledger_shown, unrecorded, &jobs);
    }
    record_sent(&mut checked, &job_orders, sending.sent);
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }

    let written =
        report::write_result(&checked, &settings.output).and_then(|()| match &args.failed_rows {
            Some(path) => report::write_failed_rows(&checked, path).map(drop),
            None => Ok(()),
        });
    match written {
        Ok(()) => {}
        // The run already sent orders: its exit code says so, not "could not run".
        Err(e) if unrecorded.is_some() => eprintln!("error: {e}"),
        Err(e) => return Err(e),
    }
    let stopped = match &sending.stop {
        Some(Stop::LedgerFailed(why)) => Some(format!("the ledger could not be written: {why}")),
        Some(Stop::Redirected(why) | Stop::Unreachable(why) | Stop::RateLimited(why)) => {
            Some(why.clone())
        }
        Some(Stop::Refused) => Some("the provider refused the token".into()),
        Some(Stop::Interrupted) => Some("interrupted".into()),
        None => None,
    };
    let elapsed = started.elapsed();
    let summary = report::summary::Sending {
        requests: sending.requests,
        elapsed,
        sending: sending.sending,
        ledger: ledger_shown,
        ledger_created,
        base_url: base_url.url,
        failed_rows: args.failed_rows.as_ref().map(|p| p.display().to_string()),
        stopped,
    };
    let mut stderr = std::io::stderr().lock();
    let _ = report::summary::print_human(&checked, settings, Some(&summary), &mut stderr);
    if settings.json {
        report::stdout_line(&report::summary::json(&checked, settings, Some(&summary)).to_string());
    }
    drop(temporary);
    Ok(match sending.stop {
        _ if unrecorded.is_some() => exit::LEDGER_FAILED,
        Some(Stop::LedgerFailed(_)) => exit::LEDGER_FAILED,
        Some(Stop::Refused) => exit::REFUSED,
        Some(Stop::Interrupted) => exit::INTERRUPTED,
        None if checked.orders.iter().all(|o| o.status.is_created()) => exit::OK,
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

/// The ledger's verdict on each valid order: the orders to send as jobs (with the index of
/// their order), the others' status recorded on the sheet at once.
fn plan_jobs(
    checked: &mut Checked,
    valid: &[(usize, Order)],
    records: &[Option<Record>],
    lookup: &Lookup,
    settings: &Settings,
    choices: Choices,
) -> (Vec<Job>, Vec<usize>) {
    let endpoint = settings.rules.endpoint;
    let mut jobs: Vec<Job> = Vec::new();
    let mut job_orders: Vec<usize> = Vec::new();
    for ((index, order), record) in valid.iter().zip(records) {
        let mut payload = wire::body(order, endpoint, settings.date_format);
        let fingerprint = plan::fingerprint(&payload);
        let decision = match lookup.found.get(&order.key) {
            Some(ids) => Decision::AlreadyCreated(ids.clone()),
            None => plan::decide(record.as_ref(), &fingerprint, choices),
        };
        let note = |severity, message: String| {
            vec![(
                None,
                Problem {
                    severity,
                    ..Problem::error(0, None, message)
                },
            )]
        };
        match decision {
            Decision::Send { update_of } => {
                let update_of = match &order.fpgo_uuid {
                    Some(uuid) => Some(uuid.clone()),
                    None => {
                        if let Some(uuid) = &update_of {
                            payload["fpgoUuid"] = Value::String(uuid.clone());
                            payload["orderFrom"] = Value::String("PARTNER".into());
                        }
                        update_of
                    }
                };
                jobs.push(Job {
                    key: order.key.clone(),
                    body: payload.to_string().into_bytes(),
                    fingerprint,
                    rows: order.rows(),
                    update_of,
                });
                job_orders.push(*index);
            }
            Decision::AlreadyCreated(ids) => {
                checked.settle(*index, RowStatus::AlreadyCreated, Some(ids), &[])
            }
            Decision::Changed(ids) => {
                let message = format!(
                    "created earlier as {}; its content changed since: --update sends the change",
                    ids.order_uuid
                );
                checked.settle(
                    *index,
                    RowStatus::Changed,
                    Some(ids),
                    &note(Severity::Warning, message),
                );
            }
            Decision::UpdateUncertain(ids, why) => {
                let message = format!(
                    "an update of {} sent by an earlier run got no answer ({why}): it may or may not have been applied, so it is not counted done. --update sends the update again (always as an update of {0}, never as a new order)",
                    ids.order_uuid
                );
                checked.settle(
                    *index,
                    RowStatus::Uncertain,
                    Some(ids),
                    &note(Severity::Error, message),
                );
            }
            Decision::Uncertain(why) => {
                let doubt = lookup
                    .doubts
                    .get(&order.key)
                    .map(|d| format!(" {d}."))
                    .unwrap_or_default();
                let message = format!(
                    "an earlier run got no answer ({why}); the provider may have it.{doubt} Not sent again: check with the provider, or send it again with --retry-uncertain"
                );
                checked.settle(
                    *index,
                    RowStatus::Uncertain,
                    None,
                    &note(Severity::Error, message),
                );
            }
            Decision::Rejected(why) => {
                let message =
                    format!("rejected by the provider before, with the same content: {why}");
                checked.settle(
                    *index,
                    RowStatus::Rejected,
                    None,
                    &note(Severity::Error, message),
                );
            }
        }
    }

    (jobs, job_orders)
}

/// What became of each job, on its order's rows; the provider's messages on the line and
/// column they name.
fn record_sent(checked: &mut Checked, job_orders: &[usize], sent: Vec<Sent>) {
    for (order, sent) in job_orders.iter().zip(sent) {
        let note = |message: String| vec![(None, Problem::error(0, None, message))];
        match sent {
            Sent::Created(ids) => checked.settle(*order, RowStatus::Created, Some(ids), &[]),
            Sent::Rejected(messages) => {
                let problems: Vec<(Option<usize>, Problem)> = messages
                    .iter()
                    .map(|m| {
                        let (line, field) = locate(m);
                        (line, Problem::error(0, field, format!("the provider says: {m}")))
                    })
                    .collect();
                checked.settle(*order, RowStatus::Rejected, None, &problems);
            }
            Sent::Failed(why) => checked.settle(*order, RowStatus::Failed, None, &note(format!("not created: {why}"))),
            Sent::Uncertain(why) => checked.settle(
                *order,
                RowStatus::Uncertain,
                None,
                &note(format!(
                    "no answer ({why}); the provider may have created it. The next run asks the provider; --retry-uncertain sends it again"
                )),
            ),
            Sent::Skipped(why) => checked.settle(*order, RowStatus::Skipped, None, &note(why)),
        }
    }
}
