//! Readers of the ledger a `submit` run kept in the workdir (`ledger.sqlite`), opened beside
//! the binary the way another reader would: what it remembers of each order.

use super::Workdir;
use std::collections::BTreeMap;

/// Runs a query on the workdir's ledger; each row of the answer through `row`.
pub fn query_ledger<T>(
    work: &Workdir,
    sql: &str,
    row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
) -> Vec<T> {
    let connection = rusqlite::Connection::open(work.join("ledger.sqlite")).unwrap();
    let mut statement = connection
        .prepare(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = statement
        .query_map([], row)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows
}

/// The ledger's state and attempts per order key.
pub fn ledger(work: &Workdir) -> BTreeMap<String, (String, u32)> {
    query_ledger(work, "SELECT order_key, state, attempts FROM orders", |r| {
        Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
    })
    .into_iter()
    .collect()
}

/// How many orders the ledger holds, 0 while it cannot be read (not yet created).
pub fn ledger_rows(work: &Workdir) -> u64 {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE;
    rusqlite::Connection::open_with_flags(work.join("ledger.sqlite"), flags)
        .and_then(|c| c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0)))
        .unwrap_or(0)
}
