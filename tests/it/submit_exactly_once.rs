//! `submit`, the built binary, against an in-process sandbox: every valid order created
//! exactly once (the sandbox's introspection counts each referenceNo), a re-run that creates
//! nothing new, faults that are retried, and a binary killed at several instants then run to
//! the end.
//!
//! Sheets leave `order_date` blank, so orders are dated on the harness's day and no test
//! depends on the wall clock.

use crate::support::*;
use fpgo_export::sandbox::{Config, Fault};
use std::collections::BTreeSet;
use std::time::Duration;

/// What the sheet of the sample holds: 24 orders, these 3 of them invalid.
pub(crate) const SAMPLE_INVALID: [&str; 3] = ["EX-2005", "EX-2011", "EX-2016"];

// ---------------------------------------------------------------------------------------------
// Every order exactly once, and a re-run creates nothing

#[tokio::test(flavor = "multi_thread")]
async fn the_sample_is_created_exactly_once_and_a_rerun_creates_nothing() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.copy_sample("orders.xlsx");
    let base_url = provider.base_url();

    let first = submit_as(&work, Some(TOKEN), &base_url, "orders.xlsx", &[]);
    first.expect(1);
    let ledger_path = work.join("ledger.sqlite").display().to_string();
    let mut lines = first.stderr.lines();
    assert_eq!(
        lines.next(),
        Some(format!("sending invoice-session orders to {base_url}").as_str())
    );
    assert_eq!(
        lines.next(),
        Some(
            format!("ledger: {ledger_path} (new: created by this run, it knows of no order sent before)")
                .as_str()
        )
    );
    let json = first.json();
    assert_eq!(json["ledger_created"], true);
    assert_counts(
        &json,
        &[
            ("total", 24),
            ("created", 21),
            ("invalid", 3),
            ("already_created", 0),
            ("rejected", 0),
            ("failed", 0),
            ("uncertain", 0),
            ("changed", 0),
            ("skipped", 0),
        ],
    );
    assert_eq!(json["rows"]["valid"], 55, "{json}");
    assert_eq!(json["rows"]["invalid"], 5, "{json}");
    assert_eq!(json["requests"], 21, "{json}");
    assert!(
        json["elapsed_s"].as_f64().is_some_and(|s| s > 0.0),
        "{json}"
    );
    // A workbook's result is a workbook (it was a CSV that Norwegian Excel opened in one column).
    assert_eq!(json["result_file"], "orders.result.xlsx");
    assert!(!work.exists("orders.result.csv"));
    assert_eq!(json["ledger"], ledger_path.as_str());

    let orders = provider.orders().await;
    let rows = result_rows(&work, "orders.result.xlsx");
    assert_eq!(rows.len(), 60);
    let invalid: BTreeSet<String> = SAMPLE_INVALID.iter().map(|s| s.to_string()).collect();
    assert_eq!(with_status(&rows, "invalid"), invalid);
    let created = with_status(&rows, "created");
    assert_eq!(created.len(), 21);
    assert_eq!(
        created,
        orders.keys().cloned().collect(),
        "exactly the valid orders"
    );
    assert_ids(&rows, &orders, true);
    let stats = provider.stats().await;
    assert_eq!((stats.posts("201"), stats.total()), (21, 21));

    // The same sheet again: the ledger knows every order; nothing is sent.
    let again = submit_as(&work, Some(TOKEN), &base_url, "orders.xlsx", &[]);
    again.expect(1);
    let json = again.json();
    assert_counts(
        &json,
        &[("created", 0), ("already_created", 21), ("invalid", 3)],
    );
    assert_eq!(json["requests"], 0, "{json}");
    assert_eq!(json["ledger_created"], false);
    let line = format!("ledger: {ledger_path}\n");
    again.stderr_has(&[&line]);
    assert_eq!(provider.stats().await.total(), 21, "not one request more");
    let orders_again = provider.orders().await;
    assert_eq!(orders_again, orders, "the sandbox holds the same orders");
    let rows_again = result_rows(&work, "orders.result.xlsx");
    assert_eq!(with_status(&rows_again, "already_created"), created);
    for (before, after) in rows.iter().zip(&rows_again) {
        assert_eq!(
            (&before.order_id, &before.customer_id, &before.bankid_url),
            (&after.order_id, &after.customer_id, &after.bankid_url),
            "the same ids on a re-run"
        );
    }
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sheet_of_valid_orders_exits_0_and_again_with_no_request() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(12));
    let first = submit(&work, &provider, &[]);
    first.expect(0);
    assert_counts(&first.json(), &[("total", 12), ("created", 12)]);
    let orders = provider.orders().await;
    assert_eq!(
        orders.keys().cloned().collect::<BTreeSet<_>>(),
        references(12)
    );
    let rows = result_rows(&work, "orders.result.csv");
    assert_eq!(with_status(&rows, "created"), references(12));
    assert_ids(&rows, &orders, true);
    assert!(ledger(&work)
        .values()
        .all(|(state, attempts)| state == "created" && *attempts == 1));

    let again = submit(&work, &provider, &[]);
    again.expect(0);
    let json = again.json();
    assert_counts(&json, &[("created", 0), ("already_created", 12)]);
    assert_eq!(json["requests"], 0);
    assert_eq!(provider.stats().await.total(), 12);
    assert_eq!(provider.orders().await, orders);
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Faults that are retried

