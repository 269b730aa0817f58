//! Dates as people and Excel write them: date cells and serial numbers, ISO, Norwegian and
//! English forms, Unix seconds, `today`/`i dag`; each a day in Europe/Oslo, within Excel's own
//! range (1900-01-01 to 9999-12-31).

use super::formula_error;
use crate::pipeline::read::Cell;
use chrono::{DateTime, NaiveDate};
use chrono_tz::Europe::Oslo;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
