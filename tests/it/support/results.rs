//! Readers for the files the binary writes: CSV result files ([`ResultCsv`], and [`Row`]s of
//! the cells the submit tests look at), JSON result files, `--payloads` files; and the
//! assertions made on them again and again (the counts of a summary, the ids of created
//! orders).

use super::Workdir;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

impl Workdir {
    /// Reads a CSV result file (UTF-8 with a BOM, as the tool writes it).
    pub fn result_csv(&self, name: &str) -> ResultCsv {
        let bytes = std::fs::read(self.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let text = bytes
            .strip_prefix(b"\xef\xbb\xbf")
            .unwrap_or_else(|| panic!("{name} does not start with a UTF-8 BOM"));
        let text = std::str::from_utf8(text).expect("the result is UTF-8");
        let delimiter = if text.lines().next().unwrap_or("").contains(';') {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        ResultCsv { headers, rows }
    }

    /// Reads an XLSX result file's sheet "result" as text, as [`Workdir::result_csv`] reads a
    /// CSV one (a number as calamine writes it, `4500` or `1798.5`).
    pub fn result_xlsx(&self, name: &str) -> ResultCsv {
        self.xlsx_table(name, "result")
    }

    /// A sheet of a workbook the tool wrote, as text (see [`Workdir::result_xlsx`]).
    pub fn xlsx_table(&self, name: &str, sheet: &str) -> ResultCsv {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook(self.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let range = book
            .worksheet_range(sheet)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut lines = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<String>>());
        let headers = lines.next().unwrap_or_default();
        ResultCsv {
            headers,
            rows: lines.collect(),
        }
    }

    /// Reads a `--payloads` file: one JSON object per line.
    pub fn payloads(&self, name: &str) -> Vec<Value> {
        self.read(name)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// A `--payloads` file's payloads by order key.
    pub fn payloads_by_order(&self, name: &str) -> BTreeMap<String, Value> {
        self.payloads(name)
            .into_iter()
            .map(|p| {
                (
                    p["order_ref"].as_str().unwrap().to_string(),
                    p["payload"].clone(),
                )
            })
            .collect()
    }

    /// Reads a JSON result file (`--output result.json`).
    pub fn result_json(&self, name: &str) -> Value {
        let text = self.read(name);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON ({e})"))
    }

    /// The rows of a JSON result file: each row's number, order, status, messages and cells.
    pub fn json_rows(&self, name: &str) -> Vec<Value> {
        self.result_json(name)["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no rows"))
            .clone()
    }
}

/// A result file's table read back (CSV or XLSX), every cell as text.
#[derive(Debug)]
pub struct ResultCsv {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl ResultCsv {
    pub fn column(&self, header: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("the result has no column {header:?}: {:?}", self.headers))
    }

    /// The cell of result line `i` (0 = first data line) under `header`.
    pub fn get(&self, i: usize, header: &str) -> &str {
        &self.rows[i][self.column(header)]
    }

    /// The status of each order (asserting all its rows agree).
    pub fn order_statuses(&self) -> BTreeMap<String, String> {
        by_order((0..self.rows.len()).map(|i| (self.get(i, "order_ref"), self.get(i, "status"))))
    }

    /// The cells under `header`, line by line.
    pub fn cells(&self, header: &str) -> Vec<&str> {
        let c = self.column(header);
        self.rows.iter().map(|r| r[c].as_str()).collect()
    }

    /// The status column, line by line.
    pub fn statuses(&self) -> Vec<&str> {
        self.cells("status")
    }
}

// ---------------------------------------------------------------------------------------------
// The rows of a result file, as the submit tests look at them

/// One line of a result file, the cells the tests look at.
#[derive(Clone, Debug)]
pub struct Row {
    pub order_ref: String,
    pub status: String,
    pub order_id: String,
    pub customer_id: String,
    pub bankid_url: String,
    pub messages: String,
}

/// The lines of a result file of `submit`: XLSX by its name, else CSV.
pub fn result_rows(work: &Workdir, name: &str) -> Vec<Row> {
    let result = if name.ends_with(".xlsx") {
        work.result_xlsx(name)
    } else {
        work.result_csv(name)
    };
    (0..result.rows.len())
        .map(|i| Row {
            order_ref: result.get(i, "order_ref").to_string(),
            status: result.get(i, "status").to_string(),
            order_id: result.get(i, "order_id").to_string(),
            customer_id: result.get(i, "customer_id").to_string(),
            bankid_url: result.get(i, "bankid_url").to_string(),
            messages: result.get(i, "messages").to_string(),
        })
        .collect()
}

/// The first line of this order.
pub fn row<'a>(rows: &'a [Row], order_ref: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.order_ref == order_ref)
        .unwrap_or_else(|| panic!("no row of {order_ref}: {rows:?}"))
}

/// The status of each order (asserting all its rows agree).
pub fn statuses(rows: &[Row]) -> BTreeMap<String, String> {
    by_order(
        rows.iter()
            .map(|r| (r.order_ref.as_str(), r.status.as_str())),
    )
}

/// Each order's status from (order, status) pairs, asserting an order's pairs agree.
fn by_order<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    let mut by_order: BTreeMap<String, String> = BTreeMap::new();
    for (order, status) in pairs {
        let first = by_order
            .entry(order.to_string())
            .or_insert_with(|| status.to_string());
        assert_eq!(first, status, "the rows of {order} disagree");
    }
    by_order
}

/// The orders with this status.
pub fn with_status(rows: &[Row], status: &str) -> BTreeSet<String> {
    statuses(rows)
        .into_iter()
        .filter(|(_, s)| s == status)
        .map(|(r, _)| r)
        .collect()
}

/// Whether `id` is `prefix` and a number of digits in `digits` (`ODR` and 10 digits).
pub fn is_id(id: &str, prefix: &str, digits: std::ops::RangeInclusive<usize>) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|d| digits.contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Asserts every row of a created order carries the ids the sandbox gave that order (with
/// `full`, its customer id and BankID URL too).
#[track_caller]
pub fn assert_ids(rows: &[Row], orders: &BTreeMap<String, Value>, full: bool) {
    for row in rows
        .iter()
        .filter(|r| r.status == "created" || r.status == "already_created")
    {
        let stored = orders.get(&row.order_ref).unwrap_or_else(|| {
            panic!(
                "{} is {} but the sandbox lacks it",
                row.order_ref, row.status
            )
        });
        assert!(is_id(&row.order_id, "ODR", 9..=10), "{row:?}");
        assert_eq!(row.order_id, stored["id"], "{row:?}");
        if full {
            assert_eq!(row.customer_id, stored["customerId"], "{row:?}");
            assert!(is_id(&row.customer_id, "CSRT", 10..=10), "{row:?}");
            assert!(
                row.bankid_url
                    .starts_with("https://auth.current.bankid.no/precheck/auth?state="),
                "{row:?}"
            );
        }
    }
}

/// Asserts the `--json` summary of `submit` counts these orders per status.
#[track_caller]
pub fn assert_counts(json: &Value, expected: &[(&str, u64)]) {
    for (status, n) in expected {
        assert_eq!(json["orders"][status], *n, "orders.{status} in {json}");
    }
}
