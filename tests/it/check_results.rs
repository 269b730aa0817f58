//! The result files `check` writes: XLSX with problem cells noted, JSON, CSV with formula-like
//! cells neutralised, an unknown extension refused, and never onto the sheet or its config.

use crate::support::*;
use serde_json::json;
use std::collections::BTreeSet;

#[test]
fn xlsx_result_file() {
    use calamine::{open_workbook, Data, Reader, Xlsx as CalXlsx};
    let w = Workdir::new();
    let mut t = two_orders();
    t.set(2, "email", "faktura@");
    w.write_sheet(&t);
    let out = w.check("orders.csv", &["--output", "result.xlsx"]);
    out.expect(1);
    assert!(
        !w.exists("orders.result.csv"),
        "--output replaces the default result file"
    );
    let mut book: CalXlsx<_> = open_workbook(w.join("result.xlsx")).unwrap();
    assert_eq!(book.sheet_names(), ["result"]);
    let range = book.worksheet_range("result").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| {
                    if *c == Data::Empty {
                        String::new()
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    let header = &rows[0];
    let status = header
        .iter()
        .position(|h| h == "status")
        .expect("a status column");
    let messages = header
        .iter()
        .position(|h| h == "messages")
        .expect("a messages column");
    assert_eq!(status, HEADERS.len());
    assert_eq!(messages, HEADERS.len() + 1);
    let statuses: Vec<&str> = rows[1..].iter().map(|r| r[status].as_str()).collect();
    assert_eq!(statuses, ["valid", "valid", "invalid"]);
    assert_eq!(
        rows[3][messages],
        "error: email \"faktura@\": is not a valid email address (name@example.no)"
    );
    // Cells keep their values (numbers stay numbers).
    let email = HEADERS.iter().position(|h| *h == "email").unwrap();
    assert_eq!(rows[3][email], "faktura@");
    assert_eq!(
        range.get((1, HEADERS.iter().position(|h| *h == "unit_price").unwrap())),
        Some(&Data::String("4500.00".into()))
    );

    // The problem cell carries its message as a note (calamine cannot read notes: unzip).
    let comments = zip_part(&w.join("result.xlsx"), "xl/comments1.xml").expect("a notes part");
    assert!(
        comments.contains("is not a valid email address"),
        "{comments}"
    );
    assert!(
        comments.contains("ref=\"E4\""),
        "the note sits on the email cell of row 4: {comments}"
    );
}

#[test]
fn json_result_file() {
    let w = Workdir::new();
    let mut t = two_orders();
    t.set(1, "quantity", "two");
    w.write_sheet(&t);
    let out = w.check("orders.csv", &["--output", "result.json"]);
    out.expect(1);
    let result = w.result_json("result.json");
    assert_eq!(result["sheet"], "orders.csv");
    let rows = result["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[1],
        json!({
            "row": 3,
            "order_ref": "1001",
            "status": "invalid",
            "messages": ["error: quantity \"two\": is not a number"],
            "cells": rows[1]["cells"].clone(),
        })
    );
    assert_eq!(rows[1]["cells"]["quantity"], "two");
    assert_eq!(rows[1]["cells"]["product_name"], "Installation");
    assert_eq!(
        rows[0]["messages"],
        json!(["order 1001 is not sent because of problems on row 3"])
    );
    assert_eq!(rows[2]["status"], "valid");
    let cells: BTreeSet<&str> = rows[0]["cells"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(cells, HEADERS.iter().copied().collect());
}

#[test]
fn unknown_result_extension_is_refused() {
    Test::new()
        .write("orders.csv", two_orders().csv(b','))
        .check("orders.csv", &["--output", "result.pdf"])
        .status(2)
        .stderr_has(&["cannot write a result file with the extension \".pdf\""])
        .run();
}

#[test]
fn csv_result_neutralises_formula_cells() {
    let w = Workdir::new();
    let mut t = two_orders();
    t.set(
        0,
        "product_name",
        "=HYPERLINK(\"https://evil.example\",\"klikk\")",
    );
    t.set(1, "product_name", "@SUM(A1:A9)");
    t.set(2, "product_name", "-2+3");
    w.write_sheet(&t);
    let out = w.check("orders.csv", &["--payloads", "p.jsonl"]);
    out.expect(0);
    let result = w.result_csv("orders.result.csv");
    assert_eq!(
        result.get(0, "product_name"),
        "'=HYPERLINK(\"https://evil.example\",\"klikk\")"
    );
    assert_eq!(result.get(1, "product_name"), "'@SUM(A1:A9)");
    assert_eq!(result.get(2, "product_name"), "'-2+3");
    assert_eq!(result.get(0, "phone"), "'+47 465 67 468");
    assert_eq!(
        result.get(0, "unit_price"),
        "4500.00",
        "numbers are left alone"
    );
    // Only the result file is neutralised: the payload carries the name as written.
    let payloads = w.payloads("p.jsonl");
    assert_eq!(
        payloads[0]["payload"]["products"][0]["name"],
        "=HYPERLINK(\"https://evil.example\",\"klikk\")"
    );
}

#[test]
fn regression_output_onto_the_sheet_replaced_the_sheet() {
    // `--output orders.csv` on orders.csv used to replace the user's sheet with the result,
    // and `--payloads` could do the same to the sheet or the config.
    let w = Workdir::new();
    let sheet = two_orders().csv(b',');
    w.write_csv("orders.csv", &sheet, Encoding::Utf8);
    w.write("fpgo-export.toml", "[defaults]\nlanguage = \"no\"\n");
    for args in [
        &["--output", "orders.csv"][..],
        &["--output", "./orders.csv"],
        &["--payloads", "orders.csv"],
        &["--payloads", "fpgo-export.toml"],
        &["--payloads", "orders.result.csv"],
        &["--output", "r.csv", "--payloads", "r.csv"],
    ] {
        let out = Test::on(&w)
            .check("orders.csv", args)
            .status(2)
            .file("orders.csv", &sheet)
            .file("fpgo-export.toml", "[defaults]\nlanguage = \"no\"\n")
            .run();
        out.has_one_fatal_error();
        assert!(
            out.stderr.contains("choose another file")
                || out.stderr.contains("give them different names"),
            "{}",
            out.report()
        );
    }
    assert_eq!(w.read("orders.csv"), sheet, "the sheet is untouched");
    assert_eq!(
        w.read("fpgo-export.toml"),
        "[defaults]\nlanguage = \"no\"\n"
    );
    assert!(!w.exists("orders.result.csv") && !w.exists("r.csv"));
    w.check("orders.csv", &["--payloads", "p.jsonl"]).expect(0);
}

#[test]
fn a_workbook_sheet_got_a_comma_separated_csv_result() {
    // Norwegian Excel opened `orders.result.csv` (commas) in one column. A workbook's result is
    // a workbook; asked for as CSV, it is the CSV a Norwegian Excel writes: `;`, decimal commas.
    let w = Workdir::new();
    let mut t = two_orders();
    t.set(0, "unit_price", "1798.5");
    t.set(2, "email", "faktura@");
    w.write_xlsx("orders.xlsx", &t.xlsx());
    Test::on(&w)
        .check("orders.xlsx", &[])
        .status(1)
        .stderr_has(&["result: orders.result.xlsx"])
        .no_file("orders.result.csv")
        .run();
    let result = w.result_xlsx("orders.result.xlsx");
    assert_eq!(result.statuses(), ["valid", "valid", "invalid"]);
    assert_eq!(result.get(0, "unit_price"), "1798.5", "a number, typed");

    w.check("orders.xlsx", &["--output", "x.csv"]).expect(1);
    let text = w.read("x.csv");
    let header = text.trim_start_matches('\u{feff}').lines().next().unwrap();
    assert!(header.starts_with("order_ref;order_date;"), "{header}");
    let csv = w.result_csv("x.csv");
    assert_eq!(csv.get(0, "unit_price"), "1798,5");
    assert_eq!(csv.statuses(), ["valid", "valid", "invalid"]);

    // A CSV sheet's result is a CSV in the sheet's own delimiter, whichever it is.
    for delimiter in [b';', b','] {
        let w = Workdir::new();
        w.write_csv("orders.csv", &t.csv(delimiter), Encoding::Utf8);
        w.check("orders.csv", &[]).expect(1);
        assert!(!w.exists("orders.result.xlsx"));
        let text = w.read("orders.result.csv");
        let header = text.trim_start_matches('\u{feff}').lines().next().unwrap();
        let expected = format!("order_ref{}order_date", delimiter as char);
        assert!(header.starts_with(&expected), "{header}");
    }
}

/// Orders are settled as soon as their last line is read; the payloads still come in the
/// order of the orders' first lines when an earlier order is complete after a later one.
#[test]
fn payloads_in_the_order_of_first_lines_whatever_order_is_complete_first() {
    let w = Workdir::new();
    let mut t = Table::standard();
    t.order("A-1", PRIVATE, &[("Router", "1", "4500.00", "12")]);
    t.order("B-2", CORPORATE, &[("Kaffe", "4", "229", "15")]);
    t.order("C-3", PRIVATE, &[("Kabel", "1", "149", "25")]);
    t.order("A-1", &[], &[("Installasjon", "2", "250", "25")]);
    w.write_sheet(&t);
    w.check("orders.csv", &["--payloads", "p.jsonl"]).expect(0);
    let payloads = w.payloads("p.jsonl");
    let refs: Vec<&str> = payloads
        .iter()
        .map(|p| p["order_ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["A-1", "B-2", "C-3"]);
    assert_eq!(payloads[0]["rows"], json!([2, 5]));
}
