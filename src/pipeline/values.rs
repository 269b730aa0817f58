//! Cell → typed value: numbers in both conventions, dates, booleans, identifiers whose leading
//! zeros Excel ate. Every parser returns a plain-language reason on failure; the caller turns it
//! into a row problem. Nothing here guesses per cell: the number convention is decided once per
//! file by [`NumberConvention::detect`].

use crate::model::fields::{Field, Kind};
use crate::pipeline::read::Cell;
use chrono::{DateTime, NaiveDate};
use chrono_tz::Europe::Oslo;
use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// How the file writes decimals: `1234.50` or `1234,50`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberConvention {
    DecimalPoint,
    DecimalComma,
}

impl fmt::Display for NumberConvention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NumberConvention::DecimalPoint => "decimal point (1 234.50)",
            NumberConvention::DecimalComma => "decimal comma (1 234,50)",
        })
    }
}

impl NumberConvention {
    /// Decides the convention from the text of a file's numeric cells: each cell whose last
    /// separator is followed by one, two or four digits is evidence (three digits could be a
    /// thousands group). The majority wins; no evidence falls back to `fallback`.
    pub fn detect<'a>(texts: impl Iterator<Item = &'a str>, fallback: Self) -> Self {
        let (mut point, mut comma) = (0usize, 0usize);
        for text in texts {
            let t = text.trim_end_matches(['-', '%', ' ']);
            let Some(pos) = t.rfind([',', '.']) else {
                continue;
            };
            let after = &t[pos + 1..];
            if after.is_empty() || after.len() == 3 || !after.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if t.as_bytes()[pos] == b',' {
                comma += 1;
            } else {
                point += 1;
            }
        }
        match point.cmp(&comma) {
            std::cmp::Ordering::Greater => NumberConvention::DecimalPoint,
            std::cmp::Ordering::Less => NumberConvention::DecimalComma,
            std::cmp::Ordering::Equal => fallback,
        }
    }
}

/// Largest number of integer digits a money or quantity cell may have.
const MAX_INT_DIGITS: usize = 15;

/// Parses a number as people type it: `1234.5`, `1 234,50`, `1.234,50`, `kr 1 234,50`, `199,-`,
/// `−5` (U+2212), `12 %`. Separators are read by the file's convention; a thousands separator
/// must group exactly three digits, so `12.50` in a decimal-comma file is refused, not misread.
pub fn parse_number(text: &str, conv: NumberConvention) -> Result<Decimal, String> {
    if let Some(value) = plain_number(text.trim(), conv) {
        return Ok(value);
    }
    let mut s = text.trim();
    let lower = s.to_ascii_lowercase();
    for prefix in ["nok", "kr.", "kr"] {
        if lower.starts_with(prefix) {
            s = s[prefix.len()..].trim_start();
            break;
        }
    }
    let lower = s.to_ascii_lowercase();
    for suffix in ["nok", "kr.", "kr", "%"] {
        if lower.ends_with(suffix) {
            s = s[..s.len() - suffix.len()].trim_end();
            break;
        }
    }
    let s = s
        .strip_suffix(",-")
        .or_else(|| s.strip_suffix(".-"))
        .unwrap_or(s);
    let mut negative = false;
    let mut body = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        match c {
            '-' | '\u{2212}' | '\u{2013}' if i == 0 => negative = true,
            '+' if i == 0 => {}
            ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\'' => body.push(' '),
            '0'..='9' | ',' | '.' => body.push(c),
            _ => return Err(not_a_number()),
        }
    }
    let body = body.trim();
    if body.is_empty() || !body.bytes().any(|b| b.is_ascii_digit()) {
        return Err(not_a_number());
    }
    let (decimal_sep, group_sep) = match conv {
        NumberConvention::DecimalPoint => ('.', ','),
        NumberConvention::DecimalComma => (',', '.'),
    };
    let mut parts = body.split(decimal_sep);
    let int_part = parts.next().unwrap_or_default();
    let frac_part = parts.next();
    if parts.next().is_some() {
        return Err(format!(
            "has more than one decimal separator ('{decimal_sep}')"
        ));
    }
    if let Some(frac) = frac_part {
        if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_a_number());
        }
    }
    let groups: Vec<&str> = int_part
        .split([group_sep, ' '])
        .map(str::trim)
        .filter(|g| !g.is_empty() || int_part.is_empty())
        .collect();
    let grouped = groups.len() > 1;
    if grouped
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        let hint = match conv {
            NumberConvention::DecimalComma => "this file writes decimals with a comma (1 234,50)",
            NumberConvention::DecimalPoint => "this file writes decimals with a point (1,234.50)",
        };
        return Err(format!(
            "cannot be read as a number: {hint}; write it the same way"
        ));
    }
    let digits: String = groups.concat();
    if digits.is_empty() && frac_part.is_none() {
        return Err(not_a_number());
    }
    if digits.trim_start_matches('0').len() > MAX_INT_DIGITS {
        return Err(format!("is too large (more than {MAX_INT_DIGITS} digits)"));
    }
    let frac = frac_part.unwrap_or("");
    if frac.len() > 12 {
        return Err("has too many decimals".to_string());
    }
    let mut literal = if digits.is_empty() {
        "0".to_string()
    } else {
        digits
    };
    if !frac.is_empty() {
        literal.push('.');
        literal.push_str(frac);
    }
    let value = Decimal::from_str(&literal).map_err(|_| not_a_number())?;
    Ok(if negative { -value } else { value })
}

