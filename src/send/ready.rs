//! A valid order as planning and sending need it, made the moment the check finds it: its
//! key, rows and grand total, the body it is sent with and that body's fingerprint. The order
//! itself is not kept: a run holds one body per order (moved into its job), not the order it
//! was rendered from.

use crate::api::wire;
use crate::model::order::Order;
use crate::model::{DateFormat, Endpoint};
use crate::send::plan::fingerprint_of;
use rust_decimal::Decimal;
use serde_json::Value;

#[derive(Clone, Debug)]
pub struct Ready {
    /// The order's index in the checked orders.
    pub index: usize,
    pub key: String,
    pub rows: Vec<u32>,
    pub grand_total: Decimal,
    /// The provider's order the sheet itself names (its `fpgo_uuid` column), if any.
    pub fpgo_uuid: Option<String>,
    /// The request body, with no update fields but the sheet's own (its exact length: no
    /// spare capacity kept per order).
    pub body: Vec<u8>,
    /// The body's [`fingerprint`].
    pub fingerprint: String,
}

impl Ready {
    pub fn new(index: usize, order: &Order, (endpoint, format): (Endpoint, DateFormat)) -> Ready {
        let payload = wire::body(order, endpoint, format, None);
        let text = payload.to_string();
        Ready {
            index,
            key: order.key.clone(),
            rows: order.rows(),
            grand_total: order.summary.grand_total,
            fpgo_uuid: order.fpgo_uuid.clone(),
            // A copy exactly as long as the body: shrinking the text in place keeps its block
            // (the allocator keeps a block that shrinks by less than half), up to twice the
            // memory for each order (503 MiB instead of 440 for the 1,000,000-line dry run).
            body: text.as_bytes().to_vec(),
            fingerprint: fingerprint_of(payload),
        }
    }

    /// The body as a JSON value (for the fields that changed since it was sent).
    pub fn payload(&self) -> Value {
        // Written from a value by this program: it always reads back.
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// The body that sends this order as an update of the provider's order `uuid`.
    pub fn update_body(&self, uuid: &str) -> Vec<u8> {
        wire::as_update(self.payload(), uuid)
            .to_string()
            .into_bytes()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::money::Summary;
    use crate::model::order::{Customer, CustomerType, OrderLine, Regular};
    use chrono::NaiveDate;

    /// An order as the check makes one (a regular invoice's fields with `regular`).
    pub(crate) fn order(regular: bool) -> Order {
        let amount = Decimal::new(12500, 2);
        Order {
            key: "INV-1".into(),
            order_date: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            customer_reference: Some("Ola \"Nordmann\"".into()),
            customer: Customer {
                kind: CustomerType::Private,
                name: "Åse Ødegård".into(),
                email: "ase@example.no".into(),
                country_code: "+47".into(),
                msisdn: "44135755".into(),
                personal_number: None,
                organization_id: None,
                language: Some("no".into()),
                street: "Storgata 1".into(),
                zip: "0155".into(),
                city: "Oslo".into(),
                country: "NO".into(),
            },
            invoice_interval: Some(0),
            separate_invoices: None,
            invoice_fee: Some(true),
            invoice_maturity: Some(14),
            secure_details: None,
            callback_url: Some("https://shop.example.no/cb".into()),
            success_url: "https://shop.example.no/ok".into(),
            failure_url: "https://shop.example.no/no".into(),
            fpgo_uuid: None,
            lines: vec![OrderLine {
                row: 2,
                name: "Sokker".into(),
                product_id: None,
                quantity: Decimal::ONE,
                rate: amount,
                discount: Decimal::ZERO,
                tax: Decimal::new(25, 0),
                amount,
            }],
            summary: Summary {
                sub_total: Decimal::new(10000, 2),
                total_tax: Decimal::new(2500, 2),
                total_discount: Decimal::ZERO,
                grand_total: amount,
            },
            regular: regular.then(|| Regular {
                due_date: NaiveDate::from_ymd_opt(2026, 12, 20),
                shipping: Decimal::ZERO,
                send_by_sms: false,
                send_by_email: true,
                send_by_invoice: false,
                credit_check: false,
                invoice_as_payment_option: true,
                receipt_no: None,
                customer_notes: Some("Takk".into()),
                terms: None,
                internal_reference: None,
                internal_notes: None,
            }),
        }
    }

    /// The body kept, the update made from it: the bytes the order itself renders, for both
    /// endpoints (the update fields sit inside a regular invoice's body, not at its end).
    #[test]
    fn an_update_made_from_the_kept_body_is_the_one_the_order_renders() {
        for (regular, endpoint) in [
            (false, Endpoint::InvoiceSession),
            (true, Endpoint::RegularInvoice),
        ] {
            let order = order(regular);
            let ready = Ready::new(7, &order, (endpoint, DateFormat::Unix));
            let mut plain = Vec::new();
            wire::write_body(&order, endpoint, DateFormat::Unix, None, &mut plain);
            assert_eq!(ready.body, plain);
            let mut update = Vec::new();
            wire::write_body(
                &order,
                endpoint,
                DateFormat::Unix,
                Some("ODR9"),
                &mut update,
            );
            assert_eq!(
                String::from_utf8_lossy(&ready.update_body("ODR9")),
                String::from_utf8_lossy(&update)
            );
            assert_eq!(
                ready.fingerprint,
                crate::send::plan::fingerprint(&wire::body(
                    &order,
                    endpoint,
                    DateFormat::Unix,
                    None
                ))
            );
            assert_eq!((ready.index, ready.rows.as_slice()), (7, &[2][..]));
        }
    }
}
