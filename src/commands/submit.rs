//! `fpgo-export submit`: check the sheet, ask the ledger what each valid order needs, send what
//! must be sent (`submit.rs`), record the outcome on the sheet's rows, write the result file(s)
//! and the summary, and pick the exit code.

use crate::api::client::Client;
use crate::api::outcome::locate;
use crate::api::wire;
use crate::check::{self, Checked, RowStatus};
use crate::cli::SubmitArgs;
use crate::error::Error;
use crate::exit;
use crate::ledger::{self, Ids, Ledger, Record, Scope, State};
use crate::order::Order;
use crate::plan::{self, Choices, Decision};
use crate::problem::{Problem, Severity};
use crate::report;
use crate::sandbox::{self, Sandbox};
use crate::settings::Settings;
use crate::submit::{self, Job, Sent, Stop};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The provider's environments (fpgo-api.md).
fn environment_url(name: &str) -> &'static str {
    match name {
        "production" => "https://apigo.frontpayment.no/api/v1",
        _ => "https://demo-api.frontpayment.no/api/v1",
    }
}

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
        .map_err(|e| Error::usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(submit_sheet(args, &settings))
}

/// Where orders go: the base URL, the token, and the in-process sandbox when there is one.
async fn target(
    args: &SubmitArgs,
    settings: &Settings,
) -> Result<(String, String, Option<Sandbox>), Error> {
    if args.sandbox {
        let config = sandbox::Config {
            date_format: settings.date_format,
            token: format!("sandbox-{}", std::process::id()),
            rate_limit: args.sandbox_rate_limit.unwrap_or(240),
            seed: u64::from(std::process::id()),
            ..sandbox::Config::default()
        };
        let sandbox = Sandbox::start(config).await?;
        return Ok((
            sandbox.base_url(),
            sandbox.token().to_string(),
            Some(sandbox),
        ));
    }
    let base_url = args
        .base_url
        .clone()
        .unwrap_or_else(|| environment_url(&args.environment).to_string());
    check_base_url(&base_url)?;
    let token = match &args.token_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Error::file(path, e))?
            .trim()
            .to_string(),
        None => std::env::var("FPGO_TOKEN")
            .unwrap_or_default()
            .trim()
            .to_string(),
    };
    if token.is_empty() {
        return Err(Error::usage(
            "no token: set the FPGO_TOKEN environment variable or give --token-file FILE (try --sandbox to send to a local FPGO without one)",
        ));
    }
    Ok((base_url.trim_end_matches('/').to_string(), token, None))
}

