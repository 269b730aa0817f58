//! Sends from the page: a run checks the sheet as it now stands, plans it on the ledger and
//! sends through the library's `prepare` and `run`, exactly as `submit` does (the same ledger,
//! so nothing is sent twice whichever front end sent it), and reads the send loop's events
//! into its progress, which the run's page follows live over server-sent events. Its Stop
//! button stops the run as one Ctrl-C does. At the end the result files are written in the
//! run's folder for download.

use super::pages::{self, csrf, frame};
use super::{sheets, App};
use crate::api::client::Client;
use crate::error::Error;
use crate::model::event::Event;
use crate::model::outcome::{RowStatus, Sent};
use crate::pipeline::{self, Checked};
use crate::report;
use crate::send::ledger::{Ledger, Scope};
use crate::send::{self, plan, verdicts, Planning, Sending};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Every run this app started, newest last.
#[derive(Default)]
pub struct Runs {
    all: Mutex<Vec<Arc<Run>>>,
}

impl Runs {
    fn add(&self, run: Arc<Run>) {
        if let Ok(mut all) = self.all.lock() {
            all.push(run);
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Run>> {
        self.all.lock().ok()?.iter().find(|r| r.id == id).cloned()
    }

    pub fn list(&self) -> Vec<Arc<Run>> {
        self.all.lock().map(|all| all.clone()).unwrap_or_default()
    }

    /// The app is stopping: every run stops as on Ctrl-C.
    pub fn stop_all(&self) {
        for run in self.list() {
            run.press_stop();
        }
    }

    /// Waits until no run is sending any more (each records its last answers in the ledger
    /// and writes its files); a second Ctrl-C makes a run quit without waiting for answers.
    pub async fn finished(&self) {
        for run in self.list() {
            let mut version = run.version.subscribe();
            while !run.progress().is_finished() {
                if version.changed().await.is_err() {
                    break;
                }
            }
        }
    }
}

/// One send from the page.
pub struct Run {
    pub id: String,
    pub sheet: String,
    pub started: String,
    folder: PathBuf,
    button: watch::Sender<u32>,
    progress: Mutex<Progress>,
    /// Bumped on every change of `progress`, for the pages that follow it.
    version: watch::Sender<u64>,
}

/// What a run has done so far, as the page shows it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Progress {
    /// `checking`, `sending`, `stopping`, `done`, or `failed`.
    pub phase: String,
    /// Orders to send, and done (an answer or a decision for each).
    pub total: usize,
    pub done: usize,
    pub created: usize,
    pub rejected: usize,
    pub failed: usize,
    pub uncertain: usize,
    pub skipped: usize,
    /// A 429 wait in progress, said as a wait.
    pub waiting: Option<String>,
    /// Why the run stops early, when it does.
    pub stopping: Option<String>,
    /// What became of each order sent, in the order the answers came.
    pub orders: Vec<OrderLine>,
    /// The run could not start or finish, and why.
    pub error: Option<String>,
    /// The line the summary ends with, once done.
    pub summary: Option<String>,
    /// The files to download once done: (name, label).
    pub files: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct OrderLine {
    pub key: String,
    pub rows: String,
    pub status: String,
    pub order_id: String,
    pub message: String,
}

impl Progress {
    pub fn is_finished(&self) -> bool {
        self.phase == "done" || self.phase == "failed"
    }
}

impl Run {
    fn update(&self, change: impl FnOnce(&mut Progress)) {
        if let Ok(mut progress) = self.progress.lock() {
            change(&mut progress);
        }
        self.version.send_modify(|v| *v += 1);
    }

    pub fn progress(&self) -> Progress {
        self.progress.lock().map(|p| p.clone()).unwrap_or_default()
    }

    fn press_stop(&self) {
        self.button.send_modify(|n| *n += 1);
    }
}

/// `POST /sheets/{id}/send`: start a run of the sheet as it now stands.
pub async fn start(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(upload) = app.sheets.get(&id) else {
        return pages::not_found(&app);
    };
    let guard = upload.lock().await;
    if !matches!(guard.view, sheets::View::Checked(_)) {
        return pages::problem(
            &app,
            StatusCode::CONFLICT,
            "This sheet cannot be sent as it stands: its columns must be matched first.",
        );
    }
    let count = app.runs.list().len() + 1;
    let run_id = format!("{count}{}", &super::guard::new_secret()[..6]);
    let folder = guard.original.with_file_name(format!("run-{run_id}"));
    if let Err(e) = std::fs::create_dir_all(&folder) {
        return pages::problem(
            &app,
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("no folder for the run's files: {e}"),
        );
    }
    let (button, pressed) = watch::channel(0);
    let run = Arc::new(Run {
        id: run_id.clone(),
        sheet: guard.name.clone(),
        started: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        folder,
        button,
        progress: Mutex::new(Progress {
            phase: "checking".into(),
            ..Progress::default()
        }),
        version: watch::channel(0).0,
    });
    let args = sheets::settings_args(&app, &guard);
    drop(guard);
    app.runs.add(run.clone());
    tracing::info!("run {run_id} of sheet {id} started");
    let task_app = app.clone();
    tokio::spawn(async move {
        let outcome = execute(&task_app, &run, args, pressed).await;
        if let Err(e) = outcome {
            run.update(|p| {
                p.phase = "failed".into();
                p.error = Some(e.to_string());
            });
        }
        // The page shows the ledger's knowledge of its rows now.
        if let Some(upload) = task_app.sheets.get(&id) {
            let mut upload = upload.lock_owned().await;
            let app = task_app.clone();
            let _ = tokio::task::spawn_blocking(move || sheets::recheck(&app, &mut upload)).await;
        }
    });
    Redirect::to(&format!("/runs/{run_id}")).into_response()
}

/// Check, plan, send and write the results; the same library steps as `submit`.
async fn execute(
    app: &App,
    run: &Run,
    args: (crate::cli::SheetArgs, crate::settings::Choices),
    pressed: watch::Receiver<u32>,
) -> Result<(), Error> {
    let (settings, planning, mut checked, valid) = tokio::task::spawn_blocking(move || {
        let settings = crate::settings::Settings::for_page(&args.0, &args.1)?;
        let planning = Planning::of(&settings, plan::Choices::default());
        let mut readying = planning.readying();
        let checked = pipeline::check(&settings, |index, order| readying.push((index, order)))?;
        let valid = readying.finish()?;
        Ok::<_, Error>((settings, planning, checked, valid))
    })
    .await
    .map_err(|e| Error::bug(format!("the check stopped: {e}")))??;
    let target = &app.target;
    let scope = Scope {
        base_url: target.base_url.key.clone(),
        endpoint: settings.rules.endpoint.name().to_string(),
    };
    let _busy = app.ledger.lock().await;
    let mut ledger = Ledger::open(&target.ledger)?;
    let client = Client::new(&target.base_url, &target.token, app.settings.timeout)?;
    let planned = send::prepare(
        &mut ledger,
        &scope,
        (&mut checked, valid),
        &client,
        planning,
    )
    .await?;
    let rows: HashMap<String, String> = planned
        .jobs
        .iter()
        .map(|j| {
            let rows: Vec<String> = j.rows.iter().map(u32::to_string).collect();
            (j.key.clone(), rows.join(", "))
        })
        .collect();
    run.update(|p| {
        p.phase = "sending".into();
        p.total = planned.jobs.len();
    });
    let (events, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let follow = async {
        while let Some(event) = heard.recv().await {
            follow_event(run, &rows, event);
        }
    };
    let source = settings.sheet.display().to_string();
    let sending = Sending {
        client: &client,
        path: settings.rules.endpoint.path(),
        source: &source,
        options: &app.settings.options,
        stop: Some(pressed),
    };
    let ((report, ledger), ()) = tokio::join!(
        send::run(ledger, scope, &planned.jobs, sending, events),
        follow
    );
    let unrecorded = ledger.err();
    verdicts::sent(&mut checked, &planned.job_orders, report.sent);
    let files = write_files(run, &checked, &settings.sheet);
    let summary = summary_line(&checked, report.stop.as_ref().map(|s| s.reason()));
    run.update(|p| {
        // The orders a stop left unsent are skipped: a decision for each.
        let rest = p.total.saturating_sub(p.done);
        p.skipped += rest;
        p.done += rest;
        p.phase = "done".into();
        p.waiting = None;
        p.summary = Some(summary);
        p.files = files;
        if let Some(unrecorded) = unrecorded {
            p.error = Some(format!(
                "the ledger could not be written ({}); {} answer(s) of the provider are not in it: keep the result file",
                unrecorded.error,
                unrecorded.changes.len()
            ));
        }
    });
    Ok(())
}

/// One event of the send loop onto the run's progress.
fn follow_event(run: &Run, rows: &HashMap<String, String>, event: Event) {
    match event {
        Event::Waiting { wait, .. } => run.update(|p| {
            p.waiting = Some(format!(
                "The provider asked to slow down (429): waiting {}",
                report::summary::spoken(wait)
            ));
        }),
        Event::Stopping { why, .. } => run.update(|p| {
            p.phase = "stopping".into();
            p.stopping = Some(why);
        }),
        Event::Finished { key, sent } => run.update(|p| {
            p.done += 1;
            p.waiting = None;
            let (status, order_id, message) = match &sent {
                Sent::Created(ids) => {
                    p.created += 1;
                    (RowStatus::Created, ids.order_uuid.clone(), String::new())
                }
                Sent::Rejected(messages) => {
                    p.rejected += 1;
                    (RowStatus::Rejected, String::new(), messages.join("; "))
                }
                Sent::Failed(why) => {
                    p.failed += 1;
                    (RowStatus::Failed, String::new(), why.clone())
                }
                Sent::Uncertain(why) => {
                    p.uncertain += 1;
                    (RowStatus::Uncertain, String::new(), why.clone())
                }
                Sent::Skipped(why) => {
                    p.skipped += 1;
                    (RowStatus::Skipped, String::new(), why.clone())
                }
            };
            p.orders.push(OrderLine {
                rows: rows.get(&key).cloned().unwrap_or_default(),
                key,
                status: status.as_str().to_string(),
                order_id,
                message,
            });
        }),
        Event::Requested { .. } | Event::Answered { .. } => {
            run.update(|p| p.waiting = None);
        }
        Event::Retrying { .. } => {}
    }
}

/// The result (XLSX and CSV) and the failed rows, in the run's folder; back come the
/// downloads (name, label).
fn write_files(run: &Run, checked: &Checked, sheet: &std::path::Path) -> Vec<(String, String)> {
    let stem = sheet
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("sheet")
        .trim_end_matches(".corrected");
    let mut files = Vec::new();
    let mut write =
        |name: String, label: &str, write: &dyn Fn(&std::path::Path) -> Result<(), Error>| {
            let path = run.folder.join(&name);
            match write(&path) {
                Ok(()) => files.push((name, label.to_string())),
                Err(e) => tracing::warn!("run {}: {name} could not be written: {e}", run.id),
            }
        };
    write(
        format!("{stem}.result.xlsx"),
        "Download the result (XLSX, problem cells highlighted)",
        &|p| report::write_result(checked, p),
    );
    write(
        format!("{stem}.result.csv"),
        "Download the result (CSV)",
        &|p| report::write_result(checked, p),
    );
    let failed = checked
        .orders
        .iter()
        .any(|o| !o.status.is_created_or_would_be());
    if failed {
        let ext = if crate::pipeline::read::is_workbook(sheet) {
            "xlsx"
        } else {
            "csv"
        };
        write(
            format!("{stem}.failed-rows.{ext}"),
            "Download the rows not created, to fix and send again",
            &|p| report::write_failed_rows(checked, p).map(drop),
        );
    }
    files
}

/// What became of the sheet's orders, in a line.
fn summary_line(checked: &Checked, stopped: Option<String>) -> String {
    let orders = report::summary::statuses_line(checked);
    match stopped {
        Some(why) => format!("Stopped: {why}. Orders: {orders}"),
        None => format!("Orders: {orders}"),
    }
}

/// `GET /runs/{id}`: the run's progress (live with the page's script), then its downloads.
pub async fn page(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(run) = app.runs.get(&id) else {
        return pages::not_found(&app);
    };
    let progress = run.progress();
    let title = format!("Sending {}", run.sheet);
    frame(&app, &title, body(&app, &run, &progress)).into_response()
}

fn body(app: &App, run: &Run, p: &Progress) -> Markup {
    let finished = p.is_finished();
    html! {
        div #run data-run=(run.id) data-finished=(finished) {
            h1 { "Sending " (run.sheet) }
            p { "Started " (run.started) " · to " (app.target.environment) " (" (app.target.base_url.url) ")" }
            div #progress role="progressbar" aria-label="Orders sent" aria-valuemin="0"
                aria-valuenow=(p.done) aria-valuemax=(p.total) {
                div.bar style={"width: " ((p.done * 100).checked_div(p.total).unwrap_or(if finished { 100 } else { 0 })) "%"} {}
            }
            p #counts aria-live="polite" {
                span #phase { (p.phase) } ": "
                span #done { (p.done) } " of " span #total { (p.total) } " done; "
                span #created { (p.created) } " created, "
                span #rejected { (p.rejected) } " rejected, "
                span #failed { (p.failed) } " failed, "
                span #uncertain { (p.uncertain) } " uncertain"
            }
            p #waiting.wait aria-live="polite" { @if let Some(w) = &p.waiting { (w) } }
            p #stopping aria-live="polite" { @if let Some(s) = &p.stopping { (s) } }
            p #error.alert role="alert" { @if let Some(e) = &p.error { (e) } }
            p #summary { @if let Some(s) = &p.summary { (s) } }
            @if !finished {
                form #stop-form method="post" action={"/runs/" (run.id) "/stop"} {
                    (csrf(app))
                    button #stop type="submit" { "Stop sending" }
                }
                noscript { meta http-equiv="refresh" content="2"; }
            }
            ul #files {
                @for (name, label) in &p.files {
                    li { a href={"/runs/" (run.id) "/files/" (name)} download=(name) { (label) } }
                }
            }
            table #orders {
                caption { "Orders sent" }
                thead { tr { th scope="col" { "Order" } th scope="col" { "Rows" } th scope="col" { "Status" } th scope="col" { "Order id" } th scope="col" { "Message" } } }
                tbody {
                    @for o in &p.orders {
                        tr { td { (o.key) } td { (o.rows) } td { (o.status) } td { (o.order_id) } td { (o.message) } }
                    }
                }
            }
            p { a href="/history" { "All orders sent" } }
        }
    }
}

