//! `check` reading every kind of sheet through the binary: UTF-8, UTF-8 with a BOM and
//! Windows-1252 CSV with either delimiter and decimal convention, XLSX cells as Excel stores
//! them, `--sheet`, and the columns a sheet has (required ones missing, unknown ones warned).

use crate::support::*;
use serde_json::{json, Value};

#[test]
fn valid_utf8_csv_exits_0_with_json_counts() {
    let w = Workdir::new();
    w.write_sheet(&two_orders());
    let out = w.check("orders.csv", &["--json"]);
    out.expect(0);
    let s = out.json();
    assert_eq!(s["orders"], json!({"total": 2, "valid": 2, "invalid": 0}));
    assert_eq!(s["rows"], json!({"total": 3, "valid": 3, "invalid": 0}));
    assert_eq!(s["problems"], json!({"errors": 0, "warnings": 0}));
    // 4500 + 500 + 599.70; VAT 482.14 + 100.00 + 119.94.
    assert_eq!(
        s["money"],
        json!({"grand_total": "5599.70", "total_tax": "702.08"})
    );
    assert_eq!(s["format"], "CSV, UTF-8, delimiter ','");
    assert_eq!(s["number_convention"], "decimal point");
    assert_eq!(s["result_file"], "orders.result.csv");
    assert_eq!(s["config"], Value::Null);
    // The default result file sits beside the sheet.
    let result = w.result_csv("orders.result.csv");
    assert_eq!(result.statuses(), vec!["valid"; 3]);
    assert_eq!(&result.headers[..HEADERS.len()], HEADERS);
    assert_eq!(result.headers[HEADERS.len()..], ["status", "messages"]);
    out.stderr_has(&[
        "orders: 2 (2 valid, 0 invalid)",
        "valid orders total 5599.70 NOK incl. VAT, of which VAT 702.08",
    ]);
}

#[test]
fn windows_1252_semicolon_decimal_comma_keeps_norwegian_letters() {
    let w = Workdir::new();
    let mut t = Table::new(&[
        "Ordrenr",
        "Kundetype",
        "Kundenavn",
        "E-post",
        "Telefon",
        "Fødselsnummer",
        "Adresse",
        "Postnr",
        "Poststed",
        "Land",
        "Fakturagebyr",
        "callback",
        "success",
        "failure",
        "Varenavn",
        "Antall",
        "Enhetspris",
        "MVA %",
        "Linjesum",
    ]);
    let customer = [
        ("Kundetype", "privat"),
        ("Kundenavn", "Åse Sæther"),
        ("E-post", "ase.saether@example.com"),
        ("Telefon", "+47 494 54 633"),
        ("Fødselsnummer", "12876543883"),
        ("Adresse", "Strandkaien 3"),
        ("Postnr", "5013"),
        ("Poststed", "Bergen"),
        ("Land", "NO"),
        ("Fakturagebyr", "ja"),
        ("callback", "https://shop.example.no/cb"),
        ("success", "https://shop.example.no/ok"),
        ("failure", "https://shop.example.no/fail"),
    ];
    let mut first: Vec<(&str, &str)> = customer.to_vec();
    first.extend([
        ("Ordrenr", "NO-1"),
        ("Varenavn", "Brunost 500 g – Gudbrandsdalsost"),
        ("Antall", "3"),
        ("Enhetspris", "kr 89,90"),
        ("MVA %", "15"),
        ("Linjesum", "269,70"),
    ]);
    t.push(&first);
    t.push(&[
        ("Ordrenr", "NO-1"),
        ("Varenavn", "Tørrfisk"),
        ("Antall", "1,5"),
        ("Enhetspris", "1 249,50"),
        ("MVA %", "15"),
        ("Linjesum", "1 874,25"),
    ]);
    let text = t.csv(b';');
    let bytes = encode(&text, Encoding::Windows1252);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture must not be valid UTF-8"
    );
    w.write("bestilling.csv", &bytes);
    let out = w.check(
        "bestilling.csv",
        &["--payloads", "payloads.jsonl", "--json"],
    );
    out.expect(0);
    let s = out.json();
    assert_eq!(s["format"], "CSV, windows-1252, delimiter ';'");
    assert_eq!(s["number_convention"], "decimal comma");
    assert_eq!(s["money"]["grand_total"], "2143.95");

    let result = w.result_csv("bestilling.result.csv");
    assert_eq!(result.headers[5], "Fødselsnummer");
    assert_eq!(result.get(0, "Kundenavn"), "Åse Sæther");
    assert_eq!(result.get(1, "Varenavn"), "Tørrfisk");
    assert_eq!(
        result.get(0, "Varenavn"),
        "Brunost 500 g – Gudbrandsdalsost"
    );
    // The result keeps the sheet's own delimiter and text.
    assert!(w.read("bestilling.result.csv").contains(";1 249,50;"));

    let payloads = w.payloads("payloads.jsonl");
    assert_eq!(payloads.len(), 1);
    let p = &payloads[0]["payload"];
    assert_eq!(p["customerDetails"]["name"], "Åse Sæther");
    assert_eq!(p["products"][0]["name"], "Brunost 500 g – Gudbrandsdalsost");
    assert_eq!(p["products"][0]["rate"], "89.90");
    assert_eq!(p["products"][1]["name"], "Tørrfisk");
    assert_eq!(p["products"][1]["quantity"], "1.5");
    assert_eq!(p["products"][1]["rate"], "1249.50");
    assert_eq!(p["products"][1]["amount"], "1874.25");
    assert_eq!(p["customerDetails"]["countryCode"], "+47");
    assert_eq!(p["customerDetails"]["msisdn"], "49454633");
}

