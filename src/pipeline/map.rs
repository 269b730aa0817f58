//! Stage **map**: which sheet column holds which field, by the headers of the sheet, the
//! aliases of [`FIELDS`] and the config's `[columns]`. Header matching ignores case, spaces,
//! `_`, `-` and `.`.

use crate::model::fields::{normalize, Field};
use crate::model::problem::Headers;
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
        Ok(ColumnMap {
            headers: headers.to_vec(),
            by_column,
            unknown,
        })
    }

    /// The column index of a field, if the sheet has it.
    pub fn column(&self, field: Field) -> Option<usize> {
        self.by_column.iter().position(|f| *f == Some(field))
    }

    /// The header under which the sheet shows a field, or its canonical name.
    pub fn header(&self, field: Field) -> &str {
        self.column(field)
            .map(|c| self.headers[c].as_str())
            .unwrap_or(field.name())
    }
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
