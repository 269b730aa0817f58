//! The one integration-test binary: every test runs the built `fpgo-export` on fixtures written
//! into a temporary directory (see `support.rs`).

mod check;
mod hostile;
mod snapshot;
mod support;
