//! `status` and `cancel` after `submit`: statuses read and recorded with their history, final
//! states not asked again (unless `--all`), a 404 as `not_found`, a refused token, `--offline`
//! sending nothing, the rate kept in every second, 5xx answers asked again, a ledger that
//! cannot be written (exit 4, the answer said), cancellations of known and unknown orders, and
//! the token in no output.

use crate::support::*;
use fpgo_export::sandbox::{Config, Fault};
use std::collections::BTreeMap;

/// Submits `n` orders to the provider; their order ids by reference.
async fn submitted(work: &Workdir, provider: &Provider, n: usize) -> BTreeMap<String, String> {
    work.write_sheet(&sheet(n));
    submit(work, provider, &[]).expect(0);
    provider.ids().await
}

/// The status report (CSV) by order reference: each row as header → value.
fn report(work: &Workdir, name: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(work.join(name)).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let row: BTreeMap<String, String> = headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect();
            (row["order_ref"].clone(), row)
        })
        .collect()
}

fn history(work: &Workdir) -> Vec<(String, String, Option<String>, String)> {
    query_ledger(
        work,
        "SELECT order_key, status, previous, seen_by FROM status_history ORDER BY id",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn statuses_are_read_and_recorded_with_the_one_before() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let ids = submitted(&work, &provider, 3).await;
    let first = status(&work, &provider, &["--json", "--output", "status.csv"]);
    first
        .expect(0)
        .stderr_has(&["asking the status of 3 order(s)"]);
    let json = first.json();
    assert_eq!(json["orders"], 3);
    assert_eq!(json["asked"], 3);
    assert_eq!(json["by_status"]["SENT"], 3);
    assert_eq!(
        (
            json["changed"].as_u64(),
            json["not_found"].as_u64(),
            json["failed"].as_u64()
        ),
        (Some(3), Some(0), Some(0))
    );
    assert_eq!(json["report_file"], "status.csv");

    // The customer pays one; another expires (through the introspection route).
    provider
        .sandbox
        .set_status(&ids[&reference(1)], "PAID")
        .unwrap();
    let moved = read(
        provider
            .http
            .post(provider.root(&format!("/__sandbox/orders/{}/status", ids[&reference(2)])))
            .json(&serde_json::json!({"status": "expired"})),
    )
    .await;
    assert_eq!(
        (moved.status, moved.body["status"].as_str()),
        (200, Some("EXPIRED")),
        "{moved:?}"
    );

    let second = status(&work, &provider, &["--json", "--output", "status.csv"]);
    second.expect(0);
    let json = second.json();
    assert_eq!(json["changed"], 2);
    assert_eq!(
        json["by_status"],
        serde_json::json!({"EXPIRED": 1, "PAID": 1, "SENT": 1})
    );
    let rows = report(&work, "status.csv");
    let paid = &rows[&reference(1)];
    assert_eq!(
        (paid["status"].as_str(), paid["previous_status"].as_str()),
        ("PAID", "SENT")
    );
    assert_eq!(paid["order_id"], ids[&reference(1)]);
    assert!(paid["customer_id"].starts_with("CSRT"), "{paid:?}");
    assert!(
        !paid["grand_total"].is_empty() && !paid["changed_at"].is_empty(),
        "{paid:?}"
    );
    assert!(
        paid["sheet"].ends_with("orders.csv") && !paid["rows"].is_empty(),
        "{paid:?}"
    );
    let unchanged = &rows[&reference(3)];
    assert_eq!(
        (
            unchanged["status"].as_str(),
            unchanged["previous_status"].as_str()
        ),
        ("SENT", "")
    );
    assert!(
        unchanged["last_checked"] > unchanged["changed_at"],
        "{unchanged:?}"
    );
    let history = history(&work);
    assert_eq!(history.len(), 5, "{history:?}");
    assert!(history.contains(&(
        reference(1),
        "PAID".into(),
        Some("SENT".into()),
        "status".into()
    )));
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn final_states_are_not_asked_again_unless_all() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let ids = submitted(&work, &provider, 4).await;
    provider
        .sandbox
        .set_status(&ids[&reference(1)], "CANCELLED")
        .unwrap();
    provider
        .sandbox
        .set_status(&ids[&reference(2)], "Refunded")
        .unwrap();
    provider
        .sandbox
        .set_status(&ids[&reference(3)], "PAID")
        .unwrap();
    status(&work, &provider, &["--output", "a.csv"]).expect(0);
    assert_eq!(provider.stats().await.all(STATUS_ROUTE), 4);

    // Paid may still be refunded: asked again, with the one still sent.
    let again = status(&work, &provider, &["--output", "b.csv", "--json"]);
    again.expect(0).stderr_has(&[
        "asking the status of 2 order(s)",
        "not the 2 in a final state",
    ]);
    assert_eq!(again.json()["asked"], 2);
    assert_eq!(again.json()["orders"], 4);
    assert_eq!(provider.stats().await.all(STATUS_ROUTE), 6);
    assert_eq!(report(&work, "b.csv")[&reference(1)]["status"], "CANCELLED");

    let all = status(&work, &provider, &["--output", "c.csv", "--all", "--json"]);
    all.expect(0);
    assert_eq!(all.json()["asked"], 4);
    assert_eq!(provider.stats().await.all(STATUS_ROUTE), 10);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_the_provider_does_not_have_is_not_found_and_asked_again() {
    let address = free_address();
    let first = Provider::start(Config {
        bind: address,
        ..config()
    })
    .await;
    let work = Workdir::new();
    submitted(&work, &first, 2).await;
    first.stop().await;
    // The same base URL, a provider that forgot everything.
    let forgetful = Provider::start(Config {
        bind: address,
        ..config()
    })
    .await;
    let run = status(&work, &forgetful, &["--json", "--output", "s.csv"]);
    run.expect(1);
    let json = run.json();
    assert_eq!(
        (
            json["not_found"].as_u64(),
            json["by_status"]["not_found"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(report(&work, "s.csv")[&reference(1)]["status"], "not_found");
    let again = status(&work, &forgetful, &["--json", "--output", "s.csv"]);
    again.expect(1);
    assert_eq!(again.json()["asked"], 2);
    assert_eq!(forgetful.stats().await.get(STATUS_ROUTE, "404"), 4);
    forgetful.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_stops_asking_with_exit_3() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    submitted(&work, &provider, 3).await;
    let run = after_submit(
        &work,
        "status",
        Some("not-the-token"),
        &provider.base_url(),
        &["--json", "--output", "s.csv"],
    );
    run.expect(3).stderr_has(&["refused the token"]);
    assert_eq!(run.json()["failed"], 3);
    assert_eq!(
        provider.stats().await.get(STATUS_ROUTE, "401"),
        1,
        "one refusal is enough"
    );
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_asks_nobody_and_needs_no_token() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    submitted(&work, &provider, 2).await;
    status(&work, &provider, &["--output", "s.csv"]).expect(0);
    let before = provider.stats().await.total();
    let run = after_submit(
        &work,
        "status",
        None,
        &provider.base_url(),
        &["--offline", "--json"],
    );
    run.expect(0).stderr_has(&["nobody is asked"]);
    assert_eq!(provider.stats().await.total(), before);
    let json = run.json();
    assert_eq!(
        (json["orders"].as_u64(), json["asked"].as_u64()),
        (Some(2), Some(0))
    );
    let name = json["report_file"].as_str().unwrap();
    assert!(
        name.starts_with("fpgo-status-") && name.ends_with(".csv"),
        "{name}"
    );
    assert_eq!(report(&work, name)[&reference(2)]["status"], "SENT");
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_a_known_order_a_paid_one_and_an_unknown_one() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let ids = submitted(&work, &provider, 3).await;
    let (one, two) = (&ids[&reference(1)], &ids[&reference(2)]);
    provider.sandbox.set_status(two, "PAID").unwrap();

    let run = cancel(
        &work,
        &provider,
        &[one, "--note", "ordered twice", "--json"],
    );
    run.expect(0)
        .stderr_has(&[&format!("{one} ({}): cancelled", reference(1))]);
    assert_eq!(run.json()["cancelled"], 1);
    assert_eq!(
        provider.orders().await[&reference(1)]["status"],
        "CANCELLED"
    );
    assert!(history(&work).contains(&(reference(1), "CANCELLED".into(), None, "cancel".into())));

    let paid = cancel(&work, &provider, &[two, "--note", "x"]);
    paid.expect(1)
        .stderr_has(&["not cancelled: the order is paid (orderStatusAlreadyPaid)"]);

    // An id the ledger does not know: refused before anything is sent, unless --force.
    let posts = provider.stats().await.all(CANCEL_ROUTE);
    let unknown = cancel(&work, &provider, &["ODR0000000001", "--note", "x"]);
    unknown
        .expect(2)
        .stderr_has(&["holds no created order ODR0000000001", "--force"]);
    assert_eq!(provider.stats().await.all(CANCEL_ROUTE), posts);
    let forced = cancel(
        &work,
        &provider,
        &["ODR0000000001", "--note", "x", "--force"],
    );
    forced.expect(1).stderr_has(&["no such order (404)"]);

    // The cancelled one is final now: status does not ask about it.
    let after = status(&work, &provider, &["--json", "--output", "s.csv"]);
    after.expect(0);
    assert_eq!(after.json()["asked"], 2);
    assert_eq!(report(&work, "s.csv")[&reference(1)]["status"], "CANCELLED");
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_is_in_no_output_of_status_or_cancel() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let ids = submitted(&work, &provider, 2).await;
    let runs = [
        status(&work, &provider, &["--json", "-vvv", "--output", "s.json"]),
        status(&work, &provider, &["--output", "s.xlsx", "--all"]),
        cancel(
            &work,
            &provider,
            &[&ids[&reference(1)], "--note", "x", "-vvv", "--json"],
        ),
    ];
    for run in &runs {
        assert!(
            !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
            "{}",
            run.report()
        );
    }
    assert!(!work.read("s.json").contains(TOKEN));
    assert!(work.read("s.json").contains(&ids[&reference(2)]));
    assert!(work.exists("s.xlsx"));
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sheet_keeps_the_orders_of_one_sheet() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    submitted(&work, &provider, 2).await;
    work.write("other.csv", one_order("OTHER-1").csv(b';'));
    submit_as(&work, Some(TOKEN), &provider.base_url(), "other.csv", &[]).expect(0);
    let run = status(
        &work,
        &provider,
        &["--sheet", "other.csv", "--json", "--output", "s.csv"],
    );
    run.expect(0);
    assert_eq!(
        (run.json()["orders"].as_u64(), run.json()["asked"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        report(&work, "s.csv").keys().collect::<Vec<_>>(),
        ["OTHER-1"]
    );
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_is_waited_out() {
    let provider = Provider::start(Config {
        rate_limit: 3,
        ..config()
    })
    .await;
    let work = Workdir::new();
    // Three orders fill the window; the first status ask is answered 429 until it ends.
    submitted(&work, &provider, 3).await;
    let clock = provider.clock();
    clock.advance(fpgo_export::sandbox::WINDOW_SECONDS - 1);
    let http = provider.http.clone();
    let stats_url = provider.root("/__sandbox/stats");
    tokio::spawn(async move {
        loop {
            if Stats(read(http.get(&stats_url)).await.body).get(STATUS_ROUTE, "429") > 0 {
                clock.advance(1);
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    });
    let run = status(&work, &provider, &["--json", "--output", "s.csv"]);
    run.expect(0);
    assert_eq!(run.json()["by_status"]["SENT"], 3);
    let stats = provider.stats().await;
    assert_eq!(
        (
            stats.get(STATUS_ROUTE, "429"),
            stats.get(STATUS_ROUTE, "200")
        ),
        (1, 3),
        "{}",
        stats.0
    );
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_moves_only_known_orders_to_known_statuses() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let ids = submitted(&work, &provider, 1).await;
    let id = &ids[&reference(1)];
    let post = |uuid: &str, body: serde_json::Value| {
        provider
            .http
            .post(provider.root(&format!("/__sandbox/orders/{uuid}/status")))
            .json(&body)
    };
    let unknown_status = read(post(id, serde_json::json!({"status": "LOST"}))).await;
    assert_eq!(unknown_status.status, 422, "{unknown_status:?}");
    let unknown_order = read(post("ODR0000000001", serde_json::json!({"status": "PAID"}))).await;
    assert_eq!(unknown_order.status, 404);
    let moved = read(post(id, serde_json::json!({"status": "partial refunded"}))).await;
    assert_eq!(moved.body["previous"], "SENT");
    let answer = provider.get(&format!("/connect/orders/status/{id}")).await;
    assert_eq!(answer.data("status"), "PARTIAL REFUNDED");
    assert!(provider.sandbox.set_status(id, "nonsense").is_err());
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_moves_orders_on_by_its_clock_and_shows_their_details() {
    let provider = Provider::start(Config {
        auto_advance: Some(std::time::Duration::from_secs(60)),
        ..config()
    })
    .await;
    let work = Workdir::new();
    let ids = submitted(&work, &provider, 1).await;
    let id = &ids["T-001"];
    let read = |run: &Output| run.json()["by_status"].clone();
    assert_eq!(read(&status(&work, &provider, &["--json"]))["SENT"], 1);
    provider.clock().advance(60);
    assert_eq!(read(&status(&work, &provider, &["--json"]))["INVOICED"], 1);
    provider.clock().advance(60);
    assert_eq!(read(&status(&work, &provider, &["--json"]))["PAID"], 1);

    // Get Order Details: the lines and the summary as the provider names them.
    let details: serde_json::Value = provider
        .http
        .get(format!(
            "{}/connect/orders/details/{id}",
            provider.base_url()
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(details["message"], "orderRetrievedSuccessfully");
    let data = &details["data"];
    assert_eq!(
        (&data["orderUuid"], &data["status"]),
        (&id.as_str().into(), &"PAID".into())
    );
    assert_eq!(data["productList"].as_array().map(Vec::len), Some(2));
    assert!(
        data["orderSummary"]["tax"].is_string() && data["orderSummary"]["grandTotal"].is_string()
    );
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn status_keeps_to_its_rate_in_every_second() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    submitted(&work, &provider, 8).await;
    let run = status(
        &work,
        &provider,
        &["--rate", "120", "--json", "--output", "s.csv"],
    );
    run.expect(0)
        .stderr_has(&["asking the status of 8 order(s)", "at 120/min"]);
    // When each ask reached the sandbox, by its own monotonic clock. 120/min is 2 a second;
    // governor's burst of 1 allows one more: at most 3 in any second, however slow the machine
    // (a slow one only spreads them further).
    let arrivals = provider.arrivals(STATUS_ROUTE).await;
    assert_eq!(arrivals.len(), 8, "{arrivals:?}");
    for (i, &start) in arrivals.iter().enumerate() {
        let within = arrivals[i..]
            .iter()
            .take_while(|&&t| t < start + 1000)
            .count();
        assert!(
            within <= 3,
            "{within} asks in the second from {start} ms: {arrivals:?}"
        );
    }
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_500_is_asked_again_and_read() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    submitted(&work, &provider, 2).await;
    // The first ask is answered 500; the same order is asked again after a wait.
    provider.sandbox.fault_next(Fault::Internal, 1);
    let run = status(
        &work,
        &provider,
        &["--json", "--output", "s.csv", "--retry-base-ms", "5"],
    );
    run.expect(0);
    let json = run.json();
    assert_eq!(
        (
            json["by_status"]["SENT"].as_u64(),
            json["failed"].as_u64(),
            json["requests"].as_u64()
        ),
        (Some(2), Some(0), Some(3))
    );
    let stats = provider.stats().await;
    assert_eq!(
        (
            stats.get(STATUS_ROUTE, "500"),
            stats.get(STATUS_ROUTE, "200")
        ),
        (1, 2),
        "{}",
        stats.0
    );
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lasting_500_fails_that_order_with_exit_1_and_it_is_asked_again_next_time() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let ids = submitted(&work, &provider, 2).await;
    let args = ["--json", "--output", "s.csv", "--retry-base-ms", "5"];
    status(&work, &provider, &args).expect(0);
    provider
        .sandbox
        .set_status(&ids[&reference(1)], "PAID")
        .unwrap();

    // Three 500s in a row: the first order's three attempts. It fails; the second is read.
    provider.sandbox.fault_next(Fault::Internal, 3);
    let failing = status(&work, &provider, &args);
    failing
        .expect(1)
        .stderr_has(&[&format!("{}: no status read: ", reference(1))]);
    failing.stderr_lacks(&[&format!("{}: no status read", reference(2))]);
    let json = failing.json();
    assert_eq!(
        (
            json["asked"].as_u64(),
            json["failed"].as_u64(),
            json["requests"].as_u64()
        ),
        (Some(2), Some(1), Some(4))
    );
    // It keeps what the ledger knew.
    assert_eq!(report(&work, "s.csv")[&reference(1)]["status"], "SENT");

    // Every answer a 500 (the sandbox's --fault 500=1): every order fails, each after three
    // attempts.
    provider
        .sandbox
        .set_faults(vec![(Fault::Internal, 1.0)])
        .unwrap();
    let down = status(&work, &provider, &args);
    down.expect(1);
    assert_eq!(
        (
            down.json()["failed"].as_u64(),
            down.json()["requests"].as_u64()
        ),
        (Some(2), Some(6))
    );
    assert_eq!(provider.stats().await.get(STATUS_ROUTE, "500"), 9);

    // The provider well again: the failed order is asked again and read.
    provider.sandbox.set_faults(Vec::new()).unwrap();
    let well = status(&work, &provider, &args);
    well.expect(0);
    assert_eq!(
        (
            well.json()["asked"].as_u64(),
            well.json()["changed"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(report(&work, "s.csv")[&reference(1)]["status"], "PAID");
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_ledger_stops_status_with_exit_4_and_says_the_answer_it_could_not_record() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let ids = submitted(&work, &provider, 40).await;
    // The ledger may not grow by a page: SQLite's "database or disk is full", as on a full disk.
    let full = status(
        &work,
        &provider,
        &["--ledger-growth-limit", "0", "--output", "s.csv"],
    );
    full.expect(4).stderr_has(&[
        "could not be written",
        "full",
        "asking stopped at once",
        "This answer from the provider is NOT in the ledger",
    ]);
    let recorded: Vec<String> = query_ledger(&work, "SELECT order_key FROM statuses", |r| r.get(0));
    assert!(recorded.len() < 40, "the run stopped: {}", full.stderr);
    // Asking stopped at the answer the ledger could not take: that one, and only that one, is
    // said on stderr with its id and status.
    let asked = provider.stats().await.all(STATUS_ROUTE);
    assert_eq!(asked, recorded.len() as u64 + 1, "{}", full.stderr);
    let said: Vec<&String> = ids
        .iter()
        .filter(|(key, id)| {
            full.stderr
                .lines()
                .any(|l| l.trim() == format!("{key} ({id}): status SENT"))
        })
        .map(|(key, _)| key)
        .collect();
    assert_eq!(said.len(), 1, "{}", full.stderr);
    assert!(!recorded.contains(said[0]), "{said:?} is recorded too");

    // Space again: every order is asked and recorded.
    let again = status(&work, &provider, &["--json", "--output", "s.csv"]);
    again.expect(0);
    assert_eq!(again.json()["by_status"]["SENT"], 40);
    let recorded: Vec<String> = query_ledger(&work, "SELECT order_key FROM statuses", |r| r.get(0));
    assert_eq!(recorded.len(), 40);
    provider.stop().await;
}
