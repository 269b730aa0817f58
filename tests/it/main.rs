//! The one integration-test binary: the tests run the built `fpgo-export` on fixtures written
//! into a temporary directory (see `support.rs`), talk to the sandbox over loopback HTTP
//! (`sandbox.rs`) and run `submit` against an in-process sandbox (`submit.rs`); `regular.rs`
//! does all of it for the regular-invoice endpoint.

mod check;
mod hostile;
mod regular;
mod safety;
mod sandbox;
mod snapshot;
mod submit;
mod support;
