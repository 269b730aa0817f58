//! Stage **submit**, the only async part: every valid order sent exactly once, at the
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

use crate::api::client::{Answer, Client, Failure, NoAnswer};
use crate::api::outcome::{classify, Outcome};
use crate::model::outcome::Ids;
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
    /// Show a progress bar (on a terminal) or a line every 10 seconds (elsewhere).
    pub progress: bool,
    /// Log every request and answer.
    pub verbose: bool,
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

/// How an order's sending ended in this run.
#[derive(Clone, Debug, PartialEq)]
pub enum Sent {
    Created(Ids),
    Rejected(Vec<String>),
    Failed(String),
    Uncertain(String),
    /// Never sent: the run stopped first.
    Skipped(String),
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
    fn reason(&self) -> String {
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

/// Sends `jobs` to `path` under the client's base URL and records every step in the ledger.
pub async fn send(
    jobs: &[Job],
    path: &str,
    client: &Client,
    ledger: &Writer,
    source_file: &str,
    options: &Options,
) -> Report {
    let per_request = Duration::from_secs(60) / options.rate.max(1);
    let quota = Quota::with_period(per_request)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::MIN);
    let limiter = RateLimiter::direct(quota);
    let mut sent: Vec<Option<Sent>> = vec![None; jobs.len()];
    let mut attempts = vec![0u32; jobs.len()];
    let mut ready: VecDeque<usize> = (0..jobs.len()).collect();
    let mut later: BinaryHeap<Reverse<(Instant, usize)>> = BinaryHeap::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
    let mut in_flight = 0usize;
    let mut requests = 0u64;
    let mut stop: Option<Stop> = None;
    let mut hold_until = Instant::now();
    // Time the provider's 429s have held the run back, all together.
    let mut held = Duration::ZERO;
    let mut answered = false;
    let mut unreachable_in_a_row = 0u32;
    let mut ledger_failed = false;
    let mut signals = Signals::new();
    let mut progress = Progress::new(jobs.len(), options.progress);
    let mut dice = Dice::new();
    let mut first_request: Option<Instant> = None;
    // The jobs whose request is out and unanswered (left so only by a second signal).
    let mut flying: HashSet<usize> = HashSet::new();

    // The first reason to stop is the one the run reports; each is said once.
    let halt = |stop: &mut Option<Stop>, why: Stop, line: String, progress: &Progress| {
        if stop.is_none() {
            progress.log(&line);
            *stop = Some(why);
        }
    };

    loop {
        let finished = ready.is_empty() && later.is_empty();
        if in_flight == 0 && (finished || stop.is_some()) {
            break;
        }
        let can_dispatch = stop.is_none() && in_flight < options.workers && !ready.is_empty();
        let next_retry = later.peek().map(|Reverse((at, _))| *at);
        tokio::select! {
            biased;
            Some(done) = done_rx.recv() => {
                in_flight -= 1;
                flying.remove(&done.job);
                let job = &jobs[done.job];
                let remaining = done.answer.as_ref().ok().and_then(|a| a.remaining);
                let status = done.answer.as_ref().map(|a| a.status.to_string()).unwrap_or_else(|e| e.reason.clone());
                match &done.answer {
                    Ok(_) => {
                        answered = true;
                        unreachable_in_a_row = 0;
                    }
                    // Never left this machine: not a request.
                    Err(no) if no.failure == Failure::Unbuildable => requests -= 1,
                    Err(_) => {}
                }
                let outcome = classify(done.answer, chrono::Utc::now().timestamp());
                if options.verbose {
                    progress.log(&format!("{} <- {status} in {} ms", job.key, done.took.as_millis()));
                }
                // Slow down before the provider has to say no: keep its window from running dry.
                if remaining.is_some_and(|r| (r as usize) <= in_flight + 1) {
                    hold_until = hold_until.max(Instant::now() + per_request * 2);
                }
                let retry = |reason: String, attempts: &mut [u32], later: &mut BinaryHeap<_>, dice: &mut Dice| {
                    if attempts[done.job] >= options.max_attempts {
                        let reason = format!("{reason}; gave up after {} attempts", attempts[done.job]);
                        ledger.record(settle(job, State::Failed, None, Some(reason.clone())));
                        return Some(Sent::Failed(reason));
                    }
                    ledger.record(settle(job, State::Failed, None, Some(reason.clone())));
                    let ceiling = options.retry_base.saturating_mul(1 << attempts[done.job].min(16)).min(RETRY_CAP);
                    let wait = ceiling.mul_f64(dice.uniform());
                    if options.verbose {
                        progress.log(&format!("{}: {reason}; retrying in {} ms", job.key, wait.as_millis()));
                    }
                    later.push(Reverse((Instant::now() + wait, done.job)));
                    None
                };
                sent[done.job] = match outcome {
                    Outcome::Created(ids) => {
                        ledger.record(settle(job, State::Created, Some(ids.clone()), None));
                        Some(Sent::Created(ids))
                    }
                    Outcome::Rejected(messages) => {
                        ledger.record(settle(job, State::Rejected, None, Some(messages.join(" | "))));
                        Some(Sent::Rejected(messages))
                    }
                    Outcome::Refused(reason) => {
                        ledger.record(unsend(job, &reason));
                        halt(&mut stop, Stop::Refused, format!("stopping: {reason}; nothing more is sent"), &progress);
                        Some(Sent::Failed(reason))
                    }
                    Outcome::Redirected(reason) => {
                        ledger.record(settle(job, State::Failed, None, Some(reason.clone())));
                        halt(&mut stop, Stop::Redirected(reason.clone()), format!("stopping: {reason}; nothing more is sent"), &progress);
                        Some(Sent::Failed(reason))
                    }
                    Outcome::Wait(wait, note) => {
                        // Not an attempt, here as in the ledger: the retries are all still due.
                        attempts[done.job] = attempts[done.job].saturating_sub(1);
                        let now = Instant::now();
                        let added = (now + wait).saturating_duration_since(hold_until.max(now));
                        let because = note.map(|n| format!("; {n}")).unwrap_or_default();
                        if held + added > options.max_wait {
                            let reason = format!(
                                "the provider kept answering 429 (too many requests{because}): waiting {} s more would hold this run past its limit of {} s (--max-wait), after {} s of waiting",
                                wait.as_secs(), options.max_wait.as_secs(), held.as_secs()
                            );
                            ledger.record(unsend(job, &reason));
                            halt(&mut stop, Stop::RateLimited(reason.clone()), format!("stopping: {reason}; nothing more is sent, run again later"), &progress);
                            Some(Sent::Failed(format!("{reason}; the next run sends it")))
                        } else {
                            held += added;
                            hold_until = hold_until.max(now + wait);
                            ledger.record(unsend(job, "rate limited (429); waiting"));
                            progress.log(&format!("the provider asks to wait {} s (429{because}); waiting", wait.as_secs()));
                            ready.push_front(done.job);
                            None
                        }
                    }
                    Outcome::Retry(reason) => retry(reason, &mut attempts, &mut later, &mut dice),
                    Outcome::Unreachable(reason) => {
                        unreachable_in_a_row += 1;
                        let limit = if answered { UNREACHABLE_LATER } else { UNREACHABLE_AT_START };
                        if unreachable_in_a_row >= limit {
                            ledger.record(settle(job, State::Failed, None, Some(reason.clone())));
                            let line = format!(
                                "stopping: {unreachable_in_a_row} requests in a row got no connection: {reason}. Nothing more is sent"
                            );
                            halt(&mut stop, Stop::Unreachable(reason.clone()), line, &progress);
                            Some(Sent::Failed(format!("{reason}; the next run sends it")))
                        } else {
                            retry(reason, &mut attempts, &mut later, &mut dice)
                        }
                    }
                    Outcome::Failed(reason) => {
                        ledger.record(settle(job, State::Failed, None, Some(reason.clone())));
                        Some(Sent::Failed(reason))
                    }
                    Outcome::Uncertain(reason) => {
                        ledger.record(settle(job, State::Uncertain, None, Some(reason.clone())));
                        Some(Sent::Uncertain(reason))
                    }
                };
                if sent[done.job].is_some() {
                    progress.done(sent[done.job].as_ref());
                }
            }
            why = ledger.failed(), if !ledger_failed => {
                ledger_failed = true;
                let line = format!(
                    "the ledger cannot be written ({why}): no new requests; waiting for {in_flight} in flight, whose answers are listed at the end"
                );
                if stop.is_none() {
                    progress.log(&line);
                }
                // The more serious reason wins: answers may now go unrecorded.
                stop = Some(Stop::LedgerFailed(why));
            }
            signal = signals.next() => {
                if signal && stop.is_none() {
                    halt(&mut stop, Stop::Interrupted, format!(
                        "interrupted: no new requests; waiting for {in_flight} in flight (Ctrl-C again to quit at once)"
                    ), &progress);
                } else if signal {
                    progress.log("interrupted twice: quitting without waiting; the orders in flight are uncertain");
                    break;
                }
            }
            _ = wait_until(next_retry), if next_retry.is_some() && stop.is_none() => {
                while let Some(Reverse((at, job))) = later.peek().copied() {
                    if at > Instant::now() {
                        break;
                    }
                    later.pop();
                    ready.push_back(job);
                }
            }
            _ = async {
                tokio::time::sleep_until(hold_until.into()).await;
                limiter.until_ready().await;
            }, if can_dispatch => {
                let Some(index) = ready.pop_front() else { continue };
                let job = &jobs[index];
                // The request leaves only once its `sending` record is on disk.
                let committed = ledger.commit(Change::Sending {
                    key: job.key.clone(),
                    fingerprint: job.fingerprint.clone(),
                    source_file: source_file.to_string(),
                    rows: job.rows.clone(),
                    update_of: job.update_of.clone(),
                });
                attempts[index] += 1;
                requests += 1;
                first_request.get_or_insert_with(Instant::now);
                in_flight += 1;
                flying.insert(index);
                if options.verbose {
                    let update = job.update_of.as_ref().map(|u| format!(" (update of {u})")).unwrap_or_default();
                    progress.log(&format!("{} -> attempt {}{update}", job.key, attempts[index]));
                }
                let (client, body, tx, path) = (client.clone(), job.body.clone(), done_tx.clone(), path.to_string());
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
            _ = progress.tick() => {}
        }
    }
    let unsent = stop
        .as_ref()
        .map_or(Sent::Skipped("not sent".into()), Stop::unsent);
    let reason = stop.as_ref().map_or("the run ended".into(), Stop::reason);
    for index in flying {
        // Their `sending` record stays: the next run treats them as uncertain and looks them up.
        sent[index] = Some(Sent::Uncertain(
            "the run was interrupted twice while it was being sent".into(),
        ));
    }
    for Reverse((_, index)) in later.drain() {
        sent[index] = Some(Sent::Failed(format!(
            "{reason}; its last attempt failed, and the next run sends it again"
        )));
    }
    progress.finish();
    Report {
        sent: sent
            .into_iter()
            .map(|s| s.unwrap_or_else(|| unsent.clone()))
            .collect(),
        requests,
        stop,
        sending: first_request.map_or(Duration::ZERO, |t| t.elapsed()),
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
/// that none is missed between two waits.
struct Signals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals {
                streams: signal(SignalKind::interrupt())
                    .ok()
                    .zip(signal(SignalKind::terminate()).ok()),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn next(&mut self) -> bool {
        #[cfg(unix)]
        if let Some((interrupt, terminate)) = self.streams.as_mut() {
            tokio::select! {
                _ = interrupt.recv() => return true,
                _ = terminate.recv() => return true,
            }
        }
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// The jitter of retries (full jitter: a uniform wait up to the ceiling).
struct Dice(u64);

impl Dice {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        Dice(seed)
    }
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A progress bar on a terminal; a plain line every 10 seconds elsewhere.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: usize,
    created: usize,
    started: Instant,
    enabled: bool,
    ticker: tokio::time::Interval,
}

impl Progress {
    fn new(total: usize, enabled: bool) -> Self {
        use std::io::IsTerminal;
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} orders  {per_sec}  ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        let mut ticker = tokio::time::interval(Duration::from_secs(10));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Progress {
            bar,
            total,
            done: 0,
            created: 0,
            started: Instant::now(),
            enabled,
            ticker,
        }
    }

    fn done(&mut self, sent: Option<&Sent>) {
        self.done += 1;
        if matches!(sent, Some(Sent::Created(_))) {
            self.created += 1;
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// A line for the user, above the bar when there is one.
    fn log(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    async fn tick(&mut self) {
        self.ticker.tick().await;
        if self.enabled && self.bar.is_none() && self.started.elapsed() > Duration::from_secs(5) {
            let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(0.001);
            let eta = if rate > 0.0 {
                (self.total - self.done) as f64 / rate
            } else {
                0.0
            };
            eprintln!(
                "progress: {}/{} orders done ({} created), {rate:.1} orders/s, about {eta:.0} s to go",
                self.done, self.total, self.created
            );
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
