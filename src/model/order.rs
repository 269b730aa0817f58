//! The order model after validation: every value typed, every rule satisfied. This is what the
//! payload is built from (`api/wire.rs`); it knows nothing about sheets or JSON.

use crate::model::money::Summary;
use chrono::NaiveDate;
use rust_decimal::Decimal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerType {
    Private,
    Corporate,
}

impl CustomerType {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerType::Private => "private",
            CustomerType::Corporate => "corporate",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    pub kind: CustomerType,
    pub name: String,
    pub email: String,
    /// Phone prefix such as `+47`.
    pub country_code: String,
    /// Phone number without prefix.
    pub msisdn: String,
    pub personal_number: Option<String>,
    pub organization_id: Option<String>,
    pub language: Option<String>,
    pub street: String,
    pub zip: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderLine {
    pub row: u32,
    pub name: String,
    pub product_id: Option<String>,
    pub quantity: Decimal,
    /// Unit price including VAT.
    pub rate: Decimal,
    /// Discount as an amount including VAT (zero when none).
    pub discount: Decimal,
    /// VAT rate in percent.
    pub tax: Decimal,
    /// Line total including VAT, after discount.
    pub amount: Decimal,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    /// The order key (`order_ref`), sent as referenceNo.
    pub key: String,
    pub order_date: NaiveDate,
    pub customer_reference: Option<String>,
    pub customer: Customer,
    pub invoice_interval: Option<u8>,
    pub separate_invoices: Option<bool>,
    /// invoiceFeeApplicable (required by invoice-session).
    pub invoice_fee: Option<bool>,
    pub invoice_maturity: Option<u32>,
    pub secure_details: Option<bool>,
    /// callback.callbackUrl (required by invoice-session).
    pub callback_url: Option<String>,
    pub success_url: String,
    pub failure_url: String,
    /// The provider's id of an order to update instead of creating one.
    pub fpgo_uuid: Option<String>,
    pub lines: Vec<OrderLine>,
    pub summary: Summary,
    /// The fields only regular-invoice has.
    pub regular: Option<Regular>,
}

/// What a regular invoice adds (the provider's regular-invoice page).
#[derive(Clone, Debug, PartialEq)]
pub struct Regular {
    /// dueDateForPaymentLink (required when invoiceInterval is 0).
    pub due_date: Option<NaiveDate>,
    /// orderSummary.shippingCost, including VAT, added to the grand total.
    pub shipping: Decimal,
    pub send_by_sms: bool,
    pub send_by_email: bool,
    pub send_by_invoice: bool,
    pub credit_check: bool,
    pub invoice_as_payment_option: bool,
    pub receipt_no: Option<String>,
    pub customer_notes: Option<String>,
    pub terms: Option<String>,
    pub internal_reference: Option<String>,
    pub internal_notes: Option<String>,
}

impl Order {
    pub fn rows(&self) -> Vec<u32> {
        self.lines.iter().map(|l| l.row).collect()
    }
}

/// An order key as the ledger and the provider see it: Unicode NFC (an `Å` typed as one
/// character and one written as `A` + ring are the same key), no white space around it, and
/// each run of white space inside (no-break spaces too) one space. Two lines whose keys differ
/// only in these ways belong to one order.
pub fn normalise_key(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut key = String::with_capacity(raw.len());
    for word in raw.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.nfc());
    }
    key
}

#[cfg(test)]
mod tests {
    use super::normalise_key;

    #[test]
    fn keys_that_look_the_same_are_the_same() {
        assert_eq!(normalise_key("A\u{30a}S-1"), "\u{c5}S-1");
        assert_eq!(normalise_key("  \u{c5}S-1\u{a0}"), "\u{c5}S-1");
        assert_eq!(normalise_key("INV\u{a0} 7"), "INV 7");
        assert_eq!(normalise_key("INV-7"), "INV-7");
        assert_ne!(normalise_key("INV 7"), normalise_key("INV7"));
    }
}
