//! The JSON bodies of the provider's API (docs/money.md, docs/regular-invoice.md), apart from the order model.
//!
//! Wire decisions live here, in one place: money as strings with exactly two decimals, `rate`
//! with two to four, quantity and tax as plain decimal strings, booleans as JSON booleans,
//! `invoiceInterval` and `invoiceMaturity` as integers, and `orderDate` as the Unix seconds of
//! noon in Europe/Oslo on the order's date (noon is the same day in UTC and Oslo all year, so
//! a server that checks "today or later" in either zone agrees), or as `d M, Y` when the config
//! asks. regular-invoice sends the order key both as `referenceNo` and
//! `invoiceReferences.referenceNo`, and `submitPayment` `{via: "invoice", currency: "NOK"}`.

use crate::model::money::{fixed, wire2, wire_rate};
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
pub struct InvoiceSessionRequest<'a> {
    pub products: Vec<Product<'a>>,
    pub order_summary: OrderSummary,
    pub order_date: String,
    pub customer_details: CustomerDetails<'a>,
    pub reference_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_reference: Option<&'a str>,
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
    pub callback: Callback<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fpgo_uuid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_from: Option<&'static str>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Product<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<&'a str>,
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
pub struct CustomerDetails<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub country_code: &'a str,
    pub msisdn: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<&'a str>,
    pub address: Address<'a>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Address<'a> {
    pub street: &'a str,
    pub zip: &'a str,
    pub city: &'a str,
    pub country: &'a str,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub secure_details: bool,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Callback<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<&'a str>,
    pub success: &'a str,
    pub failure: &'a str,
}

/// The body of `POST /connect/orders/regular/invoice/submit`.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegularInvoiceRequest<'a> {
    #[serde(flatten)]
    pub common: InvoiceSessionRequest<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date_for_payment_link: Option<String>,
    pub send_order_by: SendOrderBy,
    pub is_credit_check_available: bool,
    pub invoice_as_payment_option: bool,
    pub invoice_references: InvoiceReferences<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_references: Option<InternalReferences<'a>>,
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
pub struct InvoiceReferences<'a> {
    pub reference_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_no: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_notes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tnc: Option<&'a str>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InternalReferences<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_no: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<&'a str>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct SubmitPayment {
    pub via: &'static str,
    pub currency: &'static str,
}

/// The typed request body of an order for an endpoint: what [`body`] turns into JSON and
/// [`write_body`] into bytes, through the same `Serialize`, so both give the same keys in the
/// same order.
#[derive(Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Request<'a> {
    InvoiceSession(InvoiceSessionRequest<'a>),
    RegularInvoice(RegularInvoiceRequest<'a>),
}

impl<'a> Request<'a> {
    /// The request for an endpoint; an update of the provider's order `update_of` (when the
    /// sheet names none itself) carries its `fpgoUuid` and `orderFrom: "PARTNER"`.
    pub fn new(
        order: &'a Order,
        endpoint: Endpoint,
        format: DateFormat,
        update_of: Option<&'a str>,
    ) -> Self {
        let mut common = InvoiceSessionRequest::new(order, format);
        if let (None, Some(uuid)) = (common.fpgo_uuid, update_of) {
            common.fpgo_uuid = Some(uuid);
            common.order_from = Some("PARTNER");
        }
        match (&order.regular, endpoint) {
            (Some(r), Endpoint::RegularInvoice) => Request::RegularInvoice(RegularInvoiceRequest {
                due_date_for_payment_link: r.due_date.map(|d| oslo_noon(d).to_string()),
                send_order_by: SendOrderBy {
                    sms: r.send_by_sms,
                    email: r.send_by_email,
                    invoice: r.send_by_invoice,
                },
                is_credit_check_available: r.credit_check,
                invoice_as_payment_option: r.invoice_as_payment_option,
                invoice_references: InvoiceReferences {
                    reference_no: &order.key,
                    customer_reference: order.customer_reference.as_deref(),
                    receipt_no: r.receipt_no.as_deref(),
                    customer_notes: r.customer_notes.as_deref(),
                    tnc: r.terms.as_deref(),
                },
                internal_references: (r.internal_reference.is_some() || r.internal_notes.is_some())
                    .then_some(InternalReferences {
                        reference_no: r.internal_reference.as_deref(),
                        notes: r.internal_notes.as_deref(),
                    }),
                submit_payment: SubmitPayment {
                    via: "invoice",
                    currency: "NOK",
                },
                common,
            }),
            _ => Request::InvoiceSession(common),
        }
    }
}

/// The request body of an order for an endpoint, as a JSON value (see [`Request::new`]).
pub fn body(
    order: &Order,
    endpoint: Endpoint,
    format: DateFormat,
    update_of: Option<&str>,
) -> serde_json::Value {
    // Plain structs of strings, numbers and booleans always serialise.
    serde_json::to_value(Request::new(order, endpoint, format, update_of)).unwrap_or_default()
}

/// An order's body (made with no update fields) turned into the update of the provider's
/// order `uuid`: the `fpgoUuid` and `orderFrom` [`Request::new`] writes, in the place it
/// writes them (after `callback`), so the value is the one `body(…, Some(uuid))` gives.
pub fn as_update(mut body: serde_json::Value, uuid: &str) -> serde_json::Value {
    if let Some(map) = body.as_object_mut() {
        let after = map
            .keys()
            .position(|k| k == "callback")
            .map_or(map.len(), |i| i + 1);
        map.shift_insert(after, "fpgoUuid".into(), uuid.into());
        map.shift_insert(after + 1, "orderFrom".into(), "PARTNER".into());
    }
    body
}

/// The request body of an order for an endpoint, as JSON bytes appended to `out`: the bytes
/// of [`body`]'s value written out, without building the value.
pub fn write_body(
    order: &Order,
    endpoint: Endpoint,
    format: DateFormat,
    update_of: Option<&str>,
    out: &mut Vec<u8>,
) {
    let request = Request::new(order, endpoint, format, update_of);
    // Writing into a Vec cannot fail, and the request always serialises.
    let _ = serde_json::to_writer(out, &request);
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
    let value = value.normalize();
    fixed(value, value.scale())
}

impl<'a> InvoiceSessionRequest<'a> {
    pub fn new(order: &'a Order, format: DateFormat) -> Self {
        let c = &order.customer;
        let s = &order.summary;
        InvoiceSessionRequest {
            products: order
                .lines
                .iter()
                .map(|l| Product {
                    name: &l.name,
                    product_id: l.product_id.as_deref(),
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
                country_code: &c.country_code,
                msisdn: &c.msisdn,
                email: &c.email,
                name: &c.name,
                preferred_language: c.language.as_deref(),
                personal_number: c.personal_number.as_deref(),
                organization_id: c.organization_id.as_deref(),
                address: Address {
                    street: &c.street,
                    zip: &c.zip,
                    city: &c.city,
                    country: &c.country,
                },
            },
            reference_no: &order.key,
            customer_reference: order.customer_reference.as_deref(),
            invoice_interval: order.invoice_interval,
            separate_invoices: order.separate_invoices,
            invoice_fee_applicable: order.invoice_fee,
            invoice_maturity: order.invoice_maturity,
            settings: order
                .secure_details
                .map(|secure_details| Settings { secure_details }),
            callback: Callback {
                callback_url: order.callback_url.as_deref(),
                success: &order.success_url,
                failure: &order.failure_url,
            },
            fpgo_uuid: order.fpgo_uuid.as_deref(),
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
