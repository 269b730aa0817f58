//! The online half: the plan for each valid order (the ledger's verdict), the ledger itself,
//! and the paced, concurrent sending loop. [`look_up`] and [`run`] are what a front end calls
//! (the command line's `submit`, a browser page): they never print and never exit. After
//! sending, [`status`] asks what became of the created orders and [`cancel`] cancels some.

pub mod cancel;
pub mod diff;
pub mod dispatch;
pub mod ledger;
pub mod pace;
pub mod plan;
pub mod ready;
pub mod status;
pub mod verdicts;

use crate::api::client::Client;
use crate::api::target::{BaseUrl, Token};
use crate::error::Error;
use crate::model::event::Event;
use crate::model::order::Order;
use crate::model::outcome::Ids;
use crate::model::{DateFormat, Endpoint};
use crate::pipeline::values::NumberConvention;
use crate::pipeline::worker::{Worker, BATCH};
use crate::pipeline::{self, Checked};
use dispatch::{Job, Report};
use ledger::{Ledger, Record, Scope, Snapshot, State, Unrecorded, Writer};
use plan::Lookup;
use ready::Ready;
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// The ledger's record of each valid order, after asking the provider about the ones an
/// earlier run left uncertain (new orders only: an update's order is there either way); the
/// ones it has are recorded as created. `numbers`: the sheet's convention, for the amounts the
/// reasons quote.
pub async fn look_up(
    ledger: &mut Ledger,
    scope: &Scope,
    valid: &mut [Ready],
    client: &Client,
    numbers: NumberConvention,
) -> Result<(Vec<Option<Box<Record>>>, Lookup), Error> {
    let records = records(valid, |key| ledger.get(scope, key))?;
    let wanted: Vec<(String, Decimal)> = valid
        .iter()
        .zip(&records)
        .filter(|(_, r)| {
            r.as_ref()
                .is_some_and(|r| r.state == State::Uncertain && r.order_uuid.is_none())
        })
        .map(|(o, _)| (o.key.clone(), o.grand_total))
        .collect();
    let lookup = plan::ask_provider(client, &wanted, numbers).await;
    for (key, ids) in &lookup.found {
        ledger.settle(scope, key, State::Created, Some::<&Ids>(ids), None)?;
    }
    Ok((records, lookup))
}

/// The ledger's record of each valid order, by `get` (boxed: most orders of a first run
/// have none, and a `None` is then a pointer's size). When an order's body is the one the
/// ledger kept, the ledger's copy is dropped (only a changed body is compared with it); when
/// that order was created, so is its own ([`plan::decide`] never sends it again): a rerun of a
/// big sheet holds neither.
fn records(
    valid: &mut [Ready],
    mut get: impl FnMut(&str) -> Result<Option<Record>, Error>,
) -> Result<Vec<Option<Box<Record>>>, Error> {
    let mut records = Vec::with_capacity(valid.len());
    for order in valid {
        let mut record = get(&order.key)?;
        if let Some(r) = record
            .as_mut()
            .filter(|r| r.fingerprint == order.fingerprint)
        {
            r.payload = None;
            if r.state == State::Created {
                order.body = Vec::new();
            }
        }
        records.push(record.map(Box::new));
    }
    Ok(records)
}

/// What the plan of a sheet depends on besides the ledger: how its bodies are written and the
/// user's switches (`--update`, `--retry-uncertain`).
#[derive(Clone, Copy, Debug)]
pub struct Planning {
    pub endpoint: Endpoint,
    pub date_format: DateFormat,
    pub choices: plan::Choices,
}

impl Planning {
    pub fn of(settings: &pipeline::Settings, choices: plan::Choices) -> Planning {
        Planning {
            endpoint: settings.rules.endpoint,
            date_format: settings.date_format,
            choices,
        }
    }

    /// A valid order as the check hands it over, made ready to plan and send.
    pub fn ready(&self, index: usize, order: &Order) -> Ready {
        Ready::new(index, order, (self.endpoint, self.date_format))
    }

