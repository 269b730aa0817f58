//! The ledger: an SQLite database that records every order sent, keyed by (base URL, endpoint,
//! order key), so that no order is ever created twice. A state change is committed before the
//! request goes out and again when the answer comes back; a crash at any instant leaves a true
//! record. Nothing else in the tool touches SQL.
//!
//! States: `sending` (a request may be on its way), `created`, `rejected` (the server said no),
//! `failed` (gave up, or stopped, before the server took it: safe to send again), `uncertain`
//! (the request may have reached the server but no answer came). An order with an order id is
//! one the provider has: every later request for it is an update of that id.
//!
//! One run at a time: the lock is taken on the database file itself (by its inode, so a
//! symlink, a hard link or a deleted lock file cannot get past it).

mod lock;
mod schema;
mod snapshot;
mod statuses;
mod writer;

pub use snapshot::Snapshot;
pub use statuses::{Known, Seen, SeenBy};
pub use writer::{Unrecorded, Writer, GROUP_COMMIT};

use crate::error::Error;
use crate::model::outcome::Ids;
use lock::{holder, lock_target};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Sending,
    Created,
    Rejected,
    Failed,
    Uncertain,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Sending => "sending",
            State::Created => "created",
            State::Rejected => "rejected",
            State::Failed => "failed",
            State::Uncertain => "uncertain",
        }
    }

    fn parse(text: &str) -> State {
        match text {
            "sending" => State::Sending,
            "created" => State::Created,
            "rejected" => State::Rejected,
            "failed" => State::Failed,
            _ => State::Uncertain,
        }
    }
}

/// What the ledger knows of one order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub fingerprint: String,
    pub state: State,
    pub attempts: u32,
    pub order_uuid: Option<String>,
    pub customer_uuid: Option<String>,
    pub url: Option<String>,
    pub last_error: Option<String>,
    /// The request body last sent for it; `None` for orders sent before the ledger kept it.
    pub payload: Option<String>,
}

/// Which orders a run concerns: one provider (base URL) and one endpoint.
#[derive(Clone, Debug)]
pub struct Scope {
    pub base_url: String,
    pub endpoint: String,
}

/// An open ledger, held by this process alone.
pub struct Ledger {
    connection: Connection,
    path: PathBuf,
    created: bool,
    /// The database file (see [`lock_target`]), held open and locked; released when the
    /// process ends, however it ends. Declared last: dropped after the connection, so closing
    /// it never releases SQLite's own locks under an open connection.
    _lock: File,
}

const SCHEMA_VERSION: i32 = 4;

