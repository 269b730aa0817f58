//! Stage **map**: which sheet column holds which field, by the headers of the sheet, the
//! aliases of [`FIELDS`] and the config's `[columns]`. Header matching ignores case, spaces,
//! `_`, `-` and `.`.

use super::read::Sheet;
use super::suggest::{suggest, Suggestion};
use super::Settings;
use crate::error::Error;
use crate::model::fields::{self as columns, normalize, Field};
use crate::model::problem::{mention, quote, some_of, Headers};
use std::collections::BTreeMap;

/// Which column of the sheet holds which field.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    /// The header row as the sheet writes it.
    pub headers: Vec<String>,
    /// For each column, the field it maps to.
    pub by_column: Vec<Option<Field>>,
    /// Headers that map to no field.
    pub unknown: Vec<String>,
    /// Unknown headers that look like a field the sheet has no column for (`Antal`:
    /// quantity), the first [`LISTED_HEADERS`] of them.
    pub lookalikes: Vec<(String, Suggestion)>,
}

impl Headers for ColumnMap {
    fn header(&self, field: Field) -> &str {
        ColumnMap::header(self, field)
    }
}

/// Why a header row cannot be mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapError {
    /// Two columns claim the same field.
    Duplicate {
        field: Field,
        first: String,
        second: String,
    },
    /// A `[columns]` entry of the config names a field that does not exist.
    UnknownField(String),
}

impl ColumnMap {
    /// Maps a header row. `custom` holds the config's `[columns]` table: field name → header.
    pub fn new(headers: &[String], custom: &BTreeMap<String, String>) -> Result<Self, MapError> {
        let mut renamed: Vec<(String, Field)> = Vec::new();
        for (field_name, header) in custom {
            let field = Field::lookup(field_name)
                .ok_or_else(|| MapError::UnknownField(field_name.clone()))?;
            renamed.push((normalize(header), field));
        }
        let mut by_column = Vec::with_capacity(headers.len());
        let mut unknown = Vec::new();
        let mut seen: BTreeMap<Field, usize> = BTreeMap::new();
        for (col, header) in headers.iter().enumerate() {
            let key = normalize(header);
            let field = renamed
                .iter()
                .find(|(h, _)| *h == key)
                .map(|(_, f)| *f)
                .or_else(|| Field::lookup(header));
            if let Some(field) = field {
                if let Some(&first) = seen.get(&field) {
                    return Err(MapError::Duplicate {
                        field,
                        first: headers[first].clone(),
                        second: header.clone(),
                    });
                }
                seen.insert(field, col);
            } else if !key.is_empty() {
                unknown.push(header.clone());
            }
            by_column.push(field);
        }
        let lookalikes = unknown
            .iter()
            .filter_map(|h| Some((h.clone(), suggest(h, |f| !seen.contains_key(&f))?)))
            .take(LISTED_HEADERS)
            .collect();
        Ok(ColumnMap {
            headers: headers.to_vec(),
            by_column,
            unknown,
            lookalikes,
        })
    }

    /// The column index of a field, if the sheet has it.
    pub fn column(&self, field: Field) -> Option<usize> {
        self.by_column.iter().position(|f| *f == Some(field))
    }

    /// The unknown header that looks like `field`, if one does.
    pub fn lookalike(&self, field: Field) -> Option<(&str, &Suggestion)> {
        self.lookalikes
            .iter()
            .find(|(_, s)| s.field == field)
            .map(|(h, s)| (h.as_str(), s))
    }

    /// The header under which the sheet shows a field, or its canonical name.
    pub fn header(&self, field: Field) -> &str {
        self.column(field)
            .map(|c| self.headers[c].as_str())
            .unwrap_or(field.name())
    }
}

/// The column map of a sheet, by its headers and the config's `[columns]`; an error naming
/// what is missing when a required field has neither a column nor a default.
pub fn map_sheet(sheet: &Sheet, settings: &Settings) -> Result<ColumnMap, Error> {
    let map = ColumnMap::new(&sheet.headers, &settings.columns).map_err(|e| {
        let message = match e {
            MapError::Duplicate {
                field,
                first,
                second,
            } => format!(
                "the columns {} and {} both hold {field}; remove or rename one of them",
                quote(&first),
                quote(&second)
            ),
            MapError::UnknownField(name) => format!(
                "the config's [columns] names {}, which is not a field; see docs/columns.md",
                quote(&name)
            ),
        };
        Error::Columns {
            path: sheet.path.clone(),
            message,
        }
    })?;
    let missing = missing(&map, settings);
    if !missing.is_empty() {
        return Err(Error::Columns {
            path: sheet.path.clone(),
            message: missing_message(sheet, &map, &missing, settings),
        });
    }
    Ok(map)
}

/// The required fields of the endpoint that have neither a column nor a default.
pub fn missing(map: &ColumnMap, settings: &Settings) -> Vec<Field> {
    columns::required(settings.rules.endpoint)
        .iter()
        .copied()
        .filter(|f| map.column(*f).is_none() && !settings.presets.gives(*f))
        .collect()
}

