//! The command line: clap derive types only, no logic (the model's fixed choices are offered
//! through `ValueEnum`).

use crate::api::target::Environment;
use crate::model::{DateFormat, Endpoint};
use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The end of the top-level help: every exit code of `exit.rs`, and where the rest is written.
const AFTER_HELP: &str = "\
Exit codes:
  0    every order valid (check), or created or already created (submit), every status read
       (status), every order cancelled (cancel)
  1    the run finished, but some orders are invalid or were not created: see the result file
       (status: some statuses not read; cancel: some orders not cancelled)
  2    could not run: arguments, an unreadable file, missing columns, a bad config
  3    the provider refused the token (401/403); nothing more was sent
  4    the ledger could not be written; every answer it could not record is on stderr
  70   a bug in fpgo-export: the message says what to report
  130  interrupted (Ctrl-C, SIGTERM), after the requests in flight were recorded

First run: `fpgo-export init SHEET` writes a commented fpgo-export.toml beside the sheet.
Documentation: README.md, and docs/columns.md (headers), docs/values.md, docs/money.md,
docs/validation.md, docs/config.md, docs/submit.md, docs/status.md, docs/regular-invoice.md,
docs/sandbox.md, docs/exit-codes.md.";

#[derive(Debug, Parser)]
#[command(
    name = "fpgo-export",
    version,
    about = "Turns order spreadsheets (CSV, XLSX) into invoice orders at Front Payment Go",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More detail on stderr: -v every request and answer, -vv retries, waits and the
    /// ledger's commits, -vvv everything (RUST_LOG, when set, decides instead). Never the token;
    /// personal numbers masked.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read, validate and price a sheet without sending anything; write the per-row result file.
    Check(CheckArgs),
    /// Check a sheet, then send every valid order exactly once, at the provider's pace,
    /// resumable after any crash; write the per-row result file.
    Submit(SubmitArgs),
    /// Ask the provider the status of every order the ledger holds as created (paid, expired,
    /// cancelled, …), record it with its history, and write a report (CSV, JSON or XLSX).
    Status(StatusArgs),
    /// Cancel orders at the provider by their order ids (ODR…), with a note; only orders the
    /// ledger holds as created unless --force.
    Cancel(CancelArgs),
    /// Write a ready-to-fill sheet (CSV or XLSX by extension) with every column and an example.
    Template(TemplateArgs),
    /// Write a commented config file (fpgo-export.toml) with every order-level default
    /// explained: beside SHEET when one is given, else in the current directory.
    Init(InitArgs),
    /// Print a shell completion script on stdout (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout: `fpgo-export man > fpgo-export.1`.
    Man,
    /// Serve the browser app on loopback: choose a sheet, match its columns, see every problem
    /// in place, fix cells, send, watch, download the result, follow what was sent.
    Serve(ServeArgs),
    /// Serve a local FPGO on loopback: the provider's routes, rules, envelopes and rate limit,
    /// with latency and faults on demand. Ctrl-C stops it.
    Sandbox(SandboxArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub sheet: SheetArgs,
    /// Write the exact request bodies of the valid orders here, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    pub payloads: Option<PathBuf>,
}

/// Options shared by every command that reads a sheet.
#[derive(Debug, Args)]
pub struct SheetArgs {
    /// The sheet: .csv (any delimiter, UTF-8 or Windows-1252), .xlsx, .xlsm, .xls or .ods.
    #[arg(value_name = "SHEET")]
    pub path: PathBuf,
    /// The workbook sheet to read (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Config file (TOML) with defaults, custom headers and checks
    /// [default: fpgo-export.toml beside the sheet, else in the current directory].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Give FIELD this value on every order (overrides the sheet and the config). Repeatable.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// The result file: .csv, .xlsx or .json [default: beside the sheet, in its format:
    /// <sheet>.result.xlsx for a workbook, <sheet>.result.csv for a CSV].
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
    /// The text encoding of a CSV sheet (utf-8, windows-1252, …) [default: detected].
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// The provider's endpoint [default: the config's `endpoint`, else invoice-session].
    #[arg(long, value_name = "NAME")]
    pub endpoint: Option<Endpoint>,
    /// Pretend today is this date (YYYY-MM-DD), for tests and rehearsals.
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<String>,
}

