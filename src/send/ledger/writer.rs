//! The ledger's writer thread: while orders are sent, changes are committed in batches on a
//! thread of their own, and a failed commit is signalled at once and never lost.

use super::{Change, Ledger, Scope};
use crate::error::Error;

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
                            Ok(()) => {
                                tracing::debug!("ledger: {} change(s) committed", list.len());
                                true
                            }
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
