//! The regular-invoice endpoint (seed 003, issue 5) creating orders end to end through the
//! built binary and an in-process sandbox: shipping in the grand total, every optional field,
//! `--endpoint` or the config's `endpoint`, and config defaults for the regular-only fields.

use crate::support::*;
use fpgo_export::sandbox::Config;
use serde_json::json;
use std::collections::BTreeSet;

// ---------------------------------------------------------------------------------------------
// A valid order is created, shipping included, through --endpoint and the config

#[tokio::test(flavor = "multi_thread")]
async fn a_regular_invoice_order_is_created_with_shipping_in_the_grand_total() {
    assert!(
        Config::default().strict,
        "the sandbox checks the arithmetic unless told not to"
    );
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut t = regular_table();
    t.order("R-1", &regular_private(), &TWO_LINES);
    let everything = with_cells(
        &regular_corporate(),
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
    work.write_sheet(&t);

    let run = submit(&work, &provider, &["--endpoint", "regular-invoice"]);
    run.expect(0);
    let json = run.json();
    assert_counts(&json, &[("total", 2), ("created", 2), ("invalid", 0)]);
    assert_eq!(json["requests"], 2, "{json}");
    assert_eq!(provider.stats().await.get(REGULAR_ROUTE, "201"), 2);
    assert_eq!(provider.stats().await.get(REGULAR_ROUTE, "417"), 0);
    assert_eq!(provider.stats().await.get(SESSION_ROUTE, "201"), 0);

    let orders = provider.orders_of("regular-invoice").await;
    assert_eq!(
        orders.keys().cloned().collect::<BTreeSet<_>>(),
        set_of(&["R-1", "R-2"])
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
    assert_invalid(
        &provider.post(REGULAR_PATH, &forgetful).await,
        &["The order summary.grand total must be 706.90 (the sum of the line amounts and shipping)."],
    );

    // Again: the ledger knows both; nothing is sent.
    let again = submit(&work, &provider, &["--endpoint", "regular-invoice"]);
    again.expect(0);
    assert_counts(&again.json(), &[("created", 0), ("already_created", 2)]);
    assert_eq!(again.json()["requests"], 0);

    // The config's `endpoint` key does what --endpoint does.
    let by_config = Workdir::new();
    by_config.write("fpgo-export.toml", "endpoint = \"regular-invoice\"\n");
    let mut t = regular_table();
    t.order("K-1", &regular_private(), &TWO_LINES);
    by_config.write_sheet(&t);
    let run = submit(&by_config, &provider, &[]);
    run.expect(0);
    assert_counts(&run.json(), &[("created", 1)]);
    assert_eq!(provider.stats().await.get(REGULAR_ROUTE, "201"), 3);
    assert_eq!(provider.stats().await.get(SESSION_ROUTE, "201"), 0);
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
// Config defaults for the regular-only fields

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
        &with_cells(CORPORATE, &[("personal_number", "28038712383")]),
        &[("Kabel", "1", "100", "25")],
    );
    work.write_sheet(&t);

    let run = submit(&work, &provider, &["--endpoint", "regular-invoice"]);
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
