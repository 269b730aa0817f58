//! The review page of a sheet: what was detected, which header became which field (and, when
//! a required field has no column, the choice of one), the totals, every problem in a list
//! and in place on the grid, as Excel would show the sheet, and the Send button with its
//! confirmation. The grid follows the ARIA grid pattern: each row's `aria-rowindex` is the row
//! number Excel shows, each cell's `aria-colindex` its column in the sheet (1-based), an error
//! cell is `aria-invalid` and described by its message.

use super::pages::{self, csrf, frame};
use super::sheets::{Mapping, Review, Upload, View};
use super::App;
use crate::model::fields::Field;
use crate::model::problem::{column_letters, Problem, Severity};
use crate::pipeline::read::Row;
use axum::extract::{Path, State as AppState};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use rust_decimal::Decimal;
use std::ops::ControlFlow;
use std::sync::Arc;

/// How many rows the grid shows at most besides the rows with problems (a sheet of a
/// million lines is checked whole, but a page of a million rows helps nobody).
const SHOWN_ROWS: usize = 2000;

/// `GET /sheets/{id}`.
pub async fn page(AppState(app): AppState<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(upload) = app.sheets.get(&id) else {
        return pages::not_found(&app);
    };
    let upload = upload.lock().await;
    frame(&app, &upload.name, body(&app, &upload)).into_response()
}

/// `GET /sheets/{id}/grid`: the review part alone, for the page's script to swap in after a
/// correction.
pub async fn grid_fragment(AppState(app): AppState<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(upload) = app.sheets.get(&id) else {
        return pages::not_found(&app);
    };
    let upload = upload.lock().await;
    body(&app, &upload).into_response()
}

fn body(app: &App, upload: &Upload) -> Markup {
    html! {
        div #review data-sheet=(upload.id) {
            h1 { (upload.name) }
            (sheet_picker(app, upload))
            @match &upload.view {
                View::Unreadable(message) => {
                    p.alert role="alert" { (message) }
                    p { a href="/" { "Choose another sheet" } }
                }
                View::Mapping(mapping) => (mapping_form(app, upload, mapping)),
                View::Checked(review) => (reviewed(app, upload, review)),
            }
        }
    }
}

/// The endpoint the sheet is checked for, and the workbook's sheet when it has several.
fn sheet_picker(app: &App, upload: &Upload) -> Markup {
    let first = upload.sheet_names.first().map(String::as_str).unwrap_or("");
    html! {
        form.inline method="post" action={"/sheets/" (upload.id) "/mapping"} {
            (csrf(app))
            label for="review-endpoint" { "Endpoint" }
            select #review-endpoint name="endpoint" {
                @for endpoint in crate::model::Endpoint::ALL {
                    option value=(endpoint.name()) selected[endpoint == upload.endpoint] { (endpoint.name()) }
                }
            }
            @if upload.sheet_names.len() > 1 {
                " "
                label for="sheet_name" { "Sheet of the workbook" }
                select #sheet_name name="sheet_name" {
                    @for name in &upload.sheet_names {
                        option value=(name) selected[upload.sheet.as_deref().unwrap_or(first) == name] { (name) }
                    }
                }
            }
            " "
            button type="submit" { "Check again" }
        }
    }
}