/// `GET /runs/{id}/events`: the progress as server-sent events, each one the counters and
/// the orders finished since the last one, until the run is done.
pub async fn events(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(run) = app.runs.get(&id) else {
        return pages::not_found(&app);
    };
    let changes = run.version.subscribe();
    let stream = futures_util::stream::unfold(
        (run, changes, 0usize, Some(false)),
        |(run, mut changes, sent, state)| async move {
            let waited = state?;
            if waited {
                // Changes come in bursts: one event per tenth of a second is plenty.
                let _ = changes.changed().await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let mut p = run.progress();
            let finished = p.is_finished();
            let new: Vec<OrderLine> = p.orders.split_off(sent.min(p.orders.len()));
            let sent = sent + new.len();
            let data = serde_json::json!({
                "phase": p.phase, "total": p.total, "done": p.done, "created": p.created,
                "rejected": p.rejected, "failed": p.failed, "uncertain": p.uncertain,
                "skipped": p.skipped, "waiting": p.waiting, "stopping": p.stopping,
                "error": p.error, "summary": p.summary, "files": p.files, "orders": new,
            });
            let event = sse::Event::default().data(data.to_string());
            let next = (!finished).then_some(true);
            Some((
                Ok::<_, std::convert::Infallible>(event),
                (run, changes, sent, next),
            ))
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// `POST /runs/{id}/stop`: as one Ctrl-C: nothing new is sent, answers in flight are awaited.
pub async fn stop(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(run) = app.runs.get(&id) else {
        return pages::not_found(&app);
    };
    tracing::info!("run {id}: stop pressed");
    run.press_stop();
    Redirect::to(&format!("/runs/{id}")).into_response()
}

/// `GET /runs/{id}/files/{name}`: one of the run's files.
pub async fn download(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    let Some(run) = app.runs.get(&id) else {
        return pages::not_found(&app);
    };
    if !run.progress().files.iter().any(|(n, _)| *n == name) {
        return pages::not_found(&app);
    }
    sheets::download(&app, &run.folder.join(&name), &name)
}
