//! The command line, the config file and the clock resolved into the pipeline's [`Settings`]
//! (and the sandbox's `Config`); the pipeline never sees clap or TOML.
//!
//! Config (TOML): `[defaults]` gives order fields a value where the sheet leaves them blank,
//! `[columns]` names the sheet's own headers (`field = "Header"`), `[checks]` sets
//! `norway_checksums = "error" | "warning"` and `vat_rates`. Without `--config`,
//! `fpgo-export.toml` beside the sheet, else in the current directory, is used if present.

use crate::api::target::{BaseUrl, Environment, Token};
use crate::cli::{ProviderArgs, SandboxArgs, SheetArgs, SubmitArgs};
use crate::error::Error;
use crate::model::fields::Field;
use crate::model::problem::{quote, Severity};
use crate::model::{DateFormat, Endpoint};
use crate::pipeline::group::Presets;
use crate::pipeline::read::{Cell, ReadOptions};
use crate::pipeline::validate::Rules;
use crate::pipeline::values::{cell_number, parse_field, NumberConvention, Value};
pub use crate::pipeline::Settings;
pub use crate::pipeline::CONFIG_NAME;
use crate::sandbox;
use crate::send::{dispatch, plan, SendSettings};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// `invoice-session` (default) or `regular-invoice`.
    endpoint: Option<String>,
    /// `unix` (default) or `d M, Y`.
    order_date_format: Option<String>,
    #[serde(default)]
    defaults: BTreeMap<String, toml::Value>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    checks: Checks,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Checks {
    norway_checksums: Option<String>,
    vat_rates: Option<Vec<toml::Value>>,
}

impl Settings {
    pub fn resolve(args: &SheetArgs) -> Result<Settings, Error> {
        let today = match &args.today {
            Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|_| Error::usage(format!("--today {t}: write the date as YYYY-MM-DD")))?,
            None => chrono::Utc::now()
                .with_timezone(&chrono_tz::Europe::Oslo)
                .date_naive(),
        };
        let config = match &args.config {
            Some(path) => Some(path.clone()),
            None => discover_config(&args.path),
        };
        let file = match &config {
            Some(path) => read_config(path)?,
            None => ConfigFile::default(),
        };
        let config_path = config.clone().unwrap_or_default();
        let endpoint = match (args.endpoint, &file.endpoint) {
            (Some(endpoint), _) => endpoint,
            (None, Some(name)) => {
                Endpoint::named(name).map_err(|why| Error::unusable(&config_path, why))?
            }
            (None, None) => Endpoint::InvoiceSession,
        };
        let date_format = match file.order_date_format.as_deref() {
            None => DateFormat::Unix,
            Some(text) => {
                DateFormat::named(text).map_err(|why| Error::unusable(&config_path, why))?
            }
        };
        let mut rules = Rules::new(today);
        rules.endpoint = endpoint;
        match file.checks.norway_checksums.as_deref() {
            None | Some("error") => {}
            Some("warning") => rules.checksums = Severity::Warning,
            Some(other) => {
                return Err(Error::unusable(
                    &config_path,
                    format!("checks.norway_checksums = \"{other}\": use \"error\" or \"warning\""),
                ))
            }
        }
        if let Some(rates) = &file.checks.vat_rates {
            rules.vat_rates = rates
                .iter()
                .map(|v| {
                    cell_number(&toml_cell(v), NumberConvention::DecimalPoint)
                        .map(|d| d.normalize())
                        .map_err(|why| {
                            Error::unusable(&config_path, format!("checks.vat_rates: {v} {why}"))
                        })
                })
                .collect::<Result<_, _>>()?;
        }
        let mut presets = Presets::default();
        for (name, value) in &file.defaults {
            let field = field_named(name)
                .map_err(|why| Error::unusable(&config_path, format!("[defaults] {why}")))?;
            let value = preset_value(field, &toml_cell(value), today).map_err(|why| {
                Error::unusable(&config_path, format!("[defaults] {name}: {why}"))
            })?;
            presets.default_value(field, value);
        }
        for pair in &args.set {
            let (name, raw) = pair
                .split_once('=')
                .ok_or_else(|| Error::usage(format!("--set {pair}: write it as FIELD=VALUE")))?;
            let field = field_named(name).map_err(|why| Error::usage(format!("--set {why}")))?;
            let value = preset_value(field, &Cell::Text(raw.to_string()), today)
                .map_err(|why| Error::usage(format!("--set {pair}: {why}")))?;
            presets.override_value(field, value);
        }
        let output = match &args.output {
            Some(path) => path.clone(),
            None => default_output(&args.path),
        };
        Ok(Settings {
            sheet: args.path.clone(),
            read: ReadOptions {
                sheet: args.sheet.clone(),
                encoding: args.encoding.clone(),
            },
            config,
            columns: file.columns,
            presets,
            rules,
            date_format,
            output,
            json: args.json,
        })
    }
}

