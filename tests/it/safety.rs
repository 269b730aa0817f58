//! The holes that could invoice someone twice, hang a run or strand an order, each pinned by
//! a test named after it: `submit`, the built binary, against the sandbox over loopback, or
//! against a purpose-built [`Canned`] server for what the sandbox will not do (redirect,
//! answer 429 forever, send 50 MB).

use crate::submit::{
    assert_counts, config, free_address, ledger, result_rows, sheet, submit, submit_as,
    with_status, write_sheet, Row, Running, TOKEN,
};
use crate::support::{Canned, Item, Output, Provider, Table, Workdir, PRIVATE};
use fpgo_export::sandbox::{Config, Fault};
use serde_json::Value;
use std::collections::BTreeSet;

fn row<'a>(rows: &'a [Row], order_ref: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.order_ref == order_ref)
        .unwrap_or_else(|| panic!("no row of {order_ref}: {rows:?}"))
}

fn set(of: &[&str]) -> BTreeSet<String> {
    of.iter().map(|s| s.to_string()).collect()
}

/// A server answering `answer` to everything, and a run of `submit` of `orders` orders to it.
async fn against(answer: Vec<u8>, orders: usize, extra: &[&str]) -> (Canned, Workdir, Output) {
    let server = Canned::start(answer).await;
    let work = Workdir::new();
    write_sheet(&work, &sheet(orders));
    let run = submit_as(&work, Some(TOKEN), &server.base_url(), "orders.csv", extra);
    (server, work, run)
}

// ---------------------------------------------------------------------------------------------
// Orders created twice

#[tokio::test(flavor = "multi_thread")]
async fn a_timed_out_update_stays_an_update() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(3);
    write_sheet(&work, &table);
    submit(&work, &provider, &[]).expect(0);
    let id = provider.orders().await["T-002"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // T-002 changes; its update reaches the provider, and the answer is lost.
    table.set(2, "quantity", "7");
    write_sheet(&work, &table);
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
        second.expect(2);
        assert!(second.stderr.contains(&holder), "{}", second.stderr);
        assert!(
            second
                .stderr
                .contains("Do not give this run a different --ledger"),
            "{}",
            second.stderr
        );
    }
    assert_eq!(first.terminate().code(), Some(130));
    submit(&work, &provider, &[]).expect(0);
    // Every order once: `orders()` fails on any created twice.
    assert_eq!(provider.orders().await.len(), 5);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_provider_written_another_way_is_the_same_ledger_key() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    write_sheet(&work, &sheet(3));
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
        run.expect(2);
        assert!(
            run.stderr.contains("no query (?…) or fragment (#…)"),
            "{}",
            run.stderr
        );
    }
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_ledger_beside_a_default_one_that_holds_the_sheet_is_refused() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    write_sheet(&work, &sheet(3));
    submit(&work, &provider, &["--default-ledger"]).expect(0);
    let default = work.join("data/fpgo-export/ledger.sqlite");
    assert!(default.exists());

    let second = submit(&work, &provider, &["--ledger", "other.sqlite"]);
    second.expect(2);
    assert!(
        second
            .stderr
            .contains("already holds 3 order(s) of this sheet")
            && second.stderr.contains(&default.display().to_string())
            && second.stderr.contains("--new-ledger"),
        "{}",
        second.stderr
    );
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
    truncated.expect(2);
    assert!(
        truncated.stderr.contains("empty (0 bytes)"),
        "{}",
        truncated.stderr
    );
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
    write_sheet(&work, &table);
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
    write_sheet(&work, &table);

    let run = submit(&work, &provider, &[]);
    run.expect(1);
    assert_eq!(run.json()["requests"], 0);
    let rows = result_rows(&work, "orders.result.csv");
    assert_eq!(with_status(&rows, "uncertain"), set(&["T-001", "T-002"]));
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
    write_sheet(&work, &table);
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
    write_sheet(&work, &plain);
    let again = submit(&work, &provider, &[]);
    again.expect(0);
    assert_counts(&again.json(), &[("already_created", 1)]);
    assert_eq!(again.json()["requests"], 0);
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Runs that hang or strand orders

