//! Sheets as tables of text: the canonical headers, the cells of a valid private and a valid
//! corporate customer, a [`Table`] that renders to CSV or into an [`Xlsx`], the encodings a
//! CSV fixture is written in, and the few sheets many tests start from.

use super::xlsx::{Xlsx, X};
use super::Workdir;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The headers of a complete invoice-session sheet, canonical names.
pub const HEADERS: &[&str] = &[
    "order_ref",
    "order_date",
    "customer_type",
    "name",
    "email",
    "phone",
    "personal_number",
    "organization_id",
    "street",
    "zip",
    "city",
    "country",
    "invoice_fee",
    "callback_url",
    "success_url",
    "failure_url",
    "product_name",
    "product_id",
    "quantity",
    "unit_price",
    "vat_rate",
    "line_amount",
];

/// The order-level cells of a valid private customer (the provider's example person).
pub const PRIVATE: &[(&str, &str)] = &[
    ("customer_type", "private"),
    ("name", "Kari Nordmann"),
    ("email", "kari.nordmann@example.no"),
    ("phone", "+47 465 67 468"),
    ("personal_number", "28038712383"),
    ("street", "Klosterenget 144"),
    ("zip", "7030"),
    ("city", "Trondheim"),
    ("country", "NO"),
    ("invoice_fee", "yes"),
    ("callback_url", "https://shop.example.no/fpgo/callback"),
    ("success_url", "https://shop.example.no/fpgo/success"),
    ("failure_url", "https://shop.example.no/fpgo/failure"),
];

/// The order-level cells of a valid corporate customer.
pub const CORPORATE: &[(&str, &str)] = &[
    ("customer_type", "bedrift"),
    ("name", "Fjordkraft Ålesund AS"),
    ("email", "faktura@fjordkraft.example.no"),
    ("phone", "40654912"),
    ("organization_id", "NO 914 286 018 MVA"),
    ("street", "Keiser Wilhelms gate 10"),
    ("zip", "6003"),
    ("city", "Ålesund"),
    ("country", "NO"),
    ("invoice_fee", "no"),
    ("callback_url", "https://shop.example.no/fpgo/callback"),
    ("success_url", "https://shop.example.no/fpgo/success"),
    ("failure_url", "https://shop.example.no/fpgo/failure"),
];

/// One product line: name, quantity, unit price, VAT rate (line_amount left blank).
pub type Item<'a> = (&'a str, &'a str, &'a str, &'a str);

/// A sheet as rows of text under a header row; rendered to CSV or XLSX by the writers below.
#[derive(Clone, Debug)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Self {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// A table with every column of [`HEADERS`].
    pub fn standard() -> Self {
        Table::new(HEADERS)
    }

    fn column(&self, header: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("the table has no column {header:?}"))
    }

    /// Appends a row with the given cells (by header); the rest blank. Returns its index.
    pub fn push(&mut self, cells: &[(&str, &str)]) -> usize {
        let mut row = vec![String::new(); self.headers.len()];
        for (h, v) in cells {
            row[self.column(h)] = v.to_string();
        }
        self.rows.push(row);
        self.rows.len() - 1
    }

    /// Appends an order: the customer's cells on its first line only (later lines inherit).
    pub fn order(
        &mut self,
        order_ref: &str,
        customer: &[(&str, &str)],
        items: &[Item],
    ) -> &mut Self {
        for (i, (product, qty, price, vat)) in items.iter().enumerate() {
            let mut cells: Vec<(&str, &str)> = vec![
                ("order_ref", order_ref),
                ("product_name", product),
                ("quantity", qty),
                ("unit_price", price),
                ("vat_rate", vat),
            ];
            if i == 0 {
                cells.extend_from_slice(customer);
            }
            self.push(&cells);
        }
        self
    }

    /// Appends a valid order of one line, a router at 100 incl. 25 % VAT, for [`PRIVATE`]:
    /// the base a test breaks in one place.
    pub fn one_line(&mut self, order_ref: &str) -> &mut Self {
        self.order(order_ref, PRIVATE, &[("Router", "1", "100", "25")])
    }

    /// Sets one cell of an existing row (index into `rows`, not a sheet row number).
    pub fn set(&mut self, row: usize, header: &str, value: &str) -> &mut Self {
        let c = self.column(header);
        self.rows[row][c] = value.to_string();
        self
    }

    /// The same table as a Norwegian Excel writes its numbers: every decimal point in the
    /// number columns (quantity, unit price, VAT rate, line amount) a comma.
    pub fn decimal_commas(mut self) -> Table {
        let columns: Vec<usize> = ["quantity", "unit_price", "vat_rate", "line_amount"]
            .iter()
            .filter_map(|h| self.headers.iter().position(|x| x == h))
            .collect();
        for row in &mut self.rows {
            for &c in &columns {
                row[c] = row[c].replace('.', ",");
            }
        }
        self
    }

    /// The table as CSV text with this delimiter (quoted where needed).
    pub fn csv(&self, delimiter: u8) -> String {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_writer(Vec::new());
        w.write_record(&self.headers).unwrap();
        for row in &self.rows {
            w.write_record(row).unwrap();
        }
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    /// The table as a workbook with one sheet, "Orders" (see [`Table::write_to`]).
    pub fn xlsx(&self) -> Xlsx {
        let mut x = Xlsx::new("Orders");
        self.write_to(&mut x);
        x
    }

    /// Writes the table into the workbook's last sheet from its first row: numbers where the
    /// text is a plain number (as Excel stores what people type), text otherwise.
    pub fn write_to(&self, x: &mut Xlsx) {
        x.row(0, self.headers.iter().map(|h| X::text(h)).collect());
        for (i, row) in self.rows.iter().enumerate() {
            let cells = row
                .iter()
                .map(|v| match v.parse::<f64>() {
                    _ if v.is_empty() => X::Empty,
                    // Identifiers keep their zeros only as text.
                    Ok(n) if !v.starts_with('0') || v == "0" || v.starts_with("0.") => X::Num(n),
                    _ => X::text(v),
                })
                .collect();
            x.row(i as u32 + 1, cells);
        }
    }
}

