//! The model: the types both halves share, with no I/O. The endpoints, the fields of an order
//! and what each endpoint requires, the order itself, money and its one rounding rule, a
//! problem and where it is, what became of each row and order, and the provider's callback
//! notification (its parameters and checksum).

pub mod callback;
pub mod countries;
pub mod endpoint;
pub mod event;
pub mod fields;
pub mod money;
pub mod order;
pub mod outcome;
pub mod problem;

pub use endpoint::{DateFormat, Endpoint};
