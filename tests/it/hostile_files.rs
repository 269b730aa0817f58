//! Hostile files never panic: empty, header-only, binary garbage, truncated workbooks, a stray
//! cell at XFD1048576, a 100 MB line, unusable paths and headers, ragged rows and quotes that
//! never close each end in a row problem naming its row and column (exit 1), a clean run
//! (exit 0), or one clear message that the file cannot be used (exit 2).

use crate::support::*;
use serde_json::{json, Value};

/// Deterministic pseudo-random bytes (a fixed LCG: no test depends on chance).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

#[test]
fn empty_file_cannot_be_used() {
    Test::new()
        .write("empty.csv", b"")
        .check("empty.csv", &["--json"])
        .status(2)
        .stdout("")
        .stderr("error: empty.csv: the file is empty\n")
        .no_file("empty.result.csv")
        .run();
    Test::new()
        .write("blank.csv", b"\r\n  \n;;;\n")
        .check("blank.csv", &[])
        .status(2)
        .stderr_has(&["blank.csv: the file has no header row"])
        .run();
}

#[test]
fn header_only_is_a_clean_run_with_no_orders() {
    // By design: a nightly export with nothing to send is not a failure.
    let w = Workdir::new();
    let header_only = Table::standard().csv(b',');
    w.write_csv("nothing.csv", &header_only, Encoding::Utf8);
    let out = w.check("nothing.csv", &["--json", "--payloads", "p.jsonl"]);
    out.expect(0);
    let s = out.json();
    assert_eq!(s["orders"], json!({"total": 0, "valid": 0, "invalid": 0}));
    assert_eq!(s["rows"], json!({"total": 0, "valid": 0, "invalid": 0}));
    assert_eq!(
        s["money"],
        json!({"grand_total": "0.00", "total_tax": "0.00"})
    );
    out.stderr_has(&["the sheet has no order lines below its header"]);
    let result = w.result_csv("nothing.result.csv");
    assert!(result.rows.is_empty());
    assert_eq!(result.headers.last().unwrap(), "messages");
    assert_eq!(
        w.read("p.jsonl"),
        "",
        "an empty payload file, not a missing one"
    );

    // The same for a workbook whose sheet has only its header (and blank rows below it).
    let mut x = Table::standard().xlsx();
    x.row(5, vec![X::Blank; 4]);
    w.write_xlsx("nothing.xlsx", &x);
    let out = w.check("nothing.xlsx", &["--json"]);
    out.expect(0);
    assert_eq!(out.json()["orders"]["total"], 0);
}

#[test]
fn binary_garbage_cannot_be_used() {
    let w = Workdir::new();
    let mut bytes = noise(4096, 7);
    bytes[10] = 0;
    w.write("garbage.csv", &bytes);
    let out = w.check("garbage.csv", &[]);
    out.expect(2).has_one_fatal_error().stderr_has(&[
        "garbage.csv: this is not a text file",
        "save the sheet as CSV or XLSX",
    ]);

    // Garbage that decodes as text (every byte is a Windows-1252 character) has no usable header.
    let text_like: Vec<u8> = noise(4096, 11).into_iter().map(|b| b | 0x80).collect();
    w.write("mojibake.csv", &text_like);
    let out = w.check("mojibake.csv", &[]);
    out.expect(2).stderr_has(&["required columns are missing"]);

    // Garbage named .xlsx is read as a workbook, and refused as one.
    w.write("garbage.xlsx", noise(4096, 13));
    let out = w.check("garbage.xlsx", &[]);
    out.expect(2)
        .stderr_has(&["garbage.xlsx: cannot be read as XLSX"]);
}

#[test]
fn truncated_xlsx_cannot_be_used() {
    let w = Workdir::new();
    let bytes = one_order("T-1").xlsx().bytes();
    for (name, cut) in [
        ("half.xlsx", bytes.len() / 2),
        ("head.xlsx", 8),
        ("almost.xlsx", bytes.len() - 30),
    ] {
        w.write(name, &bytes[..cut]);
        let out = w.check(name, &[]);
        out.expect(2).has_one_fatal_error().stderr_has(&[
            &format!("{name}: cannot be read as XLSX"),
            "is the file complete?",
        ]);
    }
    // A workbook whose name says CSV is still read as a workbook (by its first bytes).
    w.write("actually.csv", &bytes);
    let out = w.check("actually.csv", &["--json"]);
    out.expect(0);
    assert_eq!(out.json()["format"], "XLSX, sheet \"Orders\"");
}

