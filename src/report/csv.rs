//! The CSV result: UTF-8 with a BOM (so Excel shows æøå), the sheet's own delimiter, and cells
//! that a spreadsheet would run as a formula neutralised with a leading apostrophe.

use super::{messages, rows_with_results};
use crate::check::Checked;
use std::io::Write;

pub fn write(checked: &Checked, out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(b"\xef\xbb\xbf")?;
    let mut w = ::csv::WriterBuilder::new()
        .delimiter(checked.sheet.delimiter())
        .flexible(true)
        .from_writer(out);
    let width = checked.sheet.headers.len();
    let mut header: Vec<String> = checked.sheet.headers.iter().map(|h| neutralise(h)).collect();
    header.extend(["status".to_string(), "messages".to_string()]);
    w.write_record(&header)?;
    for (row, result) in rows_with_results(checked) {
        let mut record: Vec<String> = (0..width).map(|c| neutralise(&row.cell(c).display())).collect();
        record.push(result.status.as_str().to_string());
        record.push(neutralise(&messages(checked, result).join(" | ")));
        w.write_record(&record)?;
    }
    w.flush()
}

/// A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) would be run as a
/// formula by a spreadsheet: prefix it with `'`. Plain numbers such as `-5` are left alone.
pub fn neutralise(cell: &str) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.trim().trim_start_matches(['-', '+']).chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && cell.trim().len() > 1;
    if risky && !number {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("+47 465 67 468"), "'+47 465 67 468");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("-5"), "-5");
        assert_eq!(neutralise("-12,50"), "-12,50");
        assert_eq!(neutralise("Kari"), "Kari");
    }
}
