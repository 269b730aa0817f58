//! What a user runs first: the templates `template` writes pass their own check, and the sample
//! sheets in `samples/` are invalid exactly on the rows they break on purpose.

use crate::support::*;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn template_csv_passes_check() {
    let w = Workdir::new();
    Test::on(&w)
        .args(&["template", "--output", "template.csv"])
        .stderr_has(&["wrote template.csv"])
        .run();
    Test::on(&w)
        .check("template.csv", &["--json"])
        .stdout_json(|s| {
            assert_eq!(s["orders"], json!({"total": 1, "valid": 1, "invalid": 0}));
            assert_eq!(s["rows"]["total"], 2);
            assert_eq!(s["problems"]["warnings"], 0);
            assert_eq!(s["notes"], json!([]), "every template column is a field");
        })
        .run();
}

#[test]
fn template_xlsx_passes_check() {
    let w = Workdir::new();
    Test::on(&w)
        .args(&["template", "--output", "template.xlsx"])
        .run();
    Test::on(&w)
        .check("template.xlsx", &["--json"])
        .stdout_json(|s| {
            assert_eq!(s["orders"], json!({"total": 1, "valid": 1, "invalid": 0}));
            assert_eq!(s["problems"]["warnings"], 0);
            assert_eq!(s["format"], "XLSX, sheet \"orders\"");
        })
        .run();
    Test::on(&w)
        .args(&["template", "--output", "template.ods"])
        .status(2)
        .run();
}

/// A result file by row number: (order, status, messages).
type RowsByNumber = BTreeMap<u64, (String, String, Vec<String>)>;

/// Runs a sample with its config beside it and returns its result rows.
fn run_sample(w: &Workdir, name: &str) -> (Output, RowsByNumber) {
    w.copy_sample(name);
    let out = w.check(name, &["--output", "result.json", "--json"]);
    let rows = w
        .json_rows("result.json")
        .iter()
        .map(|r| {
            let messages = r["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
                .collect();
            (
                r["row"].as_u64().unwrap(),
                (
                    r["order_ref"].as_str().unwrap().to_string(),
                    r["status"].as_str().unwrap().to_string(),
                    messages,
                ),
            )
        })
        .collect();
    (out, rows)
}

/// The rows with errors are exactly `broken`; their orders are invalid, every other order valid.
#[track_caller]
fn assert_sample(rows: &RowsByNumber, broken: &[u64]) {
    let with_errors: Vec<u64> = rows
        .iter()
        .filter(|(_, (_, _, m))| m.iter().any(|m| m.starts_with("error:")))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(with_errors, broken);
    let bad_orders: BTreeSet<&str> = broken.iter().map(|n| rows[n].0.as_str()).collect();
    assert_eq!(bad_orders.len(), broken.len(), "one broken row per order");
    for (n, (order, status, messages)) in rows {
        if bad_orders.contains(order.as_str()) {
            assert_eq!(status, "invalid", "row {n}");
            if !broken.contains(n) {
                assert!(
                    messages
                        .iter()
                        .any(|m| m.contains("is not sent because of problems on row")),
                    "row {n}: {messages:?}"
                );
            }
        } else {
            assert_eq!(status, "valid", "row {n} of order {order}: {messages:?}");
        }
    }
}

#[test]
fn sample_orders_no_csv() {
    let w = Workdir::new();
    let (out, rows) = run_sample(&w, "orders-no.csv");
    out.expect(1);
    let s = out.json();
    assert_eq!(s["config"], "fpgo-export.toml");
    assert_eq!(s["format"], "CSV, windows-1252, delimiter ';'");
    assert_eq!(s["number_convention"], "decimal comma");
    assert_eq!(s["orders"]["invalid"], 6);
    assert_eq!(rows.len(), 61);
    assert_sample(&rows, &[13, 17, 27, 35, 40, 42]);
    assert!(rows[&27].2[0]
        .contains("the sheet says 900,00 but quantity × unit price − discount is 899,00"));
    assert!(rows[&42].2[0].contains("on row 41 of order NO-1017"));
    // Windows-1252 text arrives as text.
    let result = w.result_json("result.json");
    assert_eq!(result["rows"][6]["cells"]["Kundenavn"], "Ørjan Bækkelund");
}

#[test]
fn sample_orders_xlsx() {
    let w = Workdir::new();
    let (out, rows) = run_sample(&w, "orders.xlsx");
    out.expect(1);
    let s = out.json();
    assert_eq!(s["orders"]["invalid"], 3);
    assert_sample(&rows, &[12, 28, 42]);
    // The sample's numeric zips and personal numbers lost their zeros: warnings, not errors.
    let zip_warnings = rows
        .values()
        .flat_map(|(_, _, m)| m)
        .filter(|m| m.starts_with("warning: zip") && m.contains("lost its leading zero"))
        .count();
    assert!(zip_warnings >= 1, "{rows:?}");
}

#[test]
fn template_csv_was_comma_separated_for_a_norwegian_excel() {
    // A Norwegian Excel opens a `;` CSV with decimal commas in columns; `--delimiter ,` asks
    // for commas and decimal points. Both pass their own check.
    let w = Workdir::new();
    Test::on(&w).args(&["template", "--output", "no.csv"]).run();
    Test::on(&w)
        .args(&["template", "--output", "en.csv", "--delimiter", ","])
        .run();
    Test::on(&w)
        .args(&["template", "--output", "tab.csv", "--delimiter", "|"])
        .status(2)
        .stderr_has(&["give ; (decimal commas) or , (decimal points)"])
        .no_file("tab.csv")
        .run();
    for (name, delimiter, price, convention) in [
        ("no.csv", ';', "4500,00", "decimal comma"),
        ("en.csv", ',', "4500.00", "decimal point"),
    ] {
        let text = w.read(name);
        let header = text.trim_start_matches('\u{feff}').lines().next().unwrap();
        assert!(
            header.starts_with(&format!("order_ref{delimiter}")),
            "{name}: {header}"
        );
        assert_eq!(w.result_csv(name).get(0, "unit_price"), price, "{name}");
        Test::on(&w)
            .check(name, &["--json"])
            .stdout_json(|s| {
                assert_eq!(s["orders"], json!({"total": 1, "valid": 1, "invalid": 0}));
                assert_eq!(s["number_convention"], convention);
                assert_eq!(s["problems"]["warnings"], 0);
            })
            .run();
    }
}
