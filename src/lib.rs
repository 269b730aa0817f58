//! fpgo-export turns order spreadsheets into invoice orders at Front Payment Go (FPGO).
//!
//! The layout is the data flow, and dependencies point one way: [`model`] (the shared types)
//! ← [`pipeline`] (the offline half: read → map → group → price → validate) ← [`send`] (the
//! online half: plan, ledger, dispatch) with [`api`] (the provider's wire). [`report`] writes
//! what became of every row; [`sandbox`] is the local FPGO; [`web`] is the browser app.
//! [`settings`] turns the command line and the config into what each part needs; [`commands`] holds each command's glue;
//! [`run`] is what the binary calls.

pub mod api;
pub mod cli;
pub mod commands;
pub mod error;
pub mod exit;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod sandbox;
pub mod send;
pub mod settings;
pub mod web;

use cli::{Cli, Command};
use error::Error;
use settings::Settings;
use std::path::{Path, PathBuf};

/// Runs a command line and returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Submit(args) => commands::submit::run(&args),
        Command::Sandbox(args) => commands::sandbox::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Status(args) => commands::status::run(&args),
        Command::Cancel(args) => commands::cancel::run(&args),
        Command::Init(args) => commands::init::run(&args),
        Command::Completions(args) => commands::completions::run(&args),
        Command::Man => commands::man::run(),
        Command::Template(args) => commands::template::run(&args),
    }
}

/// The files a run writes must not be the files it reads: `--output orders.csv` on
/// `orders.csv` would replace the user's sheet with the result.
pub(crate) fn refuse_to_overwrite_inputs(
    settings: &Settings,
    extra: &[(&str, Option<&Path>)],
) -> Result<(), Error> {
    let inputs: Vec<(&str, &Path)> = std::iter::once(("the sheet", settings.sheet.as_path()))
        .chain(settings.config.as_deref().map(|c| ("the config file", c)))
        .collect();
    let mut outputs = vec![("--output", settings.output.as_path())];
    for (flag, path) in extra {
        let Some(path) = path else { continue };
        if let Some((other, _)) = outputs.iter().find(|(_, o)| same_file(path, o)) {
            return Err(Error::usage(format!(
                "{flag} {} is also the file of {other}; give them different names",
                path.display()
            )));
        }
        outputs.push((flag, path));
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
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
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
