//! Every seed-003 rule of the regular-invoice endpoint broken in turn, each a local problem on
//! its row and column before anything is sent, and a missing required column of the endpoint
//! stopping the run with one message.

use crate::support::*;
use serde_json::json;
use std::collections::BTreeSet;

/// One broken rule: the cells changed on a valid order and the exact message of its row.
struct Case {
    company: bool,
    changes: &'static [(&'static str, &'static str)],
    /// The result file's message on the order's row ("" = the order is valid).
    message: &'static str,
    /// Whether the same order is valid on invoice-session (the rule is regular-invoice's own).
    session_valid: bool,
}

const fn case(
    company: bool,
    changes: &'static [(&'static str, &'static str)],
    message: &'static str,
    session_valid: bool,
) -> Case {
    Case {
        company,
        changes,
        message,
        session_valid,
    }
}

const PERSONAL_NUMBER_BLANK: &str = "error: personal_number: is blank; regular invoices need the customer's (or the company contact's) 11-digit personal number";

const CASES: &[Case] = &[
    case(false, &[("personal_number", "")], PERSONAL_NUMBER_BLANK, false),
    case(true, &[("personal_number", "")], PERSONAL_NUMBER_BLANK, true),
    case(
        false,
        &[("personal_number", "280387123834")],
        "error: personal_number \"280387123834\": must be exactly 11 digits",
        false,
    ),
    case(
        true,
        &[("personal_number", "2803871238X")],
        "error: personal_number \"2803871238X\": must be exactly 11 digits",
        false,
    ),
    case(
        true,
        &[("organization_id", "")],
        "error: organization_id: is blank; corporate customers need their organisation number",
        false,
    ),
    case(
        true,
        &[("organization_id", "914_286_018")],
        "error: organization_id \"914_286_018\": may hold only letters and digits",
        false,
    ),
    case(
        false,
        &[("send_by_sms", "")],
        "error: send_by_sms: is blank; write yes or no, or set send_by_sms in the config's [defaults]",
        true,
    ),
    case(
        false,
        &[("send_by_email", "")],
        "error: send_by_email: is blank; write yes or no, or set send_by_email in the config's [defaults]",
        true,
    ),
    case(
        false,
        &[("send_by_invoice", "")],
        "error: send_by_invoice: is blank; write yes or no, or set send_by_invoice in the config's [defaults]",
        true,
    ),
    case(
        false,
        &[("credit_check", "")],
        "error: credit_check: is blank; write yes or no, or set credit_check in the config's [defaults]",
        true,
    ),
    case(
        false,
        &[("invoice_as_payment_option", "")],
        "error: invoice_as_payment_option: is blank; write yes or no, or set invoice_as_payment_option in the config's [defaults]",
        true,
    ),
    case(
        false,
        &[("send_by_sms", "maybe")],
        "error: send_by_sms \"maybe\": is not yes or no; write yes/no, ja/nei, true/false, 1/0 or x",
        true,
    ),
    case(
        false,
        &[("send_by_email", "2")],
        "error: send_by_email \"2\": is not yes or no; write yes/no, ja/nei, true/false, 1/0 or x",
        true,
    ),
    case(
        false,
        &[("send_by_invoice", "sometimes")],
        "error: send_by_invoice \"sometimes\": is not yes or no; write yes/no, ja/nei, true/false, 1/0 or x",
        true,
    ),
    case(
        false,
        &[("credit_check", "ok")],
        "error: credit_check \"ok\": is not yes or no; write yes/no, ja/nei, true/false, 1/0 or x",
        true,
    ),
    case(
        false,
        &[("invoice_as_payment_option", "kanskje")],
        "error: invoice_as_payment_option \"kanskje\": is not yes or no; write yes/no, ja/nei, true/false, 1/0 or x",
        true,
    ),
    case(
        false,
        &[("invoice_interval", "3")],
        "error: invoice_interval \"3\": must be 0 (daily), 1 (once a month) or 2 (twice a month)",
        false,
    ),
    case(
        false,
        &[("invoice_interval", "0")],
        "error: due_date: is blank; invoice_interval 0 (daily) needs the payment link's due date",
        true,
    ),
    case(
        false,
        &[("invoice_interval", "0"), ("due_date", "1 Dec 2026")],
        "",
        true,
    ),
    case(
        false,
        &[("language", "")],
        "error: language: is blank; regular invoices need one of en, no, sv, da, de",
        true,
    ),
    case(
        false,
        &[("language", "xx")],
        "error: language \"xx\": is not a language the provider offers; use en, no, sv, da or de",
        false,
    ),
    case(
        false,
        &[("street", "")],
        "error: street: is blank; write the customer's street address",
        false,
    ),
    case(
        false,
        &[("zip", "")],
        "error: zip: is blank; write the postal code",
        false,
    ),
    case(
        false,
        &[("city", "")],
        "error: city: is blank; write the city",
        false,
    ),
    case(
        false,
        &[("country", "NOR")],
        "error: country \"NOR\": is not an ISO 3166-1 alpha-2 country code; write NO, SE, DK, …",
        false,
    ),
    case(
        false,
        &[("country", "XX")],
        "error: country \"XX\": is not an ISO 3166-1 alpha-2 country code; write NO, SE, DK, …",
        false,
    ),
    case(
        false,
        &[("shipping_cost", "")],
        "error: shipping_cost: is blank; write the shipping cost (0 for none), or set shipping_cost in the config's [defaults]",
        true,
    ),
    case(
        false,
        &[("shipping_cost", "-1")],
        "error: shipping_cost \"-1\": is negative; shipping is 0 or more",
        true,
    ),
    case(
        false,
        &[("shipping_cost", "1.005")],
        "error: shipping_cost \"1.005\": has more than 2 decimals; round it yourself so nothing is rounded away unseen",
        true,
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn each_seed_003_rule_broken_is_a_local_problem_on_its_row_and_column() {
    let work = Workdir::new();
    let mut t = regular_table();
    // A valid order of each kind first, then one order per case, one line each.
    t.order("OK-P", &regular_private(), &TWO_LINES[..1]);
    t.order("OK-C", &regular_corporate(), &TWO_LINES[..1]);
    let keys: Vec<String> = (0..CASES.len()).map(|i| format!("C-{i:02}")).collect();
    for (case, key) in CASES.iter().zip(&keys) {
        let base = if case.company {
            regular_corporate()
        } else {
            regular_private()
        };
        t.order(key, &with_cells(&base, case.changes), &TWO_LINES[..1]);
    }
    work.write_sheet(&t);

    let out = work.check("orders.csv", &["--endpoint", "regular-invoice", "--json"]);
    out.expect(1);
    let valid_cases = CASES.iter().filter(|c| c.message.is_empty()).count();
    assert_eq!(valid_cases, 1, "one case is the valid due date");
    let invalid = CASES.len() - valid_cases;
    let result = work.result_csv("orders.result.csv");
    assert_eq!(result.rows.len(), CASES.len() + 2);
    assert_eq!(
        (result.get(0, "status"), result.get(0, "messages")),
        ("valid", "")
    );
    assert_eq!(
        (result.get(1, "status"), result.get(1, "messages")),
        ("valid", "")
    );
    for (i, case) in CASES.iter().enumerate() {
        let line = i + 2;
        let sheet_row = line + 2;
        assert_eq!(result.get(line, "order_ref"), keys[i]);
        let expected = case.message;
        let what = format!("case {i} {:?} (row {sheet_row})", case.changes);
        assert_eq!(result.get(line, "messages"), expected, "{what}");
        if expected.is_empty() {
            assert_eq!(result.get(line, "status"), "valid", "{what}");
            continue;
        }
        assert_eq!(result.get(line, "status"), "invalid", "{what}");
        // On stderr too, on that row, naming the column as the sheet does (values of
        // personal numbers are masked there, so only the start is compared).
        let column = expected
            .strip_prefix("error: ")
            .and_then(|m| m.split([' ', ':']).next())
            .unwrap();
        let line_start = format!("orders.csv row {sheet_row}: error: {column}");
        assert!(
            out.stderr
                .lines()
                .any(|l| l.trim_start().starts_with(&line_start)),
            "{what}: no {line_start:?} in\n{}",
            out.stderr
        );
    }
    assert_eq!(
        out.json()["orders"],
        json!({"total": CASES.len() + 2, "valid": 2 + valid_cases, "invalid": invalid})
    );
    assert_eq!(
        out.json()["problems"]["errors"],
        invalid,
        "one error per case"
    );
    // The valid due date reaches the payload as Unix seconds (noon in Oslo on 1 Dec).
    let with_due_date = work.check(
        "orders.csv",
        &["--endpoint", "regular-invoice", "--payloads", "p.jsonl"],
    );
    with_due_date.expect(1);
    let sent = work.payloads_by_order("p.jsonl");
    let due = CASES.iter().position(|c| c.message.is_empty()).unwrap();
    assert_eq!(
        sent.keys().cloned().collect::<BTreeSet<_>>(),
        set_of(&["OK-P", "OK-C", &keys[due]])
    );
    assert_eq!(sent[&keys[due]]["dueDateForPaymentLink"], "1796122800");
    assert_eq!(sent[&keys[due]]["invoiceInterval"], 0);

    // The rules that are regular-invoice's own do not apply to invoice-session.
    let session = work.check(
        "orders.csv",
        &["--endpoint", "invoice-session", "--output", "s.csv"],
    );
    session.expect(1);
    let by_order = work.result_csv("s.csv").order_statuses();
    for (i, case) in CASES.iter().enumerate() {
        let status = if case.session_valid {
            "valid"
        } else {
            "invalid"
        };
        assert_eq!(
            by_order[&keys[i]], status,
            "case {i} {:?} on invoice-session",
            case.changes
        );
    }

    // Nothing of an invalid order is sent: submit sends the valid ones only.
    let provider = Provider::start(config()).await;
    let run = submit(&work, &provider, &["--endpoint", "regular-invoice"]);
    run.expect(1);
    assert_counts(&run.json(), &[("created", 3), ("invalid", invalid as u64)]);
    assert_eq!(
        provider.stats().await.total(),
        3,
        "one request per valid order"
    );
    assert_eq!(provider.stats().await.get(REGULAR_ROUTE, "417"), 0);
    let orders = provider.orders_of("regular-invoice").await;
    assert_eq!(
        orders.keys().cloned().collect::<BTreeSet<_>>(),
        set_of(&["OK-P", "OK-C", &keys[due]])
    );
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_required_column_of_the_endpoint_stops_the_run_with_one_message() {
    let work = Workdir::new();
    let headers: Vec<&str> = regular_headers()
        .into_iter()
        .filter(|h| *h != "shipping_cost")
        .collect();
    let mut t = Table::new(&headers);
    let cells: Vec<_> = regular_private()
        .into_iter()
        .filter(|(h, _)| *h != "shipping_cost")
        .collect();
    t.order("M-1", &cells, &TWO_LINES);
    work.write_sheet(&t);

    let out = work.check("orders.csv", &["--endpoint", "regular-invoice", "--json"]);
    out.expect(2);
    assert_eq!(out.stdout, "", "no summary when the run cannot start");
    out.fatal_errors_are(&["error: orders.csv: required columns are missing: shipping_cost."]);
    assert!(!work.exists("orders.result.csv"));
    // invoice-session has no use for it.
    work.check("orders.csv", &[]).expect(0);
    // An invoice-session sheet lacks every column regular-invoice adds.
    let plain = Workdir::new();
    let mut t = Table::standard();
    t.order("S-1", PRIVATE, &TWO_LINES);
    plain.write_sheet(&t);
    let out = plain.check("orders.csv", &["--endpoint", "regular-invoice"]);
    out.expect(2).fatal_errors_are(&["error: orders.csv: required columns are missing: language, shipping_cost, send_by_sms, send_by_email, send_by_invoice, credit_check, invoice_as_payment_option."]);

    // submit stops the same way, before sending anything.
    let provider = Provider::start(config()).await;
    let run = submit(&work, &provider, &["--endpoint", "regular-invoice"]);
    run.expect(2)
        .stderr_has(&["required columns are missing: shipping_cost."]);
    assert_eq!(provider.stats().await.total(), 0);
    provider.stop().await;
}
