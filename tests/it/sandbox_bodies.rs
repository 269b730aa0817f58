//! How the sandbox reads a body as a whole: every failure at once with wildcard errors last,
//! numbers as JSON numbers or numeric strings, `products` as an object, a body that is not
//! JSON, and the arithmetic strictness (wrong amounts and sums named with the expected value)
//! that can be switched off.

use crate::support::*;
use fpgo_export::sandbox::Config;
use serde_json::json;

#[tokio::test]
async fn all_failures_at_once_wildcard_errors_last() {
    let api = Provider::start(config()).await;
    let mut body = edited(
        session_payload(),
        &[
            set("customerDetails.email", json!("not an email")),
            del("orderSummary.grandTotal"),
            set("callback.callbackUrl", json!("nowhere")),
            set("products.0.tax", json!("20")),
            del("products.0.rate"),
        ],
    );
    let second = edited(
        session_payload()["products"][0].clone(),
        &[set("quantity", json!("x")), del("name")],
    );
    body["products"].as_array_mut().unwrap().push(second);
    let reply = api.post(SESSION_PATH, &body).await;
    assert_invalid(
        &reply,
        &[
            "The order summary.grand total field is required.",
            "The customer details.email must be a valid email address.",
            "The callback.callback url must be a valid URL.",
            "The products.1.name field is required.",
            "The products.1.quantity must be a number.",
            "The products.0.rate field is required.",
            "The selected products.0.tax is invalid.",
        ],
    );

    // The same with `products` as an object keyed "0", "1": the keys name the lines.
    let lines = body["products"].as_array().unwrap().clone();
    body["products"] = json!({"0": lines[0], "1": lines[1]});
    let reply = api.post(SESSION_PATH, &body).await;
    assert_eq!(reply.status, 417);
    let errors = reply.errors();
    assert_eq!(errors.len(), 7, "{errors:?}");
    assert_eq!(
        errors[3..],
        [
            "The products.1.name field is required.",
            "The products.1.quantity must be a number.",
            "The products.0.rate field is required.",
            "The selected products.0.tax is invalid.",
        ]
    );
}

#[tokio::test]
async fn numbers_as_json_numbers_or_numeric_strings_and_products_as_an_object() {
    let api = Provider::start(config()).await;
    // Every number a JSON number (floats included), as the seeds' examples partly do.
    let numbers = edited(
        session_payload(),
        &[
            set(
                "products",
                json!([{"name": "Router", "quantity": 1, "rate": 4500, "discount": 0, "tax": 12, "amount": 4500.0}]),
            ),
            set(
                "orderSummary",
                json!({"subTotal": 4017.86, "totalTax": 482.14, "totalDiscount": 0, "grandTotal": 4500}),
            ),
        ],
    );
    assert_created(&api.post(SESSION_PATH, &numbers).await);
    // Numeric strings in PHP's sense: signs, exponents, leading dots, surrounding blanks.
    let strings = edited(
        session_payload(),
        &[
            set("products.0.quantity", json!("1e0")),
            set("products.0.rate", json!(" 4500")),
            set("products.0.discount", json!("-0")),
            set("orderSummary.totalDiscount", json!(".0")),
            set("orderSummary.grandTotal", json!("+4500.00")),
        ],
    );
    assert_created(&api.post(SESSION_PATH, &strings).await);

    // `products` as an object keyed "0", "1", with two VAT rates and a discount.
    let two_lines = json!({
        "0": {"name": "Router", "quantity": "1", "rate": "4500.00", "tax": "12", "amount": "4500.00"},
        "1": {"name": "Cable", "productId": "C-2", "quantity": "2", "rate": "125.00", "discount": "50.00", "tax": "25", "amount": "200.00"}
    });
    let object = edited(
        session_payload(),
        &[
            set("products", two_lines.clone()),
            set(
                "orderSummary",
                json!({"subTotal": "4177.86", "totalTax": "522.14", "totalDiscount": "50.00", "grandTotal": "4700.00"}),
            ),
        ],
    );
    assert_created(&api.post(SESSION_PATH, &object).await);
    let regular = edited(
        regular_payload(),
        &[
            set("products", two_lines),
            set(
                "orderSummary",
                json!({"subTotal": "4177.86", "totalTax": "522.14", "totalDiscount": "50.00", "shippingCost": "49.00", "grandTotal": "4749.00"}),
            ),
        ],
    );
    assert_created(&api.post(REGULAR_PATH, &regular).await);
    assert_eq!(api.listed().await.len(), 4);
}

