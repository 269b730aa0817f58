//! Benchmark of `fpgo-export check` on big generated sheets: a 1,000,000-line CSV as a web shop
//! exports it (UTF-8, `,`, 23 columns, about 200,000 orders, 1 % of them invalid) checked with
//! its result file and payloads, the same number of lines as a Norwegian Excel saves them
//! (Windows-1252, `;`, 17 columns), and a 100,000-line XLSX. Runs the release binary as a user
//! would and reports lines per second, the process's own peak memory and, for a CSV, how many
//! times as long as a plain `csv` `ByteRecord` read of the same file the check took.
//!
//!     cargo bench --bench check                  # every sheet, default sizes
//!     cargo bench --bench check -- --csv-lines 200000 --xlsx-lines 20000 --keep DIR
//!     cargo bench --bench check -- --only web    # one sheet: web, excel or xlsx
//!     cargo bench --bench check -- --rounds 5    # each check five times (three by default)
//!
//! A generated sheet is on disk before it is checked (so that writing it back does not run
//! during the check), and each check runs a few times: this machine's speed moves by a third
//! from one run to the next, so a single run says little.
//!
//! Targets (docs/performance.md): the web shop CSV ≥ 500,000 lines/s in ≤ 512 MiB, the XLSX
//! ≥ 90,000 lines/s.

mod common;
mod generate;

use common::{measure, number, option, CONFIG};

use std::fs::File;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Runs `check` on a sheet (with `--payloads` when asked) `--rounds` times, printing what each
/// took; returns the median seconds.
fn run(sheet: &Path, lines: usize, label: &str, payloads: bool) -> f64 {
    File::open(sheet)
        .and_then(|f| f.sync_all())
        .expect("sheet on disk");
    let mut seconds: Vec<f64> = (0..number("--rounds", 3).max(1))
        .map(|_| run_once(sheet, lines, label, payloads))
        .collect();
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    println!(
        "{label}: median {median:.2} s = {:.0} lines/s (best {:.2} s, worst {:.2} s)",
        lines as f64 / median,
        seconds[0],
        seconds[seconds.len() - 1]
    );
    median
}

/// One run of `check`, as [`run`] makes it; the seconds it took.
fn run_once(sheet: &Path, lines: usize, label: &str, payloads: bool) -> f64 {
    let config = sheet.with_file_name("fpgo-export.toml");
    std::fs::write(&config, CONFIG).expect("write config");
    let mut command = Command::new(env!("CARGO_BIN_EXE_fpgo-export"));
    command
        .args(["check", "--output"])
        .arg(sheet.with_extension("result.csv"));
    if payloads {
        command
            .arg("--payloads")
            .arg(sheet.with_extension("payloads.jsonl"));
    }
    let log = sheet.with_extension("log");
    let run = measure(command.arg(sheet), &log);
    assert!(
        matches!(run.code, Some(0 | 1)),
        "{label}: check failed with {:?}:\n{}",
        run.code,
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    println!(
        "{label}: {lines} lines in {:.2} s = {:.0} lines/s, peak memory {:.0} MiB",
        run.seconds,
        lines as f64 / run.seconds,
        run.peak_mib
    );
    run.seconds
}

/// Reads every record of a CSV with the `csv` crate alone (`ByteRecord`, nothing kept) and
/// returns the seconds it took.
fn raw_read(sheet: &Path, delimiter: u8) -> f64 {
    let start = Instant::now();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_path(sheet)
        .expect("open CSV");
    let mut record = csv::ByteRecord::new();
    let mut records = 0usize;
    while reader.read_byte_record(&mut record).expect("read CSV") {
        records += record.len().min(1);
    }
    let seconds = start.elapsed().as_secs_f64();
    assert!(records > 0);
    seconds
}

/// Generates a CSV with `write`, checks it, reads it raw, and prints both and their ratio.
fn csv_case(
    path: &Path,
    lines: usize,
    label: &str,
    delimiter: u8,
    payloads: bool,
    write: fn(&Path, usize) -> std::io::Result<()>,
) {
    write(path, lines).expect("write CSV");
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64;
    println!(
        "generated {} ({lines} lines, {:.0} MiB, {:.0} bytes a line)",
        path.display(),
        bytes / 1048576.0,
        bytes / lines.max(1) as f64
    );
    let check = run(path, lines, label, payloads);
    let raw = raw_read(path, delimiter);
    println!(
        "{label}: raw csv ByteRecord read {raw:.2} s = {:.0} lines/s; the check (median) takes {:.1} × as long",
        lines as f64 / raw,
        check / raw
    );
}

fn main() {
    let csv_lines = number("--csv-lines", 1_000_000);
    let xlsx_lines = number("--xlsx-lines", 100_000);
    if let Some(path) = option("--write-xlsx") {
        generate::xlsx(Path::new(&path), xlsx_lines).expect("write XLSX");
        return;
    }
    let only = option("--only");
    let wanted = |case: &str| only.as_deref().is_none_or(|o| o == case);
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = option("--keep")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("output dir");

    if csv_lines > 0 && wanted("web") {
        let label = "check CSV web shop (UTF-8, 23 columns, --payloads)";
        csv_case(
            &dir.join("web.csv"),
            csv_lines,
            label,
            b',',
            true,
            generate::web_csv,
        );
    }
    if csv_lines > 0 && wanted("excel") {
        let label = "check CSV Norwegian Excel (Windows-1252, 17 columns)";
        csv_case(
            &dir.join("big.csv"),
            csv_lines,
            label,
            b';',
            false,
            generate::csv,
        );
    }
    if xlsx_lines > 0 && wanted("xlsx") {
        let xlsx = dir.join("big.xlsx");
        // A workbook is built in memory: in a process of its own, since a child's peak memory
        // counts the memory of the process it was started from.
        let status = Command::new(std::env::current_exe().expect("this benchmark"))
            .arg("--write-xlsx")
            .arg(&xlsx)
            .args(["--xlsx-lines", &xlsx_lines.to_string()])
            .status()
            .expect("start the XLSX writer");
        assert!(status.success(), "writing the XLSX failed");
        println!("generated {} ({xlsx_lines} lines)", xlsx.display());
        run(&xlsx, xlsx_lines, "check XLSX", false);
    }
}
