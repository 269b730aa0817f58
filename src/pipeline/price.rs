//! Stage **price**: what a line and an order cost, by the pricing rules of docs/money.md. The
//! arithmetic and THE rounding function are `model/money.rs`; this stage applies them to the
//! pipeline's validated lines, so that validation only compares and never computes a price.

use crate::model::money::{self, LineInput, LinePrice, Overflow, Summary};
use crate::model::order::Order;
use rust_decimal::Decimal;

/// The price of one line whose quantity, unit price, discount and VAT rate are valid.
pub fn line(input: &LineInput) -> Result<LinePrice, Overflow> {
    money::price_line(input)
}

/// The order summary of an order's priced lines, VAT per rate, with the shipping of a
/// regular invoice in the grand total.
pub fn summary(order: &Order) -> Result<Summary, Overflow> {
    let priced: Vec<(LinePrice, Decimal)> = order
        .lines
        .iter()
        .map(|l| {
            let price = LinePrice {
                gross: l.amount + l.discount,
                discount: l.discount,
                amount: l.amount,
            };
            (price, l.tax)
        })
        .collect();
    let shipping = order.regular.as_ref().map_or(Decimal::ZERO, |r| r.shipping);
    money::summarize(&priced, shipping)
}
