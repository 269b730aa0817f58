//! Cell → typed value: numbers in both conventions, dates, booleans, identifiers whose leading
//! zeros Excel ate. Every parser returns a plain-language reason on failure; the caller turns it
//! into a row problem. Nothing here guesses per cell: the number convention is decided once per
//! file by [`NumberConvention::detect`].

mod dates;
mod numbers;

pub use dates::{cell_date, oslo_date};
pub use numbers::{cell_number, parse_number, NumberConvention};

use crate::model::fields::{Field, Kind};
pub use crate::pipeline::read::trim;

use crate::pipeline::read::{decimal_from_f64, Cell};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::fmt;

/// The message for a formula error cell such as `#N/A`.
pub fn formula_error(e: &str) -> String {
    format!("the cell holds the formula error {e}; fix the formula or type the value")
}

/// A cell read as text: numbers as Excel shows them (`1001`, not `1001.0`), trimmed.
pub fn cell_text(cell: &Cell) -> Result<String, String> {
    match cell {
        Cell::Error(e) => Err(formula_error(e)),
        Cell::Number(f) => decimal_from_f64(*f).map(|d| d.to_string()),
        Cell::Text(t) => Ok(trim(t).to_string()),
        other => Ok(other.display().trim().to_string()),
    }
}

/// Reads a boolean: true/false, yes/no, ja/nei, sann/usann, 1/0, x.
pub fn cell_bool(cell: &Cell) -> Result<bool, String> {
    let shown;
    let text = match cell {
        Cell::Bool(b) => return Ok(*b),
        Cell::Number(f) if *f == 1.0 => return Ok(true),
        Cell::Number(f) if *f == 0.0 => return Ok(false),
        Cell::Error(e) => return Err(formula_error(e)),
        Cell::Text(t) => trim(t),
        other => {
            shown = other.display();
            shown.trim()
        }
    };
    const YES: [&str; 10] = ["true", "yes", "y", "ja", "j", "sann", "sant", "1", "x", "✓"];
    const NO: [&str; 8] = ["false", "no", "n", "nei", "usann", "usant", "0", "-"];
    // The words are ASCII (and ✓, which has no case): comparing without case is lowercasing.
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(text));
    if is(&YES) {
        Ok(true)
    } else if is(&NO) {
        Ok(false)
    } else {
        Err("is not yes or no; write yes/no, ja/nei, true/false, 1/0 or x".to_string())
    }
}

/// An identifier made of digits (zip, personal number), with a note when Excel ate a leading
/// zero and it was put back: a 3-digit zip becomes 4 digits, a 10-digit personal number 11.
pub fn cell_digits(cell: &Cell, restore_to: usize) -> Result<(String, Option<String>), String> {
    let text = cell_text(cell)?;
    let compact: String = if text.contains(char::is_whitespace) {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    } else {
        text.clone()
    };
    if compact.len() + 1 == restore_to && compact.bytes().all(|b| b.is_ascii_digit()) {
        let restored = format!("0{compact}");
        let note = format!(
            "lost its leading zero (Excel drops it from numbers); read as \"{restored}\". Format the column as text to keep zeros"
        );
        return Ok((restored, Some(note)));
    }
    Ok((
        if compact.bytes().all(|b| b.is_ascii_digit()) {
            compact
        } else {
            text
        },
        None,
    ))
}

/// A typed value of one field.
#[derive(Clone, Debug)]
pub enum Value {
    Text(String),
    Number(Decimal),
    Date(NaiveDate),
    Bool(bool),
    /// A cell that could not be read; its problem is already reported, so later stages neither
    /// call it blank nor compare it.
    Invalid,
}

impl Value {
    /// The value as text, a number in the file's convention (`49,5` in a decimal-comma file).
    pub fn show(&self, numbers: NumberConvention) -> String {
        match self {
            Value::Number(n) => numbers.show(*n),
            other => other.to_string(),
        }
    }

    /// The same value as a person reads it: texts ignore case and repeated spaces.
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Text(a), Value::Text(b)) => a == b || words(a).eq(words(b)),
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Date(a), Value::Date(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Invalid, _) | (_, Value::Invalid) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(t) => f.write_str(t),
            Value::Number(n) => write!(f, "{n}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Bool(b) => f.write_str(if *b { "yes" } else { "no" }),
            Value::Invalid => f.write_str("?"),
        }
    }
}

