//! What the ledger's verdicts and the provider's answers mean for the sheet: each order's
//! status, its ids, and the messages on its rows (the provider's own on the line and column
//! they name), and what a dry run would send.

use crate::api::outcome::locate;
use crate::model::outcome::{Ids, RowStatus, Sent};
use crate::model::problem::{Problem, Severity};
use crate::pipeline::Checked;
use crate::send::diff::describe;
use crate::send::plan::{Decision, Lookup, Plan};

/// A message for an order's first row.
fn note(severity: Severity, message: String) -> Vec<(Option<usize>, Problem)> {
    vec![(
        None,
        Problem {
            severity,
            ..Problem::error(0, None, message)
        },
    )]
}

/// The orders the plan holds back: already created, changed, uncertain, rejected before.
pub fn held(checked: &mut Checked, plan: &mut Plan, lookup: &Lookup) {
    let numbers = checked.convention;
    for (index, decision) in std::mem::take(&mut plan.held) {
        let key = &checked.orders[index].key;
        let (status, ids, problems) = match decision {
            Decision::Send { .. } => continue,
            Decision::AlreadyCreated(ids) => (RowStatus::AlreadyCreated, Some(ids), Vec::new()),
            Decision::Changed(ids) => {
                let message = format!(
                    "created earlier as {}; {}. --update sends the change",
                    ids.order_uuid,
                    describe(plan.changes.get(&index).unwrap_or(&None), numbers)
                );
                (
                    RowStatus::Changed,
                    Some(ids),
                    note(Severity::Warning, message),
                )
            }
            Decision::UpdateUncertain(ids, why) => {
                let message = format!(
                    "an update of {} sent by an earlier run got no answer ({why}): it may or may not have been applied, so it is not counted done. --update sends the update again (always as an update of {0}, never as a new order)",
                    ids.order_uuid
                );
                (
                    RowStatus::Uncertain,
                    Some(ids),
                    note(Severity::Error, message),
                )
            }
            Decision::Uncertain(why) => {
                let doubt = lookup
                    .doubts
                    .get(key)
                    .map(|d| format!(" {d}."))
                    .unwrap_or_default();
                let message = format!(
                    "an earlier run got no answer ({why}); the provider may have it.{doubt} Not sent again: check with the provider, or send it again with --retry-uncertain"
                );
                (RowStatus::Uncertain, None, note(Severity::Error, message))
            }
            Decision::Rejected(why) => {
                let message =
                    format!("rejected by the provider before, with the same content: {why}");
                (RowStatus::Rejected, None, note(Severity::Error, message))
            }
        };
        checked.settle(index, status, ids, &problems);
    }
}

/// What became of each job sent, on its order's rows.
pub fn sent(checked: &mut Checked, job_orders: &[usize], sent: Vec<Sent>) {
    for (&order, sent) in job_orders.iter().zip(sent) {
        let error = |message: String| note(Severity::Error, message);
        let (status, ids, problems) = match sent {
            Sent::Created(ids) => (RowStatus::Created, Some(ids), Vec::new()),
            Sent::Rejected(messages) => {
                let problems = messages
                    .iter()
                    .map(|m| {
                        let (line, field) = locate(m);
                        (line, Problem::error(0, field, format!("the provider says: {m}")))
                    })
                    .collect();
                (RowStatus::Rejected, None, problems)
            }
            Sent::Failed(why) => (
                RowStatus::Failed,
                None,
                error(format!("not created: {why}")),
            ),
            Sent::Uncertain(why) => (
                RowStatus::Uncertain,
                None,
                error(format!(
                    "no answer ({why}); the provider may have created it. The next run asks the provider; --retry-uncertain sends it again"
                )),
            ),
            Sent::Skipped(why) => (RowStatus::Skipped, None, error(why)),
        };
        checked.settle(order, status, ids, &problems);
    }
}

/// A dry run: the orders a real run would send, on their rows, as `would_create` or (an update
/// of an order the provider has) `would_update` with the fields that changed.
pub fn would_send(checked: &mut Checked, plan: &Plan) {
    let numbers = checked.convention;
    for (job, &index) in plan.jobs.iter().zip(&plan.job_orders) {
        let (status, ids, problems) = match &job.update_of {
            None => (RowStatus::WouldCreate, None, Vec::new()),
            Some(uuid) => {
                let what = match plan.changes.get(&index) {
                    Some(changes) => format!("; {}", describe(changes, numbers)),
                    None => String::new(),
                };
                let ids = Ids {
                    order_uuid: uuid.clone(),
                    customer_uuid: None,
                    url: None,
                };
                let message = format!("dry run: would be sent as an update of {uuid}{what}");
                (
                    RowStatus::WouldUpdate,
                    Some(ids),
                    note(Severity::Warning, message),
                )
            }
        };
        checked.settle(index, status, ids, &problems);
    }
}

/// The invalid orders an earlier run created (from this sheet or another one, by their key):
/// their rows show that order's id, and say that it stands as it was sent, untouched by this
/// row's problem. `created` gives the ledger's ids of an order key, if it was created.
pub fn created_earlier(checked: &mut Checked, created: impl Fn(&str) -> Option<Ids>) {
    checked.submitted = true;
    for index in 0..checked.orders.len() {
        if checked.orders[index].valid {
            continue;
        }
        let Some(ids) = created(&checked.orders[index].key) else {
            continue;
        };
        let message = format!(
            "created earlier as {}; this row now has a problem: that order stands as it was sent, and is neither changed nor sent again until the problem is fixed",
            ids.order_uuid
        );
        let first = checked.orders[index].rows.first().copied();
        checked.orders[index].ids = Some(Box::new(ids));
        let at = first.and_then(|n| checked.rows.binary_search_by_key(&n, |r| r.number).ok());
        if let Some(row) = at.map(|i| &mut checked.rows[i]) {
            row.problems
                .push(Problem::warning(row.number, None, message));
        }
    }
}
