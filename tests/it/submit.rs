//! `fpgo-export submit`, the built binary, against an in-process sandbox over loopback: every
//! order created exactly once (the sandbox's introspection counts each referenceNo), re-runs
//! that create nothing new, faults that are retried, answers that never come (`drop`,
//! `commit-drop`), a binary killed at random instants, 401, 429, updates, a locked ledger,
//! secrets, the failed-rows file and the refusals before anything is sent.
//!
//! Every sandbox stands on a manual clock at 2026-11-21 12:00 UTC and every run says
//! `--today 2026-11-21`; sheets leave `order_date` blank, so orders are dated that day and no
//! test depends on the wall clock. The sandbox runs on the test's multi-threaded runtime and
//! keeps serving while the test thread waits for the binary (`block_in_place`).

use crate::support::{Item, Output, Provider, Table, Workdir, BIN, PRIVATE, TODAY};
use fpgo_export::sandbox::{Clock, Config, Fault};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// 2026-11-21 12:00 UTC: where every sandbox's clock stands.
pub(crate) const NOON: i64 = 1_795_262_400;
/// The token of every sandbox; long and unusual, so that finding it anywhere is no accident.
pub(crate) const TOKEN: &str = "fpgo-it-SECRET-7Qx9vK2mW4pZ";
pub(crate) const SUBMIT_ROUTE: &str = "POST /api/v1/connect/orders/invoice/submit";
pub(crate) const LISTING_ROUTE: &str = "GET /api/v1/connect/orders/status";
/// What the sheet of the sample holds: 24 orders, these 3 of them invalid.
pub(crate) const SAMPLE_INVALID: [&str; 3] = ["EX-2005", "EX-2011", "EX-2016"];

// ---------------------------------------------------------------------------------------------
// The provider

pub(crate) fn config() -> Config {
    Config {
        token: TOKEN.into(),
        clock: Clock::manual(NOON),
        rate_limit: 1_000_000,
        seed: 7,
        ..Config::default()
    }
}

/// A loopback address with a port that was free a moment ago, so that a second sandbox can
/// serve at the same base URL (the ledger knows a provider by its base URL).
pub(crate) fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

impl Provider {
    pub(crate) fn clock(&self) -> Clock {
        self.sandbox.clock().clone()
    }

    /// Every order the sandbox created, asserting that none was created twice: referenceNo →
    /// the stored order (`id`, `customerId`, `timesCreated`, `updates`, `payload`).
    pub(crate) async fn orders(&self) -> BTreeMap<String, Value> {
        let listed = self.introspect("orders").await;
        let mut by_reference = BTreeMap::new();
        for order in listed["orders"].as_array().unwrap() {
            let reference = order["referenceNo"].as_str().unwrap().to_string();
            assert_eq!(
                order["timesCreated"], 1,
                "{reference} was created {} times",
                order["timesCreated"]
            );
            let earlier = by_reference.insert(reference.clone(), order.clone());
            assert!(earlier.is_none(), "{reference} is stored twice");
        }
        by_reference
    }

    /// Answers by route and outcome (`201`, `500`, `closed`, …).
    pub(crate) async fn stats(&self) -> Stats {
        Stats(self.introspect("stats").await)
    }
}

/// The sandbox's counts of answers.
pub(crate) struct Stats(Value);

