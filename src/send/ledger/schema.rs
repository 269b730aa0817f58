//! The ledger's schema and its migrations, by `user_version`: 1 the orders table, 2 the keys
//! made canonical (base URL and order key) and the `holder` table, 3 the provider's status of
//! each order (`statuses`, the latest reading) and every change of it (`status_history`), 4 the
//! request body sent (`payload`), so that a later run can say which fields changed.

use super::{sql, Ledger, SCHEMA_VERSION};
use crate::error::Error;
use rusqlite::{params, TransactionBehavior};

impl Ledger {
    pub(super) fn migrate(&mut self) -> Result<(), Error> {
        let path = self.path.clone();
        let version: i32 = self
            .connection
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sql(&path, e))?;
        if version > SCHEMA_VERSION {
            return Err(Error::unusable(
                &path,
                format!("the ledger was written by a newer fpgo-export (schema {version}); use that version"),
            ));
        }
        if version < 1 {
            self.connection
                .execute_batch(
                    "BEGIN;
                     CREATE TABLE IF NOT EXISTS orders (
                         base_url      TEXT NOT NULL,
                         endpoint      TEXT NOT NULL,
                         order_key     TEXT NOT NULL,
                         fingerprint   TEXT NOT NULL,
                         state         TEXT NOT NULL,
                         attempts      INTEGER NOT NULL DEFAULT 0,
                         order_uuid    TEXT,
                         customer_uuid TEXT,
                         url           TEXT,
                         last_error    TEXT,
                         source_file   TEXT,
                         source_rows   TEXT,
                         first_seen    TEXT NOT NULL,
                         updated_at    TEXT NOT NULL,
                         PRIMARY KEY (base_url, endpoint, order_key)
                     );
                     PRAGMA user_version = 1;
                     COMMIT;",
                )
                .map_err(|e| sql(&path, e))?;
        }
        if version < 2 {
            self.canonical_keys().map_err(|e| sql(&path, e))?;
        }
        if version < 3 {
            self.status_history().map_err(|e| sql(&path, e))?;
        }
        if version < 4 {
            self.connection
                .execute_batch(
                    "BEGIN;
                     ALTER TABLE orders ADD COLUMN payload TEXT;
                     PRAGMA user_version = 4;
                     COMMIT;",
                )
                .map_err(|e| sql(&path, e))?;
        }
        Ok(())
    }

    /// Schema 2: orders keyed by the canonical base URL and the NFC order key (schema 1 used
    /// the text as given, so `localhost` and `127.0.0.1` were two providers), and the table
    /// that names the run holding the ledger. A key whose canonical form is already taken
    /// keeps its old form: nothing is lost, and the taken one is the one that answers.
    fn canonical_keys(&mut self) -> rusqlite::Result<()> {
        let tx = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let keys: Vec<(String, String, String)> = tx
            .prepare("SELECT base_url, endpoint, order_key FROM orders")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (base_url, endpoint, key) in keys {
            let canonical_url = crate::api::target::BaseUrl::parse(&base_url)
                .map(|b| b.key)
                .unwrap_or_else(|_| base_url.clone());
            let canonical_key = crate::model::order::normalise_key(&key);
            if (&canonical_url, &canonical_key) != (&base_url, &key) {
                tx.execute(
                    "UPDATE OR IGNORE orders SET base_url = ?4, order_key = ?5
                     WHERE base_url = ?1 AND endpoint = ?2 AND order_key = ?3",
                    params![base_url, endpoint, key, canonical_url, canonical_key],
                )?;
            }
        }
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS holder (
                 id    INTEGER PRIMARY KEY CHECK (id = 1),
                 pid   INTEGER NOT NULL,
                 since TEXT NOT NULL
             );
             PRAGMA user_version = 2;",
        )?;
        tx.commit()
    }
}

