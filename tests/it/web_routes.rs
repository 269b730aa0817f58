//! The browser app's routes over loopback, against the real binary and its own sandbox:
//! upload, mapping, review, corrections, sending and its progress events, downloads, Stop,
//! history (refresh, cancel), callbacks (right and wrong checksums, the sandbox's own), and
//! what it refuses (Host, CSRF, Origin, a non-loopback bind); no page ever carries the token.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A sheet of `orders` valid orders and one more with a bad e-mail (its first line, sheet
/// row `2 * orders + 2`, column E).
fn sheet_with_a_bad_email(orders: usize) -> Table {
    let mut table = sheet(orders + 1);
    table.set(2 * orders, "email", "kari@");
    table
}

/// The opening tag of the element with this id, and what follows up to its end tag.
fn element<'a>(body: &'a str, id: &str) -> (&'a str, &'a str) {
    let marker = format!("id=\"{id}\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no element {id}:\n{body}"));
    let start = body[..at].rfind('<').unwrap();
    let open_end = at + body[at..].find('>').unwrap();
    let close = open_end + body[open_end..].find("</td>").unwrap_or(0);
    (&body[start..=open_end], &body[open_end + 1..close])
}

/// The grid row whose `aria-rowindex` is `row`, up to its end.
fn grid_row(body: &str, row: u32) -> &str {
    let marker = format!("aria-rowindex=\"{row}\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no grid row {row}:\n{body}"));
    let end = at + body[at..].find("</tr>").unwrap();
    &body[at..end]
}

/// The history page's row of the order with this id, up to its end.
fn history_row<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body
        .find(&format!("<td>{id}</td>"))
        .unwrap_or_else(|| panic!("no order {id} in the history:\n{body}"));
    let end = at + body[at..].find("</tr>").unwrap();
    &body[at..end]
}

/// The server-sent data a run ended with.
async fn run_to_the_end(app: &WebApp, run: &str) -> Value {
    let events = app.follow(run).await;
    let last = events.last().unwrap().clone();
    assert_eq!(last["phase"], "done", "{events:?}");
    last
}