/// Required fields without a column: pick one of the sheet's headers (the best guess first)
/// or type a value for every order.
fn mapping_form(app: &App, upload: &Upload, mapping: &Mapping) -> Markup {
    let map = &mapping.map;
    html! {
        section aria-labelledby="match" {
            h2 #match { "Match the columns" }
            p.alert role="alert" {
                "These required fields have no column in the sheet: "
                (mapping.missing.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "))
                ". For each, pick the column that holds it, or type the value every order gets (a URL, an invoice fee yes/no, … is usually the same for every order)."
            }
            details { summary { "What the command line says" } pre { (mapping.message) } }
            form method="post" action={"/sheets/" (upload.id) "/mapping"} {
                (csrf(app))
                table.mapping {
                    thead { tr { th scope="col" { "Field" } th scope="col" { "Column of the sheet" } th scope="col" { "or a value for every order" } } }
                    tbody {
                        @for field in &mapping.missing {
                            @let guess = map.lookalike(*field).map(|(h, _)| h.to_string());
                            tr {
                                th scope="row" { (field.name()) }
                                td {
                                    label.visually-hidden for={"column-" (field.name())} { "Column for " (field.name()) }
                                    select id={"column-" (field.name())} name={"column." (field.name())} {
                                        option value="" { "(none)" }
                                        @if let Some(guess) = &guess {
                                            option value=(guess) selected { (guess) " (best guess)" }
                                        }
                                        @for header in map.headers.iter().filter(|h| !h.is_empty() && Some(*h) != guess.as_ref()) {
                                            option value=(header) { (header) }
                                        }
                                    }
                                }
                                td {
                                    label.visually-hidden for={"default-" (field.name())} { "Value of " (field.name()) " for every order" }
                                    input id={"default-" (field.name())} type="text" name={"default." (field.name())};
                                }
                            }
                        }
                    }
                }
                div.field {
                    input #save type="checkbox" name="save" value="1";
                    label for="save" { "Save these choices in " code { (app.settings.config.display()) } }
                }
                button type="submit" { "Check again" }
            }
            (columns_table(map.headers.iter().zip(&map.by_column), &map.unknown))
        }
    }
}

/// Which header became which field, and the columns no field has.
fn columns_table<'a>(
    pairs: impl Iterator<Item = (&'a String, &'a Option<Field>)>,
    unknown: &[String],
) -> Markup {
    html! {
        details.columns {
            summary { "Columns: which header became which field" }
            table {
                thead { tr { th scope="col" { "Column" } th scope="col" { "Header" } th scope="col" { "Field" } } }
                tbody {
                    @for (i, (header, field)) in pairs.enumerate() {
                        tr {
                            td { (column_letters(i)) }
                            td { (header) }
                            td { @match field { Some(f) => (f.name()), None => em { "ignored" } } }
                        }
                    }
                }
            }
            @if !unknown.is_empty() {
                p { "Ignored (no field has these names): " (unknown.join(", ")) }
            }
        }
    }
}

fn reviewed(app: &App, upload: &Upload, review: &Review) -> Markup {
    let checked = &review.checked;
    let map = &checked.map;
    let errors = checked.problems().filter(|p| p.is_error()).count();
    let warnings = checked.problems().count() - errors;
    html! {
        section.detected aria-label="What was read" {
            p {
                (checked.sheet.format.to_string()) "; numbers with a " (checked.convention.to_string())
                "; endpoint " (review.settings.rules.endpoint.name())
            }
            @for note in &checked.notes { p.note { (note) } }
        }
        (columns_table(map.headers.iter().zip(&map.by_column), &map.unknown))
        (totals(review))
        (send_form(app, upload, review))
        section aria-labelledby="problems" {
            h2 #problems { (errors) " error(s), " (warnings) " warning(s)" }
            @if checked.problems().next().is_some() {
                ul.problems {
                    @for p in checked.problems() {
                        li.(severity(p)) {
                            a href=(cell_anchor(p, review)) data-cell=(cell_id(p, review)) {
                                "Row " (p.row)
                                @if let Some(column) = p.column(map) { ", " (column) }
                                ": " (p.message)
                            }
                        }
                    }
                }
            } @else {
                p { "No problem found." }
            }
        }
        @if !upload.edits.is_empty() {
            p { a href={"/sheets/" (upload.id) "/corrected"} download { "Download the corrected sheet" } " (" (upload.edits.len()) " cell(s) corrected)" }
        }
        (grid(upload, review))
    }
}

fn severity(p: &Problem) -> &'static str {
    match p.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The sheet column (zero-based) of the cell a problem is about: its field's, when the value
/// came from the sheet (a default's or `--set`'s problem is the row's).
fn column_of(p: &Problem, map: &crate::pipeline::map::ColumnMap) -> Option<usize> {
    p.field
        .and_then(|f| map.column(f))
        .filter(|_| p.origin == crate::model::problem::Origin::Sheet)
}

