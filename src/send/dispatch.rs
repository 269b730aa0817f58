//! Stage **send**, the only async part: every valid order sent exactly once, at the
//! provider's pace. One coordinator records each order's state through the ledger's writer
//! (`ledger::Writer`): a request leaves only after its `sending` record is committed, and each
//! answer is recorded as it comes. Requests run as tasks, at most `workers` at a time, paced by
//! a governor limiter (burst 1) and slowed further when the provider's
//! `x-ratelimit-remaining` runs low.
//!
//! Every wait has a bound, and a run stops sending (letting the requests in flight finish) on
//! Ctrl-C or SIGTERM, a refused token, a redirect, a ledger that cannot be written, a provider
//! that nothing answers for, or 429s that would hold it past `max_wait`. A second signal stops
//! at once, without waiting for the requests in flight (the ledger is true either way).

use super::Sending;
use crate::api::client::{Answer, Failure, NoAnswer};
use crate::api::outcome::{classify, Outcome};
use crate::model::event::Event;
use crate::model::outcome::{Ids, Sent};
use crate::send::ledger::{Change, State, Writer};
use governor::{Quota, RateLimiter};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::num::NonZeroU32;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How to send.
#[derive(Clone, Debug)]
pub struct Options {
    /// Requests per minute.
    pub rate: u32,
    /// Requests in flight at most.
    pub workers: usize,
    /// Attempts before an order that keeps failing is given up (`failed`).
    pub max_attempts: u32,
    /// The first retry waits up to this long; each next one twice as long, up to a cap.
    pub retry_base: Duration,
    /// The most time a run is held back by the provider's 429s, all of them together.
    pub max_wait: Duration,
}

/// One order to send.
#[derive(Clone, Debug)]
pub struct Job {
    pub key: String,
    pub body: Vec<u8>,
    pub fingerprint: String,
    pub rows: Vec<u32>,
    /// The provider's order this request updates (`fpgoUuid`), if it is an update.
    pub update_of: Option<String>,
}

/// Why a run stopped before sending everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The provider refused the token.
    Refused,
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// A ledger write failed: nothing more may be sent.
    LedgerFailed(String),
    /// The provider answered with a redirect.
    Redirected(String),
    /// Nothing answered at the base URL.
    Unreachable(String),
    /// The provider's 429s would hold the run past `max_wait`.
    RateLimited(String),
}

impl Stop {
    /// Why the run stopped, as the rows it did not get to say it.
    pub fn reason(&self) -> String {
        match self {
            Stop::Refused => "the provider refused the token".into(),
            Stop::Interrupted => "the run was interrupted".into(),
            Stop::LedgerFailed(why) => format!("the ledger could not be written ({why})"),
            Stop::Redirected(_) => {
                "the provider answered with a redirect (see the run's messages)".into()
            }
            Stop::Unreachable(why) | Stop::RateLimited(why) => why.clone(),
        }
    }

    /// What becomes of an order this run did not get to: `skipped` when the user or the token
    /// stopped it, else `failed` (the next run sends it).
    fn unsent(&self) -> Sent {
        match self {
            Stop::Refused | Stop::Interrupted => {
                Sent::Skipped(format!("not sent: {}", self.reason()))
            }
            _ => Sent::Failed(format!(
                "{}; it was not sent, and the next run sends it",
                self.reason()
            )),
        }
    }
}

/// What a run did.
pub struct Report {
    pub sent: Vec<Sent>,
    pub requests: u64,
    pub stop: Option<Stop>,
    /// From the first request out to the last answer in.
    pub sending: Duration,
}

/// The longest a retry waits.
const RETRY_CAP: Duration = Duration::from_secs(30);
/// Connections refused (or never made) in a row after which a run stops: few when nothing
/// has answered yet (a wrong address, a provider that is down), more once something has (an
/// outage in the middle of a run, which the retries may ride out).
const UNREACHABLE_AT_START: u32 = 3;
const UNREACHABLE_LATER: u32 = 20;

/// A request's result, back from its task.
struct Done {
    job: usize,
    answer: Result<Answer, NoAnswer>,
    took: Duration,
}

/// Where events go; a closed receiver is no reason to stop sending.
type Events = mpsc::UnboundedSender<Event>;