#[tokio::test(flavor = "multi_thread")]
async fn faults_at_30_percent_still_create_every_order_exactly_once() {
    let provider = Provider::start(Config {
        faults: vec![
            (Fault::Internal, 0.1),
            (Fault::Execution, 0.1),
            (Fault::BadGateway, 0.1),
        ],
        seed: 11,
        ..config()
    })
    .await;
    let work = Workdir::new();
    work.write_sheet(&sheet(20));
    // One request at a time: the sandbox's dice meet the requests in the same order every run.
    let run = submit(&work, &provider, &["--workers", "1"]);
    run.expect(0);
    let json = run.json();
    assert_counts(&json, &[("created", 20), ("failed", 0)]);

    let stats = provider.stats().await;
    let faults = stats.posts("500") + stats.posts("510") + stats.posts("502");
    for status in ["500", "510", "502"] {
        assert!(
            stats.posts(status) > 0,
            "no {status} was injected: {}",
            stats.0
        );
    }
    assert_eq!(stats.posts("201"), 20);
    assert_eq!(json["requests"], 20 + faults, "every fault was retried");
    assert_eq!(stats.all_posts(), 20 + faults);
    let orders = provider.orders().await;
    assert_eq!(
        orders.keys().cloned().collect::<BTreeSet<_>>(),
        references(20)
    );
    assert_ids(&result_rows(&work, "orders.result.csv"), &orders, true);
    let ledger = ledger(&work);
    assert!(ledger.values().all(|(state, _)| state == "created"));
    let attempts: u64 = ledger.values().map(|(_, a)| u64::from(*a)).sum();
    assert_eq!(attempts, 20 + faults, "the ledger counts every attempt");
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Killed at any instant

#[tokio::test(flavor = "multi_thread")]
async fn killed_at_several_points_then_run_to_the_end_every_order_exactly_once() {
    // Every order is stored before its answer is delayed (`slow`): a kill catches orders the
    // provider has not seen yet and orders it created whose answer never came.
    let provider = Provider::start(Config {
        latency: (Duration::ZERO, Duration::from_millis(60)),
        faults: vec![(Fault::Slow, 1.0)],
        slow: Duration::from_millis(90),
        ..config()
    })
    .await;
    let work = Workdir::new();
    let n = 60;
    work.write_sheet(&sheet(n));
    let base_url = provider.base_url();
    // Orders a kill left `sending` that the provider had created, over all the kills.
    let mut created_unanswered = 0;
    for (i, after) in [300, 600, 1000].into_iter().enumerate() {
        let mut run = Running::submit(&work, &base_url, &["--workers", "4"], &format!("run{i}"));
        tokio::time::sleep(Duration::from_millis(after)).await;
        run.kill();
        run.wait(Duration::from_secs(5));
        // Requests the kill cut off end on the sandbox before the next run asks it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let stored = provider.orders().await;
        if i == 0 {
            assert!(stored.len() < n, "the first kill came after the end");
        }
        let ledger = ledger(&work);
        let sending: BTreeSet<&String> = ledger
            .iter()
            .filter(|(_, (state, _))| state == "sending")
            .map(|(key, _)| key)
            .collect();
        if i == 0 {
            assert!(
                !sending.is_empty(),
                "the kill caught no request: {ledger:?}"
            );
        }
        created_unanswered += sending.iter().filter(|k| stored.contains_key(**k)).count();
        // What the ledger calls created, the provider has.
        for (key, (state, _)) in &ledger {
            assert!(state != "created" || stored.contains_key(key), "{key}");
        }
    }
    assert!(
        created_unanswered > 0,
        "no kill came between an order's creation and its answer"
    );
    let last = submit(&work, &provider, &["--workers", "4", "--retry-uncertain"]);
    last.expect(0);
    let orders = provider.orders().await;
    assert_eq!(
        orders.keys().cloned().collect::<BTreeSet<_>>(),
        references(n)
    );
    let rows = result_rows(&work, "orders.result.csv");
    assert!(
        rows.iter()
            .all(|r| r.status == "created" || r.status == "already_created"),
        "{rows:?}"
    );
    assert_ids(&rows, &orders, false);
    assert!(ledger(&work).values().all(|(s, _)| s == "created"));
    provider.stop().await;
}
