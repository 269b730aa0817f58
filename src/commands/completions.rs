//! `fpgo-export completions SHELL`: the shell's completion script on stdout, generated from the
//! command line's own definition (`clap_complete`), so it always knows every command and option.

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Error;
use crate::exit;
use clap::CommandFactory;

/// Prints the completion script of `args.shell`.
pub fn run(args: &CompletionsArgs) -> Result<i32, Error> {
    let mut command = Cli::command();
    let name = command.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    crate::report::stdout(&script);
    Ok(exit::OK)
}
