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

use crate::error::Error;
use crate::model::outcome::Ids;
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

const SCHEMA_VERSION: i32 = 2;

/// What a run's lock is taken on. On Unix, the database file itself: flock(2) and SQLite's
/// own fcntl(2) locks do not disturb each other, and every link to the file shares its lock.
#[cfg(unix)]
fn lock_target(database: File, _path: &Path) -> Result<File, Error> {
    Ok(database)
}

/// Windows locks are mandatory (SQLite could not read a file locked so): there the lock is a
/// `.lock` file beside the ledger, which a second link to the ledger does not share.
#[cfg(not(unix))]
fn lock_target(_database: File, path: &Path) -> Result<File, Error> {
    let lock = path.with_extension("lock");
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .map_err(|e| Error::file(&lock, e))
}

/// The run that holds a ledger, as its `holder` row says (`process N since T`). Read from the
/// database file alone (`immutable`): through a hard link, SQLite would look for a WAL of the
/// link's name, so the holder row is checkpointed into the file when it is written (a FULL
/// checkpoint, which waits for a reader to finish rather than leave the row in the WAL).
fn holder(path: &Path) -> Option<String> {
    let mut uri = url::Url::from_file_path(path).ok()?;
    uri.set_query(Some("immutable=1"));
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI;
    let connection = Connection::open_with_flags(uri.as_str(), flags).ok()?;
    connection
        .query_row("SELECT pid, since FROM holder WHERE id = 1", [], |r| {
            Ok(format!(
                "process {} since {}",
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?
            ))
        })
        .ok()
}

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
            return Err(Error::unusable(
                &path,
                "the ledger is empty (0 bytes), but a ledger fpgo-export wrote is never empty: it was truncated or replaced, and an empty ledger would send every order again. Restore it from a backup; only if no order was ever sent with it, delete the file and run again",
            ));
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

    fn migrate(&mut self) -> Result<(), Error> {
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
                update_of: None,
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
    /// A request is about to go out; an update names the provider's order it updates, which
    /// the record keeps from now on.
    Sending {
        key: String,
        fingerprint: String,
        source_file: String,
        rows: Vec<u32>,
        update_of: Option<String>,
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
        } => {
            let rows: Vec<String> = rows.iter().map(u32::to_string).collect();
            connection
                .prepare_cached(
                    "INSERT INTO orders (base_url, endpoint, order_key, fingerprint, state, attempts,
                                         source_file, source_rows, first_seen, updated_at, order_uuid)
                     VALUES (?1, ?2, ?3, ?4, 'sending', 1, ?5, ?6, ?7, ?7, ?8)
                     ON CONFLICT (base_url, endpoint, order_key) DO UPDATE SET
                         fingerprint = ?4, state = 'sending', attempts = attempts + 1,
                         source_file = ?5, source_rows = ?6, updated_at = ?7,
                         order_uuid = COALESCE(?8, order_uuid)",
                )?
                .execute(params![
                    scope.base_url,
                    scope.endpoint,
                    key,
                    fingerprint,
                    source_file,
                    rows.join(","),
                    stamp,
                    update_of
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
///
/// The first commit that fails (a full disk, a lost file) is the last one tried: from then on
/// every change is kept aside as unrecorded, the failure is signalled at once
/// ([`Writer::failed`]), and [`Writer::finish`] hands the unrecorded changes back so that
/// they can be shown to the user instead of being lost.
/// The longest an answer's record waits to share a sync to disk with the next request's.
pub const GROUP_COMMIT: std::time::Duration = std::time::Duration::from_millis(25);

type Queued = (Change, Option<tokio::sync::oneshot::Sender<bool>>);

pub struct Writer {
    queue: std::sync::mpsc::Sender<Queued>,
    failed: tokio::sync::watch::Receiver<Option<String>>,
    thread: std::thread::JoinHandle<Result<Ledger, Unrecorded>>,
}

/// A ledger that could not be written: why, and every change that is not on disk.
#[derive(Debug)]
pub struct Unrecorded {
    pub error: Error,
    pub changes: Vec<Change>,
}

impl Writer {
    pub fn start(mut ledger: Ledger, scope: Scope) -> Writer {
        let (queue, changes) = std::sync::mpsc::channel::<Queued>();
        let (signal, failed) = tokio::sync::watch::channel(None);
        let thread = std::thread::spawn(move || {
            use std::sync::mpsc::RecvTimeoutError;
            let mut failure: Option<Error> = None;
            let mut unrecorded: Vec<Change> = Vec::new();
            let mut batch: Vec<Queued> = Vec::new();
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
                        let urgent = change.1.is_some() || failure.is_some();
                        batch.push(change);
                        (urgent, false)
                    }
                    Err(RecvTimeoutError::Timeout) => (true, false),
                    Err(RecvTimeoutError::Disconnected) => (true, true),
                };
                if urgent && !batch.is_empty() {
                    batch.extend(changes.try_iter());
                    let list: Vec<Change> = batch.iter().map(|(c, _)| c.clone()).collect();
                    let committed = failure.is_none() && {
                        match ledger.apply(&scope, &list) {
                            Ok(()) => true,
                            Err(e) => {
                                let _ = signal.send(Some(e.to_string()));
                                failure = Some(e);
                                false
                            }
                        }
                    };
                    if !committed {
                        unrecorded.extend(list);
                    }
                    for (_, ack) in batch.drain(..) {
                        if let Some(ack) = ack {
                            let _ = ack.send(committed);
                        }
                    }
                }
                if closed {
                    break;
                }
            }
            match failure {
                Some(error) => Err(Unrecorded {
                    error,
                    changes: unrecorded,
                }),
                None => Ok(ledger),
            }
        });
        Writer {
            queue,
            failed,
            thread,
        }
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

    /// Resolves, with the reason, once a commit has failed (never, while none has).
    pub async fn failed(&self) -> String {
        let mut failed = self.failed.clone();
        loop {
            if let Some(reason) = failed.borrow_and_update().clone() {
                return reason;
            }
            if failed.changed().await.is_err() {
                // The thread is gone without a failure: nothing more will fail.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Commits what is queued and hands the ledger back; or, when a commit failed, the
    /// failure and every change that is not on disk.
    pub fn finish(self) -> Result<Ledger, Unrecorded> {
        drop(self.queue);
        self.thread.join().unwrap_or_else(|_| {
            Err(Unrecorded {
                error: Error::bug("the ledger's writer thread stopped unexpectedly"),
                changes: Vec::new(),
            })
        })
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
        let first = Ledger::open(&path).unwrap();
        assert!(first.created());
        let second = Ledger::open(&path).err().unwrap().to_string();
        let holder = format!(
            "in use by another run (process {} since",
            std::process::id()
        );
        assert!(second.contains(&holder), "{second}");
        assert!(
            !second.contains("give this run its own"),
            "never suggests a second ledger: {second}"
        );
        drop(first);
        assert!(!Ledger::open(&path).unwrap().created());
    }

    #[cfg(unix)]
    #[test]
    fn the_ledger_lock_holds_through_a_symlink_a_hard_link_and_a_deleted_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        let _first = Ledger::open(&path).unwrap();
        let symlink = dir.path().join("link.sqlite");
        std::os::unix::fs::symlink(&path, &symlink).unwrap();
        let hard = dir.path().join("hard.sqlite");
        std::fs::hard_link(&path, &hard).unwrap();
        for other in [&symlink, &hard] {
            let refused = Ledger::open(other).err().map(|e| e.to_string());
            assert!(
                refused.as_deref().is_some_and(|e| e.contains("in use")),
                "{}: {refused:?}",
                other.display()
            );
        }
        // There is no lock file to delete: whatever sits beside the ledger, it stays locked.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let entry = entry.unwrap().path();
            if entry.extension().is_some_and(|e| e == "lock") {
                std::fs::remove_file(entry).unwrap();
            }
        }
        assert!(Ledger::open(&path).is_err());
    }

    #[test]
    fn a_zero_byte_ledger_is_refused_not_started_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        std::fs::write(&path, b"").unwrap();
        let refused = Ledger::open(&path).err().unwrap().to_string();
        assert!(refused.contains("empty (0 bytes)"), "{refused}");
        assert!(refused.contains("Restore it from a backup"), "{refused}");
    }

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
        let ledger = Ledger::open(&path).unwrap();
        let scope = Scope {
            base_url: "http://localhost:8080/api/v1".into(),
            endpoint: "invoice-session".into(),
        };
        let record = ledger.get(&scope, "\u{c5}-1").unwrap().unwrap();
        assert_eq!(record.order_uuid.as_deref(), Some("ODR1"));
    }
}
