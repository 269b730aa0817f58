//! A thread that takes over work handed to it item by item, so that the thread handing it
//! goes on: each valid order's payload line and each order made ready to send (the check's
//! thread goes on reading rows), each full buffer of an output file (the run goes on making
//! the next). Items go over in batches (a thread woken for each costs more than most items),
//! in the order given, folded into the worker's state; the first error ends the worker and is
//! the answer of the next hand-over or of [`Worker::finish`].

use crate::error::Error;
use std::sync::mpsc::{self, SyncSender};
use std::thread::JoinHandle;

/// Items handed over at a time, for items as small as an order.
pub const BATCH: usize = 64;
/// Batches waiting for the worker, at most: memory stays a few batches' worth.
const WAITING: usize = 4;

/// A worker that stopped without its own error: its thread panicked, or it was asked again
/// after it ended.
pub struct Stopped;

impl From<Stopped> for Error {
    fn from(_: Stopped) -> Error {
        Error::bug("a worker thread stopped")
    }
}

impl From<Stopped> for std::io::Error {
    fn from(_: Stopped) -> std::io::Error {
        std::io::Error::other("the thread writing the file stopped")
    }
}

pub struct Worker<T: Send + 'static, S: Send + 'static, E: From<Stopped> + Send + 'static = Error> {
    /// Items handed over at a time.
    size: usize,
    /// The items not yet handed over.
    batch: Vec<T>,
    /// `None` once the worker is told to end.
    items: Option<SyncSender<Vec<T>>>,
    thread: Option<JoinHandle<Result<S, E>>>,
}

impl<T: Send + 'static, S: Send + 'static, E: From<Stopped> + Send + 'static> Worker<T, S, E> {
    /// Starts the thread: `fold` takes each item into `state`; items go over `size` at a time.
    pub fn start(
        size: usize,
        mut state: S,
        mut fold: impl FnMut(&mut S, T) -> Result<(), E> + Send + 'static,
    ) -> Self {
        let size = size.max(1);
        let (items, given) = mpsc::sync_channel::<Vec<T>>(WAITING);
        let thread = std::thread::spawn(move || {
            for item in given.iter().flatten() {
                fold(&mut state, item)?;
            }
            Ok(state)
        });
        Worker {
            size,
            batch: Vec::with_capacity(size),
            items: Some(items),
            thread: Some(thread),
        }
    }

    pub fn push(&mut self, item: T) -> Result<(), E> {
        self.batch.push(item);
        if self.batch.len() < self.size {
            return Ok(());
        }
        self.hand_over()
    }

    fn hand_over(&mut self) -> Result<(), E> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.size));
        match self.items.as_ref().map(|i| i.send(batch).is_ok()) {
            Some(true) => Ok(()),
            // The worker stopped, at an error: that is the answer.
            _ => self.end().map(drop),
        }
    }

    /// Every item folded in; back comes the state.
    pub fn finish(mut self) -> Result<S, E> {
        if !self.batch.is_empty() {
            self.hand_over()?;
        }
        self.end()
    }

    fn end(&mut self) -> Result<S, E> {
        self.items = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(done)) => done,
            _ => Err(Stopped.into()),
        }
    }
}

impl<T: Send + 'static, S: Send + 'static, E: From<Stopped> + Send + 'static> Drop
    for Worker<T, S, E>
{
    /// Not finished (the run failed): the thread ends, and drops its state (a file being
    /// written is removed), before the run does.
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_folded_in_order() {
        for n in [0, 1, BATCH - 1, BATCH, 10 * BATCH + 3] {
            let mut worker: Worker<_, _> =
                Worker::start(BATCH, Vec::new(), |seen: &mut Vec<usize>, i| {
                    seen.push(i);
                    Ok(())
                });
            for i in 0..n {
                worker.push(i).unwrap();
            }
            assert_eq!(worker.finish().unwrap(), (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_first_error_is_the_answer() {
        let mut worker = Worker::start(BATCH, 0, |count: &mut usize, i: usize| {
            *count += 1;
            if i == 100 {
                Err(Error::usage("item 100 is wrong"))
            } else {
                Ok(())
            }
        });
        let failed = (0..100_000).find_map(|i| worker.push(i).err());
        assert_eq!(failed.unwrap().to_string(), "item 100 is wrong");
        // Failing at the last items: the finish says so.
        let mut worker = Worker::start(BATCH, (), |_: &mut (), _: usize| Err(Error::usage("no")));
        worker.push(1).unwrap();
        assert_eq!(worker.finish().err().unwrap().to_string(), "no");
    }
}