#[test]
fn utf8_bom_csv_is_read_with_its_first_header() {
    let w = Workdir::new();
    let t = two_orders();
    w.write_csv("bom.csv", &t.csv(b','), Encoding::Utf8Bom);
    let out = w.check("bom.csv", &["--json"]);
    out.expect(0);
    let s = out.json();
    assert_eq!(s["format"], "CSV, UTF-8 with BOM, delimiter ','");
    assert_eq!(s["orders"]["valid"], 2);
    // The BOM is not part of the first header, so nothing is reported as unknown.
    assert_eq!(s["notes"], json!([]));
    assert_eq!(w.result_csv("bom.result.csv").headers[0], "order_ref");
}

/// The XLSX fixture of `xlsx_cells_as_excel_stores_them`: rows 1 (header), 2 and 5 (order
/// 2001), 3 blank but present, 4 absent, 6 (order 2002 with a past date cell).
fn excel_book() -> Xlsx {
    let mut t = Table::standard();
    t.order("2001", PRIVATE, &[("Router", "1", "4500", "12")]);
    let mut x = t.xlsx();
    x.set(1, "zip", X::Num(150.0))
        .set(1, "city", X::text("Oslo"))
        .set(1, "personal_number", X::Num(4_816_216_775.0))
        .set(1, "order_date", X::Date(2026, 11, 25))
        .set(1, "line_amount", X::Num(4500.0))
        // A boolean cell, and a VAT rate in a cell formatted as a percentage (0.12 for 12 %).
        .set(1, "invoice_fee", X::Bool(true))
        .set(1, "vat_rate", X::Num(0.12));
    // Row 3: blank cells that exist in the file; row 4: nothing at all.
    x.row(2, vec![X::Blank; HEADERS.len()]);
    let col = |h: &str| HEADERS.iter().position(|x| *x == h).unwrap() as u16;
    // Row 5: the second line of 2001, priced with float noise.
    x.cell(4, col("order_ref"), X::Num(2001.0))
        .cell(4, col("product_name"), X::text("Kabel"))
        .cell(4, col("quantity"), X::Num(10.0))
        .cell(4, col("unit_price"), X::Num(0.1 + 0.2))
        .cell(4, col("vat_rate"), X::Num(25.0))
        .cell(4, col("line_amount"), X::Num(0.1 * 3.0 * 10.0));
    // Row 6: order 2002, dated before today.
    for (h, v) in PRIVATE {
        x.cell(5, col(h), X::text(v));
    }
    x.cell(5, col("order_ref"), X::Num(2002.0))
        .cell(5, col("order_date"), X::Date(2026, 11, 1))
        .cell(5, col("product_name"), X::text("Modem"))
        .cell(5, col("quantity"), X::Num(1.0))
        .cell(5, col("unit_price"), X::Num(999.0))
        .cell(5, col("vat_rate"), X::Num(25.0));
    x
}

