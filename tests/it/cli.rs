//! The command line itself: the top-level help lists every exit code and names the docs, shell
//! completions and the manual page come from the same definition as the parser.

use crate::support::*;

/// The exit codes `src/exit.rs` defines, as `(name, code)`.
fn exit_codes() -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/exit.rs");
    let source = std::fs::read_to_string(path).unwrap();
    let codes: Vec<(String, String)> = source
        .lines()
        .filter_map(|l| l.strip_prefix("pub const ")?.split_once(": i32 = "))
        .map(|(name, code)| (name.to_string(), code.trim_end_matches(';').to_string()))
        .collect();
    assert!(codes.len() >= 7, "{codes:?}");
    codes
}

#[test]
fn the_help_lists_every_exit_code_and_names_the_docs_not_a_source_tree() {
    let out = Test::new().args(&["--help"]).run();
    for (name, code) in exit_codes() {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with(&format!("  {code} "))),
            "exit code {code} ({name}) is not in the help:\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("docs/exit-codes.md"), "{}", out.stdout);
    assert!(out.stdout.contains("fpgo-export init"), "{}", out.stdout);
    assert!(!out.stdout.contains("source tree"), "{}", out.stdout);
}

#[test]
fn completions_are_printed_for_every_shell_with_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = Test::new().args(&["completions", shell]).run();
        for command in [
            "check",
            "submit",
            "template",
            "init",
            "sandbox",
            "completions",
            "man",
        ] {
            assert!(out.stdout.contains(command), "{shell} lacks {command}");
        }
        assert!(out.stdout.contains("failed-rows"), "{shell}");
    }
    Test::new()
        .args(&["completions", "tcsh"])
        .status(2)
        .stderr_has(&["invalid value 'tcsh'"])
        .run();
}

#[test]
fn man_prints_a_roff_page_with_the_commands_and_exit_codes() {
    let out = Test::new().args(&["man"]).run();
    assert!(out.stdout.contains(".TH fpgo-export 1"), "{}", out.stdout);
    assert!(out.stdout.contains(".SH NAME"), "{}", out.stdout);
    for text in ["init", "completions", "Exit codes", "130"] {
        assert!(out.stdout.contains(text), "the page lacks {text}");
    }
}