#[tokio::test]
async fn a_body_that_is_not_json_gives_the_required_field_errors() {
    let api = Provider::start(config()).await;
    let required = |names: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = names
            .iter()
            .map(|n| format!("The {n} field is required."))
            .collect();
        all.sort();
        all
    };
    let common = [
        "products",
        "order summary.sub total",
        "order summary.total tax",
        "order summary.total discount",
        "order summary.grand total",
        "order date",
        "customer details.type",
        "customer details.country code",
        "customer details.msisdn",
        "customer details.email",
        "customer details.name",
        "customer details.address.street",
        "customer details.address.zip",
        "customer details.address.city",
        "customer details.address.country",
    ];
    let session: Vec<&str> = common
        .iter()
        .copied()
        .chain([
            "invoice fee applicable",
            "callback.callback url",
            "callback.success",
            "callback.failure",
        ])
        .collect();
    let regular: Vec<&str> = common
        .iter()
        .copied()
        .chain([
            "order summary.shipping cost",
            "send order by.sms",
            "send order by.email",
            "send order by.invoice",
            "is credit check available",
            "invoice as payment option",
            "customer details.preferred language",
            "customer details.address",
            "submit payment",
            "submit payment.via",
            "callback",
            "callback.success",
            "callback.failure",
        ])
        .collect();
    for (path, expected) in [
        (SESSION_PATH, required(&session)),
        (REGULAR_PATH, required(&regular)),
    ] {
        for body in ["this is not JSON", "[1, 2]", "", "{\"products\": "] {
            let reply = read(
                api.http
                    .post(api.url(path))
                    .bearer_auth(api.sandbox.token())
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
            assert_eq!(reply.status, 417, "{path} {body:?}: {reply:?}");
            assert_eq!(reply.body["message"], "payloadValidationErrors");
            let mut errors = reply.errors();
            errors.sort();
            assert_eq!(errors, expected, "{path} {body:?}");
        }
    }
}

#[tokio::test]
async fn wrong_amounts_and_sums_are_refused_naming_the_expected_value_unless_lenient() {
    // The line amount is wrong, the summary agrees with it: only the line is named.
    let wrong_line = edited(
        session_payload(),
        &[
            set("products.0.amount", json!("4400.00")),
            set("orderSummary.subTotal", json!("3928.57")),
            set("orderSummary.totalTax", json!("471.43")),
            set("orderSummary.grandTotal", json!("4400.00")),
        ],
    );
    // The lines are right, the summary is not.
    let wrong_summary = edited(
        session_payload(),
        &[
            set("orderSummary.subTotal", json!("4000.00")),
            set("orderSummary.totalTax", json!("500.00")),
            set("orderSummary.totalDiscount", json!("10.00")),
            set("orderSummary.grandTotal", json!("4490.00")),
        ],
    );
    // regular-invoice: the grand total must include the shipping.
    let no_shipping = edited(
        regular_payload(),
        &[set("orderSummary.grandTotal", json!("4500.00"))],
    );
    // A discount comes off the line; half an øre rounds away from zero (0.125 → 0.13).
    let discounted = edited(
        session_payload(),
        &[
            set(
                "products",
                json!([
                    {"name": "Router", "quantity": "2", "rate": "100.00", "discount": "20.00", "tax": "25", "amount": "180.00"},
                    {"name": "Screw", "quantity": "1", "rate": "0.125", "tax": "25", "amount": "0.13"}
                ]),
            ),
            set(
                "orderSummary",
                json!({"subTotal": "144.10", "totalTax": "36.03", "totalDiscount": "20.00", "grandTotal": "180.13"}),
            ),
        ],
    );
    let half_to_even = edited(
        discounted.clone(),
        &[set("products.1.amount", json!("0.12"))],
    );

    let strict = Provider::start(config()).await;
    assert_invalid(
        &strict.post(SESSION_PATH, &wrong_line).await,
        &["The products.0.amount must be 4500.00 (quantity × rate, rounded to 2 decimals, − discount)."],
    );
    assert_invalid(
        &strict.post(SESSION_PATH, &wrong_summary).await,
        &[
            "The order summary.sub total must be 4017.86 (the lines' net, rounded per VAT rate).",
            "The order summary.total tax must be 482.14 (the lines' VAT, per VAT rate).",
            "The order summary.total discount must be 0.00 (the sum of the discounts).",
            "The order summary.grand total must be 4500.00 (the sum of the line amounts and shipping).",
        ],
    );
    assert_invalid(
        &strict.post(REGULAR_PATH, &no_shipping).await,
        &["The order summary.grand total must be 4549.00 (the sum of the line amounts and shipping)."],
    );
    assert_created(&strict.post(SESSION_PATH, &discounted).await);
    let reply = strict.post(SESSION_PATH, &half_to_even).await;
    assert_eq!(reply.status, 417);
    assert_eq!(
        reply.errors()[0],
        "The products.1.amount must be 0.13 (quantity × rate, rounded to 2 decimals, − discount)."
    );
    assert_eq!(strict.orders().await.len(), 1);

    // Our own strictness is switchable: the provider does not check the sums.
    let lenient = Provider::start(Config {
        strict: false,
        ..config()
    })
    .await;
    for (path, body) in [
        (SESSION_PATH, &wrong_line),
        (SESSION_PATH, &wrong_summary),
        (REGULAR_PATH, &no_shipping),
        (SESSION_PATH, &half_to_even),
    ] {
        assert_created(&lenient.post(path, body).await);
    }
    // Lenient still validates.
    assert_invalid(
        &lenient
            .post(SESSION_PATH, &edited(wrong_line, &[del("products.0.rate")]))
            .await,
        &["The products.0.rate field is required."],
    );
}