    /// A thread that makes each valid order the check hands it ready, in order, while the
    /// check reads on (rendering the bodies is a third of a big sheet's check).
    pub fn readying(self) -> Worker<(usize, Order), Vec<Ready>> {
        Worker::start(
            BATCH,
            Vec::new(),
            move |ready: &mut Vec<Ready>, (index, order)| {
                ready.push(self.ready(index, &order));
                Ok(())
            },
        )
    }

    /// Each valid order's verdict (the jobs to send), the orders held back put on their rows:
    /// the same step for a real run and a dry one.
    pub fn plan(
        &self,
        checked: &mut Checked,
        valid: Vec<Ready>,
        records: &[Option<Box<Record>>],
        lookup: &Lookup,
    ) -> plan::Plan {
        let mut planned = plan::plan(valid, records, lookup, self.choices);
        verdicts::held(checked, &mut planned, lookup);
        planned
    }
}

/// Everything before the first request of a run, the same for every front end: the orders an
/// earlier run left `sending` become uncertain, the invalid rows of orders created earlier show
/// their ids, the uncertain orders are looked up at the provider, and each valid order gets its
/// verdict (the held ones on their rows). Back comes the plan: the jobs to send.
pub async fn prepare(
    ledger: &mut Ledger,
    scope: &Scope,
    (checked, mut valid): (&mut Checked, Vec<Ready>),
    client: &Client,
    planning: Planning,
) -> Result<plan::Plan, Error> {
    let recovered = ledger.recover(scope)?;
    if recovered > 0 {
        checked.notes.push(format!(
            "{recovered} order(s) were being sent when an earlier run stopped; they are uncertain until the provider says"
        ));
    }
    verdicts::created_earlier(checked, |key| created(ledger.get(scope, key)));
    let (records, lookup) = look_up(ledger, scope, &mut valid, client, checked.convention).await?;
    if let Some(why) = &lookup.unread {
        checked.notes.push(format!(
            "could not ask the provider about uncertain orders: {why}"
        ));
    }
    Ok(planning.plan(checked, valid, &records, &lookup))
}

/// The plan a real run would make, from the ledger read without writing to it and without
/// asking the provider anything (not even its listing of uncertain orders): a dry run's, and
/// what the browser app's Send button offers. The orders an earlier run left `sending` are
/// said in a note.
pub fn foresee(
    snapshot: &Snapshot,
    scope: &Scope,
    (checked, mut valid): (&mut Checked, Vec<Ready>),
    planning: Planning,
) -> Result<plan::Plan, Error> {
    verdicts::created_earlier(checked, |key| created(snapshot.get(scope, key)));
    let records = records(&mut valid, |key| snapshot.get(scope, key))?;
    let mut lookup = Lookup::default();
    let mut dead = 0;
    for (order, record) in valid.iter().zip(&records) {
        let Some(record) = record else { continue };
        dead += usize::from(record.state == State::Sending);
        if matches!(record.state, State::Uncertain | State::Sending) && record.order_uuid.is_none()
        {
            lookup.doubts.insert(
                order.key.clone(),
                "A dry run does not ask the provider; a real run first looks it up in the provider's order listing".into(),
            );
        }
    }
    if dead > 0 {
        checked.notes.push(format!(
            "{dead} order(s) were being sent when an earlier run stopped; a real run marks them uncertain and asks the provider about them"
        ));
    }
    Ok(planning.plan(checked, valid, &records, &lookup))
}

/// The ids of an order the ledger holds as created (a record that cannot be read counts as
/// none: this only adds a note to a row that is invalid anyway).
pub fn created(record: Result<Option<Record>, Error>) -> Option<Ids> {
    let record = record.ok().flatten()?;
    (record.state == State::Created).then(|| Ids {
        order_uuid: record.order_uuid.clone().unwrap_or_default(),
        customer_uuid: record.customer_uuid.clone(),
        url: record.url.clone(),
    })
}

