//! Benchmark of `fpgo-export submit` against the sandbox (in this process, over loopback): how
//! close the tool runs to the provider's rate limit without a single 429, how it fills the
//! limit when answers are slow, and how much CPU it spends per order.
//!
//!     cargo bench --bench submit                       # both scenarios, 2,000 orders each
//!     cargo bench --bench submit -- --orders 500
//!     cargo bench --bench submit -- --memory-lines 1000000   # the memory of a big sheet's run
//!
//! Targets (docs/performance.md): at a limit of 6,000/min and no latency, ≥ 98 % of the limit
//! with zero 429s; at 100 ms latency, 16 workers and 12,000/min, ≥ 95 % of
//! min(limit, workers / latency); the tool's CPU time ≤ 0.5 ms per order; a 1,000,000-line
//! web-shop sheet (200,000 orders) submitted in ≤ 512 MiB.

mod common;
mod generate;

use common::{children_cpu, measure, number, CONFIG};

use fpgo_export::sandbox::{Config, Sandbox};
use std::process::Command;
use std::time::Duration;

fn scenario(
    runtime: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    name: &str,
    orders: usize,
    limit: u32,
    latency: Duration,
    workers: usize,
) {
    let sheet = dir.join(format!("{name}.csv"));
    generate::orders_csv(&sheet, orders).expect("write sheet");
    std::fs::write(dir.join("fpgo-export.toml"), CONFIG).expect("write config");
    let sandbox = runtime
        .block_on(Sandbox::start(Config {
            rate_limit: limit,
            latency: (latency, latency),
            ..Config::default()
        }))
        .expect("sandbox");
    let cpu_before = children_cpu();
    let output = Command::new(env!("CARGO_BIN_EXE_fpgo-export"))
        .arg("submit")
        .arg(&sheet)
        .args([
            "--base-url",
            &sandbox.base_url(),
            "--rate",
            &limit.to_string(),
        ])
        .args([
            "--workers",
            &workers.to_string(),
            "--no-progress",
            "--json",
            "--ledger",
        ])
        .arg(dir.join(format!("{name}.ledger.sqlite")))
        .env("FPGO_TOKEN", sandbox.token())
        .output()
        .expect("run fpgo-export");
    let cpu = children_cpu() - cpu_before;
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "{name}: no JSON summary; stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let stats: serde_json::Value = runtime.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(format!("{}/__sandbox/stats", sandbox.root_url()))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats json")
    });
    runtime.block_on(sandbox.shutdown());
    let created = summary["orders"]["created"].as_u64().unwrap_or(0);
    let requests = summary["requests"].as_u64().unwrap_or(0);
    // The rate over the sending itself: from the first request out to the last answer in.
    let elapsed = summary["sending_s"].as_f64().unwrap_or(f64::NAN);
    let too_many: u64 = stats["routes"]
        .as_object()
        .map(|routes| routes.values().filter_map(|r| r["429"].as_u64()).sum())
        .unwrap_or(0);
    let rate = requests as f64 / elapsed;
    let ceiling = (limit as f64 / 60.0).min(workers as f64 / latency.as_secs_f64().max(1e-9));
    println!(
        "{name}: {created}/{orders} orders created, {requests} requests in {elapsed:.2} s = {rate:.1}/s = {:.1} % of {ceiling:.1}/s; {too_many} x 429; tool CPU {:.3} ms per order",
        100.0 * rate / ceiling,
        1000.0 * cpu / orders as f64
    );
}

/// The peak memory of `submit` (the process's own) for a web-shop sheet of `lines` lines: a
/// dry run, a real run to the sandbox at a rate no provider allows, and the rerun that finds
/// every order created. The sandbox is a process of its own (`fpgo-export sandbox`): the
/// 200,000 orders it keeps would otherwise count in the peak of every child started after.
fn memory(dir: &std::path::Path, lines: usize) {
    use std::io::BufRead;
    let sheet = dir.join("web.csv");
    generate::web_csv(&sheet, lines).expect("write sheet");
    std::fs::write(dir.join("fpgo-export.toml"), CONFIG).expect("write config");
    let token = "bench-memory-token";
    let mut sandbox = Command::new(env!("CARGO_BIN_EXE_fpgo-export"))
        .args([
            "sandbox",
            "--bind",
            "127.0.0.1:0",
            "--quiet",
            "--token",
            token,
        ])
        .args(["--rate-limit", "100000000"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the sandbox");
    // Its first line: `FPGO sandbox serving http://127.0.0.1:PORT/api/v1`.
    let mut first = String::new();
    std::io::BufReader::new(sandbox.stderr.take().expect("stderr"))
        .read_line(&mut first)
        .expect("the sandbox's first line");
    let base_url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the sandbox's address")
        .to_string();
    let ledger = dir.join("memory.ledger.sqlite");
    for (label, extra) in [
        ("dry run", Some("--dry-run")),
        ("run", None),
        ("rerun", None),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fpgo-export"));
        command
            .arg("submit")
            .arg(&sheet)
            .args(["--base-url", &base_url])
            .args(["--rate", "1000000", "--workers", "32", "--no-progress"])
            .arg("--ledger")
            .arg(&ledger)
            .args(extra)
            .env("FPGO_TOKEN", token);
        let log = dir.join("memory.log");
        let run = measure(&mut command, &log);
        assert!(
            matches!(run.code, Some(0 | 1)),
            "submit {label} failed with {:?}:\n{}",
            run.code,
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        println!(
            "submit {label}, {lines} lines: {:.1} s, peak memory {:.0} MiB (target ≤ 512 MiB)",
            run.seconds, run.peak_mib
        );
    }
    let _ = sandbox.kill();
    let _ = sandbox.wait();
}

fn main() {
    let orders = number("--orders", 2_000);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let memory_lines = number("--memory-lines", 0);
    if memory_lines > 0 {
        memory(dir.path(), memory_lines);
        return;
    }
    scenario(
        &runtime,
        dir.path(),
        "limit-6000",
        orders,
        6_000,
        Duration::ZERO,
        4,
    );
    scenario(
        &runtime,
        dir.path(),
        "latency-100ms",
        orders,
        12_000,
        Duration::from_millis(100),
        16,
    );
}