/// The result beside the sheet, in the sheet's own format: `<stem>.result.xlsx` for a workbook
/// (problem cells highlighted), `<stem>.result.csv` for a CSV (in the sheet's delimiter).
pub fn default_output(sheet: &Path) -> PathBuf {
    let stem = sheet
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("sheet");
    let ext = if crate::pipeline::read::is_workbook(sheet) {
        "xlsx"
    } else {
        "csv"
    };
    sheet.with_file_name(format!("{stem}.result.{ext}"))
}

fn discover_config(sheet: &Path) -> Option<PathBuf> {
    let beside = sheet.parent().map(|d| d.join(CONFIG_NAME));
    [beside, Some(PathBuf::from(CONFIG_NAME))]
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
}

fn read_config(path: &Path) -> Result<ConfigFile, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
    toml::from_str(&text)
        .map_err(|e| Error::unusable(path, format!("not a valid config: {}", e.message())))
}

/// The field a default or `--set` names. The order key cannot be one: it is what tells
/// orders apart.
fn field_named(name: &str) -> Result<Field, String> {
    match Field::lookup(name) {
        Some(Field::OrderRef) => Err(format!(
            "\"{name}\": the order number cannot be the same for every order; it must be a column"
        )),
        Some(field) => Ok(field),
        None => {
            let names: Vec<&str> = Field::all().map(Field::name).collect();
            Err(format!(
                "\"{name}\" is not a field; the fields are: {}",
                names.join(", ")
            ))
        }
    }
}

fn toml_cell(value: &toml::Value) -> Cell {
    match value {
        toml::Value::String(s) => Cell::Text(s.clone()),
        toml::Value::Integer(i) => Cell::Text(i.to_string()),
        toml::Value::Float(f) => Cell::Number(*f),
        toml::Value::Boolean(b) => Cell::Bool(*b),
        other => Cell::Text(other.to_string()),
    }
}

fn preset_value(field: Field, cell: &Cell, today: NaiveDate) -> Result<Value, String> {
    if cell.is_blank() {
        return Err("is blank".into());
    }
    parse_field(field, cell, NumberConvention::DecimalPoint, today).map(|(v, _)| v)
}

/// `--base-url` when given, else the environment's, parsed and checked.
fn base_url(given: Option<&str>, environment: Environment) -> Result<BaseUrl, Error> {
    BaseUrl::parse(given.unwrap_or_else(|| environment.url()))
}

impl crate::cli::SendingArgs {
    /// The provider (`None` for the in-process sandbox) and, when `token`, its token.
    fn provider(&self, token: bool) -> Result<Option<(BaseUrl, Option<Token>)>, Error> {
        if self.sandbox {
            return Ok(None);
        }
        let base_url = base_url(self.base_url.as_deref(), self.environment)?;
        let token = match token {
            true => Some(Token::load(self.token_file.as_deref())?),
            false => None,
        };
        Ok(Some((base_url, token)))
    }

    /// The send loop's pace and patience.
    fn options(&self, max_attempts: u32, retry_base: Duration) -> dispatch::Options {
        dispatch::Options {
            rate: self.rate,
            workers: self.workers,
            max_attempts,
            retry_base,
            max_wait: Duration::from_secs(self.max_wait),
        }
    }
}

impl SendSettings {
    /// Where to send, with which token (checked here, before anything is read or sent; a dry
    /// run, which sends nothing, reads none), which ledger and how fast. The base URL is
    /// resolved either way: its canonical form is the ledger's key.
    pub fn resolve(args: &SubmitArgs) -> Result<SendSettings, Error> {
        Ok(SendSettings {
            provider: args.to.provider(!args.dry_run)?,
            sandbox_rate_limit: args.to.sandbox_rate_limit.unwrap_or(240),
            ledger: args.ledger.clone(),
            new_ledger: args.new_ledger,
            ledger_growth_limit: args.testing.ledger_growth_limit,
            timeout: Duration::from_secs(args.to.timeout),
            dry_run: args.dry_run,
            choices: plan::Choices {
                retry_uncertain: args.retry_uncertain,
                update: args.update,
            },
            options: args.to.options(
                args.max_attempts,
                Duration::from_millis(args.testing.retry_base_ms),
            ),
        })
    }
}

