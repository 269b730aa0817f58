//! Row problems are data, not errors: each one names the row, the column as the sheet names it,
//! the value and what to do. A run collects all of them and never stops at the first. Also here:
//! how any message shows a value from the sheet ([`quote`], [`mention`], [`some_of`]), so that
//! a message stays a line long whatever a cell holds.

use crate::model::fields::Field;
use serde::Serialize;
use std::borrow::Cow;

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
    /// The value as written, when there is one, quoted as a message shows it ([`quote`]).
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
    pub fn with_value(mut self, value: impl AsRef<str>) -> Self {
        self.value = Some(quote(value.as_ref()));
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
    pub fn column(&self, headers: &dyn Headers) -> Option<String> {
        let field = self.field?;
        Some(match self.origin {
            Origin::Sheet => mention(headers.header(field)).into_owned(),
            Origin::Default => format!("{field} (config default)"),
            Origin::Set => format!("{field} (--set)"),
        })
    }

    /// One line for the result file: `error: unit_price "12,3,4": … what to do`.
    pub fn describe(&self, headers: &dyn Headers) -> String {
        let mut out = String::new();
        out.push_str(match self.severity {
            Severity::Error => "error: ",
            Severity::Warning => "warning: ",
        });
        if let Some(column) = self.column(headers) {
            out.push_str(&column);
            if let Some(value) = &self.value {
                out.push(' ');
                out.push_str(value);
            }
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

/// What the sheet calls each field (the map stage knows; the model only asks).
pub trait Headers {
    /// The sheet's header of the field, or the field's own name when the sheet has none.
    fn header(&self, field: Field) -> &str;
}

/// How many characters of a value a message shows.
const SHOWN: usize = 60;

/// A long value's first `max` characters (cut on a character boundary) and its length in
/// characters; `None` for a value short enough to show whole.
fn cut(value: &str, max: usize) -> Option<(&str, usize)> {
    if value.len() <= max {
        return None;
    }
    let (end, _) = value.char_indices().nth(max)?;
    Some((&value[..end], value.chars().count()))
}

/// A value from the sheet quoted for a message: `"Kari"`; a value of more than 60 characters
/// as its start, `…` and its length, `"xxxx…" (104857600 characters)`. Every message that
/// quotes a value goes through here, so a 100 MB cell costs a line, not 100 MB of messages.
pub fn quote(value: &str) -> String {
    match cut(value, SHOWN) {
        None => format!("\"{value}\""),
        Some((start, n)) => format!("\"{start}…\" ({n} characters)"),
    }
}

/// A value a message names without quotes (an order key, a header), cut as [`quote`] cuts:
/// `xxxx… (104857600 characters)`.
pub fn mention(value: &str) -> Cow<'_, str> {
    mention_up_to(value, SHOWN)
}

/// A text a message names, cut after `max` characters as [`mention`] cuts after 60 (for texts
/// longer by nature, such as the provider's own messages).
pub fn mention_up_to(value: &str, max: usize) -> Cow<'_, str> {
    match cut(value, max) {
        None => Cow::Borrowed(value),
        Some((start, n)) => Cow::Owned(format!("{start}… ({n} characters)")),
    }
}

/// A list for a message: the first `max` items, each as `show` writes it, joined by `, `, then
/// how many more there are (`a, b, … and 2 more`).
pub fn some_of<T>(items: &[T], max: usize, show: impl Fn(&T) -> String) -> String {
    let mut out: Vec<String> = items.iter().take(max).map(show).collect();
    if items.len() > max {
        out.push(format!("… and {} more", items.len() - max));
    }
    out.join(", ")
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

/// Excel's letters for a zero-based column index (0 → A, 26 → AA).
pub fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_in_messages() {
        assert_eq!(quote("Kari"), "\"Kari\"");
        assert_eq!(mention("A-1"), "A-1");
        let sixty = "ø".repeat(60);
        assert_eq!(
            quote(&sixty),
            format!("\"{sixty}\""),
            "60 characters, 120 bytes"
        );
        let long = format!("{sixty}æ{}", "x".repeat(1000));
        assert_eq!(quote(&long), format!("\"{sixty}…\" (1061 characters)"));
        assert_eq!(mention(&long), format!("{sixty}… (1061 characters)"));
        let show = |s: &&str| s.to_string();
        assert_eq!(some_of(&["a", "b"], 3, show), "a, b");
        assert_eq!(
            some_of(&["a", "b", "c", "d"], 2, show),
            "a, b, … and 2 more"
        );
    }

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

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16383), "XFD");
    }
}
