//! Two endpoints side by side: columns one endpoint has no use for, the same sheet sent to both
//! as two sets of orders (the ledger keys orders per endpoint), the `d M, Y` order date, and a
//! template per endpoint.

use crate::support::*;
use fpgo_export::model::DateFormat;
use fpgo_export::sandbox::Config;
use serde_json::json;
use std::collections::BTreeSet;

// ---------------------------------------------------------------------------------------------
// Columns one endpoint has no use for

#[test]
fn regular_only_columns_are_ignored_with_a_note_on_invoice_session() {
    let work = Workdir::new();
    let mut t = regular_table();
    // Values that would be errors on regular-invoice: invoice-session does not even read them.
    let cells = with_cells(
        &regular_private(),
        &[
            ("shipping_cost", "abc"),
            ("send_by_sms", "maybe"),
            ("due_date", "soon"),
            ("terms", "30 dager"),
        ],
    );
    t.order("I-1", &cells, &TWO_LINES);
    work.write_sheet(&t);
    let out = work.check("orders.csv", &["--json", "--payloads", "p.jsonl"]);
    out.expect(0);
    let note = format!(
        "columns not used by the invoice-session endpoint, ignored: {}",
        REGULAR_ONLY.join(", ")
    );
    assert_eq!(out.json()["notes"], json!([note]));
    out.stderr_has(&[&format!("warning: {note}")]);
    let p = &work.payloads_by_order("p.jsonl")["I-1"];
    assert_eq!(p["orderSummary"]["grandTotal"], "657.90", "no shipping");
    for absent in [
        "dueDateForPaymentLink",
        "sendOrderBy",
        "isCreditCheckAvailable",
        "invoiceAsPaymentOption",
        "invoiceReferences",
        "internalReferences",
        "submitPayment",
    ] {
        assert!(p.get(absent).is_none(), "{absent} in {p}");
    }
    assert!(p["orderSummary"].get("shippingCost").is_none(), "{p}");
    // The ignored columns still travel to the result file.
    assert_eq!(
        work.result_csv("orders.result.csv").get(0, "shipping_cost"),
        "abc"
    );

    // Vice versa: the columns invoice-session uses break nothing on regular-invoice (and no
    // column is reported unused).
    let mut t = regular_table();
    t.headers
        .extend(["invoice_maturity".to_string(), "secure_details".to_string()]);
    t.order(
        "I-2",
        &with_cells(
            &regular_private(),
            &[("invoice_maturity", "14"), ("secure_details", "yes")],
        ),
        &TWO_LINES,
    );
    work.write_sheet(&t);
    let out = work.check(
        "orders.csv",
        &[
            "--endpoint",
            "regular-invoice",
            "--json",
            "--payloads",
            "p.jsonl",
        ],
    );
    out.expect(0);
    assert_eq!(out.json()["notes"], json!([]));
    let p = &work.payloads_by_order("p.jsonl")["I-2"];
    assert_eq!(p["orderSummary"]["grandTotal"], "706.90");
    assert_eq!(p["invoiceFeeApplicable"], true);
    assert_eq!(
        p["callback"]["callbackUrl"],
        "https://shop.example.no/fpgo/callback"
    );
}

// ---------------------------------------------------------------------------------------------
// The ledger keys orders per endpoint

