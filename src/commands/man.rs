//! `fpgo-export man`: the manual page (roff) on stdout, generated from the command line's own
//! definition (`clap_mangen`): every command, option and the exit codes of the help.

use crate::cli::Cli;
use crate::error::Error;
use crate::exit;
use clap::CommandFactory;

/// Prints the manual page.
pub fn run() -> Result<i32, Error> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| Error::bug(format!("the manual page could not be rendered: {e}")))?;
    crate::report::stdout(&page);
    Ok(exit::OK)
}
