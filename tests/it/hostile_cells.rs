//! Hostile cells never panic and never reach a result or a message unchecked: numbers that are
//! not numbers or out of range, formula errors, control characters, sign-led text a
//! spreadsheet would run as a formula, dates outside Excel's, and cells of megabytes.

use crate::support::*;
use serde_json::{json, Value};

#[test]
fn numbers_that_are_not_numbers() {
    let w = Workdir::new();
    let mut t = Table::standard();
    let cases: &[(&str, &str, &str)] = &[
        ("quantity", "NaN", "is not a number"),
        ("unit_price", "inf", "is not a number"),
        ("unit_price", "-Infinity", "is not a number"),
        ("line_amount", "1e400", "is not a number"),
        (
            "quantity",
            "1234567890123456789012345678901234567890",
            "is too large (more than 15 digits)",
        ),
        (
            "unit_price",
            "79228162514264337593543950336",
            "is too large (more than 15 digits)",
        ),
        ("vat_rate", "NaN", "is not a number"),
        ("discount", "0x1F", "is not a number"),
        (
            "unit_price",
            "12,5,0",
            "has more than one decimal separator (',')",
        ),
    ];
    t.headers.push("discount".into());
    for (i, (column, value, _)) in cases.iter().enumerate() {
        let key = format!("N-{i}");
        t.one_line(&key);
        let row = t.rows.len() - 1;
        t.set(row, column, value);
    }
    // 15 digits each is allowed, but their product leaves the range of a decimal.
    t.order(
        "N-overflow",
        PRIVATE,
        &[("Router", "999999999999999", "999999999999999", "25")],
    );
    w.write_csv("numbers.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("numbers.csv", &["--output", "result.json", "--json"]);
    out.expect(1);
    assert_eq!(out.json()["orders"]["valid"], 0);
    let result = w.result_json("result.json");
    for (i, (column, value, message)) in cases.iter().enumerate() {
        let row = &result["rows"][i];
        assert_eq!(row["row"], i as u64 + 2);
        assert_eq!(row["status"], "invalid");
        assert_eq!(
            row["messages"][0],
            format!("error: {column} \"{value}\": {message}"),
            "{row}"
        );
    }
    let overflow = &result["rows"][cases.len()];
    assert_eq!(
        overflow["messages"],
        json!(["error: quantity: quantity × unit price is too large to compute"])
    );
}

#[test]
fn xlsx_numbers_out_of_range() {
    let w = Workdir::new();
    let t = one_line_orders(&["X-1", "X-2", "X-3"]);
    let mut x = t.xlsx();
    x.set(1, "unit_price", X::Num(1e300))
        .set(2, "quantity", X::Num(1e-300))
        .set(3, "unit_price", X::Num(0.123456));
    w.write_xlsx("range.xlsx", &x);
    let out = w.check("range.xlsx", &["--output", "result.json"]);
    out.expect(1);
    let result = w.result_json("result.json");
    let messages: Vec<&Value> = result["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["messages"][0])
        .collect();
    // Numbers a decimal cannot hold are shown the way Excel writes them.
    assert_eq!(
        *messages[0],
        json!("error: unit_price \"1e300\": is too large (more than 15 digits)")
    );
    assert_eq!(
        *messages[1],
        json!("error: quantity \"1e-300\": is too small to be a real amount")
    );
    assert_eq!(
        *messages[2],
        json!("error: unit_price \"0.123456\": has more than 4 decimals; round it yourself so nothing is rounded away unseen")
    );
}

#[test]
fn formula_error_cells() {
    let w = Workdir::new();
    let t = one_line_orders(&["F-1", "F-2", "F-3"]);
    let mut x = t.xlsx();
    // A formula with a cached error result is what Excel saves for =1/0 and =NA().
    x.set(1, "quantity", X::Formula("1/0".into(), "#DIV/0!".into()))
        .set(2, "name", X::Formula("NA()".into(), "#N/A".into()))
        // The same text typed into a cell is text, not an error: a number column refuses it.
        .set(3, "unit_price", X::text("#N/A"));
    w.write_xlsx("formulas.xlsx", &x);
    let out = w.check("formulas.xlsx", &["--output", "result.json", "--json"]);
    out.expect(1);
    let result = w.result_json("result.json");
    let rows = result["rows"].as_array().unwrap();
    assert_eq!(
        rows[0]["messages"],
        json!(["error: quantity \"#DIV/0!\": the cell holds the formula error #DIV/0!; fix the formula or type the value"])
    );
    assert_eq!(
        rows[1]["messages"],
        json!(["error: name \"#N/A\": the cell holds the formula error #N/A; fix the formula or type the value"])
    );
    assert_eq!(
        rows[2]["messages"],
        json!(["error: unit_price \"#N/A\": is not a number"])
    );
    assert_eq!(out.json()["orders"]["valid"], 0);
    // Formula cells with ordinary results are read by their result.
    let mut x = one_order("F-4").xlsx();
    x.set(1, "quantity", X::Formula("1+1".into(), "2".into()));
    w.write_xlsx("ok.xlsx", &x);
    let out = w.check("ok.xlsx", &["--payloads", "p.jsonl"]);
    out.expect(0);
    assert_eq!(
        w.payloads("p.jsonl")[0]["payload"]["products"][0]["quantity"],
        "2"
    );
}

#[test]
fn cells_with_control_characters_and_quotes() {
    let w = Workdir::new();
    let mut t = one_order("Q-1");
    t.set(
        0,
        "product_name",
        "Router \"Pro\", 2\u{a0}stk;\nlinje to\t\u{7}",
    );
    w.write_csv("quotes.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("quotes.csv", &["--payloads", "p.jsonl"]);
    out.expect(0);
    assert_eq!(
        w.payloads("p.jsonl")[0]["payload"]["products"][0]["name"],
        "Router \"Pro\", 2\u{a0}stk;\nlinje to\t\u{7}"
    );
    let result = w.result_csv("quotes.result.csv");
    assert_eq!(
        result.get(0, "product_name"),
        "Router \"Pro\", 2\u{a0}stk;\nlinje to\t\u{7}"
    );
}

#[test]
fn double_minus_in_a_cell_reached_the_csv_result_unneutralised() {
    // Only a plain number (a sign, digits, one decimal separator and digits) may start with a
    // sign unescaped; a spreadsheet runs `--5` or `+-5` as a formula.
    let risky = [
        "--5",
        "+-5",
        "-+5",
        "-5+3",
        "-1e5",
        "-1,2,3",
        "-1.2.3",
        "-..",
        "-5.",
        "-,5",
        "- 5",
        "-5 ",
        "\t-5",
        "\t5",
        "\r5",
        "=1+2",
        "@SUM(A1)",
        "+47 465 67 468",
    ];
    let plain = ["-5", "+5", "-12,50", "-12.50", "-0.125", "5"];
    let mut t = Table::standard();
    for (i, name) in risky.iter().chain(&plain).enumerate() {
        t.one_line(&format!("D-{i}"));
        t.set(i, "product_name", name);
    }
    let w = Workdir::new();
    w.write_csv("signs.csv", &t.csv(b','), Encoding::Utf8);
    w.check("signs.csv", &[]);
    // A workbook's cells take the other way into a CSV result: written cell by cell.
    let mut x = t.xlsx();
    for (i, name) in risky.iter().chain(&plain).enumerate() {
        x.set(i as u32 + 1, "product_name", X::text(name));
    }
    w.write_xlsx("signs.xlsx", &x);
    w.check("signs.xlsx", &["--output", "signs-xlsx.result.csv"]);
    for file in ["signs.result.csv", "signs-xlsx.result.csv"] {
        let result = w.result_csv(file);
        for (i, name) in risky.iter().enumerate() {
            assert_eq!(
                result.get(i, "product_name"),
                format!("'{name}"),
                "{file}: {name:?}"
            );
        }
        for (i, name) in plain.iter().enumerate() {
            assert_eq!(
                result.get(risky.len() + i, "product_name"),
                *name,
                "{file}: {name:?}"
            );
        }
    }
}

#[test]
fn excel_serial_date_3000000_was_accepted_as_an_order_date() {
    // Excel's dates run from 1900-01-01 (serial 1) to 9999-12-31 (serial 2,958,465). A date
    // cell outside them shows ##### in Excel and is no date to invoice on.
    let after = "is after 9999-12-31, the last date Excel has; check the year";
    let before = "is before 1900-01-01, the first date Excel has; check the year";
    let serials: &[(f64, Option<&str>)] = &[
        (3_000_000.0, Some(after)),
        (2_958_466.0, Some(after)),
        (2_958_465.0, None),
        (46_347.0, None),
        (0.0, Some(before)),
        (-1.0, Some(before)),
    ];
    let mut t = Table::standard();
    for i in 0..serials.len() {
        t.one_line(&format!("E-{i}"));
    }
    let mut x = t.xlsx();
    for (i, (serial, _)) in serials.iter().enumerate() {
        x.set(i as u32 + 1, "order_date", X::Serial(*serial));
    }
    let w = Workdir::new();
    w.write_xlsx("serials.xlsx", &x);
    let out = w.check("serials.xlsx", &["--output", "result.json"]);
    out.expect(1);
    let rows = w.json_rows("result.json");
    for (row, (serial, message)) in rows.iter().zip(serials) {
        match message {
            None => assert_eq!(row["status"], "valid", "{serial}: {row}"),
            Some(message) => {
                let first = row["messages"][0].as_str().unwrap_or_default();
                assert!(
                    first.starts_with("error: order_date \"") && first.ends_with(message),
                    "{serial}: {row}"
                );
            }
        }
    }

    // The same bounds for dates written as text.
    let texts: &[(&str, Option<&str>)] = &[
        ("21.11.10113", Some(after)),
        ("21 Nov 10113", Some(after)),
        ("31.12.9999", None),
        ("9999-12-31", None),
        ("21.11.0026", Some(before)),
    ];
    let mut t = Table::standard();
    for (i, (text, _)) in texts.iter().enumerate() {
        t.one_line(&format!("T-{i}"));
        t.set(i, "order_date", text);
    }
    w.write_csv("texts.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("texts.csv", &["--output", "result.json"]);
    out.expect(1);
    let rows = w.json_rows("result.json");
    for (row, (text, message)) in rows.iter().zip(texts) {
        match message {
            None => assert_eq!(row["status"], "valid", "{text}: {row}"),
            Some(message) => assert_eq!(
                row["messages"],
                json!([format!("error: order_date \"{text}\": {message}")]),
                "{text}"
            ),
        }
    }
}

#[test]
fn huge_cell_was_echoed_whole_on_stderr() {
    // A few MB in each cell a message names: the order key (named by the messages about its
    // order), a value that differs between an order's lines, a product id that is too long and
    // a header no field has.
    const SIZE: usize = 3 * 1024 * 1024;
    let (key, name, id, header) = (
        "K".repeat(SIZE),
        "N".repeat(SIZE),
        "P".repeat(SIZE),
        "H".repeat(SIZE),
    );
    let mut t = Table::standard();
    t.order(
        &key,
        PRIVATE,
        &[("Router", "1", "100", "25"), ("Switch", "1", "100", "25")],
    );
    t.set(1, "name", &name);
    t.one_line("P-1");
    t.set(2, "product_id", &id);
    t.headers.push(header.clone());
    for row in &mut t.rows {
        row.push("x".into());
    }
    let w = Workdir::new();
    w.write_csv("huge.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("huge.csv", &["--json"]);
    out.expect(1);
    assert!(out.stderr.len() < 4096, "{} bytes", out.stderr.len());
    assert!(out.stdout.len() < 4096, "{} bytes", out.stdout.len());
    let cut = |c: &str| format!("{}… ({SIZE} characters)", c.repeat(60));
    let quoted = |c: &str| format!("\"{}…\" ({SIZE} characters)", c.repeat(60));
    for line in [
        format!(
            "huge.csv row 3: error: name {}: differs from \"Kari Nordmann\" on row 2 of order {}; an order has one name: make them equal or leave this cell blank",
            quoted("N"),
            cut("K")
        ),
        format!(
            "huge.csv row 4: error: product_id {}: is longer than the provider's 25 characters; shorten it",
            quoted("P")
        ),
        format!(
            "warning: columns ignored (no field has these names): {}; see docs/columns.md or map them in the config's [columns]",
            cut("H")
        ),
    ] {
        out.stderr_has(&[&line]);
    }

    // The cells the tool writes into a result stay within Excel's 32,767 characters; a CSV
    // result copies the sheet's own cells whole (they are the user's data).
    let result = w.result_csv("huge.result.csv");
    for row in &result.rows {
        for column in ["status", "messages"] {
            let cell = &row[result.column(column)];
            assert!(cell.chars().count() <= 32_767, "{column}: {}", cell.len());
        }
    }
    assert_eq!(
        result.get(0, "messages"),
        format!(
            "order {} is not sent because of problems on row 3",
            cut("K")
        )
    );
    assert_eq!(result.get(1, "name"), name);

    // An XLSX result holds every cell within the limit; a longer one says what it leaves out.
    w.check("huge.csv", &["--output", "huge.xlsx"]).expect(1);
    use calamine::{open_workbook, Reader, Xlsx as CalXlsx};
    let mut book: CalXlsx<_> = open_workbook(w.join("huge.xlsx")).unwrap();
    let range = book.worksheet_range("result").unwrap();
    for cell in range.used_cells() {
        let text = cell.2.to_string();
        assert!(
            text.chars().count() <= 32_767,
            "{:?}: {}",
            (cell.0, cell.1),
            text.len()
        );
    }
    let name_column = HEADERS.iter().position(|h| *h == "name").unwrap();
    let cell = range.get((2, name_column)).unwrap().to_string();
    let kept = cell.chars().take_while(|&c| c == 'N').count();
    assert!(kept > 32_700, "{kept}");
    assert_eq!(
        cell,
        format!("{}… and {} more characters", "N".repeat(kept), SIZE - kept)
    );
}
