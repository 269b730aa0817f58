//! Benchmark of `fpgo-export check` on big generated sheets: a 1,000,000-line CSV (Windows-1252,
//! `;`, decimal commas, about 200,000 orders) and a 100,000-line XLSX. Runs the release binary
//! as a user would and reports lines per second and the peak memory of the process.
//!
//!     cargo bench --bench check                  # both sheets, default sizes
//!     cargo bench --bench check -- --csv-lines 200000 --xlsx-lines 20000 --keep DIR
//!
//! Targets (docs/performance.md): CSV ≥ 250,000 lines/s with ≤ 1 GB peak, XLSX ≥ 50,000 lines/s.

mod common;
mod generate;

use common::{number, option, peak_child_mib, CONFIG};

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn run(sheet: &Path, lines: usize, label: &str) {
    let output = sheet.with_extension("result.csv");
    let config = sheet.with_file_name("fpgo-export.toml");
    std::fs::write(&config, CONFIG).expect("write config");
    let start = Instant::now();
    let run = Command::new(env!("CARGO_BIN_EXE_fpgo-export"))
        .args(["check", "--output"])
        .arg(&output)
        .arg(sheet)
        .output()
        .expect("run fpgo-export");
    let elapsed = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.code() == Some(0),
        "{label}: check failed with {}:\n{stderr}",
        run.status
    );
    println!(
        "{label}: {lines} lines in {elapsed:.2} s = {:.0} lines/s; peak memory of the largest run so far {:.0} MiB",
        lines as f64 / elapsed,
        peak_child_mib()
    );
}

fn main() {
    let csv_lines = number("--csv-lines", 1_000_000);
    let xlsx_lines = number("--xlsx-lines", 100_000);
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = option("--keep")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("output dir");

    if csv_lines > 0 {
        let csv = dir.join("big.csv");
        generate::csv(&csv, csv_lines).expect("write CSV");
        let mib = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
        println!(
            "generated {} ({csv_lines} lines, {mib:.0} MiB)",
            csv.display()
        );
        run(&csv, csv_lines, "check CSV");
    }
    if xlsx_lines > 0 {
        let xlsx = dir.join("big.xlsx");
        generate::xlsx(&xlsx, xlsx_lines).expect("write XLSX");
        println!("generated {} ({xlsx_lines} lines)", xlsx.display());
        run(&xlsx, xlsx_lines, "check XLSX");
    }
}
