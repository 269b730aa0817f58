//! Stages **price** and **validate**: every rule of the invoice-session endpoint (fpgo-api.md),
//! the sanity rules and Norway's checks of product.md, and the pricing of every order. All
//! problems are collected; an order with none becomes a typed [`Order`]. No I/O happens here.

use crate::model::countries;
use crate::model::fields::Field;
use crate::model::money::{self, Discount, LineInput, LinePrice};
use crate::model::order::{Customer, CustomerType, Order, OrderLine, Regular};
use crate::model::problem::{Problem, Severity};
use crate::model::Endpoint;
use crate::pipeline::group::{OrderDraft, Presets, Sourced};
use crate::pipeline::values::{NumberConvention, Value};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub mod norway;

/// What the rules depend on besides the order.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Today in Europe/Oslo: the earliest order date the provider accepts.
    pub today: NaiveDate,
    /// How a wrong personal or organisation number check digit counts (warning for test data).
    pub checksums: Severity,
    /// The VAT rates the merchant may use.
    pub vat_rates: Vec<Decimal>,
    /// How the sheet writes decimals, so messages show numbers the way the user wrote them.
    pub numbers: NumberConvention,
    /// The endpoint whose rules apply.
    pub endpoint: Endpoint,
}

impl Rules {
    pub fn new(today: NaiveDate) -> Self {
        Rules {
            today,
            checksums: Severity::Error,
            vat_rates: [0, 12, 15, 25].map(Decimal::from).to_vec(),
            numbers: NumberConvention::DecimalPoint,
            endpoint: Endpoint::InvoiceSession,
        }
    }
}

/// Validates and prices one line as soon as it is read. Problems are appended to `problems`;
/// the line is returned only when it has none.
pub fn line(
    row: u32,
    values: &mut [(Field, Sourced)],
    rules: &Rules,
    problems: &mut Vec<Problem>,
) -> Option<OrderLine> {
    let mut v = Check {
        problems,
        first_row: row,
        errors: 0,
        numbers: rules.numbers,
    };
    v.line(&mut LineValues { row, values }, rules)
}

/// Validates an order whose lines were validated by [`line`], and prices it. Problems are
/// appended to `problems`; the order is returned only when it and all its lines are valid.
pub fn validate(
    draft: OrderDraft,
    presets: &Presets,
    rules: &Rules,
    problems: &mut Vec<Problem>,
) -> Option<Order> {
    let mut v = Check {
        problems,
        first_row: draft.first_row(),
        errors: 0,
        numbers: rules.numbers,
    };
    let view = OrderView {
        values: &draft.values,
        presets,
    };
    let order = v.order(&draft.key, &view, rules);
    let lines: Option<Vec<OrderLine>> = draft.lines.into_iter().map(|e| e.line).collect();
    let (mut order, lines) = (order?, lines?);
    let priced: Vec<(LinePrice, Decimal)> = lines
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
    let Ok(summary) = money::summarize(&priced, shipping) else {
        v.error(
            v.first_row,
            None,
            None,
            "the order's totals are too large to compute",
        );
        return None;
    };
    v.order_totals(&view, &summary);
    order.lines = lines;
    order.summary = summary;
    (v.errors == 0).then_some(order)
}

/// An order's values with the config's defaults and `--set` overrides.
struct OrderView<'a> {
    values: &'a [(Field, Sourced)],
    presets: &'a Presets,
}

impl OrderView<'_> {
    fn get(&self, field: Field) -> Option<&Sourced> {
        self.presets.resolve(field, self.values)
    }
}

/// The line-level values of one row.
struct LineValues<'a> {
    row: u32,
    values: &'a mut [(Field, Sourced)],
}

impl LineValues<'_> {
    fn get(&self, field: Field) -> Option<&Sourced> {
        self.values
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v)
    }
    /// Moves a text out, trimmed, leaving it empty behind.
    fn take_text(&mut self, field: Field) -> Option<String> {
        match self.values.iter_mut().find(|(f, _)| *f == field) {
            Some((
                _,
                Sourced {
                    value: Value::Text(t),
                    ..
                },
            )) => {
                let text = std::mem::take(t);
                Some(if text.trim().len() == text.len() {
                    text
                } else {
                    text.trim().to_string()
                })
            }
            _ => None,
        }
    }
}

