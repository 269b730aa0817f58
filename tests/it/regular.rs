//! The regular-invoice endpoint (seed 003, issue 5) end to end through the built binary: orders
//! created in an in-process sandbox with shipping in the grand total, every seed-003 rule
//! broken in turn as a local problem, config defaults for the regular-only fields, columns one
//! endpoint ignores, a ledger keyed per endpoint, the `d M, Y` order date and the templates.
//!
//! As in `submit.rs`, every sandbox stands on a manual clock at 2026-11-21 12:00 UTC, every run
//! says `--today 2026-11-21`, and the sandbox keeps serving on the test's runtime while the
//! test thread waits for the binary (`block_in_place`).

use crate::support::{Item, Output, Provider, Table, Workdir, CORPORATE, HEADERS, PRIVATE};
use fpgo_export::model::DateFormat;
use fpgo_export::sandbox::{Clock, Config};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// 2026-11-21 12:00 UTC.
const NOON: i64 = 1_795_262_400;
/// Noon in Oslo on 2026-11-21, as the tool writes a Unix `orderDate`.
const TODAY_UNIX: &str = "1795258800";
const TOKEN: &str = "fpgo-it-REGULAR-4Tz8pQ1n";
const REGULAR_PATH: &str = "/connect/orders/regular/invoice/submit";
const REGULAR_ROUTE: &str = "POST /api/v1/connect/orders/regular/invoice/submit";
const SESSION_ROUTE: &str = "POST /api/v1/connect/orders/invoice/submit";

/// The columns only regular-invoice uses, in the order of the field list.
const REGULAR_ONLY: &[&str] = &[
    "due_date",
    "shipping_cost",
    "send_by_sms",
    "send_by_email",
    "send_by_invoice",
    "credit_check",
    "invoice_as_payment_option",
    "receipt_no",
    "customer_notes",
    "terms",
    "internal_reference",
    "internal_notes",
];

/// What a valid regular order adds to [`PRIVATE`] / [`CORPORATE`].
const REGULAR: &[(&str, &str)] = &[
    ("language", "no"),
    ("shipping_cost", "49.00"),
    ("send_by_sms", "no"),
    ("send_by_email", "yes"),
    ("send_by_invoice", "no"),
    ("credit_check", "no"),
    ("invoice_as_payment_option", "yes"),
];

/// Two lines: 2 × 229 at 15 % and 199.90 at 25 %. With 49.00 shipping: subTotal 398.26 +
/// 159.92 = 558.18, totalTax 59.74 + 39.98 = 99.72, grandTotal 657.90 + 49.00 = 706.90.
const TWO_LINES: [Item; 2] = [
    ("Kaffe hele bønner 1 kg", "2", "229", "15"),
    ("Termokopp", "1", "199.90", "25"),
];

/// Every column of an invoice-session sheet, plus language, invoice_interval,
/// customer_reference and every regular-only column.
fn regular_headers() -> Vec<&'static str> {
    let mut headers = HEADERS.to_vec();
    headers.extend(["language", "invoice_interval", "customer_reference"]);
    headers.extend_from_slice(REGULAR_ONLY);
    headers
}

fn private() -> Vec<(&'static str, &'static str)> {
    [PRIVATE, REGULAR].concat()
}

/// A company, with its contact's personal number (regular-invoice demands one).
fn corporate() -> Vec<(&'static str, &'static str)> {
    let mut cells = [CORPORATE, REGULAR].concat();
    cells.push(("personal_number", "28038712383"));
    cells
}

/// `base` with some cells replaced (or added).
fn with(
    base: &[(&'static str, &'static str)],
    changes: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut cells: Vec<_> = base
        .iter()
        .filter(|(h, _)| !changes.iter().any(|(c, _)| c == h))
        .copied()
        .collect();
    cells.extend_from_slice(changes);
    cells
}

fn regular_table() -> Table {
    Table::new(&regular_headers())
}

// ---------------------------------------------------------------------------------------------
// The provider