/// The grid cell a problem belongs to: its column's, else the row's status cell.
fn cell_id(p: &Problem, review: &Review) -> String {
    match column_of(p, &review.checked.map) {
        Some(c) => format!("c-{}-{}", p.row, c + 1),
        None => format!("s-{}", p.row),
    }
}

fn cell_anchor(p: &Problem, review: &Review) -> String {
    format!("#{}", cell_id(p, review))
}

/// Orders valid and invalid, the money per VAT rate of the valid ones.
fn totals(review: &Review) -> Markup {
    let checked = &review.checked;
    let numbers = checked.convention;
    let by_rate = &review.rates;
    let grand: Decimal = review.valid.iter().map(|(_, total)| total).sum();
    let invalid = checked.orders.len() - checked.valid_orders();
    html! {
        section aria-labelledby="totals" {
            h2 #totals { "Totals" }
            dl.totals {
                dt { "Orders" } dd { (checked.orders.len()) " (" (checked.valid_orders()) " valid, " (invalid) " invalid)" }
                dt { "Rows" } dd { (checked.rows.len()) }
                dt { "Valid orders, incl. VAT" } dd { (numbers.show_money(grand)) " NOK" }
            }
            @if !by_rate.is_empty() {
                table.rates {
                    caption { "Lines of the valid orders per VAT rate" }
                    thead { tr { th scope="col" { "VAT rate" } th scope="col" { "Lines" } th scope="col" { "Amount incl. VAT (NOK)" } } }
                    tbody {
                        @for (rate, (amount, lines)) in by_rate {
                            tr { td { (numbers.show(*rate)) " %" } td { (lines) } td { (numbers.show_money(*amount)) } }
                        }
                    }
                }
            }
        }
    }
}

/// The Send button and its confirmation: how many, how much, where, how long.
fn send_form(app: &App, upload: &Upload, review: &Review) -> Markup {
    let orders = &review.plan.job_orders;
    let n = orders.len();
    let grand: Decimal = review
        .valid
        .iter()
        .filter(|(i, _)| orders.binary_search(i).is_ok())
        .map(|(_, total)| total)
        .sum();
    let rate = app.settings.options.rate;
    let production = app.target.environment == "production";
    let held = review.valid.len() - n;
    html! {
        section.send aria-label="Send" {
            @if n == 0 {
                p { "Nothing to send: " (if review.valid.is_empty() { "no order is valid yet." } else { "every valid order was created before, or is held (its rows say why)." }) }
            } @else {
                button #send type="button" data-dialog="confirm" { "Send " (n) " order(s)" }
                dialog #confirm aria-labelledby="confirm-title" {
                    form method="post" action={"/sheets/" (upload.id) "/send"} {
                        (csrf(app))
                        h2 #confirm-title { "Send " (n) " order(s)?" }
                        dl {
                            dt { "Orders" } dd { (n) @if held > 0 { " (" (held) " valid one(s) are not sent: created before, or held; their rows say why)" } }
                            dt { "Grand total" } dd { (review.checked.convention.show_money(grand)) " NOK incl. VAT" }
                            dt { "Environment" } dd.environment.production[production] {
                                @if production { "PRODUCTION: these are real invoices to real customers" } @else { (app.target.environment) }
                                " (" (app.target.base_url.url) ")"
                            }
                            dt { "Time" } dd { "about " (crate::report::summary::duration(n, rate)) " at " (rate) "/min" }
                        }
                        button type="submit" { "Confirm: send " (n) " order(s)" }
                        " "
                        button type="button" data-close="confirm" { "Cancel" }
                    }
                }
            }
        }
    }
}