impl Stats {
    pub(crate) fn get(&self, route: &str, outcome: &str) -> u64 {
        self.0["routes"][route][outcome].as_u64().unwrap_or(0)
    }
    pub(crate) fn posts(&self, outcome: &str) -> u64 {
        self.get(SUBMIT_ROUTE, outcome)
    }
    /// Every POST of an order, whatever became of it.
    pub(crate) fn all_posts(&self) -> u64 {
        self.0["routes"][SUBMIT_ROUTE]
            .as_object()
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
    }
    pub(crate) fn listings(&self, outcome: &str) -> u64 {
        self.get(LISTING_ROUTE, outcome)
    }
    pub(crate) fn total(&self) -> u64 {
        self.0["total"].as_u64().unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Sheets and runs

/// `n` valid orders `T-001`… of one private customer, two lines each (so order `i`'s first
/// line is row index `2 * (i - 1)`). One customer keeps the sandbox's dice the same whichever
/// order comes first.
pub(crate) fn sheet(n: usize) -> Table {
    let mut table = Table::standard();
    for i in 1..=n {
        let quantity = (i % 5 + 1).to_string();
        let items: [Item; 2] = [
            ("Kaffe hele bønner 1 kg", &quantity, "229", "15"),
            ("Termokopp", "1", "199.90", "25"),
        ];
        table.order(&reference(i), PRIVATE, &items);
    }
    table
}

pub(crate) fn reference(i: usize) -> String {
    format!("T-{i:03}")
}

pub(crate) fn references(n: usize) -> BTreeSet<String> {
    (1..=n).map(reference).collect()
}

pub(crate) fn write_sheet(work: &Workdir, table: &Table) {
    work.write("orders.csv", table.csv(b','));
}

/// The arguments of a submit run against `base_url` on the workdir's ledger; `--rate 6000`
/// and `--retry-base-ms 5` unless `extra` says otherwise.
pub(crate) fn submit_args(
    work: &Workdir,
    base_url: &str,
    sheet: &str,
    extra: &[&str],
) -> Vec<String> {
    let ledger = work.join("ledger.sqlite");
    let mut args: Vec<String> = ["submit", sheet, "--base-url", base_url]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // A run that names its ledger (or asks for the default one) gets no other.
    if !extra.contains(&"--ledger") && !extra.contains(&"--default-ledger") {
        args.extend(["--ledger".to_string(), ledger.display().to_string()]);
    }
    let extra: Vec<&str> = extra
        .iter()
        .copied()
        .filter(|a| *a != "--default-ledger")
        .collect();
    let extra = extra.as_slice();
    args.extend(
        ["--today", TODAY, "--no-progress", "--json"]
            .iter()
            .map(|s| s.to_string()),
    );
    for (flag, default) in [("--rate", "6000"), ("--retry-base-ms", "5")] {
        if !extra.contains(&flag) {
            args.extend([flag.to_string(), default.to_string()]);
        }
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Runs `submit` with this token in `FPGO_TOKEN` (none when `None`) and waits for it; the
/// sandbox keeps serving on the runtime's workers meanwhile.
pub(crate) fn submit_as(
    work: &Workdir,
    token: Option<&str>,
    base_url: &str,
    sheet: &str,
    extra: &[&str],
) -> Output {
    let args = submit_args(work, base_url, sheet, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let env: Vec<(&str, &str)> = token.map(|t| ("FPGO_TOKEN", t)).into_iter().collect();
    tokio::task::block_in_place(|| work.run_env(&env, &args))
}

pub(crate) fn submit(work: &Workdir, provider: &Provider, extra: &[&str]) -> Output {
    submit_as(work, Some(TOKEN), &provider.base_url(), "orders.csv", extra)
}

/// A run of the binary in the background, killed (by its own id) if the test ends first.
pub(crate) struct Running {
    child: Child,
    stderr: std::path::PathBuf,
}

impl Running {
    pub(crate) fn start(work: &Workdir, base_url: &str, extra: &[&str], name: &str) -> Running {
        let stderr = work.join(&format!("{name}.stderr"));
        let child = Command::new(BIN)
            .args(submit_args(work, base_url, "orders.csv", extra))
            .current_dir(work.path())
            .env("FPGO_TOKEN", TOKEN)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(File::create(work.join(&format!("{name}.stdout"))).unwrap())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .expect("the binary starts");
        Running { child, stderr }
    }

    /// A provider that answers after 300 ms and a run of five orders to it, one a second,
    /// returned once it is sending (once the ledger holds an order).
    pub(crate) async fn in_progress(work: &Workdir) -> (Provider, Running) {
        let provider = Provider::start(Config {
            latency: (Duration::from_millis(300), Duration::from_millis(300)),
            ..config()
        })
        .await;
        write_sheet(work, &sheet(5));
        let run = Running::start(work, &provider.base_url(), &["--rate", "60"], "first");
        let started = Instant::now();
        while ledger_rows(work) == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{}",
                run.stderr()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (provider, run)
    }

    /// SIGTERM, then the exit status (within ten seconds).
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        self.wait(Duration::from_secs(10))
    }

    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.stderr).unwrap()).into_owned()
    }

    /// Waits at most `limit` for the exit; its status.
    pub(crate) fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < limit,
                "still running after {limit:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the binary wrote

/// One line of a result file, the cells the tests look at.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub(crate) order_ref: String,
    pub(crate) status: String,
    pub(crate) order_id: String,
    pub(crate) customer_id: String,
    pub(crate) bankid_url: String,
    pub(crate) messages: String,
}

pub(crate) fn result_rows(work: &Workdir, name: &str) -> Vec<Row> {
    let result = work.result_csv(name);
    (0..result.rows.len())
        .map(|i| Row {
            order_ref: result.get(i, "order_ref").to_string(),
            status: result.get(i, "status").to_string(),
            order_id: result.get(i, "order_id").to_string(),
            customer_id: result.get(i, "customer_id").to_string(),
            bankid_url: result.get(i, "bankid_url").to_string(),
            messages: result.get(i, "messages").to_string(),
        })
        .collect()
}

/// The status of each order (asserting all its rows agree).
pub(crate) fn statuses(rows: &[Row]) -> BTreeMap<String, String> {
    let mut by_order: BTreeMap<String, String> = BTreeMap::new();
    for row in rows {
        let status = by_order
            .entry(row.order_ref.clone())
            .or_insert_with(|| row.status.clone());
        assert_eq!(
            *status, row.status,
            "the rows of {} disagree",
            row.order_ref
        );
    }
    by_order
}

/// The orders with this status.
pub(crate) fn with_status(rows: &[Row], status: &str) -> BTreeSet<String> {
    statuses(rows)
        .into_iter()
        .filter(|(_, s)| s == status)
        .map(|(r, _)| r)
        .collect()
}

pub(crate) fn is_id(id: &str, prefix: &str, digits: std::ops::RangeInclusive<usize>) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|d| digits.contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Asserts every row of a created order carries the ids the sandbox gave that order.
#[track_caller]
pub(crate) fn assert_ids(rows: &[Row], orders: &BTreeMap<String, Value>, full: bool) {
    for row in rows
        .iter()
        .filter(|r| r.status == "created" || r.status == "already_created")
    {
        let stored = orders.get(&row.order_ref).unwrap_or_else(|| {
            panic!(
                "{} is {} but the sandbox lacks it",
                row.order_ref, row.status
            )
        });
        assert!(is_id(&row.order_id, "ODR", 9..=10), "{row:?}");
        assert_eq!(row.order_id, stored["id"], "{row:?}");
        if full {
            assert_eq!(row.customer_id, stored["customerId"], "{row:?}");
            assert!(is_id(&row.customer_id, "CSRT", 10..=10), "{row:?}");
            assert!(
                row.bankid_url
                    .starts_with("https://auth.current.bankid.no/precheck/auth?state="),
                "{row:?}"
            );
        }
    }
}

/// The ledger's state and attempts per order key.
pub(crate) fn ledger(work: &Workdir) -> BTreeMap<String, (String, u32)> {
    let connection = rusqlite::Connection::open(work.join("ledger.sqlite")).unwrap();
    let mut statement = connection
        .prepare("SELECT order_key, state, attempts FROM orders")
        .unwrap();
    let rows = statement
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows
}

/// How many orders the ledger holds, 0 while it cannot be read (not yet created).
pub(crate) fn ledger_rows(work: &Workdir) -> u64 {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE;
    rusqlite::Connection::open_with_flags(work.join("ledger.sqlite"), flags)
        .and_then(|c| c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0)))
        .unwrap_or(0)
}

