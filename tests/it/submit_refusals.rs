//! `submit` refused: a token the provider refuses (401) stops the run after the first answer,
//! a 429 is waited out without counting an attempt, and clear HTTP off loopback or a missing
//! token is refused before anything is sent.

use crate::support::*;
use fpgo_export::sandbox::{Config, Fault};
use std::net::TcpListener;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// The provider's refusals: 401, 429

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_stops_after_the_first_answer_with_exit_3() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(5));
    // Half a second between requests: the answer comes long before a second could leave.
    let refused = submit_as(
        &work,
        Some("not-the-token"),
        &provider.base_url(),
        "orders.csv",
        &["--rate", "120"],
    );
    refused.expect(3);
    let stats = provider.stats().await;
    assert_eq!((stats.total(), stats.posts("401")), (1, 1), "{}", stats.0);
    assert!(provider.orders().await.is_empty());
    refused.stderr_has(&["refused the token"]);
    let json = refused.json();
    assert_counts(&json, &[("created", 0), ("failed", 1), ("skipped", 4)]);
    assert_eq!(json["requests"], 1);
    let statuses = statuses(&result_rows(&work, "orders.result.csv"));
    assert_eq!(statuses.values().filter(|s| *s == "skipped").count(), 4);
    assert_eq!(statuses.values().filter(|s| *s == "failed").count(), 1);

    // With the right token, the next run sends all five: a 401 is no order.
    let run = submit(&work, &provider, &[]);
    run.expect(0);
    assert_counts(&run.json(), &[("created", 5)]);
    assert_eq!(provider.orders().await.len(), 5);
    provider.stop().await;
}

/// Fills the sandbox's rate-limit window with `limit` requests and moves its clock to one
/// second before the window ends; then advances the clock past the end as soon as a 429 is
/// counted, while the binary waits out the second its `Retry-After` asked for.
async fn a_window_that_ends_after_the_first_429(provider: &Provider, limit: u32) {
    for _ in 0..limit {
        assert_ne!(provider.get("/connect/orders/status").await.status, 429);
    }
    let clock = provider.clock();
    clock.advance(fpgo_export::sandbox::WINDOW_SECONDS - 1);
    // The task outlives the borrow of the provider: it asks with a client and a URL of its own.
    let http = provider.http.clone();
    let stats_url = provider.root("/__sandbox/stats");
    tokio::spawn(async move {
        loop {
            let stats = read(http.get(&stats_url)).await.body;
            if Stats(stats).posts("429") > 0 {
                clock.advance(1);
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_is_waited_out_without_counting_an_attempt() {
    let provider = Provider::start(Config {
        rate_limit: 3,
        ..config()
    })
    .await;
    a_window_that_ends_after_the_first_429(&provider, 3).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(3));
    let started = Instant::now();
    let run = submit(&work, &provider, &[]);
    run.expect(0);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it did not wait"
    );
    run.stderr_has(&["the provider asks to wait 1 s (429)"]);
    let stats = provider.stats().await;
    assert!(stats.posts("429") >= 1, "{}", stats.0);
    assert_eq!(stats.posts("201"), 3);
    let json = run.json();
    assert_counts(&json, &[("created", 3), ("failed", 0)]);
    assert_eq!(json["requests"], stats.all_posts());
    assert!(json["elapsed_s"].as_f64().unwrap() >= 1.0);
    assert_eq!(provider.orders().await.len(), 3);
    assert!(
        ledger(&work)
            .values()
            .all(|(s, a)| s == "created" && *a == 1),
        "a 429 is no attempt: {:?}",
        ledger(&work)
    );
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_leaves_every_attempt_to_the_failures_that_follow() {
    // Every request the window lets through fails with a 500: after its 429 the order still
    // gets its two attempts.
    let provider = Provider::start(Config {
        rate_limit: 3,
        faults: vec![(Fault::Internal, 1.0)],
        ..config()
    })
    .await;
    a_window_that_ends_after_the_first_429(&provider, 3).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(1));
    let run = submit(&work, &provider, &["--max-attempts", "2"]);
    run.expect(1);
    let stats = provider.stats().await;
    assert_eq!(stats.posts("429"), 1, "{}", stats.0);
    assert_eq!(
        stats.posts("500"),
        2,
        "two attempts besides the 429: {}",
        stats.0
    );
    let rows = result_rows(&work, "orders.result.csv");
    assert!(
        rows[0].status == "failed" && rows[0].messages.contains("gave up after 2 attempts"),
        "{rows:?}"
    );
    assert_eq!(ledger(&work)["T-001"], ("failed".to_string(), 2));
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Refused before anything is sent

#[test]
fn clear_http_off_loopback_and_a_missing_token_are_refused_with_exit_2() {
    let work = Workdir::new();
    work.write_sheet(&sheet(1));
    let plain = submit_as(
        &work,
        Some(TOKEN),
        "http://example.com/api/v1",
        "orders.csv",
        &[],
    );
    plain.expect(2).stderr_has(&["https"]);
    plain.stderr_lacks(&[TOKEN]);

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    for token in [None, Some(""), Some("  ")] {
        let missing = submit_as(&work, token, &base_url, "orders.csv", &[]);
        missing.expect(2).stderr_has(&["FPGO_TOKEN"]);
    }
    assert!(!work.exists("ledger.sqlite"), "refused before the ledger");
    assert!(!work.exists("orders.result.csv"));
}
