//! The rules of an order as a whole: its date, invoice interval, invoice fee and maturity, the
//! three callback URLs and the provider's id of an order to update (`fpgo_uuid`). This is
//! where an order's checks start; the customer and the regular-invoice fields have their own
//! files, and the lines were checked as they were read.

use super::{Check, OrderView, Rules};
use crate::model::fields::Field;
use crate::model::order::Order;
use crate::model::Endpoint;
use crate::pipeline::group::Sourced;
use crate::pipeline::values::Value;
use chrono::NaiveDate;
use rust_decimal::Decimal;

impl Check<'_> {
    /// The order without its lines and summary, which [`super::validate`] adds.
    pub(super) fn order(&mut self, key: &str, d: &OrderView, rules: &Rules) -> Option<Order> {
        let errors = self.errors;
        let row = self.first_row;
        let get = |f: Field| d.get(f);
        let order_date = self.order_date(get(Field::OrderDate), rules.today);
        let customer = self.customer(d, row, rules);
        let invoice_interval = self.invoice_interval(get(Field::InvoiceInterval));
        let invoice_fee = Self::boolean(get(Field::InvoiceFee));
        let fee_required = rules.requires(Field::InvoiceFee);
        if fee_required && invoice_fee.is_none() && !Self::invalid(get(Field::InvoiceFee)) {
            self.missing(
                row,
                Field::InvoiceFee,
                "write yes or no, or set invoice_fee in the config's [defaults]",
            );
        }
        let invoice_maturity = self.invoice_maturity(get(Field::InvoiceMaturity));
        let [callback_url, success_url, failure_url] =
            [Field::CallbackUrl, Field::SuccessUrl, Field::FailureUrl]
                .map(|field| self.url(get(field), field, row, rules));
        let fpgo_uuid = self.fpgo_uuid(get(Field::FpgoUuid));
        let regular = (rules.endpoint == Endpoint::RegularInvoice)
            .then(|| self.regular(d, row, invoice_interval));
        if self.errors > errors {
            return None;
        }
        Some(Order {
            key: key.to_string(),
            order_date,
            customer_reference: self
                .text(get(Field::CustomerReference))
                .map(|(t, _)| t.to_string()),
            customer: customer?,
            invoice_interval,
            separate_invoices: Self::boolean(get(Field::SeparateInvoices)),
            // A required fee left unreadable leaves the order out; its problem is reported.
            invoice_fee: if fee_required {
                Some(invoice_fee?)
            } else {
                invoice_fee
            },
            invoice_maturity,
            secure_details: Self::boolean(get(Field::SecureDetails)),
            callback_url: Some(callback_url).filter(|u| !u.is_empty()),
            success_url,
            failure_url,
            fpgo_uuid,
            regular: match regular {
                Some(fields) => Some(fields?),
                None => None,
            },
            lines: Vec::new(),
            summary: Default::default(),
        })
    }

    /// The order date: a blank one is today, a past one is refused.
    fn order_date(&mut self, v: Option<&Sourced>, today: NaiveDate) -> NaiveDate {
        match v {
            Some(
                s @ Sourced {
                    value: Value::Date(date),
                    ..
                },
            ) => {
                if *date < today {
                    self.bad(
                        Field::OrderDate,
                        s,
                        format!("is in the past; the provider accepts today ({today}) or later: leave it blank for today"),
                    );
                }
                *date
            }
            _ => today,
        }
    }

    fn invoice_interval(&mut self, v: Option<&Sourced>) -> Option<u8> {
        let (n, s) = self.number(v)?;
        let interval = u8::try_from(n)
            .ok()
            .filter(|i| *i <= 2 && n.fract().is_zero());
        if interval.is_none() {
            self.bad(
                Field::InvoiceInterval,
                s,
                "must be 0 (daily), 1 (once a month) or 2 (twice a month)",
            );
        }
        interval
    }

    fn invoice_maturity(&mut self, v: Option<&Sourced>) -> Option<u32> {
        let (n, s) = self.number(v)?;
        let days = u32::try_from(n)
            .ok()
            .filter(|_| n.fract().is_zero() && n <= Decimal::from(365));
        if days.is_none() {
            self.bad(
                Field::InvoiceMaturity,
                s,
                "must be a whole number of days from 0 to 365",
            );
        }
        days
    }

    /// A callback URL as given, or empty when there is none.
    fn url(&mut self, v: Option<&Sourced>, field: Field, row: u32, rules: &Rules) -> String {
        // One the endpoint does without (regular-invoice's callback) is checked
        // only when given.
        let url = if rules.requires(field) {
            self.required_text(
                v,
                field,
                row,
                "write a full https:// address, or set it in the config's [defaults]",
            )
        } else {
            self.text(v).map(|(t, _)| t)
        };
        if let (Some(u), Some(s)) = (&url, v) {
            if !is_url(u) {
                self.bad(
                    field,
                    s,
                    "is not a valid web address; write it in full, starting with https://",
                );
            }
        }
        url.unwrap_or_default().to_string()
    }

    /// The provider's id of an order to update instead of creating one.
    fn fpgo_uuid(&mut self, v: Option<&Sourced>) -> Option<String> {
        let (id, s) = self.text(v)?;
        if !(id.starts_with("ODR") && id.len() > 3 && id[3..].bytes().all(|b| b.is_ascii_digit())) {
            self.bad(
                Field::FpgoUuid,
                s,
                "is not an order id of the provider (ODR followed by digits)",
            );
        }
        Some(id.to_string())
    }
}

