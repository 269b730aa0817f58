//! The sandbox's rules, spoken to over loopback HTTP: valid bodies of both endpoints are
//! created and stored as sent, every rule broken in turn gives the provider's message, and what
//! the rules allow (optional fields, boundaries, the seeds' looser rules) is created.

use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn valid_payloads_of_both_endpoints_are_created_and_stored_as_sent() {
    let api = Provider::start(config()).await;
    let (session, session_customer) =
        assert_created(&api.post(SESSION_PATH, &session_payload()).await);
    let (regular, regular_customer) =
        assert_created(&api.post(REGULAR_PATH, &regular_payload()).await);
    assert_ne!(session, regular);
    // The same person on both endpoints is one customer.
    assert_eq!(session_customer, regular_customer);

    let orders = api.listed().await;
    assert_eq!(orders.len(), 2, "{orders:?}");
    assert_eq!(orders[0]["id"], session.as_str());
    assert_eq!(orders[0]["referenceNo"], "ORDER-1");
    assert_eq!(orders[0]["status"], "SENT");
    assert_eq!(orders[0]["endpoint"], "invoice-session");
    assert_eq!(orders[0]["timesCreated"], 1);
    assert_eq!(orders[0]["payload"], session_payload());
    assert_eq!(orders[1]["id"], regular.as_str());
    assert_eq!(orders[1]["referenceNo"], "ORDER-2");
    assert_eq!(orders[1]["status"], "INVOICED");
    assert_eq!(orders[1]["endpoint"], "regular-invoice");
    assert_eq!(orders[1]["payload"], regular_payload());
}

