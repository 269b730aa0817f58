//! The holes that could invoice someone twice, each pinned by a test named after it: an update
//! whose answer was lost, a ledger reached another way (a link, another spelling of the same
//! URL, a new ledger beside a default one), an uncertain order looked up at the provider, and
//! order keys that look the same.

use crate::support::*;
use fpgo_export::sandbox::{Config, Fault};
use serde_json::Value;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn a_timed_out_update_stays_an_update() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(3);
    work.write_sheet(&table);
    submit(&work, &provider, &[]).expect(0);
    let id = provider.ids().await["T-002"].clone();

    // T-002 changes; its update reaches the provider, and the answer is lost.
    table.set(2, "quantity", "7");
    work.write_sheet(&table);
    provider
        .sandbox
        .set_faults(vec![(Fault::CommitDrop, 1.0)])
        .unwrap();
    let lost = submit(&work, &provider, &["--update"]);
    lost.expect(1);
    assert_counts(&lost.json(), &[("uncertain", 1), ("already_created", 2)]);
    assert_eq!(provider.orders().await["T-002"]["updates"], 1);
    provider.sandbox.set_faults(Vec::new()).unwrap();

    // Not counted done: the provider's listing knows the order, not whether the update took.
    let listings = provider.stats().await.listings("200");
    let again = submit(&work, &provider, &[]);
    again.expect(1);
    assert_counts(&again.json(), &[("uncertain", 1), ("already_created", 2)]);
    assert_eq!(again.json()["requests"], 0);
    assert_eq!(provider.stats().await.listings("200"), listings);
    let rows = result_rows(&work, "orders.result.csv");
    let t2 = row(&rows, "T-002");
    assert_eq!(
        (t2.status.as_str(), t2.order_id.as_str()),
        ("uncertain", id.as_str())
    );
    assert!(
        t2.messages.contains(&format!("an update of {id}")) && t2.messages.contains("--update"),
        "{t2:?}"
    );

    // Retried, it is the same update of the same order: never a new one.
    let retried = submit(&work, &provider, &["--retry-uncertain"]);
    retried.expect(0);
    assert_counts(&retried.json(), &[("created", 1), ("already_created", 2)]);
    assert_eq!(retried.json()["requests"], 1);
    let orders = provider.orders().await;
    assert_eq!(orders.len(), 3);
    let order = &orders["T-002"];
    assert_eq!(
        (&order["id"], &order["updates"]),
        (&Value::from(id.clone()), &Value::from(2))
    );
    assert_eq!(order["payload"]["fpgoUuid"], id.as_str());
    assert_eq!(order["payload"]["products"][0]["quantity"], "7");
    let rows = result_rows(&work, "orders.result.csv");
    let t2 = row(&rows, "T-002");
    assert_eq!(
        (t2.status.as_str(), t2.order_id.as_str()),
        ("created", id.as_str())
    );
    assert_eq!(ledger(&work)["T-002"].0, "created");
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ledger_lock_holds_through_a_symlink_a_hard_link_and_a_deleted_lock_file() {
    let work = Workdir::new();
    let (provider, mut first) = Running::in_progress(&work).await;
    let symlink = work.join("link.sqlite");
    std::os::unix::fs::symlink(work.join("ledger.sqlite"), &symlink).unwrap();
    let hard = work.join("hard.sqlite");
    std::fs::hard_link(work.join("ledger.sqlite"), &hard).unwrap();
    let holder = format!("in use by another run (process {}", first.id());
    for other in [&symlink, &hard, &work.join("ledger.sqlite")] {
        // Whatever lock file an older version kept beside it, deleting it changes nothing.
        for entry in std::fs::read_dir(work.path()).unwrap() {
            let entry = entry.unwrap().path();
            if entry.extension().is_some_and(|e| e == "lock") {
                std::fs::remove_file(entry).unwrap();
            }
        }
        let second = submit(&work, &provider, &["--ledger", other.to_str().unwrap()]);
        second
            .expect(2)
            .stderr_has(&[&holder, "Do not give this run a different --ledger"]);
    }
    assert_eq!(first.terminate(Duration::from_secs(10)).code(), Some(130));
    submit(&work, &provider, &[]).expect(0);
    // Every order once: `orders()` fails on any created twice.
    assert_eq!(provider.orders().await.len(), 5);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_provider_written_another_way_is_the_same_ledger_key() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(3));
    submit(&work, &provider, &[]).expect(0);
    let port = provider
        .base_url()
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    for other in [
        format!("http://localhost:{port}/api/v1"),
        format!("http://127.0.0.1:0{port}/api/v1"),
        format!("http://127.0.0.1:{port}//api//v1/"),
        format!("HTTP://127.0.0.1:{port}/api/./v1"),
    ] {
        let run = submit_as(&work, Some(TOKEN), &other, "orders.csv", &[]);
        run.expect(0);
        assert_counts(&run.json(), &[("already_created", 3), ("created", 0)]);
        assert_eq!(run.json()["requests"], 0, "{other}");
    }
    assert_eq!(provider.stats().await.all_posts(), 3);
    for bad in ["?debug=1", "#top"] {
        let url = format!("http://127.0.0.1:{port}/api/v1{bad}");
        let run = submit_as(&work, Some(TOKEN), &url, "orders.csv", &[]);
        run.expect(2)
            .stderr_has(&["no query (?…) or fragment (#…)"]);
    }
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_ledger_beside_a_default_one_that_holds_the_sheet_is_refused() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(3));
    submit(&work, &provider, &["--default-ledger"]).expect(0);
    let default = work.join("data/fpgo-export/ledger.sqlite");
    assert!(default.exists());

    let second = submit(&work, &provider, &["--ledger", "other.sqlite"]);
    second.expect(2).stderr_has(&[
        "already holds 3 order(s) of this sheet",
        &default.display().to_string(),
        "--new-ledger",
    ]);
    assert!(!work.exists("other.sqlite"), "no ledger is left behind");
    assert_eq!(provider.stats().await.all_posts(), 3, "nothing sent");

    // Asked for in so many words, the new ledger sends them again.
    let anew = submit(
        &work,
        &provider,
        &["--ledger", "other.sqlite", "--new-ledger"],
    );
    anew.expect(0);
    assert_counts(&anew.json(), &[("created", 3)]);
    assert_eq!(anew.json()["ledger_created"], true);
    assert_eq!(provider.stats().await.all_posts(), 6);

    // A truncated ledger is refused, never started afresh.
    std::fs::write(work.join("other.sqlite"), b"").unwrap();
    let truncated = submit(&work, &provider, &["--ledger", "other.sqlite"]);
    truncated.expect(2).stderr_has(&["empty (0 bytes)"]);
    assert_eq!(provider.stats().await.all_posts(), 6, "nothing sent");
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_uncertain_lookup_believes_only_a_live_order_of_the_same_amount() {
    let provider = Provider::start(Config {
        faults: vec![(Fault::CommitDrop, 1.0)],
        ..config()
    })
    .await;
    let work = Workdir::new();
    let mut table = sheet(3);
    work.write_sheet(&table);
    submit(&work, &provider, &[]).expect(1);
    provider.sandbox.set_faults(Vec::new()).unwrap();
    let orders = provider.orders().await;
    assert_eq!(orders.len(), 3, "created, their answers lost");

    // T-001 is cancelled at the provider; T-002's amount changes in the sheet.
    let cancelled = provider
        .http
        .post(format!(
            "{}/connect/orders/cancel/{}",
            provider.base_url(),
            orders["T-001"]["id"].as_str().unwrap()
        ))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"cancellationNote": "sent by mistake"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 202);
    table.set(2, "quantity", "9");
    work.write_sheet(&table);

    let run = submit(&work, &provider, &[]);
    run.expect(1);
    assert_eq!(run.json()["requests"], 0);
    let rows = result_rows(&work, "orders.result.csv");
    assert_eq!(with_status(&rows, "uncertain"), set_of(&["T-001", "T-002"]));
    assert!(
        row(&rows, "T-001").messages.contains("is CANCELLED"),
        "{rows:?}"
    );
    assert!(row(&rows, "T-002").messages.contains("is for"), "{rows:?}");
    let t3 = row(&rows, "T-003");
    assert_eq!(
        (t3.status.as_str(), &t3.order_id),
        (
            "already_created",
            &orders["T-003"]["id"].as_str().unwrap().to_string()
        )
    );
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn order_keys_that_look_the_same_are_one_order() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let items: [Item; 1] = [("Termokopp", "1", "199.90", "25")];
    let mut table = Table::standard();
    // Å as A + combining ring, as one character with two spaces, and with a no-break space.
    for key in ["A\u{30a}S 1", "\u{c5}S  1", "\u{c5}S\u{a0}1"] {
        table.order(key, PRIVATE, &items);
    }
    work.write_sheet(&table);
    let run = submit(&work, &provider, &[]);
    run.expect(0);
    assert_counts(&run.json(), &[("total", 1), ("created", 1)]);
    let orders = provider.orders().await;
    assert_eq!(orders.keys().collect::<Vec<_>>(), ["\u{c5}S 1"]);
    assert_eq!(
        orders["\u{c5}S 1"]["payload"]["products"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let rows = result_rows(&work, "orders.result.csv");
    assert!(
        !rows[0].messages.contains("written differently"),
        "{rows:?}"
    );
    for later in &rows[1..] {
        assert!(
            later.messages.contains("written differently from row 2"),
            "{rows:?}"
        );
    }

    // The same order, written the plain way, is the one the ledger knows.
    let mut plain = Table::standard();
    for _ in 0..3 {
        plain.order("\u{c5}S 1", PRIVATE, &items);
    }
    work.write_sheet(&plain);
    let again = submit(&work, &provider, &[]);
    again.expect(0);
    assert_counts(&again.json(), &[("already_created", 1)]);
    assert_eq!(again.json()["requests"], 0);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_uncertain_lookup_quotes_amounts_as_a_decimal_comma_sheet_writes_them() {
    let provider = Provider::start(Config {
        faults: vec![(Fault::CommitDrop, 1.0)],
        ..config()
    })
    .await;
    let work = Workdir::new();
    let mut table = sheet(1).decimal_commas();
    work.write("orders.csv", table.csv(b';'));
    submit(&work, &provider, &[]).expect(1);
    provider.sandbox.set_faults(Vec::new()).unwrap();
    let id = provider.ids().await["T-001"].clone();
    // The sheet's amount changes: the order the provider lists is not taken as this one.
    table.set(1, "unit_price", "189,90");
    work.write("orders.csv", table.csv(b';'));
    submit(&work, &provider, &[]).expect(1);
    let rows = result_rows(&work, "orders.result.csv");
    let held = row(&rows, "T-001");
    assert_eq!(held.status, "uncertain");
    assert!(
        held.messages
            .contains(&format!("{id} is for 657,90, not 647,90")),
        "{held:?}"
    );
    provider.stop().await;
}
