//! What a later `submit` run does with what an earlier one left: a changed order is reported
//! and sent as an update only with `--update`, a second run on a ledger in use is refused (and
//! SIGTERM ends the first cleanly), a sheet written over while its run goes on gives no result
//! file, and the failed-rows file holds the rows to fix and check
//! again.

use crate::support::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Updates

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_order_is_reported_and_sent_as_an_update_only_with_update() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(3);
    work.write_sheet(&table);
    submit(&work, &provider, &[]).expect(0);
    let before = provider.orders().await;
    let id = before["T-002"]["id"].as_str().unwrap().to_string();
    assert_eq!(before["T-002"]["payload"]["products"][0]["quantity"], "3");

    // T-002's first line: 7 instead of 3.
    table.set(2, "quantity", "7");
    work.write_sheet(&table);
    let changed = submit(&work, &provider, &[]);
    changed.expect(1);
    let json = changed.json();
    assert_counts(&json, &[("changed", 1), ("already_created", 2)]);
    assert_eq!(json["requests"], 0);
    let rows = result_rows(&work, "orders.result.csv");
    assert_eq!(
        with_status(&rows, "changed"),
        BTreeSet::from(["T-002".to_string()])
    );
    let row = rows.iter().find(|r| r.order_ref == "T-002").unwrap();
    assert_eq!(row.order_id, id);
    assert!(row.messages.contains("--update"), "{row:?}");
    assert!(
        row.messages.contains("products.0.quantity: 3 → 7"),
        "the field that changed, old → new: {row:?}"
    );
    assert_eq!(provider.orders().await, before, "nothing sent");

    let updated = submit(&work, &provider, &["--update"]);
    updated.expect(0);
    let json = updated.json();
    assert_counts(&json, &[("created", 1), ("already_created", 2)]);
    assert_eq!(json["requests"], 1);
    let after = provider.orders().await;
    assert_eq!(after.len(), 3);
    let order = &after["T-002"];
    assert_eq!(
        (&order["id"], &order["updates"]),
        (&Value::from(id.clone()), &Value::from(1))
    );
    assert_eq!(order["payload"]["fpgoUuid"], id.as_str());
    assert_eq!(order["payload"]["orderFrom"], "PARTNER");
    assert_eq!(order["payload"]["products"][0]["quantity"], "7");
    for other in ["T-001", "T-003"] {
        assert_eq!(after[other], before[other]);
    }
    let rows = result_rows(&work, "orders.result.csv");
    let row = rows.iter().find(|r| r.order_ref == "T-002").unwrap();
    assert_eq!(
        (row.status.as_str(), row.order_id.as_str()),
        ("created", id.as_str())
    );

    // The update is what the ledger remembers now.
    let again = submit(&work, &provider, &["--update"]);
    again.expect(0);
    assert_counts(&again.json(), &[("already_created", 3)]);
    assert_eq!(again.json()["requests"], 0);
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// One run per ledger; SIGTERM

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_a_ledger_in_use_is_refused_at_once() {
    let work = Workdir::new();
    let (provider, mut first) = Running::in_progress(&work).await;
    let started = Instant::now();
    let second = submit(&work, &provider, &[]);
    second.expect(2);
    assert!(started.elapsed() < Duration::from_secs(2), "not at once");
    let holder = format!("process {}", first.id());
    second.stderr_has(&["in use by another run", &holder]);
    assert!(second.stdout.is_empty());

    // SIGTERM: the request in flight ends, everything is recorded, exit 130.
    let status = first.terminate(Duration::from_secs(10));
    assert_eq!(status.code(), Some(130), "{}", first.stderr());
    assert!(first.stderr().contains("interrupted"), "{}", first.stderr());
    let rows = result_rows(&work, "orders.result.csv");
    let created = with_status(&rows, "created");
    let skipped = with_status(&rows, "skipped");
    assert!(
        !created.is_empty(),
        "the request in flight was let finish: {rows:?}"
    );
    assert_eq!(created.len() + skipped.len(), 5, "{rows:?}");
    let orders = provider.orders().await;
    assert_eq!(orders.keys().cloned().collect::<BTreeSet<_>>(), created);
    assert!(ledger(&work).values().all(|(s, _)| s == "created"));

    // The ledger is free again: the rest goes.
    let rest = submit(&work, &provider, &[]);
    rest.expect(0);
    assert_counts(
        &rest.json(),
        &[
            ("created", skipped.len() as u64),
            ("already_created", created.len() as u64),
        ],
    );
    assert_eq!(provider.orders().await.len(), 5);
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// A sheet written over while its run goes on

#[tokio::test(flavor = "multi_thread")]
async fn a_sheet_written_over_during_its_run_gives_no_result_from_another_file() {
    let work = Workdir::new();
    let (provider, mut run) = Running::in_progress(&work).await;
    // The nightly export writes the next day's sheet over the one being sent (in place, as a
    // shell's `>` does): the result must not copy its rows beside this run's verdicts.
    let first = work.read("orders.csv");
    work.write_sheet(&sheet(7));
    let status = run.wait(Duration::from_secs(20));
    let stderr = run.stderr();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("orders.csv: changed while this run was reading it")
            && stderr.contains("the ledger holds them"),
        "{stderr}"
    );
    assert!(!work.exists("orders.result.csv"), "{stderr}");
    // Every order of the sheet the run read was sent, once, and is in the ledger.
    assert_eq!(provider.orders().await.len(), 5);
    assert!(ledger(&work).values().all(|(s, _)| s == "created"));

    // The sheet put back: nothing is sent again, and the result is written.
    work.write("orders.csv", &first);
    let again = submit(&work, &provider, &[]);
    again.expect(0);
    assert_counts(&again.json(), &[("already_created", 5)]);
    assert_eq!(provider.orders().await.len(), 5);
    assert_eq!(result_rows(&work, "orders.result.csv").len(), 10);
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The rows of orders not created

#[tokio::test(flavor = "multi_thread")]
async fn failed_rows_hold_the_rows_not_created_ready_to_check_again() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.copy_sample("orders.xlsx");
    let run = submit_as(
        &work,
        Some(TOKEN),
        &provider.base_url(),
        "orders.xlsx",
        &["--failed-rows", "failed.csv", "--output", "result.csv"],
    );
    run.expect(1);
    assert_eq!(run.json()["failed_rows"], "failed.csv");
    let result = work.result_csv("result.csv");
    let failed = work.result_csv("failed.csv");
    let width = result.column("status");
    assert_eq!(
        failed.headers,
        result.headers[..width],
        "the sheet's columns, no more"
    );
    let expected: Vec<Vec<String>> = result
        .rows
        .iter()
        .filter(|r| r[width] != "created")
        .map(|r| r[..width].to_vec())
        .collect();
    assert_eq!(expected.len(), 5);
    assert_eq!(
        failed.rows, expected,
        "the rows of the invalid orders, as they were"
    );

    // Fed back through check: the same orders are invalid, for the same reasons.
    let check = work.check("failed.csv", &["-o", "recheck.csv"]);
    check.expect(1);
    let errors = |r: &ResultCsv| -> BTreeSet<(String, String)> {
        (0..r.rows.len())
            .filter(|&i| r.get(i, "messages").starts_with("error:"))
            .map(|i| {
                (
                    r.get(i, "order_ref").to_string(),
                    r.get(i, "messages").to_string(),
                )
            })
            .collect()
    };
    let again = work.result_csv("recheck.csv");
    assert!(again.statuses().iter().all(|s| *s == "invalid"));
    assert_eq!(errors(&again), errors(&result));
    assert_eq!(errors(&again).len(), 3);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_rows_of_a_workbook_could_only_be_a_csv() {
    // `--failed-rows x.xlsx` writes a workbook (it was refused: CSV only), its cells typed as
    // the sheet had them; `.csv` of a workbook is a Norwegian Excel's CSV: `;`, decimal commas.
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut t = two_orders();
    t.set(2, "unit_price", "49.5");
    t.set(2, "email", "faktura@");
    work.write_xlsx("orders.xlsx", &t.xlsx());
    let submit = |extra: &[&str]| {
        submit_as(
            &work,
            Some(TOKEN),
            &provider.base_url(),
            "orders.xlsx",
            extra,
        )
    };
    let run = submit(&["--failed-rows", "failed.xlsx"]);
    run.expect(1);
    assert_eq!(run.json()["failed_rows"], "failed.xlsx");
    let result = work.result_xlsx("orders.result.xlsx");
    let failed = work.xlsx_table("failed.xlsx", "orders");
    let width = result.column("status");
    assert_eq!(failed.headers, result.headers[..width]);
    assert_eq!(
        failed.rows,
        [result.rows[2][..width].to_vec()],
        "the invalid order's row, typed"
    );
    assert_eq!(failed.get(0, "unit_price"), "49.5");

    // Fed back: the same order is invalid, for the same reason.
    work.check("failed.xlsx", &["-o", "recheck.xlsx"]).expect(1);
    let again = work.result_xlsx("recheck.xlsx");
    assert_eq!(again.get(0, "messages"), result.get(2, "messages"));
    assert!(
        again.get(0, "messages").starts_with("error: email"),
        "{again:?}"
    );

    // The same row as CSV: semicolons, and a numeric cell's decimals after a comma.
    submit(&["--failed-rows", "failed.csv"]).expect(1);
    let text = work.read("failed.csv");
    let header = text.trim_start_matches('\u{feff}').lines().next().unwrap();
    assert_eq!(header.split(';').count(), width, "{header}");
    let csv = work.result_csv("failed.csv");
    assert_eq!(csv.rows.len(), 1);
    assert_eq!(csv.get(0, "unit_price"), "49,5");
    assert_eq!(csv.get(0, "email"), "faktura@");
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_row_now_invalid_still_shows_the_order_an_earlier_run_created() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(2);
    work.write_sheet(&table);
    submit(&work, &provider, &[]).expect(0);
    let id = provider.ids().await["T-002"].clone();

    // T-002's first line gets a broken e-mail: invalid now, but the provider has it.
    table.set(2, "email", "kari@");
    work.write_sheet(&table);
    let run = submit(&work, &provider, &[]);
    run.expect(1);
    assert_eq!(run.json()["requests"], 0);
    let rows = result_rows(&work, "orders.result.csv");
    let t2: Vec<_> = rows.iter().filter(|r| r.order_ref == "T-002").collect();
    assert!(
        t2.iter().all(|r| r.status == "invalid" && r.order_id == id),
        "{t2:?}"
    );
    assert!(
        t2[0].messages.contains(&format!(
            "created earlier as {id}; this row now has a problem"
        )),
        "{t2:?}"
    );
    assert_eq!(
        provider.orders().await["T-002"]["updates"],
        0,
        "nothing changed at the provider"
    );
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_order_s_first_row_carries_its_grand_total() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(2));
    submit(&work, &provider, &[]).expect(0);
    let orders = provider.orders().await;
    let result = work.result_csv("orders.result.csv");
    // Two lines an order: the first row carries the order's total, the second nothing.
    for (i, reference) in ["T-001", "T-002"].iter().enumerate() {
        let grand = orders[*reference]["payload"]["orderSummary"]["grandTotal"].clone();
        assert_eq!(result.get(2 * i, "grand_total"), grand.as_str().unwrap());
        assert_eq!(result.get(2 * i + 1, "grand_total"), "");
    }
    provider.stop().await;
}
