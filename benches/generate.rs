//! Big, realistic sheets for the benchmark: orders of 1 to 9 lines (5 on average) with valid
//! Norwegian test identities, private and corporate customers, every VAT rate, written as a
//! web shop exports CSV (UTF-8, `,`, 23 columns, about 1 % of the orders invalid), as a
//! Norwegian Excel writes CSV (Windows-1252, `;`, decimal commas) or as XLSX.

#![allow(dead_code)] // each benchmark uses a part of the generator

use fpgo_export::pipeline::validate::norway::{mod11, ORGANISATION, PERSONAL_K1, PERSONAL_K2};
use std::io::Write;

/// A small deterministic generator (xorshift64*), so every run writes the same sheet.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn step(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.step() % n
    }
}

/// A synthetic test personal number (month + 80) with both check digits right.
fn personal_number(rng: &mut Rng) -> String {
    loop {
        let day = 1 + rng.below(28) as u32;
        let month = 81 + rng.below(12) as u32;
        let year = 50 + rng.below(50) as u32;
        let individual = rng.below(500) as u32;
        let s = format!("{day:02}{month:02}{year:02}{individual:03}");
        let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
        let Some(k1) = mod11(&d, &PERSONAL_K1) else {
            continue;
        };
        let mut d10 = d.clone();
        d10.push(k1);
        let Some(k2) = mod11(&d10, &PERSONAL_K2) else {
            continue;
        };
        return format!("{s}{k1}{k2}");
    }
}

/// A 9-digit organisation number starting with 8 or 9 with a right check digit.
fn organisation_number(rng: &mut Rng) -> String {
    loop {
        let s = format!("{}{:07}", 8 + rng.below(2), rng.below(10_000_000));
        let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
        if let Some(k) = mod11(&d, &ORGANISATION) {
            return format!("{s}{k}");
        }
    }
}

pub const HEADERS: [&str; 17] = [
    "Ordrenr",
    "Kundetype",
    "Kundenavn",
    "E-post",
    "Telefon",
    "Fødselsnummer",
    "Orgnr",
    "Adresse",
    "Postnr",
    "Poststed",
    "Land",
    "Varenr",
    "Varenavn",
    "Antall",
    "Enhetspris",
    "MVA %",
    "Linjesum",
];

const FIRST: [&str; 8] = [
    "Kari", "Ola", "Åse", "Ørjan", "Siri", "Lars", "Ingrid", "Bjørn",
];
const LAST: [&str; 8] = [
    "Nordmann",
    "Sæther",
    "Bækkelund",
    "Hansen",
    "Johansen",
    "Løken",
    "Aas",
    "Ødegård",
];
const CITIES: [(&str, &str); 6] = [
    ("0150", "Oslo"),
    ("5003", "Bergen"),
    ("7030", "Trondheim"),
    ("4313", "Sandnes"),
    ("9008", "Tromsø"),
    ("6002", "Ålesund"),
];
const PRODUCTS: [(&str, u64, u32); 6] = [
    ("Ruter", 89_900, 25),
    ("Kaffe 500 g", 8_990, 15),
    ("Taxi til flyplassen", 45_000, 12),
    ("Bok: Fjordene", 34_900, 0),
    ("Installasjon", 125_000, 25),
    ("Kabel 2 m", 14_950, 25),
];

/// An order's customer, the same on each of its lines.
pub struct Customer {
    pub order: u64,
    pub corporate: bool,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub personal_number: String,
    pub organisation_number: String,
    pub street: String,
    pub zip: &'static str,
    pub city: &'static str,
}

/// One product line of an order.
pub struct Item {
    pub product: &'static str,
    /// Unit price in øre.
    pub price: u64,
    pub vat: u32,
    pub quantity: u64,
}