#[track_caller]
pub(crate) fn assert_counts(json: &Value, expected: &[(&str, u64)]) {
    for (status, n) in expected {
        assert_eq!(json["orders"][status], *n, "orders.{status} in {json}");
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Every order exactly once, and a re-run creates nothing

#[tokio::test(flavor = "multi_thread")]
async fn the_sample_is_created_exactly_once_and_a_rerun_creates_nothing() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.copy_from_repo("samples/orders.xlsx");
    work.copy_from_repo("samples/fpgo-export.toml");
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
    assert_eq!(json["result_file"], "orders.result.csv");
    assert_eq!(json["ledger"], ledger_path.as_str());

    let orders = provider.orders().await;
    let rows = result_rows(&work, "orders.result.csv");
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
    assert!(again.stderr.contains(&line), "{}", again.stderr);
    assert_eq!(provider.stats().await.total(), 21, "not one request more");
    let orders_again = provider.orders().await;
    assert_eq!(orders_again, orders, "the sandbox holds the same orders");
    let rows_again = result_rows(&work, "orders.result.csv");
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
    write_sheet(&work, &sheet(12));
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
// 2. Faults that are retried

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
    write_sheet(&work, &sheet(20));
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
// 3. Answers that never come

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
    write_sheet(&work, &sheet(4));
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
    write_sheet(&work, &sheet(4));
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
        seed: 5,
        ..config()
    })
    .await;
    let work = Workdir::new();
    write_sheet(&work, &sheet(10));
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
        "seed 5 no longer gives both faults: {rows:?}"
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