#[tokio::test(flavor = "multi_thread")]
async fn a_full_ledger_stops_the_run_and_prints_every_answer_it_could_not_record() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    write_sheet(&work, &sheet(40));
    // The ledger may not grow by a page: SQLite's "database or disk is full", as on a full disk.
    let full = submit(&work, &provider, &["--ledger-growth-limit", "0"]);
    full.expect(4);
    assert!(
        full.stderr.contains("could not be written") && full.stderr.contains("full"),
        "{}",
        full.stderr
    );
    let orders = provider.orders().await;
    assert!(orders.len() < 40, "the run stopped: {}", full.stderr);
    let recorded = ledger(&work);
    for (reference, order) in &orders {
        // No request left before its record: the provider has nothing the ledger lacks.
        let (state, _) = recorded
            .get(reference)
            .unwrap_or_else(|| panic!("{reference} was sent without a record"));
        if state != "created" {
            let line = format!("{reference} (rows ");
            let id = order["id"].as_str().unwrap();
            assert!(
                full.stderr
                    .lines()
                    .any(|l| l.contains(&line) && l.contains(&format!("created as {id}"))),
                "{reference} ({state}) is neither recorded nor listed:\n{}",
                full.stderr
            );
        }
    }

    // Space again: the next run asks the provider about the orders left `sending`, then sends
    // the rest; every order exactly once.
    let rest = submit(&work, &provider, &[]);
    rest.expect(0);
    assert_eq!(provider.orders().await.len(), 40);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_with_a_line_break_is_refused_before_anything_is_sent() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    write_sheet(&work, &sheet(2));
    work.write("token.txt", format!("{TOKEN}\nsecond line\n"));
    let base_url = provider.base_url();
    let file = submit_as(
        &work,
        None,
        &base_url,
        "orders.csv",
        &["--token-file", "token.txt"],
    );
    file.expect(2);
    assert!(
        file.stderr.contains("has a line break at character"),
        "{}",
        file.stderr
    );
    assert!(!file.stderr.contains(TOKEN) && !file.stderr.contains("second line"));
    let variable = submit_as(
        &work,
        Some(&format!("{TOKEN}\r\nx")),
        &base_url,
        "orders.csv",
        &[],
    );
    variable.expect(2);
    assert!(
        variable.stderr.contains("FPGO_TOKEN has a line break"),
        "{}",
        variable.stderr
    );
    assert_eq!(provider.stats().await.total(), 0, "nothing sent");
    assert!(!work.exists("ledger.sqlite"), "nothing recorded");

    // Fixed, the orders go: none was held as uncertain.
    work.write("token.txt", format!("{TOKEN}\n"));
    let fixed = submit_as(
        &work,
        None,
        &base_url,
        "orders.csv",
        &["--token-file", "token.txt"],
    );
    fixed.expect(0);
    assert_counts(&fixed.json(), &[("created", 2)]);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_never_followed() {
    let created = br#"{"status_code":201,"message":"orderCreatedSuccessfully","data":{"orderUuid":"ODR999999999"}}"#;
    let elsewhere = Canned::start(Canned::answer("201 Created", &[], created)).await;
    let location = format!("{}/connect/orders/invoice/submit", elsewhere.base_url());
    for status in ["307 Temporary Redirect", "308 Permanent Redirect"] {
        let answer = Canned::answer(status, &[("Location", &location)], b"");
        let (redirecting, work, run) = against(answer, 3, &["--workers", "1"]).await;
        run.expect(1);
        assert_eq!(
            elsewhere.requests(),
            0,
            "the order went where the redirect said"
        );
        assert_eq!(
            redirecting.requests(),
            1,
            "not stopped at the first redirect"
        );
        let rows = result_rows(&work, "orders.result.csv");
        assert_eq!(with_status(&rows, "failed").len(), 3, "{rows:?}");
        let code = &status[..3];
        assert!(
            rows[0].messages.contains(code) && rows[0].messages.contains(&location),
            "{rows:?}"
        );
        assert!(
            run.stderr.contains("redirects are not followed"),
            "{}",
            run.stderr
        );
        assert!(ledger(&work).values().all(|(s, _)| s == "failed"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_429_gives_up_after_max_wait() {
    let answer = Canned::answer("429 Too Many Requests", &[("Retry-After", "1")], b"{}");
    let extra = ["--max-wait", "2", "--workers", "1"];
    let (limited, work, run) = against(answer, 3, &extra).await;
    run.expect(1);
    // Two waits of a second fit in two seconds; the third would not.
    assert_eq!(limited.requests(), 3);
    let rows = result_rows(&work, "orders.result.csv");
    assert_eq!(with_status(&rows, "failed").len(), 3, "{rows:?}");
    assert!(rows[0].messages.contains("--max-wait"), "{rows:?}");
    assert!(run.stderr.contains("kept answering 429"), "{}", run.stderr);
    assert!(run.json()["stopped"]
        .as_str()
        .is_some_and(|s| s.contains("429")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_retry_after_is_said_not_silently_replaced() {
    let answer = Canned::answer("429 Too Many Requests", &[("Retry-After", "soon")], b"{}");
    let extra = ["--max-wait", "10", "--workers", "1"];
    let (limited, _work, run) = against(answer, 2, &extra).await;
    run.expect(1);
    // A minute (the whole window, for want of a reset) is more than ten seconds: stop at once.
    assert_eq!(limited.requests(), 1);
    assert!(
        run.stderr
            .contains("Retry-After header `soon` is neither seconds nor a date"),
        "{}",
        run.stderr
    );
}

#[test]
fn impossible_options_are_refused_before_anything_is_sent() {
    let work = Workdir::new();
    write_sheet(&work, &sheet(1));
    for (flag, value) in [
        ("--rate", "0"),
        ("--workers", "0"),
        ("--timeout", "0"),
        ("--max-wait", "-1"),
    ] {
        let run = work.run_env(
            &[("FPGO_TOKEN", TOKEN)],
            &[
                "submit",
                "orders.csv",
                "--base-url",
                "http://127.0.0.1:9/api/v1",
                &format!("{flag}={value}"),
            ],
        );
        run.expect(2);
        assert!(run.stderr.contains(flag), "{flag}: {}", run.stderr);
        assert!(!work.exists("orders.result.csv"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_50_mb_answer_is_not_read_whole() {
    let page = vec![b'x'; 50 << 20];
    let answer = Canned::answer(
        "500 Internal Server Error",
        &[("Content-Type", "text/html")],
        &page,
    );
    let (huge, work, run) = against(answer, 1, &["--max-attempts", "1"]).await;
    run.expect(1);
    let rows = result_rows(&work, "orders.result.csv");
    assert!(
        rows[0].status == "failed" && rows[0].messages.contains("500"),
        "{rows:?}"
    );
    // What the client took: its 1 MiB, and what the sockets' buffers held.
    assert!(
        huge.written() < 16 << 20,
        "{} bytes were read",
        huge.written()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_417_with_10000_messages_is_kept_short_in_the_ledger_and_the_result() {
    let errors: Vec<String> = (0..10_000)
        .map(|i| format!("The products.{i}.name field is required."))
        .collect();
    let body = serde_json::json!({
        "status_code": 417, "status_message": "Client Error",
        "message": "payloadValidationErrors", "is_error": true, "errors": errors,
    });
    let answer = Canned::answer("417 Expectation Failed", &[], body.to_string().as_bytes());
    let (_server, work, run) = against(answer, 1, &[]).await;
    run.expect(1);
    let result = work.read("orders.result.csv");
    assert!(
        result.contains("… and 9980 more messages from the provider"),
        "{}",
        &result[..2000.min(result.len())]
    );
    let longest = work
        .result_csv("orders.result.csv")
        .rows
        .iter()
        .flatten()
        .map(|c| c.chars().count())
        .max();
    assert!(longest.is_some_and(|n| n <= 32_767), "{longest:?}");
    let connection = rusqlite::Connection::open(work.join("ledger.sqlite")).unwrap();
    let stored: String = connection
        .query_row("SELECT last_error FROM orders", [], |r| r.get(0))
        .unwrap();
    assert!(
        stored.len() < 10_000,
        "{} bytes in the ledger",
        stored.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_nothing_answers_for_costs_three_requests_and_one_clear_message() {
    let address = free_address();
    let base_url = format!("http://{address}/api/v1");
    let work = Workdir::new();
    write_sheet(&work, &sheet(10));
    let run = submit_as(
        &work,
        Some(TOKEN),
        &base_url,
        "orders.csv",
        &["--workers", "1"],
    );
    run.expect(1);
    assert_eq!(run.json()["requests"], 3);
    let rows = result_rows(&work, "orders.result.csv");
    assert_eq!(with_status(&rows, "failed").len(), 10, "{rows:?}");
    let plain = format!("nothing accepts connections at {base_url} (connection refused)");
    assert!(run.stderr.contains(&plain), "{}", run.stderr);
    assert!(!run.stderr.contains("client error"), "{}", run.stderr);
    assert!(
        !rows.iter().any(|r| r.messages.contains("client error")),
        "{rows:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Command-line conventions

#[test]
fn a_closed_stdout_is_a_normal_end_not_a_panic() {
    let work = Workdir::new();
    work.copy_from_repo("samples/orders-no.csv");
    work.copy_from_repo("samples/fpgo-export.toml");
    // stdout is a pipe whose reader is gone before the summary is written (`| head -c0`).
    let mut child = std::process::Command::new(crate::support::BIN)
        .args([
            "check",
            "orders-no.csv",
            "--json",
            "--today",
            crate::support::TODAY,
        ])
        .current_dir(work.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the run's own exit code: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_level_of_verbose_logs_more_and_never_the_token() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(2);
    let personal = "28038712383";
    table.set(0, "personal_number", personal);
    write_sheet(&work, &table);
    let mut sizes = Vec::new();
    for level in ["-v", "-vv", "-vvv"] {
        let run = submit(&work, &provider, &[level, "--retry-uncertain"]);
        assert!(!run.stderr.contains(TOKEN), "{level}: {}", run.stderr);
        assert!(!run.stderr.contains(personal), "{level}: {}", run.stderr);
        sizes.push(run.stderr.lines().count());
        if level == "-v" {
            assert!(run.stderr.contains("T-001 -> attempt 1"), "{}", run.stderr);
            assert!(run.stderr.contains("T-001 <- 201"), "{}", run.stderr);
        }
        // The next level sends the same orders again: a fresh ledger each time.
        std::fs::remove_file(work.join("ledger.sqlite")).unwrap();
    }
    assert!(sizes[0] < sizes[1] && sizes[1] <= sizes[2], "{sizes:?}");
    provider.stop().await;
}
