//! Money: THE rounding function and the pricing rules (docs/money.md), in one place.
//!
//! `amount = round2(quantity × rate) − discount`; VAT per rate: for each rate r, gross G_r is
//! the sum of the amounts at r, net N_r = round2(G_r × 100 / (100 + r)), VAT T_r = G_r − N_r.
//! Prices include VAT. round2 rounds half away from zero. All arithmetic is checked: a sheet
//! can hold numbers that would overflow, and that must be a row problem, not a panic.

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds to øre, half away from zero (commercial rounding, never banker's).
pub fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A line's discount: an amount, or a percentage of the line's gross amount.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Discount {
    None,
    Amount(Decimal),
    Percent(Decimal),
}

/// What pricing needs of one line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LineInput {
    pub quantity: Decimal,
    /// Unit price including VAT.
    pub rate: Decimal,
    pub discount: Discount,
    /// VAT rate in percent.
    pub tax: Decimal,
}

/// A priced line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinePrice {
    /// round2(quantity × rate), before discount.
    pub gross: Decimal,
    pub discount: Decimal,
    /// gross − discount: the line's total including VAT.
    pub amount: Decimal,
}

/// The order summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Summary {
    pub sub_total: Decimal,
    pub total_tax: Decimal,
    pub total_discount: Decimal,
    pub grand_total: Decimal,
}

/// Arithmetic left the range of a decimal: the sheet's numbers are absurdly large.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow;

/// Prices one line.
pub fn price_line(line: &LineInput) -> Result<LinePrice, Overflow> {
    let gross = round2(line.quantity.checked_mul(line.rate).ok_or(Overflow)?);
    let discount = match line.discount {
        Discount::None => Decimal::ZERO,
        Discount::Amount(a) => a,
        Discount::Percent(p) => round2(
            gross
                .checked_mul(p)
                .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
                .ok_or(Overflow)?,
        ),
    };
    let amount = gross.checked_sub(discount).ok_or(Overflow)?;
    Ok(LinePrice {
        gross,
        discount,
        amount,
    })
}

/// The order summary of priced lines (`tax` per line), plus shipping where the endpoint has it.
pub fn summarize(lines: &[(LinePrice, Decimal)], shipping: Decimal) -> Result<Summary, Overflow> {
    let mut by_rate: Vec<(Decimal, Decimal)> = Vec::new();
    let mut total_discount = Decimal::ZERO;
    for (price, tax) in lines {
        total_discount = total_discount.checked_add(price.discount).ok_or(Overflow)?;
        match by_rate.iter_mut().find(|(r, _)| r == tax) {
            Some((_, gross)) => *gross = gross.checked_add(price.amount).ok_or(Overflow)?,
            None => by_rate.push((*tax, price.amount)),
        }
    }
    let mut summary = Summary {
        total_discount,
        ..Summary::default()
    };
    for (rate, gross) in by_rate {
        let divisor = Decimal::ONE_HUNDRED.checked_add(rate).ok_or(Overflow)?;
        let net = round2(
            gross
                .checked_mul(Decimal::ONE_HUNDRED)
                .and_then(|x| x.checked_div(divisor))
                .ok_or(Overflow)?,
        );
        summary.sub_total = summary.sub_total.checked_add(net).ok_or(Overflow)?;
        summary.total_tax = summary.total_tax.checked_add(gross - net).ok_or(Overflow)?;
        summary.grand_total = summary.grand_total.checked_add(gross).ok_or(Overflow)?;
    }
    summary.grand_total = summary.grand_total.checked_add(shipping).ok_or(Overflow)?;
    Ok(summary)
}

/// Money as the wire wants it: exactly two decimals (`"4017.86"`).
pub fn wire2(value: Decimal) -> String {
    fixed(round2(value), 2)
}

/// A unit price as the wire wants it: two decimals, or up to four when the sheet has more.
pub fn wire_rate(value: Decimal) -> String {
    fixed(value, value.scale().clamp(2, 4))
}

/// A value with exactly `places` decimals, as `format!("{value:.places$}")` writes it: from
/// its integer digits when it has no more decimals than that and fits in 64 bits (the common
/// case, a tenth of the work), by `format!` otherwise (rounding, negative zero, huge values).
pub fn fixed(value: Decimal, places: u32) -> String {
    let mantissa = value.mantissa();
    let scale = value.scale();
    let widened = u64::try_from(mantissa.unsigned_abs())
        .ok()
        .filter(|_| scale <= places && places <= 8 && !(mantissa == 0 && value.is_sign_negative()))
        .and_then(|m| m.checked_mul(10u64.pow(places - scale)));
    let Some(digits) = widened else {
        return format!("{value:.prec$}", prec = places as usize);
    };
    // The digits from the last, the point after `places` of them, at least one before it.
    let (mut buf, mut at, mut rest, mut written) = ([0u8; 32], 32, digits, 0);
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        written += 1;
        if written == places {
            at -= 1;
            buf[at] = b'.';
        }
        if rest == 0 && written > places {
            break;
        }
    }
    if mantissa < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    // ASCII digits, a point and a sign.
    String::from_utf8(buf[at..].to_vec()).unwrap_or_default()
}

