//! Progress while orders are sent, read from the send loop's events: a bar on a terminal, a
//! plain line every 10 seconds elsewhere, the 429 waits and the reasons to stop always; every
//! request and answer as `tracing` events (shown with `-v`, retries with `-vv`). One consumer
//! of the event stream; a browser page would be another.

use crate::model::event::Event;
use crate::model::outcome::Sent;
use std::io::IsTerminal;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

/// How much to show.
#[derive(Clone, Copy, Debug)]
pub struct Show {
    /// A bar on a terminal, else a line every 10 seconds; neither when false.
    pub progress: bool,
}

/// Shows the events of a run of `total` orders until the sender is gone.
pub async fn show(mut events: UnboundedReceiver<Event>, total: usize, show: Show) {
    let mut progress = Progress::new(total, show);
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(10),
        Duration::from_secs(10),
    );
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => progress.event(event),
                None => break,
            },
            _ = ticker.tick() => progress.periodic(),
        }
    }
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }
}

struct Progress {
    bar: Option<indicatif::ProgressBar>,
    show: Show,
    total: usize,
    done: usize,
    created: usize,
    started: Instant,
}

impl Progress {
    fn new(total: usize, show: Show) -> Self {
        // Log lines would tear a bar apart: with `-v` (or RUST_LOG), progress comes as lines.
        let logging = tracing::enabled!(tracing::Level::INFO);
        let bar = (show.progress && !logging && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} orders  {per_sec}  ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            bar,
            show,
            total,
            done: 0,
            created: 0,
            started: Instant::now(),
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Requested {
                key,
                attempt,
                update_of,
            } => {
                let update = update_of
                    .map(|u| format!(" (update of {u})"))
                    .unwrap_or_default();
                tracing::info!("{key} -> attempt {attempt}{update}");
            }
            Event::Answered { key, status, took } => {
                tracing::info!("{key} <- {status} in {} ms", took.as_millis());
            }
            Event::Retrying { key, reason, wait } => {
                tracing::debug!("{key}: {reason}; retrying in {} ms", wait.as_millis());
            }
            Event::Waiting { wait, note } => {
                let note = note.map(|n| format!("; {n}")).unwrap_or_default();
                self.line(&format!(
                    "the provider asks to wait {} s (429{note}); waiting",
                    wait.as_secs()
                ));
            }
            Event::Finished { sent, .. } => {
                self.done += 1;
                if matches!(sent, Sent::Created(_)) {
                    self.created += 1;
                }
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
            }
            Event::Stopping { why, in_flight } => {
                let waiting = match in_flight {
                    0 => String::new(),
                    n => format!("; waiting for the {n} request(s) in flight"),
                };
                self.line(&format!("{why}{waiting}"));
            }
        }
    }

    /// A line for the user, above the bar when there is one.
    fn line(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Off a terminal: how far the run is, every 10 seconds.
    fn periodic(&self) {
        if !self.show.progress || self.bar.is_some() {
            return;
        }
        let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        let eta = if rate > 0.0 {
            self.total.saturating_sub(self.done) as f64 / rate
        } else {
            0.0
        };
        eprintln!(
            "progress: {}/{} orders done ({} created), {rate:.1} orders/s, about {eta:.0} s to go",
            self.done, self.total, self.created
        );
    }
}