/// Each case breaks the valid payload of one endpoint in one place (or a few, for one rule) and
/// names the messages the provider would answer. The messages are compared sorted: their order
/// is the subject of `all_failures_at_once_wildcard_errors_last`.
#[tokio::test]
async fn every_rule_of_both_endpoints_gives_the_providers_message() {
    let long_id = || json!("R".repeat(26));
    let corporate = || set("customerDetails.type", json!("corporate"));
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<Edit>, Vec<&str>)> = vec![
        // ---- invoice-session: products
        (SESSION_PATH, vec![del("products")], vec!["The products field is required."]),
        (SESSION_PATH, vec![set("products", json!("Router"))], vec!["The products must be an array."]),
        (SESSION_PATH, vec![del("products.0.name")], vec!["The products.0.name field is required."]),
        (SESSION_PATH, vec![set("products.0.name", json!(42))], vec!["The products.0.name must be a string."]),
        (SESSION_PATH, vec![set("products.0.productId", long_id())], vec!["The products.0.product id must not be greater than 25 characters."]),
        (SESSION_PATH, vec![set("products.0.productId", json!(7))], vec!["The products.0.product id must be a string."]),
        (SESSION_PATH, vec![del("products.0.quantity")], vec!["The products.0.quantity field is required."]),
        (SESSION_PATH, vec![set("products.0.quantity", json!("one"))], vec!["The products.0.quantity must be a number."]),
        (SESSION_PATH, vec![del("products.0.rate")], vec!["The products.0.rate field is required."]),
        (SESSION_PATH, vec![set("products.0.rate", json!("4 500,00"))], vec!["The products.0.rate must be a number."]),
        (SESSION_PATH, vec![set("products.0.discount", json!("ten"))], vec!["The products.0.discount must be a number."]),
        (SESSION_PATH, vec![del("products.0.tax")], vec!["The products.0.tax field is required."]),
        (SESSION_PATH, vec![set("products.0.tax", json!("20"))], vec!["The selected products.0.tax is invalid."]),
        (SESSION_PATH, vec![set("products.0.tax", json!(20))], vec!["The selected products.0.tax is invalid."]),
        (SESSION_PATH, vec![set("products.0.tax", json!("12.5"))], vec!["The selected products.0.tax is invalid."]),
        (SESSION_PATH, vec![set("products.0.tax", json!(12.5))], vec!["The selected products.0.tax is invalid."]),
        (SESSION_PATH, vec![set("products.0.tax", json!("12%"))], vec!["The products.0.tax must be a number."]),
        (SESSION_PATH, vec![del("products.0.amount")], vec!["The products.0.amount field is required."]),
        (SESSION_PATH, vec![set("products.0.amount", json!(true))], vec!["The products.0.amount must be a number."]),
        // ---- invoice-session: summary
        (SESSION_PATH, vec![del("orderSummary.subTotal")], vec!["The order summary.sub total field is required."]),
        (SESSION_PATH, vec![set("orderSummary.totalTax", json!("x"))], vec!["The order summary.total tax must be a number."]),
        (SESSION_PATH, vec![del("orderSummary.totalDiscount")], vec!["The order summary.total discount field is required."]),
        (SESSION_PATH, vec![set("orderSummary.grandTotal", json!("  "))], vec!["The order summary.grand total field is required."]),
        (SESSION_PATH, vec![del("orderSummary")], vec![
            "The order summary.sub total field is required.",
            "The order summary.total tax field is required.",
            "The order summary.total discount field is required.",
            "The order summary.grand total field is required.",
        ]),
        // ---- invoice-session: order
        (SESSION_PATH, vec![del("orderDate")], vec!["The order date field is required."]),
        (SESSION_PATH, vec![set("orderDate", json!(NOON))], vec!["The order date must be a string."]),
        (SESSION_PATH, vec![set("orderDate", json!((NOON - 86_400).to_string()))], vec!["The order date must be a date after or equal to today."]),
        (SESSION_PATH, vec![set("orderDate", json!((OSLO_MIDNIGHT - 1).to_string()))], vec!["The order date must be a date after or equal to today."]),
        (SESSION_PATH, vec![set("referenceNo", json!(17))], vec!["The reference no must be a string."]),
        (SESSION_PATH, vec![set("customerReference", json!(3500))], vec!["The customer reference must be a string."]),
        (SESSION_PATH, vec![set("invoiceInterval", json!(3))], vec!["The selected invoice interval is invalid."]),
        (SESSION_PATH, vec![set("invoiceInterval", json!("monthly"))], vec!["The invoice interval must be a number."]),
        (SESSION_PATH, vec![set("separateInvoices", json!("yes"))], vec!["The separate invoices field must be true or false."]),
        (SESSION_PATH, vec![del("invoiceFeeApplicable")], vec!["The invoice fee applicable field is required."]),
        (SESSION_PATH, vec![set("invoiceFeeApplicable", json!("yes"))], vec!["The invoice fee applicable field must be true or false."]),
        (SESSION_PATH, vec![set("invoiceMaturity", json!("ten days"))], vec!["The invoice maturity must be a number."]),
        (SESSION_PATH, vec![set("settings.secureDetails", json!("yes"))], vec!["The settings.secure details field must be true or false."]),
        (SESSION_PATH, vec![set("fpgoUuid", json!("ODR0000000001")), set("orderFrom", json!("PARTNER"))], vec!["The selected fpgo uuid is invalid."]),
        (SESSION_PATH, vec![set("orderFrom", json!("DAMP"))], vec!["The selected order from is invalid."]),
        // ---- invoice-session: customer
        (SESSION_PATH, vec![del("customerDetails.type")], vec!["The customer details.type field is required."]),
        (SESSION_PATH, vec![set("customerDetails.type", json!("person"))], vec!["The selected customer details.type is invalid."]),
        (SESSION_PATH, vec![del("customerDetails.countryCode")], vec!["The customer details.country code field is required."]),
        (SESSION_PATH, vec![set("customerDetails.countryCode", json!(47))], vec!["The customer details.country code must be a string."]),
        (SESSION_PATH, vec![del("customerDetails.msisdn")], vec!["The customer details.msisdn field is required."]),
        (SESSION_PATH, vec![set("customerDetails.msisdn", json!(46567468))], vec!["The customer details.msisdn must be a string."]),
        (SESSION_PATH, vec![del("customerDetails.email")], vec!["The customer details.email field is required."]),
        (SESSION_PATH, vec![set("customerDetails.email", json!("kari.nordmann.example.no"))], vec!["The customer details.email must be a valid email address."]),
        (SESSION_PATH, vec![set("customerDetails.email", json!("kari nordmann@example.no"))], vec!["The customer details.email must be a valid email address."]),
        (SESSION_PATH, vec![del("customerDetails.name")], vec!["The customer details.name field is required."]),
        (SESSION_PATH, vec![del("customerDetails.personalNumber")], vec!["The customer details.personal number field is required when customer details.type is private."]),
        (SESSION_PATH, vec![set("customerDetails.personalNumber", json!("2803871238"))], vec!["The customer details.personal number must be 11 characters."]),
        (SESSION_PATH, vec![set("customerDetails.personalNumber", json!("280387123833"))], vec!["The customer details.personal number must be 11 characters."]),
        (SESSION_PATH, vec![corporate()], vec!["The customer details.organization id field is required when customer details.type is corporate."]),
        (SESSION_PATH, vec![corporate(), set("customerDetails.organizationId", json!("914-286-018"))], vec!["The customer details.organization id format is invalid."]),
        (SESSION_PATH, vec![set("customerDetails.preferredLanguage", json!("fr"))], vec!["The selected customer details.preferred language is invalid."]),
        (SESSION_PATH, vec![del("customerDetails.address.street")], vec!["The customer details.address.street field is required."]),
        (SESSION_PATH, vec![del("customerDetails.address.zip")], vec!["The customer details.address.zip field is required."]),
        (SESSION_PATH, vec![set("customerDetails.address.zip", json!(7030))], vec!["The customer details.address.zip must be a string."]),
        (SESSION_PATH, vec![del("customerDetails.address.city")], vec!["The customer details.address.city field is required."]),
        (SESSION_PATH, vec![del("customerDetails.address.country")], vec!["The customer details.address.country field is required."]),
        (SESSION_PATH, vec![set("customerDetails.address.country", json!("XX"))], vec!["The customer details.address.country must be a valid ISO Alpha-2 country code."]),
        (SESSION_PATH, vec![set("customerDetails.address.country", json!("no"))], vec!["The customer details.address.country must be a valid ISO Alpha-2 country code."]),
        (SESSION_PATH, vec![set("customerDetails.address.country", json!("NOR"))], vec!["The customer details.address.country must be a valid ISO Alpha-2 country code."]),
        // ---- invoice-session: callbacks (all three required valid URLs, the stricter seed)
        (SESSION_PATH, vec![del("callback.callbackUrl")], vec!["The callback.callback url field is required."]),
        (SESSION_PATH, vec![set("callback.callbackUrl", json!("shop.example.no/fpgo/callback"))], vec!["The callback.callback url must be a valid URL."]),
        (SESSION_PATH, vec![del("callback.success")], vec!["The callback.success field is required."]),
        (SESSION_PATH, vec![set("callback.success", json!("not a url"))], vec!["The callback.success must be a valid URL."]),
        (SESSION_PATH, vec![set("callback.failure", json!("https://"))], vec!["The callback.failure must be a valid URL."]),
        // ---- regular-invoice: what it adds
        (REGULAR_PATH, vec![del("orderSummary.shippingCost")], vec!["The order summary.shipping cost field is required."]),
        (REGULAR_PATH, vec![set("orderSummary.shippingCost", json!("free"))], vec!["The order summary.shipping cost must be a number."]),
        (REGULAR_PATH, vec![del("dueDateForPaymentLink")], vec!["The due date for payment link field is required when invoice interval is 0."]),
        (REGULAR_PATH, vec![del("dueDateForPaymentLink"), set("invoiceInterval", json!("0"))], vec!["The due date for payment link field is required when invoice interval is 0."]),
        (REGULAR_PATH, vec![del("dueDateForPaymentLink"), set("invoiceInterval", json!("0.0"))], vec!["The due date for payment link field is required when invoice interval is 0.0."]),
        (REGULAR_PATH, vec![set("dueDateForPaymentLink", json!(NOON + 7 * 86_400))], vec!["The due date for payment link must be a string."]),
        (REGULAR_PATH, vec![del("sendOrderBy.sms")], vec!["The send order by.sms field is required."]),
        (REGULAR_PATH, vec![set("sendOrderBy.email", json!("yes"))], vec!["The send order by.email field must be true or false."]),
        (REGULAR_PATH, vec![del("sendOrderBy.invoice")], vec!["The send order by.invoice field is required."]),
        (REGULAR_PATH, vec![del("sendOrderBy")], vec![
            "The send order by.sms field is required.",
            "The send order by.email field is required.",
            "The send order by.invoice field is required.",
        ]),
        (REGULAR_PATH, vec![del("isCreditCheckAvailable")], vec!["The is credit check available field is required."]),
        (REGULAR_PATH, vec![set("isCreditCheckAvailable", json!("no"))], vec!["The is credit check available field must be true or false."]),
        (REGULAR_PATH, vec![del("invoiceAsPaymentOption")], vec!["The invoice as payment option field is required."]),
        (REGULAR_PATH, vec![set("invoiceAsPaymentOption", json!(2))], vec!["The invoice as payment option field must be true or false."]),
        (REGULAR_PATH, vec![del("customerDetails.preferredLanguage")], vec!["The customer details.preferred language field is required."]),
        (REGULAR_PATH, vec![del("customerDetails.personalNumber")], vec!["The customer details.personal number field is required when submit payment.via is invoice."]),
        (REGULAR_PATH, vec![set("customerDetails.personalNumber", json!(null))], vec!["The customer details.personal number field is required when submit payment.via is invoice."]),
        (REGULAR_PATH, vec![set("customerDetails.personalNumber", json!("2803871238X"))], vec!["The customer details.personal number format is invalid."]),
        (REGULAR_PATH, vec![set("customerDetails.personalNumber", json!("2803871238"))], vec!["The customer details.personal number format is invalid."]),
        (REGULAR_PATH, vec![set("customerDetails.personalNumber", json!("280387 12383"))], vec!["The customer details.personal number format is invalid."]),
        (REGULAR_PATH, vec![set("customerDetails.personalNumber", json!(28038712383u64))], vec!["The customer details.personal number must be a string."]),
        (REGULAR_PATH, vec![corporate()], vec!["The customer details.organization id field is required when customer details.type is corporate."]),
        (REGULAR_PATH, vec![corporate(), set("customerDetails.organizationId", json!("914 286 018"))], vec!["The customer details.organization id format is invalid."]),
        (REGULAR_PATH, vec![del("customerDetails.address")], vec![
            "The customer details.address field is required.",
            "The customer details.address.street field is required.",
            "The customer details.address.zip field is required.",
            "The customer details.address.city field is required.",
            "The customer details.address.country field is required.",
        ]),
        (REGULAR_PATH, vec![set("invoiceReferences.tnc", json!(5))], vec!["The invoice references.tnc must be a string."]),
        (REGULAR_PATH, vec![set("invoiceReferences", json!("ORDER-2"))], vec!["The invoice references must be an array."]),
        (REGULAR_PATH, vec![set("internalReferences.notes", json!(5))], vec!["The internal references.notes must be a string."]),
        (REGULAR_PATH, vec![del("submitPayment")], vec!["The submit payment field is required.", "The submit payment.via field is required."]),
        (REGULAR_PATH, vec![set("submitPayment.via", json!("card"))], vec!["The selected submit payment.via is invalid."]),
        (REGULAR_PATH, vec![del("callback")], vec!["The callback field is required.", "The callback.success field is required.", "The callback.failure field is required."]),
        (REGULAR_PATH, vec![del("callback.success")], vec!["The callback.success field is required."]),
        (REGULAR_PATH, vec![set("callback.failure", json!(5))], vec!["The callback.failure must be a string."]),
        (REGULAR_PATH, vec![set("invoiceInterval", json!(3))], vec!["The selected invoice interval is invalid."]),
        (REGULAR_PATH, vec![set("separateInvoices", json!("yes"))], vec!["The separate invoices field must be true or false."]),
        // ---- regular-invoice: the shared blocks apply there too
        (REGULAR_PATH, vec![del("products.0.rate")], vec!["The products.0.rate field is required."]),
        (REGULAR_PATH, vec![set("products.0.tax", json!("20"))], vec!["The selected products.0.tax is invalid."]),
        (REGULAR_PATH, vec![set("products.0.productId", long_id())], vec!["The products.0.product id must not be greater than 25 characters."]),
        (REGULAR_PATH, vec![del("orderSummary.grandTotal")], vec!["The order summary.grand total field is required."]),
        (REGULAR_PATH, vec![set("orderDate", json!((NOON - 86_400).to_string()))], vec!["The order date must be a date after or equal to today."]),
        (REGULAR_PATH, vec![set("customerDetails.email", json!("kari@"))], vec!["The customer details.email must be a valid email address."]),
        (REGULAR_PATH, vec![set("customerDetails.type", json!("person"))], vec!["The selected customer details.type is invalid."]),
        (REGULAR_PATH, vec![set("customerDetails.address.country", json!("XX"))], vec!["The customer details.address.country must be a valid ISO Alpha-2 country code."]),
        (REGULAR_PATH, vec![set("fpgoUuid", json!("ODR0000000001")), set("orderFrom", json!("PARTNER"))], vec!["The selected fpgo uuid is invalid."]),
    ];
    let api = Provider::start(config()).await;
    let mut wrong = Vec::new();
    for (endpoint, edits, expected) in &cases {
        let reply = api
            .post(endpoint, &edited(valid_payload(endpoint), edits))
            .await;
        let envelope_ok = reply.status == 417
            && reply.body["status_code"] == 417
            && reply.body["status_message"] == "Client Error"
            && reply.body["message"] == "payloadValidationErrors"
            && reply.body["is_error"] == true;
        let mut errors: Vec<String> =
            serde_json::from_value(reply.body["errors"].clone()).unwrap_or_default();
        errors.sort();
        let mut expected: Vec<&str> = expected.clone();
        expected.sort_unstable();
        if !envelope_ok || errors != expected {
            wrong.push(format!(
                "{endpoint} {}:\n  expected {expected:?}\n  got {} {}",
                describe(edits),
                reply.status,
                reply.text
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    assert!(api.listed().await.is_empty(), "a rejected order was stored");
}

/// What the rules allow: optional fields left out, boundaries, the seeds' looser rules.
#[tokio::test]
async fn what_the_rules_allow_is_created() {
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<Edit>)> = vec![
        (SESSION_PATH, vec![set("products.0.productId", json!("R".repeat(25)))]),
        (SESSION_PATH, vec![
            del("products.0.productId"),
            del("products.0.discount"),
            del("referenceNo"),
            del("customerReference"),
            del("invoiceInterval"),
            del("separateInvoices"),
            del("invoiceMaturity"),
            del("settings"),
            del("customerDetails.preferredLanguage"),
            del("customerDetails.organizationId"),
        ]),
        (SESSION_PATH, vec![set("products.0.productId", json!(null)), set("invoiceInterval", json!(null))]),
        // Today began at midnight in Oslo; a date in the future is fine too.
        (SESSION_PATH, vec![set("orderDate", json!(OSLO_MIDNIGHT.to_string()))]),
        (SESSION_PATH, vec![set("orderDate", json!((NOON + 30 * 86_400).to_string()))]),
        // The `d M, Y` form the demo server demanded elsewhere is not a timestamp to compare.
        (SESSION_PATH, vec![set("orderDate", json!("21 Nov, 2026"))]),
        // Laravel's booleans: true, false, 1, 0, "1", "0".
        (SESSION_PATH, vec![set("separateInvoices", json!(1)), set("invoiceFeeApplicable", json!("0")), set("settings.secureDetails", json!(0))]),
        (SESSION_PATH, vec![set("invoiceInterval", json!("2")), set("invoiceMaturity", json!("14"))]),
        (SESSION_PATH, vec![set("customerDetails.type", json!("corporate")), set("customerDetails.organizationId", json!("914286018")), del("customerDetails.personalNumber")]),
        (SESSION_PATH, vec![set("customerDetails.email", json!("a@b"))]),
        (SESSION_PATH, vec![set("callback.callbackUrl", json!("http://localhost:8000/cb"))]),
        (SESSION_PATH, vec![set("orderFrom", json!("PARTNER"))]),
        // Every tax rate of the set.
        (SESSION_PATH, vec![set("products.0.tax", json!("25")), set("orderSummary.subTotal", json!("3600.00")), set("orderSummary.totalTax", json!("900.00"))]),
        (SESSION_PATH, vec![set("products.0.tax", json!("15")), set("orderSummary.subTotal", json!("3913.04")), set("orderSummary.totalTax", json!("586.96"))]),
        (SESSION_PATH, vec![set("products.0.tax", json!(0)), set("orderSummary.subTotal", json!("4500.00")), set("orderSummary.totalTax", json!("0.00"))]),
        // Laravel's `in` is PHP's loose `in_array`: "12.00", 12.0 and " 12" are 12.
        (SESSION_PATH, vec![set("products.0.tax", json!("12.00"))]),
        (SESSION_PATH, vec![set("products.0.tax", json!(12.0)), set("invoiceInterval", json!(1.0))]),
        (SESSION_PATH, vec![set("products.0.tax", json!(" 12"))]),
        // regular-invoice: no due date needed unless the interval is 0.
        (REGULAR_PATH, vec![del("dueDateForPaymentLink"), set("invoiceInterval", json!(1))]),
        (REGULAR_PATH, vec![del("dueDateForPaymentLink"), del("invoiceInterval")]),
        // Seed 003: preferredLanguage is any string; the callbacks are plain strings.
        (REGULAR_PATH, vec![set("customerDetails.preferredLanguage", json!("fr"))]),
        (REGULAR_PATH, vec![set("callback.success", json!("not a url")), del("submitPayment.currency")]),
        (REGULAR_PATH, vec![set("invoiceReferences", json!(null)), set("internalReferences", json!(null))]),
        (REGULAR_PATH, vec![set("customerDetails.type", json!("corporate")), set("customerDetails.organizationId", json!("914286018"))]),
        (REGULAR_PATH, vec![set("orderSummary.shippingCost", json!(0)), set("orderSummary.grandTotal", json!("4500"))]),
    ];
    let api = Provider::start(config()).await;
    let mut wrong = Vec::new();
    for (endpoint, edits) in &cases {
        let reply = api
            .post(endpoint, &edited(valid_payload(endpoint), edits))
            .await;
        if reply.status != 201 {
            wrong.push(format!(
                "{endpoint} {}: {} {}",
                describe(edits),
                reply.status,
                reply.text
            ));
        } else {
            assert_created(&reply);
        }
    }
    assert!(wrong.is_empty(), "refused:\n{}", wrong.join("\n"));
    assert_eq!(api.listed().await.len(), cases.len());
}