#[tokio::test(flavor = "multi_thread")]
async fn the_same_sheet_on_both_endpoints_is_two_sets_of_orders() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    // Valid on both: invoice_fee and callback_url for invoice-session, the rest for regular.
    let mut t = regular_table();
    for i in 1..=3 {
        t.order(&format!("B-{i}"), &regular_private(), &TWO_LINES);
    }
    work.write_sheet(&t);
    let keys = set_of(&["B-1", "B-2", "B-3"]);

    // First one endpoint, then the other: the second creates all three again.
    for (endpoint, counts) in [
        ("invoice-session", &[("created", 3)][..]),
        ("regular-invoice", &[("created", 3), ("already_created", 0)]),
    ] {
        let run = submit(&work, &provider, &["--endpoint", endpoint]);
        run.expect(0);
        assert_counts(&run.json(), counts);
        assert_eq!(
            work.result_csv("orders.result.csv")
                .order_statuses()
                .values()
                .collect::<Vec<_>>(),
            ["created"; 3],
            "{endpoint}"
        );
    }

    let all = provider.listed().await;
    assert_eq!(all.len(), 6);
    for key in &keys {
        let endpoints: Vec<&str> = all
            .iter()
            .filter(|o| o["referenceNo"] == key.as_str())
            .map(|o| o["endpoint"].as_str().unwrap())
            .collect();
        assert_eq!(endpoints, ["invoice-session", "regular-invoice"], "{key}");
    }
    let on_session = provider.orders_of("invoice-session").await;
    let on_regular = provider.orders_of("regular-invoice").await;
    assert_eq!(on_session.keys().cloned().collect::<BTreeSet<_>>(), keys);
    assert_eq!(on_regular.keys().cloned().collect::<BTreeSet<_>>(), keys);
    assert_eq!(
        on_session["B-1"]["payload"]["orderSummary"]["grandTotal"],
        "657.90"
    );
    assert_eq!(
        on_regular["B-1"]["payload"]["orderSummary"]["grandTotal"],
        "706.90"
    );
    assert_ne!(on_session["B-1"]["id"], on_regular["B-1"]["id"]);

    // The ledger holds each key once per endpoint.
    let ledger = rusqlite::Connection::open(work.join("ledger.sqlite")).unwrap();
    let mut rows = ledger
        .prepare("SELECT endpoint, order_key, state FROM orders ORDER BY endpoint, order_key")
        .unwrap();
    let rows: Vec<(String, String, String)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let expected: Vec<(String, String, String)> = ["invoice-session", "regular-invoice"]
        .iter()
        .flat_map(|e| {
            keys.iter()
                .map(move |k| (e.to_string(), k.clone(), "created".to_string()))
        })
        .collect();
    assert_eq!(rows, expected);

    // Either again creates nothing new.
    for endpoint in ["regular-invoice", "invoice-session"] {
        let again = submit(&work, &provider, &["--endpoint", endpoint]);
        again.expect(0);
        let json = again.json();
        assert_counts(&json, &[("created", 0), ("already_created", 3)]);
        assert_eq!(json["requests"], 0, "{endpoint}: {json}");
        let result = work.result_csv("orders.result.csv");
        let on = if endpoint == "regular-invoice" {
            &on_regular
        } else {
            &on_session
        };
        for i in 0..result.rows.len() {
            assert_eq!(
                result.get(i, "order_id"),
                on[result.get(i, "order_ref")]["id"],
                "{endpoint}"
            );
        }
    }
    assert_eq!(provider.stats().await.total(), 6);
    assert_eq!(provider.listed().await.len(), 6);
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The `d M, Y` order date

