//! The `fpgo-export` binary: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use fpgo_export::{cli::Cli, run};

// A sheet of a million lines makes millions of small allocations; mimalloc does them faster
// than the system allocator and gives memory back sooner (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    logging(cli.verbose);
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}

/// Diagnostics through `tracing` on stderr: `RUST_LOG` when set, else by the `-v` count. The
/// run's own messages (problems, the summary) are printed whatever the level.
fn logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "warn,fpgo_export=info",
        2 => "warn,fpgo_export=debug",
        _ => "info,fpgo_export=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}
