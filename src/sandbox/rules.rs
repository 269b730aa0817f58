//! The sandbox's rule sets, one per endpoint, written from the provider's pages (*Create
//! Session for Invoice Order* for invoice-session, the regular-invoice page for regular-invoice),
//! plus its own arithmetic strictness. Independent of the tool's validator on purpose: it is here to catch its mistakes.

use super::laravel::{as_text, is_numeric, Context, Rule};
use crate::model::countries;
use crate::model::DateFormat;
use chrono::TimeZone;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use std::str::FromStr;
use std::sync::OnceLock;

/// Which endpoint a request came to: the provider's endpoints as the tool names them.
pub use crate::model::Endpoint;

type Rules = Vec<(&'static str, Vec<Rule>)>;

const TAX_RATES: &[&str] = &["0", "12", "15", "25"];
const LANGUAGES: &[&str] = &["en", "no", "sv", "da", "de"];

fn iso_country(value: &Value, _: &Context) -> bool {
    value.as_str().is_some_and(countries::is_iso_alpha2)
}

fn order_exists(value: &Value, context: &Context) -> bool {
    (context.order_exists)(&as_text(value))
}

/// "Unix timestamp for the date of the order", today or later (the provider's documentation); with the `d M, Y`
/// setting, that day at midnight in Oslo.
fn today_or_later(value: &Value, context: &Context) -> bool {
    let text = as_text(value);
    match context.date_format {
        DateFormat::Unix => match text.trim().parse::<i64>() {
            Ok(seconds) => seconds >= context.today_start,
            // Not a timestamp: the `string` rule has had its say.
            Err(_) => true,
        },
        DateFormat::DayMonthYear => match day_month_year(&text) {
            Some(date) => {
                let oslo = chrono_tz::Europe::Oslo;
                date.and_hms_opt(23, 59, 59)
                    .and_then(|end| oslo.from_local_datetime(&end).earliest())
                    .is_some_and(|end| end.timestamp() >= context.today_start)
            }
            None => true,
        },
    }
}

/// PHP's `d M, Y`: a two-digit day, an English month abbreviation, a comma, a year.
fn day_month_year(text: &str) -> Option<chrono::NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 12 || !bytes[..2].iter().all(u8::is_ascii_digit) || bytes[2] != b' ' {
        return None;
    }
    chrono::NaiveDate::parse_from_str(text, "%d %b, %Y").ok()
}

/// With the `d M, Y` setting, orderDate must be written that way (`02 Aug, 2026`).
fn in_date_format(value: &Value, context: &Context) -> bool {
    context.date_format == DateFormat::Unix || day_month_year(&as_text(value)).is_some()
}

fn eleven_digits(text: &str) -> bool {
    text.len() == 11 && text.bytes().all(|b| b.is_ascii_digit())
}

