//! What happens while orders are sent, as typed events: the send loop emits them and never
//! prints; the progress display, the verbose log and any other front end (a browser page) each
//! read the same stream.

use super::outcome::Sent;
use std::time::Duration;

/// What happens while sending, as it happens. The send loop only emits these; the progress
/// bar, the periodic lines, the verbose log (`report::progress`) and any other front end each
/// read them.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A request for this order is out (its `sending` record is on disk).
    Requested {
        key: String,
        attempt: u32,
        update_of: Option<String>,
    },
    /// An answer came, or its absence was decided: the HTTP status or why none came.
    Answered {
        key: String,
        status: String,
        took: Duration,
    },
    /// The order is tried again after this wait.
    Retrying {
        key: String,
        reason: String,
        wait: Duration,
    },
    /// The provider asked every request to wait (429); `note` says what was wrong with its
    /// `Retry-After`, if anything.
    Waiting {
        wait: Duration,
        note: Option<String>,
    },
    /// What became of the order in this run: final.
    Finished { key: String, sent: Sent },
    /// No new requests from now on, and why; `in_flight` requests are still let finish.
    Stopping { why: String, in_flight: usize },
}
