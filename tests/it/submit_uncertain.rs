//! `submit` when answers never come: orders whose connection was dropped before (`drop`) or
//! after (`commit-drop`) the provider stored them are uncertain, never sent again without
//! `--retry-uncertain`, and settled by asking the provider, until every order exists once.

use crate::support::*;
use fpgo_export::sandbox::{Config, Fault};
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread")]
async fn dropped_orders_are_uncertain_and_sent_again_only_with_retry_uncertain() {
    let address = free_address();
    let faulty = Provider::start(Config {
        bind: address,
        faults: vec![(Fault::Drop, 1.0)],
        ..config()
    })
    .await;
    let work = Workdir::new();
    work.write_sheet(&sheet(4));
    let all = references(4);

    let first = submit(&work, &faulty, &["--failed-rows", "failed.csv"]);
    first.expect(1);
    assert_counts(&first.json(), &[("uncertain", 4), ("created", 0)]);
    let rows = result_rows(&work, "orders.result.csv");
    assert_eq!(with_status(&rows, "uncertain"), all);
    assert!(rows.iter().all(|r| r.order_id.is_empty()));
    assert!(rows[0].messages.contains("--retry-uncertain"), "{rows:?}");
    assert!(ledger(&work).values().all(|(s, _)| s == "uncertain"));
    assert_eq!(
        work.result_csv("failed.csv").rows.len(),
        8,
        "the rows of uncertain orders are rows not created"
    );
    assert_eq!(faulty.stats().await.posts("closed"), 4);

    // A re-run asks the provider (the answer is lost too) and sends nothing.
    let second = submit(&work, &faulty, &[]);
    second.expect(1);
    assert_eq!(second.json()["requests"], 0);
    assert_eq!(
        with_status(&result_rows(&work, "orders.result.csv"), "uncertain"),
        all
    );
    let stats = faulty.stats().await;
    assert_eq!(stats.posts("closed"), 4, "not sent again");
    assert_eq!(stats.listings("closed"), 1, "the provider was asked");

    // --retry-uncertain sends them again (and they are lost again).
    let third = submit(&work, &faulty, &["--retry-uncertain"]);
    third.expect(1);
    assert_eq!(third.json()["requests"], 4);
    assert_eq!(faulty.stats().await.posts("closed"), 8);
    assert!(faulty.orders().await.is_empty());
    faulty.stop().await;

    // The provider recovers at the same address: it never took them (a drop loses the order).
    let healthy = Provider::start(Config {
        bind: address,
        ..config()
    })
    .await;
    let fourth = submit(&work, &healthy, &[]);
    fourth.expect(1);
    assert_eq!(fourth.json()["requests"], 0);
    let stats = healthy.stats().await;
    assert_eq!((stats.all_posts(), stats.listings("404")), (0, 1));
    let fifth = submit(&work, &healthy, &["--retry-uncertain"]);
    fifth.expect(0);
    assert_counts(&fifth.json(), &[("created", 4), ("uncertain", 0)]);
    let orders = healthy.orders().await;
    assert_eq!(orders.keys().cloned().collect::<BTreeSet<_>>(), all);
    assert_ids(&result_rows(&work, "orders.result.csv"), &orders, true);
    let sixth = submit(&work, &healthy, &["--retry-uncertain"]);
    sixth.expect(0);
    assert_counts(&sixth.json(), &[("already_created", 4)]);
    assert_eq!(healthy.stats().await.all_posts(), 4);
    healthy.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn commit_dropped_orders_are_uncertain_and_not_sent_again() {
    let provider = Provider::start(Config {
        faults: vec![(Fault::CommitDrop, 1.0)],
        ..config()
    })
    .await;
    let work = Workdir::new();
    work.write_sheet(&sheet(4));
    let all = references(4);

    let first = submit(&work, &provider, &[]);
    first.expect(1);
    assert_counts(&first.json(), &[("uncertain", 4), ("created", 0)]);
    assert_eq!(
        with_status(&result_rows(&work, "orders.result.csv"), "uncertain"),
        all
    );
    assert!(ledger(&work).values().all(|(s, _)| s == "uncertain"));
    // The provider has them all, once.
    let orders = provider.orders().await;
    assert_eq!(orders.keys().cloned().collect::<BTreeSet<_>>(), all);

    // The provider cannot be asked (its answers are lost): nothing is sent again.
    let second = submit(&work, &provider, &[]);
    second.expect(1);
    assert_eq!(second.json()["requests"], 0);
    assert_eq!(
        with_status(&result_rows(&work, "orders.result.csv"), "uncertain"),
        all
    );
    let stats = provider.stats().await;
    assert_eq!((stats.posts("closed"), stats.listings("closed")), (4, 1));
    assert_eq!(provider.orders().await, orders, "no order created twice");
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn drops_and_commit_drops_together_end_with_every_order_once() {
    let provider = Provider::start(Config {
        faults: vec![(Fault::Drop, 0.3), (Fault::CommitDrop, 0.3)],
        seed: 6,
        ..config()
    })
    .await;
    let work = Workdir::new();
    work.write_sheet(&sheet(10));
    let all = references(10);
    // One request at a time: the dice meet the same requests in the same order every run.
    let workers = ["--workers", "1"];

    let first = submit(&work, &provider, &workers);
    first.expect(1);
    let rows = result_rows(&work, "orders.result.csv");
    let uncertain = with_status(&rows, "uncertain");
    let stored: BTreeSet<String> = provider.orders().await.into_keys().collect();
    let commit_dropped: BTreeSet<String> = uncertain.intersection(&stored).cloned().collect();
    let dropped: BTreeSet<String> = uncertain.difference(&stored).cloned().collect();
    assert!(
        !commit_dropped.is_empty() && !dropped.is_empty(),
        "seed 6 no longer gives both faults: {rows:?}"
    );
    assert_eq!(
        with_status(&rows, "created"),
        all.difference(&uncertain).cloned().collect()
    );

    // Until everything is created: re-runs without the flag until the provider's listing
    // answers (it names the orders whose answer was lost, and nothing is sent), then one run
    // with --retry-uncertain for the orders the provider does not have.
    let mut listed_commit_dropped = false;
    for round in 0.. {
        assert!(round < 20, "still not done after {round} rounds");
        let mut asked = 0;
        let rows = loop {
            asked += 1;
            assert!(asked <= 20, "the provider's listing never answered");
            let posts = provider.stats().await.all_posts();
            let answered = provider.stats().await.listings("200");
            let run = submit(&work, &provider, &workers);
            assert_eq!(run.json()["requests"], 0, "nothing sent without the flag");
            let stats = provider.stats().await;
            assert_eq!(stats.all_posts(), posts);
            provider.orders().await;
            if stats.listings("200") > answered {
                break result_rows(&work, "orders.result.csv");
            }
        };
        if !listed_commit_dropped {
            // The first answer of the listing: the orders it names are created, with its ids.
            let already = with_status(&rows, "already_created");
            assert!(commit_dropped.is_subset(&already), "{rows:?}");
            assert!(
                dropped.is_subset(&with_status(&rows, "uncertain")),
                "{rows:?}"
            );
            listed_commit_dropped = true;
        }
        let uncertain = with_status(&rows, "uncertain");
        let stored: BTreeSet<String> = provider.orders().await.into_keys().collect();
        assert!(
            uncertain.is_disjoint(&stored),
            "an order the provider has is still uncertain: {rows:?}"
        );
        if uncertain.is_empty() {
            break;
        }
        let before = provider.stats().await.all_posts();
        let retry = submit(&work, &provider, &["--workers", "1", "--retry-uncertain"]);
        assert_eq!(
            provider.stats().await.all_posts() - before,
            uncertain.len() as u64,
            "--retry-uncertain sends exactly the uncertain orders: {}",
            retry.stderr
        );
        provider.orders().await;
    }
    let orders = provider.orders().await;
    assert_eq!(orders.keys().cloned().collect::<BTreeSet<_>>(), all);
    let last = submit(&work, &provider, &workers);
    last.expect(0);
    assert_ids(&result_rows(&work, "orders.result.csv"), &orders, false);
    provider.stop().await;
}
