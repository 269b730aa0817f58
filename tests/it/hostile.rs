//! Hostile input never panics: every file below ends in a row problem naming its row and column
//! (exit 1), a clean run (exit 0), or one clear message that the file cannot be used (exit 2).

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

/// One order, one line, valid: the base that each case below breaks in one place.
fn one_order(order_ref: &str) -> Table {
    let mut t = Table::standard();
    t.order(order_ref, PRIVATE, &[("Router", "1", "100", "25")]);
    t
}

#[test]
fn empty_file_cannot_be_used() {
    let w = Workdir::new();
    w.write("empty.csv", b"");
    let out = w.check("empty.csv", &["--json"]);
    out.expect(2);
    assert_eq!(out.stderr.trim(), "error: empty.csv: the file is empty");
    assert_eq!(out.stdout, "");
    assert!(!w.exists("empty.result.csv"));

    w.write("blank.csv", b"\r\n  \n;;;\n");
    let out = w.check("blank.csv", &[]);
    out.expect(2);
    assert!(
        out.stderr.contains("blank.csv: the file has no header row"),
        "{}",
        out.stderr
    );
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
    assert!(
        out.stderr
            .contains("the sheet has no order lines below its header"),
        "{}",
        out.stderr
    );
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
    out.expect(2);
    assert_eq!(out.fatal_errors().len(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("garbage.csv: this is not a text file"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("save the sheet as CSV or XLSX"),
        "{}",
        out.stderr
    );

    // Garbage that decodes as text (every byte is a Windows-1252 character) has no usable header.
    let text_like: Vec<u8> = noise(4096, 11).into_iter().map(|b| b | 0x80).collect();
    w.write("mojibake.csv", &text_like);
    let out = w.check("mojibake.csv", &[]);
    out.expect(2);
    assert!(
        out.stderr.contains("required columns are missing"),
        "{}",
        out.stderr
    );

    // Garbage named .xlsx is read as a workbook, and refused as one.
    w.write("garbage.xlsx", noise(4096, 13));
    let out = w.check("garbage.xlsx", &[]);
    out.expect(2);
    assert!(
        out.stderr.contains("garbage.xlsx: cannot be read as XLSX"),
        "{}",
        out.stderr
    );
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
        out.expect(2);
        assert_eq!(out.fatal_errors().len(), 1, "{name}: {}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("{name}: cannot be read as XLSX")),
            "{name}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("is the file complete?"),
            "{name}: {}",
            out.stderr
        );
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
    let mut t = Table::standard();
    t.order("S-1", PRIVATE, &[("Router", "1", "100", "25")]);
    let mut x = t.xlsx();
    x.cell(1_048_575, 16_383, X::text("stray"));
    w.write_xlsx("stray.xlsx", &x);
    let out = w.run_limited(1024, &["check", "stray.xlsx", "--today", TODAY, "--json"]);
    out.expect(0);
    let note = "1 cell(s) right of the header's last column were ignored (first: XFD1048576); give them a header if they matter";
    assert_eq!(out.json()["notes"], json!([note]));
    assert!(out.stderr.contains(note), "{}", out.stderr);
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
    assert!(
        out.stderr
            .contains("down.xlsx row 1048576: error: product_name: is blank; write what is sold"),
        "{}",
        out.stderr
    );
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
fn numbers_that_are_not_numbers() {
    let w = Workdir::new();
    let mut t = Table::standard();
    let cases: &[(&str, &str, &str)] = &[
        ("quantity", "NaN", "is not a number"),
        ("unit_price", "inf", "is not a number"),
        ("unit_price", "-Infinity", "is not a number"),
        ("line_amount", "1e400", "is not a number"),
        (
            "quantity",
            "1234567890123456789012345678901234567890",
            "is too large (more than 15 digits)",
        ),
        (
            "unit_price",
            "79228162514264337593543950336",
            "is too large (more than 15 digits)",
        ),
        ("vat_rate", "NaN", "is not a number"),
        ("discount", "0x1F", "is not a number"),
        (
            "unit_price",
            "12,5,0",
            "has more than one decimal separator (',')",
        ),
    ];
    t.headers.push("discount".into());
    for (i, (column, value, _)) in cases.iter().enumerate() {
        let key = format!("N-{i}");
        t.order(&key, PRIVATE, &[("Router", "1", "100", "25")]);
        let row = t.rows.len() - 1;
        t.set(row, column, value);
    }
    // 15 digits each is allowed, but their product leaves the range of a decimal.
    t.order(
        "N-overflow",
        PRIVATE,
        &[("Router", "999999999999999", "999999999999999", "25")],
    );
    w.write_csv("numbers.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("numbers.csv", &["--output", "result.json", "--json"]);
    out.expect(1);
    assert_eq!(out.json()["orders"]["valid"], 0);
    let result: Value = serde_json::from_str(&w.read("result.json")).unwrap();
    for (i, (column, value, message)) in cases.iter().enumerate() {
        let row = &result["rows"][i];
        assert_eq!(row["row"], i as u64 + 2);
        assert_eq!(row["status"], "invalid");
        assert_eq!(
            row["messages"][0],
            format!("error: {column} \"{value}\": {message}"),
            "{row}"
        );
    }
    let overflow = &result["rows"][cases.len()];
    assert_eq!(
        overflow["messages"],
        json!(["error: quantity: quantity × unit price is too large to compute"])
    );
}

#[test]
fn xlsx_numbers_out_of_range() {
    let w = Workdir::new();
    let t = {
        let mut t = Table::standard();
        t.order("X-1", PRIVATE, &[("Router", "1", "100", "25")]);
        t.order("X-2", PRIVATE, &[("Router", "1", "100", "25")]);
        t.order("X-3", PRIVATE, &[("Router", "1", "100", "25")]);
        t
    };
    let mut x = t.xlsx();
    x.set(1, "unit_price", X::Num(1e300))
        .set(2, "quantity", X::Num(1e-300))
        .set(3, "unit_price", X::Num(0.123456));
    w.write_xlsx("range.xlsx", &x);
    let out = w.check("range.xlsx", &["--output", "result.json"]);
    out.expect(1);
    let result: Value = serde_json::from_str(&w.read("result.json")).unwrap();
    let messages: Vec<&Value> = result["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["messages"][0])
        .collect();
    // Numbers a decimal cannot hold are shown the way Excel writes them.
    assert_eq!(
        *messages[0],
        json!("error: unit_price \"1e300\": is too large (more than 15 digits)")
    );
    assert_eq!(
        *messages[1],
        json!("error: quantity \"1e-300\": is too small to be a real amount")
    );
    assert_eq!(
        *messages[2],
        json!("error: unit_price \"0.123456\": has more than 4 decimals; round it yourself so nothing is rounded away unseen")
    );
}

#[test]
fn formula_error_cells() {
    let w = Workdir::new();
    let mut t = Table::standard();
    t.order("F-1", PRIVATE, &[("Router", "1", "100", "25")]);
    t.order("F-2", PRIVATE, &[("Router", "1", "100", "25")]);
    t.order("F-3", PRIVATE, &[("Router", "1", "100", "25")]);
    let mut x = t.xlsx();
    // A formula with a cached error result is what Excel saves for =1/0 and =NA().
    x.set(1, "quantity", X::Formula("1/0".into(), "#DIV/0!".into()))
        .set(2, "name", X::Formula("NA()".into(), "#N/A".into()))
        // The same text typed into a cell is text, not an error: a number column refuses it.
        .set(3, "unit_price", X::text("#N/A"));
    w.write_xlsx("formulas.xlsx", &x);
    let out = w.check("formulas.xlsx", &["--output", "result.json", "--json"]);
    out.expect(1);
    let result: Value = serde_json::from_str(&w.read("result.json")).unwrap();
    let rows = result["rows"].as_array().unwrap();
    assert_eq!(
        rows[0]["messages"],
        json!(["error: quantity \"#DIV/0!\": the cell holds the formula error #DIV/0!; fix the formula or type the value"])
    );
    assert_eq!(
        rows[1]["messages"],
        json!(["error: name \"#N/A\": the cell holds the formula error #N/A; fix the formula or type the value"])
    );
    assert_eq!(
        rows[2]["messages"],
        json!(["error: unit_price \"#N/A\": is not a number"])
    );
    assert_eq!(out.json()["orders"]["valid"], 0);
    // Formula cells with ordinary results are read by their result.
    let mut x = one_order("F-4").xlsx();
    x.set(1, "quantity", X::Formula("1+1".into(), "2".into()));
    w.write_xlsx("ok.xlsx", &x);
    let out = w.check("ok.xlsx", &["--payloads", "p.jsonl"]);
    out.expect(0);
    assert_eq!(
        w.payloads("p.jsonl")[0]["payload"]["products"][0]["quantity"],
        "2"
    );
}

#[test]
fn csv_rows_of_unequal_length() {
    let w = Workdir::new();
    let mut t = Table::standard();
    t.order("U-1", PRIVATE, &[("Router", "1", "100", "25")]);
    t.order("U-2", PRIVATE, &[("Router", "1", "100", "25")]);
    t.order("U-3", PRIVATE, &[("Router", "1", "100", "25")]);
    let quantity = HEADERS.iter().position(|h| *h == "quantity").unwrap();
    // U-1 stops right after its quantity: the cells it lacks are blank.
    t.rows[0].truncate(quantity + 1);
    // U-2 runs past the header by two cells.
    t.rows[1].extend(["extra".to_string(), "more".to_string()]);
    w.write_csv("ragged.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("ragged.csv", &["--output", "result.json"]);
    out.expect(1);
    let result: Value = serde_json::from_str(&w.read("result.json")).unwrap();
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
    out.expect(2);
    assert_eq!(out.fatal_errors().len(), 1, "{}", out.stderr);

    // Two columns that both mean email.
    let mut t = one_order("D-1");
    t.headers.push("E-post".into());
    t.rows[0].push("kari@example.no".into());
    w.write_csv("dup.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("dup.csv", &[]);
    out.expect(2);
    assert!(
        out.stderr.contains(
            "the columns \"email\" and \"E-post\" both hold email; remove or rename one of them"
        ),
        "{}",
        out.stderr
    );

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
    out.expect(2);
    assert!(
        out.stderr.contains("unknown encoding \"klingon\""),
        "{}",
        out.stderr
    );
    let out = w.check("latin.csv", &["--encoding", "utf-8"]);
    out.expect(2);
    assert!(
        out.stderr.contains("leave out --encoding to detect it"),
        "{}",
        out.stderr
    );
}

#[test]
fn cells_with_control_characters_and_quotes() {
    let w = Workdir::new();
    let mut t = one_order("Q-1");
    t.set(
        0,
        "product_name",
        "Router \"Pro\", 2\u{a0}stk;\nlinje to\t\u{7}",
    );
    w.write_csv("quotes.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("quotes.csv", &["--payloads", "p.jsonl"]);
    out.expect(0);
    assert_eq!(
        w.payloads("p.jsonl")[0]["payload"]["products"][0]["name"],
        "Router \"Pro\", 2\u{a0}stk;\nlinje to\t\u{7}"
    );
    let result = w.result_csv("quotes.result.csv");
    assert_eq!(
        result.get(0, "product_name"),
        "Router \"Pro\", 2\u{a0}stk;\nlinje to\t\u{7}"
    );
}

/// What the row where a quote opens and never closes says.
const UNCLOSED: &str = "opens a quote that never closes (the file ends inside it); the lines after it are read as rows of their own: close the quote or remove it";

/// The rows of a JSON result file: each row's number, status and messages.
fn json_rows(w: &Workdir, name: &str) -> Vec<Value> {
    let result: Value = serde_json::from_str(&w.read(name)).unwrap();
    result["rows"].as_array().unwrap().clone()
}

#[test]
fn a_quote_that_never_closes_swallowed_the_rest_of_the_file() {
    // Three orders; the second one's product name opens a quote that nothing closes. The csv
    // crate read the rest of the file as that one cell: three rows in, two lines out.
    let w = Workdir::new();
    let mut t = Table::standard();
    for key in ["Q-1", "Q-2", "Q-3"] {
        t.order(key, PRIVATE, &[("Router", "1", "100", "25")]);
    }
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
        out.expect(1);
        assert!(
            out.stderr.contains(&format!(
                "{name} row {broken}: error: product_name: {UNCLOSED}"
            )),
            "{}",
            out.stderr
        );
        let rows = json_rows(&w, "result.json");
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
    let mut t = Table::standard();
    for key in ["S-1", "S-2", "S-3", "S-4"] {
        t.order(key, PRIVATE, &[("Router", "1", "100", "25")]);
    }
    t.set(1, "product_name", "OPENS");
    t.set(3, "product_name", "CLOSES");
    let text = t
        .csv(b',')
        .replace("OPENS", "\"Router")
        .replace("CLOSES", "Monitor 27\"");
    w.write_csv("stray.csv", &text, Encoding::Utf8);
    let out = w.check("stray.csv", &["--output", "result.json"]);
    out.expect(1);
    let rows = json_rows(&w, "result.json");
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
    let mut t = Table::standard();
    t.order("M-1", PRIVATE, &[("Router", "1", "100", "25")]);
    t.order("M-2", PRIVATE, &[("Router", "1", "100", "25")]);
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
        let rows = json_rows(&w, "result.json");
        let numbers: Vec<u64> = rows.iter().map(|r| r["row"].as_u64().unwrap()).collect();
        assert_eq!(numbers, [2, 3], "{name}");
        assert_eq!(rows[0]["cells"]["product_name"], cell, "{name}");
    }
}

#[test]
fn double_minus_in_a_cell_reached_the_csv_result_unneutralised() {
    // Only a plain number (a sign, digits, one decimal separator and digits) may start with a
    // sign unescaped; a spreadsheet runs `--5` or `+-5` as a formula.
    let risky = [
        "--5",
        "+-5",
        "-+5",
        "-5+3",
        "-1e5",
        "-1,2,3",
        "-1.2.3",
        "-..",
        "-5.",
        "-,5",
        "- 5",
        "-5 ",
        "\t-5",
        "\t5",
        "\r5",
        "=1+2",
        "@SUM(A1)",
        "+47 465 67 468",
    ];
    let plain = ["-5", "+5", "-12,50", "-12.50", "-0.125", "5"];
    let mut t = Table::standard();
    for (i, name) in risky.iter().chain(&plain).enumerate() {
        t.order(&format!("D-{i}"), PRIVATE, &[("Router", "1", "100", "25")]);
        t.set(i, "product_name", name);
    }
    let w = Workdir::new();
    w.write_csv("signs.csv", &t.csv(b','), Encoding::Utf8);
    w.check("signs.csv", &[]);
    // A workbook's cells take the other way into a CSV result: written cell by cell.
    let mut x = t.xlsx();
    for (i, name) in risky.iter().chain(&plain).enumerate() {
        x.set(i as u32 + 1, "product_name", X::text(name));
    }
    w.write_xlsx("signs.xlsx", &x);
    w.check("signs.xlsx", &["--output", "signs-xlsx.result.csv"]);
    for file in ["signs.result.csv", "signs-xlsx.result.csv"] {
        let result = w.result_csv(file);
        for (i, name) in risky.iter().enumerate() {
            assert_eq!(
                result.get(i, "product_name"),
                format!("'{name}"),
                "{file}: {name:?}"
            );
        }
        for (i, name) in plain.iter().enumerate() {
            assert_eq!(
                result.get(risky.len() + i, "product_name"),
                *name,
                "{file}: {name:?}"
            );
        }
    }
}

#[test]
fn excel_serial_date_3000000_was_accepted_as_an_order_date() {
    // Excel's dates run from 1900-01-01 (serial 1) to 9999-12-31 (serial 2,958,465). A date
    // cell outside them shows ##### in Excel and is no date to invoice on.
    let after = "is after 9999-12-31, the last date Excel has; check the year";
    let before = "is before 1900-01-01, the first date Excel has; check the year";
    let serials: &[(f64, Option<&str>)] = &[
        (3_000_000.0, Some(after)),
        (2_958_466.0, Some(after)),
        (2_958_465.0, None),
        (46_347.0, None),
        (0.0, Some(before)),
        (-1.0, Some(before)),
    ];
    let mut t = Table::standard();
    for i in 0..serials.len() {
        t.order(&format!("E-{i}"), PRIVATE, &[("Router", "1", "100", "25")]);
    }
    let mut x = t.xlsx();
    for (i, (serial, _)) in serials.iter().enumerate() {
        x.set(i as u32 + 1, "order_date", X::Serial(*serial));
    }
    let w = Workdir::new();
    w.write_xlsx("serials.xlsx", &x);
    let out = w.check("serials.xlsx", &["--output", "result.json"]);
    out.expect(1);
    let rows = json_rows(&w, "result.json");
    for (row, (serial, message)) in rows.iter().zip(serials) {
        match message {
            None => assert_eq!(row["status"], "valid", "{serial}: {row}"),
            Some(message) => {
                let first = row["messages"][0].as_str().unwrap_or_default();
                assert!(
                    first.starts_with("error: order_date \"") && first.ends_with(message),
                    "{serial}: {row}"
                );
            }
        }
    }

    // The same bounds for dates written as text.
    let texts: &[(&str, Option<&str>)] = &[
        ("21.11.10113", Some(after)),
        ("21 Nov 10113", Some(after)),
        ("31.12.9999", None),
        ("9999-12-31", None),
        ("21.11.0026", Some(before)),
    ];
    let mut t = Table::standard();
    for (i, (text, _)) in texts.iter().enumerate() {
        t.order(&format!("T-{i}"), PRIVATE, &[("Router", "1", "100", "25")]);
        t.set(i, "order_date", text);
    }
    w.write_csv("texts.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("texts.csv", &["--output", "result.json"]);
    out.expect(1);
    let rows = json_rows(&w, "result.json");
    for (row, (text, message)) in rows.iter().zip(texts) {
        match message {
            None => assert_eq!(row["status"], "valid", "{text}: {row}"),
            Some(message) => assert_eq!(
                row["messages"],
                json!([format!("error: order_date \"{text}\": {message}")]),
                "{text}"
            ),
        }
    }
}

#[test]
fn huge_cell_was_echoed_whole_on_stderr() {
    // A few MB in each cell a message names: the order key (named by the messages about its
    // order), a value that differs between an order's lines, a product id that is too long and
    // a header no field has.
    const SIZE: usize = 3 * 1024 * 1024;
    let (key, name, id, header) = (
        "K".repeat(SIZE),
        "N".repeat(SIZE),
        "P".repeat(SIZE),
        "H".repeat(SIZE),
    );
    let mut t = Table::standard();
    t.order(
        &key,
        PRIVATE,
        &[("Router", "1", "100", "25"), ("Switch", "1", "100", "25")],
    );
    t.set(1, "name", &name);
    t.order("P-1", PRIVATE, &[("Router", "1", "100", "25")]);
    t.set(2, "product_id", &id);
    t.headers.push(header.clone());
    for row in &mut t.rows {
        row.push("x".into());
    }
    let w = Workdir::new();
    w.write_csv("huge.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("huge.csv", &["--json"]);
    out.expect(1);
    assert!(out.stderr.len() < 4096, "{} bytes", out.stderr.len());
    assert!(out.stdout.len() < 4096, "{} bytes", out.stdout.len());
    let cut = |c: &str| format!("{}… ({SIZE} characters)", c.repeat(60));
    let quoted = |c: &str| format!("\"{}…\" ({SIZE} characters)", c.repeat(60));
    for line in [
        format!(
            "huge.csv row 3: error: name {}: differs from \"Kari Nordmann\" on row 2 of order {}; an order has one name: make them equal or leave this cell blank",
            quoted("N"),
            cut("K")
        ),
        format!(
            "huge.csv row 4: error: product_id {}: is longer than the provider's 25 characters; shorten it",
            quoted("P")
        ),
        format!(
            "warning: columns ignored (no field has these names): {}; see docs/columns.md or map them in the config's [columns]",
            cut("H")
        ),
    ] {
        assert!(out.stderr.contains(&line), "{line}\n{}", out.stderr);
    }

    // The cells the tool writes into a result stay within Excel's 32,767 characters; a CSV
    // result copies the sheet's own cells whole (they are the user's data).
    let result = w.result_csv("huge.result.csv");
    for row in &result.rows {
        for column in ["status", "messages"] {
            let cell = &row[result.column(column)];
            assert!(cell.chars().count() <= 32_767, "{column}: {}", cell.len());
        }
    }
    assert_eq!(
        result.get(0, "messages"),
        format!(
            "order {} is not sent because of problems on row 3",
            cut("K")
        )
    );
    assert_eq!(result.get(1, "name"), name);

    // An XLSX result holds every cell within the limit; a longer one says what it leaves out.
    w.check("huge.csv", &["--output", "huge.xlsx"]).expect(1);
    use calamine::{open_workbook, Reader, Xlsx as CalXlsx};
    let mut book: CalXlsx<_> = open_workbook(w.join("huge.xlsx")).unwrap();
    let range = book.worksheet_range("result").unwrap();
    for cell in range.used_cells() {
        let text = cell.2.to_string();
        assert!(
            text.chars().count() <= 32_767,
            "{:?}: {}",
            (cell.0, cell.1),
            text.len()
        );
    }
    let name_column = HEADERS.iter().position(|h| *h == "name").unwrap();
    let cell = range.get((2, name_column)).unwrap().to_string();
    let kept = cell.chars().take_while(|&c| c == 'N').count();
    assert!(kept > 32_700, "{kept}");
    assert_eq!(
        cell,
        format!("{}… and {} more characters", "N".repeat(kept), SIZE - kept)
    );
}

/// Excel's letters for a zero-based column index.
fn column(index: usize) -> String {
    fpgo_export::model::problem::column_letters(index)
}