struct Check<'a> {
    problems: &'a mut Vec<Problem>,
    first_row: u32,
    errors: usize,
    numbers: NumberConvention,
}

impl Check<'_> {
    fn push(&mut self, problem: Problem) {
        if problem.is_error() {
            self.errors += 1;
        }
        self.problems.push(problem);
    }

    fn error(
        &mut self,
        row: u32,
        field: Option<Field>,
        value: Option<&Sourced>,
        message: impl Into<String>,
    ) {
        self.report(Severity::Error, row, field, value, message);
    }

    fn report(
        &mut self,
        severity: Severity,
        row: u32,
        field: Option<Field>,
        value: Option<&Sourced>,
        message: impl Into<String>,
    ) {
        // A preset's row is 0: show its problem on the order's first row.
        let row = if row == 0 { self.first_row } else { row };
        let mut p = Problem::error(row, field, message);
        p.severity = severity;
        if let Some(v) = value {
            let shown = match (&v.value, self.numbers) {
                (Value::Number(n), NumberConvention::DecimalComma) => {
                    n.to_string().replace('.', ",")
                }
                (value, _) => value.to_string(),
            };
            p = p.with_value(shown).with_origin(v.origin);
        }
        self.push(p);
    }

    /// A problem with a present value, on the row that holds it.
    fn bad(&mut self, field: Field, v: &Sourced, message: impl Into<String>) {
        self.error(v.row, Some(field), Some(v), message);
    }

    fn missing(&mut self, row: u32, field: Field, what_to_do: &str) {
        self.error(row, Some(field), None, format!("is blank; {what_to_do}"));
    }

    /// A text value; `None` when blank or unreadable.
    fn text<'v>(&mut self, v: Option<&'v Sourced>) -> Option<(&'v str, &'v Sourced)> {
        match v {
            Some(
                s @ Sourced {
                    value: Value::Text(t),
                    ..
                },
            ) if !t.trim().is_empty() => Some((t.trim(), s)),
            _ => None,
        }
    }

    fn required_text<'v>(
        &mut self,
        v: Option<&'v Sourced>,
        field: Field,
        row: u32,
        what_to_do: &str,
    ) -> Option<&'v str> {
        match v {
            Some(Sourced {
                value: Value::Invalid,
                ..
            }) => None,
            _ => match self.text(v) {
                Some((t, _)) => Some(t),
                None => {
                    self.missing(row, field, what_to_do);
                    None
                }
            },
        }
    }

    fn number(&mut self, v: Option<&Sourced>) -> Option<(Decimal, Sourced)> {
        match v {
            Some(
                s @ Sourced {
                    value: Value::Number(n),
                    ..
                },
            ) => Some((*n, s.clone())),
            _ => None,
        }
    }

    fn boolean(v: Option<&Sourced>) -> Option<bool> {
        match v {
            Some(Sourced {
                value: Value::Bool(b),
                ..
            }) => Some(*b),
            _ => None,
        }
    }

    /// Whether a field is present but unreadable (already reported).
    fn invalid(v: Option<&Sourced>) -> bool {
        matches!(
            v,
            Some(Sourced {
                value: Value::Invalid,
                ..
            })
        )
    }

    fn max_decimals(&mut self, field: Field, n: Decimal, s: &Sourced, max: u32) -> bool {
        if money::decimals(n) > max {
            self.bad(
                field,
                s,
                format!("has more than {max} decimals; round it yourself so nothing is rounded away unseen"),
            );
            return false;
        }
        true
    }

    fn line(&mut self, line: &mut LineValues, rules: &Rules) -> Option<OrderLine> {
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
        let quantity = self.positive(line, Field::Quantity, "write how many", 4);
        let rate = self.number(line.get(Field::UnitPrice));
        match &rate {
            Some((r, s)) if r.is_sign_negative() && !r.is_zero() => self.bad(
                Field::UnitPrice,
                s,
                "is negative; a unit price is 0 or more (give a discount instead)",
            ),
            Some((r, s)) => {
                self.max_decimals(Field::UnitPrice, *r, s, 4);
            }
            None if !Self::invalid(line.get(Field::UnitPrice)) => self.missing(
                row,
                Field::UnitPrice,
                "write the price per unit including VAT",
            ),
            None => {}
        }
        let tax = self.vat_rate(line, rules);
        let discount = self.discount(line);
        if self.errors > errors {
            return None;
        }
        let (quantity, rate, tax) = (quantity?, rate?.0, tax?);
        let input = LineInput {
            quantity,
            rate,
            discount: discount?,
            tax,
        };
        let Ok(price) = money::price_line(&input) else {
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
            let v = line.get(field).cloned();
            self.error(
                row,
                Some(field),
                v.as_ref(),
                format!(
                    "the discount {} is more than the line's {} (quantity × unit price)",
                    money::wire2(price.discount),
                    money::wire2(price.gross)
                ),
            );
            return None;
        }
        if let Some((sheet, s)) = self.number(line.get(Field::LineAmount)) {
            if self.max_decimals(Field::LineAmount, sheet, &s, 2) && sheet != price.amount {
                self.bad(
                    Field::LineAmount,
                    &s,
                    format!(
                        "the sheet says {} but quantity × unit price − discount is {}; correct one of them",
                        money::wire2(sheet),
                        money::wire2(price.amount)
                    ),
                );
            }
        }
        if !has_name || self.errors > errors {
            return None;
        }
        Some(OrderLine {
            row,
            name: line.take_text(Field::ProductName)?,
            product_id: line.take_text(Field::ProductId).filter(|t| !t.is_empty()),
            quantity,
            rate,
            discount: price.discount,
            tax,
            amount: price.amount,
        })
    }

    fn positive(
        &mut self,
        line: &LineValues,
        field: Field,
        what_to_do: &str,
        max_decimals: u32,
    ) -> Option<Decimal> {
        match self.number(line.get(field)) {
            Some((n, s)) if n <= Decimal::ZERO => {
                self.bad(field, &s, "must be greater than 0");
                None
            }
            Some((n, s)) => self.max_decimals(field, n, &s, max_decimals).then_some(n),
            None if !Self::invalid(line.get(field)) => {
                self.missing(line.row, field, what_to_do);
                None
            }
            None => None,
        }
    }

    fn vat_rate(&mut self, line: &LineValues, rules: &Rules) -> Option<Decimal> {
        let v = line.get(Field::VatRate);
        let Some((mut rate, s)) = self.number(v) else {
            if !Self::invalid(v) {
                let allowed: Vec<String> = rules.vat_rates.iter().map(|r| r.to_string()).collect();
                let what_to_do = format!("write the VAT rate in percent ({})", allowed.join(", "));
                self.missing(line.row, Field::VatRate, &what_to_do);
            }
            return None;
        };
        // A cell formatted as a percentage holds 0.25 for 25 %.
        let as_percent = rate * Decimal::ONE_HUNDRED;
        if rate > Decimal::ZERO && rate < Decimal::ONE && rules.vat_rates.contains(&as_percent) {
            rate = as_percent.normalize();
            let message = format!(
                "read as {rate} % (a cell formatted as a percentage holds {})",
                s.value
            );
            self.report(
                Severity::Warning,
                s.row,
                Some(Field::VatRate),
                Some(&s),
                message,
            );
        }
        if !rules.vat_rates.contains(&rate) {
            let allowed: Vec<String> = rules.vat_rates.iter().map(|r| r.to_string()).collect();
            self.bad(
                Field::VatRate,
                &s,
                format!(
                    "is not a VAT rate the provider accepts; use one of {}",
                    allowed.join(", ")
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
                    &s,
                    "both a discount amount and a discount percent are given; keep one",
                );
                None
            }
            (Some((a, s)), _) if !a.is_zero() => {
                if a.is_sign_negative() {
                    self.bad(Field::Discount, &s, "is negative; a discount is 0 or more");
                    return None;
                }
                self.max_decimals(Field::Discount, a, &s, 2)
                    .then_some(Discount::Amount(a))
            }
            (_, Some((p, s))) if !p.is_zero() => {
                if p > Decimal::ZERO && p < Decimal::ONE {
                    let message = format!(
                        "read as {p} %; if the cell shows {} % (a percentage-formatted cell), write that number instead",
                        (p * Decimal::ONE_HUNDRED).normalize()
                    );
                    self.report(
                        Severity::Warning,
                        s.row,
                        Some(Field::DiscountPercent),
                        Some(&s),
                        message,
                    );
                }
                if p.is_sign_negative() || p > Decimal::ONE_HUNDRED {
                    self.bad(Field::DiscountPercent, &s, "must be between 0 and 100");
                    return None;
                }
                Some(Discount::Percent(p))
            }
            _ => Some(Discount::None),
        }
    }

    fn order(&mut self, key: &str, d: &OrderView, rules: &Rules) -> Option<Order> {
        let errors = self.errors;
        let row = self.first_row;
        let get = |f: Field| d.get(f);

        let order_date = match get(Field::OrderDate) {
            Some(
                s @ Sourced {
                    value: Value::Date(date),
                    ..
                },
            ) => {
                if *date < rules.today {
                    self.bad(
                        Field::OrderDate,
                        s,
                        format!("is in the past; the provider accepts today ({}) or later: leave it blank for today", rules.today),
                    );
                }
                *date
            }
            _ => rules.today,
        };
        let customer = self.customer(d, row, rules);
        let invoice_interval = match self.number(get(Field::InvoiceInterval)) {
            Some((n, s)) => match u8::try_from(n)
                .ok()
                .filter(|i| *i <= 2 && n.fract().is_zero())
            {
                Some(i) => Some(i),
                None => {
                    self.bad(
                        Field::InvoiceInterval,
                        &s,
                        "must be 0 (daily), 1 (once a month) or 2 (twice a month)",
                    );
                    None
                }
            },
            None => None,
        };
        let session = rules.endpoint == Endpoint::InvoiceSession;
        let invoice_fee = Self::boolean(get(Field::InvoiceFee));
        if session && invoice_fee.is_none() && !Self::invalid(get(Field::InvoiceFee)) {
            self.missing(
                row,
                Field::InvoiceFee,
                "write yes or no, or set invoice_fee in the config's [defaults]",
            );
        }
        let invoice_maturity = match self.number(get(Field::InvoiceMaturity)) {
            Some((n, s)) => match u32::try_from(n)
                .ok()
                .filter(|_| n.fract().is_zero() && n <= Decimal::from(365))
            {
                Some(days) => Some(days),
                None => {
                    self.bad(
                        Field::InvoiceMaturity,
                        &s,
                        "must be a whole number of days from 0 to 365",
                    );
                    None
                }
            },
            None => None,
        };
        let mut urls = Vec::new();
        for field in [Field::CallbackUrl, Field::SuccessUrl, Field::FailureUrl] {
            // regular-invoice does without a callback URL (seed 003).
            let url = if field == Field::CallbackUrl && !session {
                self.text(get(field)).map(|(t, _)| t)
            } else {
                self.required_text(
                    get(field),
                    field,
                    row,
                    "write a full https:// address, or set it in the config's [defaults]",
                )
            };
            if let (Some(u), Some(s)) = (&url, get(field)) {
                if !is_url(u) {
                    self.bad(
                        field,
                        s,
                        "is not a valid web address; write it in full, starting with https://",
                    );
                }
            }
            urls.push(url.unwrap_or_default().to_string());
        }
        let fpgo_uuid = self
            .text(get(Field::FpgoUuid))
            .map(|(t, s)| (t.to_string(), s.clone()));
        if let Some((id, s)) = &fpgo_uuid {
            if !(id.starts_with("ODR")
                && id.len() > 3
                && id[3..].bytes().all(|b| b.is_ascii_digit()))
            {
                self.bad(
                    Field::FpgoUuid,
                    s,
                    "is not an order id of the provider (ODR followed by digits)",
                );
            }
        }
        let regular = (!session).then(|| self.regular(d, row, invoice_interval));
        if self.errors > errors {
            return None;
        }
        let [callback_url, success_url, failure_url] = <[String; 3]>::try_from(urls).ok()?;
        Some(Order {
            key: key.to_string(),
            order_date,
            customer_reference: self
                .text(get(Field::CustomerReference))
                .map(|(t, _)| t.to_string()),
            customer: customer?,
            invoice_interval,
            separate_invoices: Self::boolean(get(Field::SeparateInvoices)),
            invoice_fee: if session {
                Some(invoice_fee?)
            } else {
                invoice_fee
            },
            invoice_maturity,
            secure_details: Self::boolean(get(Field::SecureDetails)),
            callback_url: Some(callback_url).filter(|u| !u.is_empty()),
            success_url,
            failure_url,
            fpgo_uuid: fpgo_uuid.map(|(t, _)| t),
            regular: match regular {
                Some(fields) => Some(fields?),
                None => None,
            },
            lines: Vec::new(),
            summary: Default::default(),
        })
    }

    /// The regular-invoice fields (seed 003): shipping, how the invoice is sent, the credit
    /// check, the due date of the payment link, the references.
    fn regular(&mut self, d: &OrderView, row: u32, interval: Option<u8>) -> Option<Regular> {
        let errors = self.errors;
        let get = |f: Field| d.get(f);
        let shipping = match self.number(get(Field::ShippingCost)) {
            Some((n, s)) if n.is_sign_negative() && !n.is_zero() => {
                self.bad(
                    Field::ShippingCost,
                    &s,
                    "is negative; shipping is 0 or more",
                );
                None
            }
            Some((n, s)) => self
                .max_decimals(Field::ShippingCost, n, &s, 2)
                .then_some(n),
            None if Self::invalid(get(Field::ShippingCost)) => None,
            None => {
                self.missing(row, Field::ShippingCost, "write the shipping cost (0 for none), or set shipping_cost in the config's [defaults]");
                None
            }
        };
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
        let due_date = match get(Field::DueDate) {
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
        };
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

    fn customer(&mut self, d: &OrderView, row: u32, rules: &Rules) -> Option<Customer> {
        let errors = self.errors;
        let get = |f: Field| d.get(f);
        let country = self.country(get(Field::Country), row);
        let norway = country.as_deref() == Some("NO");
        let personal = self
            .text(get(Field::PersonalNumber))
            .map(|(t, s)| (t.to_string(), s.clone()));
        let organisation = self
            .text(get(Field::OrganizationId))
            .map(|(t, s)| (norway::clean_organisation_number(t), s.clone()));
        let kind = match self.text(get(Field::CustomerType)) {
            Some((t, s)) => match t.to_lowercase().as_str() {
                "private" | "privat" | "person" | "privatperson" | "individual" | "consumer"
                | "p" => Some(CustomerType::Private),
                "corporate" | "bedrift" | "firma" | "company" | "business" | "organisation"
                | "organization" | "b" | "c" => Some(CustomerType::Corporate),
                _ => {
                    self.bad(
                        Field::CustomerType,
                        s,
                        "must be private or corporate (privat/bedrift)",
                    );
                    None
                }
            },
            None if Self::invalid(get(Field::CustomerType)) => None,
            None => match (&personal, &organisation) {
                (Some(_), None) => Some(CustomerType::Private),
                (None, Some(_)) => Some(CustomerType::Corporate),
                _ => {
                    self.missing(row, Field::CustomerType, "write private or corporate");
                    None
                }
            },
        };
        let name = self.required_text(
            get(Field::Name),
            Field::Name,
            row,
            "write the customer's full name",
        );
        let email = self.required_text(
            get(Field::Email),
            Field::Email,
            row,
            "write the customer's email address",
        );
        if let (Some(e), Some(s)) = (&email, get(Field::Email)) {
            if !is_email(e) {
                self.bad(
                    Field::Email,
                    s,
                    "is not a valid email address (name@example.no)",
                );
            }
        }
        let (country_code, msisdn) = self.phone(d, row, norway).unzip();
        let regular = rules.endpoint == Endpoint::RegularInvoice;
        match (kind, &personal) {
            (_, None) if regular && !Self::invalid(get(Field::PersonalNumber)) => self.missing(
                row,
                Field::PersonalNumber,
                "regular invoices need the customer's (or the company contact's) 11-digit personal number",
            ),
            (Some(CustomerType::Private), None) if !Self::invalid(get(Field::PersonalNumber)) => {
                self.missing(
                    row,
                    Field::PersonalNumber,
                    "private customers need their 11-digit personal number",
                )
            }
            (_, Some((pn, s))) => {
                if pn.len() != 11 || !pn.bytes().all(|b| b.is_ascii_digit()) {
                    self.bad(Field::PersonalNumber, s, "must be exactly 11 digits");
                } else if norway {
                    if let Err(why) = norway::personal_number_date(pn)
                        .and_then(|_| norway::personal_number_checksum(pn))
                    {
                        self.report(
                            rules.checksums,
                            s.row,
                            Some(Field::PersonalNumber),
                            Some(s),
                            format!("is not a valid Norwegian personal number: {why}"),
                        );
                    }
                }
            }
            _ => {}
        }
        match (kind, &organisation) {
            (Some(CustomerType::Corporate), None) if !Self::invalid(get(Field::OrganizationId)) => {
                self.missing(
                    row,
                    Field::OrganizationId,
                    "corporate customers need their organisation number",
                )
            }
            (_, Some((org, s))) => {
                if !org.chars().all(|c| c.is_ascii_alphanumeric()) {
                    self.bad(Field::OrganizationId, s, "may hold only letters and digits");
                } else if norway {
                    if let Err(why) = norway::organisation_number_format(org) {
                        self.bad(Field::OrganizationId, s, why);
                    } else if let Err(why) = norway::organisation_number_checksum(org) {
                        self.report(
                            rules.checksums,
                            s.row,
                            Some(Field::OrganizationId),
                            Some(s),
                            format!("is not a valid organisation number: {why}"),
                        );
                    }
                }
            }
            _ => {}
        }
        let language = match self.text(get(Field::Language)) {
            Some((t, s)) => match language_code(t) {
                Some(code) => Some(code.to_string()),
                None => {
                    self.bad(
                        Field::Language,
                        s,
                        "is not a language the provider offers; use en, no, sv, da or de",
                    );
                    None
                }
            },
            None if regular && !Self::invalid(get(Field::Language)) => {
                self.missing(
                    row,
                    Field::Language,
                    "regular invoices need one of en, no, sv, da, de",
                );
                None
            }
            None => None,
        };
        let street = self.required_text(
            get(Field::Street),
            Field::Street,
            row,
            "write the customer's street address",
        );
        let zip = self.required_text(get(Field::Zip), Field::Zip, row, "write the postal code");
        if let (Some(z), Some(s), true) = (&zip, get(Field::Zip), norway) {
            if let Err(why) = norway::zip(z) {
                self.bad(Field::Zip, s, why);
            }
        }
        let city = self.required_text(get(Field::City), Field::City, row, "write the city");
        if self.errors > errors {
            return None;
        }
        Some(Customer {
            kind: kind?,
            name: name?.to_string(),
            email: email?.to_string(),
            country_code: country_code?,
            msisdn: msisdn?,
            personal_number: personal.map(|(p, _)| p),
            organization_id: organisation.map(|(o, _)| o),
            language,
            street: street?.to_string(),
            zip: zip?.to_string(),
            city: city?.to_string(),
            country: country?,
        })
    }

    fn country(&mut self, v: Option<&Sourced>, row: u32) -> Option<String> {
        let Some((text, s)) = self.text(v) else {
            if !Self::invalid(v) {
                self.missing(
                    row,
                    Field::Country,
                    "write the ISO country code, such as NO",
                );
            }
            return None;
        };
        let upper = text.to_uppercase();
        if upper.len() == 2 && countries::is_iso_alpha2(&upper) {
            return Some(upper);
        }
        let lower = text.to_lowercase();
        if let Some((_, code)) = countries::NAMES.iter().find(|(name, _)| *name == lower) {
            let message = format!("read as the ISO code {code}; write {code} to silence this");
            self.report(
                Severity::Warning,
                s.row,
                Some(Field::Country),
                Some(s),
                message,
            );
            return Some(code.to_string());
        }
        self.bad(
            Field::Country,
            s,
            "is not an ISO 3166-1 alpha-2 country code; write NO, SE, DK, …",
        );
        None
    }

    /// The phone split into country code and number.
    fn phone(&mut self, d: &OrderView, row: u32, norway: bool) -> Option<(String, String)> {
        let v = d.get(Field::Phone);
        let Some((text, s)) = self.text(v) else {
            if !Self::invalid(v) {
                self.missing(row, Field::Phone, "write the customer's mobile number");
            }
            return None;
        };
        let s = s.clone();
        let compact: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '/' | '\u{a0}'))
            .collect();
        let international = compact
            .strip_prefix('+')
            .or_else(|| compact.strip_prefix("00"));
        let (code, number) = match international {
            Some(rest) => {
                if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
                    self.bad(Field::Phone, &s, "is not a phone number");
                    return None;
                }
                let len = calling_code_length(rest);
                (format!("+{}", &rest[..len]), rest[len..].to_string())
            }
            None => {
                let code = match self.text(d.get(Field::PhoneCountryCode)) {
                    Some((c, cs)) => {
                        let digits = c.trim_start_matches('+').trim_start_matches("00");
                        if digits.is_empty()
                            || digits.len() > 3
                            || !digits.bytes().all(|b| b.is_ascii_digit())
                        {
                            let cs = cs.clone();
                            self.bad(
                                Field::PhoneCountryCode,
                                &cs,
                                "is not a phone country code such as +47",
                            );
                            return None;
                        }
                        format!("+{digits}")
                    }
                    None if norway => "+47".to_string(),
                    None => {
                        self.bad(Field::Phone, &s, "has no country code; write it as +46 70 123 45 67 or set phone_country_code");
                        return None;
                    }
                };
                (code, compact)
            }
        };
        if !number.bytes().all(|b| b.is_ascii_digit()) || number.is_empty() {
            self.bad(Field::Phone, &s, "is not a phone number");
            return None;
        }
        if code == "+47" {
            if let Err(why) = norway::mobile(&number) {
                self.bad(Field::Phone, &s, why);
                return None;
            }
        } else if !(4..=14).contains(&number.len()) {
            self.bad(
                Field::Phone,
                &s,
                "is not a phone number of a plausible length",
            );
            return None;
        }
        Some((code, number))
    }

    /// Sheet-supplied order totals must agree with the computed ones to the øre.
    fn order_totals(&mut self, d: &OrderView, summary: &money::Summary) {
        let get = |field: Field| d.get(field);
        if summary.grand_total <= Decimal::ZERO {
            self.error(
                self.first_row,
                None,
                None,
                format!(
                    "the order's total is {}; an invoice must be for more than 0",
                    money::wire2(summary.grand_total)
                ),
            );
        }
        for (field, computed) in [
            (Field::SubTotal, summary.sub_total),
            (Field::TotalTax, summary.total_tax),
            (Field::TotalDiscount, summary.total_discount),
            (Field::GrandTotal, summary.grand_total),
        ] {
            if let Some((sheet, s)) = self.number(get(field)) {
                if self.max_decimals(field, sheet, &s, 2) && sheet != computed {
                    self.bad(
                        field,
                        &s,
                        format!(
                            "the sheet says {} but the order's lines give {}{}",
                            money::wire2(sheet),
                            money::wire2(computed),
                            if field == Field::GrandTotal
                                && summary.grand_total != summary.sub_total + summary.total_tax
                            {
                                " (shipping included)"
                            } else {
                                ""
                            }
                        ),
                    );
                }
            }
        }
    }
}