/// Every order the run's events said it finished, with their ids.
fn finished_orders(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .flat_map(|e| e["orders"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn sandbox_ids(orders: &[Value]) -> Vec<String> {
    orders
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Upload

#[tokio::test]
async fn an_uploaded_sheet_is_reviewed_with_its_problem_cell_marked() {
    let work = Workdir::new();
    let app = WebApp::start(&work, &[]).await;
    let (_, review) = app
        .upload_sheet(
            "orders.csv",
            sheet_with_a_bad_email(2).csv(b',').into_bytes(),
        )
        .await;
    assert!(
        review.body.contains("aria-invalid=\"true\""),
        "{}",
        review.body
    );
    assert!(review.body.contains("Send 2 order(s)"), "{}", review.body);
    app.assert_token_never_shown();
}

#[tokio::test]
async fn a_workbook_with_two_sheets_offers_both_and_reads_the_one_chosen() {
    let work = Workdir::new();
    let app = WebApp::start(&work, &[]).await;
    let mut book = one_line_orders(&["A-1"]).xlsx();
    book.sheet("November");
    one_line_orders(&["N-1", "N-2"]).write_to(&mut book);
    let (id, first) = app.upload_sheet("book.xlsx", book.bytes()).await;
    assert!(
        first.body.contains("<option value=\"Orders\" selected>"),
        "{}",
        first.body
    );
    assert!(
        first.body.contains("<option value=\"November\">"),
        "{}",
        first.body
    );
    assert!(first.body.contains("Send 1 order(s)"), "{}", first.body);
    assert!(first.body.contains("A-1") && !first.body.contains("N-2"));
    let chosen = app
        .post(
            &format!("/sheets/{id}/mapping"),
            &[("sheet_name", "November")],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    let second = app.get(&format!("/sheets/{id}")).await;
    assert!(second.body.contains("Send 2 order(s)"), "{}", second.body);
    assert!(second.body.contains("N-2") && !second.body.contains("A-1"));
    assert!(second.body.contains("<option value=\"November\" selected>"));
}

#[tokio::test]
async fn an_empty_upload_or_one_over_the_limit_is_refused_with_a_message() {
    let work = Workdir::new();
    let app = WebApp::start(&work, &["--max-upload", "1"]).await;
    let empty = app.upload("orders.csv", Vec::new(), &[]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{}", empty.body);
    assert!(empty.body.contains("the file is empty"), "{}", empty.body);
    let mut big = sheet(1).csv(b',').into_bytes();
    big.resize(2 * 1024 * 1024, b'\n');
    let large = app.upload("orders.csv", big, &[]).await;
    assert_eq!(
        large.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        large.body
    );
    assert!(
        large.body.contains("larger than this app takes (1 MB)"),
        "{}",
        large.body
    );
    // Just under the limit is taken.
    let (_, fine) = app
        .upload_sheet("orders.csv", sheet(1).csv(b',').into_bytes())
        .await;
    assert!(fine.body.contains("Send 1 order(s)"), "{}", fine.body);
}

// ---------------------------------------------------------------------------------------------
// Mapping

/// [`one_line_orders`] without the columns the config usually gives.
fn without_shared_columns() -> Table {
    let gone = ["callback_url", "success_url", "failure_url", "invoice_fee"];
    let full = one_line_orders(&["M-1", "M-2"]);
    let keep: Vec<usize> = (0..full.headers.len())
        .filter(|&c| !gone.contains(&full.headers[c].as_str()))
        .collect();
    Table {
        headers: keep.iter().map(|&c| full.headers[c].clone()).collect(),
        rows: full
            .rows
            .iter()
            .map(|r| keep.iter().map(|&c| r[c].clone()).collect())
            .collect(),
    }
}

#[tokio::test]
async fn missing_columns_are_asked_for_and_the_values_given_are_saved_in_the_config() {
    let work = Workdir::new();
    let config = work.write("shop.toml", "# the shop's own notes, kept\n");
    let config = config.display().to_string();
    let app = WebApp::start(&work, &["--config", &config]).await;
    let (id, mapping) = app
        .upload_sheet(
            "orders.csv",
            without_shared_columns().csv(b',').into_bytes(),
        )
        .await;
    assert!(
        mapping.body.contains("Match the columns"),
        "{}",
        mapping.body
    );
    for field in ["callback_url", "success_url", "failure_url", "invoice_fee"] {
        assert!(
            mapping.body.contains(&format!("name=\"default.{field}\"")),
            "{field}:\n{}",
            mapping.body
        );
    }
    assert!(!mapping.body.contains("Send "), "{}", mapping.body);
    let chosen = app
        .post(
            &format!("/sheets/{id}/mapping"),
            &[
                ("default.callback_url", "https://shop.example.no/cb"),
                ("default.success_url", "https://shop.example.no/ok"),
                ("default.failure_url", "https://shop.example.no/no"),
                ("default.invoice_fee", "yes"),
                ("save", "1"),
            ],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    let review = app.get(&format!("/sheets/{id}")).await;
    assert!(review.body.contains("Send 2 order(s)"), "{}", review.body);
    assert!(!review.body.contains("Match the columns"));
    let saved = work.read("shop.toml");
    assert!(
        saved.starts_with("# the shop's own notes, kept\n"),
        "{saved}"
    );
    let parsed: toml::Table = saved.parse().unwrap();
    assert_eq!(
        parsed["defaults"]["callback_url"].as_str(),
        Some("https://shop.example.no/cb"),
        "{saved}"
    );
    assert_eq!(parsed["defaults"]["invoice_fee"].as_str(), Some("yes"));
    // The same sheet uploaded again is checked with the saved config at once.
    let (_, again) = app
        .upload_sheet(
            "orders.csv",
            without_shared_columns().csv(b',').into_bytes(),
        )
        .await;
    assert!(again.body.contains("Send 2 order(s)"), "{}", again.body);
}

#[tokio::test]
async fn a_misspelt_header_is_offered_first_and_mapped_by_the_page() {
    let work = Workdir::new();
    let app = WebApp::start(&work, &[]).await;
    let mut table = one_line_orders(&["Q-1"]);
    let c = table.headers.iter().position(|h| h == "quantity").unwrap();
    table.headers[c] = "Antal".into();
    let (id, mapping) = app
        .upload_sheet("orders.csv", table.csv(b',').into_bytes())
        .await;
    assert!(
        mapping
            .body
            .contains("<option value=\"Antal\" selected>Antal (best guess)</option>"),
        "{}",
        mapping.body
    );
    let chosen = app
        .post(
            &format!("/sheets/{id}/mapping"),
            &[("column.quantity", "Antal")],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    let review = app.get(&format!("/sheets/{id}")).await;
    assert!(review.body.contains("Send 1 order(s)"), "{}", review.body);
}

// ---------------------------------------------------------------------------------------------
// Review and corrections

#[tokio::test]
async fn the_grid_carries_sheet_rows_columns_and_the_message_of_an_error_cell() {
    let work = Workdir::new();
    let app = WebApp::start(&work, &[]).await;
    let (_, review) = app
        .upload_sheet(
            "orders.csv",
            sheet_with_a_bad_email(2).csv(b',').into_bytes(),
        )
        .await;
    // The bad e-mail is on sheet row 6 (header on 1), column 5 (E).
    let row = grid_row(&review.body, 6);
    assert!(row.contains("id=\"c-6-5\""), "{row}");
    assert!(row.contains("data-value=\"T-003\""), "{row}");
    let (tag, content) = element(&review.body, "c-6-5");
    assert!(tag.contains("aria-colindex=\"5\""), "{tag}");
    assert!(tag.contains("aria-invalid=\"true\""), "{tag}");
    assert!(tag.contains("aria-describedby=\"m-c-6-5\""), "{tag}");
    assert!(tag.contains("data-value=\"kari@\""), "{tag}");
    let message = content
        .split("id=\"m-c-6-5\">")
        .nth(1)
        .and_then(|m| m.split('<').next())
        .unwrap_or_else(|| panic!("no message in the cell: {content}"));
    assert!(message.contains("not a valid email address"), "{message}");
    assert!(review.body.contains("href=\"#c-6-5\""), "{}", review.body);
    assert!(
        review.body.contains(&format!("Row 6, email: {message}")),
        "the problem list has it too:\n{}",
        review.body
    );
    // A cell without a problem is neither invalid nor described.
    let (fine, _) = element(&review.body, "c-4-5");
    assert!(fine.contains("aria-colindex=\"5\""), "{fine}");
    assert!(!fine.contains("aria-invalid") && !fine.contains("aria-describedby"));
    assert_eq!(review.body.matches("aria-invalid=\"true\"").count(), 1);
}

#[tokio::test]
async fn a_corrected_cell_is_checked_again_and_downloaded_with_the_sheet() {
    let work = Workdir::new();
    let app = WebApp::start(&work, &[]).await;
    let table = sheet_with_a_bad_email(2);
    let (id, _) = app
        .upload_sheet("orders.csv", table.csv(b',').into_bytes())
        .await;
    let fixed = app
        .post(
            &format!("/sheets/{id}/cells"),
            &[("row", "6"), ("column", "5"), ("value", "kari@example.no")],
        )
        .await;
    assert_eq!(fixed.status, StatusCode::SEE_OTHER, "{}", fixed.body);
    let review = app.get(&format!("/sheets/{id}")).await;
    assert!(!review.body.contains("aria-invalid"), "{}", review.body);
    assert!(review.body.contains("Send 3 order(s)"), "{}", review.body);
    assert!(review.body.contains("0 error(s)"), "{}", review.body);
    let corrected = app.get(&format!("/sheets/{id}/corrected")).await;
    assert_eq!(corrected.status, StatusCode::OK);
    let text = corrected.body.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(headers, table.headers);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let mut expected = table.clone();
    expected.set(4, "email", "kari@example.no");
    assert_eq!(rows, expected.rows);
}

// ---------------------------------------------------------------------------------------------
// Sending

#[tokio::test]
async fn a_send_creates_every_valid_order_exactly_once_whichever_front_end_sends_again() {
    let work = Workdir::new();
    let ledger = work.join("ledger.sqlite").display().to_string();
    let app = WebApp::start(&work, &["--ledger", &ledger]).await;
    let table = sheet_with_a_bad_email(2);
    let (id, _) = app
        .upload_sheet("orders.csv", table.csv(b',').into_bytes())
        .await;
    let run = app.send(&id).await;
    let page = app.get(&format!("/runs/{run}")).await;
    assert!(page.body.contains("role=\"progressbar\""), "{}", page.body);
    let events = app.follow(&run).await;
    let last = events.last().unwrap();
    assert_eq!(last["phase"], "done", "{events:?}");
    assert_eq!(
        (last["total"].as_u64(), last["created"].as_u64()),
        (Some(2), Some(2))
    );
    let stored = app.sandbox_orders().await;
    let references: Vec<&str> = stored
        .iter()
        .map(|o| o["referenceNo"].as_str().unwrap())
        .collect();
    assert_eq!(references.len(), 2, "{stored:?}");
    assert!(references.contains(&"T-001") && references.contains(&"T-002"));
    let mut sent: Vec<String> = finished_orders(&events)
        .iter()
        .map(|o| o["order_id"].as_str().unwrap().to_string())
        .collect();
    let mut ids = sandbox_ids(&stored);
    sent.sort();
    ids.sort();
    assert_eq!(sent, ids);
    // The review now knows them; a second send from the page creates nothing.
    let review = app
        .poll_until(&format!("/sheets/{id}"), "Nothing to send")
        .await;
    assert!(review.body.contains(&ids[0]), "{}", review.body);
    let again = app.send(&id).await;
    let last = run_to_the_end(&app, &again).await;
    assert_eq!(last["created"], 0, "{last}");
    assert_eq!(app.sandbox_orders().await.len(), 2);
    // Nor does submit on the same ledger.
    work.write_sheet(&table);
    let token = format!("sandbox-{}", app.running.id());
    let submitted = submit_as(&work, Some(&token), &app.sandbox, "orders.csv", &[]);
    submitted.expect(1);
    let summary = submitted.json();
    assert_eq!(summary["orders"]["created"], 0, "{summary}");
    let after = app.sandbox_orders().await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.iter().all(|o| o["timesCreated"] == 1), "{after:?}");
    app.assert_token_never_shown();
}

#[tokio::test]
async fn a_run_offers_its_result_files_with_the_order_ids_and_nothing_else() {
    let work = Workdir::new();
    let app = WebApp::start(&work, &[]).await;
    let (id, _) = app
        .upload_sheet(
            "orders.csv",
            sheet_with_a_bad_email(2).csv(b',').into_bytes(),
        )
        .await;
    let run = app.send(&id).await;
    let last = run_to_the_end(&app, &run).await;
    let names: Vec<&str> = last["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[0].as_str().unwrap())
        .collect();
    assert!(names.contains(&"orders.result.xlsx"), "{names:?}");
    assert!(names.contains(&"orders.result.csv"), "{names:?}");
    let xlsx = app
        .http
        .get(app.at(&format!("/runs/{run}/files/orders.result.xlsx")))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
    let csv = app
        .http
        .get(app.at(&format!("/runs/{run}/files/orders.result.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    work.write("downloaded.result.csv", csv.bytes().await.unwrap());
    let result = work.result_csv("downloaded.result.csv");
    let mut ids: Vec<String> = result
        .cells("order_id")
        .into_iter()
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    ids.dedup();
    let mut stored = sandbox_ids(&app.sandbox_orders().await);
    stored.sort();
    ids.sort();
    assert_eq!(ids, stored);
    let statuses = result.order_statuses();
    assert_eq!(statuses["T-003"], "invalid", "{statuses:?}");
    let unknown = app
        .get(&format!("/runs/{run}/files/..%2Fledger.sqlite"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let unknown = app
        .get(&format!("/runs/{run}/files/other.result.csv"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stop_ends_a_run_before_every_order_is_sent_and_skips_the_rest() {
    let work = Workdir::new();
    let app = WebApp::start(&work, &["--rate", "60"]).await;
    let (id, _) = app
        .upload_sheet("orders.csv", sheet(6).csv(b',').into_bytes())
        .await;
    let run = app.send(&id).await;
    let stopped = app.post(&format!("/runs/{run}/stop"), &[]).await;
    assert_eq!(stopped.status, StatusCode::SEE_OTHER, "{}", stopped.body);
    let last = run_to_the_end(&app, &run).await;
    let (total, created) = (
        last["total"].as_u64().unwrap(),
        last["created"].as_u64().unwrap(),
    );
    assert_eq!(total, 6, "{last}");
    assert!(created < total, "{last}");
    assert_eq!(last["skipped"].as_u64().unwrap(), total - created, "{last}");
    assert_eq!(app.sandbox_orders().await.len() as u64, created);
    let page = app.get(&format!("/runs/{run}")).await;
    assert!(page.body.contains("Stopped"), "{}", page.body);
}

// ---------------------------------------------------------------------------------------------
// History

#[tokio::test]
async fn history_lists_the_orders_refreshes_their_status_and_cancels_only_with_a_note() {
    let work = Workdir::new();
    let app = WebApp::start(&work, &[]).await;
    let (id, _) = app
        .upload_sheet("orders.csv", sheet(2).csv(b',').into_bytes())
        .await;
    let run = app.send(&id).await;
    run_to_the_end(&app, &run).await;
    let ids = sandbox_ids(&app.sandbox_orders().await);
    let history = app.poll_until("/history", &ids[1]).await;
    assert!(history.body.contains(&ids[0]), "{}", history.body);
    let refreshed = app.post("/history/refresh", &[]).await;
    assert_eq!(
        refreshed.status,
        StatusCode::SEE_OTHER,
        "{}",
        refreshed.body
    );
    let said = app.get(refreshed.location.as_deref().unwrap()).await;
    assert!(said.body.contains("Statuses read: 2"), "{}", said.body);
    assert_eq!(
        said.body.matches("<td>SENT</td>").count(),
        2,
        "{}",
        said.body
    );
    app.set_sandbox_status(&ids[0], "PAID").await;
    app.post("/history/refresh", &[]).await;
    let paid = app.get("/history").await;
    // Status, then the one before it.
    let row = history_row(&paid.body, &ids[0]);
    assert!(row.contains("<td>PAID</td><td>SENT</td>"), "{row}");
    let row = history_row(&paid.body, &ids[1]);
    assert!(row.contains("<td>SENT</td><td></td>"), "{row}");
    // Without a note: refused, nothing asked of the provider.
    let cancel = format!("/orders/{}/cancel", ids[1]);
    let refused = app
        .post(&cancel, &[("endpoint", "invoice-session"), ("note", " ")])
        .await;
    let refused = app.get(refused.location.as_deref().unwrap()).await;
    assert!(refused.body.contains("requires a note"), "{}", refused.body);
    let status = |orders: &[Value], id: &str| {
        orders.iter().find(|o| o["id"] == id).unwrap()["status"].clone()
    };
    assert_eq!(status(&app.sandbox_orders().await, &ids[1]), "SENT");
    let cancelled = app
        .post(
            &cancel,
            &[("endpoint", "invoice-session"), ("note", "ordered twice")],
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::SEE_OTHER,
        "{}",
        cancelled.body
    );
    assert_eq!(status(&app.sandbox_orders().await, &ids[1]), "CANCELLED");
    let after = app.get("/history").await;
    assert!(after.body.contains("CANCELLED"), "{}", after.body);
    app.assert_token_never_shown();
}

// ---------------------------------------------------------------------------------------------
// Callbacks

/// A callback's query for `uuid` at `status` sent at `timestamp`, its checksum made with
/// `secret`. The app's sandbox stands at [`NOON`] of [`TODAY`] (its `--today`), and judges a
/// callback's freshness by that clock.
fn callback_query(uuid: &str, status: &str, timestamp: i64, secret: &str) -> String {
    let now = timestamp.to_string();
    let values = [
        uuid,
        status,
        "Invoice",
        "657.90",
        "1795262400",
        now.as_str(),
    ];
    let mut hash = Sha256::new();
    for value in values.iter().chain([&secret]) {
        hash.update(value.as_bytes());
    }
    let checksum: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let names = [
        "orderUuid",
        "status",
        "paymentMethod",
        "amount",
        "createdAt",
        "timestamp",
    ];
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in names.iter().zip(values) {
        query.append_pair(name, value);
    }
    query.append_pair("checksum", &checksum).finish()
}

#[tokio::test]
async fn a_callback_with_the_right_checksum_is_recorded_and_a_wrong_one_refused() {
    let work = Workdir::new();
    let secret = work.write("secret.txt", "s3cret-of-the-shop\n");
    let ledger = work.join("ledger.sqlite").display().to_string();
    let secret = secret.display().to_string();
    let app = WebApp::start(
        &work,
        &["--ledger", &ledger, "--callback-secret-file", &secret],
    )
    .await;
    let (id, _) = app
        .upload_sheet("orders.csv", sheet(1).csv(b',').into_bytes())
        .await;
    let run = app.send(&id).await;
    run_to_the_end(&app, &run).await;
    let uuid = sandbox_ids(&app.sandbox_orders().await).remove(0);
    let wrong = callback_query(&uuid, "PAID", NOON, "another secret");
    let refused = app.get(&format!("/fpgo/callback?{wrong}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let stale = callback_query(&uuid, "PAID", NOON - 16 * 60, "s3cret-of-the-shop");
    let refused = app.get(&format!("/fpgo/callback?{stale}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("too old"), "{}", refused.body);
    let right = callback_query(&uuid, "PAID", NOON, "s3cret-of-the-shop");
    let accepted = app.get(&format!("/fpgo/callback?{right}")).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    let history = query_ledger(
        &work,
        "SELECT order_uuid, status, seen_by FROM status_history",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        },
    );
    assert_eq!(
        history,
        [(uuid.clone(), "PAID".to_string(), "callback".to_string())]
    );
    let page = app.get("/history").await;
    assert!(page.body.contains("<td>PAID</td>"), "{}", page.body);
}

#[tokio::test]
async fn the_sandboxs_callbacks_reach_the_apps_ledger_by_themselves() {
    let work = Workdir::new();
    let secret = work.write("secret.txt", "loop-secret");
    let secret = secret.display().to_string();
    let ledger = work.join("ledger.sqlite").display().to_string();
    let app = WebApp::start(
        &work,
        &["--ledger", &ledger, "--callback-secret-file", &secret],
    )
    .await;
    let (id, _) = app
        .upload_sheet("orders.csv", sheet(2).csv(b',').into_bytes())
        .await;
    let run = app.send(&id).await;
    run_to_the_end(&app, &run).await;
    let ids = sandbox_ids(&app.sandbox_orders().await);
    app.set_sandbox_status(&ids[1], "PAID").await;
    let history = app.poll_until("/history", "<td>PAID</td>").await;
    assert_eq!(history.body.matches("<td>PAID</td>").count(), 1);
    // Nobody asked the provider: the order still shown as never checked is the other one.
    assert!(!history.body.contains("<td>SENT</td>"), "{}", history.body);
    app.set_sandbox_status(&ids[0], "EXPIRED").await;
    app.poll_until("/history", "<td>EXPIRED</td>").await;
    let seen = query_ledger(
        &work,
        "SELECT order_uuid, status, seen_by FROM status_history ORDER BY id",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        },
    );
    let expected = [
        (ids[1].clone(), "PAID".to_string(), "callback".to_string()),
        (
            ids[0].clone(),
            "EXPIRED".to_string(),
            "callback".to_string(),
        ),
    ];
    assert_eq!(seen, expected);
    app.assert_token_never_shown();
}

// ---------------------------------------------------------------------------------------------
// What the app refuses

#[tokio::test]
async fn requests_from_another_host_or_site_or_without_the_secret_are_refused() {
    let work = Workdir::new();
    let app = WebApp::start(&work, &[]).await;
    let port = app
        .url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let evil = app
        .fetch(app.http.get(app.at("/")).header("Host", "evil.example"))
        .await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN, "{}", evil.body);
    let evil_port = app
        .fetch(
            app.http
                .get(app.at("/"))
                .header("Host", format!("evil.example:{port}")),
        )
        .await;
    assert_eq!(evil_port.status, StatusCode::FORBIDDEN);
    let local = app
        .fetch(
            app.http
                .get(app.at("/"))
                .header("Host", format!("localhost:{port}")),
        )
        .await;
    assert_eq!(local.status, StatusCode::OK, "{}", local.body);
    let no_secret = app.fetch(app.http.post(app.at("/history/refresh"))).await;
    assert_eq!(
        no_secret.status,
        StatusCode::FORBIDDEN,
        "{}",
        no_secret.body
    );
    let wrong_secret = app
        .fetch(
            app.http
                .post(app.at("/history/refresh"))
                .form(&[("csrf", "0123456789abcdef0123456789abcdef")]),
        )
        .await;
    assert_eq!(wrong_secret.status, StatusCode::FORBIDDEN);
    let form = [("csrf", app.csrf.as_str())];
    let other_site = app
        .fetch(
            app.http
                .post(app.at("/history/refresh"))
                .header("Origin", "http://evil.example")
                .form(&form),
        )
        .await;
    assert_eq!(
        other_site.status,
        StatusCode::FORBIDDEN,
        "{}",
        other_site.body
    );
    let own_site = app
        .fetch(
            app.http
                .post(app.at("/history/refresh"))
                .header("Origin", format!("http://127.0.0.1:{port}"))
                .form(&form),
        )
        .await;
    assert_eq!(own_site.status, StatusCode::SEE_OTHER, "{}", own_site.body);
    let by_header = app
        .fetch(
            app.http
                .post(app.at("/history/refresh"))
                .header("x-fpgo-csrf", &app.csrf),
        )
        .await;
    assert_eq!(
        by_header.status,
        StatusCode::SEE_OTHER,
        "{}",
        by_header.body
    );
    let upload_without = app
        .fetch(
            app.http.post(app.at("/sheets")).multipart(
                reqwest::multipart::Form::new().part(
                    "sheet",
                    reqwest::multipart::Part::bytes(sheet(1).csv(b',').into_bytes())
                        .file_name("orders.csv"),
                ),
            ),
        )
        .await;
    assert_eq!(upload_without.status, StatusCode::FORBIDDEN);
    app.assert_token_never_shown();
}

#[test]
fn a_non_loopback_bind_without_allow_remote_is_refused() {
    let work = Workdir::new();
    work.run(&["serve", "--sandbox", "--bind", "0.0.0.0:0"])
        .expect(2)
        .stderr_has(&["--bind 0.0.0.0:0", "--allow-remote"]);
}