/// The default ledger: `ledger.sqlite` in the user's data directory.
pub fn default_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("fpgo-export")
        .join("ledger.sqlite")
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Ledger {
    /// Opens (or creates) the ledger and takes its lock; a second run on the same ledger stops
    /// here, told which process holds it. A file that exists but is empty is refused: a
    /// ledger this tool wrote is never empty, so it was truncated or replaced.
    pub fn open(path: &Path) -> Result<Ledger, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, e))?;
        }
        let options = || {
            let mut o = std::fs::OpenOptions::new();
            o.read(true).write(true);
            // The ledger is the run's own record, private to its user (SQLite gives its WAL
            // and shared-memory files the same mode).
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            o
        };
        let (lock, created) = match options().create_new(true).open(path) {
            Ok(file) => (file, true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => (
                options().open(path).map_err(|e| Error::file(path, e))?,
                false,
            ),
            Err(e) => return Err(Error::file(path, e)),
        };
        // The real path: what the messages name, whatever link the user gave.
        let path = path.canonicalize().map_err(|e| Error::file(path, e))?;
        let empty = lock.metadata().map_err(|e| Error::file(&path, e))?.len() == 0;
        let lock = lock_target(lock, &path)?;
        // The lock goes with the process, however it ends.
        if lock.try_lock().is_err() {
            return Err(Error::unusable(
                &path,
                format!(
                    "the ledger is in use by another run ({}); wait for that run to finish, then run again. Do not give this run a different --ledger: a second ledger does not know what the first one sent, and would send it all again",
                    holder(&path).unwrap_or_else(|| "process unknown".into())
                ),
            ));
        }
        if empty && !created {
            return Err(Error::unusable(&path, EMPTY));
        }
        let connection = Connection::open(&path).map_err(|e| sql(&path, e))?;
        // WAL with FULL sync: a commit is on disk before the request it guards goes out.
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
            )
            .map_err(|e| sql(&path, e))?;
        let mut ledger = Ledger {
            connection,
            path,
            created,
            _lock: lock,
        };
        ledger.migrate()?;
        ledger
            .connection
            .execute(
                "INSERT OR REPLACE INTO holder (id, pid, since) VALUES (1, ?1, ?2)",
                params![std::process::id(), now()],
            )
            .map_err(|e| sql(&ledger.path, e))?;
        ledger
            .connection
            .query_row("PRAGMA wal_checkpoint(FULL)", [], |_| Ok(()))
            .map_err(|e| sql(&ledger.path, e))?;
        Ok(ledger)
    }

    /// Whether this run created the ledger (it knew no order before).
    pub fn created(&self) -> bool {
        self.created
    }

    /// Lets the ledger grow by at most this many pages of the database file, as a full disk
    /// would: for testing what a failing ledger write does.
    pub fn limit_growth(&self, pages: u32) -> Result<(), Error> {
        let count: u32 = self
            .connection
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(|e| sql(&self.path, e))?;
        self.connection
            .query_row(
                &format!("PRAGMA max_page_count = {}", count + pages),
                [],
                |_| Ok(()),
            )
            .map_err(|e| sql(&self.path, e))
    }

    /// How many of these orders another ledger (one not in use by this run) holds as sent or
    /// possibly sent to this scope; 0 when it does not exist. Read without its lock: a run
    /// may be using it.
    pub fn holds(path: &Path, scope: &Scope, keys: &[&str]) -> Result<usize, Error> {
        if !path.exists() {
            return Ok(0);
        }
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
        let connection = Connection::open_with_flags(path, flags).map_err(|e| sql(path, e))?;
        let mut statement = match connection.prepare(
            "SELECT count(*) FROM orders WHERE base_url = ?1 AND endpoint = ?2 AND order_key = ?3
                 AND (state IN ('created', 'uncertain', 'sending') OR order_uuid IS NOT NULL)",
        ) {
            Ok(statement) => statement,
            // No orders table: a ledger that never recorded anything.
            Err(_) => return Ok(0),
        };
        let mut held = 0;
        for key in keys {
            let n: usize = statement
                .query_row(params![scope.base_url, scope.endpoint, key], |r| r.get(0))
                .map_err(|e| sql(path, e))?;
            held += n;
        }
        Ok(held)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Orders a dead run left `sending` become `uncertain`: their request may have gone out.
    /// Returns how many.
    pub fn recover(&self, scope: &Scope) -> Result<usize, Error> {
        self.connection
            .execute(
                "UPDATE orders SET state = 'uncertain', updated_at = ?3,
                     last_error = 'a run stopped while this order was being sent'
                 WHERE base_url = ?1 AND endpoint = ?2 AND state = 'sending'",
                params![scope.base_url, scope.endpoint, now()],
            )
            .map_err(|e| sql(&self.path, e))
    }

    pub fn get(&self, scope: &Scope, key: &str) -> Result<Option<Record>, Error> {
        select(&self.connection, true, scope, key).map_err(|e| sql(&self.path, e))
    }

    /// Records that a request for this order is about to go out: committed before it does.
    pub fn sending(
        &mut self,
        scope: &Scope,
        key: &str,
        fingerprint: &str,
        source_file: &str,
        rows: &[u32],
    ) -> Result<(), Error> {
        self.apply(
            scope,
            &[Change::Sending {
                key: key.to_string(),
                fingerprint: fingerprint.to_string(),
                source_file: source_file.to_string(),
                rows: rows.to_vec(),
                update_of: None,
                payload: None,
            }],
        )
    }

    /// Records an answer (or its absence): the order's new state, its ids when created, the
    /// error otherwise.
    pub fn settle(
        &mut self,
        scope: &Scope,
        key: &str,
        state: State,
        ids: Option<&Ids>,
        error: Option<&str>,
    ) -> Result<(), Error> {
        self.apply(
            scope,
            &[Change::Settle {
                key: key.to_string(),
                state,
                ids: ids.cloned(),
                error: error.map(str::to_string),
            }],
        )
    }

    /// Commits changes in one transaction: all of them or none.
    pub fn apply(&mut self, scope: &Scope, changes: &[Change]) -> Result<(), Error> {
        let path = self.path.clone();
        let tx = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql(&path, e))?;
        for change in changes {
            write(&tx, scope, change).map_err(|e| sql(&path, e))?;
        }
        tx.commit().map_err(|e| sql(&path, e))
    }
}

/// One order's record; `payload`: whether the ledger has the column (schema 3 on).
fn select(
    connection: &Connection,
    payload: bool,
    scope: &Scope,
    key: &str,
) -> rusqlite::Result<Option<Record>> {
    let statement = if payload {
        "SELECT fingerprint, state, attempts, order_uuid, customer_uuid, url, last_error, payload
         FROM orders WHERE base_url = ?1 AND endpoint = ?2 AND order_key = ?3"
    } else {
        "SELECT fingerprint, state, attempts, order_uuid, customer_uuid, url, last_error, NULL
         FROM orders WHERE base_url = ?1 AND endpoint = ?2 AND order_key = ?3"
    };
    connection
        .prepare_cached(statement)?
        .query_row(params![scope.base_url, scope.endpoint, key], |r| {
            Ok(Record {
                fingerprint: r.get(0)?,
                state: State::parse(&r.get::<_, String>(1)?),
                attempts: r.get(2)?,
                order_uuid: r.get(3)?,
                customer_uuid: r.get(4)?,
                url: r.get(5)?,
                last_error: r.get(6)?,
                payload: r.get(7)?,
            })
        })
        .optional()
}