/// The common case without allocating: digits, at most one decimal separator, an optional
/// leading minus, at most 15 digits before and 12 after the separator.
fn plain_number(text: &str, conv: NumberConvention) -> Option<Decimal> {
    let decimal_sep = match conv {
        NumberConvention::DecimalPoint => b'.',
        NumberConvention::DecimalComma => b',',
    };
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        bytes => (false, bytes),
    };
    let (mut mantissa, mut scale, mut int_digits, mut seen_sep) = (0i64, 0u32, 0usize, false);
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + i64::from(b - b'0');
                if seen_sep {
                    scale += 1;
                } else {
                    int_digits += 1;
                }
            }
            _ if b == decimal_sep && !seen_sep => seen_sep = true,
            _ => return None,
        }
        if int_digits > MAX_INT_DIGITS || scale > 3 {
            return None;
        }
    }
    if int_digits == 0 || (seen_sep && scale == 0) {
        return None;
    }
    Some(Decimal::new(
        if negative { -mantissa } else { mantissa },
        scale,
    ))
}

fn not_a_number() -> String {
    "is not a number".to_string()
}

/// The decimal Excel shows for a numeric cell: the shortest decimal that reads back as the same
/// float, limited to the 15 significant digits Excel keeps (so 0.1 stays 0.1 and the result of
/// `=0.1*3` is 0.3, not 0.30000000000000004).
pub fn decimal_from_f64(value: f64) -> Result<Decimal, String> {
    if !value.is_finite() {
        return Err("is not a number".to_string());
    }
    if value != 0.0 && value.abs() < 1e-12 {
        return Err("is too small to be a real amount".into());
    }
    if value.abs() >= 1e15 {
        return Err(format!("is too large (more than {MAX_INT_DIGITS} digits)"));
    }
    let shortest = Decimal::from_str(&format!("{value}")).map_err(|e| e.to_string())?;
    let digits = shortest.mantissa().unsigned_abs().to_string().len();
    if digits <= 15 {
        return Ok(shortest.normalize());
    }
    // Round to 15 significant digits, as Excel displays it.
    let magnitude = if value == 0.0 {
        0
    } else {
        value.abs().log10().floor() as i32
    };
    let scale = (14 - magnitude).clamp(0, 28) as u32;
    Ok(shortest
        .round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize())
}

/// A cell read as a number (money, quantity, percentage).
pub fn cell_number(cell: &Cell, conv: NumberConvention) -> Result<Decimal, String> {
    match cell {
        Cell::Number(f) => decimal_from_f64(*f),
        Cell::Text(t) => parse_number(t, conv),
        Cell::Bool(_) | Cell::Date(_) => Err("is not a number".into()),
        Cell::Error(e) => Err(formula_error(e)),
        Cell::Empty => Err("is blank".into()),
    }
}

