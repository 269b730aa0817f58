//! The holes that could hang a run or strand an order, each pinned by a test named after it:
//! `submit` against the sandbox, or against a purpose-built [`Canned`] server for what the
//! sandbox will not do (redirect, answer 429 forever, send 50 MB, 10,000 messages), and
//! against nothing at all.

use crate::support::*;

/// A server answering `answer` to everything, and a run of `submit` of `orders` orders to it.
async fn against(answer: Vec<u8>, orders: usize, extra: &[&str]) -> (Canned, Workdir, Output) {
    let server = Canned::start(answer).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(orders));
    let run = submit_as(&work, Some(TOKEN), &server.base_url(), "orders.csv", extra);
    (server, work, run)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_ledger_stops_the_run_and_prints_every_answer_it_could_not_record() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(40));
    // The ledger may not grow by a page: SQLite's "database or disk is full", as on a full disk.
    let full = submit(&work, &provider, &["--ledger-growth-limit", "0"]);
    full.expect(4).stderr_has(&["could not be written", "full"]);
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
    work.write_sheet(&sheet(2));
    work.write("token.txt", format!("{TOKEN}\nsecond line\n"));
    let base_url = provider.base_url();
    let file = submit_as(
        &work,
        None,
        &base_url,
        "orders.csv",
        &["--token-file", "token.txt"],
    );
    file.expect(2)
        .stderr_has(&["has a line break at character"]);
    file.stderr_lacks(&[TOKEN, "second line"]);
    let variable = submit_as(
        &work,
        Some(&format!("{TOKEN}\r\nx")),
        &base_url,
        "orders.csv",
        &[],
    );
    variable
        .expect(2)
        .stderr_has(&["FPGO_TOKEN has a line break"]);
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
        run.stderr_has(&["redirects are not followed"]);
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
    run.stderr_has(&["kept answering 429"]);
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
    run.stderr_has(&["Retry-After header `soon` is neither seconds nor a date"]);
}

#[test]
fn impossible_options_are_refused_before_anything_is_sent() {
    let work = Workdir::new();
    work.write_sheet(&sheet(1));
    for (flag, value) in [
        ("--rate", "0"),
        ("--workers", "0"),
        ("--timeout", "0"),
        ("--max-wait", "-1"),
    ] {
        Test::on(&work)
            .args(&[
                "submit",
                "orders.csv",
                "--base-url",
                "http://127.0.0.1:9/api/v1",
            ])
            .args(&[&format!("{flag}={value}")])
            .env("FPGO_TOKEN", TOKEN)
            .status(2)
            .stderr_has(&[flag])
            .no_file("orders.result.csv")
            .run();
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
    work.write_sheet(&sheet(10));
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
    run.stderr_has(&[&plain]);
    run.stderr_lacks(&["client error"]);
    assert!(
        !rows.iter().any(|r| r.messages.contains("client error")),
        "{rows:?}"
    );
}
