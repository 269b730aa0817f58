//! The JSON bodies of the provider's API (docs/money.md, docs/regular-invoice.md), apart from the order model.
//!
//! Wire decisions live here, in one place: money as strings with exactly two decimals, `rate`
//! with two to four, quantity and tax as plain decimal strings, booleans as JSON booleans,
//! `invoiceInterval` and `invoiceMaturity` as integers, and `orderDate` as the Unix seconds of
//! noon in Europe/Oslo on the order's date (noon is the same day in UTC and Oslo all year, so
//! a server that checks "today or later" in either zone agrees), or as `d M, Y` when the config
//! asks. regular-invoice sends the order key both as `referenceNo` and
//! `invoiceReferences.referenceNo`, and `submitPayment` `{via: "invoice", currency: "NOK"}`.

use crate::model::money::{wire2, wire_rate};
use crate::model::order::Order;
use crate::model::{DateFormat, Endpoint};
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::Oslo;
use rust_decimal::Decimal;
use serde::Serialize;

/// The fields of a body whose text is a decimal number (money, quantity, rate, tax): a message
/// that quotes one writes it in the sheet's number convention.
pub const DECIMAL_FIELDS: [&str; 10] = [
    "quantity",
    "rate",
    "discount",
    "tax",
    "amount",
    "subTotal",
    "totalTax",
    "totalDiscount",
    "grandTotal",
    "shippingCost",
];

