//! The frame every page shares (title, navigation, the environment shown unmistakably, the
//! page's secret for its forms) and the simple pages: choose a sheet, not found, a problem.

use super::guard::CSRF_FIELD;
use super::App;
use crate::model::Endpoint;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};
use std::sync::Arc;

/// A whole page: `title`, then `body` inside the frame.
pub fn frame(app: &App, title: &str, body: Markup) -> Markup {
    let environment = &app.target.environment;
    let production = environment == "production";
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf" content=(app.secret);
                title { (title) " · fpgo-export" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to the content" }
                header.top {
                    a.brand href="/" { "fpgo-export" }
                    nav aria-label="Main" {
                        a href="/" { "Choose a sheet" }
                        a href="/history" { "Sent orders" }
                    }
                    span.environment.production[production] title=(app.target.base_url.url) {
                        @if production { "PRODUCTION: real invoices" } @else { "Environment: " (environment) }
                    }
                }
                main #main { (body) }
            }
        }
    }
}

/// The hidden field with the page's secret; first in every form.
pub fn csrf(app: &App) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(app.secret); }
}

/// `GET /`: choose a sheet.
pub async fn index(State(app): State<Arc<App>>) -> Markup {
    let config = &app.settings.config;
    let max = app.settings.max_upload / (1024 * 1024);
    frame(
        &app,
        "Choose a sheet",
        html! {
            h1 { "Choose a sheet" }
            p { "A CSV or Excel file of orders. It is checked at once; nothing is sent until you say so." }
            form #upload method="post" action="/sheets" enctype="multipart/form-data" data-max=(app.settings.max_upload) {
                (csrf(&app))
                div #drop.drop {
                    label for="sheet" { "Sheet (CSV, XLSX, XLSM, XLS, XLSB or ODS; at most " (max) " MB)" }
                    input #sheet type="file" name="sheet" required
                        accept=".csv,.txt,.tsv,.xlsx,.xlsm,.xls,.xlsb,.ods";
                    p.hint { "or drop the file here" }
                }
                div.field {
                    label for="endpoint" { "Endpoint" }
                    select #endpoint name="endpoint" {
                        @for endpoint in Endpoint::ALL {
                            option value=(endpoint.name())
                                selected[Some(endpoint) == app.settings.endpoint] { (endpoint.name()) }
                        }
                    }
                }
                div.field {
                    label for="sheet_name" { "Sheet of a workbook (leave empty for the first)" }
                    input #sheet_name type="text" name="sheet_name";
                }
                p.hint {
                    @if config.exists() {
                        "Config: " code { (config.display()) }
                    } @else {
                        "No config file yet: column choices you save go to " code { (config.display()) }
                    }
                }
                p #too-large.alert role="alert" {}
                button type="submit" { "Check the sheet" }
            }
        },
    )
}

/// A page that says what went wrong and what to do, with its status.
pub fn problem(app: &App, status: StatusCode, message: &str) -> Response {
    let body = frame(
        app,
        "Problem",
        html! {
            h1 { "That did not work" }
            p role="alert" { (message) }
            p { a href="/" { "Choose a sheet" } }
        },
    );
    (status, body).into_response()
}

pub fn not_found(app: &App) -> Response {
    problem(
        app,
        StatusCode::NOT_FOUND,
        "There is no such page (the app forgets its sheets when it stops): choose the sheet again.",
    )
}