/// Where and how a run sends: the provider's path for the endpoint, the sheet the orders come
/// from (for the ledger), the pacing.
pub struct Sending<'a> {
    pub client: &'a Client,
    pub path: &'a str,
    pub source: &'a str,
    pub options: &'a dispatch::Options,
    /// A front end's Stop button (the browser page's): pressed, it stops the run as one
    /// Ctrl-C does.
    pub stop: Option<dispatch::StopButton>,
}

/// Sends the jobs, the ledger on a thread of its own (commits in batches, never blocking the
/// requests), telling `events` as it goes. Back come what became of each job and the ledger,
/// every change on disk; or, when the ledger could not be written, every change it lacks.
pub async fn run(
    ledger: Ledger,
    scope: Scope,
    jobs: &[Job],
    sending: Sending<'_>,
    events: UnboundedSender<Event>,
) -> (Report, Result<Ledger, Unrecorded>) {
    let writer = Writer::start(ledger, scope);
    let report = dispatch::send(jobs, &sending, &writer, events).await;
    (report, writer.finish())
}

/// Everything a submit run needs besides the check's settings, resolved from the command line
/// and the environment (`settings.rs`): where to, with which token, which ledger, how fast.
#[derive(Debug)]
pub struct SendSettings {
    /// The provider and its token; `None` for the in-process sandbox. A dry run sends nothing,
    /// so it reads no token: the token is `None` there, and only there.
    pub provider: Option<(BaseUrl, Option<Token>)>,
    /// The in-process sandbox's rate limit per minute.
    pub sandbox_rate_limit: u32,
    /// `--ledger`, else the default one (or, with the sandbox, a temporary one).
    pub ledger: Option<PathBuf>,
    /// Start a new `--ledger` even though the default ledger holds orders of the sheet.
    pub new_ledger: bool,
    /// For tests: how many pages the ledger may grow by (as a full disk would allow).
    pub ledger_growth_limit: Option<u32>,
    pub timeout: Duration,
    /// `--dry-run`: plan, but send nothing and write nothing to the ledger.
    pub dry_run: bool,
    pub choices: plan::Choices,
    pub options: dispatch::Options,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::ready::tests::order;

    /// The ledger's record, with the body it kept.
    fn record(state: State, fingerprint: &str) -> Record {
        Record {
            payload: Some("{}".into()),
            ..plan::tests::record(state, fingerprint)
        }
    }

    /// A rerun holds no body of an order created with the same content, and never sends it;
    /// a changed one keeps both bodies (for its diff) and goes as an update of its id.
    #[test]
    fn a_rerun_keeps_only_the_bodies_it_may_send() {
        let planning = Planning {
            endpoint: Endpoint::InvoiceSession,
            date_format: DateFormat::Unix,
            choices: plan::Choices {
                update: true,
                retry_uncertain: false,
            },
        };
        let mut valid: Vec<Ready> = (0..3).map(|i| planning.ready(i, &order(false))).collect();
        for (i, order) in valid.iter_mut().enumerate() {
            order.key = format!("INV-{i}");
        }
        let same = valid[0].fingerprint.clone();
        let ledger = [
            ("INV-0", record(State::Created, &same)),
            ("INV-1", record(State::Created, "changed")),
        ];
        let records = records(&mut valid, |key| {
            Ok(ledger
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, r)| r.clone()))
        })
        .unwrap();
        assert!(valid[0].body.is_empty());
        assert!(records[0].as_ref().unwrap().payload.is_none());
        assert!(!valid[1].body.is_empty());
        assert!(records[1].as_ref().unwrap().payload.is_some());
        assert!(records[2].is_none());

        let planned = plan::plan(valid, &records, &Lookup::default(), planning.choices);
        assert_eq!(planned.job_orders, [1, 2]);
        assert!(matches!(
            planned.held[..],
            [(0, plan::Decision::AlreadyCreated(_))]
        ));
        assert_eq!(planned.jobs[0].update_of.as_deref(), Some("ODR1"));
        assert!(planned.jobs.iter().all(|j| !j.body.is_empty()));
        assert!(planned.changes.contains_key(&1));
    }
}