#[test]
fn far_stray_cell_is_ignored_with_a_note_and_costs_nothing() {
    // XFD1048576 would make a dense range of 17 billion cells: the run must stay small. The
    // address space limit makes a gigabyte-sized allocation fail the run instead of slowing it.
    let w = Workdir::new();
    let t = one_order("S-1");
    let mut x = t.xlsx();
    x.cell(1_048_575, 16_383, X::text("stray"));
    w.write_xlsx("stray.xlsx", &x);
    let out = w.run_limited(1024, &["check", "stray.xlsx", "--today", TODAY, "--json"]);
    out.expect(0);
    let note = "1 cell(s) right of the header's last column were ignored (first: XFD1048576); give them a header if they matter";
    assert_eq!(out.json()["notes"], json!([note]));
    out.stderr_has(&[note]);
    assert_eq!(out.json()["rows"]["total"], 1);

    // A stray cell far down inside the header's columns is a row like any other: its problems
    // carry the row number Excel shows.
    let mut x = t.xlsx();
    x.cell(1_048_575, 0, X::text("S-9"));
    w.write_xlsx("down.xlsx", &x);
    let out = w.run_limited(1024, &["check", "down.xlsx", "--today", TODAY, "--json"]);
    out.expect(1);
    assert_eq!(
        out.json()["orders"],
        json!({"total": 2, "valid": 1, "invalid": 1})
    );
    out.stderr_has(&["down.xlsx row 1048576: error: product_name: is blank; write what is sold"]);
}

#[test]
fn huge_single_line_csv() {
    // A 100 MB cell in one line. The product id allows 25 characters, so the cell is a row
    // problem; its message shows the start of the value and its length, never 100 MB of it.
    let w = Workdir::new();
    const SIZE: usize = 100 * 1024 * 1024;
    let mut t = one_order("BIG");
    t.set(0, "product_id", "PLACEHOLDER");
    let text = t.csv(b',');
    let huge = "x".repeat(SIZE);
    w.write_csv(
        "big.csv",
        &text.replace("PLACEHOLDER", &huge),
        Encoding::Utf8,
    );
    drop(huge);
    let out = w.check("big.csv", &["--json"]);
    out.expect(1);
    assert!(
        out.stderr.len() < 4096,
        "the summary stays short: {} bytes",
        out.stderr.len()
    );
    let shown = format!("\"{}…\" ({SIZE} characters)", "x".repeat(60));
    assert!(
        out.stderr.contains(&format!(
            "big.csv row 2: error: product_id {shown}: is longer than the provider's 25 characters"
        )),
        "{}",
        &out.stderr[..out.stderr.len().min(2000)]
    );
    // The result file keeps the cell whole: it is the user's own data.
    let size = std::fs::metadata(w.join("big.result.csv")).unwrap().len() as usize;
    assert!(size > SIZE, "{size}");
}

