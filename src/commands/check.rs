//! `fpgo-export check`: the offline pipeline, its result file, the payload dump and the summary.

use crate::api::wire;
use crate::cli::CheckArgs;
use crate::error::Error;
use crate::exit;
use crate::pipeline;
use crate::report::{self, AtomicFile};
use crate::settings::Settings;
use std::io::Write;

/// Checks a sheet: result file, payloads on request, summary; exit 0 or 1.
pub fn run(args: &CheckArgs) -> Result<i32, Error> {
    let settings = Settings::resolve(&args.sheet)?;
    crate::refuse_to_overwrite_inputs(&settings, &[("--payloads", args.payloads.as_deref())])?;
    report::check_writable(&settings.output, report::Output::Result)?;
    let mut payloads = match &args.payloads {
        Some(path) => Some((path, AtomicFile::create(path)?)),
        None => None,
    };
    let checked = pipeline::check(&settings, |_, order| {
        if let Some((path, file)) = payloads.as_mut() {
            let line = serde_json::json!({
                "order_ref": order.key,
                "rows": order.rows(),
                "payload": wire::body(order, settings.rules.endpoint, settings.date_format, None),
            });
            serde_json::to_writer(&mut file.writer, &line)
                .map_err(std::io::Error::from)
                .and_then(|_| file.writer.write_all(b"\n"))
                .map_err(|e| Error::file(path, e))?;
        }
        Ok(())
    })?;
    report::write_result(&checked, &settings.output)?;
    if let Some((_, file)) = payloads {
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