impl Ledger {
    /// Schema 3: what `status` and `cancel` learnt of each created order. `statuses` holds
    /// the latest reading per order (the status as the provider wrote it, the one before it,
    /// when it changed, when it was last asked, whether the last ask was a 404);
    /// `status_history` one row per change, oldest first, never rewritten.
    fn status_history(&mut self) -> rusqlite::Result<()> {
        self.connection.execute_batch(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS statuses (
                 base_url    TEXT NOT NULL,
                 endpoint    TEXT NOT NULL,
                 order_key   TEXT NOT NULL,
                 order_uuid  TEXT NOT NULL,
                 status      TEXT,
                 previous    TEXT,
                 changed_at  TEXT,
                 checked_at  TEXT NOT NULL,
                 not_found   INTEGER NOT NULL DEFAULT 0,
                 amount      TEXT,
                 PRIMARY KEY (base_url, endpoint, order_key)
             );
             CREATE TABLE IF NOT EXISTS status_history (
                 id          INTEGER PRIMARY KEY,
                 base_url    TEXT NOT NULL,
                 endpoint    TEXT NOT NULL,
                 order_key   TEXT NOT NULL,
                 order_uuid  TEXT NOT NULL,
                 status      TEXT NOT NULL,
                 previous    TEXT,
                 seen_at     TEXT NOT NULL,
                 seen_by     TEXT NOT NULL
             );
             CREATE INDEX IF NOT EXISTS status_history_by_order
                 ON status_history (base_url, endpoint, order_key, id);
             PRAGMA user_version = 3;
             COMMIT;",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Ledger, Scope};
    use rusqlite::Connection;

    #[test]
    fn schema_1_keys_become_canonical_urls_and_nfc_order_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        {
            let connection = Connection::open(&path).unwrap();
            connection
                .execute_batch(
                    "CREATE TABLE orders (base_url TEXT NOT NULL, endpoint TEXT NOT NULL,
                         order_key TEXT NOT NULL, fingerprint TEXT NOT NULL, state TEXT NOT NULL,
                         attempts INTEGER NOT NULL DEFAULT 0, order_uuid TEXT, customer_uuid TEXT,
                         url TEXT, last_error TEXT, source_file TEXT, source_rows TEXT,
                         first_seen TEXT NOT NULL, updated_at TEXT NOT NULL,
                         PRIMARY KEY (base_url, endpoint, order_key));
                     INSERT INTO orders VALUES ('http://127.0.0.1:8080/api/v1', 'invoice-session',
                         'A\u{30a}-1', 'f', 'created', 1, 'ODR1', NULL, NULL, NULL, NULL, NULL, 't', 't');
                     PRAGMA user_version = 1;",
                )
                .unwrap();
        }
        let scope = Scope {
            base_url: "http://localhost:8080/api/v1".into(),
            endpoint: "invoice-session".into(),
        };
        // A dry run reads it as the migration will key it, and leaves it at schema 1.
        let snapshot = super::super::Snapshot::open(&path).unwrap();
        let seen = snapshot.get(&scope, "\u{c5}-1").unwrap().unwrap();
        assert_eq!(seen.order_uuid.as_deref(), Some("ODR1"));
        drop(snapshot);
        let version: i32 = Connection::open(&path)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1, "a dry run migrates nothing");
        let ledger = Ledger::open(&path).unwrap();
        let record = ledger.get(&scope, "\u{c5}-1").unwrap().unwrap();
        assert_eq!(record.order_uuid.as_deref(), Some("ODR1"));
        assert_eq!(record.payload, None, "sent before the ledger kept the body");
    }

    #[test]
    fn schema_4_keeps_the_body_sent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        let scope = Scope {
            base_url: "https://demo".into(),
            endpoint: "invoice-session".into(),
        };
        let mut ledger = Ledger::open(&path).unwrap();
        let change = super::super::Change::Sending {
            key: "A".into(),
            fingerprint: "f".into(),
            source_file: "s.csv".into(),
            rows: vec![2],
            update_of: None,
            payload: Some(r#"{"referenceNo":"A"}"#.into()),
        };
        ledger.apply(&scope, &[change]).unwrap();
        drop(ledger);
        let ledger = Ledger::open(&path).unwrap();
        let record = ledger.get(&scope, "A").unwrap().unwrap();
        assert_eq!(record.payload.as_deref(), Some(r#"{"referenceNo":"A"}"#));
        let version: i32 = ledger
            .connection
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 4);
    }
}
