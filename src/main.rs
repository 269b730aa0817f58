//! The `fpgo-export` binary: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use fpgo_export::{cli::Cli, run};

// A sheet of a million lines makes millions of small allocations; mimalloc does them faster
// than the system allocator and gives memory back sooner (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
