//! The fields only regular-invoice has (its page of the provider's documentation): shipping, how the invoice is sent, the
//! credit check, invoice as a payment option, the due date of the payment link and the
//! references printed on the invoice.

use super::{Check, OrderView};
use crate::model::fields::Field;
use crate::model::order::Regular;
use crate::pipeline::group::Sourced;
use crate::pipeline::values::Value;
use chrono::NaiveDate;
use rust_decimal::Decimal;

impl Check<'_> {
    /// The regular-invoice block of an order; `interval` is its invoice interval, which decides
    /// whether the payment link needs a due date.
    pub(super) fn regular(
        &mut self,
        d: &OrderView,
        row: u32,
        interval: Option<u8>,
    ) -> Option<Regular> {
        let errors = self.errors;
        let get = |f: Field| d.get(f);
        // Shipping and the five flags are in `fields::required` for regular-invoice, and the
        // block cannot be built without them; the test in mod.rs holds the two together.
        let shipping = self.shipping(get(Field::ShippingCost), row);
        let mut flag = |field: Field| {
            let value = Self::boolean(get(field));
            if value.is_none() && !Self::invalid(get(field)) {
                self.missing(
                    row,
                    field,
                    &format!("write yes or no, or set {field} in the config's [defaults]"),
                );
            }
            value
        };
        let (sms, email, invoice) = (
            flag(Field::SendBySms),
            flag(Field::SendByEmail),
            flag(Field::SendByInvoice),
        );
        let (credit_check, as_payment) = (
            flag(Field::CreditCheck),
            flag(Field::InvoiceAsPaymentOption),
        );
        let due_date = self.due_date(get(Field::DueDate), row, interval);
        let text = |f: Field| {
            d.get(f).and_then(|s| match &s.value {
                Value::Text(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
                _ => None,
            })
        };
        if self.errors > errors {
            return None;
        }
        Some(Regular {
            due_date,
            shipping: shipping?,
            send_by_sms: sms?,
            send_by_email: email?,
            send_by_invoice: invoice?,
            credit_check: credit_check?,
            invoice_as_payment_option: as_payment?,
            receipt_no: text(Field::ReceiptNo),
            customer_notes: text(Field::CustomerNotes),
            terms: text(Field::Terms),
            internal_reference: text(Field::InternalReference),
            internal_notes: text(Field::InternalNotes),
        })
    }

    fn shipping(&mut self, v: Option<&Sourced>, row: u32) -> Option<Decimal> {
        let field = Field::ShippingCost;
        let what_to_do =
            "write the shipping cost (0 for none), or set shipping_cost in the config's [defaults]";
        let (n, s) = self.required_number(v, field, row, what_to_do)?;
        self.not_negative(field, n, s, "is negative; shipping is 0 or more", 2)
    }

    /// The payment link's due date, which a daily invoice interval (0) cannot do without.
    fn due_date(
        &mut self,
        v: Option<&Sourced>,
        row: u32,
        interval: Option<u8>,
    ) -> Option<NaiveDate> {
        match v {
            Some(Sourced {
                value: Value::Date(date),
                ..
            }) => Some(*date),
            Some(_) => None,
            None if interval == Some(0) => {
                self.missing(
                    row,
                    Field::DueDate,
                    "invoice_interval 0 (daily) needs the payment link's due date",
                );
                None
            }
            None => None,
        }
    }
}