#[test]
fn xlsx_cells_as_excel_stores_them() {
    let w = Workdir::new();
    w.write_xlsx("orders.xlsx", &excel_book());
    let out = w.check(
        "orders.xlsx",
        &["--payloads", "p.jsonl", "--output", "result.json", "--json"],
    );
    out.expect(1);
    let s = out.json();
    assert_eq!(s["format"], "XLSX, sheet \"Orders\"");
    assert_eq!(s["orders"], json!({"total": 2, "valid": 1, "invalid": 1}));
    assert_eq!(s["rows"]["total"], 3, "blank rows are not rows");
    assert_eq!(
        s["problems"],
        json!({"errors": 1, "warnings": 3}),
        "{}",
        out.stderr
    );

    // Row numbers are the ones Excel shows: blank rows 3 and 4 are skipped but counted.
    let result = w.result_json("result.json");
    let rows = result["rows"].as_array().unwrap();
    let numbers: Vec<u64> = rows.iter().map(|r| r["row"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [2, 5, 6]);
    assert_eq!(rows[0]["order_ref"], "2001");
    assert_eq!(
        rows[1]["order_ref"], "2001",
        "a numeric order number reads as 2001, not 2001.0"
    );

    // The lost zeros are restored, each with a warning on its row, and so is a VAT rate read
    // from a percentage cell.
    let messages = rows[0]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert_eq!(
        messages[2],
        "warning: vat_rate \"0.12\": read as 12 % (a cell formatted as a percentage holds 0.12)"
    );
    assert!(messages[0]
        .as_str()
        .unwrap()
        .starts_with("warning: personal_number \"4816216775\": lost its leading zero"));
    assert!(messages[0]
        .as_str()
        .unwrap()
        .contains("read as \"04816216775\""));
    assert!(messages[1]
        .as_str()
        .unwrap()
        .starts_with("warning: zip \"150\": lost its leading zero"));
    assert!(messages[1].as_str().unwrap().contains("read as \"0150\""));
    assert_eq!(rows[0]["status"], "valid");
    out.stderr_has(&["orders.xlsx row 2: warning: zip \"150\""]);

    // Float noise is read as the number Excel shows.
    assert_eq!(rows[1]["status"], "valid", "{}", rows[1]);
    assert_eq!(rows[1]["messages"], json!([]));
    assert_eq!(rows[1]["cells"]["unit_price"], "0.3");

    // A date cell before today is an error on its row, shown as a date.
    assert_eq!(rows[2]["status"], "invalid");
    assert_eq!(
        rows[2]["messages"][0],
        "error: order_date \"2026-11-01\": is in the past; the provider accepts today (2026-11-21) or later: leave it blank for today"
    );
    out.stderr_has(&["orders.xlsx row 6: error: order_date"]);

    let payloads = w.payloads("p.jsonl");
    assert_eq!(payloads.len(), 1);
    assert_eq!(payloads[0]["order_ref"], "2001");
    assert_eq!(payloads[0]["rows"], json!([2, 5]));
    let p = &payloads[0]["payload"];
    assert_eq!(p["customerDetails"]["address"]["zip"], "0150");
    assert_eq!(p["customerDetails"]["personalNumber"], "04816216775");
    // The date cell 2026-11-25: noon in Oslo (CET) is 11:00 UTC.
    assert_eq!(p["orderDate"], "1795604400");
    assert_eq!(p["products"][1]["rate"], "0.30");
    assert_eq!(p["products"][1]["quantity"], "10");
    assert_eq!(p["products"][1]["amount"], "3.00");
    assert_eq!(p["orderSummary"]["grandTotal"], "4503.00");
    assert_eq!(p["invoiceFeeApplicable"], true);
    assert_eq!(p["products"][0]["tax"], "12");
    assert_eq!(
        p["orderSummary"]["totalTax"], "482.74",
        "482.14 at 12 % + 0.60 at 25 %"
    );
}

#[test]
fn sheet_option_picks_a_named_sheet() {
    let w = Workdir::new();
    let mut book = Xlsx::new("Notes");
    book.row(0, vec![X::text("Read me first"), X::text("nothing here")]);
    book.sheet("Orders");
    two_orders().write_to(&mut book);
    w.write_xlsx("book.xlsx", &book);

    // The first sheet is read by default: it has no order columns.
    let first = w.check("book.xlsx", &[]);
    first.expect(2).stderr_has(&[
        "required columns are missing",
        "\"Read me first\", \"nothing here\"",
    ]);

    // Sheet names match ignoring case.
    let named = w.check("book.xlsx", &["--sheet", "orders", "--json"]);
    named.expect(0);
    assert_eq!(named.json()["format"], "XLSX, sheet \"Orders\"");
    assert_eq!(named.json()["orders"]["valid"], 2);

    let unknown = w.check("book.xlsx", &["--sheet", "Ordrer"]);
    unknown
        .expect(2)
        .stderr_has(&["has no sheet \"Ordrer\"; its sheets are: Notes, Orders"]);

    // --sheet on a CSV is a mistake, said as such.
    w.write_sheet(&two_orders());
    let csv = w.check("orders.csv", &["--sheet", "Orders"]);
    csv.expect(2).stderr_has(&["--sheet applies to workbooks"]);
}

#[test]
fn missing_required_columns_stop_the_run_with_one_message() {
    let w = Workdir::new();
    let mut t = Table::new(&["order_ref", "Kundenavn", "colour", "Antall"]);
    t.push(&[
        ("order_ref", "1"),
        ("Kundenavn", "Kari"),
        ("colour", "red"),
        ("Antall", "1"),
    ]);
    w.write_sheet(&t);
    let out = w.check("orders.csv", &["--json"]);
    out.expect(2);
    assert_eq!(out.stdout, "", "no summary when the run cannot start");
    out.fatal_errors_are(&["error: orders.csv: required columns are missing: email, phone, street, zip, city, country, invoice_fee, callback_url, success_url, failure_url, product_name, unit_price, vat_rate."]);
    out.stderr_has(&[
        "Headers found on row 1: \"order_ref\", \"Kundenavn\", \"colour\", \"Antall\".",
    ]);
    assert!(
        !w.exists("orders.result.csv"),
        "no result file when the run cannot start"
    );
}

#[test]
fn unknown_columns_are_warned() {
    let w = Workdir::new();
    let mut t = two_orders();
    t.headers
        .extend(["colour".to_string(), "Lagerplass".to_string()]);
    for row in &mut t.rows {
        row.extend(["red".to_string(), "B-12".to_string()]);
    }
    w.write_sheet(&t);
    let out = w.check("orders.csv", &["--json"]);
    out.expect(0);
    let note = "columns ignored (no field has these names): colour, Lagerplass; see docs/columns.md or map them in the config's [columns]";
    assert_eq!(out.json()["notes"], json!([note]));
    out.stderr_has(&[&format!("warning: {note}")]);
    // The ignored columns still travel to the result file.
    let result = w.result_csv("orders.result.csv");
    assert_eq!(result.get(0, "Lagerplass"), "B-12");
}

/// A table whose header `from` is written `to`, as a user's sheet may spell it.
fn renamed(mut table: Table, from: &str, to: &str) -> Table {
    let column = table.headers.iter().position(|h| h == from).unwrap();
    table.headers[column] = to.to_string();
    table
}

#[test]
fn a_misspelt_required_header_is_suggested_not_only_missing() {
    let w = Workdir::new();
    w.write_sheet(&renamed(two_orders(), "quantity", "Antal"));
    let out = w.check("orders.csv", &[]);
    out.expect(2)
        .fatal_errors_are(&["error: orders.csv: required columns are missing: quantity."]);
    out.stderr_has(&["  The column \"Antal\" looks like quantity (antall): name it quantity (or antall), or map it in the config's [columns] (quantity = \"Antal\")."]);
}

#[test]
fn a_misspelt_optional_header_is_suggested_and_an_unrelated_one_is_not() {
    let w = Workdir::new();
    let mut t = two_orders();
    t.headers.extend(["Rabat".to_string(), "Farge".to_string()]);
    for row in &mut t.rows {
        row.extend([String::new(), "rød".to_string()]);
    }
    w.write_sheet(&t);
    let out = w.check("orders.csv", &["--json"]);
    out.expect(0);
    let suggestion = "column Rabat is ignored: did you mean discount (rabatt)? Name it discount (or rabatt), or map it in the config's [columns]";
    assert_eq!(
        out.json()["notes"],
        json!([
            "columns ignored (no field has these names): Rabat, Farge; see docs/columns.md or map them in the config's [columns]",
            suggestion
        ])
    );
    out.stderr_has(&[&format!("warning: {suggestion}")]);
}

#[test]
fn an_ignored_personal_number_column_is_named_on_its_blank_error() {
    let w = Workdir::new();
    w.write_sheet(&renamed(two_orders(), "personal_number", "Fødselsnr"));
    let out = w.check("orders.csv", &[]);
    out.expect(1).stderr_has(&["row 2: error: personal_number: is blank; private customers need their 11-digit personal number; the column \"Fødselsnr\" is ignored but looks like it: name it personal_number (or fødselsnummer), or map it in the config's [columns]"]);

    // Mapped in the config, the same column is read and the order is valid.
    w.write(
        "fpgo-export.toml",
        "[columns]\npersonal_number = \"Fødselsnr\"\n",
    );
    w.check("orders.csv", &[]).expect(0);
}
