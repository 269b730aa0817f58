//! Talking to FPGO: the wire types of requests and responses (`wire.rs`). The HTTP client and
//! the classification of answers join them when sending arrives.

pub mod wire;