/// Generates orders of 1 to 9 lines until there are `lines` lines, calling `emit` for each line.
pub fn order_lines(lines: usize, seed: u64, mut emit: impl FnMut(&Customer, &Item)) {
    let mut rng = Rng::new(seed);
    let mut written = 0;
    let mut order = 100_000u64;
    while written < lines {
        order += 1;
        let corporate = rng.below(3) == 0;
        let name = if corporate {
            format!(
                "{} {} AS",
                LAST[rng.below(8) as usize],
                CITIES[rng.below(6) as usize].1
            )
        } else {
            format!(
                "{} {}",
                FIRST[rng.below(8) as usize],
                LAST[rng.below(8) as usize]
            )
        };
        let email = format!("kunde{order}@example.no");
        let phone = format!(
            "+47 {} {:02} {:03}",
            400 + rng.below(500),
            rng.below(100),
            rng.below(1000)
        );
        let (personal_number, organisation_number) = if corporate {
            (String::new(), organisation_number(&mut rng))
        } else {
            (personal_number(&mut rng), String::new())
        };
        let (zip, city) = CITIES[rng.below(6) as usize];
        let street = format!("Storgata {}", 1 + rng.below(200));
        let customer = Customer {
            order,
            corporate,
            name,
            email,
            phone,
            personal_number,
            organisation_number,
            street,
            zip,
            city,
        };
        let count = (1 + rng.below(9) as usize).min(lines - written);
        for _ in 0..count {
            let (product, price, vat) = PRODUCTS[rng.below(6) as usize];
            let quantity = 1 + rng.below(4);
            let item = Item {
                product,
                price,
                vat,
                quantity,
            };
            emit(&customer, &item);
            written += 1;
        }
    }
}

/// One line of the sheet as cell texts, in the order of [`HEADERS`].
pub struct Line {
    pub cells: Vec<String>,
    /// Quantity, unit price in øre, VAT rate and line total in øre, for writers that want numbers.
    pub numbers: (u64, u64, u32, u64),
}

/// Generates `lines` order lines as a Norwegian Excel sheet has them, calling `emit` for each.
pub fn lines(lines: usize, seed: u64, mut emit: impl FnMut(Line)) {
    order_lines(lines, seed, |c, i| {
        let total = i.quantity * i.price;
        let cells = vec![
            format!("NO-{}", c.order),
            if c.corporate { "bedrift" } else { "privat" }.to_string(),
            c.name.clone(),
            c.email.clone(),
            c.phone.clone(),
            c.personal_number.clone(),
            c.organisation_number.clone(),
            c.street.clone(),
            c.zip.to_string(),
            c.city.to_string(),
            "NO".to_string(),
            format!("P-{}", i.price % 1000),
            i.product.to_string(),
            i.quantity.to_string(),
            format!("{},{:02}", i.price / 100, i.price % 100),
            i.vat.to_string(),
            format!("{},{:02}", total / 100, total % 100),
        ];
        emit(Line {
            cells,
            numbers: (i.quantity, i.price, i.vat, total),
        });
    });
}

/// The columns of a web shop's export ([`web_csv`]).
pub const WEB_HEADERS: [&str; 23] = [
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
    "language",
    "product_name",
    "product_id",
    "quantity",
    "unit_price",
    "discount",
    "vat_rate",
    "callback_url",
    "success_url",
    "failure_url",
    "invoice_fee",
];