/// The message of missing required columns: which they are, the headers found, a header that
/// looks like one of them, and which of them a config's `[defaults]` usually gives (with how
/// to write one) rather than the sheet.
fn missing_message(
    sheet: &Sheet,
    map: &ColumnMap,
    missing: &[Field],
    settings: &Settings,
) -> String {
    let names = |fields: &[Field]| {
        fields
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let found = if sheet.headers.is_empty() {
        "none".to_string()
    } else {
        some_of(&sheet.headers, LISTED_HEADERS, |h| quote(h))
    };
    let mut message = format!(
        "required columns are missing: {}.\n  Headers found on row {}: {found}.",
        names(missing),
        sheet.header_row
    );
    for (header, suggestion) in missing.iter().filter_map(|f| map.lookalike(*f)) {
        message.push_str(&format!(
            "\n  The column {} looks like {}: name it {}, or map it in the config's [columns] ({} = {}).",
            quote(header),
            suggestion.describe(),
            suggestion.rename(),
            suggestion.field,
            quote(header)
        ));
    }
    let settled: Vec<Field> = missing
        .iter()
        .copied()
        .filter(|f| columns::usually_a_default(*f) && map.lookalike(*f).is_none())
        .collect();
    if !settled.is_empty() {
        let (they, where_) = if settled.len() == 1 {
            ("is usually the same for every order", "give it")
        } else {
            ("are usually the same for every order", "give them")
        };
        let how = match &settings.config {
            Some(config) => format!("in [defaults] of {}", config.display()),
            None => format!(
                "in a config file's [defaults]: `fpgo-export init {}` writes a commented {} beside the sheet to fill in",
                sheet.path.display(),
                super::CONFIG_NAME
            ),
        };
        message.push_str(&format!(
            "\n  {} {they}, not a column of the sheet: {where_} once {how}.",
            names(&settled)
        ));
    }
    message.push_str("\n  Add these columns (docs/columns.md lists the names each accepts), name your headers in the config's [columns], or give a value to every order with [defaults] or --set FIELD=VALUE.");
    message
}

/// How many headers a message lists; a sheet may have thousands.
const LISTED_HEADERS: usize = 20;

/// Headers for a message, each named bare as [`mention`] shows it.
fn headers<T: AsRef<str>>(all: &[T]) -> String {
    some_of(all, LISTED_HEADERS, |h| mention(h.as_ref()).into_owned())
}

/// What the user should know about the columns: the ignored ones, the ones this endpoint does
/// not use, the defaults it does not use, and the columns a `--set` overrides.
pub fn notes(map: &ColumnMap, settings: &Settings) -> Vec<String> {
    let mut notes = Vec::new();
    if !map.unknown.is_empty() {
        notes.push(format!(
            "columns ignored (no field has these names): {}; see docs/columns.md or map them in the config's [columns]",
            headers(&map.unknown)
        ));
    }
    for (header, suggestion) in &map.lookalikes {
        notes.push(format!(
            "column {} is ignored: did you mean {}? Name it {}, or map it in the config's [columns]",
            mention(header),
            suggestion.describe(),
            suggestion.rename()
        ));
    }
    let unused: Vec<&str> = map
        .by_column
        .iter()
        .zip(&map.headers)
        .filter(|(f, _)| f.is_some_and(|f| !columns::used_by(f, settings.rules.endpoint)))
        .map(|(_, h)| h.as_str())
        .collect();
    if !unused.is_empty() {
        notes.push(format!(
            "columns not used by the {} endpoint, ignored: {}",
            settings.rules.endpoint.name(),
            headers(&unused)
        ));
    }
    let endpoint = settings.rules.endpoint;
    let unused_presets: Vec<&str> = settings
        .presets
        .defaults
        .iter()
        .chain(&settings.presets.overrides)
        .filter(|(f, _)| !columns::used_by(*f, endpoint))
        .map(|(f, _)| f.name())
        .collect();
    if !unused_presets.is_empty() {
        notes.push(format!(
            "defaults and --set values not used by the {} endpoint, ignored: {}",
            endpoint.name(),
            unused_presets.join(", ")
        ));
    }
    for (field, _) in &settings.presets.overrides {
        if map.column(*field).is_some() && columns::used_by(*field, endpoint) {
            notes.push(format!(
                "column {} is ignored: --set {field} gives every order its value",
                mention(map.header(*field))
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_headers_and_duplicates() {
        let headers: Vec<String> = ["Bestilling", "navn", "colour"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let custom = BTreeMap::from([("order_ref".to_string(), "bestilling".to_string())]);
        let map = ColumnMap::new(&headers, &custom).unwrap();
        assert_eq!(map.column(Field::OrderRef), Some(0));
        assert_eq!(map.header(Field::Name), "navn");
        assert_eq!(map.unknown, vec!["colour".to_string()]);
        let dup: Vec<String> = vec!["email".into(), "E-post".into()];
        assert!(matches!(
            ColumnMap::new(&dup, &BTreeMap::new()),
            Err(MapError::Duplicate {
                field: Field::Email,
                ..
            })
        ));
    }
}