/// What `status` and `cancel` need, resolved from their command line: the provider (the
/// base URL's canonical form is the ledger's key), the token (none offline), an existing
/// ledger, the endpoint and the pace.
#[derive(Debug)]
pub struct ProviderSettings {
    pub base_url: BaseUrl,
    pub token: Option<Token>,
    pub ledger: PathBuf,
    pub endpoint: Endpoint,
    pub rate: u32,
    pub timeout: Duration,
    pub max_wait: Duration,
}

impl ProviderSettings {
    /// Checks everything before anything is asked; the token only when it will be used.
    pub fn resolve(args: &ProviderArgs, offline: bool) -> Result<ProviderSettings, Error> {
        let base_url = base_url(args.base_url.as_deref(), args.environment)?;
        let token = if offline {
            None
        } else {
            Some(Token::load(args.token_file.as_deref())?)
        };
        let ledger = args
            .ledger
            .clone()
            .unwrap_or_else(crate::send::ledger::default_path);
        if !ledger.exists() {
            return Err(Error::usage(format!(
                "no ledger at {}: status and cancel read the ledger that submit wrote; name it with --ledger",
                ledger.display()
            )));
        }
        Ok(ProviderSettings {
            base_url,
            token,
            ledger,
            endpoint: args.endpoint,
            rate: args.rate,
            timeout: Duration::from_secs(args.timeout),
            max_wait: Duration::from_secs(args.max_wait),
        })
    }
}

/// `--bind`: an IP address and port, or `localhost:PORT`, which is 127.0.0.1 (as the submit
/// side counts `localhost` as loopback); the sandbox itself refuses a non-loopback one without
/// `--allow-remote`.
fn bind_address(text: &str) -> Option<SocketAddr> {
    if let Ok(address) = text.parse() {
        return Some(address);
    }
    let (host, port) = text.rsplit_once(':')?;
    let host = host.trim_end_matches('.');
    if !host.eq_ignore_ascii_case("localhost") {
        return None;
    }
    Some(SocketAddr::from((
        std::net::Ipv4Addr::LOCALHOST,
        port.parse::<u16>().ok()?,
    )))
}

/// The sandbox's configuration from its command line.
pub fn sandbox_config(args: &SandboxArgs) -> Result<sandbox::Config, Error> {
    let bind = bind_address(&args.bind).ok_or_else(|| {
        Error::usage(format!(
            "--bind {}: write an address such as 127.0.0.1:8080 or localhost:8080",
            args.bind
        ))
    })?;
    let latency = match args.latency.as_deref() {
        None => (Duration::ZERO, Duration::ZERO),
        Some(text) => {
            let ms = |t: &str| {
                t.trim()
                    .parse::<u64>()
                    .map(Duration::from_millis)
                    .map_err(|_| {
                        Error::usage(format!(
                            "--latency {text}: write milliseconds, as 100 or 50..200"
                        ))
                    })
            };
            match text.split_once("..") {
                Some((min, max)) => (ms(min)?, ms(max)?),
                None => (ms(text)?, ms(text)?),
            }
        }
    };
    if latency.0 > latency.1 {
        return Err(Error::usage(
            "--latency MIN..MAX: MIN must not be larger than MAX",
        ));
    }
    let mut faults = Vec::new();
    for fault in &args.faults {
        let parsed = fault.split_once('=').and_then(|(kind, p)| {
            Some((
                sandbox::Fault::parse(kind.trim())?,
                p.trim().parse::<f64>().ok()?,
            ))
        });
        let kinds: Vec<&str> = sandbox::Fault::ALL.iter().map(|(_, n)| *n).collect();
        let (kind, p) = parsed.ok_or_else(|| {
            Error::usage(format!(
                "--fault {fault}: write KIND=P with KIND one of {} and P a probability such as 0.3",
                kinds.join(", ")
            ))
        })?;
        faults.push((kind, p));
    }
    Ok(sandbox::Config {
        bind,
        allow_remote: args.allow_remote,
        token: args
            .token
            .clone()
            .unwrap_or_else(|| format!("sandbox-{:016x}", fastrand::u64(..))),
        latency,
        rate_limit: args.rate_limit,
        faults,
        seed: args.seed.unwrap_or_else(|| fastrand::u64(..1_000_000)),
        strict: !args.lenient,
        slow: Duration::from_secs(args.slow),
        clock: sandbox::Clock::System,
        log: !args.quiet,
        date_format: args.order_date_format,
        auto_advance: args.auto_advance.map(Duration::from_secs),
        callbacks: match (
            &args.callback_url,
            secret(&args.callback_secret_file, "--callback-secret-file")?,
        ) {
            (Some(url), Some(secret)) => {
                let parsed = url::Url::parse(url)
                    .map_err(|e| Error::usage(format!("--callback-url {url}: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(Error::usage(format!(
                        "--callback-url {url}: give an http or https URL"
                    )));
                }
                Some(sandbox::Callbacks {
                    url: url.clone(),
                    secret,
                })
            }
            _ => None,
        },
    })
}

