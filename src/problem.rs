//! Row problems are data, not errors: each one names the row, the column as the sheet names it,
//! the value and what to do. A run collects all of them and never stops at the first.

use crate::columns::{ColumnMap, Field};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// Where a value came from: a cell, a config default, or `--set`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Origin {
    #[default]
    Sheet,
    Default,
    Set,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The sheet row (as Excel numbers it).
    pub row: u32,
    pub field: Option<Field>,
    pub origin: Origin,
    /// The value as written, when there is one.
    pub value: Option<String>,
    pub message: String,
    pub severity: Severity,
}

impl Problem {
    pub fn error(row: u32, field: Option<Field>, message: impl Into<String>) -> Self {
        Problem {
            row,
            field,
            origin: Origin::Sheet,
            value: None,
            message: message.into(),
            severity: Severity::Error,
        }
    }
    pub fn warning(row: u32, field: Option<Field>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(row, field, message)
        }
    }
    pub fn with_value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(crate::values::shorten(&value.into()));
        self
    }
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The column as the user knows it: the sheet's header, or where a default came from.
    pub fn column(&self, map: &ColumnMap) -> Option<String> {
        let field = self.field?;
        Some(match self.origin {
            Origin::Sheet => map.header(field).to_string(),
            Origin::Default => format!("{field} (config default)"),
            Origin::Set => format!("{field} (--set)"),
        })
    }

    /// One line for the result file: `error: unit_price "12,3,4": … what to do`.
    pub fn describe(&self, map: &ColumnMap) -> String {
        let mut out = String::new();
        out.push_str(match self.severity {
            Severity::Error => "error: ",
            Severity::Warning => "warning: ",
        });
        if let Some(column) = self.column(map) {
            out.push_str(&column);
            if let Some(value) = &self.value {
                out.push_str(&format!(" \"{value}\""));
            }
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}
