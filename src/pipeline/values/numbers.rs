//! Numbers as people type them (`1 234,50`, `kr 199,-`, `−5`, `25 %`) in the convention the
//! file was found to use, and numeric cells as Excel shows them. No float ever becomes money
//! without going through [`decimal_from_f64`].

use super::formula_error;
use crate::pipeline::read::{decimal_from_f64, Cell};
use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// How the file writes decimals: `1234.50` or `1234,50`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NumberConvention {
    #[default]
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
    /// A number as this convention writes it, every decimal it has: `0,25` in a decimal-comma
    /// file. The one way a message quotes a number the tool computed or read.
    pub fn show(self, n: Decimal) -> String {
        self.written(n.to_string())
    }

    /// An amount of money as this convention writes it, with two decimals (rounded as
    /// invoices are): `1789,00` in a decimal-comma file.
    pub fn show_money(self, n: Decimal) -> String {
        self.written(crate::model::money::wire2(n))
    }

    /// A number's text (decimal point, no thousands separator) in this convention.
    pub fn written(self, text: String) -> String {
        match self {
            NumberConvention::DecimalPoint => text,
            NumberConvention::DecimalComma => text.replace('.', ","),
        }
    }

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
    if let Some(value) = plain_number(super::trim(text), conv) {
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
        assert_eq!(decimal_from_f64(-0.0).unwrap().to_string(), "0");
        assert_eq!(
            decimal_from_f64(0.30000000000000004).unwrap().to_string(),
            "0.3"
        );
        assert_eq!(decimal_from_f64(1e-7).unwrap().to_string(), "0.0000001");
        assert_eq!(
            decimal_from_f64(123456789012.34567).unwrap().to_string(),
            "123456789012.346"
        );
        // Whatever way a float is read, it gives the decimal its shortest text gives.
        for i in -30_000..30_000i64 {
            for value in [
                i as f64 / 100.0,
                i as f64 * 0.01,
                i as f64 / 8.0,
                i as f64 * 1.1,
            ] {
                let text = Decimal::from_str(&format!("{value}")).unwrap().normalize();
                let digits = text.mantissa().unsigned_abs().to_string().len();
                if digits <= 15 {
                    assert_eq!(decimal_from_f64(value).unwrap(), text, "{value}");
                    assert_eq!(decimal_from_f64(value).unwrap().scale(), text.scale());
                }
            }
        }
        assert!(decimal_from_f64(f64::NAN).is_err());
        assert!(decimal_from_f64(f64::INFINITY).is_err());
        assert!(decimal_from_f64(1e300).is_err());
        assert!(decimal_from_f64(1e-300).is_err());
    }
}