/// Sends `jobs` to `path` under the client's base URL, records every step in the ledger and
/// tells `events` as it goes. It never prints and never exits.
pub async fn send(jobs: &[Job], sending: &Sending<'_>, ledger: &Writer, events: Events) -> Report {
    let (path, client, source_file, options) = (
        sending.path,
        sending.client,
        sending.source,
        sending.options,
    );
    let mut run = Run::new(jobs, ledger, options, events);
    let quota = Quota::with_period(run.per_request)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::MIN);
    let limiter = RateLimiter::direct(quota);
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
    let mut signals = Signals::new(sending.stop.clone());
    let mut ledger_failed = false;
    loop {
        let finished = run.ready.is_empty() && run.later.is_empty();
        if run.flying.is_empty() && (finished || run.stop.is_some()) {
            break;
        }
        let can_dispatch =
            run.stop.is_none() && run.flying.len() < options.workers && !run.ready.is_empty();
        let next_retry = run.later.peek().map(|Reverse((at, _))| *at);
        tokio::select! {
            biased;
            Some(done) = done_rx.recv() => run.answered(done),
            why = ledger.failed(), if !ledger_failed => {
                ledger_failed = true;
                // The more serious reason wins: answers may now go unrecorded.
                let line = format!("the ledger cannot be written ({why}); the answers it could not record are listed at the end");
                run.stop = None;
                run.halt(Stop::LedgerFailed(why), line);
            }
            signal = signals.next() => {
                if signal && run.stop.is_none() {
                    run.halt(Stop::Interrupted, "interrupted (Ctrl-C again to quit at once)".into());
                } else if signal {
                    run.emit(|| Event::Stopping {
                        why: "interrupted twice: quitting without waiting; the orders in flight are uncertain".into(),
                        in_flight: run.flying.len(),
                    });
                    break;
                }
            }
            _ = wait_until(next_retry), if next_retry.is_some() && run.stop.is_none() => run.due(),
            _ = async {
                tokio::time::sleep_until(run.hold_until.into()).await;
                limiter.until_ready().await;
            }, if can_dispatch => {
                let Some(index) = run.ready.pop_front() else { continue };
                let committed = run.request(index, source_file);
                let (client, body, tx, path) = (client.clone(), jobs[index].body.clone(), done_tx.clone(), path.to_string());
                tokio::spawn(async move {
                    let started = Instant::now();
                    let answer = if committed.await == Ok(true) {
                        client.post(&path, body).await
                    } else {
                        Err(NoAnswer { failure: Failure::Unbuildable, reason: "the ledger could not be written, so it was not sent".into() })
                    };
                    let _ = tx.send(Done { job: index, answer, took: started.elapsed() });
                });
            }
        }
    }
    run.report()
}

/// The state of one sending run.
struct Run<'a> {
    jobs: &'a [Job],
    ledger: &'a Writer,
    options: &'a Options,
    events: Events,
    per_request: Duration,
    sent: Vec<Option<Sent>>,
    attempts: Vec<u32>,
    ready: VecDeque<usize>,
    later: BinaryHeap<Reverse<(Instant, usize)>>,
    /// The jobs whose request is out and unanswered.
    flying: HashSet<usize>,
    requests: u64,
    stop: Option<Stop>,
    /// No request leaves before this (429s, a low `x-ratelimit-remaining`).
    hold_until: Instant,
    /// The time the provider's 429s have held the run back, all together.
    held: Duration,
    /// Whether anything at all answered in this run.
    answered: bool,
    unreachable_in_a_row: u32,
    first_request: Option<Instant>,
}

impl<'a> Run<'a> {
    fn new(jobs: &'a [Job], ledger: &'a Writer, options: &'a Options, events: Events) -> Self {
        Run {
            jobs,
            ledger,
            options,
            events,
            per_request: Duration::from_secs(60) / options.rate.max(1),
            sent: vec![None; jobs.len()],
            attempts: vec![0; jobs.len()],
            ready: (0..jobs.len()).collect(),
            later: BinaryHeap::new(),
            flying: HashSet::new(),
            requests: 0,
            stop: None,
            hold_until: Instant::now(),
            held: Duration::ZERO,
            answered: false,
            unreachable_in_a_row: 0,
            first_request: None,
        }
    }

    /// Tells the listeners, if any are left: an event is only made when someone reads it.
    fn emit(&self, event: impl FnOnce() -> Event) {
        if !self.events.is_closed() {
            let _ = self.events.send(event());
        }
    }

    /// Stops dispatching, for the first reason only: each is said once.
    fn halt(&mut self, why: Stop, line: String) {
        if self.stop.is_none() {
            self.emit(|| Event::Stopping {
                why: line,
                in_flight: self.flying.len(),
            });
            self.stop = Some(why);
        }
    }

    /// Sends the `sending` record of this job's next request; the request may leave once it
    /// is committed.
    fn request(&mut self, index: usize, source_file: &str) -> tokio::sync::oneshot::Receiver<bool> {
        let job = &self.jobs[index];
        let committed = self.ledger.commit(Change::Sending {
            key: job.key.clone(),
            fingerprint: job.fingerprint.clone(),
            source_file: source_file.to_string(),
            rows: job.rows.clone(),
            update_of: job.update_of.clone(),
            payload: Some(String::from_utf8_lossy(&job.body).into_owned()),
        });
        self.attempts[index] += 1;
        self.requests += 1;
        self.first_request.get_or_insert_with(Instant::now);
        self.flying.insert(index);
        self.emit(|| Event::Requested {
            key: job.key.clone(),
            attempt: self.attempts[index],
            update_of: job.update_of.clone(),
        });
        committed
    }

