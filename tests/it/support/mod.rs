//! The harness every test file uses: a [`Workdir`] on a temporary directory, fixture writers
//! (sheets as a [`Table`], workbooks as [`Xlsx`], CSV bytes in any encoding), runs of the built
//! binary ([`Output`], a [`Test`] builder that compares and reports, [`Running`] in the
//! background), readers for the files it writes (result files, payloads, the ledger), and the
//! providers it talks to: an in-process sandbox ([`Provider`]) or a [`Canned`] raw-TCP server; a headless Chromium ([`Browser`]) for the browser app.
//!
//! Every `check` run pins the date with `--today 2026-11-21` and every sandbox stands on a
//! manual clock at noon that day, so no test depends on the wall clock.

mod bodies;
mod browser;
mod canned;
mod ledger;
mod provider;
mod regular_invoice;
mod results;
mod run;
mod sheets;
mod test;
mod web;
mod workdir;
mod xlsx;

pub use bodies::*;
pub use browser::*;
pub use canned::Canned;
pub use ledger::*;
pub use provider::*;
pub use regular_invoice::*;
pub use results::*;
pub use run::*;
pub use sheets::*;
pub use test::Test;
pub use web::*;
pub use workdir::*;
pub use xlsx::{zip_part, zip_parts, Xlsx, X};

/// The date every test runs on.
pub const TODAY: &str = "2026-11-21";

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_fpgo-export");