fn config() -> Config {
    Config {
        token: TOKEN.into(),
        clock: Clock::manual(NOON),
        rate_limit: 1_000_000,
        seed: 3,
        ..Config::default()
    }
}

/// A status and a JSON body.
type Reply = (u16, Value);

impl Provider {
    /// The stored orders of one endpoint by referenceNo, asserting none is there twice.
    async fn orders_of(&self, endpoint: &str) -> BTreeMap<String, Value> {
        let mut by_reference = BTreeMap::new();
        for order in self.listed().await {
            if order["endpoint"] == endpoint {
                let reference = order["referenceNo"].as_str().unwrap().to_string();
                let earlier = by_reference.insert(reference.clone(), order);
                assert!(
                    earlier.is_none(),
                    "{reference} is stored twice on {endpoint}"
                );
            }
        }
        by_reference
    }

    /// How many answers a route gave with this outcome (`201`, `417`, …).
    async fn count(&self, route: &str, outcome: &str) -> u64 {
        self.introspect("stats").await["routes"][route][outcome]
            .as_u64()
            .unwrap_or(0)
    }

    async fn total_requests(&self) -> u64 {
        self.introspect("stats").await["total"].as_u64().unwrap()
    }

    /// POSTs a body straight to an endpoint with the sandbox's token.
    async fn post(&self, path: &str, body: &Value) -> Reply {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url()))
            .bearer_auth(TOKEN)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

// ---------------------------------------------------------------------------------------------
// Runs

