//! Sheets for the regular-invoice endpoint: the columns only it uses, the cells a valid
//! regular order adds to a private or corporate customer, two priced lines whose totals the
//! tests know by heart, and cells replaced on a valid base.

use super::sheets::{Item, Table, CORPORATE, HEADERS, PRIVATE};

/// Noon in Oslo on 2026-11-21, as the tool writes a Unix `orderDate`.
pub const TODAY_UNIX: &str = "1795258800";

/// The columns only regular-invoice uses, in the order of the field list.
pub const REGULAR_ONLY: &[&str] = &[
    "due_date",
    "shipping_cost",
    "send_by_sms",
    "send_by_email",
    "send_by_invoice",
    "credit_check",
    "invoice_as_payment_option",
    "receipt_no",
    "customer_notes",
    "terms",
    "internal_reference",
    "internal_notes",
];

/// What a valid regular order adds to [`PRIVATE`] / [`CORPORATE`].
pub const REGULAR_CELLS: &[(&str, &str)] = &[
    ("language", "no"),
    ("shipping_cost", "49.00"),
    ("send_by_sms", "no"),
    ("send_by_email", "yes"),
    ("send_by_invoice", "no"),
    ("credit_check", "no"),
    ("invoice_as_payment_option", "yes"),
];

/// Two lines: 2 × 229 at 15 % and 199.90 at 25 %. With 49.00 shipping: subTotal 398.26 +
/// 159.92 = 558.18, totalTax 59.74 + 39.98 = 99.72, grandTotal 657.90 + 49.00 = 706.90.
pub const TWO_LINES: [Item; 2] = [
    ("Kaffe hele bønner 1 kg", "2", "229", "15"),
    ("Termokopp", "1", "199.90", "25"),
];

/// Every column of an invoice-session sheet, plus language, invoice_interval,
/// customer_reference and every regular-only column.
pub fn regular_headers() -> Vec<&'static str> {
    let mut headers = HEADERS.to_vec();
    headers.extend(["language", "invoice_interval", "customer_reference"]);
    headers.extend_from_slice(REGULAR_ONLY);
    headers
}

/// A private customer of a valid regular order.
pub fn regular_private() -> Vec<(&'static str, &'static str)> {
    [PRIVATE, REGULAR_CELLS].concat()
}

/// A company, with its contact's personal number (regular-invoice demands one).
pub fn regular_corporate() -> Vec<(&'static str, &'static str)> {
    let mut cells = [CORPORATE, REGULAR_CELLS].concat();
    cells.push(("personal_number", "28038712383"));
    cells
}

/// `base` with some cells replaced (or added).
pub fn with_cells(
    base: &[(&'static str, &'static str)],
    changes: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut cells: Vec<_> = base
        .iter()
        .filter(|(h, _)| !changes.iter().any(|(c, _)| c == h))
        .copied()
        .collect();
    cells.extend_from_slice(changes);
    cells
}

/// A table with every column of [`regular_headers`].
pub fn regular_table() -> Table {
    Table::new(&regular_headers())
}
