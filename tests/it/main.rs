//! The one integration-test binary: the tests run the built `fpgo-export` on fixtures written
//! into a temporary directory (see `support.rs`), and talk to the sandbox over loopback HTTP
//! (`sandbox.rs`).

mod check;
mod hostile;
mod sandbox;
mod snapshot;
mod support;