#[tokio::test(flavor = "multi_thread")]
async fn the_d_m_y_order_date_round_trips() {
    let work = Workdir::new();
    work.write(
        "fpgo-export.toml",
        "endpoint = \"regular-invoice\"\norder_date_format = \"d M, Y\"\n",
    );
    work.write("unix.toml", "endpoint = \"regular-invoice\"\n");
    let mut t = regular_table();
    t.order("Y-1", &regular_private(), &TWO_LINES);
    t.order(
        "Y-2",
        &with_cells(&regular_private(), &[("order_date", "2026-12-02")]),
        &TWO_LINES,
    );
    work.write_sheet(&t);

    let out = work.check("orders.csv", &["--payloads", "dmy.jsonl"]);
    out.expect(0);
    let dmy = work.payloads_by_order("dmy.jsonl");
    assert_eq!(dmy["Y-1"]["orderDate"], "21 Nov, 2026");
    assert_eq!(dmy["Y-2"]["orderDate"], "02 Dec, 2026", "a two-digit day");
    let unix_run = work.check(
        "orders.csv",
        &["--config", "unix.toml", "--payloads", "unix.jsonl"],
    );
    unix_run.expect(0);
    let unix = work.payloads_by_order("unix.jsonl");
    assert_eq!(unix["Y-1"]["orderDate"], TODAY_UNIX);

    // A sandbox that wants `d M, Y` creates what the tool sends.
    let dmy_sandbox = Provider::start(Config {
        date_format: DateFormat::DayMonthYear,
        ..config()
    })
    .await;
    let run = submit(&work, &dmy_sandbox, &[]);
    run.expect(0);
    assert_counts(&run.json(), &[("created", 2)]);
    let stored = dmy_sandbox.orders_of("regular-invoice").await;
    assert_eq!(stored["Y-1"]["payload"]["orderDate"], "21 Nov, 2026");
    assert_eq!(stored["Y-2"]["payload"]["orderDate"], "02 Dec, 2026");
    // ... and refuses a Unix orderDate, with nothing else wrong.
    let mut body = unix["Y-1"].clone();
    body["referenceNo"] = json!("Y-1-unix");
    assert_invalid(
        &dmy_sandbox.post(REGULAR_PATH, &body).await,
        &["The order date does not match the format d M, Y."],
    );
    dmy_sandbox.stop().await;

    // A sandbox in unix mode takes the Unix payload as it is.
    let unix_sandbox = Provider::start(config()).await;
    assert_created(&unix_sandbox.post(REGULAR_PATH, &unix["Y-1"]).await);
    assert_created(&unix_sandbox.post(REGULAR_PATH, &unix["Y-2"]).await);
    unix_sandbox.stop().await;

    // A format the tool does not know stops the run, and the sandbox's start.
    Test::on(&work)
        .args(&[
            "sandbox",
            "--order-date-format",
            "Y-m-d",
            "--bind",
            "127.0.0.1:0",
        ])
        .status(2)
        .stderr_has(&[
            "invalid value 'Y-m-d' for '--order-date-format <FORMAT>'",
            "[possible values: unix, \"d M, Y\"]",
        ])
        .run();
    Test::on(&work)
        .write("bad.toml", "order_date_format = \"Y-m-d\"\n")
        .check("orders.csv", &["--config", "bad.toml"])
        .status(2)
        .stderr_has(&["order_date_format = \"Y-m-d\": use \"unix\" or \"d M, Y\""])
        .run();
}

// ---------------------------------------------------------------------------------------------
// Templates per endpoint

/// The header row of a template, whichever its format.
fn template_headers(work: &Workdir, name: &str) -> Vec<String> {
    use calamine::Reader;
    if name.ends_with(".csv") {
        let text = work.read(name);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        return text
            .lines()
            .next()
            .unwrap()
            .split(';')
            .map(str::to_string)
            .collect();
    }
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(work.join(name)).unwrap();
    let range = book.worksheet_range("orders").unwrap();
    let first = range.rows().next().unwrap();
    first.iter().map(|c| c.to_string()).collect()
}

#[test]
fn the_regular_invoice_template_passes_its_check_and_holds_its_columns() {
    let work = Workdir::new();
    for ext in ["csv", "xlsx"] {
        let regular = format!("regular.{ext}");
        let session = format!("session.{ext}");
        work.run(&[
            "template",
            "--endpoint",
            "regular-invoice",
            "--output",
            &regular,
        ])
        .expect(0);
        work.run(&["template", "--output", &session]).expect(0);

        let check = work.check(&regular, &["--endpoint", "regular-invoice", "--json"]);
        check.expect(0);
        let s = check.json();
        assert_eq!(
            s["orders"],
            json!({"total": 1, "valid": 1, "invalid": 0}),
            "{ext}"
        );
        assert_eq!(s["problems"], json!({"errors": 0, "warnings": 0}), "{ext}");
        assert_eq!(s["notes"], json!([]), "{ext}: every column is used");

        let regular_headers = template_headers(&work, &regular);
        let session_headers = template_headers(&work, &session);
        for column in REGULAR_ONLY {
            assert!(
                regular_headers.iter().any(|h| h == column),
                "{ext}: {column} missing"
            );
            assert!(
                !session_headers.iter().any(|h| h == column),
                "{ext}: {column} present"
            );
        }
        assert!(regular_headers.iter().any(|h| h == "language"), "{ext}");
        // The invoice-session template does not pass on regular-invoice: it lacks the columns.
        let wrong = work.check(&session, &["--endpoint", "regular-invoice"]);
        wrong.expect(2);
    }
    Test::on(&work)
        .args(&["template", "--endpoint", "regular", "--output", "x.csv"])
        .status(2)
        .stderr_has(&[
            "invalid value 'regular' for '--endpoint <NAME>'",
            "[possible values: invoice-session, regular-invoice]",
        ])
        .no_file("x.csv")
        .run();
}