/// Why an empty ledger file is refused.
const EMPTY: &str = "the ledger is empty (0 bytes), but a ledger fpgo-export wrote is never empty: it was truncated or replaced, and an empty ledger would send every order again. Restore it from a backup; only if no order was ever sent with it, delete the file and run again";

/// A change of one order's record.
#[derive(Clone, Debug)]
pub enum Change {
    /// A request is about to go out; an update names the provider's order it updates, which
    /// the record keeps from now on.
    Sending {
        key: String,
        fingerprint: String,
        source_file: String,
        rows: Vec<u32>,
        update_of: Option<String>,
        /// The request body, kept to tell later which fields changed.
        payload: Option<String>,
    },
    /// An answer came (or its absence was decided).
    Settle {
        key: String,
        state: State,
        ids: Option<Ids>,
        error: Option<String>,
    },
    /// The request did not count (a 429, a refused token): one attempt less.
    Unsend {
        key: String,
        state: State,
        error: String,
    },
}

fn write(connection: &Connection, scope: &Scope, change: &Change) -> rusqlite::Result<usize> {
    let stamp = now();
    match change {
        Change::Sending {
            key,
            fingerprint,
            source_file,
            rows,
            update_of,
            payload,
        } => {
            let rows: Vec<String> = rows.iter().map(u32::to_string).collect();
            connection
                .prepare_cached(
                    "INSERT INTO orders (base_url, endpoint, order_key, fingerprint, state, attempts,
                                         source_file, source_rows, first_seen, updated_at, order_uuid,
                                         payload)
                     VALUES (?1, ?2, ?3, ?4, 'sending', 1, ?5, ?6, ?7, ?7, ?8, ?9)
                     ON CONFLICT (base_url, endpoint, order_key) DO UPDATE SET
                         fingerprint = ?4, state = 'sending', attempts = attempts + 1,
                         source_file = ?5, source_rows = ?6, updated_at = ?7,
                         order_uuid = COALESCE(?8, order_uuid), payload = ?9",
                )?
                .execute(params![
                    scope.base_url,
                    scope.endpoint,
                    key,
                    fingerprint,
                    source_file,
                    rows.join(","),
                    stamp,
                    update_of,
                    payload
                ])
        }
        Change::Settle {
            key,
            state,
            ids,
            error,
        } => {
            let ids = ids.as_ref();
            connection
                .prepare_cached(
                    "UPDATE orders SET state = ?4, last_error = ?5, updated_at = ?6,
                         order_uuid = COALESCE(?7, order_uuid),
                         customer_uuid = COALESCE(?8, customer_uuid),
                         url = COALESCE(?9, url)
                     WHERE base_url = ?1 AND endpoint = ?2 AND order_key = ?3",
                )?
                .execute(params![
                    scope.base_url,
                    scope.endpoint,
                    key,
                    state.as_str(),
                    error,
                    stamp,
                    ids.map(|i| i.order_uuid.as_str()),
                    ids.and_then(|i| i.customer_uuid.as_deref()),
                    ids.and_then(|i| i.url.as_deref())
                ])
        }
        Change::Unsend { key, state, error } => connection
            .prepare_cached(
                "UPDATE orders SET state = ?4, attempts = MAX(attempts - 1, 0), last_error = ?5,
                     updated_at = ?6
                 WHERE base_url = ?1 AND endpoint = ?2 AND order_key = ?3",
            )?
            .execute(params![
                scope.base_url,
                scope.endpoint,
                key,
                state.as_str(),
                error,
                stamp
            ]),
    }
}

fn sql(path: &Path, e: rusqlite::Error) -> Error {
    Error::unusable(path, format!("ledger: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            base_url: "https://demo".into(),
            endpoint: "invoice-session".into(),
        }
    }

    #[test]
    fn states_survive_reopening_and_sending_becomes_uncertain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        {
            let mut ledger = Ledger::open(&path).unwrap();
            ledger
                .sending(&scope(), "A", "f1", "s.csv", &[2, 3])
                .unwrap();
            let ids = Ids {
                order_uuid: "ODR1".into(),
                customer_uuid: Some("CSRT1".into()),
                url: None,
            };
            ledger
                .settle(&scope(), "A", State::Created, Some(&ids), None)
                .unwrap();
            ledger.sending(&scope(), "B", "f2", "s.csv", &[4]).unwrap();
        }
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.recover(&scope()).unwrap(), 1);
        let a = ledger.get(&scope(), "A").unwrap().unwrap();
        assert_eq!(
            (a.state, a.attempts, a.order_uuid.as_deref()),
            (State::Created, 1, Some("ODR1"))
        );
        assert_eq!(
            ledger.get(&scope(), "B").unwrap().unwrap().state,
            State::Uncertain
        );
        let other = Scope {
            base_url: "https://prod".into(),
            ..scope()
        };
        assert_eq!(ledger.get(&other, "A").unwrap(), None, "keyed by base URL");
    }
}
