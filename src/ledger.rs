//! The ledger: an SQLite database that records every order sent, keyed by (base URL, endpoint,
//! order key), so that no order is ever created twice. A state change is committed before the
//! request goes out and again when the answer comes back; a crash at any instant leaves a true
//! record. Nothing else in the tool touches SQL.
//!
//! States: `sending` (a request may be on its way), `created`, `rejected` (the server said no),
//! `failed` (gave up, or stopped, before the server took it: safe to send again), `uncertain`
//! (the request may have reached the server but no answer came).

use crate::error::Error;
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
}

/// The provider's ids for a created order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    pub order_uuid: String,
    pub customer_uuid: Option<String>,
    pub url: Option<String>,
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
    /// Held open for the lock; released when the process ends, however it ends.
    _lock: File,
}

const SCHEMA_VERSION: i32 = 1;

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
    /// here, told which process holds it.
    pub fn open(path: &Path) -> Result<Ledger, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, e))?;
        }
        let lock_path = path.with_extension("lock");
        let lock = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| Error::file(&lock_path, e))?;
        if lock.try_lock().is_err() {
            let holder = std::fs::read_to_string(&lock_path).unwrap_or_default();
            let holder = holder.trim();
            return Err(Error::unusable(
                path,
                format!(
                    "the ledger is in use by another run ({}); wait for it to finish, or give this run its own --ledger",
                    if holder.is_empty() { "process unknown".to_string() } else { holder.to_string() }
                ),
            ));
        }
        std::fs::write(
            &lock_path,
            format!("process {} since {}\n", std::process::id(), now()),
        )
        .map_err(|e| Error::file(&lock_path, e))?;
        let connection = Connection::open(path).map_err(|e| sql(path, e))?;
        // WAL with FULL sync: a commit is on disk before the request it guards goes out.
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
            )
            .map_err(|e| sql(path, e))?;
        let ledger = Ledger {
            connection,
            path: path.to_path_buf(),
            _lock: lock,
        };
        ledger.migrate()?;
        Ok(ledger)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&self) -> Result<(), Error> {
        let version: i32 = self
            .connection
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sql(&self.path, e))?;
        if version > SCHEMA_VERSION {
            return Err(Error::unusable(
                &self.path,
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
                .map_err(|e| sql(&self.path, e))?;
        }
        Ok(())
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
        self.connection
            .prepare_cached(
                "SELECT fingerprint, state, attempts, order_uuid, customer_uuid, url, last_error
                 FROM orders WHERE base_url = ?1 AND endpoint = ?2 AND order_key = ?3",
            )
            .and_then(|mut statement| {
                statement.query_row(params![scope.base_url, scope.endpoint, key], |r| {
                    Ok(Record {
                        fingerprint: r.get(0)?,
                        state: State::parse(&r.get::<_, String>(1)?),
                        attempts: r.get(2)?,
                        order_uuid: r.get(3)?,
                        customer_uuid: r.get(4)?,
                        url: r.get(5)?,
                        last_error: r.get(6)?,
                    })
                })
            })
            .optional()
            .map_err(|e| sql(&self.path, e))
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

/// A change of one order's record.
#[derive(Clone, Debug)]
pub enum Change {
    /// A request is about to go out.
    Sending {
        key: String,
        fingerprint: String,
        source_file: String,
        rows: Vec<u32>,
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
        } => {
            let rows: Vec<String> = rows.iter().map(u32::to_string).collect();
            connection
                .prepare_cached(
                    "INSERT INTO orders (base_url, endpoint, order_key, fingerprint, state, attempts,
                                         source_file, source_rows, first_seen, updated_at)
                     VALUES (?1, ?2, ?3, ?4, 'sending', 1, ?5, ?6, ?7, ?7)
                     ON CONFLICT (base_url, endpoint, order_key) DO UPDATE SET
                         fingerprint = ?4, state = 'sending', attempts = attempts + 1,
                         source_file = ?5, source_rows = ?6, updated_at = ?7",
                )?
                .execute(params![
                    scope.base_url,
                    scope.endpoint,
                    key,
                    fingerprint,
                    source_file,
                    rows.join(","),
                    stamp
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

/// The ledger on a thread of its own while orders are sent: changes queue up in order and are
/// committed in batches, one sync to disk for all that queued meanwhile, so waiting for the
/// disk never holds up the requests. A request waits for its `sending` record's commit; an
/// answer's record is committed with the next `sending` record or within [`GROUP_COMMIT`],
/// whichever comes first (a crash in between leaves the order `sending`, which the next run
/// treats as uncertain and looks up).
/// The longest an answer's record waits to share a sync to disk with the next request's.
pub const GROUP_COMMIT: std::time::Duration = std::time::Duration::from_millis(25);

pub struct Writer {
    queue: std::sync::mpsc::Sender<(Change, Option<tokio::sync::oneshot::Sender<bool>>)>,
    thread: std::thread::JoinHandle<Result<Ledger, Error>>,
}

impl Writer {
    pub fn start(mut ledger: Ledger, scope: Scope) -> Writer {
        let (queue, changes) =
            std::sync::mpsc::channel::<(Change, Option<tokio::sync::oneshot::Sender<bool>>)>();
        let thread = std::thread::spawn(move || {
            use std::sync::mpsc::RecvTimeoutError;
            let mut failure = None;
            let mut batch = Vec::new();
            let mut since = std::time::Instant::now();
            loop {
                // A change someone waits for is committed at once, with all that queued before
                // it; an answer's record may wait a moment for the next one (group commit).
                let next = if batch.is_empty() {
                    changes.recv().map_err(|_| RecvTimeoutError::Disconnected)
                } else {
                    changes.recv_timeout(GROUP_COMMIT.saturating_sub(since.elapsed()))
                };
                let (urgent, closed) = match next {
                    Ok(change) => {
                        if batch.is_empty() {
                            since = std::time::Instant::now();
                        }
                        let urgent = change.1.is_some();
                        batch.push(change);
                        (urgent, false)
                    }
                    Err(RecvTimeoutError::Timeout) => (true, false),
                    Err(RecvTimeoutError::Disconnected) => (true, true),
                };
                if urgent && !batch.is_empty() {
                    batch.extend(changes.try_iter());
                    let list: Vec<Change> = batch.iter().map(|(c, _)| c.clone()).collect();
                    let result = if failure.is_none() {
                        ledger.apply(&scope, &list)
                    } else {
                        Err(Error::unusable(&ledger.path, "the ledger failed earlier"))
                    };
                    for (_, ack) in batch.drain(..) {
                        if let Some(ack) = ack {
                            let _ = ack.send(result.is_ok());
                        }
                    }
                    if let Err(e) = result {
                        failure.get_or_insert(e);
                    }
                }
                if closed {
                    break;
                }
            }
            match failure {
                Some(e) => Err(e),
                None => Ok(ledger),
            }
        });
        Writer { queue, thread }
    }

    /// Queues a change; the answer comes when it is committed (`true`) or could not be
    /// (`false`).
    pub fn commit(&self, change: Change) -> tokio::sync::oneshot::Receiver<bool> {
        let (ack, committed) = tokio::sync::oneshot::channel();
        let _ = self.queue.send((change, Some(ack)));
        committed
    }

    /// Queues a change without waiting for it.
    pub fn record(&self, change: Change) {
        let _ = self.queue.send((change, None));
    }

    /// Commits what is queued and hands the ledger back; the first failure, if any.
    pub fn finish(self) -> Result<Ledger, Error> {
        drop(self.queue);
        self.thread
            .join()
            .unwrap_or_else(|_| Err(Error::usage("the ledger's thread stopped unexpectedly")))
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

    #[test]
    fn one_run_per_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        let _first = Ledger::open(&path).unwrap();
        let second = Ledger::open(&path).err().unwrap().to_string();
        assert!(
            second.contains("in use by another run (process"),
            "{second}"
        );
    }
}
