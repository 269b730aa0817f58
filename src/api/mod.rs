//! Talking to FPGO: the wire types of requests (`wire.rs`), the HTTP client (`client.rs`) and
//! the one place that decides what an answer means (`outcome.rs`).

pub mod client;
pub mod outcome;
pub mod target;
pub mod wire;