/// The sheet as Excel shows it, problem cells marked, the rows with problems and the first
/// [`SHOWN_ROWS`] rows.
fn grid(upload: &Upload, review: &Review) -> Markup {
    let checked = &review.checked;
    let width = checked.sheet.headers.len();
    let mut rows: Vec<Row> = Vec::new();
    let mut total = 0;
    checked.sheet.visit_rows(|row| {
        if row.is_blank() {
            return ControlFlow::Continue(());
        }
        total += 1;
        let troubled = checked
            .row(row.number)
            .is_some_and(|r| !r.problems.is_empty());
        if rows.len() < SHOWN_ROWS || troubled {
            rows.push(row.clone());
        }
        ControlFlow::Continue(())
    });
    html! {
        section aria-labelledby="grid-title" {
            h2 #grid-title { "The sheet" }
            div.field {
                input #only-problems type="checkbox" data-filter="grid";
                label for="only-problems" { "Show only rows with problems" }
            }
            @if rows.len() < total {
                p.hint { "Showing " (rows.len()) " of " (total) " rows: every row with a problem and the first " (SHOWN_ROWS) "." }
            }
            p.hint { "Select a cell and press Enter to correct it; the order is checked again at once." }
            div.grid-wrap {
                table #grid role="grid" aria-labelledby="grid-title" aria-rowcount=(checked.sheet.header_row as usize + total) aria-colcount=(width) data-sheet=(upload.id) {
                    thead {
                        tr aria-rowindex=(checked.sheet.header_row) {
                            th.rownum scope="col" { "Row" }
                            @for (c, header) in checked.sheet.headers.iter().enumerate() {
                                th scope="col" aria-colindex=(c + 1) { span.letter { (column_letters(c)) } " " (header) }
                            }
                            th scope="col" { "Status" }
                        }
                    }
                    tbody {
                        @for row in &rows {
                            (grid_row(row, width, review))
                        }
                    }
                }
            }
        }
    }
}

fn grid_row(row: &Row, width: usize, review: &Review) -> Markup {
    let checked = &review.checked;
    let result = checked.row(row.number);
    let problems: &[Problem] = result.map_or(&[], |r| &r.problems);
    let map = &checked.map;
    let in_cell = |c: usize| -> Vec<&Problem> {
        problems
            .iter()
            .filter(|p| column_of(p, map) == Some(c))
            .collect()
    };
    let elsewhere: Vec<&Problem> = problems
        .iter()
        .filter(|p| column_of(p, map).is_none())
        .collect();
    let order = result.and_then(|r| checked.orders.get(r.order as usize));
    let known = order.and_then(|o| review.known.get(&o.key));
    let status = result.map_or("", |r| r.status.as_str());
    html! {
        tr aria-rowindex=(row.number) .troubled[!problems.is_empty()] {
            th.rownum scope="row" { (row.number) }
            @for c in 0..width {
                @let here = in_cell(c);
                @let text = super::sheets::shown(row.cell(c));
                @let id = format!("c-{}-{}", row.number, c + 1);
                @if here.is_empty() {
                    td #(id) role="gridcell" aria-colindex=(c + 1) data-row=(row.number) data-value=(text) { (text) }
                } @else {
                    @let error = here.iter().any(|p| p.is_error());
                    @let message = here.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" ");
                    td #(id) role="gridcell" aria-colindex=(c + 1) tabindex="0"
                        class=(if error { "error" } else { "warning" })
                        aria-invalid=[error.then_some("true")]
                        aria-describedby={"m-" (id)}
                        title=(message)
                        data-row=(row.number) data-value=(text) {
                        (text)
                        span.message id={"m-" (id)} { (message) }
                    }
                }
            }
            td #{"s-" (row.number)} .status
                tabindex=[(!elsewhere.is_empty()).then_some("0")]
                aria-describedby=[(!elsewhere.is_empty()).then(|| format!("m-s-{}", row.number))] {
                (status.replace('_', " "))
                @if let Some((state, id)) = known {
                    " · " (state.as_str()) @if let Some(id) = id { " " (id) }
                }
                @if !elsewhere.is_empty() {
                    span.message id={"m-s-" (row.number)} {
                        (elsewhere.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" "))
                    }
                }
            }
        }
    }
}