/// An absolute http(s) URL with a host, as the url crate parses it. The spelling the
/// hand-written check demanded stays on top, because the parser also takes what a person
/// does not mean as a full address: `HTTPS://`, `https:host`, `https:///host`, a host that
/// starts with a dot, and spaces (it would percent-encode them).
fn is_url(u: &str) -> bool {
    // Most orders of a sheet share their three URLs (the config's defaults, or one column
    // value): the last few good ones are remembered, as parsing each again cost a tenth of a
    // whole check's time.
    thread_local! {
        static GOOD: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    if GOOD.with(|good| good.borrow().iter().any(|g| g == u)) {
        return true;
    }
    let ok = parses_as_url(u);
    if ok {
        GOOD.with(|good| {
            let mut good = good.borrow_mut();
            if good.len() == 8 {
                good.remove(0);
            }
            good.push(u.to_string());
        });
    }
    ok
}

fn parses_as_url(u: &str) -> bool {
    let Some(rest) = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with('.') || u.chars().any(char::is_whitespace) {
        return false;
    }
    url::Url::parse(u).is_ok_and(|url| url.has_host())
}

#[cfg(test)]
mod tests {
    use super::is_url;

    #[test]
    fn urls() {
        assert!(is_url("https://shop.example.no/cb?x=1"));
        assert!(!is_url("shop.example.no"));
        assert!(!is_url("https://"));
        for ok in [
            "http://127.0.0.1:8080/cb",
            "https://[::1]/cb",
            "https://bütikk.no/cb",
            "https://user@shop.example.no/cb#top",
        ] {
            assert!(is_url(ok), "{ok}");
        }
    }

    /// The url crate takes these, but they are not written as a full address.
    #[test]
    fn urls_keep_the_spelling_of_a_full_address() {
        for not in [
            "HTTPS://shop.example.no/cb",
            "https:shop.example.no/cb",
            "https:///shop.example.no/cb",
            "https://.shop.example.no/cb",
            "https://shop.example.no/fpgo callback",
            "ftp://shop.example.no/cb",
        ] {
            assert!(!is_url(not), "{not}");
        }
    }

    /// What the url crate refuses is refused, though the hand-written check took it: no host
    /// before the port, a port out of range, a character no host may hold, an impossible IP.
    #[test]
    fn urls_the_url_crate_refuses() {
        for not in [
            "https://:80/cb",
            "https://shop.example.no:99999/cb",
            "https://shop<example.no/cb",
            "https://shop%20example.no/cb",
            "https://999.1.1.1/cb",
            "https://[::1/cb",
        ] {
            assert!(!is_url(not), "{not}");
        }
    }
}
