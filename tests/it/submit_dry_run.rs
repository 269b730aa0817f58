//! `submit --dry-run`: the plan of a real run (what would be created, what is already created
//! with its id, what is held, which fields of a changed order changed, old → new, numbers as the
//! sheet writes them) with no request sent, no ledger row changed and no token needed; and the
//! plan a real run says before it sends, the check's problems first.

use crate::support::*;
use std::collections::BTreeSet;

/// Every row of every table of the workdir's ledger, as text, opened read-only.
fn ledger_dump(work: &Workdir) -> Vec<String> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let connection =
        rusqlite::Connection::open_with_flags(work.join("ledger.sqlite"), flags).unwrap();
    let mut dump = Vec::new();
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    dump.push(format!("user_version {version}"));
    for table in ["orders", "holder"] {
        let mut statement = connection
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2, 3"))
            .or_else(|_| connection.prepare(&format!("SELECT * FROM {table}")))
            .unwrap();
        let columns = statement.column_count();
        let rows = statement
            .query_map([], |r| {
                let cells: Vec<String> = (0..columns)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{table}: {}", cells.join(" | ")))
            })
            .unwrap()
            .map(Result::unwrap);
        dump.extend(rows);
    }
    dump
}

fn row<'a>(rows: &'a [Row], key: &str) -> &'a Row {
    rows.iter().find(|r| r.order_ref == key).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_sends_nothing_changes_no_ledger_row_and_says_the_whole_plan() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(4);
    work.write_sheet(&table);
    submit(&work, &provider, &[]).expect(0);
    let created = provider.orders().await;
    let id = |key: &str| created[key]["id"].as_str().unwrap().to_string();

    // T-002 changes (its first line's quantity, its e-mail); T-003 is left uncertain and
    // T-004 `sending` by an earlier run; T-005 is new.
    table.set(2, "quantity", "7");
    table.set(2, "email", "kari@example.no");
    let mut more = sheet(5);
    table.rows.extend(more.rows.drain(8..));
    work.write_sheet(&table);
    let connection = rusqlite::Connection::open(work.join("ledger.sqlite")).unwrap();
    connection
        .execute_batch(
            "UPDATE orders SET state = 'uncertain', order_uuid = NULL WHERE order_key = 'T-003';
             UPDATE orders SET state = 'sending', order_uuid = NULL WHERE order_key = 'T-004';",
        )
        .unwrap();
    drop(connection);
    let before = ledger_dump(&work);
    let requests = provider.stats().await.total();

    let dry = submit(&work, &provider, &["--dry-run", "--rate", "240"]);
    dry.expect(1);
    assert_eq!(
        provider.stats().await.total(),
        requests,
        "no request at all"
    );
    assert_eq!(ledger_dump(&work), before, "no ledger row changed");

    let json = dry.json();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["requests"], 0);
    assert_eq!(json["would_send"]["would_create"], 1, "{json}");
    assert_counts(
        &json,
        &[
            ("would_create", 1),
            ("already_created", 1),
            ("changed", 1),
            ("uncertain", 2),
            ("created", 0),
        ],
    );
    let rows = result_rows(&work, "orders.result.csv");
    assert_eq!(with_status(&rows, "would_create"), set_of(&["T-005"]));
    let done = row(&rows, "T-001");
    assert_eq!(
        (done.status.as_str(), done.order_id.clone()),
        ("already_created", id("T-001"))
    );
    let changed = row(&rows, "T-002");
    assert_eq!(
        (changed.status.as_str(), changed.order_id.clone()),
        ("changed", id("T-002"))
    );
    for field in [
        "products.0.quantity: 3 → 7",
        "customerDetails.email: kari.nordmann@example.no → kari@example.no",
    ] {
        assert!(changed.messages.contains(field), "{field} in {changed:?}");
    }
    assert!(!changed.messages.contains("orderDate"), "{changed:?}");
    for held in ["T-003", "T-004"] {
        let held = row(&rows, held);
        assert_eq!(held.status, "uncertain");
        assert!(
            held.messages.contains("a real run first looks it up"),
            "{held:?}"
        );
    }
    dry.stderr_has(&[
        "dry run, nothing is sent",
        "only read: a dry run changes nothing in it",
        "dry run: a real run would send 1 order(s): about a second at 240/min; not sent: 1 already created, 2 uncertain, 1 changed",
        "1 order(s) were being sent when an earlier run stopped; a real run marks them uncertain",
        "no request made to",
    ]);

    // With --update, the changed order would be an update of its id, its fields named.
    let update = submit(&work, &provider, &["--dry-run", "--update"]);
    update.expect(1);
    assert_eq!(provider.stats().await.total(), requests);
    assert_eq!(ledger_dump(&work), before);
    let rows = result_rows(&work, "orders.result.csv");
    let changed = row(&rows, "T-002");
    assert_eq!(
        (changed.status.as_str(), changed.order_id.clone()),
        ("would_update", id("T-002"))
    );
    assert!(
        changed.messages.contains("products.0.quantity: 3 → 7"),
        "{changed:?}"
    );
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_on_a_new_ledger_creates_nothing_and_exits_0_when_all_would_be_created() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(3));
    let dry = submit(&work, &provider, &["--dry-run"]);
    dry.expect(0);
    assert!(!work.exists("ledger.sqlite"), "{:?}", work.files());
    assert_eq!(provider.stats().await.total(), 0);
    let rows = result_rows(&work, "orders.result.csv");
    assert_eq!(with_status(&rows, "would_create"), references(3));
    dry.stderr_has(&["does not exist yet: a real run creates it"]);

    // The real run sends them all; a dry run after it finds them created.
    submit(&work, &provider, &[]).expect(0);
    let again = submit(&work, &provider, &["--dry-run"]);
    again.expect(0);
    assert_counts(&again.json(), &[("already_created", 3)]);
    again.stderr_has(&["dry run: a real run would send nothing; not sent: 3 already created"]);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_sent_before_the_ledger_kept_bodies_says_its_content_was_not_kept() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(2);
    work.write_sheet(&table);
    submit(&work, &provider, &[]).expect(0);
    // As a ledger of schema 2 migrated: the body was never kept.
    rusqlite::Connection::open(work.join("ledger.sqlite"))
        .unwrap()
        .execute("UPDATE orders SET payload = NULL", [])
        .unwrap();
    table.set(0, "quantity", "9");
    work.write_sheet(&table);
    submit(&work, &provider, &["--dry-run"]).expect(1);
    let rows = result_rows(&work, "orders.result.csv");
    let changed = row(&rows, "T-001");
    assert_eq!(changed.status, "changed");
    assert!(
        changed
            .messages
            .contains("changed (the earlier content was not kept)"),
        "{changed:?}"
    );
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_run_says_its_plan_and_lists_the_problems_before_it_sends() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(4);
    // T-004 is invalid: a quantity of 0.
    table.set(6, "quantity", "0");
    work.write_sheet(&table);
    let run = submit(&work, &provider, &["--rate", "90"]);
    run.expect(1);
    assert_counts(&run.json(), &[("created", 3), ("invalid", 1)]);
    let line = "3 orders to send: about 2 s at 90/min; not sent: 1 invalid";
    run.stderr_has(&[line, "1 error(s), 0 warning(s) (listed above)"]);
    let stderr = &run.stderr;
    let problem = stderr.find("must be greater than 0").unwrap();
    assert_eq!(
        stderr.matches("must be greater than 0").count(),
        1,
        "listed once: {stderr}"
    );
    let plan = stderr.find(line).unwrap();
    let sent = stderr.find("sent now:").unwrap();
    assert!(problem < plan && plan < sent, "{stderr}");
    let keys: BTreeSet<String> = provider.orders().await.into_keys().collect();
    assert_eq!(keys, references(3));
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_needs_no_token_and_a_real_run_still_does() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(3));
    submit(&work, &provider, &[]).expect(0);
    let requests = provider.stats().await.total();
    let mut table = sheet(4);
    table.set(0, "quantity", "9");
    work.write_sheet(&table);

    // No FPGO_TOKEN, no --token-file: the plan from the ledger of this base URL all the same.
    let dry = submit_as(
        &work,
        None,
        &provider.base_url(),
        "orders.csv",
        &["--dry-run"],
    );
    dry.expect(1);
    assert_counts(
        &dry.json(),
        &[("would_create", 1), ("already_created", 2), ("changed", 1)],
    );
    dry.stderr_has(&[
        "a dry run sends nothing and needs no token, but a real run would stop: no token: set the FPGO_TOKEN environment variable or give --token-file FILE",
    ]);
    assert_eq!(
        provider.stats().await.total(),
        requests,
        "no request at all"
    );

    // A real run without one stops before anything is read or sent, with the same words.
    let real = submit_as(&work, None, &provider.base_url(), "orders.csv", &[]);
    real.expect(2).stderr_has(&[
        "no token: set the FPGO_TOKEN environment variable or give --token-file FILE",
    ]);
    assert_eq!(provider.stats().await.total(), requests);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_fields_quote_numbers_as_a_decimal_comma_sheet_writes_them() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(1).decimal_commas();
    work.write("orders.csv", table.csv(b';'));
    submit(&work, &provider, &[]).expect(0);
    // The thermos (T-001's second line) is cheaper now.
    table.set(1, "unit_price", "189,90");
    work.write("orders.csv", table.csv(b';'));
    submit(&work, &provider, &["--dry-run"]).expect(1);
    let rows = result_rows(&work, "orders.result.csv");
    let changed = row(&rows, "T-001");
    assert_eq!(changed.status, "changed");
    for field in [
        "products.1.rate: 199,90 → 189,90",
        "products.1.amount: 199,90 → 189,90",
        "orderSummary.grandTotal: 657,90 → 647,90",
    ] {
        assert!(changed.messages.contains(field), "{field} in {changed:?}");
    }
    // No number with the wire's decimal point (`558.18`); the field names keep theirs.
    let wire = changed
        .messages
        .as_bytes()
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit());
    assert!(!wire, "{changed:?}");
    provider.stop().await;
}