/// Whether two texts are the same as a person reads them: case and spacing aside.
pub fn same_text(a: &str, b: &str) -> bool {
    a == b || words(a).eq(words(b))
}

/// A text as lower-case words, each led by a `None` separator: equal for texts that differ
/// only in case and spacing.
fn words(s: &str) -> impl Iterator<Item = Option<char>> + '_ {
    s.split_whitespace()
        .flat_map(|w| std::iter::once(None).chain(w.chars().flat_map(char::to_lowercase).map(Some)))
}

/// Reads a non-blank cell as the kind of value its field holds. The second part of the answer
/// is a warning to show on the row (a leading zero put back).
pub fn parse_field(
    field: Field,
    cell: &Cell,
    conv: NumberConvention,
    today: NaiveDate,
) -> Result<(Value, Option<String>), String> {
    Ok(match field.kind() {
        Kind::Text => (Value::Text(cell_text(cell)?), None),
        Kind::Digits => {
            let restore_to = match field {
                Field::Zip => 4,
                _ => 11,
            };
            let (text, note) = cell_digits(cell, restore_to)?;
            (Value::Text(text), note)
        }
        Kind::Money | Kind::Price | Kind::Number | Kind::Integer => {
            (Value::Number(cell_number(cell, conv)?), None)
        }
        Kind::Date => (Value::Date(cell_date(cell, today)?), None),
        Kind::Bool => (Value::Bool(cell_bool(cell)?), None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        for t in ["true", "Yes", "ja", "1", "x", "SANN"] {
            assert!(cell_bool(&Cell::Text(t.into())).unwrap(), "{t}");
        }
        for f in ["false", "No", "nei", "0"] {
            assert!(!cell_bool(&Cell::Text(f.into())).unwrap(), "{f}");
        }
        assert!(cell_bool(&Cell::Text("maybe".into())).is_err());
        assert!(cell_bool(&Cell::Number(1.0)).unwrap());
        assert!(cell_bool(&Cell::Text(" \u{a0}JA\t".into())).unwrap());
        assert!(cell_bool(&Cell::Text("✓".into())).unwrap());
    }

    proptest::proptest! {
        /// The quick trim is `str::trim`: white space, ASCII control characters and wider
        /// characters at either end included.
        #[test]
        fn trim_is_str_trim(text in "[ a\u{b}\t\r\n\u{7f}\u{a0}\u{3000}ø✓x-]{0,6}") {
            proptest::prop_assert_eq!(trim(&text), text.trim());
        }

        /// An identifier read from a cell reads as itself again, without a note: a later line
        /// of the order that writes it the same need not be read.
        #[test]
        fn an_identifier_read_reads_as_itself(text in "[ 0-9a\u{a0}-]{0,12}", zip in proptest::bool::ANY) {
            let field = if zip { Field::Zip } else { Field::PersonalNumber };
            let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            let conv = NumberConvention::DecimalPoint;
            if let Ok((Value::Text(read), _)) = parse_field(field, &Cell::Text(text), conv, today) {
                let again = parse_field(field, &Cell::Text(read.clone()), conv, today);
                proptest::prop_assert!(matches!(again, Ok((Value::Text(t), None)) if t == read));
            }
        }
    }

    #[test]
    fn lost_zeros_are_restored_with_a_note() {
        let (zip, note) = cell_digits(&Cell::Number(150.0), 4).unwrap();
        assert_eq!(zip, "0150");
        assert!(note.unwrap().contains("leading zero"));
        let (pn, note) = cell_digits(&Cell::Number(1_018_512_345.0), 11).unwrap();
        assert_eq!(pn, "01018512345");
        assert!(note.is_some());
        let (zip, note) = cell_digits(&Cell::Text("7030".into()), 4).unwrap();
        assert_eq!((zip.as_str(), note), ("7030", None));
        assert_eq!(
            cell_text(&Cell::Number(1001.0)).unwrap(),
            "1001",
            "integers from numeric cells have no .0"
        );
    }
}