/// The message for a formula error cell such as `#N/A`.
pub fn formula_error(e: &str) -> String {
    format!("the cell holds the formula error {e}; fix the formula or type the value")
}

/// A cell read as text: numbers as Excel shows them (`1001`, not `1001.0`), trimmed.
pub fn cell_text(cell: &Cell) -> Result<String, String> {
    match cell {
        Cell::Error(e) => Err(formula_error(e)),
        Cell::Number(f) => decimal_from_f64(*f).map(|d| d.to_string()),
        Cell::Text(t) => Ok(t.trim().to_string()),
        other => Ok(other.display().trim().to_string()),
    }
}

/// Reads a boolean: true/false, yes/no, ja/nei, sann/usann, 1/0, x.
pub fn cell_bool(cell: &Cell) -> Result<bool, String> {
    let text = match cell {
        Cell::Bool(b) => return Ok(*b),
        Cell::Number(f) if *f == 1.0 => return Ok(true),
        Cell::Number(f) if *f == 0.0 => return Ok(false),
        Cell::Error(e) => return Err(formula_error(e)),
        other => other.display(),
    };
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "ja" | "j" | "sann" | "sant" | "1" | "x" | "✓" => Ok(true),
        "false" | "no" | "n" | "nei" | "usann" | "usant" | "0" | "-" => Ok(false),
        _ => Err("is not yes or no; write yes/no, ja/nei, true/false, 1/0 or x".to_string()),
    }
}

/// Excel's serial day 0 in the 1900 date system (with its fictitious 29 Feb 1900).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date")
}

/// Excel's first and last dates (serials 1 and 2,958,465). A date outside them is no date a
/// spreadsheet can show (Excel writes #####) and no day to invoice on, however it was written.
fn excel_range() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date"),
        NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid date"),
    )
}

/// A date read from a cell, if it lies within Excel's dates.
fn within_excel(date: NaiveDate) -> Result<NaiveDate, String> {
    let (first, last) = excel_range();
    if date < first {
        Err(format!(
            "is before {first}, the first date Excel has; check the year"
        ))
    } else if date > last {
        Err(format!(
            "is after {last}, the last date Excel has; check the year"
        ))
    } else {
        Ok(date)
    }
}

/// A number that stands for a date: an Excel serial day, or Unix seconds (that day in Oslo).
fn date_from_number(n: f64) -> Result<NaiveDate, String> {
    if !n.is_finite() || n < 1.0 {
        return Err("is not a date".to_string());
    }
    if n < 100_000.0 {
        // Excel counts a 29 February 1900 that never was (serial 60): the serials before it
        // are one day later than the count from the epoch says (serial 1 is 1900-01-01), and
        // 60 itself reads as the 28th, as calamine reads a date cell.
        let days = n.floor() as u64 + u64::from(n < 60.0);
        return excel_epoch()
            .checked_add_days(chrono::Days::new(days))
            .ok_or_else(|| "is not a date".to_string());
    }
    if (1e8..1e11).contains(&n) {
        return Ok(oslo_date(n.floor() as i64));
    }
    Err("is neither an Excel date number nor Unix seconds".to_string())
}

/// The day in Europe/Oslo of a Unix timestamp.
pub fn oslo_date(unix_seconds: i64) -> NaiveDate {
    DateTime::from_timestamp(unix_seconds, 0)
        .map(|t| t.with_timezone(&Oslo).date_naive())
        .unwrap_or_default()
}

