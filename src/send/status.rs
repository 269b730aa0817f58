//! Asking the provider what became of the orders the ledger holds as created ("Order
//! status"), one at a time at the pace of [`Pacer`], each answer recorded in the ledger as it
//! comes; a ledger that cannot record one stops asking at once and hands that answer back
//! ([`NotRecorded`]). Orders in a final state are not asked again unless asked to. Never
//! prints, never exits.

use super::ledger::{Known, Ledger, Scope, Seen, SeenBy};
use super::pace::Pacer;
use crate::api::client::Client;
use crate::api::outcome::{classify_status, Outcome, Read};
use crate::api::wire::status_path;
use crate::error::Error;
use std::time::Duration;

/// The statuses after which an order changes no more: not asked again without `--all`.
/// (`PAID` may still be refunded, `PARTIAL REFUNDED` refunded further.)
pub const FINAL: [&str; 3] = ["CANCELLED", "EXPIRED", "REFUNDED"];

/// Whether a status is final, compared case-insensitively.
pub fn is_final(status: &str) -> bool {
    FINAL.iter().any(|f| f.eq_ignore_ascii_case(status.trim()))
}

/// How to ask.
#[derive(Clone, Debug)]
pub struct Options {
    /// Requests per minute.
    pub rate: u32,
    /// The most time the provider's 429s may hold the run, all together.
    pub max_wait: Duration,
    /// Attempts per order when the provider fails (5xx) or cannot be reached.
    pub attempts: u32,
    /// The first retry's wait; each next one twice as long.
    pub retry_base: Duration,
}

impl Options {
    /// Asking at `rate` a minute, 429s waited out up to `max_wait`, 3 attempts per order.
    pub fn at(rate: u32, max_wait: Duration) -> Options {
        Options {
            rate,
            max_wait,
            attempts: 3,
            retry_base: Duration::from_millis(500),
        }
    }
}

/// What became of one order's ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Asked {
    /// Its status was read; `changed` when it differs from the one the ledger knew.
    Read { changed: bool },
    /// The provider answered 404.
    NotFound,
    /// No status was read, and why.
    Failed(String),
}

/// Why asking stopped before every order was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// 401/403: the token was refused.
    Refused(String),
    /// Anything else that makes asking further pointless (429s past the budget, a provider
    /// that nothing answers for, a redirect).
    Gave(String),
}

/// What a run of asks did.
#[derive(Debug)]
pub struct Report {
    /// One per order asked, in the order given.
    pub asked: Vec<Asked>,
    pub requests: u64,
    pub stop: Option<Stop>,
}

/// The ledger could not record an answer: asking stopped at once (the orders asked before it
/// are recorded). The answer it lacks, for the front end to say.
#[derive(Debug)]
pub struct NotRecorded {
    pub error: Error,
    /// The order's key and the provider's id of it.
    pub key: String,
    pub order_uuid: String,
    /// What the provider said of it.
    pub seen: Seen,
}

/// The orders to ask: every one not in a final state, or all of them.
pub fn to_ask(orders: &[Known], all: bool) -> Vec<usize> {
    (0..orders.len())
        .filter(|&i| all || !orders[i].status.as_deref().is_some_and(is_final))
        .collect()
}

/// Asks the provider the status of each order and records every answer in the ledger
/// before asking the next; `progress` hears of each order done (how many so far).
pub async fn ask(
    ledger: &mut Ledger,
    scope: &Scope,
    client: &Client,
    orders: &[&Known],
    options: &Options,
    mut progress: impl FnMut(usize),
) -> Result<Report, Box<NotRecorded>> {
    let mut run = Asking {
        pacer: Pacer::new(options.rate, options.max_wait),
        options,
        report: Report {
            asked: Vec::with_capacity(orders.len()),
            requests: 0,
            stop: None,
        },
        answered_once: false,
        unreachable_in_a_row: 0,
    };
    for order in orders {
        if let Some(stop) = &run.report.stop {
            let why = match stop {
                Stop::Refused(why) | Stop::Gave(why) => why,
            };
            run.report
                .asked
                .push(Asked::Failed(format!("not asked: {why}")));
            continue;
        }
        let Some(path) = status_path(&order.order_uuid) else {
            run.report.asked.push(Asked::Failed(format!(
                "the ledger's order id {:?} is not one the provider gives; not asked",
                order.order_uuid
            )));
            continue;
        };
        let asked = match run.read(client, &path).await {
            Ok(seen) => {
                let recorded = ledger.record_status(
                    scope,
                    &order.key,
                    &order.order_uuid,
                    &seen,
                    SeenBy::Status,
                );
                let changed = match recorded {
                    Ok(changed) => changed,
                    Err(error) => {
                        return Err(Box::new(NotRecorded {
                            error,
                            key: order.key.clone(),
                            order_uuid: order.order_uuid.clone(),
                            seen,
                        }))
                    }
                };
                match seen {
                    Seen::NotFound => Asked::NotFound,
                    Seen::Status { .. } => Asked::Read { changed },
                }
            }
            Err(asked) => asked,
        };
        run.report.asked.push(asked);
        progress(run.report.asked.len());
    }
    Ok(run.report)
}

