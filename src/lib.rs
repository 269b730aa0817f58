//! fpgo-export turns order spreadsheets into invoice orders at Front Payment Go (FPGO).
//!
//! The pipeline is the layout: [`read`] → [`columns`] (map) → [`group`] → [`validate`]
//! (price and validate, with [`money`] and [`norway`]) → [`report`]. [`check`] runs the
//! stages in order; [`run`] is what the binary calls.

pub mod api;
pub mod check;
pub mod cli;
pub mod columns;
pub mod countries;
pub mod error;
pub mod exit;
pub mod group;
pub mod money;
pub mod norway;
pub mod order;
pub mod problem;
pub mod read;
pub mod report;
pub mod sandbox;
pub mod settings;
pub mod template;
pub mod validate;
pub mod values;

use api::wire::InvoiceSessionRequest;
use cli::{CheckArgs, Cli, Command};
use error::Error;
use report::AtomicFile;
use settings::Settings;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Runs a command line and returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Check(args) => run_check(&args),
        Command::Sandbox(args) => run_sandbox(&args),
        Command::Template(args) => {
            template::write(&args.output)?;
            eprintln!("wrote {}", args.output.display());
            Ok(exit::OK)
        }
    }
}

/// Serves the sandbox until Ctrl-C or SIGTERM.
fn run_sandbox(args: &cli::SandboxArgs) -> Result<i32, Error> {
    let config = settings::sandbox_config(args)?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| Error::usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let seed = config.seed;
        let sandbox = sandbox::Sandbox::start(config).await?;
        eprintln!("FPGO sandbox serving {}", sandbox.base_url());
        eprintln!("token: {}", sandbox.token());
        eprintln!("seed: {seed} (--seed {seed} replays the same faults and ids)");
        eprintln!(
            "introspection: {}/__sandbox/orders, /__sandbox/stats, POST /__sandbox/reset",
            sandbox.root_url()
        );
        eprintln!("Ctrl-C stops it.");
        stopped().await;
        eprintln!("stopping: letting requests in flight finish");
        sandbox.shutdown().await;
        Ok(exit::OK)
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stopped() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

fn run_check(args: &CheckArgs) -> Result<i32, Error> {
    let settings = Settings::resolve(&args.sheet)?;
    refuse_to_overwrite_inputs(&settings, args.payloads.as_deref())?;
    let mut payloads = match &args.payloads {
        Some(path) => Some((path, AtomicFile::create(path)?)),
        None => None,
    };
    let checked = check::check(&settings, |order| {
        if let Some((path, file)) = payloads.as_mut() {
            let line = serde_json::json!({
                "order_ref": order.key,
                "rows": order.rows(),
                "payload": InvoiceSessionRequest::new(order),
            });
            serde_json::to_writer(&mut file.writer, &line)
                .map_err(std::io::Error::from)
                .and_then(|_| file.writer.write_all(b"\n"))
                .map_err(|e| Error::file(path, e))?;
        }
        Ok(())
    })?;
    report::write_result(&checked, &settings.output)?;
    if let Some((_, file)) = payloads {
        file.commit()?;
    }
    let mut stderr = std::io::stderr().lock();
    // A closed stderr must not turn a finished run into a failure.
    let _ = report::summary::print_human(&checked, &settings, &mut stderr);
    if settings.json {
        println!("{}", report::summary::json(&checked, &settings));
    }
    Ok(if checked.valid_orders() == checked.orders.len() {
        exit::OK
    } else {
        exit::SOME_FAILED
    })
}

/// The files a run writes must not be the files it reads: `--output orders.csv` on
/// `orders.csv` would replace the user's sheet with the result.
fn refuse_to_overwrite_inputs(settings: &Settings, payloads: Option<&Path>) -> Result<(), Error> {
    let inputs: Vec<(&str, &Path)> = std::iter::once(("the sheet", settings.sheet.as_path()))
        .chain(settings.config.as_deref().map(|c| ("the config file", c)))
        .collect();
    let mut outputs = vec![("--output", settings.output.as_path())];
    if let Some(p) = payloads {
        if same_file(p, &settings.output) {
            return Err(Error::usage(format!(
                "--payloads {} is also the result file; give them different names",
                p.display()
            )));
        }
        outputs.push(("--payloads", p));
    }
    for (flag, output) in outputs {
        if let Some((what, _)) = inputs.iter().find(|(_, input)| same_file(output, input)) {
            return Err(Error::usage(format!(
                "{flag} {} is {what}; writing there would replace it: choose another file",
                output.display()
            )));
        }
    }
    Ok(())
}

/// Whether two paths name the same file; the first may not exist yet.
fn same_file(a: &Path, b: &Path) -> bool {
    fn absolute(p: &Path) -> Option<PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        Some(parent.canonicalize().ok()?.join(p.file_name()?))
    }
    match (absolute(a), absolute(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}
