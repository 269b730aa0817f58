//! The online half: the plan for each valid order (the ledger's verdict), the ledger itself,
//! and the paced, concurrent sending loop.

pub mod dispatch;
pub mod ledger;
pub mod plan;
