//! The ledger as a dry run reads it: read-only, no lock, no migration, no `holder` row, and a
//! ledger that does not exist read as an empty one; a schema 1 ledger's records by the keys
//! the migration of a real run would give them.

use super::{select, sql, Record, Scope, State, EMPTY, SCHEMA_VERSION};
use crate::error::Error;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// A ledger read for a dry run, without writing a byte to it: opened read-only, with no lock
/// taken, no migration and no `holder` row (a run may be using it). A ledger that does not
/// exist is read as an empty one, and is not created.
pub struct Snapshot {
    connection: Option<Connection>,
    path: PathBuf,
    /// Whether the ledger has the `payload` column (schema 3 on).
    payload: bool,
    /// A schema 1 ledger's records by their canonical keys (base URL, endpoint, order key),
    /// as the migration a real run makes first would key them.
    legacy: Option<std::collections::HashMap<(String, String, String), Record>>,
}

impl Snapshot {
    pub fn open(path: &Path) -> Result<Snapshot, Error> {
        let mut snapshot = Snapshot {
            connection: None,
            path: path.to_path_buf(),
            payload: false,
            legacy: None,
        };
        let Ok(metadata) = std::fs::metadata(path) else {
            return Ok(snapshot);
        };
        snapshot.path = path.canonicalize().map_err(|e| Error::file(path, e))?;
        let path = snapshot.path.clone();
        if metadata.len() == 0 {
            return Err(Error::unusable(&path, EMPTY));
        }
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
        let connection = Connection::open_with_flags(&path, flags).map_err(|e| sql(&path, e))?;
        connection
            .execute_batch("PRAGMA busy_timeout = 5000;")
            .map_err(|e| sql(&path, e))?;
        let version: i32 = connection
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sql(&path, e))?;
        if version > SCHEMA_VERSION {
            return Err(Error::unusable(
                &path,
                format!("the ledger was written by a newer fpgo-export (schema {version}); use that version"),
            ));
        }
        let columns: Vec<String> = connection
            .prepare("SELECT name FROM pragma_table_info('orders')")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| sql(&path, e))?;
        if columns.is_empty() {
            // No orders table: a ledger that never recorded anything.
            return Ok(snapshot);
        }
        snapshot.payload = columns.iter().any(|c| c == "payload");
        if version < 2 {
            snapshot.legacy = Some(legacy_records(&connection).map_err(|e| sql(&path, e))?);
        }
        snapshot.connection = Some(connection);
        Ok(snapshot)
    }

    /// Whether the ledger exists (a real run would create it).
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, scope: &Scope, key: &str) -> Result<Option<Record>, Error> {
        if let Some(legacy) = &self.legacy {
            let wanted = (
                scope.base_url.clone(),
                scope.endpoint.clone(),
                key.to_string(),
            );
            return Ok(legacy.get(&wanted).cloned());
        }
        match &self.connection {
            None => Ok(None),
            Some(connection) => {
                select(connection, self.payload, scope, key).map_err(|e| sql(&self.path, e))
            }
        }
    }
}

/// Every record of a schema 1 ledger, by the keys schema 2 makes canonical; where two rows
/// become one key, the one already canonical is the one kept, as the migration keeps it.
fn legacy_records(
    connection: &Connection,
) -> rusqlite::Result<std::collections::HashMap<(String, String, String), Record>> {
    let mut statement = connection.prepare(
        "SELECT base_url, endpoint, order_key, fingerprint, state, attempts, order_uuid,
                customer_uuid, url, last_error FROM orders",
    )?;
    let rows = statement.query_map([], |r| {
        Ok((
            (
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ),
            Record {
                fingerprint: r.get(3)?,
                state: State::parse(&r.get::<_, String>(4)?),
                attempts: r.get(5)?,
                order_uuid: r.get(6)?,
                customer_uuid: r.get(7)?,
                url: r.get(8)?,
                last_error: r.get(9)?,
                payload: None,
            },
        ))
    })?;
    let mut records = std::collections::HashMap::new();
    for row in rows {
        let ((base_url, endpoint, key), record) = row?;
        let canonical_url = crate::api::target::BaseUrl::parse(&base_url)
            .map(|b| b.key)
            .unwrap_or_else(|_| base_url.clone());
        let canonical_key = crate::model::order::normalise_key(&key);
        let already = canonical_url == base_url && canonical_key == key;
        let entry = (canonical_url, endpoint, canonical_key);
        if already || !records.contains_key(&entry) {
            records.insert(entry, record);
        }
    }
    Ok(records)
}
