//! The commands: each one's glue between the command line and the pipeline (or the file it
//! writes).

pub mod cancel;
pub mod check;
pub mod completions;
pub mod init;
pub mod man;
pub mod sandbox;
pub mod serve;
pub mod status;
pub mod submit;
pub mod template;

/// The runtime of a command that talks to the provider: one thread is plenty for requests that
/// mostly wait, and it spends the least CPU per request (no wake-ups across threads).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, crate::error::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::error::Error::bug(format!("the async runtime did not start: {e}")))
}