#[test]
fn unusable_paths_and_headers() {
    let w = Workdir::new();
    let out = w.check("missing.csv", &[]);
    out.expect(2);
    assert!(
        out.stderr.starts_with("error: missing.csv: "),
        "{}",
        out.stderr
    );

    std::fs::create_dir(w.join("folder.csv")).unwrap();
    let out = w.check("folder.csv", &[]);
    out.expect(2).has_one_fatal_error();

    // Two columns that both mean email.
    let mut t = one_order("D-1");
    t.headers.push("E-post".into());
    t.rows[0].push("kari@example.no".into());
    w.write_csv("dup.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("dup.csv", &[]);
    out.expect(2).stderr_has(&[
        "the columns \"email\" and \"E-post\" both hold email; remove or rename one of them",
    ]);

    // A header row of 10,000 unknown columns is one warning line, not a crash.
    let mut wide = one_order("W-1");
    for i in 0..10_000 {
        wide.headers.push(format!("extra{i}"));
    }
    w.write_csv("wide.csv", &wide.csv(b','), Encoding::Utf8);
    let out = w.check("wide.csv", &["--json"]);
    out.expect(0);
    assert_eq!(out.json()["notes"].as_array().unwrap().len(), 1);

    // An unknown --encoding is a usage error; a wrong one says how to recover.
    w.write(
        "latin.csv",
        encode(
            &one_order("L-1").csv(b',').replace("Kari", "Kåri"),
            Encoding::Windows1252,
        ),
    );
    let out = w.check("latin.csv", &["--encoding", "klingon"]);
    out.expect(2).stderr_has(&["unknown encoding \"klingon\""]);
    let out = w.check("latin.csv", &["--encoding", "utf-8"]);
    out.expect(2)
        .stderr_has(&["leave out --encoding to detect it"]);
}

/// A sheet that can be read only once (a named pipe, or `<(…)` in a shell): read whole, and
/// checked as the same sheet in a file is (a UTF-8 file is read again for each pass instead).
#[cfg(unix)]
#[test]
fn a_sheet_from_a_pipe_is_checked_as_the_same_sheet_in_a_file() {
    let w = Workdir::new();
    let text = sheet(3).csv(b',');
    w.write("orders.csv", &text);
    let file = w.check("orders.csv", &["--json", "--output", "file.result.csv"]);
    file.expect(0);
    let fifo = w.join("pipe.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    // The writer waits for the reader to open the pipe; it never blocks the test otherwise.
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, text))
    };
    let pipe = w.check("pipe.csv", &["--json", "--output", "pipe.result.csv"]);
    // Had the run ended without opening the pipe, the writer would wait for ever: open it
    // here too, without waiting for a writer (the text fits in the pipe's buffer).
    let unblock = std::os::unix::fs::OpenOptionsExt::custom_flags(
        std::fs::OpenOptions::new().read(true),
        libc::O_NONBLOCK,
    )
    .open(&fifo);
    writer.join().unwrap().unwrap();
    drop(unblock);
    pipe.expect(0);
    assert_eq!(pipe.json()["rows"], file.json()["rows"]);
    assert_eq!(w.read("pipe.result.csv"), w.read("file.result.csv"));
}