/// The body of `POST /connect/orders/invoice/submit`, and what regular-invoice shares of it.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceSessionRequest {
    pub products: Vec<Product>,
    pub order_summary: OrderSummary,
    pub order_date: String,
    pub customer_details: CustomerDetails,
    pub reference_no: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_interval: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separate_invoices: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_fee_applicable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_maturity: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    pub callback: Callback,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fpgo_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_from: Option<&'static str>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    pub quantity: String,
    pub rate: String,
    pub discount: String,
    pub tax: String,
    pub amount: String,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    pub sub_total: String,
    pub total_tax: String,
    pub total_discount: String,
    pub grand_total: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_cost: Option<String>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDetails {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub country_code: String,
    pub msisdn: String,
    pub email: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    pub address: Address,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Address {
    pub street: String,
    pub zip: String,
    pub city: String,
    pub country: String,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub secure_details: bool,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Callback {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    pub success: String,
    pub failure: String,
}

/// The body of `POST /connect/orders/regular/invoice/submit`.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegularInvoiceRequest {
    #[serde(flatten)]
    pub common: InvoiceSessionRequest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date_for_payment_link: Option<String>,
    pub send_order_by: SendOrderBy,
    pub is_credit_check_available: bool,
    pub invoice_as_payment_option: bool,
    pub invoice_references: InvoiceReferences,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_references: Option<InternalReferences>,
    pub submit_payment: SubmitPayment,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct SendOrderBy {
    pub sms: bool,
    pub email: bool,
    pub invoice: bool,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceReferences {
    pub reference_no: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tnc: Option<String>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InternalReferences {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct SubmitPayment {
    pub via: &'static str,
    pub currency: &'static str,
}

/// The request body of an order for an endpoint, as JSON; an update of the provider's order
/// `update_of` (when the sheet names none itself) carries its `fpgoUuid` and
/// `orderFrom: "PARTNER"`.
pub fn body(
    order: &Order,
    endpoint: Endpoint,
    format: DateFormat,
    update_of: Option<&str>,
) -> serde_json::Value {
    let mut common = InvoiceSessionRequest::new(order, format);
    if let (None, Some(uuid)) = (&common.fpgo_uuid, update_of) {
        common.fpgo_uuid = Some(uuid.to_string());
        common.order_from = Some("PARTNER");
    }
    let value = match (&order.regular, endpoint) {
        (Some(r), Endpoint::RegularInvoice) => serde_json::to_value(RegularInvoiceRequest {
            due_date_for_payment_link: r.due_date.map(|d| oslo_noon(d).to_string()),
            send_order_by: SendOrderBy {
                sms: r.send_by_sms,
                email: r.send_by_email,
                invoice: r.send_by_invoice,
            },
            is_credit_check_available: r.credit_check,
            invoice_as_payment_option: r.invoice_as_payment_option,
            invoice_references: InvoiceReferences {
                reference_no: order.key.clone(),
                customer_reference: order.customer_reference.clone(),
                receipt_no: r.receipt_no.clone(),
                customer_notes: r.customer_notes.clone(),
                tnc: r.terms.clone(),
            },
            internal_references: (r.internal_reference.is_some() || r.internal_notes.is_some())
                .then(|| InternalReferences {
                    reference_no: r.internal_reference.clone(),
                    notes: r.internal_notes.clone(),
                }),
            submit_payment: SubmitPayment {
                via: "invoice",
                currency: "NOK",
            },
            common,
        }),
        _ => serde_json::to_value(common),
    };
    // Plain structs of strings, numbers and booleans always serialise.
    value.unwrap_or_default()
}

/// `orderDate` on the wire (see the module docs): `1795258800`, or `02 Aug, 2026`.
/// The body of `POST /connect/orders/cancel/{orderUuid}` (the provider's "Cancel Order").
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CancelRequest<'a> {
    pub cancellation_note: &'a str,
}

/// `GET /connect/orders/status/{orderUuid}` ("Order status"), or `None` for an id that is
/// not one the provider gives (letters, digits, `-` and `_`): nothing else goes in a path.
pub fn status_path(order_uuid: &str) -> Option<String> {
    order_id(order_uuid).map(|id| format!("/connect/orders/status/{id}"))
}

/// `POST /connect/orders/cancel/{orderUuid}` ("Cancel Order"), as [`status_path`].
pub fn cancel_path(order_uuid: &str) -> Option<String> {
    order_id(order_uuid).map(|id| format!("/connect/orders/cancel/{id}"))
}

/// The cancellation's body.
pub fn cancel_body(note: &str) -> Vec<u8> {
    serde_json::to_vec(&CancelRequest {
        cancellation_note: note,
    })
    .unwrap_or_default()
}

fn order_id(text: &str) -> Option<&str> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(text)
}

pub fn order_date(date: NaiveDate, format: DateFormat) -> String {
    match format {
        DateFormat::Unix => oslo_noon(date).to_string(),
        DateFormat::DayMonthYear => date.format("%d %b, %Y").to_string(),
    }
}

/// A quantity or tax rate as a plain decimal string: `1`, `1.5`, `12`.
fn plain(value: Decimal) -> String {
    value.normalize().to_string()
}

impl InvoiceSessionRequest {
    pub fn new(order: &Order, format: DateFormat) -> Self {
        let c = &order.customer;
        let s = &order.summary;
        InvoiceSessionRequest {
            products: order
                .lines
                .iter()
                .map(|l| Product {
                    name: l.name.clone(),
                    product_id: l.product_id.clone(),
                    quantity: plain(l.quantity),
                    rate: wire_rate(l.rate),
                    discount: wire2(l.discount),
                    tax: plain(l.tax),
                    amount: wire2(l.amount),
                })
                .collect(),
            order_summary: OrderSummary {
                sub_total: wire2(s.sub_total),
                total_tax: wire2(s.total_tax),
                total_discount: wire2(s.total_discount),
                grand_total: wire2(s.grand_total),
                shipping_cost: order.regular.as_ref().map(|r| wire2(r.shipping)),
            },
            order_date: order_date(order.order_date, format),
            customer_details: CustomerDetails {
                kind: c.kind.as_str(),
                country_code: c.country_code.clone(),
                msisdn: c.msisdn.clone(),
                email: c.email.clone(),
                name: c.name.clone(),
                preferred_language: c.language.clone(),
                personal_number: c.personal_number.clone(),
                organization_id: c.organization_id.clone(),
                address: Address {
                    street: c.street.clone(),
                    zip: c.zip.clone(),
                    city: c.city.clone(),
                    country: c.country.clone(),
                },
            },
            reference_no: order.key.clone(),
            customer_reference: order.customer_reference.clone(),
            invoice_interval: order.invoice_interval,
            separate_invoices: order.separate_invoices,
            invoice_fee_applicable: order.invoice_fee,
            invoice_maturity: order.invoice_maturity,
            settings: order
                .secure_details
                .map(|secure_details| Settings { secure_details }),
            callback: Callback {
                callback_url: order.callback_url.clone(),
                success: order.success_url.clone(),
                failure: order.failure_url.clone(),
            },
            fpgo_uuid: order.fpgo_uuid.clone(),
            order_from: order.fpgo_uuid.as_ref().map(|_| "PARTNER"),
        }
    }
}

/// Unix seconds of noon in Europe/Oslo on a date (the order date and due date on the wire).
pub fn oslo_noon(date: NaiveDate) -> i64 {
    let noon = date.and_hms_opt(12, 0, 0).expect("valid time");
    Oslo.from_local_datetime(&noon)
        .earliest()
        .map(|t| t.timestamp())
        .unwrap_or_else(|| noon.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_dates() {
        let date = NaiveDate::from_ymd_opt(2026, 8, 2).unwrap();
        assert_eq!(order_date(date, DateFormat::DayMonthYear), "02 Aug, 2026");
        // Noon in Oslo (summer time, UTC+2) is 10:00 UTC.
        assert_eq!(order_date(date, DateFormat::Unix), "1785664800");
    }
}