/// `submit orders.csv` against `base_url` on the workdir's ledger, with `FPGO_TOKEN` set.
fn submit(work: &Workdir, base_url: &str, extra: &[&str]) -> Output {
    let args = crate::submit::submit_args(work, base_url, "orders.csv", extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tokio::task::block_in_place(|| work.run_env(&[("FPGO_TOKEN", TOKEN)], &args))
}

#[track_caller]
fn assert_counts(json: &Value, expected: &[(&str, u64)]) {
    for (status, n) in expected {
        assert_eq!(json["orders"][status], *n, "orders.{status} in {json}");
    }
}

/// The status of each order in a result file (asserting its rows agree).
fn statuses(work: &Workdir, name: &str) -> BTreeMap<String, String> {
    let result = work.result_csv(name);
    let mut by_order = BTreeMap::new();
    for i in 0..result.rows.len() {
        let (key, status) = (result.get(i, "order_ref"), result.get(i, "status"));
        let first = by_order
            .entry(key.to_string())
            .or_insert_with(|| status.to_string());
        assert_eq!(first, status, "the rows of {key} disagree");
    }
    by_order
}

/// The `--payloads` file's payloads by order key.
fn payloads(work: &Workdir, name: &str) -> BTreeMap<String, Value> {
    work.payloads(name)
        .into_iter()
        .map(|p| {
            (
                p["order_ref"].as_str().unwrap().to_string(),
                p["payload"].clone(),
            )
        })
        .collect()
}

fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// 1. A valid order is created, shipping included, through --endpoint and the config

#[tokio::test(flavor = "multi_thread")]
async fn a_regular_invoice_order_is_created_with_shipping_in_the_grand_total() {
    assert!(
        Config::default().strict,
        "the sandbox checks the arithmetic unless told not to"
    );
    let provider = Provider::start(config()).await;
    let base_url = provider.base_url();
    let work = Workdir::new();
    let mut t = regular_table();
    t.order("R-1", &private(), &TWO_LINES);
    let everything = with(
        &corporate(),
        &[
            ("shipping_cost", "0"),
            ("send_by_sms", "ja"),
            ("send_by_invoice", "x"),
            ("credit_check", "1"),
            ("invoice_as_payment_option", "nei"),
            ("language", "en"),
            ("invoice_interval", "0"),
            ("due_date", "2026-12-01"),
            ("customer_reference", "PO-7781"),
            ("receipt_no", "K-556"),
            ("customer_notes", "Takk for handelen"),
            ("terms", "30 dager netto"),
            ("internal_reference", "CRM-42"),
            ("internal_notes", "Ring før levering"),
        ],
    );
    t.order("R-2", &everything, &[("Kabel", "3", "199.90", "25")]);
    work.write("orders.csv", t.csv(b','));

    let run = submit(&work, &base_url, &["--endpoint", "regular-invoice"]);
    run.expect(0);
    let json = run.json();
    assert_counts(&json, &[("total", 2), ("created", 2), ("invalid", 0)]);
    assert_eq!(json["requests"], 2, "{json}");
    assert_eq!(provider.count(REGULAR_ROUTE, "201").await, 2);
    assert_eq!(provider.count(REGULAR_ROUTE, "417").await, 0);
    assert_eq!(provider.count(SESSION_ROUTE, "201").await, 0);

    let orders = provider.orders_of("regular-invoice").await;
    assert_eq!(
        orders.keys().cloned().collect::<BTreeSet<_>>(),
        set(&["R-1", "R-2"])
    );
    let one = &orders["R-1"]["payload"];
    assert_eq!(
        one["orderSummary"],
        json!({
            "subTotal": "558.18",
            "totalTax": "99.72",
            "totalDiscount": "0.00",
            "grandTotal": "706.90",
            "shippingCost": "49.00",
        })
    );
    assert_eq!(one["products"].as_array().unwrap().len(), 2);
    assert_eq!(one["products"][1]["amount"], "199.90");
    assert_eq!(
        one["sendOrderBy"],
        json!({"sms": false, "email": true, "invoice": false})
    );
    assert_eq!(one["isCreditCheckAvailable"], false);
    assert_eq!(one["invoiceAsPaymentOption"], true);
    assert_eq!(
        one["submitPayment"],
        json!({"via": "invoice", "currency": "NOK"})
    );
    assert_eq!(one["invoiceReferences"], json!({"referenceNo": "R-1"}));
    assert_eq!(one["referenceNo"], "R-1");
    assert_eq!(one["orderDate"], TODAY_UNIX);
    assert_eq!(one["customerDetails"]["preferredLanguage"], "no");
    assert_eq!(one["customerDetails"]["personalNumber"], "28038712383");
    assert!(one.get("dueDateForPaymentLink").is_none(), "{one}");
    assert!(one.get("internalReferences").is_none(), "{one}");

    // The corporate order with every optional field.
    let two = &orders["R-2"]["payload"];
    assert_eq!(two["orderSummary"]["shippingCost"], "0.00");
    assert_eq!(two["orderSummary"]["grandTotal"], "599.70");
    assert_eq!(
        two["sendOrderBy"],
        json!({"sms": true, "email": true, "invoice": true})
    );
    assert_eq!(two["isCreditCheckAvailable"], true);
    assert_eq!(two["invoiceAsPaymentOption"], false);
    assert_eq!(two["invoiceInterval"], 0);
    // Noon in Oslo on 2026-12-01.
    assert_eq!(two["dueDateForPaymentLink"], "1796122800");
    assert_eq!(
        two["invoiceReferences"],
        json!({
            "referenceNo": "R-2",
            "customerReference": "PO-7781",
            "receiptNo": "K-556",
            "customerNotes": "Takk for handelen",
            "tnc": "30 dager netto",
        })
    );
    assert_eq!(
        two["internalReferences"],
        json!({"referenceNo": "CRM-42", "notes": "Ring før levering"})
    );
    let customer = &two["customerDetails"];
    assert_eq!(customer["type"], "corporate");
    assert_eq!(customer["organizationId"], "914286018");
    assert_eq!(customer["personalNumber"], "28038712383");
    assert_eq!(customer["preferredLanguage"], "en");

    // The result file carries the sandbox's ids.
    let result = work.result_csv("orders.result.csv");
    assert_eq!(result.statuses(), ["created"; 3]);
    for i in 0..3 {
        let key = result.get(i, "order_ref");
        assert_eq!(result.get(i, "order_id"), orders[key]["id"], "row {i}");
    }

    // That strictness was on: the same body with a grand total that forgets shipping is
    // refused, naming the total with shipping.
    let mut forgetful = one.clone();
    forgetful["orderSummary"]["grandTotal"] = json!("657.90");
    forgetful["referenceNo"] = json!("R-1-forgetful");
    let (status, body) = provider.post(REGULAR_PATH, &forgetful).await;
    assert_eq!(status, 417, "{body}");
    assert_eq!(
        body["errors"],
        json!(["The order summary.grand total must be 706.90 (the sum of the line amounts and shipping)."])
    );

    // Again: the ledger knows both; nothing is sent.
    let again = submit(&work, &base_url, &["--endpoint", "regular-invoice"]);
    again.expect(0);
    assert_counts(&again.json(), &[("created", 0), ("already_created", 2)]);
    assert_eq!(again.json()["requests"], 0);

    // The config's `endpoint` key does what --endpoint does.
    let by_config = Workdir::new();
    by_config.write("fpgo-export.toml", "endpoint = \"regular-invoice\"\n");
    let mut t = regular_table();
    t.order("K-1", &private(), &TWO_LINES);
    by_config.write("orders.csv", t.csv(b','));
    let run = submit(&by_config, &base_url, &[]);
    run.expect(0);
    assert_counts(&run.json(), &[("created", 1)]);
    assert_eq!(provider.count(REGULAR_ROUTE, "201").await, 3);
    assert_eq!(provider.count(SESSION_ROUTE, "201").await, 0);
    let orders = provider.orders_of("regular-invoice").await;
    assert_eq!(
        orders["K-1"]["payload"]["orderSummary"]["grandTotal"],
        "706.90"
    );
    // --endpoint wins over the config.
    let check = by_config.check("orders.csv", &["--endpoint", "invoice-session", "--json"]);
    check.expect(0);
    assert_eq!(
        check.json()["money"]["grand_total"],
        "657.90",
        "no shipping on invoice-session"
    );
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 2. Every seed-003 rule, broken in turn

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
    t.order("OK-P", &private(), &TWO_LINES[..1]);
    t.order("OK-C", &corporate(), &TWO_LINES[..1]);
    let keys: Vec<String> = (0..CASES.len()).map(|i| format!("C-{i:02}")).collect();
    for (case, key) in CASES.iter().zip(&keys) {
        let base = if case.company { corporate() } else { private() };
        t.order(key, &with(&base, case.changes), &TWO_LINES[..1]);
    }
    work.write("orders.csv", t.csv(b','));

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
    let sent = payloads(&work, "p.jsonl");
    let due = CASES.iter().position(|c| c.message.is_empty()).unwrap();
    assert_eq!(
        sent.keys().cloned().collect::<BTreeSet<_>>(),
        set(&["OK-P", "OK-C", &keys[due]])
    );
    assert_eq!(sent[&keys[due]]["dueDateForPaymentLink"], "1796122800");
    assert_eq!(sent[&keys[due]]["invoiceInterval"], 0);

    // The rules that are regular-invoice's own do not apply to invoice-session.
    let session = work.check(
        "orders.csv",
        &["--endpoint", "invoice-session", "--output", "s.csv"],
    );
    session.expect(1);
    let by_order = statuses(&work, "s.csv");
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
    let run = submit(
        &work,
        &provider.base_url(),
        &["--endpoint", "regular-invoice"],
    );
    run.expect(1);
    assert_counts(&run.json(), &[("created", 3), ("invalid", invalid as u64)]);
    assert_eq!(
        provider.total_requests().await,
        3,
        "one request per valid order"
    );
    assert_eq!(provider.count(REGULAR_ROUTE, "417").await, 0);
    let orders = provider.orders_of("regular-invoice").await;
    assert_eq!(
        orders.keys().cloned().collect::<BTreeSet<_>>(),
        set(&["OK-P", "OK-C", &keys[due]])
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
    let cells: Vec<_> = private()
        .into_iter()
        .filter(|(h, _)| *h != "shipping_cost")
        .collect();
    t.order("M-1", &cells, &TWO_LINES);
    work.write("orders.csv", t.csv(b','));

    let out = work.check("orders.csv", &["--endpoint", "regular-invoice", "--json"]);
    out.expect(2);
    assert_eq!(out.stdout, "", "no summary when the run cannot start");
    assert_eq!(
        out.fatal_errors(),
        ["error: orders.csv: required columns are missing: shipping_cost."],
        "{}",
        out.stderr
    );
    assert!(!work.exists("orders.result.csv"));
    // invoice-session has no use for it.
    work.check("orders.csv", &[]).expect(0);
    // An invoice-session sheet lacks every column regular-invoice adds.
    let plain = Workdir::new();
    let mut t = Table::standard();
    t.order("S-1", PRIVATE, &TWO_LINES);
    plain.write("orders.csv", t.csv(b','));
    let out = plain.check("orders.csv", &["--endpoint", "regular-invoice"]);
    out.expect(2);
    assert_eq!(
        out.fatal_errors(),
        ["error: orders.csv: required columns are missing: language, shipping_cost, send_by_sms, send_by_email, send_by_invoice, credit_check, invoice_as_payment_option."],
        "{}",
        out.stderr
    );

    // submit stops the same way, before sending anything.
    let provider = Provider::start(config()).await;
    let run = submit(
        &work,
        &provider.base_url(),
        &["--endpoint", "regular-invoice"],
    );
    run.expect(2);
    assert!(
        run.stderr
            .contains("required columns are missing: shipping_cost."),
        "{}",
        run.stderr
    );
    assert_eq!(provider.total_requests().await, 0);
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 3. Config defaults for the regular-only fields

#[tokio::test(flavor = "multi_thread")]
async fn config_defaults_give_the_regular_only_fields() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.write(
        "fpgo-export.toml",
        r#"
[defaults]
shipping_cost = 25
send_by_sms = true
send_by_email = false
send_by_invoice = true
credit_check = true
invoice_as_payment_option = false
language = "sv"
receipt_no = "K-1"
customer_notes = "Takk!"
terms = "30 dager netto"
internal_reference = "import"
internal_notes = "fra nettbutikken"
invoice_interval = 0
due_date = "2026-12-01"
"#,
    );
    // An invoice-session sheet: none of the columns regular-invoice adds.
    let mut t = Table::standard();
    t.order("D-1", PRIVATE, &TWO_LINES);
    t.order(
        "D-2",
        &with(CORPORATE, &[("personal_number", "28038712383")]),
        &[("Kabel", "1", "100", "25")],
    );
    work.write("orders.csv", t.csv(b','));

    let run = submit(
        &work,
        &provider.base_url(),
        &["--endpoint", "regular-invoice"],
    );
    run.expect(0);
    assert_counts(&run.json(), &[("created", 2), ("invalid", 0)]);
    assert_eq!(run.json()["notes"], json!([]), "{}", run.stdout);
    let orders = provider.orders_of("regular-invoice").await;
    for (key, grand_total) in [("D-1", "682.90"), ("D-2", "125.00")] {
        let p = &orders[key]["payload"];
        assert_eq!(p["orderSummary"]["shippingCost"], "25.00", "{key}");
        assert_eq!(p["orderSummary"]["grandTotal"], grand_total, "{key}");
        assert_eq!(
            p["sendOrderBy"],
            json!({"sms": true, "email": false, "invoice": true}),
            "{key}"
        );
        assert_eq!(p["isCreditCheckAvailable"], true, "{key}");
        assert_eq!(p["invoiceAsPaymentOption"], false, "{key}");
        assert_eq!(p["customerDetails"]["preferredLanguage"], "sv", "{key}");
        assert_eq!(p["invoiceInterval"], 0, "{key}");
        assert_eq!(p["dueDateForPaymentLink"], "1796122800", "{key}");
        assert_eq!(
            p["invoiceReferences"],
            json!({"referenceNo": key, "receiptNo": "K-1", "customerNotes": "Takk!", "tnc": "30 dager netto"}),
            "{key}"
        );
        assert_eq!(
            p["internalReferences"],
            json!({"referenceNo": "import", "notes": "fra nettbutikken"}),
            "{key}"
        );
    }
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 4. Columns one endpoint has no use for

#[test]
fn regular_only_columns_are_ignored_with_a_note_on_invoice_session() {
    let work = Workdir::new();
    let mut t = regular_table();
    // Values that would be errors on regular-invoice: invoice-session does not even read them.
    let cells = with(
        &private(),
        &[
            ("shipping_cost", "abc"),
            ("send_by_sms", "maybe"),
            ("due_date", "soon"),
            ("terms", "30 dager"),
        ],
    );
    t.order("I-1", &cells, &TWO_LINES);
    work.write("orders.csv", t.csv(b','));
    let out = work.check("orders.csv", &["--json", "--payloads", "p.jsonl"]);
    out.expect(0);
    let note = format!(
        "columns not used by the invoice-session endpoint, ignored: {}",
        REGULAR_ONLY.join(", ")
    );
    assert_eq!(out.json()["notes"], json!([note]));
    assert!(
        out.stderr.contains(&format!("warning: {note}")),
        "{}",
        out.stderr
    );
    let p = &payloads(&work, "p.jsonl")["I-1"];
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
        &with(
            &private(),
            &[("invoice_maturity", "14"), ("secure_details", "yes")],
        ),
        &TWO_LINES,
    );
    work.write("orders.csv", t.csv(b','));
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
    let p = &payloads(&work, "p.jsonl")["I-2"];
    assert_eq!(p["orderSummary"]["grandTotal"], "706.90");
    assert_eq!(p["invoiceFeeApplicable"], true);
    assert_eq!(
        p["callback"]["callbackUrl"],
        "https://shop.example.no/fpgo/callback"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. The ledger keys orders per endpoint

#[tokio::test(flavor = "multi_thread")]
async fn the_same_sheet_on_both_endpoints_is_two_sets_of_orders() {
    let provider = Provider::start(config()).await;
    let base_url = provider.base_url();
    let work = Workdir::new();
    // Valid on both: invoice_fee and callback_url for invoice-session, the rest for regular.
    let mut t = regular_table();
    for i in 1..=3 {
        t.order(&format!("B-{i}"), &private(), &TWO_LINES);
    }
    work.write("orders.csv", t.csv(b','));
    let keys = set(&["B-1", "B-2", "B-3"]);

    let session = submit(&work, &base_url, &["--endpoint", "invoice-session"]);
    session.expect(0);
    assert_counts(&session.json(), &[("created", 3)]);
    assert_eq!(
        statuses(&work, "orders.result.csv")
            .values()
            .collect::<Vec<_>>(),
        ["created"; 3]
    );
    let regular = submit(&work, &base_url, &["--endpoint", "regular-invoice"]);
    regular.expect(0);
    assert_counts(&regular.json(), &[("created", 3), ("already_created", 0)]);
    assert_eq!(
        statuses(&work, "orders.result.csv")
            .values()
            .collect::<Vec<_>>(),
        ["created"; 3]
    );

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
        let again = submit(&work, &base_url, &["--endpoint", endpoint]);
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
    assert_eq!(provider.total_requests().await, 6);
    assert_eq!(provider.listed().await.len(), 6);
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 6. The `d M, Y` order date

#[tokio::test(flavor = "multi_thread")]
async fn the_d_m_y_order_date_round_trips() {
    let work = Workdir::new();
    work.write(
        "fpgo-export.toml",
        "endpoint = \"regular-invoice\"\norder_date_format = \"d M, Y\"\n",
    );
    work.write("unix.toml", "endpoint = \"regular-invoice\"\n");
    let mut t = regular_table();
    t.order("Y-1", &private(), &TWO_LINES);
    t.order(
        "Y-2",
        &with(&private(), &[("order_date", "2026-12-02")]),
        &TWO_LINES,
    );
    work.write("orders.csv", t.csv(b','));

    let out = work.check("orders.csv", &["--payloads", "dmy.jsonl"]);
    out.expect(0);
    let dmy = payloads(&work, "dmy.jsonl");
    assert_eq!(dmy["Y-1"]["orderDate"], "21 Nov, 2026");
    assert_eq!(dmy["Y-2"]["orderDate"], "02 Dec, 2026", "a two-digit day");
    let unix_run = work.check(
        "orders.csv",
        &["--config", "unix.toml", "--payloads", "unix.jsonl"],
    );
    unix_run.expect(0);
    let unix = payloads(&work, "unix.jsonl");
    assert_eq!(unix["Y-1"]["orderDate"], TODAY_UNIX);

    // A sandbox that wants `d M, Y` creates what the tool sends.
    let dmy_sandbox = Provider::start(Config {
        date_format: DateFormat::DayMonthYear,
        ..config()
    })
    .await;
    let run = submit(&work, &dmy_sandbox.base_url(), &[]);
    run.expect(0);
    assert_counts(&run.json(), &[("created", 2)]);
    let stored = dmy_sandbox.orders_of("regular-invoice").await;
    assert_eq!(stored["Y-1"]["payload"]["orderDate"], "21 Nov, 2026");
    assert_eq!(stored["Y-2"]["payload"]["orderDate"], "02 Dec, 2026");
    // ... and refuses a Unix orderDate, with nothing else wrong.
    let mut body = unix["Y-1"].clone();
    body["referenceNo"] = json!("Y-1-unix");
    let (status, reply) = dmy_sandbox.post(REGULAR_PATH, &body).await;
    assert_eq!(status, 417, "{reply}");
    assert_eq!(
        reply["errors"],
        json!(["The order date does not match the format d M, Y."])
    );
    dmy_sandbox.stop().await;

    // A sandbox in unix mode takes the Unix payload as it is.
    let unix_sandbox = Provider::start(config()).await;
    let (status, reply) = unix_sandbox.post(REGULAR_PATH, &unix["Y-1"]).await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["message"], "orderCreatedSuccessfully");
    let (status, reply) = unix_sandbox.post(REGULAR_PATH, &unix["Y-2"]).await;
    assert_eq!(status, 201, "{reply}");
    unix_sandbox.stop().await;

    // A format the tool does not know stops the run, and the sandbox's start.
    let bad = work.run(&[
        "sandbox",
        "--order-date-format",
        "Y-m-d",
        "--bind",
        "127.0.0.1:0",
    ]);
    bad.expect(2);
    assert!(
        bad.stderr
            .contains("invalid value 'Y-m-d' for '--order-date-format <FORMAT>'")
            && bad.stderr.contains("[possible values: unix, \"d M, Y\"]"),
        "{}",
        bad.stderr
    );
    work.write("bad.toml", "order_date_format = \"Y-m-d\"\n");
    let bad = work.check("orders.csv", &["--config", "bad.toml"]);
    bad.expect(2);
    assert!(
        bad.stderr
            .contains("order_date_format = \"Y-m-d\": use \"unix\" or \"d M, Y\""),
        "{}",
        bad.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Templates per endpoint

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
            .split(',')
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
    let bad = work.run(&["template", "--endpoint", "regular", "--output", "x.csv"]);
    bad.expect(2);
    assert!(
        bad.stderr
            .contains("invalid value 'regular' for '--endpoint <NAME>'")
            && bad
                .stderr
                .contains("[possible values: invoice-session, regular-invoice]"),
        "{}",
        bad.stderr
    );
}
