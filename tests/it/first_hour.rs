//! The first hour of a new user: nothing destroyed, nothing misleading. Outputs are checked
//! before anything is sent, a filled sheet is never overwritten by `template`, files respect
//! the umask, the summary tells this run from earlier ones, colour only on request of a
//! terminal, and the docs stand alone.

use crate::support::*;
use std::os::unix::fs::PermissionsExt;

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_rows_file_that_cannot_be_written_is_refused_before_anything_is_sent() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(2));
    for (extra, says) in [
        (
            ["--failed-rows", "to-fix.pdf"],
            "--failed-rows: cannot write \".pdf\"",
        ),
        (
            ["--failed-rows", "no/such/folder/to-fix.csv"],
            "no/such/folder",
        ),
        (
            ["--output", "result.pdf"],
            "cannot write a result file with the extension \".pdf\"",
        ),
    ] {
        let run = submit(&work, &provider, &extra);
        run.expect(2);
        run.stderr_has(&[says]);
        assert_eq!(
            provider.stats().await.total(),
            0,
            "nothing sent: {}",
            run.report()
        );
    }
    provider.stop().await;
}

#[test]
fn template_never_overwrites_a_filled_sheet_without_force() {
    let work = Workdir::new();
    work.write("filled.xlsx", b"my filled sheet");
    let refused = work.run(&["template", "--output", "filled.xlsx"]);
    refused.expect(2);
    refused.stderr_has(&["filled.xlsx exists", "--force"]);
    assert_eq!(
        std::fs::read(work.join("filled.xlsx")).unwrap(),
        b"my filled sheet"
    );
    work.run(&["template", "--output", "filled.xlsx", "--force"])
        .expect(0);
    assert_ne!(
        std::fs::read(work.join("filled.xlsx")).unwrap(),
        b"my filled sheet"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn outputs_respect_the_umask_and_the_ledger_stays_private() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    work.write_sheet(&sheet(2));
    // The test process's umask is the binary's: outputs are 0666 less it, the ledger 0600.
    let umask = {
        let probe = work.join("probe");
        std::fs::write(&probe, b"").unwrap();
        0o666 & !std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777
    };
    submit(&work, &provider, &["--failed-rows", "to-fix.csv"]).expect(0);
    work.run(&["template", "--output", "t.xlsx"]).expect(0);
    let mode = |name: &str| {
        std::fs::metadata(work.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    for output in ["orders.result.csv", "to-fix.csv", "t.xlsx"] {
        assert_eq!(mode(output), 0o666 & !umask, "{output}: {:o}", mode(output));
    }
    assert_eq!(mode("ledger.sqlite"), 0o600);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_tells_what_this_run_sent_from_what_earlier_runs_did() {
    let provider = Provider::start(config()).await;
    let work = Workdir::new();
    let mut table = sheet(3);
    work.write_sheet(&table);
    let first = submit(&work, &provider, &[]);
    first.expect(0);
    first.stderr_has(&["sent now: 3 order(s): 3 created; created now "]);
    first.stderr_lacks(&["earlier runs:", "/s)"]);
    assert_eq!(first.json()["sent_now"]["created"], 3);

    // One more order; the first three were created before.
    table.order("T-004", PRIVATE, &[("Termokopp", "1", "199.90", "25")]);
    work.write_sheet(&table);
    let second = submit(&work, &provider, &[]);
    second.expect(0);
    second.stderr_has(&[
        "sent now: 1 order(s): 1 created; created now 199.90 NOK incl. VAT",
        "earlier runs: 3 already created; created earlier ",
    ]);
    let json = second.json();
    assert_eq!(
        (
            &json["sent_now"]["created"],
            &json["earlier"]["already_created"]
        ),
        (&1.into(), &3.into())
    );
    assert_eq!(json["money"]["created_now"], "199.90");

    // Nothing to send: nothing said to be sent, and no rate over an instant.
    let third = submit(&work, &provider, &[]);
    third.expect(0);
    third.stderr_has(&[
        "sent now: nothing",
        "earlier runs: 4 already created",
        "0 request(s) to ",
    ]);
    third.stderr_lacks(&["/s)", "valid orders total"]);
    provider.stop().await;
}

#[test]
fn colour_only_on_a_terminal_or_when_forced_and_never_with_no_color() {
    let work = Workdir::new();
    work.copy_sample("orders-no.csv");
    let plain = work.check("orders-no.csv", &[]);
    assert!(!plain.stderr.contains('\x1b'), "not a terminal: no colour");
    let forced = Test::on(&work)
        .env("CLICOLOR_FORCE", "1")
        .check("orders-no.csv", &[])
        .status(1)
        .run();
    forced.stderr_has(&["\x1b[31merror\x1b[0m: ", "\x1b[33mwarning\x1b[0m: "]);
    let never = Test::on(&work)
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .check("orders-no.csv", &[])
        .status(1)
        .run();
    assert!(!never.stderr.contains('\x1b'), "{}", never.stderr);
}

#[test]
fn the_docs_stand_alone() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.push(root.join("README.md"));
    for doc in docs {
        let text = std::fs::read_to_string(&doc).unwrap();
        for outside in [
            "fpgo-api.md",
            "product.md",
            "style.md",
            "../shared",
            "seed 00",
            "seeds 00",
        ] {
            assert!(!text.contains(outside), "{} names {outside}", doc.display());
        }
    }
}
