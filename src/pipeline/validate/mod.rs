//! Stage **validate**: every rule of the provider's endpoints (docs/validation.md), the sanity rules
//! and Norway's own checks. This file holds the [`Rules`], the two entry points
//! ([`line`] as each row is read, [`validate`] once an order is whole) and the [`Check`] that
//! collects problems; each concern has its own file. No I/O happens here.

use crate::model::fields::{self, Field};
use crate::model::money;
use crate::model::order::{Order, OrderLine};
use crate::model::problem::{Problem, Severity};
use crate::model::Endpoint;
use crate::pipeline::group::{OrderDraft, Presets, Sourced};
use crate::pipeline::price;
use crate::pipeline::values::{NumberConvention, Value};
use chrono::NaiveDate;
use rust_decimal::Decimal;

mod contact;
mod customer;
mod line;
pub mod norway;
mod order;
mod regular;
mod totals;

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

    /// Whether the endpoint cannot do without `field`. The model's field table is the one
    /// source of this: a blank cell is refused where a missing column is.
    fn requires(&self, field: Field) -> bool {
        fields::required_on(field, self.endpoint)
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
    let mut v = Check::new(problems, row, rules);
    v.line(&mut LineValues { row, values }, rules)
}

/// Validates an order whose lines were validated by [`line`], has [`price`] compute its
/// summary, and checks the sheet's own totals against it. Problems are appended to
/// `problems`; the order is returned only when it and all its lines are valid.
pub fn validate(
    draft: OrderDraft,
    presets: &Presets,
    rules: &Rules,
    problems: &mut Vec<Problem>,
) -> Option<Order> {
    let mut v = Check::new(problems, draft.first_row(), rules);
    let mut draft = draft;
    let lines = std::mem::take(&mut draft.lines);
    let view = OrderView {
        draft: &draft,
        presets,
    };
    let order = v.order(&draft.key, &view, rules);
    let lines: Option<Vec<OrderLine>> = lines.into_iter().map(|e| e.line).collect();
    let (mut order, lines) = (order?, lines?);
    order.lines = lines;
    let Ok(summary) = price::summary(&order) else {
        v.error(
            v.first_row,
            None,
            None,
            "the order's totals are too large to compute",
        );
        return None;
    };
    v.order_totals(&view, &summary);
    order.summary = summary;
    (v.errors == 0).then_some(order)
}

/// An order's values with the config's defaults and `--set` overrides.
struct OrderView<'a> {
    draft: &'a OrderDraft,
    presets: &'a Presets,
}

impl OrderView<'_> {
    fn get(&self, field: Field) -> Option<&Sourced> {
        self.presets.resolve(field, self.draft)
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

/// Collects the problems of one line or one order. It counts the errors so each check can
/// tell whether anything it looked at went wrong (`self.errors > errors`), and it shows a
/// number the way the sheet writes numbers.
struct Check<'a> {
    problems: &'a mut Vec<Problem>,
    first_row: u32,
    errors: usize,
    numbers: NumberConvention,
}

