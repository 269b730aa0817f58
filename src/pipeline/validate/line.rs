//! The rules of one product line: its name and product id, quantity, unit price, VAT rate and
//! discount, and the line's price against its discount and the sheet's own line total. Lines
//! are checked as they are read, so a long sheet keeps only the typed lines.

use super::{Check, LineValues, Rules};
use crate::model::fields::Field;
use crate::model::money::{Discount, LineInput, LinePrice};
use crate::model::order::OrderLine;
use crate::pipeline::price;
use rust_decimal::Decimal;

impl Check<'_> {
    pub(super) fn line(&mut self, line: &mut LineValues, rules: &Rules) -> Option<OrderLine> {
        let errors = self.errors;
        let row = line.row;
        let has_name = self
            .required_text(
                line.get(Field::ProductName),
                Field::ProductName,
                row,
                "write what is sold",
            )
            .is_some();
        if let Some((id, s)) = self.text(line.get(Field::ProductId)) {
            if id.chars().count() > 25 {
                self.bad(
                    Field::ProductId,
                    s,
                    "is longer than the provider's 25 characters; shorten it",
                );
            }
        }
        let quantity = self.quantity(line);
        let rate = self.unit_price(line);
        let tax = self.vat_rate(line, rules);
        let discount = self.discount(line);
        if self.errors > errors {
            return None;
        }
        let input = LineInput {
            quantity: quantity?,
            rate: rate?,
            discount: discount?,
            tax: tax?,
        };
        let price = self.priced(line, &input)?;
        // A name left unreadable was reported when it was read; the price is checked anyway.
        if !has_name || self.errors > errors {
            return None;
        }
        Some(OrderLine {
            row,
            name: line.take_text(Field::ProductName)?,
            product_id: line.take_text(Field::ProductId).filter(|t| !t.is_empty()),
            quantity: input.quantity,
            rate: input.rate,
            discount: price.discount,
            tax: input.tax,
            amount: price.amount,
        })
    }

    fn quantity(&mut self, line: &LineValues) -> Option<Decimal> {
        let field = Field::Quantity;
        let (n, s) = self.required_number(line.get(field), field, line.row, "write how many")?;
        if n <= Decimal::ZERO {
            self.bad(field, s, "must be greater than 0");
            return None;
        }
        self.max_decimals(field, n, s, 4).then_some(n)
    }

    fn unit_price(&mut self, line: &LineValues) -> Option<Decimal> {
        let field = Field::UnitPrice;
        let what_to_do = "write the price per unit including VAT";
        let (n, s) = self.required_number(line.get(field), field, line.row, what_to_do)?;
        let negative = "is negative; a unit price is 0 or more (give a discount instead)";
        self.not_negative(field, n, s, negative, 4)
    }

    fn vat_rate(&mut self, line: &LineValues, rules: &Rules) -> Option<Decimal> {
        let v = line.get(Field::VatRate);
        // The list of rates is only written out when a message needs it: lines are many.
        let numbers = self.numbers;
        let allowed = || {
            let rates: Vec<String> = rules.vat_rates.iter().map(|&r| numbers.show(r)).collect();
            rates.join(", ")
        };
        let Some((mut rate, s)) = self.number(v) else {
            if !Self::invalid(v) {
                let what_to_do = format!("write the VAT rate in percent ({})", allowed());
                self.missing(line.row, Field::VatRate, &what_to_do);
            }
            return None;
        };
        // A cell formatted as a percentage holds 0.25 for 25 %.
        let as_percent = rate * Decimal::ONE_HUNDRED;
        if rate > Decimal::ZERO && rate < Decimal::ONE && rules.vat_rates.contains(&as_percent) {
            rate = as_percent.normalize();
            let message = format!(
                "read as {} % (a cell formatted as a percentage holds {})",
                self.numbers.show(rate),
                s.value.show(self.numbers)
            );
            self.warn(Field::VatRate, s, message);
        }
        if !rules.vat_rates.contains(&rate) {
            self.bad(
                Field::VatRate,
                s,
                format!(
                    "is not a VAT rate the provider accepts; use one of {}",
                    allowed()
                ),
            );
            return None;
        }
        Some(rate.normalize())
    }

    fn discount(&mut self, line: &LineValues) -> Option<Discount> {
        let amount = self.number(line.get(Field::Discount));
        let percent = self.number(line.get(Field::DiscountPercent));
        match (amount, percent) {
            (Some((a, s)), Some((p, _))) if !a.is_zero() && !p.is_zero() => {
                self.bad(
                    Field::Discount,
                    s,
                    "both a discount amount and a discount percent are given; keep one",
                );
                None
            }
            (Some((a, s)), _) if !a.is_zero() => {
                let negative = "is negative; a discount is 0 or more";
                self.not_negative(Field::Discount, a, s, negative, 2)
                    .map(Discount::Amount)
            }
            (_, Some((p, s))) if !p.is_zero() => {
                if p > Decimal::ZERO && p < Decimal::ONE {
                    let message = format!(
                        "read as {} %; if the cell shows {} % (a percentage-formatted cell), write that number instead",
                        self.numbers.show(p),
                        self.numbers.show((p * Decimal::ONE_HUNDRED).normalize())
                    );
                    self.warn(Field::DiscountPercent, s, message);
                }
                if p.is_sign_negative() || p > Decimal::ONE_HUNDRED {
                    self.bad(Field::DiscountPercent, s, "must be between 0 and 100");
                    return None;
                }
                Some(Discount::Percent(p))
            }
            _ => Some(Discount::None),
        }
    }

    /// The price of a line whose values passed, checked against its discount and against the
    /// line total the sheet gives, if it gives one.
    fn priced(&mut self, line: &LineValues, input: &LineInput) -> Option<LinePrice> {
        let row = line.row;
        let Ok(price) = price::line(input) else {
            self.error(
                row,
                Some(Field::Quantity),
                None,
                "quantity × unit price is too large to compute",
            );
            return None;
        };
        if price.discount > price.gross {
            let field = match input.discount {
                Discount::Percent(_) => Field::DiscountPercent,
                _ => Field::Discount,
            };
            self.error(
                row,
                Some(field),
                line.get(field),
                format!(
                    "the discount {} is more than the line's {} (quantity × unit price)",
                    self.numbers.show_money(price.discount),
                    self.numbers.show_money(price.gross)
                ),
            );
            return None;
        }
        if let Some((sheet, s)) = self.number(line.get(Field::LineAmount)) {
            if self.max_decimals(Field::LineAmount, sheet, s, 2) && sheet != price.amount {
                self.bad(
                    Field::LineAmount,
                    s,
                    format!(
                        "the sheet says {} but quantity × unit price − discount is {}; correct one of them",
                        self.numbers.show_money(sheet),
                        self.numbers.show_money(price.amount)
                    ),
                );
            }
        }
        Some(price)
    }
}