    /// Retries that are due go back in line.
    fn due(&mut self) {
        while let Some(Reverse((at, job))) = self.later.peek().copied() {
            if at > Instant::now() {
                break;
            }
            self.later.pop();
            self.ready.push_back(job);
        }
    }

    /// What an answer (or its absence) means for its order, recorded and told.
    fn answered(&mut self, done: Done) {
        self.flying.remove(&done.job);
        let job = &self.jobs[done.job];
        let remaining = done.answer.as_ref().ok().and_then(|a| a.remaining);
        let status = match &done.answer {
            Ok(answer) => {
                self.answered = true;
                self.unreachable_in_a_row = 0;
                answer.status.to_string()
            }
            Err(no) => {
                // Never left this machine: not a request.
                if no.failure == Failure::Unbuildable {
                    self.requests -= 1;
                }
                no.reason.clone()
            }
        };
        self.emit(|| Event::Answered {
            key: job.key.clone(),
            status,
            took: done.took,
        });
        // Slow down before the provider has to say no: keep its window from running dry.
        if remaining.is_some_and(|r| (r as usize) <= self.flying.len() + 1) {
            self.hold_until = self.hold_until.max(Instant::now() + self.per_request * 2);
        }
        let outcome = classify(done.answer, chrono::Utc::now().timestamp());
        let sent = self.outcome(done.job, outcome);
        if let Some(sent) = sent {
            self.emit(|| Event::Finished {
                key: job.key.clone(),
                sent: sent.clone(),
            });
            self.sent[done.job] = Some(sent);
        }
    }

    /// Records an outcome; what became of the order, unless it is tried again.
    fn outcome(&mut self, index: usize, outcome: Outcome) -> Option<Sent> {
        let job = &self.jobs[index];
        let record = |change| self.ledger.record(change);
        match outcome {
            Outcome::Created(ids) => {
                record(settle(job, State::Created, Some(ids.clone()), None));
                Some(Sent::Created(ids))
            }
            Outcome::Rejected(messages) => {
                record(settle(
                    job,
                    State::Rejected,
                    None,
                    Some(messages.join(" | ")),
                ));
                Some(Sent::Rejected(messages))
            }
            Outcome::Refused(reason) => {
                record(unsend(job, &reason));
                self.halt(
                    Stop::Refused,
                    format!("stopping: {reason}; nothing more is sent"),
                );
                Some(Sent::Failed(reason))
            }
            Outcome::Redirected(reason) => {
                record(settle(job, State::Failed, None, Some(reason.clone())));
                let line = format!("stopping: {reason}; nothing more is sent");
                self.halt(Stop::Redirected(reason.clone()), line);
                Some(Sent::Failed(reason))
            }
            Outcome::Wait(wait, note) => self.wait(index, wait, note),
            Outcome::Retry(reason) => self.retry(index, reason),
            Outcome::Unreachable(reason) => {
                self.unreachable_in_a_row += 1;
                let limit = if self.answered {
                    UNREACHABLE_LATER
                } else {
                    UNREACHABLE_AT_START
                };
                if self.unreachable_in_a_row < limit {
                    return self.retry(index, reason);
                }
                record(settle(job, State::Failed, None, Some(reason.clone())));
                let line = format!(
                    "stopping: {} requests in a row got no connection: {reason}. Nothing more is sent",
                    self.unreachable_in_a_row
                );
                self.halt(Stop::Unreachable(reason.clone()), line);
                Some(Sent::Failed(format!("{reason}; the next run sends it")))
            }
            Outcome::Failed(reason) => {
                record(settle(job, State::Failed, None, Some(reason.clone())));
                Some(Sent::Failed(reason))
            }
            Outcome::Uncertain(reason) => {
                record(settle(job, State::Uncertain, None, Some(reason.clone())));
                Some(Sent::Uncertain(reason))
            }
        }
    }