/// Where orders are sent, with which token, and how fast: `submit`'s and `serve`'s.
#[derive(Debug, Args)]
pub struct SendingArgs {
    /// The provider's environment.
    #[arg(long = "env", value_name = "ENV", default_value = "demo")]
    pub environment: Environment,
    /// Send to this base URL instead of the environment's (https, or http on loopback).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Start the sandbox in-process on loopback and send there, with its token.
    #[arg(long, conflicts_with_all = ["base_url", "token_file"])]
    pub sandbox: bool,
    /// Read the token from this file [default: the FPGO_TOKEN environment variable].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Requests per minute (1 or more).
    #[arg(long, value_name = "N", default_value_t = 240, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate: u32,
    /// Requests in flight at most (1 to 256).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = workers)]
    pub workers: usize,
    /// Seconds to wait for an answer before the order is recorded as uncertain (1 to 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// The most seconds a run waits, all together, when the provider answers 429 (too many
    /// requests); past it the run stops and the orders not sent are failed (0 to 86400).
    #[arg(long, value_name = "SECONDS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub max_wait: u64,
    /// The in-process sandbox's rate limit per minute (with --sandbox).
    #[arg(long, value_name = "N", hide = true)]
    pub sandbox_rate_limit: Option<u32>,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    #[command(flatten)]
    pub sheet: SheetArgs,
    #[command(flatten)]
    pub to: SendingArgs,
    /// The ledger (SQLite) that remembers every order sent [default: in the user's data
    /// directory].
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Start this new --ledger even though the default ledger holds orders of this sheet
    /// (they will be sent again).
    #[arg(long)]
    pub new_ledger: bool,
    /// Send again the orders an earlier run left uncertain (the provider may have them).
    #[arg(long)]
    pub retry_uncertain: bool,
    /// Send orders whose content changed since they were created as updates (fpgoUuid).
    #[arg(long)]
    pub update: bool,
    /// Everything but the sending: what would be created, updated or held, and which fields
    /// changed; no request is made and the ledger is only read.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the original rows of every order not created here, ready to fix and feed back:
    /// .xlsx, or .csv (a CSV sheet's delimiter; a workbook's rows with `;` and decimal commas).
    #[arg(long, value_name = "FILE")]
    pub failed_rows: Option<PathBuf>,
    /// No progress bar or progress lines.
    #[arg(long)]
    pub no_progress: bool,
    /// Attempts before an order that keeps failing is given up.
    #[arg(long, value_name = "N", default_value_t = 8, hide = true, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
    #[command(flatten)]
    pub testing: TestingArgs,
}

/// The provider, the token, the ledger and the pace of `status` and `cancel`.
#[derive(Debug, Args)]
pub struct ProviderArgs {
    /// The provider's environment.
    #[arg(long = "env", value_name = "ENV", default_value = "demo")]
    pub environment: Environment,
    /// Ask this base URL instead of the environment's (https, or http on loopback): the one
    /// the orders were submitted to.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Read the token from this file [default: the FPGO_TOKEN environment variable].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The ledger the orders were submitted with [default: in the user's data directory].
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// The endpoint the orders were submitted to.
    #[arg(long, value_name = "NAME", default_value = "invoice-session")]
    pub endpoint: Endpoint,
    /// Requests per minute (1 or more).
    #[arg(long, value_name = "N", default_value_t = 240, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate: u32,
    /// Seconds to wait for an answer (1 to 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// The most seconds a run waits, all together, when the provider answers 429 (0 to 86400).
    #[arg(long, value_name = "SECONDS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub max_wait: u64,
}

/// The hidden options of `submit` and `status` that tests use.
#[derive(Debug, Args)]
pub struct TestingArgs {
    /// Let the ledger grow by at most this many pages, as a full disk would (for tests).
    #[arg(long, value_name = "PAGES", hide = true)]
    pub ledger_growth_limit: Option<u32>,
    /// The first retry's longest wait, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 500, hide = true)]
    pub retry_base_ms: u64,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub provider: ProviderArgs,
    #[command(flatten)]
    pub testing: TestingArgs,
    /// The report: .csv, .json or .xlsx [default: fpgo-status-<date>.csv in the current
    /// directory].
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
    /// Ask about orders in a final state too (CANCELLED, EXPIRED, REFUNDED).
    #[arg(long)]
    pub all: bool,
    /// Ask nobody: write the report from what the ledger knows.
    #[arg(long, conflicts_with = "all")]
    pub offline: bool,
    /// Only the orders submitted from this sheet (its file name, or its path as submitted).
    #[arg(long, value_name = "SHEET")]
    pub sheet: Option<String>,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// The provider's order ids (ODR…), as in the result file's order id column.
    #[arg(value_name = "ORDER_ID", required = true)]
    pub orders: Vec<String>,
    /// Why the orders are cancelled (the provider requires a note).
    #[arg(long, value_name = "TEXT", required = true)]
    pub note: String,
    /// Cancel orders this ledger does not hold as created too.
    #[arg(long)]
    pub force: bool,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `--workers`: 1 to 256.
fn workers(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=256).contains(&n) => Ok(n),
        _ => Err("give a number of requests in flight from 1 to 256".into()),
    }
}

