//! `fpgo-export check`: the offline pipeline, its result file, the payload dump (written on a
//! thread of its own) and the summary.

use crate::api::wire;
use crate::cli::CheckArgs;
use crate::error::Error;
use crate::exit;
use crate::model::order::Order;
use crate::model::{DateFormat, Endpoint};
use crate::pipeline;
use crate::report::{self, AtomicFile};
use crate::settings::Settings;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender};
use std::thread::JoinHandle;

/// Checks a sheet: result file, payloads on request, summary; exit 0 or 1.
pub fn run(args: &CheckArgs) -> Result<i32, Error> {
    let settings = Settings::resolve(&args.sheet)?;
    crate::refuse_to_overwrite_inputs(&settings, &[("--payloads", args.payloads.as_deref())])?;
    report::check_writable(&settings.output, report::Output::Result)?;
    let mut payloads = match &args.payloads {
        Some(path) => Some(Payloads::start(path, &settings)?),
        None => None,
    };
    let checked = pipeline::check(&settings, |_, order| match payloads.as_mut() {
        Some(payloads) => payloads.write(order),
        None => Ok(()),
    })?;
    let payloads = payloads.map(Payloads::finish).transpose()?;
    report::write_result(&checked, &settings.output)?;
    if let Some(file) = payloads {
        file.commit()?;
    }
    let mut stderr = std::io::stderr().lock();
    // A closed stderr must not turn a finished run into a failure.
    let _ = report::summary::print_human(
        &checked,
        &settings,
        None,
        report::summary::Paint::stderr(),
        &mut stderr,
    );
    if settings.json {
        report::stdout_line(&report::summary::json(&checked, &settings, None).to_string());
    }
    Ok(if checked.valid_orders() == checked.orders.len() {
        exit::OK
    } else {
        exit::SOME_FAILED
    })
}

/// The payload dump (`--payloads`), written on a thread of its own while the check goes on:
/// the valid orders go to it as they are found, in order, a batch at a time (a thread woken
/// for every order costs more than its line).
struct Payloads {
    path: PathBuf,
    /// The orders not yet handed over.
    batch: Vec<Order>,
    /// `None` once finished.
    orders: Option<SyncSender<Vec<Order>>>,
    thread: Option<JoinHandle<std::io::Result<AtomicFile>>>,
}

/// Orders handed to the payload thread at a time.
const BATCH: usize = 64;

impl Payloads {
    fn start(path: &Path, settings: &Settings) -> Result<Payloads, Error> {
        let mut file = AtomicFile::create(path)?;
        let (endpoint, format) = (settings.rules.endpoint, settings.date_format);
        let (orders, given) = mpsc::sync_channel::<Vec<Order>>(4);
        let thread = std::thread::spawn(move || {
            // One buffer for every line: `{"order_ref":…,"rows":[…],"payload":{…}}`.
            let mut line = Vec::with_capacity(4096);
            for order in given.iter().flatten() {
                line.clear();
                payload_line(&order, (endpoint, format), &mut line);
                file.writer.write_all(&line)?;
            }
            Ok(file)
        });
        Ok(Payloads {
            path: path.to_path_buf(),
            batch: Vec::with_capacity(BATCH),
            orders: Some(orders),
            thread: Some(thread),
        })
    }

    fn write(&mut self, order: Order) -> Result<(), Error> {
        self.batch.push(order);
        if self.batch.len() < BATCH {
            return Ok(());
        }
        self.hand_over()
    }

    fn hand_over(&mut self) -> Result<(), Error> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        match self.orders.as_ref().map(|o| o.send(batch).is_ok()) {
            Some(true) => Ok(()),
            // The thread stopped, at a write that failed: its error is the answer.
            _ => self.end().map(drop),
        }
    }

    /// Every payload written; back comes the file, to be committed.
    fn finish(mut self) -> Result<AtomicFile, Error> {
        if !self.batch.is_empty() {
            self.hand_over()?;
        }
        self.end()
    }

    fn end(&mut self) -> Result<AtomicFile, Error> {
        self.orders = None;
        let stopped = || std::io::Error::other("the thread writing the payloads stopped");
        let written = match self.thread.take().map(JoinHandle::join) {
            Some(Ok(written)) => written,
            _ => Err(stopped()),
        };
        written.map_err(|e| Error::file(&self.path, e))
    }
}

impl Drop for Payloads {
    /// Not finished (the check failed): the thread ends, and its file is removed, before the
    /// run does.
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.end();
        }
    }
}

/// An order's line of the payload dump, written straight into `out`: the same bytes as
/// serialising `{"order_ref", "rows", "payload"}` as a JSON object, then a line break.
fn payload_line(order: &Order, (endpoint, format): (Endpoint, DateFormat), out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"order_ref\":");
    // Strings and numbers into a Vec: nothing here can fail.
    let _ = serde_json::to_writer(&mut *out, &order.key);
    out.extend_from_slice(b",\"rows\":[");
    for (i, line) in order.lines.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(out, "{}", line.row);
    }
    out.extend_from_slice(b"],\"payload\":");
    wire::write_body(order, endpoint, format, None, out);
    out.extend_from_slice(b"}\n");
}