/// What asking carries from one order to the next.
struct Asking<'a> {
    pacer: Pacer,
    options: &'a Options,
    report: Report,
    /// The provider has answered at least once: being unreachable since is not a reason to
    /// give up on the run.
    answered_once: bool,
    unreachable_in_a_row: u32,
}

/// What to do after an answer that is neither a status nor a 404.
enum Next {
    /// Ask again at once, as the same attempt.
    Again,
    /// Ask again after a wait, if attempts are left; else fail with this.
    Retry(String),
    /// Stop asking about this order.
    Done(Asked),
}

impl Asking<'_> {
    /// Asks about one order until the provider gives its status or a 404, or asking about
    /// it is over: then `Err` with what became of it.
    async fn read(&mut self, client: &Client, path: &str) -> Result<Seen, Asked> {
        let mut attempt = 0;
        loop {
            self.pacer.ready().await;
            attempt += 1;
            self.report.requests += 1;
            let answer = client.get(path).await;
            if let Ok(a) = &answer {
                self.answered_once = true;
                self.unreachable_in_a_row = 0;
                self.pacer.remaining(a.remaining);
            }
            let outcome = match classify_status(answer, chrono::Utc::now().timestamp()) {
                Read::Status { status, amount } => return Ok(Seen::Status { status, amount }),
                Read::NotFound => return Ok(Seen::NotFound),
                Read::Other(outcome) => outcome,
            };
            match self.settle(outcome) {
                Next::Again => attempt -= 1,
                Next::Retry(_) if attempt < self.options.attempts => {
                    let wait = self.options.retry_base * 2u32.pow(attempt.saturating_sub(1).min(6));
                    tokio::time::sleep(wait).await;
                }
                Next::Retry(why) => return Err(Asked::Failed(why)),
                Next::Done(asked) => return Err(asked),
            }
        }
    }

    /// What an answer other than a status or a 404 means for this order and the run.
    fn settle(&mut self, outcome: Outcome) -> Next {
        match outcome {
            Outcome::Refused(why) => self.stop(Stop::Refused(why)),
            Outcome::Wait(wait, _) => {
                // A 429 is the provider's pace, not an answer: it counts as no request.
                self.report.requests -= 1;
                if self.pacer.hold(wait) {
                    return Next::Again;
                }
                self.stop(Stop::Gave(format!("the provider kept answering 429 (too many requests); waiting {} s more would hold this run past its limit", wait.as_secs())))
            }
            Outcome::Unreachable(why) => {
                self.unreachable_in_a_row += 1;
                if !self.answered_once && self.unreachable_in_a_row >= 3 {
                    return self.stop(Stop::Gave(why));
                }
                Next::Retry(why)
            }
            Outcome::Redirected(why) => self.stop(Stop::Gave(why)),
            Outcome::Retry(why) | Outcome::Uncertain(why) => Next::Retry(why),
            Outcome::Rejected(messages) => Next::Done(Asked::Failed(messages.join("; "))),
            Outcome::Failed(why) => Next::Done(Asked::Failed(why)),
            Outcome::Created(_) => Next::Done(Asked::Failed("the provider gave no status".into())),
        }
    }

    /// Stops the run: this order fails with the reason, and the rest are not asked.
    fn stop(&mut self, stop: Stop) -> Next {
        let why = match &stop {
            Stop::Refused(why) | Stop::Gave(why) => why.clone(),
        };
        self.report.stop = Some(stop);
        Next::Done(Asked::Failed(why))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_states_are_compared_case_insensitively_and_paid_is_not_final() {
        assert!(is_final("cancelled") && is_final("EXPIRED") && is_final(" Refunded "));
        assert!(!is_final("PAID") && !is_final("PARTIAL REFUNDED") && !is_final("SENT"));
    }
}