/// The secret in the file of `flag`, trimmed; a missing or empty file stops the run.
fn secret(path: &Option<PathBuf>, flag: &str) -> Result<Option<String>, Error> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(Error::unusable(path, format!("{flag}: the file is empty")));
    }
    Ok(Some(text))
}

/// What the browser app's page chose for a sheet beyond the config: a header for a field
/// (`[columns]`) and a value for every order (`[defaults]`), by field name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choices {
    pub columns: BTreeMap<String, String>,
    pub defaults: BTreeMap<String, String>,
}

impl Settings {
    /// A sheet's settings as the browser app checks it: as `check` would with `args`, then the
    /// page's choices on top (a default typed on the page counts as a config default).
    pub fn for_page(args: &SheetArgs, choices: &Choices) -> Result<Settings, Error> {
        let mut settings = Settings::resolve(args)?;
        for (name, header) in &choices.columns {
            field_named(name).map_err(Error::usage)?;
            settings.columns.insert(name.clone(), header.clone());
        }
        for (name, text) in &choices.defaults {
            let field = field_named(name).map_err(Error::usage)?;
            let value = preset_value(field, &Cell::Text(text.clone()), settings.rules.today)
                .map_err(|why| Error::usage(format!("{name} {}: {why}", quote(text))))?;
            settings.presets.default_value(field, value);
        }
        Ok(settings)
    }
}

/// Writes the page's choices into a config file (created when there is none), keeping what
/// it already says, its comments included; atomically, as every file the tool writes.
pub fn save_choices(path: &Path, choices: &Choices) -> Result<(), Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::file(path, e)),
    };
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| Error::unusable(path, format!("is not valid TOML ({e})")))?;
    for (table, entries) in [
        ("columns", &choices.columns),
        ("defaults", &choices.defaults),
    ] {
        if entries.is_empty() {
            continue;
        }
        if !document.contains_key(table) && document.iter().next().is_none() {
            // A file of comments only: they stay above the first table, where they were.
            let notes = document.trailing().as_str().unwrap_or("").to_string();
            document.set_trailing("");
            let mut new = toml_edit::Table::new();
            new.decor_mut().set_prefix(notes);
            document.insert(table, toml_edit::Item::Table(new));
        }
        let item = document
            .entry(table)
            .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
        let Some(table) = item.as_table_like_mut() else {
            return Err(Error::unusable(path, format!("its {table} is not a table")));
        };
        for (name, value) in entries {
            table.insert(name, toml_edit::value(value.as_str()));
        }
    }
    let text = document.to_string();
    crate::report::atomic_write(path, |out| out.write_all(text.as_bytes()))
}

impl crate::web::ServeSettings {
    /// Checks everything before the app listens: the address (loopback unless
    /// `--allow-remote` with a password), the provider and its token, the secrets' files.
    pub fn resolve(args: &crate::cli::ServeArgs) -> Result<Self, Error> {
        let bind = bind_address(&args.bind).ok_or_else(|| {
            Error::usage(format!(
                "--bind {}: write an address such as 127.0.0.1:8080 or localhost:0",
                args.bind
            ))
        })?;
        if !bind.ip().is_loopback() && !args.allow_remote {
            return Err(Error::usage(format!(
                "--bind {bind} is reachable from other machines: the app serves your sheets and sends with your token. Bind 127.0.0.1, or add --allow-remote with --password-file"
            )));
        }
        let provider = args
            .to
            .provider(true)?
            .and_then(|(url, token)| Some((url, token?)));
        Ok(crate::web::ServeSettings {
            bind,
            allow_remote: args.allow_remote,
            password: secret(&args.password_file, "--password-file")?,
            open: args.open,
            provider,
            sandbox_rate_limit: args.to.sandbox_rate_limit.unwrap_or(240),
            ledger: args.ledger.clone(),
            config: args
                .config
                .clone()
                .unwrap_or_else(|| PathBuf::from(CONFIG_NAME)),
            endpoint: args.endpoint,
            timeout: Duration::from_secs(args.to.timeout),
            options: args.to.options(8, Duration::from_millis(500)),
            callback_secret: secret(&args.callback_secret_file, "--callback-secret-file")?,
            max_upload: (args.max_upload as usize) * 1024 * 1024,
            today: args.today.clone(),
        })
    }
}
