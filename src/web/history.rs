//! The history page: the runs this app started, and every order the ledger holds as created
//! for this provider with the status the provider last gave (`status`'s reading), a button
//! that asks the provider again (the orders not in a final state, paced as `status` is), and
//! cancel for an order sent by mistake, behind a confirmation with the note the provider
//! requires. The ledger is the one `submit` uses; the library's `status` and `cancel` do the
//! asking.

use super::pages::{self, csrf, frame};
use super::App;
use crate::api::client::Client;
use crate::error::Error;
use crate::model::Endpoint;
use crate::send::cancel::{self, Target};
use crate::send::ledger::{Known, Ledger, Scope};
use crate::send::status;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use std::sync::Arc;

/// A line the page says once, after a refresh or a cancellation.
#[derive(serde::Deserialize, Default)]
pub struct Said {
    said: Option<String>,
}

fn scope(app: &App, endpoint: Endpoint) -> Scope {
    Scope {
        base_url: app.target.base_url.key.clone(),
        endpoint: endpoint.name().to_string(),
    }
}

/// The ledger's created orders of both endpoints, newest first.
fn orders(ledger: &Ledger, app: &App) -> Result<Vec<(Endpoint, Known)>, Error> {
    let mut all = Vec::new();
    for endpoint in Endpoint::ALL {
        for known in ledger.created_orders(&scope(app, endpoint))? {
            all.push((endpoint, known));
        }
    }
    all.reverse();
    Ok(all)
}

/// `GET /history`.
pub async fn page(State(app): State<Arc<App>>, Query(said): Query<Said>) -> Response {
    let busy = app.ledger.try_lock();
    let listed = match busy {
        Err(_) => Err(
            "a send of this app is using the ledger; this page shows it once the send is done"
                .to_string(),
        ),
        Ok(_guard) => {
            if app.target.ledger.exists() {
                Ledger::open(&app.target.ledger)
                    .and_then(|l| orders(&l, &app))
                    .map_err(|e| e.to_string())
            } else {
                Ok(Vec::new())
            }
        }
    };
    let body = html! {
        h1 { "Sent orders" }
        @if let Some(said) = &said.said { p role="status" { (said) } }
        section aria-labelledby="runs" {
            h2 #runs { "Runs of this app" }
            @let runs = app.runs.list();
            @if runs.is_empty() { p { "None yet." } }
            ul {
                @for run in runs.iter().rev() {
                    @let p = run.progress();
                    li { a href={"/runs/" (run.id)} { (run.started) " · " (run.sheet) } " · " (p.phase) ", " (p.created) " created of " (p.total) }
                }
            }
        }
        section aria-labelledby="orders" {
            h2 #orders { "Orders in the ledger" }
            p { "Ledger " code { (app.target.ledger.display()) } ", provider " code { (app.target.base_url.url) } }
            form method="post" action="/history/refresh" {
                (csrf(&app))
                button type="submit" { "Refresh statuses from the provider" }
                " (orders in a final state, CANCELLED, EXPIRED, REFUNDED, are not asked again)"
            }
            @match &listed {
                Err(why) => p.alert role="alert" { (why) },
                Ok(orders) if orders.is_empty() => p { "No order was created yet." },
                Ok(orders) => (table(&app, orders)),
            }
        }
    };
    frame(&app, "Sent orders", body).into_response()
}

