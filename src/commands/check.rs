//! `fpgo-export check`: the offline pipeline, its result file, the payload dump (written on a
//! thread of its own) and the summary.

use crate::api::wire;
use crate::cli::CheckArgs;
use crate::error::Error;
use crate::exit;
use crate::model::order::Order;
use crate::model::{DateFormat, Endpoint};
use crate::pipeline;
use crate::pipeline::worker::{Worker, BATCH};
use crate::report::{self, AtomicFile};
use crate::settings::Settings;
use std::io::Write;
use std::path::Path;

/// Checks a sheet: result file, payloads on request, summary; exit 0 or 1.
pub fn run(args: &CheckArgs) -> Result<i32, Error> {
    let settings = Settings::resolve(&args.sheet)?;
    crate::refuse_to_overwrite_inputs(&settings, &[("--payloads", args.payloads.as_deref())])?;
    report::check_writable(&settings.output, report::Output::Result)?;
    let mut payloads = match &args.payloads {
        Some(path) => Some(payloads(path, &settings)?),
        None => None,
    };
    let checked = pipeline::check(&settings, |_, order| match payloads.as_mut() {
        Some(payloads) => payloads.push(order),
        None => Ok(()),
    })?;
    let payloads = payloads.map(Worker::finish).transpose()?;
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
/// the valid orders go to it as they are found, in order.
fn payloads(path: &Path, settings: &Settings) -> Result<Worker<Order, AtomicFile>, Error> {
    let file = AtomicFile::create(path)?;
    let (endpoint, format) = (settings.rules.endpoint, settings.date_format);
    let path = path.to_path_buf();
    // One buffer for every line: `{"order_ref":…,"rows":[…],"payload":{…}}`.
    let mut line = Vec::with_capacity(4096);
    Ok(Worker::start(
        BATCH,
        file,
        move |file: &mut AtomicFile, order| {
            line.clear();
            payload_line(&order, (endpoint, format), &mut line);
            file.writer
                .write_all(&line)
                .map_err(|e| Error::file(&path, e))
        },
    ))
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
