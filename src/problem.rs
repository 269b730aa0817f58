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

/// A line for a log: personal numbers (runs of 10 or 11 digits, as a sheet may hold them) keep
/// their birth date and lose the rest: `280387*****`.
pub fn mask_personal_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    // Digits right after a letter belong to an id such as ODR1234567890: left alone.
    let mut in_word = false;
    let flush = |digits: &mut String, out: &mut String, in_word: bool| {
        if !in_word && (digits.len() == 10 || digits.len() == 11) {
            out.push_str(&digits[..6]);
            out.push_str(&"*".repeat(digits.len() - 6));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    let mut previous = ' ';
    for c in text.chars() {
        if c.is_ascii_digit() {
            if digits.is_empty() {
                in_word = previous.is_alphabetic();
            }
            digits.push(c);
        } else {
            flush(&mut digits, &mut out, in_word);
            out.push(c);
        }
        previous = c;
    }
    flush(&mut digits, &mut out, in_word);
    out
}

#[cfg(test)]
mod tests {
    use super::mask_personal_numbers;

    #[test]
    fn personal_numbers_are_masked() {
        assert_eq!(
            mask_personal_numbers("personal_number \"28038712384\": wrong; row 12, 4500.00"),
            "personal_number \"280387*****\": wrong; row 12, 4500.00"
        );
        assert_eq!(mask_personal_numbers("1018512345"), "101851****");
        assert_eq!(
            mask_personal_numbers("914286018 and ODR1234567890"),
            "914286018 and ODR1234567890"
        );
    }
}
