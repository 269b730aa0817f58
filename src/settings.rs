//! The command line, the config file and the clock resolved into one [`Settings`]; the
//! pipeline never sees clap or TOML.
//!
//! Config (TOML): `[defaults]` gives order fields a value where the sheet leaves them blank,
//! `[columns]` names the sheet's own headers (`field = "Header"`), `[checks]` sets
//! `norway_checksums = "error" | "warning"` and `vat_rates`. Without `--config`,
//! `fpgo-export.toml` beside the sheet, else in the current directory, is used if present.

use crate::cli::SheetArgs;
use crate::columns::Field;
use crate::error::Error;
use crate::group::Presets;
use crate::problem::Severity;
use crate::read::{Cell, ReadOptions};
use crate::validate::Rules;
use crate::values::{cell_number, parse_field, NumberConvention, Value};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The name of the config file looked for beside the sheet.
pub const CONFIG_NAME: &str = "fpgo-export.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
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

/// Everything a run needs to know.
#[derive(Debug)]
pub struct Settings {
    pub sheet: PathBuf,
    pub read: ReadOptions,
    /// The config file used, if any.
    pub config: Option<PathBuf>,
    /// Custom headers: field name → header.
    pub columns: BTreeMap<String, String>,
    pub presets: Presets,
    pub rules: Rules,
    pub output: PathBuf,
    pub json: bool,
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
        let mut rules = Rules::new(today);
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
            output,
            json: args.json,
        })
    }
}

/// `<sheet stem>.result.csv` beside the sheet.
pub fn default_output(sheet: &Path) -> PathBuf {
    let stem = sheet
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("sheet");
    sheet.with_file_name(format!("{stem}.result.csv"))
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