impl<'a> Check<'a> {
    fn new(problems: &'a mut Vec<Problem>, first_row: u32, rules: &Rules) -> Self {
        Check {
            problems,
            first_row,
            errors: 0,
            numbers: rules.numbers,
        }
    }

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
            p = p
                .with_value(v.value.show(self.numbers))
                .with_origin(v.origin);
        }
        self.push(p);
    }

    /// A problem of `severity` with a present value, on the row that holds it.
    fn about(&mut self, severity: Severity, field: Field, v: &Sourced, message: impl Into<String>) {
        self.report(severity, v.row, Some(field), Some(v), message);
    }

    /// An error with a present value, on the row that holds it.
    fn bad(&mut self, field: Field, v: &Sourced, message: impl Into<String>) {
        self.about(Severity::Error, field, v, message);
    }

    /// A warning with a present value: it was read, but perhaps not as the user meant.
    fn warn(&mut self, field: Field, v: &Sourced, message: impl Into<String>) {
        self.about(Severity::Warning, field, v, message);
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

    fn number<'v>(&mut self, v: Option<&'v Sourced>) -> Option<(Decimal, &'v Sourced)> {
        match v {
            Some(
                s @ Sourced {
                    value: Value::Number(n),
                    ..
                },
            ) => Some((*n, s)),
            _ => None,
        }
    }

    /// A number that must be there; a blank one is reported as missing, an unreadable one
    /// was already reported when it was read.
    fn required_number<'v>(
        &mut self,
        v: Option<&'v Sourced>,
        field: Field,
        row: u32,
        what_to_do: &str,
    ) -> Option<(Decimal, &'v Sourced)> {
        let number = self.number(v);
        if number.is_none() && !Self::invalid(v) {
            self.missing(row, field, what_to_do);
        }
        number
    }

    /// An amount of 0 or more with at most `max` decimals; `negative` says why a negative
    /// one is refused.
    fn not_negative(
        &mut self,
        field: Field,
        n: Decimal,
        s: &Sourced,
        negative: &str,
        max: u32,
    ) -> Option<Decimal> {
        if n.is_sign_negative() && !n.is_zero() {
            self.bad(field, s, negative);
            return None;
        }
        self.max_decimals(field, n, s, max).then_some(n)
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fields::{required_on, used_by};
    use crate::model::problem::Origin;
    use crate::pipeline::group::LineEntry;
    use crate::pipeline::read::Cell;
    use crate::pipeline::values::parse_field;

    /// An order valid on both endpoints, for a corporate customer so that nothing is required
    /// by the customer's type (a private one needs a personal number everywhere).
    const ORDER: &[(Field, &str)] = &[
        (Field::CustomerType, "corporate"),
        (Field::Name, "Fjordkraft AS"),
        (Field::Email, "faktura@example.no"),
        (Field::Phone, "+47 465 67 468"),
        (Field::PersonalNumber, "28038712383"),
        (Field::OrganizationId, "914286018"),
        (Field::Language, "no"),
        (Field::Street, "Klosterenget 144"),
        (Field::Zip, "7030"),
        (Field::City, "Trondheim"),
        (Field::Country, "NO"),
        (Field::InvoiceFee, "yes"),
        (Field::CallbackUrl, "https://shop.example.no/cb"),
        (Field::SuccessUrl, "https://shop.example.no/ok"),
        (Field::FailureUrl, "https://shop.example.no/fail"),
        (Field::ShippingCost, "0"),
        (Field::SendBySms, "no"),
        (Field::SendByEmail, "yes"),
        (Field::SendByInvoice, "no"),
        (Field::CreditCheck, "no"),
        (Field::InvoiceAsPaymentOption, "yes"),
    ];
    const LINE: &[(Field, &str)] = &[
        (Field::ProductName, "Router"),
        (Field::Quantity, "1"),
        (Field::UnitPrice, "4500"),
        (Field::VatRate, "12"),
    ];

    /// The problems of [`ORDER`] sent to `endpoint` with `blank` left blank.
    fn check_without(endpoint: Endpoint, blank: Option<Field>) -> (Option<Order>, Vec<Problem>) {
        let rules = Rules {
            endpoint,
            ..Rules::new(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
        };
        let values = |fields: &[(Field, &str)]| -> Vec<(Field, Sourced)> {
            fields
                .iter()
                .filter(|(f, _)| used_by(*f, endpoint) && Some(*f) != blank)
                .map(|(f, text)| {
                    let cell = Cell::Text(text.to_string());
                    let (value, _) = parse_field(*f, &cell, rules.numbers, rules.today).unwrap();
                    let origin = Origin::Sheet;
                    (
                        *f,
                        Sourced {
                            value,
                            row: 2,
                            origin,
                        },
                    )
                })
                .collect()
        };
        let mut problems = Vec::new();
        let line = line(2, &mut values(LINE), &rules, &mut problems);
        let draft = OrderDraft::new(
            "1001".to_string(),
            values(ORDER),
            LineEntry { row: 2, line },
        );
        let order = validate(draft, &Presets::default(), &rules, &mut problems);
        (order, problems)
    }

    /// Validation asks for a field exactly where `fields::required` says the endpoint needs
    /// it; the order key is the pipeline's, the customer's type and organisation number are
    /// required by the kind of customer, not by the endpoint.
    #[test]
    fn a_blank_field_is_refused_exactly_where_the_endpoint_requires_it() {
        for endpoint in Endpoint::ALL {
            let (order, problems) = check_without(endpoint, None);
            assert!(order.is_some() && problems.is_empty(), "{problems:?}");
            let by_endpoint = Field::all().filter(|f| {
                used_by(*f, endpoint)
                    && ![Field::OrderRef, Field::CustomerType, Field::OrganizationId].contains(f)
            });
            for field in by_endpoint {
                let (_, problems) = check_without(endpoint, Some(field));
                let refused = problems
                    .iter()
                    .any(|p| p.field == Some(field) && p.message.starts_with("is blank"));
                assert_eq!(
                    refused,
                    required_on(field, endpoint),
                    "{field} on {}: {problems:?}",
                    endpoint.name()
                );
            }
        }
    }
}
