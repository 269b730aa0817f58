//! The CSV reader's tests: records parsed and lines cut, spans, row numbers, runaway quotes,
//! delimiters.

use super::*;

#[test]
fn spans_cover_the_record_text() {
    let text = "h1;h2\r\n1;\"a;b\"\r\n\r\n3;\"x\ny\"\n4;5";
    let csv = CsvText::decode(Path::new("t.csv"), text.as_bytes().to_vec(), None).unwrap();
    let mut raws = Vec::new();
    csv.visit(&mut |r| {
        raws.push(String::from_utf8_lossy(csv.raws().get(r.span.unwrap()).unwrap()).into_owned());
        ControlFlow::Continue(())
    });
    assert_eq!(raws, ["h1;h2", "1;\"a;b\"", "3;\"x\ny\"", "4;5"]);
}

#[test]
fn lines_cut_unparsed_are_the_records_parsed() {
    let texts = [
        "h1;h2;h3\r\n1;a;x\r\n\r\n2\r\n;;\r\n 3 ;b\n\n\n4;c;y;z",
        "h1,h2\n\n\nA,1\nB,2\n",
        "\n\nh;i\n  \nø;å,\u{a0};\n;\n",
        "h\tj\r\n\t\tx\r\n",
        "",
    ];
    let rows = |csv: &CsvText, stop: u32| {
        let mut rows = Vec::new();
        let mut raws = csv.raws();
        csv.visit(&mut |r| {
            let raw = r.span.and_then(|span| raws.get(span)).map(<[u8]>::to_vec);
            rows.push((r.clone(), raw));
            if r.number >= stop {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        rows
    };
    for text in texts {
        let mut csv = CsvText::decode(Path::new("t.csv"), text.as_bytes().to_vec(), None).unwrap();
        assert!(csv.simple, "{text:?}");
        for stop in [2, u32::MAX] {
            let cut = rows(&csv, stop);
            csv.simple = false;
            let parsed = rows(&csv, stop);
            csv.simple = true;
            assert_eq!(cut, parsed, "{text:?}");
        }
    }
}

#[test]
fn a_column_cut_from_the_lines_is_the_column_parsed() {
    let texts = [
        "h1;h2;h3\r\n1;a;x\r\n\r\n2\r\n;;\r\n 3 ;b\n\n\n4;c;y;z",
        "h1,h2\n\n\nA,1\nB,2\n",
        "h1;h2\r1;2\r\n",
        "h1;h2\n\"q\";1\n",
    ];
    for text in texts {
        let csv = CsvText::decode(Path::new("t.csv"), text.as_bytes().to_vec(), None).unwrap();
        for column in 0..4 {
            let mut parsed = Vec::new();
            csv.visit(&mut |r| {
                parsed.push((r.number, r.cell(column).display()));
                ControlFlow::Continue(())
            });
            let mut cut = Vec::new();
            let simple = csv.visit_column(column, &mut |n, f| cut.push((n, f.to_string())));
            assert_eq!(
                simple,
                !text.contains('"') && !text.contains("\r1"),
                "{text:?}"
            );
            if simple {
                assert_eq!(cut, parsed, "{text:?}, column {column}");
            }
        }
    }
}

fn rows(text: &str) -> Vec<(u32, Vec<String>)> {
    let csv = CsvText::decode(Path::new("t.csv"), text.as_bytes().to_vec(), None).unwrap();
    let mut out = Vec::new();
    csv.visit(&mut |r| {
        out.push((r.number, r.cells.iter().map(Cell::display).collect()));
        ControlFlow::Continue(())
    });
    out
}

/// A visitor that takes each row by a swap, leaving a row unlike any (more cells, a flaw,
/// no span), sees the rows a visitor that only looks at them sees: every field is set again.
#[test]
fn a_visitor_may_take_each_row_by_a_swap() {
    let text = "h1;h2;h3\n1;\"a\nb\";x\n\n2;\"never;closes\n3;c;y\n4\n5;e;z";
    let csv = CsvText::decode(Path::new("t.csv"), text.as_bytes().to_vec(), None).unwrap();
    let mut looked = Vec::new();
    csv.visit(&mut |r| {
        looked.push(r.clone());
        ControlFlow::Continue(())
    });
    let mut taken = Vec::new();
    csv.visit(&mut |r| {
        let mut other = Row {
            number: 99,
            cells: vec![Cell::Text("stale".into()); 7],
            span: None,
            flaw: Some(super::super::Flaw {
                column: 5,
                message: "stale".into(),
            }),
        };
        std::mem::swap(r, &mut other);
        taken.push(other);
        ControlFlow::Continue(())
    });
    assert!(looked.iter().any(|r| r.flaw.is_some()), "{looked:?}");
    assert_eq!(taken, looked);
}

/// Each row's number, cells, and the column of its flaw.
fn flawed(text: &str) -> Vec<(u32, Vec<String>, Option<usize>)> {
    let csv = CsvText::decode(Path::new("t.csv"), text.as_bytes().to_vec(), None).unwrap();
    let mut out = Vec::new();
    csv.visit(&mut |r| {
        assert_eq!(r.span.is_none(), r.flaw.is_some(), "{text:?}");
        let cells = r.cells.iter().map(Cell::display).collect();
        out.push((r.number, cells, r.flaw.as_ref().map(|f| f.column)));
        ControlFlow::Continue(())
    });
    out
}

#[test]
fn a_runaway_quote_ends_at_its_line() {
    let row = |n: u32, cells: &[&str], flaw: Option<usize>| {
        (
            n,
            cells.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            flaw,
        )
    };
    for eol in ["\n", "\r\n"] {
        let text = "h1;h2;h3\n1;\"x;2\n2;a;b\n\n3;c;d\n".replace('\n', eol);
        assert_eq!(
            flawed(&text),
            [
                row(1, &["h1", "h2", "h3"], None),
                row(2, &["1", "\"x", "2"], Some(1)),
                row(3, &["2", "a", "b"], None),
                row(5, &["3", "c", "d"], None),
            ],
            "{text:?}"
        );
        // After a cell over two lines in the same record: the record is one row, cut at the
        // end of the line where the quote opens.
        let text = "h1;h2;h3\n1;\"a\nb\";\"x\n2;y;z".replace('\n', eol);
        let eol_in_cell = format!("a{eol}b");
        assert_eq!(
            flawed(&text),
            [
                row(1, &["h1", "h2", "h3"], None),
                row(2, &["1", &eol_in_cell, "\"x"], Some(2)),
                row(3, &["2", "y", "z"], None),
            ],
            "{text:?}"
        );
    }
    // On the last line, at the first byte, and as the file's last byte.
    assert_eq!(
        flawed("h1;h2\n\"1;2"),
        [row(1, &["h1", "h2"], None), row(2, &["\"1", "2"], Some(0))]
    );
    assert_eq!(
        flawed("h1;h2\n1;\""),
        [row(1, &["h1", "h2"], None), row(2, &["1", "\""], Some(1))]
    );
    // Closed by a stray quote two lines down: the lines it ran over are rows again.
    assert_eq!(
        flawed("h1;h2;h3\n1;\"x;2\n2;a;b\n3;27\";c"),
        [
            row(1, &["h1", "h2", "h3"], None),
            row(2, &["1", "\"x", "2"], Some(1)),
            row(3, &["2", "a", "b"], None),
            row(4, &["3", "27\"", "c"], None),
        ]
    );
    // Cells over lines that are not rows: fewer delimiters than half the header's, a closed
    // quote at the end of the file, an escaped quote.
    let text = "a;b;c;d;e\n1;\"x\ny; z\n\"\"q\"\"\";2\n3;\"end\"";
    assert_eq!(
        flawed(text),
        [
            row(1, &["a", "b", "c", "d", "e"], None),
            row(2, &["1", "x\ny; z\n\"q\"", "2"], None),
            row(3, &["3", "end"], None),
        ]
    );
}

#[test]
fn delimiters() {
    assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3"), (b';', 2));
    assert_eq!(sniff_delimiter("a,b,c"), (b',', 2));
    assert_eq!(sniff_delimiter("a\tb\tc"), (b'\t', 2));
    assert_eq!(sniff_delimiter("\"a;b\",c"), (b',', 1));
    assert_eq!(sniff_delimiter("abc"), (b',', 0));
}

#[test]
fn row_numbers_follow_excel() {
    let r = rows("h1;h2\r\n1;2\r\n\r\n3;\"multi\nline\"\r\n4;5\r\n");
    let numbers: Vec<u32> = r.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, vec![1, 2, 4, 5]);
    assert_eq!(r[2].1[1], "multi\nline");
    for text in [
        "\n\na;1\nb\n\n\nc;\"x\ny\"\nd",
        "\r\n\r\na;1\r\nb\r\n\r\n\r\nc;\"x\r\ny\"\r\nd\r\n",
    ] {
        let numbers: Vec<u32> = rows(text).iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![3, 4, 7, 8], "{text:?}");
    }
}
