//! The commands: each one's glue between the command line and the pipeline (or the file it
//! writes).

pub mod cancel;
pub mod check;
pub mod completions;
pub mod init;
pub mod man;
pub mod sandbox;
pub mod status;
pub mod submit;
pub mod template;

/// Writes generated text (a completion script, the manual page) on stdout. A closed pipe
/// (`… | head`) is a normal end, as for every line the tool prints there.
fn print(bytes: &[u8]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}