fn alphanumeric(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The rules both endpoints share: products, summary and customer.
fn common() -> Rules {
    use Rule::*;
    vec![
        ("products", vec![Required, Array]),
        ("products.*.name", vec![Required, String]),
        ("products.*.productId", vec![Nullable, String, Max(25)]),
        ("products.*.quantity", vec![Required, Numeric]),
        ("products.*.rate", vec![Required, Numeric]),
        ("products.*.discount", vec![Nullable, Numeric]),
        ("products.*.tax", vec![Required, Numeric, In(TAX_RATES)]),
        ("products.*.amount", vec![Required, Numeric]),
        ("orderSummary.subTotal", vec![Required, Numeric]),
        ("orderSummary.totalTax", vec![Required, Numeric]),
        ("orderSummary.totalDiscount", vec![Required, Numeric]),
        ("orderSummary.grandTotal", vec![Required, Numeric]),
        (
            "orderDate",
            vec![
                Required,
                String,
                Custom(
                    in_date_format,
                    "The :attribute does not match the format d M, Y.",
                ),
                Custom(
                    today_or_later,
                    "The :attribute must be a date after or equal to today.",
                ),
            ],
        ),
        ("referenceNo", vec![Nullable, String]),
        ("customerReference", vec![Nullable, String]),
        (
            "fpgoUuid",
            vec![
                Nullable,
                String,
                Custom(order_exists, "The selected :attribute is invalid."),
            ],
        ),
        (
            "orderFrom",
            vec![RequiredWith("fpgoUuid"), Nullable, String, In(&["PARTNER"])],
        ),
        (
            "invoiceInterval",
            vec![Sometimes, Nullable, Numeric, In(&["0", "1", "2"])],
        ),
        ("separateInvoices", vec![Sometimes, Nullable, Boolean]),
        (
            "customerDetails.type",
            vec![Required, String, In(&["private", "corporate"])],
        ),
        ("customerDetails.countryCode", vec![Required, String]),
        ("customerDetails.msisdn", vec![Required, String]),
        ("customerDetails.email", vec![Required, Email]),
        ("customerDetails.name", vec![Required, String]),
        (
            "customerDetails.organizationId",
            vec![
                RequiredIf("customerDetails.type", &["corporate"]),
                Nullable,
                String,
                Regex(alphanumeric),
            ],
        ),
        ("customerDetails.address.street", vec![Required, String]),
        ("customerDetails.address.zip", vec![Required, String]),
        ("customerDetails.address.city", vec![Required, String]),
        (
            "customerDetails.address.country",
            vec![
                Required,
                String,
                Custom(
                    iso_country,
                    "The :attribute must be a valid ISO Alpha-2 country code.",
                ),
            ],
        ),
    ]
}

/// `POST /connect/orders/invoice/submit` (*Create Session for Invoice Order*, the stricter of its renderings for callbacks).
fn invoice_session() -> Rules {
    use Rule::*;
    let mut rules = common();
    rules.extend([
        ("invoiceFeeApplicable", vec![Required, Boolean]),
        ("invoiceMaturity", vec![Nullable, Numeric]),
        ("settings.secureDetails", vec![Nullable, Boolean]),
        (
            "customerDetails.personalNumber",
            vec![
                RequiredIf("customerDetails.type", &["private"]),
                Nullable,
                String,
                Size(11),
            ],
        ),
        (
            "customerDetails.preferredLanguage",
            vec![Nullable, String, In(LANGUAGES)],
        ),
        ("callback.callbackUrl", vec![Required, Url]),
        ("callback.success", vec![Required, Url]),
        ("callback.failure", vec![Required, Url]),
    ]);
    rules
}

/// `POST /connect/orders/regular/invoice/submit` (the regular-invoice page's validation block, and the
/// shipping cost its table and the recorded errors require).
fn regular_invoice() -> Rules {
    use Rule::*;
    let mut rules = common();
    rules.extend([
        ("orderSummary.shippingCost", vec![Required, Numeric]),
        (
            "dueDateForPaymentLink",
            vec![RequiredIf("invoiceInterval", &["0"]), Nullable, String],
        ),
        ("sendOrderBy.sms", vec![Required, Boolean]),
        ("sendOrderBy.email", vec![Required, Boolean]),
        ("sendOrderBy.invoice", vec![Required, Boolean]),
        ("isCreditCheckAvailable", vec![Required, Boolean]),
        ("invoiceAsPaymentOption", vec![Required, Boolean]),
        ("customerDetails.preferredLanguage", vec![Required, String]),
        (
            "customerDetails.personalNumber",
            vec![
                Nullable,
                RequiredIf("submitPayment.via", &["invoice"]),
                String,
                Regex(eleven_digits),
            ],
        ),
        ("customerDetails.address", vec![Required, Array]),
        ("invoiceReferences", vec![Nullable, Array]),
        ("invoiceReferences.referenceNo", vec![Nullable, String]),
        (
            "invoiceReferences.customerReference",
            vec![Nullable, String],
        ),
        ("invoiceReferences.receiptNo", vec![Nullable, String]),
        ("invoiceReferences.customerNotes", vec![Nullable, String]),
        ("invoiceReferences.tnc", vec![Nullable, String]),
        ("internalReferences", vec![Nullable, Array]),
        ("internalReferences.referenceNo", vec![Nullable, String]),
        ("internalReferences.notes", vec![Nullable, String]),
        ("submitPayment", vec![Required, Array]),
        (
            "submitPayment.via",
            vec![Required, String, In(&["invoice"])],
        ),
        ("callback", vec![Required, Array]),
        ("callback.success", vec![Required, String]),
        ("callback.failure", vec![Required, String]),
    ]);
    rules
}

/// The rule set of an endpoint, built once.
pub fn rules(endpoint: Endpoint) -> &'static [(&'static str, Vec<Rule>)] {
    static SESSION: OnceLock<Rules> = OnceLock::new();
    static REGULAR: OnceLock<Rules> = OnceLock::new();
    match endpoint {
        Endpoint::InvoiceSession => SESSION.get_or_init(invoice_session),
        Endpoint::RegularInvoice => REGULAR.get_or_init(regular_invoice),
    }
}

/// A numeric JSON value as a decimal (a JSON number or a numeric string).
fn decimal(value: Option<&Value>) -> Option<Decimal> {
    let value = value?;
    if !is_numeric(value) {
        return None;
    }
    let text = as_text(value);
    let text = text.trim();
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .ok()
}

fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The sandbox's own strictness, beyond what the provider checks: every line amount and the
/// order summary must follow the pricing rules (docs/money.md) to the øre. Runs on a body that
/// passed validation; returns a message per field that disagrees, naming the expected value.
pub fn arithmetic(body: &Value, endpoint: Endpoint) -> Vec<String> {
    let mut messages = Vec::new();
    let items: Vec<(String, &Value)> = match body.get("products") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        _ => return messages,
    };
    // (rate, gross at that rate)
    let mut by_tax: Vec<(Decimal, Decimal)> = Vec::new();
    let mut discounts = Decimal::ZERO;
    for (index, item) in items {
        let number = |key: &str| decimal(item.get(key));
        let (Some(quantity), Some(rate), Some(tax), Some(amount)) = (
            number("quantity"),
            number("rate"),
            number("tax"),
            number("amount"),
        ) else {
            continue;
        };
        let discount = number("discount").unwrap_or_default();
        let Some(gross) = quantity.checked_mul(rate).map(round2) else {
            messages.push(format!(
                "The products.{index}.quantity × rate is too large."
            ));
            continue;
        };
        let expected = gross - discount;
        if amount != expected {
            messages.push(format!(
                "The products.{index}.amount must be {expected:.2} (quantity × rate, rounded to 2 decimals, − discount)."
            ));
        }
        discounts += discount;
        match by_tax.iter_mut().find(|(t, _)| *t == tax) {
            Some((_, sum)) => *sum += amount,
            None => by_tax.push((tax, amount)),
        }
    }
    let (mut net, mut vat, mut gross) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for (tax, sum) in by_tax {
        let n = round2(sum * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + tax));
        net += n;
        vat += sum - n;
        gross += sum;
    }
    let summary = body.get("orderSummary");
    let field = |key: &str| decimal(summary.and_then(|s| s.get(key)));
    if endpoint == Endpoint::RegularInvoice {
        gross += field("shippingCost").unwrap_or_default();
    }
    for (key, attribute, expected, how) in [
        (
            "subTotal",
            "sub total",
            net,
            "the lines' net, rounded per VAT rate",
        ),
        ("totalTax", "total tax", vat, "the lines' VAT, per VAT rate"),
        (
            "totalDiscount",
            "total discount",
            discounts,
            "the sum of the discounts",
        ),
        (
            "grandTotal",
            "grand total",
            gross,
            "the sum of the line amounts and shipping",
        ),
    ] {
        if field(key).is_some_and(|given| given != expected) {
            messages.push(format!(
                "The order summary.{attribute} must be {expected:.2} ({how})."
            ));
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_providers_example_is_consistent() {
        let body = json!({
            "products": [{"quantity": "1", "rate": 4500, "tax": "12", "amount": 4500, "discount": 0}],
            "orderSummary": {"subTotal": "4017.86", "totalTax": "482.14", "totalDiscount": "0.00", "grandTotal": "4500"}
        });
        assert!(arithmetic(&body, Endpoint::InvoiceSession).is_empty());
    }

    #[test]
    fn wrong_sums_name_the_field_and_the_expected_value() {
        let body = json!({
            "products": {"0": {"quantity": "2", "rate": "10.005", "tax": "25", "amount": "20.00"}},
            "orderSummary": {"subTotal": "16.00", "totalTax": "4.00", "totalDiscount": "0", "grandTotal": "20.00", "shippingCost": "49"}
        });
        assert_eq!(
            arithmetic(&body, Endpoint::RegularInvoice),
            vec![
                "The products.0.amount must be 20.01 (quantity × rate, rounded to 2 decimals, − discount).",
                "The order summary.grand total must be 69.00 (the sum of the line amounts and shipping).",
            ]
        );
    }
}

#[cfg(test)]
mod date_tests {
    use super::*;
    use serde_json::json;

    fn context(format: DateFormat) -> Context<'static> {
        Context {
            order_exists: &|_| false,
            // 2026-11-21 00:00 in Oslo.
            today_start: 1_795_215_600,
            date_format: format,
        }
    }

    #[test]
    fn d_m_y_dates() {
        let c = context(DateFormat::DayMonthYear);
        assert!(in_date_format(&json!("21 Nov, 2026"), &c));
        assert!(!in_date_format(&json!("1795262400"), &c));
        assert!(
            !in_date_format(&json!("2 Nov, 2026"), &c),
            "the day has two digits"
        );
        assert!(today_or_later(&json!("21 Nov, 2026"), &c));
        assert!(!today_or_later(&json!("20 Nov, 2026"), &c));
        assert!(in_date_format(
            &json!("1795262400"),
            &context(DateFormat::Unix)
        ));
    }
}
