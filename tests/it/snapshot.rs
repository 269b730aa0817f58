//! Snapshots (insta) of what a person reads: a small result file and the summary on stderr,
//! with the temporary directory redacted to `[DIR]`. Review changes with care: a changed
//! snapshot is a changed message to every user.

use crate::support::*;

/// A small sheet with a bit of everything: a valid order over two non-adjacent lines, a
/// corporate order with a wrong line amount, a country written as a name (a warning), a blank
/// line and a formula-like product name.
fn small_sheet(w: &Workdir) -> std::path::PathBuf {
    let mut t = Table::standard();
    t.order("1001", PRIVATE, &[("Router", "1", "4500.00", "12")]);
    t.order(
        "1002",
        CORPORATE,
        &[
            ("Kaffe", "4", "229", "15"),
            ("=Termokopp", "2", "199", "25"),
        ],
    );
    t.order("1001", &[], &[("Installasjon", "2", "250", "25")]);
    t.set(0, "country", "Norge");
    t.set(2, "line_amount", "400");
    t.rows.insert(3, vec![String::new(); HEADERS.len()]);
    w.write_sheet(&t)
}

#[test]
fn result_csv_snapshot() {
    let w = Workdir::new();
    let sheet = small_sheet(&w);
    let out = w.check(sheet.to_str().unwrap(), &[]);
    out.expect(1);
    let bytes = std::fs::read(w.join("orders.result.csv")).unwrap();
    assert!(
        bytes.starts_with(b"\xef\xbb\xbf"),
        "the result starts with a UTF-8 BOM"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    insta::assert_snapshot!("result_csv", w.redact(&text));
}

#[test]
fn stderr_summary_snapshot() {
    let w = Workdir::new();
    let sheet = small_sheet(&w);
    // An absolute path puts the temporary directory into the summary: it must be redacted.
    let out = w.check(
        sheet.to_str().unwrap(),
        &["--output", w.join("result.csv").to_str().unwrap()],
    );
    out.expect(1);
    assert!(
        out.stderr.contains(w.path().to_str().unwrap()),
        "the summary names the files it read and wrote"
    );
    insta::assert_snapshot!("stderr_summary", w.redact(&out.stderr));
}

#[test]
fn json_summary_snapshot() {
    let w = Workdir::new();
    small_sheet(&w);
    let out = w.check("orders.csv", &["--json"]);
    out.expect(1);
    let pretty = serde_json::to_string_pretty(&out.json()).unwrap();
    insta::assert_snapshot!("json_summary", w.redact(&pretty));
}

#[test]
fn redaction_of_times() {
    assert_eq!(
        redact_times("took 323.48µs, then 12ms and 1.5s; 3 rows (2 valid) in 7s\nerror(s) 4 s"),
        "took [TIME], then [TIME] and [TIME]; 3 rows (2 valid) in [TIME]\nerror(s) 4 s"
    );
}