/// An https URL, or http to a loopback host: never send a token over a network in clear.
fn check_base_url(url: &str) -> Result<(), Error> {
    let host_of = |rest: &str| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = if let Some(v6) = authority.strip_prefix('[') {
            v6.split(']').next().unwrap_or("")
        } else {
            authority.rsplit_once(':').map_or(authority, |(h, _)| h)
        };
        host.to_string()
    };
    if let Some(rest) = url.strip_prefix("https://") {
        if !host_of(rest).is_empty() {
            return Ok(());
        }
    } else if let Some(rest) = url.strip_prefix("http://") {
        let host = host_of(rest);
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            return Ok(());
        }
        return Err(Error::usage(format!(
            "--base-url {url}: plain http is allowed only on loopback (127.0.0.1, localhost); use https"
        )));
    }
    Err(Error::usage(format!(
        "--base-url {url}: write a full URL such as https://demo-api.frontpayment.no/api/v1"
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
        "sending {} orders to {base_url}{}",
        endpoint.name(),
        if sandbox.is_some() {
            " (the in-process sandbox)"
        } else {
            ""
        }
    );
    eprintln!(
        "ledger: {}{}",
        ledger_path.display(),
        if sandbox.is_some() && args.ledger.is_none() {
            " (temporary, as the sandbox)"
        } else {
            ""
        }
    );
    let mut ledger = Ledger::open(&ledger_path)?;
    let scope = Scope {
        base_url: base_url.clone(),
        endpoint: endpoint.name().to_string(),
    };
    let recovered = ledger.recover(&scope)?;

    let mut valid: Vec<(usize, Order)> = Vec::new();
    let mut checked = check::check(settings, |index, order| {
        valid.push((index, order.clone()));
        Ok(())
    })?;
    if recovered > 0 {
        checked.notes.push(format!(
            "{recovered} order(s) were being sent when an earlier run stopped; they are uncertain until the provider says"
        ));
    }
    let client = Client::new(&base_url, &token, Duration::from_secs(args.timeout.max(1)))?;
    let choices = Choices {
        retry_uncertain: args.retry_uncertain,
        update: args.update,
    };

    // Orders an earlier run left uncertain: ask the provider whether it has them.
    let mut records = Vec::with_capacity(valid.len());
    for (_, order) in &valid {
        records.push(ledger.get(&scope, &order.key)?);
    }
    let uncertain: Vec<String> = valid
        .iter()
        .zip(&records)
        .filter(|(_, r)| r.as_ref().is_some_and(|r| r.state == State::Uncertain))
        .map(|((_, o), _)| o.key.clone())
        .collect();
    let known = plan::ask_provider(&client, &uncertain).await;
    for (key, ids) in &known {
        ledger.settle(&scope, key, State::Created, Some(ids), None)?;
    }

    let (jobs, job_orders) = plan_jobs(&mut checked, &valid, &records, &known, settings, choices);
    let options = submit::Options {
        rate: args.rate.max(1),
        workers: args.workers.max(1),
        max_attempts: args.max_attempts.max(1),
        retry_base: Duration::from_millis(args.retry_base_ms),
        progress: !args.no_progress,
        verbose: args.verbose,
    };
    let source = settings.sheet.display().to_string();
    // While sending, the ledger lives on its own thread (commits in batches, never blocking
    // the requests); it comes back, with every change on disk, when sending ends.
    let writer = ledger::Writer::start(ledger, scope);
    let sending = submit::send(&jobs, endpoint.path(), &client, &writer, &source, &options).await;
    writer.finish()?;
    let sending = sending?;
    record_sent(&mut checked, &job_orders, sending.sent);
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }

    report::write_result(&checked, &settings.output)?;
    if let Some(path) = &args.failed_rows {
        report::write_failed_rows(&checked, path)?;
    }
    let elapsed = started.elapsed();
    let summary = report::summary::Sending {
        requests: sending.requests,
        elapsed,
        sending: sending.sending,
        ledger: ledger_path.display().to_string(),
        base_url,
        failed_rows: args.failed_rows.as_ref().map(|p| p.display().to_string()),
    };
    let mut stderr = std::io::stderr().lock();
    let _ = report::summary::print_human(&checked, settings, Some(&summary), &mut stderr);
    if settings.json {
        println!(
            "{}",
            report::summary::json(&checked, settings, Some(&summary))
        );
    }
    drop(temporary);
    Ok(match sending.stop {
        Some(Stop::Refused) => exit::REFUSED,
        Some(Stop::Interrupted) => exit::INTERRUPTED,
        None if checked.orders.iter().all(|o| o.status.is_created()) => exit::OK,
        None => exit::SOME_FAILED,
    })
}

/// The ledger's verdict on each valid order: the orders to send as jobs (with the index of
/// their order), the others' status recorded on the sheet at once.
fn plan_jobs(
    checked: &mut Checked,
    valid: &[(usize, Order)],
    records: &[Option<Record>],
    known: &HashMap<String, Ids>,
    settings: &Settings,
    choices: Choices,
) -> (Vec<Job>, Vec<usize>) {
    let endpoint = settings.rules.endpoint;
    let mut jobs: Vec<Job> = Vec::new();
    let mut job_orders: Vec<usize> = Vec::new();
    for ((index, order), record) in valid.iter().zip(records) {
        let mut payload = wire::body(order, endpoint, settings.date_format);
        let fingerprint = plan::fingerprint(&payload);
        let decision = match known.get(&order.key) {
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
                if let Some(uuid) = update_of.filter(|_| order.fpgo_uuid.is_none()) {
                    payload["fpgoUuid"] = Value::String(uuid);
                    payload["orderFrom"] = Value::String("PARTNER".into());
                }
                jobs.push(Job {
                    key: order.key.clone(),
                    body: payload.to_string().into_bytes(),
                    fingerprint,
                    rows: order.rows(),
                    update: payload.get("fpgoUuid").is_some(),
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
            Decision::Uncertain(why) => {
                let message = format!(
                    "an earlier run got no answer ({why}); the provider may have it. Not sent again: check with the provider, or send it again with --retry-uncertain"
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

#[cfg(test)]
mod tests {
    use super::check_base_url;

    #[test]
    fn clear_http_only_on_loopback() {
        assert!(check_base_url("https://demo-api.frontpayment.no/api/v1").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080/api/v1").is_ok());
        assert!(check_base_url("http://localhost:8080/api/v1").is_ok());
        assert!(check_base_url("http://[::1]:8080/api/v1").is_ok());
        assert!(check_base_url("http://demo-api.frontpayment.no/api/v1").is_err());
        assert!(check_base_url("http://127.0.0.1.example.com/api").is_err());
        assert!(check_base_url("demo-api.frontpayment.no").is_err());
    }
}