/// How a CSV fixture's text becomes bytes.
#[derive(Clone, Copy, Debug)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Windows1252,
}

pub fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => {
            let mut b = b"\xef\xbb\xbf".to_vec();
            b.extend_from_slice(text.as_bytes());
            b
        }
        Encoding::Windows1252 => {
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
            assert!(!unmappable, "the fixture has characters Windows-1252 lacks");
            bytes.into_owned()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sheets many tests start from

/// Two orders, three lines, all valid: 1001 (private, 4500 at 12 % and 2 × 250 at 25 %) and
/// 1002 (corporate, 3 × 199.90 at 25 %).
pub fn two_orders() -> Table {
    let mut t = Table::standard();
    t.order(
        "1001",
        PRIVATE,
        &[
            ("Router", "1", "4500.00", "12"),
            ("Installation", "2", "250", "25"),
        ],
    );
    t.order("1002", CORPORATE, &[("Kabel", "3", "199.90", "25")]);
    t
}

/// Valid orders of one line each ([`Table::one_line`]), in this order.
pub fn one_line_orders(keys: &[&str]) -> Table {
    let mut t = Table::standard();
    for key in keys {
        t.one_line(key);
    }
    t
}

/// One valid order of one line: the base that a hostile case breaks in one place.
pub fn one_order(order_ref: &str) -> Table {
    one_line_orders(&[order_ref])
}

/// `n` valid orders `T-001`… of one private customer, two lines each (so order `i`'s first
/// line is row index `2 * (i - 1)`): what `submit` tests send. One customer keeps the
/// sandbox's dice the same whichever order comes first.
pub fn sheet(n: usize) -> Table {
    let mut table = Table::standard();
    for i in 1..=n {
        let quantity = (i % 5 + 1).to_string();
        let items: [Item; 2] = [
            ("Kaffe hele bønner 1 kg", &quantity, "229", "15"),
            ("Termokopp", "1", "199.90", "25"),
        ];
        table.order(&reference(i), PRIVATE, &items);
    }
    table
}

/// The order key of [`sheet`]'s order `i`.
pub fn reference(i: usize) -> String {
    format!("T-{i:03}")
}

/// The order keys of [`sheet`]`(n)`.
pub fn references(n: usize) -> BTreeSet<String> {
    (1..=n).map(reference).collect()
}

/// A set of order keys.
pub fn set_of(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

impl Workdir {
    /// Writes the table as `orders.csv` (UTF-8, commas): the sheet most tests check or send.
    pub fn write_sheet(&self, table: &Table) -> PathBuf {
        self.write("orders.csv", table.csv(b','))
    }
}
