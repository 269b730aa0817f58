//! Formatting on both cores: a file's text is made a block of rows at a time on worker
//! threads and written in the blocks' order. Each block's input is gathered on the caller's
//! thread (it reads the sheet, which is read in file order); a few blocks are in flight at
//! most, and blocks and texts are reused, so memory stays a few blocks' worth whatever the
//! file's size.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc;

/// Worker threads.
const WORKERS: usize = 2;
/// Blocks handed out and not yet written, at most, per worker.
const IN_FLIGHT: usize = 2;

/// Fills blocks with `fill` (false: no more) and formats each with `format` on a worker,
/// writing the texts to `out` in the order of the blocks. Blocks and texts are reused once
/// written: a file of any size allocates a few of each.
pub fn write<B: Send + Default>(
    mut fill: impl FnMut(&mut B) -> bool,
    format: impl Fn(&B, &mut Vec<u8>) + Sync,
    out: &mut dyn Write,
) -> io::Result<()> {
    std::thread::scope(|scope| {
        let format = &format;
        // Per worker: its blocks in, each back with its text, the text's buffer back to it.
        let mut workers = Vec::with_capacity(WORKERS);
        for _ in 0..WORKERS {
            let (give, given) = mpsc::sync_channel::<B>(IN_FLIGHT);
            let (done, made) = mpsc::channel::<(B, Vec<u8>)>();
            let (spare, spares) = mpsc::channel::<Vec<u8>>();
            scope.spawn(move || {
                for block in given {
                    let mut text = spares.try_recv().unwrap_or_default();
                    text.clear();
                    format(&block, &mut text);
                    // The caller is gone (it could not write): the rest is not needed.
                    if done.send((block, text)).is_err() {
                        break;
                    }
                }
            });
            workers.push((give, made, spare));
        }
        // The worker of each block handed out and not yet written, oldest first; the blocks
        // written, to be filled again.
        let mut waiting: VecDeque<usize> = VecDeque::new();
        let mut free: Vec<B> = Vec::new();
        let mut write_oldest = |waiting: &mut VecDeque<usize>, free: &mut Vec<B>| {
            let Some(w) = waiting.pop_front() else {
                return Ok(());
            };
            let (_, made, spare) = &workers[w];
            let (block, text) = made.recv().map_err(|_| stopped())?;
            out.write_all(&text)?;
            let _ = spare.send(text);
            free.push(block);
            io::Result::Ok(())
        };
        for k in 0.. {
            if waiting.len() >= WORKERS * IN_FLIGHT {
                write_oldest(&mut waiting, &mut free)?;
            }
            let mut block = free.pop().unwrap_or_default();
            if !fill(&mut block) {
                break;
            }
            let w = k % WORKERS;
            workers[w].0.send(block).map_err(|_| stopped())?;
            waiting.push_back(w);
        }
        while !waiting.is_empty() {
            write_oldest(&mut waiting, &mut free)?;
        }
        Ok(())
    })
}

fn stopped() -> io::Error {
    io::Error::other("a thread making the file stopped")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_written_in_order() {
        // Uneven work, so that the workers finish out of order.
        let line = |k: u32| format!("{k};").repeat(if k.is_multiple_of(3) { 2000 } else { 1 });
        for n in [0, 1, 2, 5, 1000] {
            let mut out = Vec::new();
            let mut next = 0..n;
            write(
                |block: &mut u32| next.next().map(|k| *block = k).is_some(),
                |&k: &u32, text: &mut Vec<u8>| {
                    text.extend_from_slice(line(k).as_bytes());
                    text.push(b'\n');
                },
                &mut out,
            )
            .unwrap();
            let written: Vec<String> = String::from_utf8(out)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect();
            let expected: Vec<String> = (0..n).map(line).collect();
            assert_eq!(written, expected, "{n} blocks");
        }
    }

    #[test]
    fn a_write_that_fails_ends_the_workers() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut next = 0..10_000;
        let error = write(
            |block: &mut i32| next.next().map(|k| *block = k).is_some(),
            |k: &i32, t: &mut Vec<u8>| t.push(*k as u8),
            &mut Broken,
        )
        .err()
        .unwrap();
        assert_eq!(error.to_string(), "disk full");
    }
}
