//! The sheet's own order totals, checked against the ones [`crate::pipeline::price`] computed:
//! a total the sheet gives must agree to the øre, and an invoice must be for more than 0. A
//! disagreement usually means a line is missing or a price was typed wrong.

use super::{Check, OrderView};
use crate::model::fields::Field;
use crate::model::money::Summary;
use rust_decimal::Decimal;

impl Check<'_> {
    pub(super) fn order_totals(&mut self, d: &OrderView, summary: &Summary) {
        if summary.grand_total <= Decimal::ZERO {
            self.error(
                self.first_row,
                None,
                None,
                format!(
                    "the order's total is {}; an invoice must be for more than 0",
                    self.numbers.show_money(summary.grand_total)
                ),
            );
        }
        for (field, computed) in [
            (Field::SubTotal, summary.sub_total),
            (Field::TotalTax, summary.total_tax),
            (Field::TotalDiscount, summary.total_discount),
            (Field::GrandTotal, summary.grand_total),
        ] {
            let Some((sheet, s)) = self.number(d.get(field)) else {
                continue;
            };
            if self.max_decimals(field, sheet, s, 2) && sheet != computed {
                // Shipping is in the grand total but not in sub total + tax: say so, or the
                // sheet's author looks for a missing line.
                let included = if field == Field::GrandTotal
                    && summary.grand_total != summary.sub_total + summary.total_tax
                {
                    " (shipping included)"
                } else {
                    ""
                };
                self.bad(
                    field,
                    s,
                    format!(
                        "the sheet says {} but the order's lines give {}{included}",
                        self.numbers.show_money(sheet),
                        self.numbers.show_money(computed),
                    ),
                );
            }
        }
    }
}
