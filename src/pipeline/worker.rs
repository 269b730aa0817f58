//! A thread that takes over work the check hands it item by item (each valid order's payload
//! line, each order made ready to send), so that the check's own thread goes on reading rows.
//! Items go over in batches (a thread woken for each costs more than most items), in the
//! order given, folded into the worker's state; the first error ends the worker and is the
//! answer of the next hand-over or of [`Worker::finish`].

use crate::error::Error;
use std::sync::mpsc::{self, SyncSender};
use std::thread::JoinHandle;

/// Items handed over at a time.
const BATCH: usize = 64;
/// Batches waiting for the worker, at most.
const WAITING: usize = 4;

pub struct Worker<T: Send + 'static, S: Send + 'static> {
    /// The items not yet handed over.
    batch: Vec<T>,
    /// `None` once the worker is told to end.
    items: Option<SyncSender<Vec<T>>>,
    thread: Option<JoinHandle<Result<S, Error>>>,
}

impl<T: Send + 'static, S: Send + 'static> Worker<T, S> {
    /// Starts the thread: `fold` takes each item into `state`.
    pub fn start(
        mut state: S,
        mut fold: impl FnMut(&mut S, T) -> Result<(), Error> + Send + 'static,
    ) -> Self {
        let (items, given) = mpsc::sync_channel::<Vec<T>>(WAITING);
        let thread = std::thread::spawn(move || {
            for item in given.iter().flatten() {
                fold(&mut state, item)?;
            }
            Ok(state)
        });
        Worker {
            batch: Vec::with_capacity(BATCH),
            items: Some(items),
            thread: Some(thread),
        }
    }

    pub fn push(&mut self, item: T) -> Result<(), Error> {
        self.batch.push(item);
        if self.batch.len() < BATCH {
            return Ok(());
        }
        self.hand_over()
    }

    fn hand_over(&mut self) -> Result<(), Error> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        match self.items.as_ref().map(|i| i.send(batch).is_ok()) {
            Some(true) => Ok(()),
            // The worker stopped, at an error: that is the answer.
            _ => self.end().map(drop),
        }
    }

    /// Every item folded in; back comes the state.
    pub fn finish(mut self) -> Result<S, Error> {
        if !self.batch.is_empty() {
            self.hand_over()?;
        }
        self.end()
    }

    fn end(&mut self) -> Result<S, Error> {
        self.items = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(done)) => done,
            Some(Err(_)) => Err(Error::bug("a worker thread of the check panicked")),
            None => Err(Error::bug("a worker thread of the check was asked twice")),
        }
    }
}

impl<T: Send + 'static, S: Send + 'static> Drop for Worker<T, S> {
    /// Not finished (the check failed): the thread ends, and drops its state (a file being
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
            let mut worker = Worker::start(Vec::new(), |seen: &mut Vec<usize>, i| {
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
        let mut worker = Worker::start(0, |count: &mut usize, i: usize| {
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
        let mut worker = Worker::start((), |_: &mut (), _: usize| Err(Error::usage("no")));
        worker.push(1).unwrap();
        assert_eq!(worker.finish().err().unwrap().to_string(), "no");
    }
}