    /// A 429: every request waits, within the run's budget (`max_wait`); the attempt does not
    /// count, here as in the ledger.
    fn wait(&mut self, index: usize, wait: Duration, note: Option<String>) -> Option<Sent> {
        let job = &self.jobs[index];
        self.attempts[index] = self.attempts[index].saturating_sub(1);
        let now = Instant::now();
        let added = (now + wait).saturating_duration_since(self.hold_until.max(now));
        if self.held + added > self.options.max_wait {
            let because = note.map(|n| format!("; {n}")).unwrap_or_default();
            let reason = format!(
                "the provider kept answering 429 (too many requests{because}): waiting {} s more would hold this run past its limit of {} s (--max-wait), after {} s of waiting",
                wait.as_secs(),
                self.options.max_wait.as_secs(),
                self.held.as_secs()
            );
            self.ledger.record(unsend(job, &reason));
            let line = format!("stopping: {reason}; nothing more is sent, run again later");
            self.halt(Stop::RateLimited(reason.clone()), line);
            return Some(Sent::Failed(format!("{reason}; the next run sends it")));
        }
        self.held += added;
        self.hold_until = self.hold_until.max(now + wait);
        self.ledger
            .record(unsend(job, "rate limited (429); waiting"));
        self.emit(|| Event::Waiting { wait, note });
        self.ready.push_front(index);
        None
    }

    /// Tried again after a jittered, growing wait; given up after `max_attempts`.
    fn retry(&mut self, index: usize, reason: String) -> Option<Sent> {
        let job = &self.jobs[index];
        let attempts = self.attempts[index];
        if attempts >= self.options.max_attempts {
            let reason = format!("{reason}; gave up after {attempts} attempts");
            self.ledger
                .record(settle(job, State::Failed, None, Some(reason.clone())));
            return Some(Sent::Failed(reason));
        }
        self.ledger
            .record(settle(job, State::Failed, None, Some(reason.clone())));
        // Full jitter: a uniform wait up to a ceiling that doubles with each attempt.
        let ceiling = self
            .options
            .retry_base
            .saturating_mul(1 << attempts.min(16))
            .min(RETRY_CAP);
        let wait = ceiling.mul_f64(fastrand::f64());
        self.emit(|| Event::Retrying {
            key: job.key.clone(),
            reason,
            wait,
        });
        self.later.push(Reverse((Instant::now() + wait, index)));
        None
    }

    /// What became of every job: the ones this run did not finish get the reason it stopped.
    fn report(mut self) -> Report {
        let reason = self
            .stop
            .as_ref()
            .map_or("the run ended".into(), Stop::reason);
        for &index in &self.flying {
            // Their `sending` record stays: the next run treats them as uncertain and looks
            // them up.
            self.sent[index] = Some(Sent::Uncertain(
                "the run was interrupted twice while it was being sent".into(),
            ));
        }
        for Reverse((_, index)) in self.later.drain() {
            self.sent[index] = Some(Sent::Failed(format!(
                "{reason}; its last attempt failed, and the next run sends it again"
            )));
        }
        let unsent = self
            .stop
            .as_ref()
            .map_or(Sent::Skipped("not sent".into()), Stop::unsent);
        Report {
            sent: self
                .sent
                .into_iter()
                .map(|s| s.unwrap_or_else(|| unsent.clone()))
                .collect(),
            requests: self.requests,
            stop: self.stop,
            sending: self.first_request.map_or(Duration::ZERO, |t| t.elapsed()),
        }
    }
}

fn settle(job: &Job, state: State, ids: Option<Ids>, error: Option<String>) -> Change {
    Change::Settle {
        key: job.key.clone(),
        state,
        ids,
        error,
    }
}

/// The request did not count (429, refused token): back to `failed`, one attempt less.
fn unsend(job: &Job, why: &str) -> Change {
    Change::Unsend {
        key: job.key.clone(),
        state: State::Failed,
        error: why.to_string(),
    }
}

async fn wait_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Ctrl-C and SIGTERM, as one stream of "a signal came"; listening from the start of sending so
/// that none is missed between two waits. A press of a front end's Stop button counts as one.
struct Signals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
    button: Option<StopButton>,
}

/// A front end's Stop button: each press (a change of the count) counts as one Ctrl-C.
pub type StopButton = tokio::sync::watch::Receiver<u32>;

impl Signals {
    fn new(button: Option<StopButton>) -> Self {
        Signals {
            #[cfg(unix)]
            streams: {
                use tokio::signal::unix::{signal, SignalKind};
                signal(SignalKind::interrupt())
                    .ok()
                    .zip(signal(SignalKind::terminate()).ok())
            },
            button,
        }
    }

    async fn next(&mut self) -> bool {
        let button = &mut self.button;
        let pressed = async {
            let pressed = match button.as_mut() {
                Some(button) => button.changed().await.is_ok(),
                None => false,
            };
            if !pressed {
                // No button, or the page that had it is gone: no press will come.
                std::future::pending::<()>().await;
            }
        };
        #[cfg(unix)]
        if let Some((interrupt, terminate)) = self.streams.as_mut() {
            tokio::select! {
                _ = interrupt.recv() => return true,
                _ = terminate.recv() => return true,
                () = pressed => return true,
            }
        }
        tokio::select! {
            signal = tokio::signal::ctrl_c() => signal.is_ok(),
            () = pressed => true,
        }
    }
}
