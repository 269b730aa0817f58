//! Secrets `submit` keeps: the token is in nothing the binary prints or writes (stdout,
//! stderr, the ledger, every result format, the failed rows), and a personal number is masked
//! on stderr while the result file keeps the row as it was.

use crate::support::*;
use fpgo_export::sandbox::{Config, Fault};

/// Whether the bytes hold the text.
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
        seed: 4,
        ..config()
    })
    .await;
    let work = Workdir::new();
    work.write_sheet(&sheet(8));
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
    // Which run meets which fault depends on how requests interleave; together they meet all.
    let all: String = printed.iter().map(|r| r.stderr.as_str()).collect();
    assert!(
        ["<- 500", "<- 502", "connection"]
            .iter()
            .all(|what| all.contains(what)),
        "the faults were met: {all}"
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
    let written = work.files();
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
        // A workbook's parts are compressed: each is searched unpacked.
        let parts: Vec<(String, Vec<u8>)> = if path.extension().is_some_and(|e| e == "xlsx") {
            zip_parts(&path)
                .into_iter()
                .map(|(name, bytes)| (format!(" ({name})"), bytes))
                .collect()
        } else {
            vec![(String::new(), std::fs::read(&path).unwrap())]
        };
        for (part, bytes) in parts {
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
    work.write_sheet(&table);
    let run = submit(&work, &provider, &["--verbose"]);
    run.expect(1).stderr_lacks(&[wrong]);
    assert!(
        work.read("orders.result.csv").contains(wrong),
        "the result file keeps the row as it was"
    );
    provider.stop().await;
}