/// `template --delimiter`: `;` or `,`.
fn template_delimiter(text: &str) -> Result<u8, String> {
    match text {
        ";" => Ok(b';'),
        "," => Ok(b','),
        _ => Err("give ; (decimal commas) or , (decimal points)".into()),
    }
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Where to write the template (.csv or .xlsx).
    #[arg(long, short, value_name = "FILE", default_value = "fpgo-template.xlsx")]
    pub output: PathBuf,
    /// A CSV template's delimiter: `;` (with decimal commas, as a Norwegian Excel writes them)
    /// or `,` (with decimal points).
    #[arg(long, value_name = "CHAR", default_value = ";", value_parser = template_delimiter)]
    pub delimiter: u8,
    /// The endpoint whose columns the template has.
    #[arg(long, value_name = "NAME", default_value = "invoice-session")]
    pub endpoint: Endpoint,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The sheet the config is for: it is written beside it, where check and submit look.
    #[arg(value_name = "SHEET")]
    pub sheet: Option<PathBuf>,
    /// Write the config here instead.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The endpoint the config is for, written as its `endpoint`.
    #[arg(long, value_name = "NAME")]
    pub endpoint: Option<Endpoint>,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free one (loopback only unless --allow-remote).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Open the app in the default browser once it listens.
    #[arg(long)]
    pub open: bool,
    #[command(flatten)]
    pub to: SendingArgs,
    /// The config file for every sheet; column choices made on the page are saved there
    /// [default: fpgo-export.toml in the current directory].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The ledger [default: in the user's data directory; with --sandbox a temporary one].
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// The endpoint a sheet is checked for until the page picks another.
    #[arg(long, value_name = "NAME")]
    pub endpoint: Option<Endpoint>,
    /// Accept the provider's callback notifications at /fpgo/callback, checked with the
    /// merchant's secret in this file (with --sandbox, the sandbox sends them).
    #[arg(long, value_name = "FILE")]
    pub callback_secret_file: Option<PathBuf>,
    /// The largest sheet an upload may be, in MB.
    #[arg(long, value_name = "MB", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=2048))]
    pub max_upload: u64,
    /// Allow a non-loopback --bind; every request then needs the password of --password-file.
    #[arg(long, requires = "password_file")]
    pub allow_remote: bool,
    /// The password (HTTP Basic) of an app reachable from elsewhere.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Today's date for every check, YYYY-MM-DD (tests).
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<String>,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (loopback only unless --allow-remote).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Allow a non-loopback --bind (the introspection routes stay loopback-only).
    #[arg(long)]
    pub allow_remote: bool,
    /// The bearer token clients must send [default: a random one, printed at start].
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Delay before each answer: MS, or MIN..MAX milliseconds.
    #[arg(long, value_name = "MS")]
    pub latency: Option<String>,
    /// Requests per token per 60-second window.
    #[arg(long, value_name = "N", default_value_t = 240)]
    pub rate_limit: u32,
    /// A fault and its probability, KIND=P with KIND one of 500, 510, 502, drop, commit-drop,
    /// slow. Repeatable.
    #[arg(long = "fault", value_name = "KIND=P")]
    pub faults: Vec<String>,
    /// Seed of the fault dice and the ids, to replay a run [default: random, printed at start].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// How long a `slow` fault delays its answer, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub slow: u64,
    /// Skip the sandbox's own check of line amounts and order totals (the provider does not
    /// check them).
    #[arg(long)]
    pub lenient: bool,
    /// Do not log each request.
    #[arg(long)]
    pub quiet: bool,
    /// How orderDate must be written (the tool's order_date_format).
    #[arg(long, value_name = "FORMAT", default_value = "unix")]
    pub order_date_format: DateFormat,
    /// Move created orders on by the clock: to INVOICED after SECONDS, to PAID after twice as
    /// long (a demo of `status`).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub auto_advance: Option<u64>,
    /// Send the provider's callback notification (a GET with the order's new status and a
    /// checksum) to this URL whenever an order's status changes.
    #[arg(long, value_name = "URL", requires = "callback_secret_file")]
    pub callback_url: Option<String>,
    /// The merchant's secret the callbacks' checksum is made with.
    #[arg(long, value_name = "FILE", requires = "callback_url")]
    pub callback_secret_file: Option<PathBuf>,
}

// The fixed choices of the model, as clap offers them: their names are the model's own, so a
// wrong value gets clap's message with the choices, written nowhere else.

impl ValueEnum for Endpoint {
    fn value_variants<'a>() -> &'a [Self] {
        &Endpoint::ALL
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

impl ValueEnum for DateFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &DateFormat::ALL
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

impl ValueEnum for Environment {
    fn value_variants<'a>() -> &'a [Self] {
        &Environment::ALL
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}