fn table(app: &App, orders: &[(Endpoint, Known)]) -> Markup {
    html! {
        table.history {
            thead { tr {
                th scope="col" { "Order" } th scope="col" { "Order id" } th scope="col" { "Amount" }
                th scope="col" { "Status" } th scope="col" { "Before" } th scope="col" { "Checked" }
                th scope="col" { "Sheet and rows" } th scope="col" { "Cancel" }
            } }
            tbody {
                @for (endpoint, o) in orders {
                    tr {
                        td { (o.key) } td { (o.order_uuid) } td { (o.amount.as_deref().unwrap_or("")) }
                        td { (crate::report::status::shown_status(o)) }
                        td { (o.previous.as_deref().unwrap_or("")) }
                        td { (o.checked_at.as_deref().unwrap_or("never")) }
                        td { (o.source_file.as_deref().map(short).unwrap_or_default()) " " (o.source_rows.as_deref().unwrap_or("")) }
                        td {
                            @if !o.status.as_deref().is_some_and(status::is_final) {
                                @let dialog = format!("cancel-{}", o.order_uuid);
                                button type="button" data-dialog=(dialog) { "Cancel " (o.order_uuid) "…" }
                                dialog id=(dialog) aria-labelledby={(dialog) "-title"} {
                                    form method="post" action={"/orders/" (o.order_uuid) "/cancel"} {
                                        (csrf(app))
                                        input type="hidden" name="endpoint" value=(endpoint.name());
                                        h2 id={(dialog) "-title"} { "Cancel order " (o.order_uuid) " (" (o.key) ")?" }
                                        p { "The customer's invoice is withdrawn at the provider. This cannot be undone." }
                                        label for={(dialog) "-note"} { "Why (the provider keeps this note)" }
                                        textarea id={(dialog) "-note"} name="note" required {}
                                        button type="submit" { "Confirm: cancel " (o.order_uuid) }
                                        " "
                                        button type="button" data-close=(dialog) { "Keep it" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A sheet's file name without the app's temporary folder.
fn short(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
        .to_string()
}

fn back(said: &str) -> Response {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("said", said)
        .finish();
    Redirect::to(&format!("/history?{query}")).into_response()
}

/// `POST /history/refresh`: asks the provider the status of every order not in a final state.
pub async fn refresh(State(app): State<Arc<App>>) -> Response {
    let Ok(_busy) = app.ledger.try_lock() else {
        return back("A send is using the ledger: refresh once it is done.");
    };
    match ask_all(&app).await {
        Ok(said) => back(&said),
        Err(e) => pages::problem(&app, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn ask_all(app: &App) -> Result<String, Error> {
    if !app.target.ledger.exists() {
        return Ok("No order was created yet.".into());
    }
    let mut ledger = Ledger::open(&app.target.ledger)?;
    let client = Client::new(
        &app.target.base_url,
        &app.target.token,
        app.settings.timeout,
    )?;
    let options = status::Options::at(app.settings.options.rate, app.settings.options.max_wait);
    let (mut read, mut changed, mut missing) = (0, 0, 0);
    for endpoint in Endpoint::ALL {
        let scope = scope(app, endpoint);
        let known = ledger.created_orders(&scope)?;
        let chosen: Vec<&Known> = status::to_ask(&known, false)
            .into_iter()
            .map(|i| &known[i])
            .collect();
        let report = match status::ask(&mut ledger, &scope, &client, &chosen, &options, |_| {}).await {
            Ok(report) => report,
            Err(lost) => {
                return Ok(format!(
                    "Stopped: the ledger could not be written ({}); the provider's answer for {2} ({3}), {1}, is not recorded: keep it",
                    lost.error, lost.seen, lost.order_uuid, lost.key
                ))
            }
        };
        for asked in &report.asked {
            match asked {
                status::Asked::Read { changed: c } => {
                    read += 1;
                    changed += usize::from(*c);
                }
                status::Asked::NotFound | status::Asked::Failed(_) => missing += 1,
            }
        }
        if let Some(status::Stop::Refused(why) | status::Stop::Gave(why)) = report.stop {
            return Ok(format!("Stopped asking: {why}"));
        }
    }
    Ok(format!(
        "Statuses read: {read} ({changed} changed); not read: {missing}"
    ))
}

#[derive(serde::Deserialize)]
pub struct Cancel {
    note: String,
    endpoint: String,
}

/// `POST /orders/{id}/cancel`: cancels an order the ledger holds as created.
pub async fn cancel(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(form): Form<Cancel>,
) -> Response {
    if form.note.trim().is_empty() {
        return back("Not cancelled: the provider requires a note saying why.");
    }
    let Ok(endpoint) = Endpoint::named(&form.endpoint) else {
        return pages::problem(&app, StatusCode::BAD_REQUEST, "no such endpoint");
    };
    let Ok(_busy) = app.ledger.try_lock() else {
        return back("A send is using the ledger: cancel once it is done.");
    };
    match cancel_one(&app, endpoint, &id, form.note.trim()).await {
        Ok(said) => back(&said),
        Err(e) => pages::problem(&app, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn cancel_one(app: &App, endpoint: Endpoint, id: &str, note: &str) -> Result<String, Error> {
    let scope = scope(app, endpoint);
    let mut ledger = Ledger::open(&app.target.ledger)?;
    let Some(known) = ledger.created_order(&scope, id)? else {
        return Ok(format!(
            "Not cancelled: the ledger holds no created order {id}."
        ));
    };
    tracing::info!("cancelling {id} ({})", known.key);
    let client = Client::new(
        &app.target.base_url,
        &app.target.token,
        app.settings.timeout,
    )?;
    let targets = [Target {
        order_uuid: id.to_string(),
        known: Some(known),
    }];
    let report = cancel::cancel(
        &mut ledger,
        &scope,
        &client,
        &targets,
        note,
        app.settings.options.rate,
        app.settings.options.max_wait,
    )
    .await?;
    let result = report
        .results
        .first()
        .map_or_else(|| "not asked".to_string(), cancel::Cancellation::said);
    Ok(format!("{id}: {result}"))
}