/// The number of decimals a value was written with (trailing zeros ignored).
pub fn decimals(value: Decimal) -> u32 {
    value.normalize().scale()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn line(q: &str, rate: &str, tax: &str) -> LineInput {
        LineInput {
            quantity: d(q),
            rate: d(rate),
            discount: Discount::None,
            tax: d(tax),
        }
    }

    fn order(lines: &[LineInput]) -> Summary {
        let priced: Vec<_> = lines
            .iter()
            .map(|l| (price_line(l).unwrap(), l.tax))
            .collect();
        summarize(&priced, Decimal::ZERO).unwrap()
    }

    #[test]
    fn the_providers_example() {
        let s = order(&[line("1", "4500", "12")]);
        assert_eq!(wire2(s.sub_total), "4017.86");
        assert_eq!(wire2(s.total_tax), "482.14");
        assert_eq!(wire2(s.grand_total), "4500.00");
    }

    #[test]
    fn half_away_from_zero() {
        assert_eq!(round2(d("0.125")), d("0.13"));
        assert_eq!(round2(d("0.135")), d("0.14"));
        assert_eq!(round2(d("-0.125")), d("-0.13"));
    }

    #[test]
    fn vat_is_per_rate_not_per_line() {
        // Three lines of 0.10 at 25 %: per line net 0.08 each (0.24); per rate round2(0.24) = 0.24.
        // Two lines of 1.05 at 25 %: per line 0.84 + 0.84 = 1.68; per rate round2(1.68) = 1.68.
        // Lines of 3.33 at 25 %: per line round2(2.664) = 2.66 ×3 = 7.98; per rate round2(7.992) = 7.99.
        let s = order(&[
            line("1", "3.33", "25"),
            line("1", "3.33", "25"),
            line("1", "3.33", "25"),
        ]);
        assert_eq!(s.sub_total, d("7.99"));
        assert_eq!(s.total_tax, d("2.00"));
    }

    #[test]
    fn discounts() {
        let mut l = line("2", "100", "25");
        l.discount = Discount::Percent(d("10"));
        let p = price_line(&l).unwrap();
        assert_eq!(
            (p.gross, p.discount, p.amount),
            (d("200"), d("20.00"), d("180.00"))
        );
        l.discount = Discount::Amount(d("50"));
        assert_eq!(price_line(&l).unwrap().amount, d("150"));
        let s = order(&[l]);
        assert_eq!(s.total_discount, d("50"));
        assert_eq!(s.grand_total, d("150"));
    }

    #[test]
    fn wire_formats() {
        assert_eq!(wire2(d("40")), "40.00");
        assert_eq!(wire_rate(d("40")), "40.00");
        assert_eq!(wire_rate(d("0.125")), "0.125");
        assert_eq!(wire_rate(d("0.1250")), "0.1250");
        assert_eq!(wire_rate(d("19.9")), "19.90");
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let l = line("79228162514264337593543950335", "2", "25");
        assert_eq!(price_line(&l), Err(Overflow));
    }

    fn money() -> impl Strategy<Value = Decimal> {
        (0i64..10_000_000).prop_map(|c| Decimal::new(c, 2))
    }

    fn any_line() -> impl Strategy<Value = LineInput> {
        (
            1i64..1000,
            money(),
            prop::sample::select(vec![0, 12, 15, 25]),
            0u8..3,
            0i64..100,
        )
            .prop_map(|(q, rate, tax, kind, pct)| LineInput {
                quantity: Decimal::new(q, 1),
                rate,
                tax: Decimal::from(tax),
                discount: match kind {
                    0 => Discount::None,
                    1 => Discount::Percent(Decimal::from(pct)),
                    _ => Discount::Amount(Decimal::ZERO),
                },
            })
    }

    proptest! {
        #[test]
        fn fixed_writes_what_format_writes(
            mantissa in any::<i64>(),
            scale in 0u32..12,
            places in 0u32..10,
        ) {
            let value = Decimal::new(mantissa, scale);
            let p = places as usize;
            prop_assert_eq!(fixed(value, places), format!("{value:.p$}"));
            prop_assert_eq!(fixed(-value, places), format!("{:.p$}", -value));
        }

        #[test]
        fn grand_total_is_sub_total_plus_tax(lines in prop::collection::vec(any_line(), 1..8)) {
            let s = order(&lines);
            prop_assert_eq!(s.grand_total, s.sub_total + s.total_tax);
            prop_assert_eq!(s.sub_total, round2(s.sub_total));
            prop_assert_eq!(s.total_tax, round2(s.total_tax));
        }

        #[test]
        fn each_rate_is_rounded_once(lines in prop::collection::vec(any_line(), 1..8)) {
            let s = order(&lines);
            let mut expected_net = Decimal::ZERO;
            for rate in [0, 12, 15, 25].map(Decimal::from) {
                let gross: Decimal = lines.iter().filter(|l| l.tax == rate)
                    .map(|l| price_line(l).unwrap().amount).sum();
                expected_net += round2(gross * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + rate));
            }
            prop_assert_eq!(s.sub_total, expected_net);
            let amounts: Decimal = lines.iter().map(|l| price_line(l).unwrap().amount).sum();
            prop_assert_eq!(s.grand_total, amounts);
        }

        #[test]
        fn a_percent_discount_never_exceeds_the_line(l in any_line()) {
            let p = price_line(&l).unwrap();
            prop_assert!(p.discount <= p.gross);
            prop_assert_eq!(p.amount, p.gross - p.discount);
        }
    }
}