// ---------------------------------------------------------------------------------------------
// 4. Killed at any instant

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
    write_sheet(&work, &sheet(n));
    let base_url = provider.base_url();
    // Orders a kill left `sending` that the provider had created, over all the kills.
    let mut created_unanswered = 0;
    for (i, after) in [300, 600, 1000].into_iter().enumerate() {
        let mut run = Running::start(&work, &base_url, &["--workers", "4"], &format!("run{i}"));
        tokio::time::sleep(Duration::from_millis(after)).await;
        run.child.kill().unwrap();
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

// ---------------------------------------------------------------------------------------------
// 5. The provider's refusals: 401, 429

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_stops_after_the_first_answer_with_exit_3() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    write_sheet(&work, &sheet(5));
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
    assert!(
        refused.stderr.contains("refused the token"),
        "{}",
        refused.stderr
    );
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
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for _ in 0..limit {
        let reply = http
            .get(format!("{}/connect/orders/status", provider.base_url()))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_ne!(reply.status(), 429);
    }
    let clock = provider.clock();
    clock.advance(fpgo_export::sandbox::WINDOW_SECONDS - 1);
    let stats_url = format!("{}/__sandbox/stats", provider.sandbox.root_url());
    tokio::spawn(async move {
        loop {
            let stats: Value = http
                .get(&stats_url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
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
    write_sheet(&work, &sheet(3));
    let started = Instant::now();
    let run = submit(&work, &provider, &[]);
    run.expect(0);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it did not wait"
    );
    assert!(
        run.stderr.contains("the provider asks to wait 1 s (429)"),
        "{}",
        run.stderr
    );
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
    write_sheet(&work, &sheet(1));
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
// 6. Updates

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_order_is_reported_and_sent_as_an_update_only_with_update() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(3);
    write_sheet(&work, &table);
    submit(&work, &provider, &[]).expect(0);
    let before = provider.orders().await;
    let id = before["T-002"]["id"].as_str().unwrap().to_string();
    assert_eq!(before["T-002"]["payload"]["products"][0]["quantity"], "3");

    // T-002's first line: 7 instead of 3.
    table.set(2, "quantity", "7");
    write_sheet(&work, &table);
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
// 7. One run per ledger; SIGTERM

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_a_ledger_in_use_is_refused_at_once() {
    let work = Workdir::new();
    let (provider, mut first) = Running::in_progress(&work).await;
    let started = Instant::now();
    let second = submit(&work, &provider, &[]);
    second.expect(2);
    assert!(started.elapsed() < Duration::from_secs(2), "not at once");
    let holder = format!("process {}", first.id());
    assert!(
        second.stderr.contains("in use by another run") && second.stderr.contains(&holder),
        "{}",
        second.stderr
    );
    assert!(second.stdout.is_empty());

    // SIGTERM: the request in flight ends, everything is recorded, exit 130.
    let status = first.terminate();
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
// 8. Secrets

/// Every file under `dir`, recursively.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A file's bytes; for a workbook, each part of the zip, unpacked.
fn contents(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "xlsx") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut part = zip.by_index(i).unwrap();
                let mut unpacked = Vec::new();
                std::io::Read::read_to_end(&mut part, &mut unpacked).unwrap();
                (format!(" ({})", part.name()), unpacked)
            })
            .collect()
    } else {
        vec![(String::new(), bytes)]
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_is_in_nothing_the_binary_prints_or_writes() {
    let provider = Provider::start(Config {
        faults: vec![
            (Fault::Internal, 0.2),
            (Fault::BadGateway, 0.1),
            (Fault::Drop, 0.1),
            (Fault::CommitDrop, 0.1),
        ],
        seed: 3,
        ..config()
    })
    .await;
    let work = Workdir::new();
    write_sheet(&work, &sheet(8));
    let base_url = provider.base_url();
    // A wrong token is no less secret: refused at the first request, on a fresh ledger.
    let wrong = "fpgo-it-WRONG-token-3fR8";
    let refused = submit_as(&work, Some(wrong), &base_url, "orders.csv", &["--verbose"]);
    refused.expect(3);
    let mut printed = vec![refused];
    for extra in [
        &["--verbose", "--failed-rows", "failed.csv"][..],
        &["--verbose", "--retry-uncertain", "-o", "result.xlsx"],
        &["--verbose", "--update", "-o", "result.json"],
    ] {
        let run = submit_as(&work, Some(TOKEN), &base_url, "orders.csv", extra);
        assert!(matches!(run.code, 0 | 1), "{}", run.stderr);
        printed.push(run);
    }
    let verbose = &printed[1].stderr;
    assert!(
        verbose.contains("T-001 -> attempt 1") && verbose.contains("<- 201"),
        "--verbose logs the requests: {verbose}"
    );
    assert!(
        ["<- 500", "<- 502", "connection"]
            .iter()
            .all(|what| verbose.contains(what)),
        "the faults were met: {verbose}"
    );
    let personal_number = PRIVATE
        .iter()
        .find(|(h, _)| *h == "personal_number")
        .unwrap()
        .1;
    for run in &printed {
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains(TOKEN) && !text.contains(wrong), "{text}");
            assert!(!text.contains(personal_number), "{text}");
        }
    }
    let written = files(work.path());
    for name in [
        "ledger.sqlite",
        "failed.csv",
        "result.xlsx",
        "result.json",
        "orders.result.csv",
    ] {
        assert!(written.contains(&work.join(name)), "{name} in {written:?}");
    }
    for path in written {
        for (part, bytes) in contents(&path) {
            assert!(
                !contains(&bytes, TOKEN) && !contains(&bytes, wrong),
                "the token is in {}{part}",
                path.display()
            );
        }
    }
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_personal_number_is_masked_on_stderr() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(2);
    let wrong = "28038712384";
    table.set(0, "personal_number", wrong);
    write_sheet(&work, &table);
    let run = submit(&work, &provider, &["--verbose"]);
    run.expect(1);
    assert!(!run.stderr.contains(wrong), "{}", run.stderr);
    assert!(
        work.read("orders.result.csv").contains(wrong),
        "the result file keeps the row as it was"
    );
    provider.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 9. The rows of orders not created

#[tokio::test(flavor = "multi_thread")]
async fn failed_rows_hold_the_rows_not_created_ready_to_check_again() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.copy_from_repo("samples/orders.xlsx");
    work.copy_from_repo("samples/fpgo-export.toml");
    let run = submit_as(
        &work,
        Some(TOKEN),
        &provider.base_url(),
        "orders.xlsx",
        &["--failed-rows", "failed.csv"],
    );
    run.expect(1);
    assert_eq!(run.json()["failed_rows"], "failed.csv");
    let result = work.result_csv("orders.result.csv");
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
    let errors = |r: &crate::support::ResultCsv| -> BTreeSet<(String, String)> {
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

// ---------------------------------------------------------------------------------------------
// 10. Refused before anything is sent

#[test]
fn clear_http_off_loopback_and_a_missing_token_are_refused_with_exit_2() {
    let work = Workdir::new();
    write_sheet(&work, &sheet(1));
    let plain = submit_as(
        &work,
        Some(TOKEN),
        "http://example.com/api/v1",
        "orders.csv",
        &[],
    );
    plain.expect(2);
    assert!(plain.stderr.contains("https"), "{}", plain.stderr);
    assert!(!plain.stderr.contains(TOKEN));

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    for token in [None, Some(""), Some("  ")] {
        let missing = submit_as(&work, token, &base_url, "orders.csv", &[]);
        missing.expect(2);
        assert!(missing.stderr.contains("FPGO_TOKEN"), "{}", missing.stderr);
    }
    assert!(!work.exists("ledger.sqlite"), "refused before the ledger");
    assert!(!work.exists("orders.result.csv"));
}
