//! `check` grouping lines into orders and validating them: values that differ between an
//! order's lines, the clean rows of an invalid order naming the rows with problems, a line
//! amount that disagrees with its price, and order dates before today.

use crate::support::*;
use serde_json::json;

#[test]
fn conflicting_order_values_on_non_adjacent_lines() {
    let w = Workdir::new();
    let mut t = one_order("A");
    t.order("B", CORPORATE, &[("Kabel", "1", "10", "25")]);
    let r = t.push(&[
        ("order_ref", "A"),
        ("product_name", "Modem"),
        ("quantity", "1"),
        ("unit_price", "50"),
        ("vat_rate", "25"),
    ]);
    t.set(r, "email", "kari@other.example.no");
    // Case and spacing are not a difference.
    let r = t.push(&[
        ("order_ref", "A"),
        ("product_name", "Sokker"),
        ("quantity", "1"),
        ("unit_price", "50"),
        ("vat_rate", "25"),
    ]);
    t.set(r, "name", "KARI  NORDMANN");
    w.write_sheet(&t);
    let out = w.check("orders.csv", &["--json"]);
    out.expect(1);
    assert_eq!(
        out.json()["orders"],
        json!({"total": 2, "valid": 1, "invalid": 1})
    );
    let result = w.result_csv("orders.result.csv");
    assert_eq!(
        result.statuses(),
        ["invalid", "valid", "invalid", "invalid"]
    );
    assert_eq!(
        result.cells("messages"),
        [
            "order A is not sent because of problems on row 4",
            "",
            "error: email \"kari@other.example.no\": differs from \"kari.nordmann@example.no\" on row 2 of order A; an order has one email: make them equal or leave this cell blank",
            "order A is not sent because of problems on row 4",
        ]
    );
}

#[test]
fn clean_rows_of_an_invalid_order_name_the_rows_with_problems() {
    let w = Workdir::new();
    let mut t = Table::standard();
    t.order(
        "A",
        PRIVATE,
        &[
            ("Router", "1", "100", "25"),
            ("Modem", "0", "50", "25"),
            ("Kabel", "1", "10", "20"),
        ],
    );
    // A blank line in a CSV is a row too: the rows below it keep Excel's numbers.
    t.rows.insert(1, vec![String::new(); HEADERS.len()]);
    w.write_sheet(&t);
    let out = w.check("orders.csv", &[]);
    out.expect(1);
    let result = w.result_csv("orders.result.csv");
    assert_eq!(result.rows.len(), 3, "the blank line is not a result line");
    assert_eq!(
        result.cells("messages"),
        [
            "order A is not sent because of problems on rows 4, 5",
            "error: quantity \"0\": must be greater than 0",
            "error: vat_rate \"20\": is not a VAT rate the provider accepts; use one of 0, 12, 15, 25",
        ]
    );
    out.stderr_has(&[
        "orders.csv row 4: error: quantity",
        "orders.csv row 5: error: vat_rate",
    ]);
}

#[test]
fn line_amount_mismatch_shows_both_values() {
    let w = Workdir::new();
    let mut t = Table::standard();
    t.order(
        "A",
        PRIVATE,
        &[("Sokker", "2", "249", "25"), ("Lue", "3", "33.33", "25")],
    );
    t.set(0, "line_amount", "500");
    t.set(1, "line_amount", "99.99");
    w.write_sheet(&t);
    let out = w.check("orders.csv", &[]);
    out.expect(1);
    let result = w.result_csv("orders.result.csv");
    assert_eq!(result.statuses(), ["invalid", "invalid"]);
    assert_eq!(
        result.cells("messages"),
        [
            "error: line_amount \"500\": the sheet says 500.00 but quantity × unit price − discount is 498.00; correct one of them",
            "order A is not sent because of problems on row 2",
        ]
    );
}

#[test]
fn order_date_before_today_is_an_error() {
    let w = Workdir::new();
    let mut t = one_line_orders(&["OLD", "TODAY", "LATER"]);
    t.set(0, "order_date", "20.11.2026");
    t.set(1, "order_date", "2026-11-21");
    t.set(2, "order_date", "1 Dec 2026");
    w.write_sheet(&t);
    let out = w.check("orders.csv", &["--payloads", "p.jsonl"]);
    out.expect(1);
    let result = w.result_csv("orders.result.csv");
    assert_eq!(result.statuses(), ["invalid", "valid", "valid"]);
    assert_eq!(
        result.get(0, "messages"),
        "error: order_date \"2026-11-20\": is in the past; the provider accepts today (2026-11-21) or later: leave it blank for today"
    );
    let payloads = w.payloads("p.jsonl");
    assert_eq!(
        payloads[0]["payload"]["orderDate"], "1795258800",
        "noon in Oslo on 2026-11-21"
    );
    // The same sheet two days earlier: every date is today or later.
    let earlier = w.run(&["check", "orders.csv", "--today", "2026-11-19"]);
    earlier.expect(0);
    let bad_today = w.run(&["check", "orders.csv", "--today", "21.11.2026"]);
    bad_today
        .expect(2)
        .stderr_has(&["--today 21.11.2026: write the date as YYYY-MM-DD"]);
}
