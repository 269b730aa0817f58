//! Reading ahead on the second core: a walk's rows are read and parsed on a thread of their
//! own, a batch at a time, while the visitor works through the batch before. The visitor sees
//! the same rows in the same order as a walk on its own thread would show it, and a visitor
//! that stops stops the reading too. A row goes into its batch by a swap with a row of an
//! earlier batch (the walk fills that one next), and batches go back to the reader to be
//! filled again: nothing is copied, and a walk allocates a few batches' cells, not one per row.

use super::Row;
use std::ops::ControlFlow;
use std::sync::mpsc;

/// Rows in a batch.
const BATCH: usize = 256;
/// Batches read ahead of the visitor, at most.
const AHEAD: usize = 4;

/// A walk: shows rows to its visitor until the rows end or the visitor breaks; the visitor
/// may take a row by swapping it for another, every field of which the walk sets again.
pub type Walk<'a> = dyn FnOnce(&mut dyn FnMut(&mut Row) -> ControlFlow<()>) + Send + 'a;

/// Runs `walk` on a thread of its own and shows its rows to `visit` on this one.
pub fn visit(walk: Box<Walk<'_>>, visit: &mut dyn FnMut(&Row) -> ControlFlow<()>) {
    visit_in(walk, visit, BATCH);
}

fn visit_in(walk: Box<Walk<'_>>, visit: &mut dyn FnMut(&Row) -> ControlFlow<()>, batch: usize) {
    let (full, filled) = mpsc::sync_channel::<Vec<Row>>(AHEAD);
    let (back, emptied) = mpsc::channel::<Vec<Row>>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut rows: Vec<Row> = Vec::with_capacity(batch);
            let mut used = 0;
            walk(&mut |row| {
                match rows.get_mut(used) {
                    Some(slot) => std::mem::swap(slot, row),
                    None => rows.push(row.clone()),
                }
                used += 1;
                if used < batch {
                    return ControlFlow::Continue(());
                }
                let next = emptied.try_recv().unwrap_or_default();
                used = 0;
                // The visitor is gone (it stopped): so is the walk.
                match full.send(std::mem::replace(&mut rows, next)) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(_) => ControlFlow::Break(()),
                }
            });
            rows.truncate(used);
            if !rows.is_empty() {
                let _ = full.send(rows);
            }
        });
        // Owned here, so that a visitor that stops drops it (the reader then ends at its next
        // batch) before the scope waits for the reader.
        let filled = filled;
        for rows in filled.iter() {
            for row in &rows {
                if visit(row).is_break() {
                    return;
                }
            }
            let _ = back.send(rows);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::read::Cell;

    fn rows(n: u32) -> Vec<Row> {
        (1..=n)
            .map(|number| Row {
                number,
                // Rows of different widths and kinds of cells, so that slots are reused for
                // rows unlike the one before.
                cells: (0..number % 5)
                    .map(|c| match (number + c) % 3 {
                        0 => Cell::Empty,
                        1 => Cell::Text(format!("r{number}c{c}")),
                        _ => Cell::Number(f64::from(number)),
                    })
                    .collect(),
                span: (number % 2 == 0).then_some((number as usize, number as usize + 3)),
                flaw: None,
            })
            .collect()
    }

    #[test]
    fn the_visitor_sees_every_row_in_order() {
        for (n, batch) in [(0, 3), (1, 3), (9, 3), (10, 3), (1000, 7), (1000, BATCH)] {
            let all = rows(n);
            let source = all.clone();
            let mut seen = Vec::new();
            visit_in(
                Box::new(move |visit| {
                    // One row's buffers for every row, as a real walk does.
                    let mut row = Row {
                        number: 0,
                        cells: Vec::new(),
                        span: None,
                        flaw: None,
                    };
                    for next in &source {
                        row.clone_from(next);
                        if visit(&mut row).is_break() {
                            break;
                        }
                    }
                }),
                &mut |row| {
                    seen.push(row.clone());
                    ControlFlow::Continue(())
                },
                batch,
            );
            assert_eq!(seen, all, "{n} rows in batches of {batch}");
        }
    }

    #[test]
    fn a_visitor_that_stops_stops_the_walk() {
        let source = rows(100_000);
        let read = std::sync::atomic::AtomicUsize::new(0);
        let mut seen = 0;
        visit_in(
            Box::new(|visit| {
                for row in &source {
                    read.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if visit(&mut row.clone()).is_break() {
                        break;
                    }
                }
            }),
            &mut |row| {
                seen += 1;
                if row.number == 25 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
            10,
        );
        assert_eq!(seen, 25);
        // The reader stops a few batches ahead at most.
        assert!(read.into_inner() <= 10 * (AHEAD + 4), "read on");
    }
}