const MONTHS: &[(&str, u32)] = &[
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("mai", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("okt", 10),
    ("nov", 11),
    ("dec", 12),
    ("des", 12),
];

/// Reads a date: Excel date cells and serial numbers, `2026-11-21`, `21.11.2026`, `21/11/2026`,
/// `21 Nov 2026`, Unix seconds, or `today` / `i dag`. A time of day is ignored. Whatever the
/// form, the date must lie within Excel's dates, 1900-01-01 to 9999-12-31: a workbook's date
/// cell can hold any serial, and a typed year any number of digits.
pub fn cell_date(cell: &Cell, today: NaiveDate) -> Result<NaiveDate, String> {
    let date = match cell {
        Cell::Date(dt) => dt.date(),
        Cell::Number(n) => date_from_number(*n)?,
        Cell::Error(e) => return Err(formula_error(e)),
        Cell::Text(t) => parse_date(t, today)?,
        other => parse_date(&other.display(), today)?,
    };
    within_excel(date)
}

fn parse_date(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let t = text.trim();
    let lower = t.to_lowercase();
    if matches!(lower.as_str(), "today" | "i dag" | "idag" | "now") {
        return Ok(today);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Oslo).date_naive());
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) && t.len() <= 12 {
        return date_from_number(t.parse::<f64>().unwrap_or(0.0));
    }
    // Drop a time of day: "2026-11-21 10:30", "21.11.2026 kl 10:30", "2026-11-21T10:30:00".
    let date_part = lower
        .split(['t', ' '])
        .next()
        .filter(|p| p.contains(['-', '.', '/']) && p.len() >= 6)
        .unwrap_or(&lower);
    let numeric: Vec<&str> = date_part.split(['-', '.', '/']).collect();
    if numeric.len() == 3
        && numeric
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        let n: Vec<u32> = numeric.iter().map(|p| p.parse().unwrap_or(0)).collect();
        let (y, m, d) = if numeric[0].len() == 4 {
            (n[0] as i32, n[1], n[2])
        } else if date_part.contains('-') && numeric[2].len() != 4 {
            return Err(bad_date());
        } else {
            let year = if numeric[2].len() == 2 {
                2000 + n[2] as i32
            } else {
                n[2] as i32
            };
            (year, n[1], n[0])
        };
        return NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad_date);
    }
    // "21 Nov 2026", "21. nov. 2026", "Nov 21, 2026".
    let words: Vec<&str> = lower
        .split([' ', ',', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() >= 3 {
        let month_of = |w: &str| {
            MONTHS
                .iter()
                .find(|(name, _)| w.len() >= 3 && w.starts_with(name))
                .map(|(_, m)| *m)
        };
        let (day, month, year) = if let Some(m) = month_of(words[1]) {
            (words[0], m, words[2])
        } else if let Some(m) = month_of(words[0]) {
            (words[1], m, words[2])
        } else {
            return Err(bad_date());
        };
        if let (Ok(d), Ok(y)) = (day.parse::<u32>(), year.parse::<i32>()) {
            return NaiveDate::from_ymd_opt(y, month, d).ok_or_else(bad_date);
        }
    }
    Err(bad_date())
}

fn bad_date() -> String {
    "is not a date; write it as 2026-11-21, 21.11.2026 or 21 Nov 2026".to_string()
}

/// An identifier made of digits (zip, personal number), with a note when Excel ate a leading
/// zero and it was put back: a 3-digit zip becomes 4 digits, a 10-digit personal number 11.
pub fn cell_digits(cell: &Cell, restore_to: usize) -> Result<(String, Option<String>), String> {
    let text = cell_text(cell)?;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
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

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    const P: NumberConvention = NumberConvention::DecimalPoint;
    const C: NumberConvention = NumberConvention::DecimalComma;

    #[test]
    fn numbers_people_type() {
        assert_eq!(parse_number("1234.5", P).unwrap(), dec("1234.5"));
        assert_eq!(parse_number("1 234,50", C).unwrap(), dec("1234.50"));
        assert_eq!(parse_number("1\u{a0}234,50", C).unwrap(), dec("1234.50"));
        assert_eq!(parse_number("1.234,50", C).unwrap(), dec("1234.50"));
        assert_eq!(parse_number("1,234.50", P).unwrap(), dec("1234.50"));
        assert_eq!(parse_number("kr 1 234,50", C).unwrap(), dec("1234.50"));
        assert_eq!(parse_number("199,-", C).unwrap(), dec("199"));
        assert_eq!(parse_number("\u{2212}5", C).unwrap(), dec("-5"));
        assert_eq!(parse_number("25 %", C).unwrap(), dec("25"));
        assert_eq!(parse_number("0,125", C).unwrap(), dec("0.125"));
        assert_eq!(parse_number(",5", C).unwrap(), dec("0.5"));
    }

    #[test]
    fn ambiguous_or_broken_numbers_are_refused() {
        assert!(parse_number("12.50", C).is_err());
        assert!(parse_number("1,2,3", C).is_err());
        assert_eq!(parse_number("1,234", P).unwrap(), dec("1234"));
        assert_eq!(parse_number("1,234", C).unwrap(), dec("1.234"));
        for bad in ["NaN", "inf", "1e400", "abc", "", "-", "12a", "#N/A"] {
            assert!(parse_number(bad, P).is_err(), "{bad}");
        }
        assert!(parse_number(&"9".repeat(40), P)
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn convention_detection() {
        let texts = ["1 234,50", "12,5", "1,234"];
        assert_eq!(NumberConvention::detect(texts.into_iter(), P), C);
        let texts = ["1234.50", "7", "1,234"];
        assert_eq!(NumberConvention::detect(texts.into_iter(), C), P);
        assert_eq!(NumberConvention::detect(["1,234"].into_iter(), C), C);
    }

    #[test]
    fn excel_floats_become_what_excel_shows() {
        assert_eq!(decimal_from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(decimal_from_f64(0.1 * 3.0).unwrap().to_string(), "0.3");
        assert_eq!(decimal_from_f64(1234.5).unwrap().to_string(), "1234.5");
        assert_eq!(decimal_from_f64(150.0).unwrap().to_string(), "150");
        assert_eq!(decimal_from_f64(19.99).unwrap().to_string(), "19.99");
        assert!(decimal_from_f64(f64::NAN).is_err());
        assert!(decimal_from_f64(f64::INFINITY).is_err());
        assert!(decimal_from_f64(1e300).is_err());
        assert!(decimal_from_f64(1e-300).is_err());
    }

    #[test]
    fn dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let d = |s: &str| parse_date(s, today).unwrap();
        assert_eq!(d("2026-11-21"), today);
        assert_eq!(d("21.11.2026"), today);
        assert_eq!(d("21/11/2026"), today);
        assert_eq!(d("21 Nov 2026"), today);
        assert_eq!(d("21. nov. 2026"), today);
        assert_eq!(d("2026-11-21 14:30"), today);
        assert_eq!(d("today"), today);
        assert_eq!(d("I dag"), today);
        assert_eq!(d("46347"), today);
        // 2026-11-21 23:30 UTC is already the 22nd in Oslo.
        assert_eq!(d("1795303800"), today.succ_opt().unwrap());
        assert_eq!(d("2026-11-21T23:30:00Z"), today.succ_opt().unwrap());
        assert!(parse_date("31.02.2026", today).is_err());
        assert!(parse_date("soon", today).is_err());
        assert_eq!(
            cell_date(&Cell::Number(46347.75), today).unwrap(),
            today,
            "serial with a time of day"
        );
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let serial = |n: f64| cell_date(&Cell::Number(n), today);
        assert_eq!(serial(1.0).unwrap(), date(1900, 1, 1));
        assert_eq!(serial(59.0).unwrap(), date(1900, 2, 28));
        assert_eq!(serial(60.0).unwrap(), date(1900, 2, 28));
        assert_eq!(serial(61.0).unwrap(), date(1900, 3, 1));
        let text = |t: &str| cell_date(&Cell::Text(t.into()), today);
        assert_eq!(text("31.12.9999").unwrap(), date(9999, 12, 31));
        assert!(text("1.1.10000").unwrap_err().contains("after 9999-12-31"));
        assert!(text("1 jan 12026")
            .unwrap_err()
            .contains("after 9999-12-31"));
        assert!(text("31.12.1899")
            .unwrap_err()
            .contains("before 1900-01-01"));
        let cell = |d: NaiveDate| cell_date(&Cell::Date(d.and_hms_opt(0, 0, 0).unwrap()), today);
        assert!(cell(date(10113, 5, 1)).unwrap_err().contains("after"));
        assert!(cell(date(1899, 12, 31)).unwrap_err().contains("before"));
        assert_eq!(cell(date(9999, 12, 31)).unwrap(), date(9999, 12, 31));
    }

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
