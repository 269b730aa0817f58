//! The `fpgo-export` binary: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use fpgo_export::{cli::Cli, exit, run};

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            exit::CANNOT_RUN
        }
    };
    std::process::exit(code);
}
