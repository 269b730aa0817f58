//! Asking the provider what became of the orders the ledger holds as created ("Order
//! status"), one at a time at the pace of [`Pacer`], each answer recorded in the ledger as it
//! comes. Orders in a final state are not asked again unless asked to. Never prints, never
//! exits.

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
) -> Result<Report, Error> {
    let mut pacer = Pacer::new(options.rate, options.max_wait);
    let mut report = Report {
        asked: Vec::with_capacity(orders.len()),
        requests: 0,
        stop: None,
    };
    let mut answered_once = false;
    let mut unreachable_in_a_row = 0;
    for order in orders {
        if let Some(stop) = &report.stop {
            let why = match stop {
                Stop::Refused(why) | Stop::Gave(why) => why,
            };
            report
                .asked
                .push(Asked::Failed(format!("not asked: {why}")));
            continue;
        }
        let Some(path) = status_path(&order.order_uuid) else {
            report.asked.push(Asked::Failed(format!(
                "the ledger's order id {:?} is not one the provider gives; not asked",
                order.order_uuid
            )));
            continue;
        };
        let mut attempt = 0;
        let asked = loop {
            pacer.ready().await;
            attempt += 1;
            report.requests += 1;
            let answer = client.get(&path).await;
            if let Ok(a) = &answer {
                answered_once = true;
                unreachable_in_a_row = 0;
                pacer.remaining(a.remaining);
            }
            let seen = match classify_status(answer, chrono::Utc::now().timestamp()) {
                Read::Status { status, amount } => Seen::Status { status, amount },
                Read::NotFound => Seen::NotFound,
                Read::Other(outcome) => {
                    let retry = |why: String, attempt: u32| {
                        (attempt < options.attempts)
                            .then(|| {
                                options.retry_base * 2u32.pow(attempt.saturating_sub(1).min(6))
                            })
                            .ok_or(why)
                    };
                    let why = match outcome {
                        Outcome::Refused(why) => {
                            report.stop = Some(Stop::Refused(why.clone()));
                            break Asked::Failed(why);
                        }
                        Outcome::Wait(wait, _) => {
                            report.requests -= 1;
                            attempt -= 1;
                            if pacer.hold(wait) {
                                continue;
                            }
                            let why = format!("the provider kept answering 429 (too many requests); waiting {} s more would hold this run past its limit", wait.as_secs());
                            report.stop = Some(Stop::Gave(why.clone()));
                            break Asked::Failed(why);
                        }
                        Outcome::Unreachable(why) => {
                            unreachable_in_a_row += 1;
                            if !answered_once && unreachable_in_a_row >= 3 {
                                report.stop = Some(Stop::Gave(why.clone()));
                                break Asked::Failed(why);
                            }
                            why
                        }
                        Outcome::Redirected(why) => {
                            report.stop = Some(Stop::Gave(why.clone()));
                            break Asked::Failed(why);
                        }
                        Outcome::Retry(why) | Outcome::Uncertain(why) => why,
                        Outcome::Rejected(messages) => break Asked::Failed(messages.join("; ")),
                        Outcome::Failed(why) => break Asked::Failed(why),
                        Outcome::Created(_) => {
                            break Asked::Failed("the provider gave no status".into())
                        }
                    };
                    match retry(why, attempt) {
                        Ok(wait) => {
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        Err(why) => break Asked::Failed(why),
                    }
                }
            };
            let changed = ledger.record_status(
                scope,
                &order.key,
                &order.order_uuid,
                &seen,
                SeenBy::Status,
            )?;
            break match seen {
                Seen::NotFound => Asked::NotFound,
                Seen::Status { .. } => Asked::Read { changed },
            };
        };
        report.asked.push(asked);
        progress(report.asked.len());
    }
    Ok(report)
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
