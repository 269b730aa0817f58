//! Command-line conventions every command keeps: a closed stdout is a normal end (`… | head`),
//! and each level of `-v` logs more, never the token or a personal number.

use crate::support::*;
use std::process::Stdio;

#[test]
fn a_closed_stdout_is_a_normal_end_not_a_panic() {
    let work = Workdir::new();
    work.copy_sample("orders-no.csv");
    // stdout is a pipe whose reader is gone before the summary is written (`| head -c0`).
    let args = ["check", "orders-no.csv", "--json", "--today", TODAY].map(String::from);
    let mut child = work
        .command(&args, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
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
    work.write_sheet(&table);
    let mut sizes = Vec::new();
    for level in ["-v", "-vv", "-vvv"] {
        let run = submit(&work, &provider, &[level, "--retry-uncertain"]);
        run.stderr_lacks(&[TOKEN, personal]);
        sizes.push(run.stderr.lines().count());
        run.stderr_has(&["T-001 -> attempt 1", "T-001 <- 201"]);
        if level != "-v" {
            // How many commits the ledger's batches take depends on timing; that they are
            // logged does not.
            run.stderr_has(&["answered 201", "change(s) committed"]);
        }
        // The next level sends the same orders again: a fresh ledger each time.
        std::fs::remove_file(work.join("ledger.sqlite")).unwrap();
    }
    assert!(sizes[0] < sizes[1] && sizes[0] < sizes[2], "{sizes:?}");
    provider.stop().await;
}