/// An email address the provider's validator would take: one `@`, a dotted domain, no spaces.
fn is_email(e: &str) -> bool {
    let Some((local, domain)) = e.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && e.chars().all(|c| !c.is_whitespace() && !c.is_control())
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
}

/// An absolute http(s) URL with a host.
fn is_url(u: &str) -> bool {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !u.chars().any(char::is_whitespace) && !host.starts_with('.')
        }
        None => false,
    }
}

fn language_code(text: &str) -> Option<&'static str> {
    Some(match text.to_lowercase().as_str() {
        "en" | "eng" | "english" | "engelsk" => "en",
        "no" | "nb" | "nn" | "nor" | "norsk" | "norwegian" | "bokmål" | "nynorsk" => "no",
        "sv" | "se" | "swe" | "svenska" | "svensk" | "swedish" => "sv",
        "da" | "dk" | "dan" | "dansk" | "danish" => "da",
        "de" | "deu" | "ger" | "deutsch" | "german" | "tysk" => "de",
        _ => return None,
    })
}

/// Length of the country calling code at the start of an international number (ITU E.164).
fn calling_code_length(digits: &str) -> usize {
    const TWO: &[&str] = &[
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
        "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
        "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO.iter().any(|c| digits.starts_with(c)) {
        2
    } else {
        3.min(digits.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_urls() {
        assert!(is_email("kari@example.no"));
        assert!(!is_email("ola.nordmann@"));
        assert!(!is_email("ola nordmann@example.no"));
        assert!(!is_email("ola@localhost"));
        assert!(is_url("https://shop.example.no/cb?x=1"));
        assert!(!is_url("shop.example.no"));
        assert!(!is_url("https://"));
    }

    #[test]
    fn calling_codes() {
        assert_eq!(calling_code_length("4746567468"), 2);
        assert_eq!(calling_code_length("15551234567"), 1);
        assert_eq!(calling_code_length("3545551234"), 3);
    }
}