#[test]
fn csv_rows_of_unequal_length() {
    let w = Workdir::new();
    let mut t = one_line_orders(&["U-1", "U-2", "U-3"]);
    let quantity = HEADERS.iter().position(|h| *h == "quantity").unwrap();
    // U-1 stops right after its quantity: the cells it lacks are blank.
    t.rows[0].truncate(quantity + 1);
    // U-2 runs past the header by two cells.
    t.rows[1].extend(["extra".to_string(), "more".to_string()]);
    w.write_csv("ragged.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("ragged.csv", &["--output", "result.json"]);
    out.expect(1);
    let result = w.result_json("result.json");
    let rows = result["rows"].as_array().unwrap();
    assert_eq!(
        rows[0]["messages"],
        json!([
            "error: unit_price: is blank; write the price per unit including VAT",
            "error: vat_rate: is blank; write the VAT rate in percent (0, 12, 15, 25)"
        ])
    );
    // Cells beyond the header's last column are ignored, with a warning on their row.
    assert_eq!(rows[1]["status"], "valid");
    let col = column(HEADERS.len());
    assert_eq!(
        rows[1]["messages"],
        json!([format!("warning: 2 cell(s) right of the last column (from {col}) have no header and are ignored; give them a header, or check for a delimiter inside a value")])
    );
    assert_eq!(rows[1]["cells"].as_object().unwrap().len(), HEADERS.len());
    assert_eq!(rows[2]["status"], "valid");
    assert_eq!(rows[2]["row"], 4);
}

/// What the row where a quote opens and never closes says.
const UNCLOSED: &str = "opens a quote that never closes (the file ends inside it); the lines after it are read as rows of their own: close the quote or remove it";

#[test]
fn a_quote_that_never_closes_swallowed_the_rest_of_the_file() {
    // Three orders; the second one's product name opens a quote that nothing closes. The csv
    // crate read the rest of the file as that one cell: three rows in, two lines out.
    let w = Workdir::new();
    let t = one_line_orders(&["Q-1", "Q-2", "Q-3"]);
    let mut middle = t.clone();
    middle.set(1, "product_name", "OPENS");
    let lf = middle.csv(b',').replace("OPENS", "\"Router");
    let crlf = lf.replace('\n', "\r\n");
    // On the last row, with no line end after it.
    let mut last = t.clone();
    last.set(2, "product_name", "OPENS");
    let last = last.csv(b',').replace("OPENS", "\"Router");
    let last = last.trim_end();
    for (name, text, broken) in [
        ("lf.csv", lf.as_str(), 3),
        ("crlf.csv", crlf.as_str(), 3),
        ("last.csv", last, 4),
    ] {
        w.write_csv(name, text, Encoding::Utf8);
        let out = w.check(name, &["--output", "result.json"]);
        out.expect(1).stderr_has(&[&format!(
            "{name} row {broken}: error: product_name: {UNCLOSED}"
        )]);
        let rows = w.json_rows("result.json");
        let numbers: Vec<u64> = rows.iter().map(|r| r["row"].as_u64().unwrap()).collect();
        assert_eq!(numbers, [2, 3, 4], "{name}: every line is a row of its own");
        for row in &rows {
            if row["row"] == broken {
                assert_eq!(row["status"], "invalid", "{name}");
                assert_eq!(
                    row["messages"],
                    json!([format!("error: product_name: {UNCLOSED}")]),
                    "{name}"
                );
                // The row is read as well as it can be: the quote as a character.
                assert_eq!(row["cells"]["product_name"], "\"Router", "{name}");
                assert_eq!(row["cells"]["vat_rate"], "25", "{name}");
            } else {
                assert_eq!(row["status"], "valid", "{name}: {row}");
            }
        }
        // The CSV result has a line for every row, and its quoting is whole again.
        w.check(name, &[]).expect(1);
        let result = w.result_csv(&name.replace(".csv", ".result.csv"));
        let keys: Vec<&str> = (0..3).map(|i| result.get(i, "order_ref")).collect();
        assert_eq!(keys, ["Q-1", "Q-2", "Q-3"], "{name}");
        assert_eq!(result.get(broken - 2, "product_name"), "\"Router", "{name}");
        assert_eq!(result.get(broken - 2, "status"), "invalid", "{name}");
    }

    // A stray quote further down closes it (27" is a size in inches): the lines in between
    // are rows of their own, and so is the line with the stray quote.
    let mut t = one_line_orders(&["S-1", "S-2", "S-3", "S-4"]);
    t.set(1, "product_name", "OPENS");
    t.set(3, "product_name", "CLOSES");
    let text = t
        .csv(b',')
        .replace("OPENS", "\"Router")
        .replace("CLOSES", "Monitor 27\"");
    w.write_csv("stray.csv", &text, Encoding::Utf8);
    let out = w.check("stray.csv", &["--output", "result.json"]);
    out.expect(1);
    let rows = w.json_rows("result.json");
    let numbers: Vec<u64> = rows.iter().map(|r| r["row"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [2, 3, 4, 5]);
    assert_eq!(
        rows[1]["messages"],
        json!(["error: product_name: opens a quote that runs over the next 2 lines, which hold the delimiter as rows do; they are read as rows of their own: close the quote or remove it"])
    );
    let statuses: Vec<&Value> = rows.iter().map(|r| &r["status"]).collect();
    assert_eq!(statuses, ["valid", "invalid", "valid", "valid"]);
    assert_eq!(rows[3]["cells"]["product_name"], "Monitor 27\"");

    // A cell over two lines (a delimiter on the second one too) is still one cell of one row.
    let mut t = one_line_orders(&["M-1", "M-2"]);
    t.set(0, "product_name", "Router Pro\nblack, 2 pcs");
    let lf = t.csv(b',');
    for (name, text, cell) in [
        ("address.csv", lf.clone(), "Router Pro\nblack, 2 pcs"),
        (
            "address-crlf.csv",
            lf.replace('\n', "\r\n"),
            "Router Pro\r\nblack, 2 pcs",
        ),
    ] {
        w.write_csv(name, &text, Encoding::Utf8);
        let out = w.check(name, &["--output", "result.json"]);
        out.expect(0);
        let rows = w.json_rows("result.json");
        let numbers: Vec<u64> = rows.iter().map(|r| r["row"].as_u64().unwrap()).collect();
        assert_eq!(numbers, [2, 3], "{name}");
        assert_eq!(rows[0]["cells"]["product_name"], cell, "{name}");
    }
}

/// Excel's letters for a zero-based column index.
fn column(index: usize) -> String {
    fpgo_export::model::problem::column_letters(index)
}