/// Writes a CSV as a web shop exports it: UTF-8, `,`, LF, the 23 [`WEB_HEADERS`] with the
/// order's cells repeated on every line and a blank order date, the callback URLs in the sheet.
/// About 1 % of the orders are invalid (a personal or organisation number's check digit off by
/// one, or an e-mail without its `@`).
pub fn web_csv(path: &std::path::Path, count: usize) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(WEB_HEADERS.join(",").as_bytes())?;
    out.write_all(b"\n")?;
    let mut result = Ok(());
    order_lines(count, 17, |c, i| {
        if result.is_err() {
            return;
        }
        // Every 100th order, one of three mistakes.
        let broken = c.order % 100 == 42;
        let mangle = |number: &str| {
            let (head, last) = number.split_at(number.len() - 1);
            let digit = (last.as_bytes()[0] - b'0' + 1) % 10;
            format!("{head}{digit}")
        };
        let (personal, organisation, email) = match (broken, c.order % 300 / 100) {
            (true, 0) if !c.corporate => {
                (mangle(&c.personal_number), String::new(), c.email.clone())
            }
            (true, 1) if c.corporate => (
                String::new(),
                mangle(&c.organisation_number),
                c.email.clone(),
            ),
            (true, _) => (
                c.personal_number.clone(),
                c.organisation_number.clone(),
                c.email.replace('@', " at "),
            ),
            _ => (
                c.personal_number.clone(),
                c.organisation_number.clone(),
                c.email.clone(),
            ),
        };
        let discount = if i.quantity == 4 { i.price / 10 } else { 0 };
        result = writeln!(
            out,
            "WEB-{},,{},{},{},{},{},{},{},{},{},NO,{},{},SKU-{:05},{},{}.{:02},{}.{:02},{},\
             https://shop.example.no/checkout/fpgo/callback,https://shop.example.no/checkout/order/success,\
             https://shop.example.no/checkout/order/failure,yes",
            c.order,
            if c.corporate { "corporate" } else { "private" },
            c.name,
            email,
            c.phone,
            personal,
            organisation,
            c.street,
            c.zip,
            c.city,
            if c.order % 7 == 0 { "en" } else { "no" },
            i.product,
            i.price % 100_000,
            i.quantity,
            i.price / 100,
            i.price % 100,
            discount / 100,
            discount % 100,
            i.vat,
        );
    });
    result?;
    out.flush()
}

/// Writes a CSV as a Norwegian Excel saves it: Windows-1252, `;`, CRLF.
pub fn csv(path: &std::path::Path, count: usize) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let encode = |s: &str| encoding_rs::WINDOWS_1252.encode(s).0.into_owned();
    out.write_all(&encode(&HEADERS.join(";")))?;
    out.write_all(b"\r\n")?;
    let mut result = Ok(());
    lines(count, 7, |line| {
        if result.is_ok() {
            result = out
                .write_all(&encode(&line.cells.join(";")))
                .and_then(|_| out.write_all(b"\r\n"));
        }
    });
    result?;
    out.flush()
}

/// Writes an XLSX with numbers in numeric cells and English headers.
pub fn xlsx(path: &std::path::Path, count: usize) -> Result<(), rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "order_ref",
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
        "product_id",
        "product_name",
        "quantity",
        "unit_price",
        "vat_rate",
        "line_amount",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    let mut row = 0u32;
    let mut result = Ok(());
    lines(count, 11, |line| {
        row += 1;
        if result.is_ok() {
            result = write_line(sheet, row, &line);
        }
    });
    result?;
    book.save(path)
}

fn write_line(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    line: &Line,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let (quantity, price, vat, total) = line.numbers;
    for (c, cell) in line.cells.iter().enumerate().take(13) {
        sheet.write_string(row, c as u16, cell)?;
    }
    sheet.write_number(row, 13, quantity as f64)?;
    sheet.write_number(row, 14, price as f64 / 100.0)?;
    sheet.write_number(row, 15, vat as f64)?;
    sheet.write_number(row, 16, total as f64 / 100.0)?;
    Ok(())
}

/// Writes a CSV of `orders` orders (1 to 3 lines each), for sending benchmarks.
pub fn orders_csv(path: &std::path::Path, orders: usize) -> std::io::Result<usize> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(HEADERS.join(";").as_bytes())?;
    out.write_all(b"\r\n")?;
    let (mut seen, mut last, mut lines_written) = (0usize, String::new(), 0usize);
    let mut result = Ok(());
    // Orders average 5 lines; ask for plenty and stop at the wanted number of orders.
    lines(orders * 9, 13, |line| {
        if line.cells[0] != last {
            last = line.cells[0].clone();
            seen += 1;
        }
        if seen <= orders && result.is_ok() {
            lines_written += 1;
            result = out
                .write_all(line.cells.join(";").as_bytes())
                .and_then(|_| out.write_all(b"\r\n"));
        }
    });
    result?;
    out.flush()?;
    Ok(lines_written)
}
