//! Cancelling orders at the provider ("Cancel Order"), one at a time at the pace of
//! [`Pacer`]; what the provider said is recorded in the ledger's status history (`CANCELLED`,
//! or `PAID` when it refused because the order is paid). Never prints, never exits.

use super::ledger::{Known, Ledger, Scope, Seen, SeenBy};
use super::pace::Pacer;
use crate::api::client::Client;
use crate::api::outcome::{classify_cancel, Cancelled, Outcome};
use crate::api::wire::{cancel_body, cancel_path};
use crate::error::Error;
use std::time::Duration;

/// One order to cancel: its id, and the ledger's record of it (none with `--force`).
pub struct Target {
    pub order_uuid: String,
    pub known: Option<Known>,
}

/// What became of one cancellation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cancellation {
    Cancelled,
    AlreadyCancelled,
    /// Paid: the provider does not cancel it.
    AlreadyPaid,
    NotFound,
    Failed(String),
}

impl Cancellation {
    /// The word in reports and the JSON summary.
    pub fn name(&self) -> &'static str {
        match self {
            Cancellation::Cancelled => "cancelled",
            Cancellation::AlreadyCancelled => "already_cancelled",
            Cancellation::AlreadyPaid => "already_paid",
            Cancellation::NotFound => "not_found",
            Cancellation::Failed(_) => "failed",
        }
    }

    /// What became of it, as the user is told.
    pub fn said(&self) -> String {
        match self {
            Cancellation::Cancelled => "cancelled".to_string(),
            Cancellation::AlreadyCancelled => "was already cancelled".to_string(),
            Cancellation::AlreadyPaid => {
                "not cancelled: the order is paid (orderStatusAlreadyPaid); refund it instead"
                    .to_string()
            }
            Cancellation::NotFound => "not cancelled: the provider has no such order (404)".into(),
            Cancellation::Failed(why) => format!("not cancelled: {why}"),
        }
    }

    /// The order is cancelled now, whoever cancelled it.
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            Cancellation::Cancelled | Cancellation::AlreadyCancelled
        )
    }
}

/// What the cancellations did; `refused` when the token was refused (the rest not asked).
pub struct Report {
    pub results: Vec<Cancellation>,
    pub refused: bool,
}

/// Cancels each order with the note, recording each outcome before the next request.
pub async fn cancel(
    ledger: &mut Ledger,
    scope: &Scope,
    client: &Client,
    targets: &[Target],
    note: &str,
    rate: u32,
    max_wait: Duration,
) -> Result<Report, Error> {
    let mut pacer = Pacer::new(rate, max_wait);
    let mut report = Report {
        results: Vec::new(),
        refused: false,
    };
    let body = cancel_body(note);
    for target in targets {
        if report.refused {
            report.results.push(Cancellation::Failed(
                "not asked: the provider refused the token".into(),
            ));
            continue;
        }
        let Some(path) = cancel_path(&target.order_uuid) else {
            report.results.push(Cancellation::Failed(
                "not an order id the provider gives".into(),
            ));
            continue;
        };
        let result = loop {
            pacer.ready().await;
            let answer = client.post(&path, body.clone()).await;
            if let Ok(a) = &answer {
                pacer.remaining(a.remaining);
            }
            break match classify_cancel(answer, chrono::Utc::now().timestamp()) {
                Cancelled::Cancelled => Cancellation::Cancelled,
                Cancelled::AlreadyCancelled => Cancellation::AlreadyCancelled,
                Cancelled::AlreadyPaid => Cancellation::AlreadyPaid,
                Cancelled::NotFound => Cancellation::NotFound,
                Cancelled::Other(Outcome::Wait(wait, _)) if pacer.hold(wait) => continue,
                Cancelled::Other(Outcome::Refused(why)) => {
                    report.refused = true;
                    Cancellation::Failed(why)
                }
                Cancelled::Other(other) => Cancellation::Failed(describe(other)),
            };
        };
        let seen = match result {
            Cancellation::Cancelled | Cancellation::AlreadyCancelled => Some("CANCELLED"),
            Cancellation::AlreadyPaid => Some("PAID"),
            _ => None,
        };
        if let (Some(status), Some(known)) = (seen, &target.known) {
            let seen = Seen::Status {
                status: status.into(),
                amount: None,
            };
            ledger.record_status(scope, &known.key, &known.order_uuid, &seen, SeenBy::Cancel)?;
        }
        report.results.push(result);
    }
    Ok(report)
}

/// An answer that is none of the cancellation's own, in words. A request that may have
/// reached the provider is not sent again: `status` tells whether it was cancelled.
fn describe(outcome: Outcome) -> String {
    match outcome {
        Outcome::Rejected(messages) => messages.join("; "),
        Outcome::Wait(wait, _) => format!(
            "the provider kept answering 429 (too many requests; it asked to wait {} s more than this run may)",
            wait.as_secs()
        ),
        Outcome::Uncertain(why) => {
            format!("{why}; the order may be cancelled: `fpgo-export status` tells")
        }
        Outcome::Refused(why)
        | Outcome::Redirected(why)
        | Outcome::Retry(why)
        | Outcome::Unreachable(why)
        | Outcome::Failed(why) => why,
        Outcome::Created(_) => "the provider's answer was not a cancellation".into(),
    }
}
